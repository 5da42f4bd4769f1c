// Package jobs builds the River client that runs the application's
// background jobs, and migrates River's own tables.
//
// Side effects go through River jobs inserted with Client.InsertTx in the
// same transaction as the change that causes them. Each job lives in its
// domain package (one file per job: args, InsertOpts and worker); this
// package only registers them, in register below.
package jobs

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/enablement"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/survey"
	"github.com/allyway/allyway/internal/webhook"
)

// Deps is what the workers need.
type Deps struct {
	Pool   *pgxpool.Pool // the app-role pool (allyway_app)
	Mailer notify.Mailer // required when the client works jobs
	Logger *slog.Logger  // nil means slog.Default()
	// BaseURL is how users reach the app (config BASE_URL), for links in
	// the emails jobs write; "" leaves links relative.
	BaseURL string
	// WebhookAllowPrivate lets webhooks reach private addresses (config
	// WebhookPrivateAllowed: development and tests).
	WebhookAllowPrivate bool
}

// DefaultMaxWorkers is how many jobs one process works at once.
const DefaultMaxWorkers = 10

// register adds every worker to workers. Add new jobs here, one line each.
func register(workers *river.Workers, d Deps) error {
	return errors.Join(
		river.AddWorkerSafely(workers, notify.NewSendEmailWorker(d.Pool, d.Mailer)),
		river.AddWorkerSafely(workers, &CleanupWorker{Pool: d.Pool, Logger: d.Logger}),
		river.AddWorkerSafely(workers, enablement.NewHotEmailWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, referral.NewSLAScanWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, agreement.NewRenewalWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, ledger.NewAccrueWorker(d.Pool, d.Logger)),
		river.AddWorkerSafely(workers, ledger.NewStatementWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, ledger.NewAccruePeriodicWorker(d.Pool, d.Logger)),
		river.AddWorkerSafely(workers, alert.NewScanWorker(d.Pool, d.Logger)),
		river.AddWorkerSafely(workers, alert.NewDigestWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, survey.NewClientSurveyWorker(d.Pool, d.BaseURL, d.Logger)),
		river.AddWorkerSafely(workers, &rollup.Worker{Pool: d.Pool, Logger: d.Logger}),
		river.AddWorkerSafely(workers, webhook.NewWorker(d.Pool, d.WebhookAllowPrivate, d.BaseURL, d.Logger)),
		// river.AddWorkerSafely(workers, somepkg.NewSomethingWorker(...)),
	)
}

// periodicJobs are the jobs River's leader inserts on a schedule. Add new
// periodic jobs here.
func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		cleanupPeriodicJob(),
		enablement.HotEmailPeriodicJob(),
		referral.SLAPeriodicJob(),
		agreement.RenewalPeriodicJob(),
		ledger.StatementPeriodicJob(),
		ledger.AccruePeriodicJob(),
		alert.ScanPeriodicJob(),   // daily 05:00 UTC, and at start
		alert.DigestPeriodicJob(), // Mondays 07:00 UTC
		survey.ClientSurveyPeriodicJob(),
		rollup.RefreshPeriodicJob(),  // every minute, and at start
		rollup.RebuildPeriodicJob(),  // daily 03:00 UTC
		webhook.DeliverPeriodicJob(), // every 10 s, and at start (queue "webhooks")
		webhook.PrunePeriodicJob(),   // daily 04:30 UTC
	}
}

// NewClient returns a River client on d.Pool with every worker registered.
// With work false it is insert-only (no queues, no periodic jobs, no
// leader election work): use it to enqueue from web handlers. With work true
// it works the default queue with DefaultMaxWorkers workers and runs the
// periodic jobs once started (Client.Start).
func NewClient(d Deps, work bool) (*river.Client[pgx.Tx], error) {
	if d.Pool == nil {
		return nil, errors.New("jobs: Deps.Pool is nil")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if work && d.Mailer == nil {
		return nil, errors.New("jobs: Deps.Mailer is nil")
	}

	workers := river.NewWorkers()
	if err := register(workers, d); err != nil {
		return nil, fmt.Errorf("jobs: register workers: %w", err)
	}

	cfg := &river.Config{
		Logger:  d.Logger,
		Workers: workers,
		// REINDEX needs ownership of River's tables, which the app role
		// does not have; with an empty list River's reindexer does nothing.
		ReindexerIndexNames: []string{},
	}
	if work {
		cfg.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: DefaultMaxWorkers},
			webhook.Queue:      {MaxWorkers: webhook.QueueWorkers},
		}
		cfg.PeriodicJobs = periodicJobs()
	}
	client, err := river.NewClient(riverpgxv5.New(d.Pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return client, nil
}
