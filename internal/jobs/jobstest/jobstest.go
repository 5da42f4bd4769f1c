// Package jobstest gives tests of jobs and their workers a throwaway
// database with River's tables and the application's real migrations.
//
// TODO(lead): switch to testdb.New when available. This is the fallback the
// brief allowed while internal/testdb did not exist yet. It follows
// schema.Up's order (role, River, River grants, goose) but does not call it:
// schema.Up's EnsureAppRole resets the role's password, which could break
// other packages' tests running at the same time with another password. The
// app pool instead connects as the owner and runs SET ROLE allyway_app.
package jobstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/migrations"
)

// AppRole is the restricted role the application connects as.
const AppRole = "allyway_app"

// DefaultURL is used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DB is a throwaway database, dropped when the test ends.
type DB struct {
	Name  string
	Owner *pgxpool.Pool // the database owner (a superuser from TEST_DATABASE_URL)
	App   *pgxpool.Pool // every connection runs as AppRole (SET ROLE)
}

// New creates a database, ensures AppRole exists, migrates River
// (jobs.Migrate), grants AppRole River's tables (jobs.GrantApp) and applies
// the embedded migrations (migrations.FS) with goose — schema.Up's order.
// It fails the test when Postgres cannot be reached.
func New(t testing.TB) DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	baseURL := os.Getenv("TEST_DATABASE_URL")
	if baseURL == "" {
		baseURL = DefaultURL
	}
	admin, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		t.Fatalf("jobstest: connect to %s (set TEST_DATABASE_URL): %v", redact(baseURL), err)
	}
	defer admin.Close(ctx)

	// The role is cluster-wide; parallel tests may race to create it.
	_, err = admin.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+AppRole+`') THEN
			CREATE ROLE `+AppRole+` LOGIN PASSWORD 'x' NOSUPERUSER NOBYPASSRLS;
		END IF; END $$`)
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505")) {
		t.Fatalf("jobstest: create role: %v", err)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "allyway_jobstest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("jobstest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			t.Errorf("jobstest: drop database: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("jobstest: drop database: %v", err)
		}
	})

	cfg, err := pgxpool.ParseConfig(baseURL)
	if err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	cfg.ConnConfig.Database = name
	owner, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		t.Fatalf("jobstest: owner pool: %v", err)
	}
	t.Cleanup(owner.Close)

	if err := jobs.Migrate(ctx, owner, true); err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	if err := jobs.GrantApp(ctx, owner, AppRole); err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	sqlDB := stdlib.OpenDBFromPool(owner)
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		t.Fatalf("jobstest: goose: %v", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("jobstest: goose up: %v", err)
	}

	appCfg := cfg.Copy()
	appCfg.MaxConns = 8
	appCfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SET ROLE `+AppRole)
		return err
	}
	app, err := pgxpool.NewWithConfig(ctx, appCfg)
	if err != nil {
		t.Fatalf("jobstest: app pool: %v", err)
	}
	t.Cleanup(app.Close)
	return DB{Name: name, Owner: owner, App: app}
}

func redact(u string) string {
	cfg, err := pgconn.ParseConfig(u)
	if err != nil {
		return "(unparseable URL)"
	}
	return cfg.User + "@" + cfg.Host
}
