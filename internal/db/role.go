package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the login role the application serves requests as. It owns
// nothing and has neither SUPERUSER nor BYPASSRLS, so Row-Level Security
// always applies to it. Migrations grant it exactly what it may do.
const AppRole = "allyway_app"

// AppRolePassword derives the application role's password from the owner's
// connection URL, so every process given the same owner URL agrees on it
// without storing anything, and nobody without the owner's password can
// compute it. In production, give APP_DATABASE_URL explicitly instead.
func AppRolePassword(ownerURL string) string {
	pw := ""
	if u, err := url.Parse(ownerURL); err == nil && u.User != nil {
		pw, _ = u.User.Password()
		pw = u.User.Username() + ":" + pw + "@" + u.Host
	}
	sum := sha256.Sum256([]byte("allyway-app-role/v1/" + pw))
	return hex.EncodeToString(sum[:16])
}

// AppURL returns ownerURL with the user and password replaced by the
// application role's.
func AppURL(ownerURL, password string) (string, error) {
	if _, err := pgconn.ParseConfig(ownerURL); err != nil {
		return "", fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	u, err := url.Parse(ownerURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Keyword/value DSN: later keys override earlier ones.
		return ownerURL + fmt.Sprintf(" user=%s password=%s", AppRole, password), nil
	}
	u.User = url.UserPassword(AppRole, password)
	return u.String(), nil
}

// RoleSetup says how `migrate up` treats the application role.
type RoleSetup struct {
	// Password is set when the role is created.
	Password string
	// ResetPassword also sets Password on an existing role. True when the
	// password is derived from the owner's (development, tests); false when
	// an operator created the role and gave APP_DATABASE_URL: their
	// password is left alone.
	ResetPassword bool
}

// EnsureAppRole creates the application role when it is missing (a login
// role with no power to bypass RLS) and, with ResetPassword, sets its
// password. An existing role that is a superuser or has BYPASSRLS is refused:
// isolation must not depend on the app being careful. Creating or altering a
// role needs an owner that may (a superuser or CREATEROLE); when it may not,
// the error says how to create the role by hand.
func EnsureAppRole(ctx context.Context, owner *pgxpool.Pool, rs RoleSetup) error {
	var exists, super, bypass bool
	err := owner.QueryRow(ctx, `SELECT count(*) > 0, coalesce(bool_or(rolsuper), false), coalesce(bool_or(rolbypassrls), false)
		FROM pg_roles WHERE rolname = $1`, AppRole).Scan(&exists, &super, &bypass)
	if err != nil {
		return fmt.Errorf("db: look up role %s: %w", AppRole, err)
	}
	if exists && (super || bypass) {
		return fmt.Errorf("db: role %s is a superuser or has BYPASSRLS; it must not (ALTER ROLE %s NOSUPERUSER NOBYPASSRLS)", AppRole, AppRole)
	}
	var stmt string
	switch {
	case !exists && rs.Password == "":
		return fmt.Errorf("db: role %s does not exist; create it (CREATE ROLE %s LOGIN PASSWORD '…' NOSUPERUSER NOBYPASSRLS) "+
			"and give its URL as APP_DATABASE_URL", AppRole, AppRole)
	case !exists:
		stmt = fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`, AppRole, quoteLiteral(rs.Password))
	case rs.ResetPassword:
		stmt = fmt.Sprintf(`ALTER ROLE %s PASSWORD %s`, AppRole, quoteLiteral(rs.Password))
	default:
		return nil
	}
	// Two processes setting up at once (test packages in parallel) may
	// collide on the role's catalog row: "tuple concurrently updated" is
	// retried, the statement is idempotent.
	for try := 0; ; try++ {
		_, err = owner.Exec(ctx, stmt)
		var pe *pgconn.PgError
		if try < 5 && errors.As(err, &pe) && pe.Code == "XX000" && strings.Contains(pe.Message, "concurrently") {
			time.Sleep(time.Duration(20*(try+1)) * time.Millisecond)
			continue
		}
		break
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "42710", "23505": // created concurrently by another process
			return nil
		case "42501":
			return fmt.Errorf("db: the DATABASE_URL role may not create or alter role %s (%s); "+
				"create it yourself (CREATE ROLE %s LOGIN PASSWORD '…' NOSUPERUSER NOBYPASSRLS) "+
				"and set APP_DATABASE_URL to connect as it", AppRole, pe.Message, AppRole)
		}
	}
	if err != nil {
		return fmt.Errorf("db: ensure role %s: %w", AppRole, err)
	}
	return nil
}

// PasswordOf returns the password in a connection URL ("" when none).
func PasswordOf(connURL string) string {
	cfg, err := pgconn.ParseConfig(connURL)
	if err != nil {
		return ""
	}
	return cfg.Password
}

func quoteLiteral(s string) string {
	return "'" + pgxQuote(s) + "'"
}

func pgxQuote(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Connect opens a pool and checks it answers.
func Connect(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect to %s as %s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.User, err)
	}
	return pool, nil
}
