package identity

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// SetTOTPPending stores a secret being enrolled (not yet confirmed).
func SetTOTPPending(ctx context.Context, q db.Querier, userID uuid.UUID, secret string) error {
	_, err := q.Exec(ctx, `UPDATE users SET totp_pending_secret = $2, updated_at = now() WHERE id = $1`, userID, secret)
	return err
}

// EnableTOTP turns two-factor on with the confirmed secret, remembering the
// step of the code that confirmed it, and replaces the recovery codes.
func EnableTOTP(ctx context.Context, q db.Querier, userID uuid.UUID, secret string, step int64, codeHashes [][]byte) error {
	if _, err := q.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_pending_secret = NULL,
		totp_enabled_at = now(), totp_last_step = $3, updated_at = now() WHERE id = $1`, userID, secret, step); err != nil {
		return err
	}
	return ReplaceRecoveryCodes(ctx, q, userID, codeHashes)
}

// DisableTOTP turns two-factor off and drops the recovery codes.
func DisableTOTP(ctx context.Context, q db.Querier, userID uuid.UUID) error {
	if _, err := q.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL,
		totp_enabled_at = NULL, updated_at = now() WHERE id = $1`, userID); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID)
	return err
}

// AdvanceTOTPStep records that the code of step was used. It returns false
// when that step (or a later one) was used already, so a code works once even
// when two requests race.
func AdvanceTOTPStep(ctx context.Context, q db.Querier, userID uuid.UUID, step int64) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	return tag.RowsAffected() == 1, err
}

// ReplaceRecoveryCodes stores a fresh set of hashed recovery codes.
func ReplaceRecoveryCodes(ctx context.Context, q db.Querier, userID uuid.UUID, hashes [][]byte) error {
	if _, err := q.Exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash)
		SELECT $1, h FROM unnest($2::bytea[]) AS h`, userID, hashes)
	return err
}

// UseRecoveryCode spends one recovery code; false when it is unknown or spent.
func UseRecoveryCode(ctx context.Context, q db.Querier, userID uuid.UUID, hash []byte) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE user_recovery_codes SET used_at = now()
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash)
	return tag.RowsAffected() == 1, err
}

// RecoveryCodesLeft counts unspent recovery codes.
func RecoveryCodesLeft(ctx context.Context, q db.Querier, userID uuid.UUID) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}
