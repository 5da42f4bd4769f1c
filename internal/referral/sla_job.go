package referral

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
	"github.com/allyway/allyway/internal/rollup"
)

// The SLA job. Choice: one periodic scan every minute across all firms
// rather than a scheduled job per referral and clock — due times are stored
// on the referral, so a scan is a few indexed queries per firm, survives
// settings changes and restarts without rescheduling, and cannot leave
// orphaned timers behind when a referral moves. For each firm, in one
// transaction (skipped if another scan holds the firm's advisory lock):
//
//   - reminders: an open referral's unmet clock due within the firm's
//     reminder hours gets one "sla_reminder" event (reason: the clock) and
//     an email to the owner (else the partner's owner, else the admins);
//     for an outbound referral the partner is reminded too;
//   - breaches: a clock past due and not met (or met late) gets one
//     sla_breaches row (the primary key makes it once), one "sla_breach"
//     event and, while the referral is open, an email to the owner — for an
//     outbound referral the partner didn't answer, a prompt to hand it to
//     the next suggested partner (it also appears in the at-risk filter);
//   - claims: an open inbound referral whose claim window passed without
//     movement gets one "claim_lapsed" event; it no longer blocks a new
//     introduction of the same client (Submit's matching skips it).
//
// A firm's scan looks only at referrals written since its last scan (less
// slaMargin) or with a due time (or claim expiry) after it: the mark is in
// sla_scan_marks, set when a scan finishes with no batch full. A firm's
// first scan looks at every open referral.

// SLAScanInterval is how often the scan runs.
const SLAScanInterval = time.Minute

// SLAScanArgs is the periodic SLA scan job.
type SLAScanArgs struct{}

// Kind returns "referral_sla_scan".
func (SLAScanArgs) Kind() string { return "referral_sla_scan" }

// InsertOpts: a failed scan is retried twice; the next minute's scan
// catches up anyway.
func (SLAScanArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// SLAPeriodicJob schedules the scan every SLAScanInterval (and at start).
func SLAPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SLAScanInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SLAScanArgs{}, nil },
		&river.PeriodicJobOpts{ID: "referral_sla_scan", RunOnStart: true})
}

// The scan paces itself: after each firm it rests slaScanPace times as
// long as that firm took, so it uses at most a quarter of one database
// core instead of bursting. Since each firm's scan reads only what changed
// after its last one (sla_scan_marks), a run at a million referrals costs
// ~0.2 s of database time; the pacing matters for a firm's first scan,
// which reads every open referral (~5 s for all firms at that size: in one
// burst on a 2-core machine it took pages at 300 requests/s from a p99 of
// ~15 ms to 200–350 ms). Rests stop once the scan has run for
// slaScanBudget, so a larger installation still scans every firm each
// minute, less gently.
const (
	slaScanPace   = 3
	slaScanBudget = SLAScanInterval * 3 / 4
)

// slaScanRest is how long to rest after a firm that took took, the scan
// having run for sofar: slaScanPace × took, or nothing once that would
// take the scan past its budget.
func slaScanRest(sofar, took time.Duration) time.Duration {
	rest := slaScanPace * took
	if sofar+rest >= slaScanBudget {
		return 0
	}
	return rest
}

// SLAScanWorker runs the scan for every firm.
type SLAScanWorker struct {
	river.WorkerDefaults[SLAScanArgs]
	Pool    *pgxpool.Pool // the app-role pool
	BaseURL string        // for links in emails
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewSLAScanWorker returns the SLA worker.
func NewSLAScanWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *SLAScanWorker {
	return &SLAScanWorker{Pool: pool, BaseURL: baseURL, Logger: logger}
}

// Timeout bounds one scan.
func (w *SLAScanWorker) Timeout(*river.Job[SLAScanArgs]) time.Duration { return 5 * time.Minute }

// Work scans every firm; a failing firm does not stop the others.
func (w *SLAScanWorker) Work(ctx context.Context, _ *river.Job[SLAScanArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	n := Notifier{Outbox: notify.NewOutbox(client), BaseURL: w.BaseURL, Now: w.Now}
	d := db.New(w.Pool)
	ids, err := d.FirmIDs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var total ScanResult
	start := time.Now()
	for _, id := range ids {
		began := time.Now()
		res, err := ScanSLA(ctx, d, n, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("referral: SLA scan of %s: %w", id, err))
		} else {
			total.add(res)
		}
		if rest := slaScanRest(time.Since(start), time.Since(began)); rest > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(append(errs, ctx.Err())...)
			case <-time.After(rest):
			}
		}
	}
	if w.Logger != nil && total != (ScanResult{}) {
		w.Logger.InfoContext(ctx, "referral SLA scan", "reminders", total.Reminders, "breaches", total.Breaches,
			"lapsed", total.Lapsed)
	}
	return errors.Join(errs...)
}

