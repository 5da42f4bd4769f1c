package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// Issuing statements, and the quarter-end job that does it.
//
// GenerateStatements issues a quarter's statements of one firm in one
// transaction: a snapshot per partner (the statements key makes it once
// per partner and quarter) and an email to each of the partner's portal
// users. Run again, it writes nothing for a partner already issued; killed
// midway, it rolls back whole. Once a day the job looks at every firm and,
// in the firm's time zone, issues the previous quarter's statements unless
// some were issued already.

// GenerateOptions say how GenerateStatements tells partners.
type GenerateOptions struct {
	// Outbox queues the emails in the transaction; nil sends none (and
	// leaves the statements not emailed).
	Outbox *notify.Outbox
	// BaseURL makes the link in the email absolute ("" leaves it relative).
	BaseURL string
	// Now is the clock; zero means time.Now.
	Now time.Time
}

// GenerateResult is what GenerateStatements did.
type GenerateResult struct {
	Issued  int // statements written
	Already int // partners whose statement was issued before
	Emails  int // emails queued
}

// ErrQuarterNotOver refuses to issue the statements of the current quarter.
var ErrQuarterNotOver = apperr.Errorf(apperr.EInvalid, "That quarter isn't over yet: its statements are issued once it has ended.")

// GenerateStatements issues the quarter's statements of the firm in tx, for
// every partner with an entry, revenue or a referral in the quarter or a
// non-zero closing balance and no statement yet, emails the partner's
// portal users ("Your Q3 2026 statement from <firm> is ready", with a link
// to the portal's statement) and audits the run (statement.generated).
// The quarter must be over in the firm's time zone (ErrFutureQuarter,
// ErrQuarterNotOver). Concurrent runs for the firm and quarter are
// serialised; a second run writes nothing.
func GenerateStatements(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, qt Quarter, opts GenerateOptions) (GenerateResult, error) {
	var res GenerateResult
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	today, err := FirmToday(ctx, tx, tenantID, now)
	if err != nil {
		return res, err
	}
	if err := CheckQuarter(qt, today); err != nil {
		return res, err
	}
	if !qt.End().Before(today) {
		return res, ErrQuarterNotOver
	}
	if err := db.XactLock(ctx, tx, "statements:"+tenantID.String()+":"+qt.String()); err != nil {
		return res, apperr.Internal(err)
	}
	firmName, slug, err := firmNames(ctx, tx, tenantID)
	if err != nil {
		return res, err
	}
	sums, err := quarterSummaries(ctx, tx, tenantID, qt, today)
	if err != nil {
		return res, err
	}
	link := strings.TrimRight(opts.BaseURL, "/") + "/p/" + slug + "/statements/" + qt.String()
	for _, s := range sums {
		if s.Issued != nil {
			res.Already++
			continue
		}
		st, err := PartnerStatement(ctx, tx, tenantID, s.PartnerID, qt, now)
		if err != nil {
			return res, err
		}
		b, err := json.Marshal(st.StatementFigures)
		if err != nil {
			return res, apperr.Internal(err)
		}
		var id uuid.UUID
		err = tx.QueryRow(ctx, `INSERT INTO statements (tenant_id, partner_id, period_start, period_end, figures, generated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id, partner_id, period_start) DO NOTHING RETURNING id`,
			tenantID, s.PartnerID, qt.Start(), qt.End(), b, now).Scan(&id)
		if db.IsNoRows(err) {
			res.Already++
			continue
		}
		if err != nil {
			return res, apperr.Internal(err)
		}
		res.Issued++
		if opts.Outbox == nil {
			continue
		}
		to, err := statementRecipients(ctx, tx, tenantID, s.PartnerID)
		if err != nil {
			return res, err
		}
		for _, r := range to {
			if _, err := opts.Outbox.Send(ctx, tx, StatementEmail(st, r, link)); err != nil {
				return res, apperr.Internal(err)
			}
		}
		if len(to) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE statements SET emailed_at = $3 WHERE tenant_id = $1 AND id = $2`,
				tenantID, id, now); err != nil {
				return res, apperr.Internal(err)
			}
			res.Emails += len(to)
		}
	}
	if res.Issued > 0 {
		if err := audit.Record(ctx, tx, tenantID, "statement.generated", "statement_quarter", qt.String(), map[string]any{
			"quarter": qt.String(), "issued": res.Issued, "emails": res.Emails, "firm": firmName}); err != nil {
			return res, apperr.Internal(err)
		}
	}
	return res, nil
}

// StatementRecipient is a portal user of the partner.
type StatementRecipient struct {
	Name, Email string
}

// statementRecipients are the partner's portal users who are not disabled.
func statementRecipients(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]StatementRecipient, error) {
	rows, err := q.Query(ctx, `SELECT u.name, u.email FROM portal_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.partner_id = $2 AND u.disabled_at IS NULL ORDER BY u.email`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StatementRecipient, error) {
		var r StatementRecipient
		return r, row.Scan(&r.Name, &r.Email)
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// StatementEmail tells a portal user the statement is ready: the summary
// per account and a link to it.
func StatementEmail(st Statement, to StatementRecipient, link string) notify.Email {
	greeting := "Hello,"
	if first := strings.Fields(to.Name); len(first) > 0 {
		greeting = "Hello " + first[0] + ","
	}
	intro := fmt.Sprintf("Your commission statement for %s (%s) from %s is ready.", st.Quarter.Label(), st.Quarter.Period(), st.FirmName)
	var t, h strings.Builder
	t.WriteString(greeting + "\n\n" + intro + "\n")
	h.WriteString("<p>" + html.EscapeString(greeting) + "</p>\n<p>" + html.EscapeString(intro) + "</p>\n")
	for _, a := range st.Accounts {
		title := AccountTitle(a.Direction, a.Currency)
		lines := StatementSummaryLines(a)
		t.WriteString("\n" + title + "\n")
		h.WriteString("<h2>" + html.EscapeString(title) + "</h2>\n<table>\n")
		for _, l := range lines {
			t.WriteString("  " + l.Label + ": " + commission.FormatCents(l.Cents) + "\n")
			h.WriteString("<tr><th scope=\"row\" style=\"text-align:left\">" + html.EscapeString(l.Label) +
				"</th><td style=\"text-align:right\">" + html.EscapeString(commission.FormatCents(l.Cents)) + "</td></tr>\n")
		}
		h.WriteString("</table>\n")
	}
	t.WriteString("\nSee every commission behind these figures, and download the statement as PDF or CSV:\n" + link + "\n\n")
	h.WriteString(`<p><a href="` + html.EscapeString(link) + `">Open your statement</a> to see every commission behind these figures and download it as PDF or CSV.</p>` + "\n")
	t.WriteString("— " + st.FirmName + ", via Allyway\n")
	h.WriteString("<p>— " + html.EscapeString(st.FirmName) + ", via Allyway</p>\n")
	subject := strings.Join(strings.Fields(fmt.Sprintf("Your %s statement from %s is ready", st.Quarter.Label(), st.FirmName)), " ")
	return notify.Email{To: to.Email, Subject: subject, Text: t.String(), HTML: h.String()}
}

// AccountTitle names an account as the firm's statement says it to the
// partner: "We owe you (USD)", or "You owe us (USD)" for what the partner
// owes the firm.
func AccountTitle(dir commission.Direction, currency string) string {
	if dir == commission.WeReceive {
		return "You owe us (" + currency + ")"
	}
	return "We owe you (" + currency + ")"
}

// SummaryLine is one line of an account's summary.
type SummaryLine struct {
	Key   string // opening, earned, clawbacks, adjustments, paid, closing
	Label string
	Cents int64
}

// StatementSummaryLines are an account's summary lines, in order.
func StatementSummaryLines(a StatementAccount) []SummaryLine {
	paid := "Paid to you"
	if a.Direction == commission.WeReceive {
		paid = "Received from you"
	}
	return []SummaryLine{
		{"opening", "Opening balance", a.OpeningCents},
		{"earned", "Commissions earned", a.EarnedCents},
		{"clawbacks", "Clawbacks (client refunds)", a.ClawbackCents},
		{"adjustments", "Adjustments", a.AdjustmentCents},
		{"paid", paid, a.PaidCents},
		{"closing", "Closing balance", a.ClosingCents},
	}
}

// StatementHourUTC is when the quarter-end job runs each day (12:00 UTC:
// by then the new quarter has begun in every time zone from UTC−12).
const StatementHourUTC = 12

// StatementArgs is the daily quarter-end job over every firm.
type StatementArgs struct{}

// Kind returns "ledger_statements".
func (StatementArgs) Kind() string { return "ledger_statements" }

// InsertOpts: a failed run is retried; a run is idempotent and the next
// day's run catches up anyway.
func (StatementArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// StatementPeriodicJob schedules StatementArgs every day at StatementHourUTC.
func StatementPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(
		statementSchedule{},
		func() (river.JobArgs, *river.InsertOpts) { return StatementArgs{}, nil },
		&river.PeriodicJobOpts{ID: "ledger_statements"},
	)
}

// statementSchedule is every day at StatementHourUTC:00 UTC.
type statementSchedule struct{}

// Next returns the first StatementHourUTC:00 UTC strictly after t.
func (statementSchedule) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), StatementHourUTC, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// StatementWorker runs StatementArgs.
type StatementWorker struct {
	river.WorkerDefaults[StatementArgs]
	Pool    *pgxpool.Pool  // the app-role pool
	BaseURL string         // for the link in emails
	Outbox  *notify.Outbox // nil: the working River client's
	Logger  *slog.Logger   // nil: slog.Default()
	Now     func() time.Time
}

// NewStatementWorker returns the quarter-end worker on the app-role pool;
// baseURL (the app's BASE_URL) makes the links in emails absolute.
func NewStatementWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *StatementWorker {
	return &StatementWorker{Pool: pool, BaseURL: strings.TrimRight(baseURL, "/"), Logger: logger}
}

// Timeout bounds one run.
func (w *StatementWorker) Timeout(*river.Job[StatementArgs]) time.Duration { return 30 * time.Minute }

// Work issues every firm's previous-quarter statements not issued yet.
func (w *StatementWorker) Work(ctx context.Context, _ *river.Job[StatementArgs]) error {
	if w.Pool == nil {
		return errors.New("ledger: StatementWorker has no Pool")
	}
	out := w.Outbox
	if out == nil {
		client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
		if err != nil {
			return fmt.Errorf("ledger: statements: %w", err)
		}
		out = notify.NewOutbox(client)
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	run, err := RunQuarterEnd(ctx, db.New(w.Pool), out, now, w.BaseURL)
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if run.Issued > 0 || err != nil {
		logger.InfoContext(ctx, "quarter-end statements", slog.Int("firms", run.Firms), slog.Int("issued", run.Issued),
			slog.Int("emails", run.Emails))
	}
	return err
}

// QuarterEndRun is what one run of the job did.
type QuarterEndRun struct {
	Firms  int // firms looked at
	Issued int // statements issued
	Emails int // emails queued
}

// RunQuarterEnd issues, for every firm, the statements of the quarter
// before the current one in the firm's time zone, unless the firm has
// statements for it already — each firm in its own transaction. A firm's
// failure is reported (joined with the others') and does not stop the rest.
func RunQuarterEnd(ctx context.Context, d *db.DB, out *notify.Outbox, now time.Time, baseURL string) (QuarterEndRun, error) {
	var run QuarterEndRun
	var firms []uuid.UUID
	err := d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM tenants ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		firms, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		return run, fmt.Errorf("ledger: statements: list firms: %w", err)
	}
	var errs []error
	for _, id := range firms {
		if err := ctx.Err(); err != nil {
			return run, errors.Join(append(errs, err)...)
		}
		var res GenerateResult
		err := d.InTenant(ctx, id, func(tx pgx.Tx) error {
			today, err := FirmToday(ctx, tx, id, now)
			if err != nil {
				return err
			}
			qt := QuarterOf(today).Prev()
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM statements WHERE tenant_id = $1 AND period_start = $2)`,
				id, qt.Start()).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			res, err = GenerateStatements(ctx, tx, id, qt, GenerateOptions{Outbox: out, BaseURL: baseURL, Now: now})
			return err
		})
		run.Firms++
		if err != nil {
			errs = append(errs, fmt.Errorf("ledger: statements of firm %s: %w", id, err))
			continue
		}
		run.Issued += res.Issued
		run.Emails += res.Emails
	}
	return run, errors.Join(errs...)
}
