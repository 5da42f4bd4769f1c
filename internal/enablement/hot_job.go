package enablement

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
	"github.com/allyway/allyway/internal/notify"
)

// HotEmailArgs is the monthly job that emails each firm's profile for Month
// (the first day, "2006-01-02") to its active partners, if written and not
// yet emailed. Profiles written after the job ran are sent from the page.
type HotEmailArgs struct {
	Month string `json:"month"`
}

// Kind returns "enablement_hot_profile_email".
func (HotEmailArgs) Kind() string { return "enablement_hot_profile_email" }

// InsertOpts: one job per month even if several leaders schedule it.
func (HotEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// monthlySchedule runs at 07:00 UTC on the first day of every month.
type monthlySchedule struct{}

func (monthlySchedule) Next(now time.Time) time.Time {
	now = now.UTC()
	at := time.Date(now.Year(), now.Month(), 1, 7, 0, 0, 0, time.UTC)
	if !at.After(now) {
		at = at.AddDate(0, 1, 0)
	}
	return at
}

// HotEmailPeriodicJob schedules HotEmailArgs for the month that begins.
func HotEmailPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(monthlySchedule{},
		func() (river.JobArgs, *river.InsertOpts) {
			return HotEmailArgs{Month: MonthOf(time.Now()).Format(time.DateOnly)}, nil
		},
		&river.PeriodicJobOpts{ID: "enablement_hot_profile_email"})
}

// HotEmailWorker sends the month's profiles.
type HotEmailWorker struct {
	river.WorkerDefaults[HotEmailArgs]
	Pool    *pgxpool.Pool
	BaseURL string         // for the portal link ("" for none)
	Outbox  *notify.Outbox // nil: the working River client's
	Logger  *slog.Logger   // nil: slog.Default()
}

// NewHotEmailWorker returns the worker on the app-role pool.
func NewHotEmailWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *HotEmailWorker {
	return &HotEmailWorker{Pool: pool, BaseURL: baseURL, Logger: logger}
}

// Work emails, firm by firm, the profile of the job's month that isn't
// emailed yet. A firm's failure doesn't stop the others; the job is retried
// and firms already done are skipped (their profile is marked emailed).
func (w *HotEmailWorker) Work(ctx context.Context, job *river.Job[HotEmailArgs]) error {
	month, err := time.Parse(time.DateOnly, job.Args.Month)
	if err != nil {
		return river.JobCancel(fmt.Errorf("enablement: bad month %q: %w", job.Args.Month, err))
	}
	outbox := w.Outbox
	if outbox == nil {
		outbox = notify.NewOutbox(river.ClientFromContext[pgx.Tx](ctx))
	}
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	d := db.New(w.Pool)
	var tenants []uuid.UUID
	err = d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM tenants ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		tenants, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	sent := 0
	for _, tenantID := range tenants {
		err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			h, err := HotForMonth(ctx, tx, tenantID, month)
			if err != nil || h == nil || h.EmailedAt != nil {
				return err
			}
			n, err := sendHot(ctx, tx, outbox, tenantID, h.ID, w.BaseURL, time.Now(), month)
			if errors.Is(err, ErrNoRecipients) {
				return nil
			}
			sent += n
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tenantID, err))
		}
	}
	logger.InfoContext(ctx, "hot profiles emailed", slog.String("month", job.Args.Month), slog.Int("emails", sent))
	return errors.Join(errs...)
}
