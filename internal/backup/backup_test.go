package backup_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/backup"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// withDatabase returns dbURL pointing at database name instead.
func withDatabase(t *testing.T, dbURL, name string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// TestDemoRoundTrip: the demo data, dumped with pg_dump -Fc and restored
// with pg_restore into a fresh database, comes back identical — every
// table's row count and the checksum of its rows — and the app role can
// work in the restored database under Row-Level Security.
func TestDemoRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, src.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	_, err = seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://localhost:8080")
	require.NoError(t, err)
	owner, err := pgxpool.New(ctx, src.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)

	var versionNum int
	require.NoError(t, owner.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&versionNum))
	major := versionNum / 10000
	pgDump, err := backup.FindTool("pg_dump", major)
	if errors.Is(err, backup.ErrNoTool) {
		t.Skipf("no backup test: %v", err)
	}
	require.NoError(t, err)
	pgRestore, err := backup.FindTool("pg_restore", major)
	if errors.Is(err, backup.ErrNoTool) {
		t.Skipf("no backup test: %v", err)
	}
	require.NoError(t, err)
	t.Logf("server %d; %s, %s", major, pgDump, pgRestore)

	before, err := backup.Summarize(ctx, owner)
	require.NoError(t, err)
	var demoRows int64
	for _, s := range before {
		demoRows += s.Rows
	}
	require.Greater(t, demoRows, int64(1000), "the demo seeded too little to be a test")

	file := filepath.Join(t.TempDir(), "allyway.dump")
	require.NoError(t, backup.Dump(ctx, pgDump, src.OwnerURL, file))
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(10_000))

	// A fresh, empty database owned by the owner role, as docs/operations.md
	// says to create one.
	admin, err := pgx.Connect(ctx, testdb.ServerURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	name := fmt.Sprintf("allyway_restore_%x", uuid.New().ID())
	_, err = admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` OWNER `+pgx.Identifier{testdb.OwnerRole}.Sanitize())
	require.NoError(t, err)
	restoredURL := withDatabase(t, src.OwnerURL, name)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	})

	require.NoError(t, backup.Restore(ctx, pgRestore, restoredURL, file, false))
	restored, err := pgxpool.New(ctx, restoredURL)
	require.NoError(t, err)
	t.Cleanup(restored.Close)
	after, err := backup.Summarize(ctx, restored)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after), "tables")
	for i := range before {
		require.Equal(t, before[i], after[i], "table %s", before[i].Table)
	}

	// The app role works in the restored database: it sees a firm's rows
	// only inside that firm's scope, and writes under RLS.
	restoredApp, err := pgxpool.New(ctx, withDatabase(t, src.AppURL, name))
	require.NoError(t, err)
	t.Cleanup(restoredApp.Close)
	var northwind uuid.UUID
	require.NoError(t, restored.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'northwind'`).Scan(&northwind))
	var unscoped, scoped int
	require.NoError(t, restoredApp.QueryRow(ctx, `SELECT count(*) FROM partners`).Scan(&unscoped))
	require.Zero(t, unscoped, "a missing tenant setting must mean no rows")
	require.NoError(t, db.New(restoredApp).InTenant(ctx, northwind, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM partners`).Scan(&scoped); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE partners SET updated_at = now() WHERE tenant_id = $1`, northwind)
		return err
	}))
	require.Positive(t, scoped)

	// A restore into a database that is not empty stops at the first error
	// and changes nothing.
	now, err := backup.Summarize(ctx, restored)
	require.NoError(t, err)
	err = backup.Restore(ctx, pgRestore, restoredURL, file, false)
	require.Error(t, err)
	again, err := backup.Summarize(ctx, restored)
	require.NoError(t, err)
	require.Equal(t, now, again)
}

// TestFindToolNamesWhatIsMissing: a tool that doesn't exist is reported by
// name with the version wanted.
func TestFindToolNamesWhatIsMissing(t *testing.T) {
	_, err := backup.FindTool("pg_nonexistent_tool", 15)
	require.ErrorIs(t, err, backup.ErrNoTool)
	require.ErrorContains(t, err, "pg_nonexistent_tool for PostgreSQL 15 or newer")
	_, err = backup.FindTool("pg_dump", 999)
	require.ErrorIs(t, err, backup.ErrNoTool)
}

func TestArgs(t *testing.T) {
	require.Equal(t, []string{"--format=custom", "--file=/b/x.dump", "--no-password", "--dbname=postgres://u@h/d"},
		backup.DumpArgs("postgres://u@h/d", "/b/x.dump"))
	require.Equal(t, []string{"--exit-on-error", "--single-transaction", "--no-password", "--dbname=postgres://u@h/d", "--no-owner", "/b/x.dump"},
		backup.RestoreArgs("postgres://u@h/d", "/b/x.dump", true))
}
