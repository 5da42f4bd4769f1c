package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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

// The periodic accrual. Every AccruePeriodicInterval the leader inserts one
// job that, for every firm, first retries the payments flagged with no
// agreement whose partner now has an agreement version in force on the
// referral's day (RetryableNoAgreement: one query; Reaccrue in chunks),
// then accrues what is pending (HasPending first: an index probe, so idle
// firms cost one query each). A payment recorded without an accrual job
// (a crash between commit and enqueue, a failed job out of retries) is
// accrued within the interval.

// AccruePeriodicInterval is how often the periodic accrual runs.
const AccruePeriodicInterval = 10 * time.Minute

// reaccrueChunk is how many flagged events one Reaccrue transaction takes.
const reaccrueChunk = 500

// AccruePeriodicArgs is the periodic accrual job.
type AccruePeriodicArgs struct{}

// Kind returns "ledger_accrue_periodic".
func (AccruePeriodicArgs) Kind() string { return "ledger_accrue_periodic" }

// InsertOpts: retried twice; the next run catches up anyway.
func (AccruePeriodicArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// AccruePeriodicJob schedules the periodic accrual every
// AccruePeriodicInterval (and at start).
func AccruePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(AccruePeriodicInterval),
		func() (river.JobArgs, *river.InsertOpts) { return AccruePeriodicArgs{}, nil },
		&river.PeriodicJobOpts{ID: "ledger_accrue_periodic", RunOnStart: true})
}

// AccruePeriodicWorker runs the periodic accrual for every firm.
type AccruePeriodicWorker struct {
	river.WorkerDefaults[AccruePeriodicArgs]
	Pool   *pgxpool.Pool // the app-role pool
	Batch  int
	Now    func() time.Time
	Logger *slog.Logger
}

// NewAccruePeriodicWorker returns the periodic accrual worker.
func NewAccruePeriodicWorker(pool *pgxpool.Pool, logger *slog.Logger) *AccruePeriodicWorker {
	return &AccruePeriodicWorker{Pool: pool, Logger: logger}
}

// Timeout bounds one run.
func (w *AccruePeriodicWorker) Timeout(*river.Job[AccruePeriodicArgs]) time.Duration {
	return 30 * time.Minute
}

// Work runs the periodic accrual of every firm; a failing firm does not
// stop the others.
func (w *AccruePeriodicWorker) Work(ctx context.Context, _ *river.Job[AccruePeriodicArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	d := db.New(w.Pool)
	ids, err := d.FirmIDs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var total PeriodicResult
	for _, id := range ids {
		res, err := AccrueFirm(ctx, d, id, w.Batch, now)
		total.Retried += res.Retried
		total.StillUnresolved += res.StillUnresolved
		total.Accrual.add(res.Accrual)
		if err != nil {
			errs = append(errs, fmt.Errorf("ledger: periodic accrual of %s: %w", id, err))
		}
	}
	if w.Logger != nil && (total.Accrual.Events > 0 || total.Retried > 0) {
		w.Logger.InfoContext(ctx, "ledger periodic accrual", "events", total.Accrual.Events, "entries", total.Accrual.Entries,
			"retried", total.Retried, "still_unresolved", total.StillUnresolved, "no_agreement", total.Accrual.NoAgreement)
	}
	return errors.Join(errs...)
}

// PeriodicResult says what AccrueFirm did.
type PeriodicResult struct {
	Retried         int // flagged events set back to pending
	StillUnresolved int // of those, still without an agreement in force
	Accrual         Stats
}

// AccrueFirm is the periodic accrual of one firm: flagged events whose
// partner now has an agreement in force are accrued again, then the
// pending ones are accrued (see AccruePending; batch ≤ 0: DefaultBatch).
// Each step commits on its own: stopped midway, the next run finishes.
func AccrueFirm(ctx context.Context, d *db.DB, tenantID uuid.UUID, batch int, now time.Time) (PeriodicResult, error) {
	var res PeriodicResult
	var retry []uuid.UUID
	var pending bool
	if err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if pending, err = HasPending(ctx, tx, tenantID); err != nil {
			return err
		}
		retry, err = RetryableNoAgreement(ctx, tx, tenantID, 100*reaccrueChunk)
		return err
	}); err != nil {
		return res, err
	}
	for start := 0; start < len(retry); start += reaccrueChunk {
		chunk := retry[start:min(start+reaccrueChunk, len(retry))]
		var r ReaccrueResult
		if err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
			r, err = Reaccrue(ctx, tx, tenantID, chunk, now)
			return err
		}); err != nil {
			return res, err
		}
		res.Retried += r.Retried
		res.StillUnresolved += r.StillUnresolved
		res.Accrual.add(r.Accrual)
	}
	if !pending {
		return res, nil
	}
	st, err := AccruePending(ctx, d, tenantID, batch, now)
	res.Accrual.add(st)
	return res, err
}
