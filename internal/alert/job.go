package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// The jobs. The scan runs every day at ScanHourUTC (and when the
// app starts, so a deploy or a new firm doesn't wait a day); the digest
// every Monday at DigestHourUTC, after that day's scan. Fixed times rather
// than "every 24 hours from start", so restarts don't postpone them; both
// are idempotent, so a retry or a second process changes nothing.

// ScanHourUTC and DigestHourUTC are when the jobs run.
const (
	ScanHourUTC   = 5
	DigestHourUTC = 7
)

// ScanArgs is the daily scan of every firm.
type ScanArgs struct{}

// Kind returns "alert_scan".
func (ScanArgs) Kind() string { return "alert_scan" }

// InsertOpts: a failed scan is retried a few times; the next day's catches up anyway.
func (ScanArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// ScanPeriodicJob schedules ScanArgs every day at ScanHourUTC and at start.
func ScanPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(schedule{hour: ScanHourUTC},
		func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{}, nil },
		&river.PeriodicJobOpts{ID: "alert_scan", RunOnStart: true})
}

// ScanWorker runs ScanArgs.
type ScanWorker struct {
	river.WorkerDefaults[ScanArgs]
	Pool   *pgxpool.Pool // the app-role pool
	Logger *slog.Logger  // nil means slog.Default()
	Now    func() time.Time
}

// NewScanWorker returns the scan worker on the app-role pool.
func NewScanWorker(pool *pgxpool.Pool, logger *slog.Logger) *ScanWorker {
	return &ScanWorker{Pool: pool, Logger: logger}
}

// Timeout bounds one run over every firm.
func (w *ScanWorker) Timeout(*river.Job[ScanArgs]) time.Duration { return 30 * time.Minute }

// Work scans every firm.
func (w *ScanWorker) Work(ctx context.Context, _ *river.Job[ScanArgs]) error {
	if w.Pool == nil {
		return errors.New("alert: ScanWorker has no Pool")
	}
	res, err := RunScans(ctx, db.New(w.Pool), nowOf(w.Now))
	logger(w.Logger).InfoContext(ctx, "alert scan", slog.Int("firms", res.Firms), slog.Int("open", res.Open),
		slog.Int("raised", res.Raised), slog.Int("updated", res.Updated), slog.Int("resolved", res.Resolved))
	return err
}

// DigestArgs is the weekly digest of every firm.
type DigestArgs struct{}

// Kind returns "alert_digest".
func (DigestArgs) Kind() string { return "alert_digest" }

// InsertOpts: retried a few times; a retry sends only what was not yet
// sent (each firm's digest commits with its emails).
func (DigestArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// DigestPeriodicJob schedules DigestArgs every Monday at DigestHourUTC.
func DigestPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(schedule{hour: DigestHourUTC, weekday: time.Monday, weekly: true},
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil },
		&river.PeriodicJobOpts{ID: "alert_digest"})
}

// DigestWorker runs DigestArgs; emails go out through the job's own River
// client, in each firm's transaction.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Pool    *pgxpool.Pool // the app-role pool
	BaseURL string        // makes the links absolute ("" leaves them relative)
	Logger  *slog.Logger
	Now     func() time.Time
}

// NewDigestWorker returns the digest worker; baseURL is the app's BASE_URL.
func NewDigestWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *DigestWorker {
	return &DigestWorker{Pool: pool, BaseURL: strings.TrimRight(baseURL, "/"), Logger: logger}
}

// Work sends every firm's digest.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	if w.Pool == nil {
		return errors.New("alert: DigestWorker has no Pool")
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("alert: digest: %w", err)
	}
	res, err := RunDigests(ctx, db.New(w.Pool), notify.NewOutbox(client), nowOf(w.Now), w.BaseURL)
	logger(w.Logger).InfoContext(ctx, "alert digest", slog.Int("firms", res.Firms), slog.Int("emails", res.Emails),
		slog.Int("alerts", res.Alerts))
	return err
}

// schedule is a river.PeriodicSchedule: every day (or every weekday, when
// weekly) at hour:00 UTC.
type schedule struct {
	hour    int
	weekday time.Weekday
	weekly  bool
}

// Next returns the first run strictly after t.
func (s schedule) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), s.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	for s.weekly && next.Weekday() != s.weekday {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// NextScan and NextDigest are when the jobs run next after t.
func NextScan(t time.Time) time.Time { return schedule{hour: ScanHourUTC}.Next(t) }

// NextDigest is when the digest runs next after t.
func NextDigest(t time.Time) time.Time {
	return schedule{hour: DigestHourUTC, weekday: time.Monday, weekly: true}.Next(t)
}

func nowOf(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
