package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/jobs/jobstest"
	"github.com/allyway/allyway/internal/notify"
)

// TODO(lead): switch to testdb.New when available (jobstest is the fallback).

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func count(t *testing.T, db *jobstest.DB, sql string) int {
	t.Helper()
	var n int
	require.NoError(t, db.App.QueryRow(context.Background(), sql).Scan(&n))
	return n
}

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	_, err := jobs.NewClient(jobs.Deps{}, false)
	require.Error(t, err)
}

// TestMigrateDownUpAndGrantIdempotent: River's schema comes off and back on,
// GrantApp may run any number of times, and afterwards the app role can
// insert jobs through an insert-only client.
func TestMigrateDownUpAndGrantIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := jobstest.New(t)

	require.NoError(t, jobs.Migrate(ctx, db.Owner, false))
	var n int
	require.NoError(t, db.Owner.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE 'river\_%'`).Scan(&n))
	require.Zero(t, n)
	require.Error(t, jobs.GrantApp(ctx, db.Owner, jobstest.AppRole), "no river tables to grant on")

	require.NoError(t, jobs.Migrate(ctx, db.Owner, true))
	require.NoError(t, jobs.Migrate(ctx, db.Owner, true)) // already at latest
	require.NoError(t, jobs.GrantApp(ctx, db.Owner, jobstest.AppRole))
	require.NoError(t, jobs.GrantApp(ctx, db.Owner, jobstest.AppRole))

	client, err := jobs.NewClient(jobs.Deps{Pool: db.App, Logger: testLogger(t)}, false)
	require.NoError(t, err)
	tx, err := db.App.Begin(ctx)
	require.NoError(t, err)
	_, err = client.InsertTx(ctx, tx, jobs.CleanupArgs{}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, 1, count(t, &db, `SELECT count(*) FROM river_job WHERE kind = 'cleanup'`))

	// The app role owns nothing: it cannot, for example, drop River's table.
	_, err = db.App.Exec(ctx, `DROP TABLE river_job`)
	require.Error(t, err)
}

func TestCleanupWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := jobstest.New(t)

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
		_, err := db.App.Exec(ctx, s)
		require.NoError(t, err, s)
	}

	w := &jobs.CleanupWorker{Pool: db.App, Logger: testLogger(t)}
	require.NoError(t, w.Work(ctx, &river.Job[jobs.CleanupArgs]{JobRow: &rivertype.JobRow{}}))

	strs := func(sql string) []string {
		rows, err := db.App.Query(ctx, sql)
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
}

// TestWorkingClientRunsCleanupOnStart: a working client, as allyway_app,
// elects itself leader, inserts the periodic cleanup job at start and
// completes it — which exercises River's run-time privileges.
func TestWorkingClientRunsCleanupOnStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := jobstest.New(t)

	_, err := db.App.Exec(ctx, `INSERT INTO login_attempts (email, ip, success, at)
		VALUES ('old', '1.2.3.4', false, now() - interval '2 days')`)
	require.NoError(t, err)

	client, err := jobs.NewClient(jobs.Deps{Pool: db.App, Mailer: notify.LogMailer{Logger: testLogger(t)}, Logger: testLogger(t)}, true)
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
	require.Zero(t, count(t, &db, `SELECT count(*) FROM login_attempts`))
}
