package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/db"
)

// CleanupInterval is how often the cleanup job runs (and once at start).
const CleanupInterval = time.Hour

// CleanupArgs is the periodic cleanup job: delete expired rows from the
// global housekeeping tables.
type CleanupArgs struct{}

// Kind returns "cleanup".
func (CleanupArgs) Kind() string { return "cleanup" }

// InsertOpts: a failed run is simply retried a few times; the next hourly
// run catches up anyway.
func (CleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3}
}

func cleanupPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(
		river.PeriodicInterval(CleanupInterval),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
		&river.PeriodicJobOpts{ID: "cleanup", RunOnStart: true},
	)
}

// cleanupStatements are run in order, each on its own (a long DELETE on one
// table does not hold locks on the others). All tables are global (no RLS)
// and allyway_app has DELETE on them.
var cleanupStatements = []struct{ name, sql string }{
	{"sessions", `DELETE FROM sessions WHERE expiry < now()`},
	// Rows whose scs session is gone. The grace period covers a login that
	// has written user_sessions but whose session row scs saves only at the
	// end of the request.
	{"user_sessions", `DELETE FROM user_sessions us
		WHERE us.created_at < now() - interval '1 hour'
		  AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.token = us.token)`},
	{"login_attempts", `DELETE FROM login_attempts WHERE at < now() - interval '24 hours'`},
	{"password_resets", `DELETE FROM password_resets WHERE expires_at < now() - interval '1 day'`},
	{"email_outbox", `DELETE FROM email_outbox WHERE sent_at < now() - interval '30 days'`},
}

// CleanupWorker runs cleanupStatements.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	Pool   *pgxpool.Pool
	Logger *slog.Logger // nil means slog.Default()
}

// Work deletes expired rows. A failing statement does not stop the others;
// their errors are returned together.
func (w *CleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	if w.Pool == nil {
		return errors.New("jobs: CleanupWorker has no Pool")
	}
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	deleted := make(map[string]int64, len(cleanupStatements))
	var errs []error
	for _, st := range cleanupStatements {
		tag, err := w.Pool.Exec(ctx, st.sql)
		if err != nil {
			errs = append(errs, fmt.Errorf("cleanup %s: %w", st.name, err))
			continue
		}
		deleted[st.name] = tag.RowsAffected()
	}
	attrs := make([]any, 0, len(deleted)+1)
	for _, st := range cleanupStatements {
		if n, ok := deleted[st.name]; ok {
			attrs = append(attrs, slog.Int64(st.name, n))
		}
	}
	if n, err := expireIdempotencyKeys(ctx, db.New(w.Pool)); err != nil {
		errs = append(errs, fmt.Errorf("cleanup api_idempotency: %w", err))
	} else {
		attrs = append(attrs, slog.Int64("api_idempotency", n))
	}
	logger.InfoContext(ctx, "cleanup: deleted expired rows", attrs...)
	return errors.Join(errs...)
}

// expireIdempotencyKeys deletes the API's remembered responses older than a
// day (a replay after that answers from the resource itself). The table is
// under Row-Level Security, so it goes firm by firm, each in its own scope.
func expireIdempotencyKeys(ctx context.Context, d *db.DB) (int64, error) {
	firms, err := d.FirmIDs(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	var errs []error
	for _, id := range firms {
		err := d.InTenant(ctx, id, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE tenant_id = $1 AND created_at < now() - interval '24 hours'`, id)
			total += tag.RowsAffected()
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}
