package survey

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/period"
)

// The daily client survey job. For each firm, in one transaction (skipped
// while another run holds the firm's lock): every won inbound referral
// whose first engagement started between WindowDays and KickoffDays ago
// (the firm's calendar), whose client has an email (the referral's
// prospect, not erased) and that has no survey yet gets one — a
// client_surveys row with the SHA-256 of a fresh 256-bit token — and the
// client an email with the link <BaseURL>/s/<firm>/<token>. The row is
// written before the email, and ON CONFLICT makes it once, so a second
// run (or a concurrent one) sends nothing twice. At most sendBatch per
// firm and run: the next day catches up.

// ClientSurveyHourUTC is when the job runs each day (14:00 UTC: morning
// in the Americas, afternoon in Europe).
const ClientSurveyHourUTC = 14

// sendBatch bounds the surveys one firm sends per run.
const sendBatch = 500

// ClientSurveyArgs is the daily client survey job over every firm.
type ClientSurveyArgs struct{}

// Kind returns "client_survey_send".
func (ClientSurveyArgs) Kind() string { return "client_survey_send" }

// InsertOpts: a failed run is retried a few times; runs are idempotent.
func (ClientSurveyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// ClientSurveyPeriodicJob schedules ClientSurveyArgs every day at
// ClientSurveyHourUTC.
func ClientSurveyPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(dailyAt{hour: ClientSurveyHourUTC},
		func() (river.JobArgs, *river.InsertOpts) { return ClientSurveyArgs{}, nil },
		&river.PeriodicJobOpts{ID: "client_survey_send"})
}

// dailyAt is a river.PeriodicSchedule: every day at hour:00 UTC, so a
// restart does not postpone the run.
type dailyAt struct{ hour int }

// Next returns the first hour:00 UTC strictly after t.
func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// ClientSurveyWorker runs ClientSurveyArgs.
type ClientSurveyWorker struct {
	river.WorkerDefaults[ClientSurveyArgs]
	Pool    *pgxpool.Pool // the app-role pool
	BaseURL string        // makes the links absolute ("" leaves them relative)
	Logger  *slog.Logger  // nil means slog.Default()
	Now     func() time.Time
}

// NewClientSurveyWorker returns the worker on the app-role pool; baseURL
// is the app's BASE_URL.
func NewClientSurveyWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *ClientSurveyWorker {
	return &ClientSurveyWorker{Pool: pool, BaseURL: baseURL, Logger: logger}
}

// Timeout bounds one run.
func (w *ClientSurveyWorker) Timeout(*river.Job[ClientSurveyArgs]) time.Duration {
	return 10 * time.Minute
}

// Work sends the due surveys of every firm through the job's River client.
func (w *ClientSurveyWorker) Work(ctx context.Context, _ *river.Job[ClientSurveyArgs]) error {
	if w.Pool == nil {
		return errors.New("survey: ClientSurveyWorker has no Pool")
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("survey: client surveys: %w", err)
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	run, err := RunSendDue(ctx, db.New(w.Pool), notify.NewOutbox(client), now, w.BaseURL)
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "client surveys", slog.Int("firms", run.Firms), slog.Int("sent", run.Sent))
	return err
}

// SendRun is what a run did.
type SendRun struct {
	Firms int // firms looked at
	Sent  int // surveys emailed
}

// RunSendDue runs SendDue for every firm, each in its own transaction; one
// firm's failure is reported (joined with the others') and does not stop
// the rest.
func RunSendDue(ctx context.Context, d *db.DB, out *notify.Outbox, now time.Time, baseURL string) (SendRun, error) {
	var run SendRun
	var firms []Firm
	err := d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, slug, name FROM tenants ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		firms, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Firm])
		return err
	})
	if err != nil {
		return run, fmt.Errorf("survey: list firms: %w", err)
	}
	var errs []error
	for _, f := range firms {
		if err := ctx.Err(); err != nil {
			return run, errors.Join(append(errs, err)...)
		}
		var n int
		err := d.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
			n, err = SendDue(ctx, tx, out, f, now, baseURL)
			return err
		})
		run.Firms++
		if err != nil {
			errs = append(errs, fmt.Errorf("survey: client surveys of %s: %w", f.Slug, err))
			continue
		}
		run.Sent += n
	}
	return run, errors.Join(errs...)
}

// due is an engagement whose client is asked now.
type due struct {
	EngagementID, ReferralID, PartnerID uuid.UUID
	Name                                string
	StartedOn                           time.Time
	Email, ContactName                  string
}

