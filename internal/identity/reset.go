package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
)

// ResetTTL is how long a password-reset link works.
const ResetTTL = time.Hour

// ErrResetInvalid is the one answer for a reset link that is unknown, used or
// expired: which of the three is nobody's business.
var ErrResetInvalid = &apperr.Error{Code: apperr.EInvalid,
	Message: "This reset link is invalid or has expired. Ask for a new one."}

// CreateReset issues a single-use reset token for a person; only its hash is stored.
func CreateReset(ctx context.Context, q db.Querier, userID uuid.UUID) (string, error) {
	token := auth.NewToken()
	_, err := q.Exec(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		auth.HashToken(token), userID, time.Now().Add(ResetTTL))
	return token, err
}

// PeekReset returns the user a reset token is for, without using it.
func PeekReset(ctx context.Context, q db.Querier, token string) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `SELECT user_id FROM password_resets
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`, auth.HashToken(token)).Scan(&id)
	if db.IsNoRows(err) {
		return uuid.Nil, ErrResetInvalid
	}
	return id, err
}

// ConsumeReset marks a reset token used and returns its user; a second use,
// an expired or an unknown token is ErrResetInvalid. Every other open reset
// of the same person is voided too.
func ConsumeReset(ctx context.Context, q db.Querier, token string) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `UPDATE password_resets SET used_at = now()
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
		auth.HashToken(token)).Scan(&id)
	if db.IsNoRows(err) {
		return uuid.Nil, ErrResetInvalid
	}
	if err != nil {
		return uuid.Nil, err
	}
	_, err = q.Exec(ctx, `UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, id)
	return id, err
}