// ScanResult counts what a scan did.
type ScanResult struct {
	Reminders, Breaches, Lapsed int
}

func (r *ScanResult) add(o ScanResult) {
	r.Reminders += o.Reminders
	r.Breaches += o.Breaches
	r.Lapsed += o.Lapsed
}

// scanBatch bounds each kind of work per firm and scan.
const scanBatch = 500

// clocksSQL lists the clocks of a firm's referrals worth looking at ($1
// the firm, $2 now, $3 since): open ones, and recently closed ones (a
// clock met late is a breach too), of those written since $3 or with a
// due time after it. The greatest(…) is
// referrals_sla_latest_idx's expression: any due time after $3 makes the
// latest after it.
const clocksSQL = `
	WITH base AS (
		SELECT r.* FROM referrals r
		WHERE r.tenant_id = $1 AND (r.closed_at IS NULL OR r.updated_at > $2::timestamptz - interval '7 days')
			AND ((r.closed_at IS NULL AND ` + slaLatest + ` > $3) OR r.updated_at > $3)),
	c AS (
		SELECT id, partner_id, number, client_company, owner_user_id, direction, closed_at,
			'first_response' AS clock, first_response_due_at AS due, first_responded_at AS met
			FROM base WHERE direction = 'inbound' AND first_response_due_at IS NOT NULL
		UNION ALL
		SELECT id, partner_id, number, client_company, owner_user_id, direction, closed_at,
			'first_contact', first_contact_due_at, contacted_at
			FROM base WHERE direction = 'inbound' AND first_contact_due_at IS NOT NULL
		UNION ALL
		SELECT id, partner_id, number, client_company, owner_user_id, direction, closed_at,
			'meeting', meeting_due_at, meeting_at
			FROM base WHERE direction = 'inbound' AND meeting_due_at IS NOT NULL
		UNION ALL
		SELECT id, partner_id, number, client_company, owner_user_id, direction, closed_at,
			'partner_response', partner_response_due_at, coalesce(partner_accepted_at, partner_declined_at)
			FROM base WHERE direction = 'outbound' AND partner_response_due_at IS NOT NULL)`

// slaLatest is the latest of a referral's due times.
const slaLatest = `greatest(r.first_response_due_at, r.first_contact_due_at, r.meeting_due_at,
	r.partner_response_due_at)`

// slaMargin is how far before its last scan a firm's next scan looks: a
// transaction that wrote a referral before the scan but committed after it
// is still seen, and a clock moved back a little is not missed.
const slaMargin = time.Hour

// dueClock is one clock the scan acts on.
type dueClock struct {
	ID, PartnerID uuid.UUID
	Number        int64
	Company       string
	Owner         *uuid.UUID
	Direction     string
	Open          bool
	Clock         string
	Due           time.Time
}

func (c dueClock) ref() string { return refOf(c.Number) }

