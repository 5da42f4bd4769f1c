package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// ResetLimits bounds password-reset emails: per account (reset rows created)
// and per client IP (requests, whether or not the address has an account).
type ResetLimits struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

// DefaultResetLimits: 5 reset emails an hour per account, 20 requests an hour
// per IP.
var DefaultResetLimits = ResetLimits{PerAccount: 5, PerIP: 20, Window: time.Hour}

// resetAttemptPrefix marks the login_attempts rows that record reset
// requests rather than sign-ins. They are stored as successes so they never
// count towards the sign-in failure limits, and they are cleaned up with the
// other attempts after a day.
const resetAttemptPrefix = "password-reset:"

// RecordResetRequest notes a password-reset request from ip for the address
// as typed, and reports whether this IP is still within limits (counting
// this request).
func RecordResetRequest(ctx context.Context, q db.Querier, l ResetLimits, email, ip string) (ok bool, err error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM login_attempts
		WHERE ip = $1 AND success AND email LIKE $2 || '%' AND at > now() - $3::interval`,
		ip, resetAttemptPrefix, l.Window.String()).Scan(&n); err != nil {
		return false, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO login_attempts (email, ip, success) VALUES ($1, $2, true)`,
		resetAttemptPrefix+email, ip); err != nil {
		return false, err
	}
	return n < l.PerIP, nil
}

// CanSendReset reports whether a person may get another reset email now:
// fewer than l.PerAccount resets were issued for them within l.Window.
func CanSendReset(ctx context.Context, q db.Querier, l ResetLimits, userID uuid.UUID) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM password_resets
		WHERE user_id = $1 AND created_at > now() - $2::interval`, userID, l.Window.String()).Scan(&n)
	return n < l.PerAccount, err
}

// EnsureTOTPPending stores secret as the person's pending two-factor secret
// unless one is pending already, and returns the pending secret. Reloading the
// set-up page thus keeps showing the same QR code, even when two loads race.
func EnsureTOTPPending(ctx context.Context, q db.Querier, userID uuid.UUID, secret string) (string, error) {
	var pending string
	err := q.QueryRow(ctx, `UPDATE users SET totp_pending_secret = coalesce(totp_pending_secret, $2),
		updated_at = now() WHERE id = $1 RETURNING totp_pending_secret`, userID, secret).Scan(&pending)
	return pending, err
}

// LockUser reads a person and locks their row until the transaction ends, so
// two-factor changes (enrol, disable, new recovery codes) don't interleave.
func LockUser(ctx context.Context, q db.Querier, userID uuid.UUID) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1 FOR UPDATE`, userID))
	if db.IsNoRows(err) {
		return User{}, apperr.NotFound("User")
	}
	return u, err
}

// FirmsRequiring2FA returns the names of the firms where the person is an
// owner or admin and that require two-factor sign-in for them. Run it in the
// person's own scope (db.AsUser): it reads their memberships across firms.
func FirmsRequiring2FA(ctx context.Context, q db.Querier, userID uuid.UUID) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT t.name FROM staff_memberships m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.user_id = $1 AND m.role IN ('owner', 'admin') AND t.require_admin_2fa
		ORDER BY lower(t.name)`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
