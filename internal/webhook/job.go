package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// Queue is the River queue webhook jobs run on, apart from the others, so
// slow receivers never hold up emails or accruals.
const Queue = "webhooks"

// QueueWorkers is how many webhook runs one process works at once.
const QueueWorkers = 2

// DeliverInterval is how often the delivery job runs (and once at start):
// events reach receivers within seconds. "Send test event" and
// "Redeliver" enqueue a run at once.
const DeliverInterval = 10 * time.Second

// RunBudget stops a run from starting new deliveries after this long; the
// next run carries on.
const RunBudget = 90 * time.Second

// DeliverArgs runs the Deliverer over every firm; Prune instead deletes
// old events (the daily run).
type DeliverArgs struct {
	Prune bool `json:"prune,omitempty"`
}

// Kind returns "webhook_deliver".
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// InsertOpts: on the webhooks queue; a failed run is not retried (the next
// one is seconds away, and deliveries keep their own retry schedule).
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1}
}

// DeliverPeriodicJob runs the delivery every DeliverInterval.
func DeliverPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(DeliverInterval),
		func() (river.JobArgs, *river.InsertOpts) { return DeliverArgs{}, nil },
		&river.PeriodicJobOpts{ID: "webhook_deliver", RunOnStart: true})
}

// PrunePeriodicJob deletes old events daily at 04:30 UTC.
func PrunePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(dailyAt{4, 30},
		func() (river.JobArgs, *river.InsertOpts) { return DeliverArgs{Prune: true}, nil },
		&river.PeriodicJobOpts{ID: "webhook_prune"})
}

type dailyAt struct{ hour, minute int }

func (a dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), a.hour, a.minute, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Worker runs DeliverArgs.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	Pool    *pgxpool.Pool // the app-role pool
	Guard   Guard
	BaseURL string // for the link in the disabling email
	Logger  *slog.Logger

	mu sync.Mutex
	d  *Deliverer
}

// NewWorker returns the webhook worker; allowPrivate is the config setting.
func NewWorker(pool *pgxpool.Pool, allowPrivate bool, baseURL string, logger *slog.Logger) *Worker {
	return &Worker{Pool: pool, Guard: Guard{AllowPrivate: allowPrivate}, BaseURL: baseURL, Logger: logger}
}

// Timeout bounds a run: its budget, an attempt, and the bookkeeping.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return RunBudget + 2*DefaultTimeout + 30*time.Second
}

// deliverer is shared by the runs of one process (its HTTP client keeps
// connections to receivers alive between runs).
func (w *Worker) deliverer(outbox *notify.Outbox) *Deliverer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.d == nil {
		w.d = &Deliverer{DB: db.New(w.Pool), Outbox: outbox, Guard: w.Guard, BaseURL: w.BaseURL, Logger: w.Logger, Budget: RunBudget}
	}
	return w.d
}

// Work delivers (or prunes).
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if w.Pool == nil {
		return errors.New("webhook: Worker has no Pool")
	}
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if job.Args.Prune {
		return w.prune(ctx, logger)
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := w.deliverer(notify.NewOutbox(client)).Run(ctx)
	if res != (Result{}) || err != nil {
		logger.InfoContext(ctx, "webhooks", slog.Int("dispatched", res.Dispatched), slog.Int("delivered", res.Delivered),
			slog.Int("failed", res.Failed), slog.Int("disabled", res.Disabled), slog.Duration("took", time.Since(start)), slog.Any("err", err))
	}
	return err
}

func (w *Worker) prune(ctx context.Context, logger *slog.Logger) error {
	d := db.New(w.Pool)
	ids, err := d.FirmIDs(ctx)
	if err != nil {
		return err
	}
	var total int64
	var errs []error
	for _, id := range ids {
		err := d.InTenant(ctx, id, func(tx pgx.Tx) error {
			n, err := Prune(ctx, tx, id, time.Now())
			total += n
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook: prune %s: %w", id, err))
		}
	}
	if total > 0 {
		logger.InfoContext(ctx, "webhook events pruned", slog.Int64("events", total))
	}
	return errors.Join(errs...)
}