// ScanSLA runs the SLA scan for one firm as of n's clock.
func ScanSLA(ctx context.Context, d *db.DB, n Notifier, tenantID uuid.UUID) (ScanResult, error) {
	var res ScanResult
	now := n.now()
	err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7216))`,
			"sla/"+tenantID.String()).Scan(&got); err != nil || !got {
			return err
		}
		s, err := GetSettings(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		f, err := loadFirm(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		// Only what may have changed since the last scan (less a margin);
		// the first scan of a firm looks at everything.
		since := time.Time{}
		var last time.Time
		switch err := tx.QueryRow(ctx, `SELECT scanned_at FROM sla_scan_marks WHERE tenant_id = $1`, tenantID).Scan(&last); {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if now.Before(last) { // the clock went back: look from now
				last = now
			}
			since = last.Add(-slaMargin)
		}
		// Breaches first: a clock past due is not reminded any more.
		breaches, err := collectClocks(ctx, tx, clocksSQL+`,
			ins AS (
				INSERT INTO sla_breaches (tenant_id, referral_id, clock, partner_id, due_at, breached_at, reminded_at)
				SELECT $1, c.id, c.clock, c.partner_id, c.due, $2,
					(SELECT max(e.at) FROM referral_events e WHERE e.tenant_id = $1 AND e.referral_id = c.id
						AND e.kind = 'sla_reminder' AND e.reason = c.clock)
				FROM c WHERE c.due <= $2
					AND ((c.met IS NULL AND (c.closed_at IS NULL OR c.closed_at > c.due)) OR c.met > c.due)
					AND NOT EXISTS (SELECT 1 FROM sla_breaches b WHERE b.tenant_id = $1 AND b.referral_id = c.id AND b.clock = c.clock)
				ORDER BY c.due LIMIT `+fmt.Sprint(scanBatch)+`
				ON CONFLICT DO NOTHING
				RETURNING referral_id, clock)
			SELECT c.id, c.partner_id, c.number, c.client_company, c.owner_user_id, c.direction, c.closed_at IS NULL, c.clock, c.due
			FROM c JOIN ins ON ins.referral_id = c.id AND ins.clock = c.clock ORDER BY c.due`, tenantID, now, since)
		if err != nil {
			return err
		}
		for _, c := range breaches {
			if err := breach(ctx, tx, n, tenantID, f, s, c); err != nil {
				return err
			}
		}
		res.Breaches = len(breaches)
		if res.Breaches > 0 {
			// The breaches count in the partners' rollups: recompute them
			// here, in the scan's paced time, rather than leave the marks
			// for the next page view of the firm to pay for.
			if _, err := rollup.Refresh(ctx, tx, tenantID); err != nil {
				return err
			}
		}

		reminders := []dueClock{}
		if s.ReminderHours > 0 {
			reminders, err = collectClocks(ctx, tx, clocksSQL+`
				SELECT c.id, c.partner_id, c.number, c.client_company, c.owner_user_id, c.direction, true, c.clock, c.due
				FROM c WHERE c.closed_at IS NULL AND c.met IS NULL AND c.due > $2
					AND c.due <= $2::timestamptz + make_interval(hours => $4)
					AND NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.tenant_id = $1 AND e.referral_id = c.id
						AND e.kind = 'sla_reminder' AND e.reason = c.clock)
				ORDER BY c.due LIMIT `+fmt.Sprint(scanBatch), tenantID, now, since, s.ReminderHours)
			if err != nil {
				return err
			}
		}
		for _, c := range reminders {
			if err := remind(ctx, tx, n, tenantID, f, s, c, now); err != nil {
				return err
			}
		}
		res.Reminders = len(reminders)

		lapsed, err := tx.Query(ctx, `SELECT r.id, r.partner_id FROM referrals r
			WHERE r.tenant_id = $1 AND r.closed_at IS NULL AND r.direction = 'inbound' AND r.claim_expires_at <= $2
			  AND (r.claim_expires_at > $3 OR r.updated_at > $3)
			  AND NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.tenant_id = $1 AND e.referral_id = r.id
				AND e.kind = 'claim_lapsed' AND e.at >= r.claim_expires_at)
			ORDER BY r.claim_expires_at LIMIT `+fmt.Sprint(scanBatch), tenantID, now, since)
		if err != nil {
			return err
		}
		type lp struct{ id, partner uuid.UUID }
		lps, err := pgx.CollectRows(lapsed, func(row pgx.CollectableRow) (lp, error) {
			var x lp
			err := row.Scan(&x.id, &x.partner)
			return x, err
		})
		if err != nil {
			return err
		}
		for _, x := range lps {
			if err := addEvent(ctx, tx, tenantID, event{Referral: x.id, Partner: x.partner, At: now, Kind: "claim_lapsed",
				Body: fmt.Sprintf("The claim lapsed after %d days without movement: a new introduction of this client is no longer blocked by it.",
					s.ClaimWindowDays)}); err != nil {
				return err
			}
		}
		res.Lapsed = len(lps)
		if res.Breaches == scanBatch || res.Reminders == scanBatch || res.Lapsed == scanBatch {
			return nil // more to do: the next scan starts from the same mark
		}
		_, err = tx.Exec(ctx, `INSERT INTO sla_scan_marks (tenant_id, scanned_at) VALUES ($1, $2)
			ON CONFLICT (tenant_id) DO UPDATE SET scanned_at = excluded.scanned_at`, tenantID, now)
		return err
	})
	return res, err
}

func collectClocks(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]dueClock, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueClock, error) {
		var c dueClock
		err := row.Scan(&c.ID, &c.PartnerID, &c.Number, &c.Company, &c.Owner, &c.Direction, &c.Open, &c.Clock, &c.Due)
		return c, err
	})
}

func dueWords(t time.Time, s Settings) string {
	return t.In(s.Location()).Format("Mon 2 Jan 15:04 MST")
}

// breach records the timeline event of a new breach and emails the owner.
func breach(ctx context.Context, tx pgx.Tx, n Notifier, tenantID uuid.UUID, f firm, s Settings, c dueClock) error {
	body := fmt.Sprintf("%s deadline missed (due %s).", ClockLabel(c.Clock), dueWords(c.Due, s))
	if c.Clock == ClockPartnerResponse {
		body = fmt.Sprintf("The partner did not accept or decline by %s: hand the referral to the next suggested partner.", dueWords(c.Due, s))
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: c.ID, Partner: c.PartnerID, At: n.now(), Kind: "sla_breach",
		Reason: c.Clock, Body: body}); err != nil {
		return err
	}
	if !c.Open {
		return nil
	}
	staff, err := staffRecipients(ctx, tx, tenantID, c.Owner, c.PartnerID)
	if err != nil {
		return err
	}
	subject := fmt.Sprintf("SLA missed: %s %s, %s", c.ref(), c.Company, ClockLabel(c.Clock))
	if c.Clock == ClockPartnerResponse {
		subject = fmt.Sprintf("No answer on %s %s: hand it to the next partner", c.ref(), c.Company)
	}
	return n.send(ctx, tx, staff, f, message{Subject: subject, Paras: []string{body}, Link: n.staffLink(f, c.ID),
		Action: "Open the referral"})
}

// remind records a reminder and emails the owner (and, for an outbound
// referral's answer, the partner).
func remind(ctx context.Context, tx pgx.Tx, n Notifier, tenantID uuid.UUID, f firm, s Settings, c dueClock, now time.Time) error {
	left := c.Due.Sub(now).Round(time.Minute)
	body := fmt.Sprintf("%s is due %s (in %s).", ClockLabel(c.Clock), dueWords(c.Due, s), durationWords(left))
	if err := addEvent(ctx, tx, tenantID, event{Referral: c.ID, Partner: c.PartnerID, At: now, Kind: "sla_reminder",
		Reason: c.Clock, Body: body}); err != nil {
		return err
	}
	staff, err := staffRecipients(ctx, tx, tenantID, c.Owner, c.PartnerID)
	if err != nil {
		return err
	}
	if err := n.send(ctx, tx, staff, f, message{
		Subject: fmt.Sprintf("Due soon: %s %s, %s", c.ref(), c.Company, ClockLabel(c.Clock)),
		Paras:   []string{body}, Link: n.staffLink(f, c.ID), Action: "Open the referral"}); err != nil {
		return err
	}
	if c.Clock != ClockPartnerResponse {
		return nil
	}
	partners, err := partnerRecipients(ctx, tx, tenantID, c.PartnerID)
	if err != nil {
		return err
	}
	return n.send(ctx, tx, partners, f, message{
		Subject: fmt.Sprintf("Please accept or decline %s (%s) by %s", c.ref(), c.Company, dueWords(c.Due, s)),
		Paras: []string{fmt.Sprintf("We referred %s to you and would like to know by %s whether you can take it on.",
			c.Company, dueWords(c.Due, s))},
		Link: n.portalLink(f, c.ID), Action: "Accept or decline"})
}

// durationWords says a duration in hours and minutes ("3 h 20 min").
func durationWords(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
