package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

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

// EnsureAppRole creates the application role when it is missing and makes
// sure it can log in with password and has no power to bypass RLS. It needs
// an owner that may create roles (a superuser or CREATEROLE); when it may
// not, it says how to give APP_DATABASE_URL instead.
func EnsureAppRole(ctx context.Context, owner *pgxpool.Pool, password string) error {
	var exists bool
	if err := owner.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, AppRole).Scan(&exists); err != nil {
		return fmt.Errorf("db: look up role %s: %w", AppRole, err)
	}
	pw := quoteLiteral(password)
	stmt := fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`, AppRole, pw)
	if exists {
		stmt = fmt.Sprintf(`ALTER ROLE %s LOGIN PASSWORD %s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`, AppRole, pw)
	}
	_, err := owner.Exec(ctx, stmt)
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
