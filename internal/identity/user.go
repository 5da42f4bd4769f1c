// Package identity keeps people (users, global across firms) and what proves
// who they are: password hashes, sessions, reset tokens, known devices,
// recovery codes and the login-attempt record that rate limits sign-in.
package identity

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// User is a person. Email is stored lower-cased and unique.
type User struct {
	ID            uuid.UUID
	Email         string
	Name          string
	PasswordHash  string
	TOTPSecret    string
	TOTPPending   string
	TOTPEnabledAt *time.Time
	TOTPLastStep  int64
	DisabledAt    *time.Time
	CreatedAt     time.Time
}

// HasTOTP reports whether two-factor sign-in is on.
func (u User) HasTOTP() bool { return u.TOTPEnabledAt != nil && u.TOTPSecret != "" }

// NormalizeEmail trims and lower-cases an address and checks it parses. It
// returns an EInvalid error for the "email" field otherwise.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", apperr.Invalid(map[string]string{"email": "Enter your email address."})
	}
	a, err := mail.ParseAddress(s)
	// net/mail takes any non-ASCII rune as an atom character, so it
	// accepts e.g. "a\u00a0b@x.com"; refuse invisible characters.
	if err != nil || strings.IndexFunc(s, invisible) >= 0 || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		return "", apperr.Invalid(map[string]string{"email": "Enter an email address like name@firm.com."})
	}
	return s, nil
}

// invisible reports whitespace, control and format (zero-width, bidi,
// byte order mark) characters.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

const userCols = `id, email, name, coalesce(password_hash, ''), coalesce(totp_secret, ''),
	coalesce(totp_pending_secret, ''), totp_enabled_at, totp_last_step, disabled_at, created_at`

// scanUser scans userCols, then any extra columns into extra.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.TOTPSecret, &u.TOTPPending,
		&u.TOTPEnabledAt, &u.TOTPLastStep, &u.DisabledAt, &u.CreatedAt}, extra...)...)
	return u, err
}

// UserByEmail finds a person by (normalised) email. ENotFound when none.
func UserByEmail(ctx context.Context, q db.Querier, email string) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email))))
	if db.IsNoRows(err) {
		return User{}, apperr.NotFound("User")
	}
	return u, err
}

// UserByID finds a person by id. ENotFound when none.
func UserByID(ctx context.Context, q db.Querier, id uuid.UUID) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if db.IsNoRows(err) {
		return User{}, apperr.NotFound("User")
	}
	return u, err
}

// CreateUser adds a person with an already hashed password (may be empty for
// an invited person who has not set one). A taken email is EConflict on the
// "email" field.
func CreateUser(ctx context.Context, q db.Querier, email, name, passwordHash string) (User, error) {
	var ph *string
	if passwordHash != "" {
		ph = &passwordHash
	}
	u, err := scanUser(q.QueryRow(ctx,
		`INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING `+userCols,
		email, strings.TrimSpace(name), ph))
	if db.IsUniqueViolation(err, "users_email_key") {
		return User{}, &apperr.Error{Code: apperr.EConflict, Message: "An account with this email already exists.",
			Fields: map[string]string{"email": "An account with this email already exists. Sign in instead."}}
	}
	return u, err
}

// SetPassword stores a new password hash.
func SetPassword(ctx context.Context, q db.Querier, userID uuid.UUID, hash string) error {
	_, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash)
	return err
}

// SetName changes a person's display name.
func SetName(ctx context.Context, q db.Querier, userID uuid.UUID, name string) error {
	_, err := q.Exec(ctx, `UPDATE users SET name = $2, updated_at = now() WHERE id = $1`, userID, strings.TrimSpace(name))
	return err
}

// SetDisabled disables (or re-enables) a person's sign-in everywhere.
func SetDisabled(ctx context.Context, q db.Querier, userID uuid.UUID, disabled bool) error {
	_, err := q.Exec(ctx, `UPDATE users SET disabled_at = CASE WHEN $2 THEN now() END, updated_at = now() WHERE id = $1`, userID, disabled)
	return err
}
