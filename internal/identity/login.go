package identity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
)

// LoginLimits bounds failed sign-ins. Failures are counted per email as typed
// (whether or not such an account exists, so the answer reveals nothing) and
// per client IP.
type LoginLimits struct {
	PerIP         int
	IPWindow      time.Duration
	PerAccount    int
	AccountWindow time.Duration
}

// DefaultLoginLimits: 100 failures an hour per account (ASVS 5.0 V6.3), 50 per
// quarter hour per IP.
var DefaultLoginLimits = LoginLimits{PerIP: 50, IPWindow: 15 * time.Minute, PerAccount: 100, AccountWindow: time.Hour}

// ErrTooManyFromIP and ErrTooManyForAccount are the two refusals.
var (
	ErrTooManyFromIP = &apperr.Error{Code: apperr.ETooMany,
		Message: "Too many sign-in attempts from your network. Wait a few minutes and try again."}
	ErrTooManyForAccount = &apperr.Error{Code: apperr.ETooMany,
		Message: "Too many failed attempts for this account. Try again in an hour, sign in from a device you have used before, or reset your password."}
)

// CheckLogin refuses a sign-in attempt that is over the limits. A device that
// has signed in to this account before is let past the per-account cap, so an
// attacker who burns the account's budget cannot lock its owner out.
func CheckLogin(ctx context.Context, q db.Querier, l LoginLimits, email, ip string, knownDevice bool) error {
	var ipFails, accountFails int
	err := q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM login_attempts WHERE ip = $1 AND NOT success AND at > now() - $2::interval),
		(SELECT count(*) FROM login_attempts WHERE email = $3 AND NOT success AND at > now() - $4::interval)`,
		ip, l.IPWindow.String(), email, l.AccountWindow.String()).Scan(&ipFails, &accountFails)
	if err != nil {
		return err
	}
	if ipFails >= l.PerIP {
		return ErrTooManyFromIP
	}
	if accountFails >= l.PerAccount && !knownDevice {
		return ErrTooManyForAccount
	}
	return nil
}

// RecordLogin notes the outcome of a sign-in attempt.
func RecordLogin(ctx context.Context, q db.Querier, email, ip string, success bool) error {
	_, err := q.Exec(ctx, `INSERT INTO login_attempts (email, ip, success) VALUES ($1, $2, $3)`, email, ip, success)
	return err
}

// RememberDevice issues a device token for a person who just signed in; the
// caller puts it in a long-lived cookie.
func RememberDevice(ctx context.Context, q db.Querier, userID uuid.UUID) (string, error) {
	token := auth.NewToken()
	_, err := q.Exec(ctx, `INSERT INTO known_devices (token_hash, user_id) VALUES ($1, $2)`, auth.HashToken(token), userID)
	return token, err
}

// IsKnownDevice reports whether token is a device cookie of the account with
// this email.
func IsKnownDevice(ctx context.Context, q db.Querier, token, email string) (bool, error) {
	if token == "" {
		return false, nil
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM known_devices d JOIN users u ON u.id = d.user_id
		WHERE d.token_hash = $1 AND u.email = $2)`, auth.HashToken(token), email).Scan(&ok)
	return ok, err
}
