package ledger

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/db"
)

// AccrueArgs asks for a firm's pending revenue events to be accrued.
// Enqueue it (notify.Outbox.Enqueue) in the transaction that records
// revenue. Jobs are not made unique: a job running while new revenue is
// recorded might miss it, and a second job for the same firm is harmless
// (pending events are locked with SKIP LOCKED and accrued once).
type AccrueArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind returns "ledger_accrue".
func (AccrueArgs) Kind() string { return "ledger_accrue" }

// InsertOpts: retried on failure.
func (AccrueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// AccrueWorker accrues a firm's pending events, a batch per transaction.
// Killed midway, the committed batches stay and the rest are still
// pending; run again, it finishes exactly as an uninterrupted run would.
type AccrueWorker struct {
	river.WorkerDefaults[AccrueArgs]
	Pool   *pgxpool.Pool // the app-role pool
	Batch  int
	Now    func() time.Time
	Logger *slog.Logger
}

// NewAccrueWorker returns the accrual worker.
func NewAccrueWorker(pool *pgxpool.Pool, logger *slog.Logger) *AccrueWorker {
	return &AccrueWorker{Pool: pool, Logger: logger}
}

// Timeout bounds one run.
func (w *AccrueWorker) Timeout(*river.Job[AccrueArgs]) time.Duration { return 30 * time.Minute }

// Work accrues the firm's pending events.
func (w *AccrueWorker) Work(ctx context.Context, job *river.Job[AccrueArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	st, err := AccruePending(ctx, db.New(w.Pool), job.Args.TenantID, w.Batch, now)
	if w.Logger != nil && st.Events > 0 {
		w.Logger.InfoContext(ctx, "ledger accrual", "tenant", job.Args.TenantID, "events", st.Events,
			"entries", st.Entries, "no_agreement", st.NoAgreement, "nothing_due", st.NothingDue)
	}
	return err
}