// SendDue sends the firm's due client surveys in tx (see the job above)
// and returns how many it sent. out queues the emails in tx; baseURL makes
// the links absolute. Each survey sent is audited (client_survey.sent).
func SendDue(ctx context.Context, tx pgx.Tx, out *notify.Outbox, f Firm, now time.Time, baseURL string) (int, error) {
	if got, err := db.TryXactLock(ctx, tx, "client_surveys/"+f.ID.String()); err != nil || !got {
		return 0, err
	}
	loc, err := Location(ctx, tx, f.ID)
	if err != nil {
		return 0, err
	}
	today := period.Today(now, loc)
	rows, err := tx.Query(ctx, `SELECT * FROM (
			SELECT DISTINCT ON (e.referral_id) e.id, e.referral_id, e.partner_id, e.name, e.started_on,
				p.contact_email, p.contact_name
			FROM engagements e
			JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
			JOIN referral_prospects p ON p.tenant_id = r.tenant_id AND p.id = r.prospect_id
			WHERE e.tenant_id = $1 AND r.direction = 'inbound' AND r.status = 'won'
				AND e.started_on BETWEEN $2::date - $3::int AND $2::date - $4::int
				AND p.contact_email <> '' AND p.erased_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM client_surveys s WHERE s.tenant_id = e.tenant_id AND s.referral_id = e.referral_id)
			ORDER BY e.referral_id, e.started_on, e.created_at, e.id) d
		ORDER BY started_on, id LIMIT $5`, f.ID, today, WindowDays, KickoffDays, sendBatch)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	dues, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
	if err != nil {
		return 0, apperr.Internal(err)
	}
	var emails []notify.Email
	for _, g := range dues {
		to, err := (&mail.AddressParser{}).Parse(g.Email)
		if err != nil {
			continue // not an address we can send to; staff may record a score
		}
		to.Name = strings.Join(strings.Fields(g.ContactName), " ")
		token := auth.NewToken()
		var id uuid.UUID
		err = tx.QueryRow(ctx, `INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, email, token_hash, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
			f.ID, g.EngagementID, g.ReferralID, g.PartnerID, strings.ToLower(to.Address), auth.HashToken(token), now).Scan(&id)
		if db.IsNoRows(err) {
			continue
		}
		if err != nil {
			return 0, apperr.Internal(err)
		}
		addr := to.Address
		if to.Name != "" {
			addr = to.String()
		}
		link := LinkURL(baseURL, f.Slug, token)
		emails = append(emails, ClientEmail(f, addr, to.Name, g.Name, g.StartedOn, link, now.AddDate(0, 0, LinkDays).In(loc)))
		if err := audit.Record(ctx, tx, f.ID, "client_survey.sent", "client_survey", id.String(), map[string]any{
			"partner_id": g.PartnerID.String(), "engagement_id": g.EngagementID.String(), "referral_id": g.ReferralID.String()}); err != nil {
			return 0, apperr.Internal(err)
		}
	}
	if _, err := out.SendMany(ctx, tx, emails); err != nil {
		return 0, err
	}
	return len(emails), nil
}

// LinkURL is a survey link: <baseURL>/s/<slug>/<token>.
func LinkURL(baseURL, slug, token string) string {
	return strings.TrimRight(baseURL, "/") + "/s/" + url.PathEscape(slug) + "/" + token
}

// ClientEmail is the survey email to the referred client: "<Firm> would
// like your feedback", one question, the link and until when it works.
func ClientEmail(f Firm, to, name, engagement string, started time.Time, link string, expires time.Time) notify.Email {
	greeting := "Hello,"
	if first := strings.Fields(name); len(first) > 0 {
		greeting = "Hello " + first[0] + ","
	}
	paras := []string{
		fmt.Sprintf("Thank you for working with %s. You started %s with us on %s, and we would like to know how it is going.",
			f.Name, engagement, started.Format("2 January 2006")),
		"It takes a minute: how satisfied are you so far, from 1 (very dissatisfied) to 5 (very satisfied)? A comment is welcome but optional.",
	}
	after := fmt.Sprintf("The link is yours alone and works until %s; you don't need an account or a password.",
		expires.Format("2 January 2006"))
	var t, h strings.Builder
	t.WriteString(greeting + "\n\n")
	h.WriteString("<p>" + html.EscapeString(greeting) + "</p>\n")
	for _, p := range paras {
		t.WriteString(p + "\n\n")
		h.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
	}
	t.WriteString("Give your feedback:\n" + link + "\n\n" + after + "\n\n")
	h.WriteString(`<p><a href="` + html.EscapeString(link) + `">Give your feedback</a></p>` + "\n")
	h.WriteString("<p>" + html.EscapeString(after) + "</p>\n")
	t.WriteString("— " + f.Name + ", via Allyway\n")
	h.WriteString("<p>— " + html.EscapeString(f.Name) + ", via Allyway</p>\n")
	subject := strings.Join(strings.Fields(f.Name+" would like your feedback"), " ")
	return notify.Email{To: to, Subject: subject, Text: t.String(), HTML: h.String()}
}
