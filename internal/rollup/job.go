package rollup

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

// RefreshInterval is how often the job refreshes marked partners. Staff
// pages refresh their firm themselves before reading (Fresh), so this
// bounds the lag of the portal and the API only.
const RefreshInterval = time.Minute

// RebuildHourUTC is when the nightly rebuild runs.
const RebuildHourUTC = 3

// RefreshArgs refreshes every firm's marked partners; Rebuild true
// recomputes every partner instead (the nightly run).
type RefreshArgs struct {
	Rebuild bool `json:"rebuild,omitempty"`
}

// Kind returns "rollup_refresh".
func (RefreshArgs) Kind() string { return "rollup_refresh" }

// InsertOpts: one run at a time is enough; a missed run is caught up by the next.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RefreshPeriodicJob runs RefreshArgs every RefreshInterval (and at start).
func RefreshPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(RefreshInterval),
		func() (river.JobArgs, *river.InsertOpts) { return RefreshArgs{}, nil },
		&river.PeriodicJobOpts{ID: "rollup_refresh", RunOnStart: true})
}

// RebuildPeriodicJob runs the rebuild every day at RebuildHourUTC.
func RebuildPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(dailyAt(RebuildHourUTC),
		func() (river.JobArgs, *river.InsertOpts) { return RefreshArgs{Rebuild: true}, nil },
		&river.PeriodicJobOpts{ID: "rollup_rebuild"})
}

type dailyAt int

func (h dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), int(h), 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Worker runs RefreshArgs.
type Worker struct {
	river.WorkerDefaults[RefreshArgs]
	Pool   *pgxpool.Pool // the app-role pool
	Logger *slog.Logger
}

// Timeout bounds a run over every firm.
func (w *Worker) Timeout(*river.Job[RefreshArgs]) time.Duration { return 30 * time.Minute }

// Work refreshes (or rebuilds) every firm.
func (w *Worker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	if w.Pool == nil {
		return errors.New("rollup: Worker has no Pool")
	}
	start := time.Now()
	res, err := RunAll(ctx, db.New(w.Pool), job.Args.Rebuild)
	if res.Partners > 0 || job.Args.Rebuild || err != nil {
		l := w.Logger
		if l == nil {
			l = slog.Default()
		}
		l.InfoContext(ctx, "rollups", slog.Bool("rebuild", job.Args.Rebuild), slog.Int("firms", res.Firms),
			slog.Int("partners", res.Partners), slog.Duration("took", time.Since(start)), slog.Any("err", err))
	}
	return err
}

// Result counts a run: firms refreshed and partners recomputed (a rebuild
// counts firms only).
type Result struct{ Firms, Partners int }

// RunAll refreshes every firm with marks (rebuild: rebuilds every firm),
// one transaction per firm, so one firm's failure doesn't hold the others.
func RunAll(ctx context.Context, d *db.DB, rebuild bool) (Result, error) {
	ids, err := d.FirmIDs(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("rollup: firms: %w", err)
	}
	var res Result
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		err := d.InTenant(ctx, id, func(tx pgx.Tx) error {
			if rebuild {
				res.Firms++
				return Rebuild(ctx, tx, id)
			}
			n, err := Refresh(ctx, tx, id)
			if n > 0 {
				res.Firms++
				res.Partners += n
			}
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("rollup: firm %s: %w", id, err))
		}
	}
	return res, errors.Join(errs...)
}
