package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newAppPool returns a pool on a fresh, fully migrated database (testdb.New)
// that logs in as allyway_app with its password, like the application.
func newAppPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	return openPool(t, tdb.AppURL)
}

func openPool(t *testing.T, u string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func count(t *testing.T, q *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	require.NoError(t, q.QueryRow(context.Background(), sql).Scan(&n))
	return n
}

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	_, err := jobs.NewClient(jobs.Deps{}, false)
	require.Error(t, err)
}

// TestMigrateDownUpAndGrantIdempotent: on an empty database, River's schema
// goes on, off and on again, GrantApp may run any number of times, and
// afterwards allyway_app (logged in with its own password) can insert jobs
// through an insert-only client.
func TestMigrateDownUpAndGrantIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A migrated test database first: building its template creates
	// allyway_app with testdb.AppPassword (roles are server-wide), and its
	// AppURL gives the app's credentials for the empty database below.
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	name := emptyDatabase(t)
	owner := openPool(t, withDatabase(t, testdb.ServerURL(t), name))

	require.NoError(t, jobs.Migrate(ctx, owner, true))
	require.NotZero(t, count(t, owner, `SELECT count(*) FROM pg_class WHERE relname LIKE 'river\_%'`))
	require.NoError(t, jobs.Migrate(ctx, owner, false))
	require.Zero(t, count(t, owner, `SELECT count(*) FROM pg_class WHERE relname LIKE 'river\_%'`))
	require.Error(t, jobs.GrantApp(ctx, owner, testdb.AppRole), "no river tables to grant on")

	require.NoError(t, jobs.Migrate(ctx, owner, true))
	require.NoError(t, jobs.Migrate(ctx, owner, true)) // already at latest
	require.NoError(t, jobs.GrantApp(ctx, owner, testdb.AppRole))
	require.NoError(t, jobs.GrantApp(ctx, owner, testdb.AppRole))

	app := openPool(t, withDatabase(t, tdb.AppURL, name))
	var user string
	require.NoError(t, app.QueryRow(ctx, `SELECT current_user`).Scan(&user))
	require.Equal(t, testdb.AppRole, user)

	client, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: testLogger(t)}, false)
	require.NoError(t, err)
	tx, err := app.Begin(ctx)
	require.NoError(t, err)
	_, err = client.InsertTx(ctx, tx, jobs.CleanupArgs{}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, 1, count(t, app, `SELECT count(*) FROM river_job WHERE kind = 'cleanup'`))

	// The app role owns nothing: it cannot, for example, drop River's table.
	_, err = app.Exec(ctx, `DROP TABLE river_job`)
	require.Error(t, err)
}

func TestCleanupWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := newAppPool(t)

	seed := []string{
		`INSERT INTO users (id, email, name) VALUES
			('00000000-0000-0000-0000-000000000001', 'a@example.com', 'A')`,
		`INSERT INTO sessions (token, data, expiry) VALUES
			('expired', '\x00', now() - interval '1 minute'),
			('live',    '\x00', now() + interval '1 hour')`,
		`INSERT INTO user_sessions (token, user_id, created_at) VALUES
			('expired', '00000000-0000-0000-0000-000000000001', now() - interval '2 hours'),
			('live',    '00000000-0000-0000-0000-000000000001', now() - interval '2 hours'),
			('orphan',  '00000000-0000-0000-0000-000000000001', now() - interval '2 hours'),
			('fresh',   '00000000-0000-0000-0000-000000000001', now())`,
		`INSERT INTO login_attempts (email, ip, success, at) VALUES
			('old', '1.2.3.4', false, now() - interval '25 hours'),
			('new', '1.2.3.4', false, now() - interval '23 hours')`,
		`INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES
			('\x01', '00000000-0000-0000-0000-000000000001', now() - interval '25 hours'),
			('\x02', '00000000-0000-0000-0000-000000000001', now() - interval '1 hour'),
			('\x03', '00000000-0000-0000-0000-000000000001', now() + interval '1 hour')`,
		`INSERT INTO email_outbox (to_addr, subject, text_body, created_at, sent_at) VALUES
			('old-sent@example.com',   's', 't', now() - interval '40 days', now() - interval '31 days'),
			('new-sent@example.com',   's', 't', now() - interval '2 days',  now() - interval '1 day'),
			('old-unsent@example.com', 's', 't', now() - interval '40 days', NULL)`,
	}
	for _, s := range seed {
		_, err := app.Exec(ctx, s)
		require.NoError(t, err, s)
	}
	// API idempotency keys live under Row-Level Security: written in the
	// firm's scope, expired after 24 hours by the same job.
	firm := uuid.New()
	require.NoError(t, db.New(app).InTenant(ctx, firm, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, 'cleanup-firm', 'Cleanup')`, firm); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_idempotency (tenant_id, key, method, path, request_hash, status, body, created_at) VALUES
			($1, 'old', 'POST', '/api/v1/partners', '\x00', 201, '{}', now() - interval '25 hours'),
			($1, 'new', 'POST', '/api/v1/partners', '\x00', 201, '{}', now() - interval '1 hour')`, firm)
		return err
	}))

	w := &jobs.CleanupWorker{Pool: app, Logger: testLogger(t)}
	require.NoError(t, w.Work(ctx, &river.Job[jobs.CleanupArgs]{JobRow: &rivertype.JobRow{}}))

	strs := func(sql string) []string {
		rows, err := app.Query(ctx, sql)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}
	require.Equal(t, []string{"live"}, strs(`SELECT token FROM sessions ORDER BY 1`))
	// "fresh" has no session yet but is inside the grace period.
	require.Equal(t, []string{"fresh", "live"}, strs(`SELECT token FROM user_sessions ORDER BY 1`))
	require.Equal(t, []string{"new"}, strs(`SELECT email FROM login_attempts ORDER BY 1`))
	require.Equal(t, []string{`\x02`, `\x03`}, strs(`SELECT token_hash::text FROM password_resets ORDER BY 1`))
	require.Equal(t, []string{"new-sent@example.com", "old-unsent@example.com"}, strs(`SELECT to_addr FROM email_outbox ORDER BY 1`))
	var keys []string
	require.NoError(t, db.New(app).InTenant(ctx, firm, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT key FROM api_idempotency ORDER BY 1`)
		if err != nil {
			return err
		}
		keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	require.Equal(t, []string{"new"}, keys)
}

// TestWorkingClientRunsCleanupOnStart: a working client, as allyway_app,
// elects itself leader, inserts the periodic cleanup job at start and
// completes it — which exercises River's run-time privileges.
func TestWorkingClientRunsCleanupOnStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app := newAppPool(t)

	_, err := app.Exec(ctx, `INSERT INTO login_attempts (email, ip, success, at)
		VALUES ('old', '1.2.3.4', false, now() - interval '2 days')`)
	require.NoError(t, err)

	client, err := jobs.NewClient(jobs.Deps{Pool: app, Mailer: notify.LogMailer{Logger: testLogger(t)}, Logger: testLogger(t)}, true)
	require.NoError(t, err)
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancelSub()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(ctx))
	})

	select {
	case ev := <-events:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job %s: %v", ev.Job.Kind, ev.Job.Errors)
		require.Equal(t, "cleanup", ev.Job.Kind)
	case <-time.After(15 * time.Second):
		t.Fatal("cleanup did not run on start")
	}
	require.Zero(t, count(t, app, `SELECT count(*) FROM login_attempts`))
}

// emptyDatabase creates a database with nothing in it on the test server,
// dropped at the end of the test, and returns its name.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	serverURL := testdb.ServerURL(t)
	admin, err := pgx.Connect(ctx, serverURL)
	require.NoError(t, err)
	defer admin.Close(ctx)
	name := fmt.Sprintf("allyway_jobs_empty_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// withDatabase returns the connection URL u pointed at database name.
func withDatabase(t *testing.T, u, name string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	parsed.Path, parsed.RawPath = "/"+name, ""
	return parsed.String()
}
