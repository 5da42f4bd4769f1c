package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

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

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func countRows(t *testing.T, q notify.Querier, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, q.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// TestOutboxEndToEnd: a committed Outbox.Send is delivered by a working
// River client over real SMTP and the row is marked sent; a rolled-back one
// leaves no row, no job and no mail. Everything runs as allyway_app.
func TestOutboxEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	app := newAppPool(t)
	srv := newTestSMTPServer(t, "", "")
	mailer, err := notify.NewSMTPMailer("smtp://"+srv.Addr+"?tls=none", testFrom)
	require.NoError(t, err)

	// Web side: an insert-only client enqueues.
	inserter, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: testLogger(t)}, false)
	require.NoError(t, err)
	outbox := notify.NewOutbox(inserter)

	// Rolled back first: nothing may come of it.
	tx, err := app.Begin(ctx)
	require.NoError(t, err)
	rolledBack, err := outbox.Send(ctx, tx, notify.Email{To: "ghost@example.com", Subject: "never", Text: "never sent"})
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.Zero(t, countRows(t, app, `SELECT count(*) FROM email_outbox`))
	require.Zero(t, countRows(t, app, `SELECT count(*) FROM river_job`))

	tx, err = app.Begin(ctx)
	require.NoError(t, err)
	id, err := outbox.Send(ctx, tx, notify.Email{
		To: "Ada <ada@example.com>", Subject: "Your invitation", Text: "Join us: https://x.example/i/1", HTML: "<a href=\"https://x.example/i/1\">Join</a>",
	})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, 1, countRows(t, app, `SELECT count(*) FROM river_job WHERE kind = 'send_email' AND max_attempts = 10`))

	// Worker side.
	worker, err := jobs.NewClient(jobs.Deps{Pool: app, Mailer: mailer, Logger: testLogger(t)}, true)
	require.NoError(t, err)
	require.NoError(t, worker.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, worker.Stop(ctx))
	})

	got := srv.Wait(t, 1, 10*time.Second)[0]
	require.Equal(t, []string{"ada@example.com"}, got.Rcpt)
	require.Equal(t, "Your invitation", got.Subject)
	require.Contains(t, got.Text, "https://x.example/i/1")
	require.Contains(t, got.HTML, "Join</a>")

	var msg notify.OutboxMessage
	require.Eventually(t, func() bool {
		msg, err = notify.GetOutbox(ctx, app, id)
		return err == nil && msg.SentAt != nil
	}, 10*time.Second, 50*time.Millisecond, "row never marked sent")
	require.Equal(t, "smtp", msg.Transport)
	require.Equal(t, 1, msg.Attempts)
	require.Empty(t, msg.LastError)
	require.Equal(t, "Ada <ada@example.com>", msg.To)

	_, err = notify.GetOutbox(ctx, app, rolledBack)
	require.ErrorIs(t, err, pgx.ErrNoRows)

	list, err := notify.ListOutbox(ctx, app, 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].ID)

	// Give a stray delivery of the rolled-back message a moment to show up.
	time.Sleep(200 * time.Millisecond)
	require.Len(t, srv.Messages(), 1)
}

type flakyMailer struct {
	fail  atomic.Int32 // fail this many more sends
	sends atomic.Int32
}

func (f *flakyMailer) Name() string { return "flaky" }
func (f *flakyMailer) Send(context.Context, notify.Email) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("451 try again later")
	}
	f.sends.Add(1)
	return nil
}

// TestSendEmailWorker drives the worker directly: a failure records the
// attempt and error and is returned (so River retries); a success marks the
// row sent; a re-run of a sent row sends nothing; a missing row cancels.
func TestSendEmailWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := newAppPool(t)
	inserter, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: testLogger(t)}, false)
	require.NoError(t, err)

	tx, err := app.Begin(ctx)
	require.NoError(t, err)
	id, err := notify.NewOutbox(inserter).Send(ctx, tx, notify.Email{To: "a@example.com", Subject: "s", Text: "t"})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	mailer := &flakyMailer{}
	mailer.fail.Store(1)
	w := notify.NewSendEmailWorker(app, mailer)
	job := &river.Job[notify.SendEmailArgs]{JobRow: &rivertype.JobRow{}, Args: notify.SendEmailArgs{OutboxID: id}}

	err = w.Work(ctx, job)
	require.ErrorContains(t, err, "451 try again later")
	msg, err := notify.GetOutbox(ctx, app, id)
	require.NoError(t, err)
	require.Nil(t, msg.SentAt)
	require.Equal(t, 1, msg.Attempts)
	require.Equal(t, "451 try again later", msg.LastError)

	require.NoError(t, w.Work(ctx, job))
	msg, err = notify.GetOutbox(ctx, app, id)
	require.NoError(t, err)
	require.NotNil(t, msg.SentAt)
	require.Equal(t, 2, msg.Attempts)
	require.Equal(t, "flaky", msg.Transport)
	require.EqualValues(t, 1, mailer.sends.Load())

	// Retry after success (e.g. the job was rescued): no second send.
	require.NoError(t, w.Work(ctx, job))
	require.EqualValues(t, 1, mailer.sends.Load())

	// Unknown row: cancelled, not retried.
	err = w.Work(ctx, &river.Job[notify.SendEmailArgs]{JobRow: &rivertype.JobRow{}, Args: notify.SendEmailArgs{OutboxID: uuid.New()}})
	var cancelErr *river.JobCancelError
	require.ErrorAs(t, err, &cancelErr)
}
