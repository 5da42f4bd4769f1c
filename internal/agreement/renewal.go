package agreement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// Renewals. Once a day a job looks at every firm: active versions whose
// term ended before today are expired (or renewed in place when they
// auto-renew, see MarkExpired), and active versions that end within
// RenewalReminderDays are reminded once — to the partner's owner on the
// firm's side, or the firm's owners and admins when the partner has none —
// and marked (renewal_reminded_at), so the reminder goes out once per end
// date.

// RenewalReminderDays is how long before an agreement's last day its
// renewal reminder goes out.
const RenewalReminderDays = 30

// RenewalHourUTC is when the renewal job runs each day (06:00 UTC). A
// fixed time, not "every 24 hours from start", so restarts don't postpone
// it; a missed day is caught up the next (a run is idempotent and the
// reminders look 30 days ahead).
const RenewalHourUTC = 6

// RenewalArgs is the daily renewal job over every firm.
type RenewalArgs struct{}

// Kind returns "agreement_renewals".
func (RenewalArgs) Kind() string { return "agreement_renewals" }

// InsertOpts: a failed run is retried a few times; a run is idempotent
// (expired versions and sent reminders are not touched again), so the next
// day catches up anyway.
func (RenewalArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// RenewalPeriodicJob schedules RenewalArgs every day at RenewalHourUTC.
func RenewalPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(
		dailyAt{hour: RenewalHourUTC},
		func() (river.JobArgs, *river.InsertOpts) { return RenewalArgs{}, nil },
		&river.PeriodicJobOpts{ID: "agreement_renewals"},
	)
}

// dailyAt is a river.PeriodicSchedule: every day at hour:00 UTC.
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

// RenewalWorker runs RenewalArgs.
type RenewalWorker struct {
	river.WorkerDefaults[RenewalArgs]
	Pool   *pgxpool.Pool // the app-role pool
	Logger *slog.Logger  // nil means slog.Default()
	// BaseURL makes the links in reminders absolute ("" leaves them
	// relative to the app).
	BaseURL string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// NewRenewalWorker returns the worker on the app-role pool; baseURL (the
// app's BASE_URL) makes the links in reminders absolute.
func NewRenewalWorker(pool *pgxpool.Pool, baseURL string, logger *slog.Logger) *RenewalWorker {
	return &RenewalWorker{Pool: pool, Logger: logger, BaseURL: strings.TrimRight(baseURL, "/")}
}

// Work runs the renewals of every firm; reminders are queued through the
// job's own River client, in each firm's transaction.
func (w *RenewalWorker) Work(ctx context.Context, _ *river.Job[RenewalArgs]) error {
	if w.Pool == nil {
		return errors.New("agreement: RenewalWorker has no Pool")
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("agreement: renewals: %w", err)
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	run, err := RunRenewals(ctx, db.New(w.Pool), notify.NewOutbox(client), now, w.BaseURL)
	logger := w.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "agreement renewals", slog.Int("firms", run.Firms), slog.Int("reminded", run.Reminded),
		slog.Int("expired", run.Expired))
	return err
}

// RenewalRun is what one run did.
type RenewalRun struct {
	Firms    int // firms looked at
	Reminded int // reminders sent (one per version, to one or more people)
	Expired  int // versions that became expired
}

// RunRenewals runs Renewals for every firm, each in its own transaction
// scoped to the firm: one firm's failure is reported (joined with the
// others') and does not stop the rest.
func RunRenewals(ctx context.Context, d *db.DB, out *notify.Outbox, now time.Time, baseURL string) (RenewalRun, error) {
	var run RenewalRun
	type firm struct {
		id         uuid.UUID
		slug, name string
	}
	var firms []firm
	err := d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, slug, name FROM tenants ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		firms, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (firm, error) {
			var f firm
			return f, r.Scan(&f.id, &f.slug, &f.name)
		})
		return err
	})
	if err != nil {
		return run, fmt.Errorf("agreement: renewals: list firms: %w", err)
	}
	var errs []error
	for _, f := range firms {
		if err := ctx.Err(); err != nil {
			return run, errors.Join(append(errs, err)...)
		}
		var r RenewalRun
		err := d.InTenant(ctx, f.id, func(tx pgx.Tx) (err error) {
			r, err = Renewals(ctx, tx, out, Firm{ID: f.id, Slug: f.slug, Name: f.name}, now, baseURL)
			return err
		})
		run.Firms++
		if err != nil {
			errs = append(errs, fmt.Errorf("agreement: renewals of %s: %w", f.slug, err))
			continue
		}
		run.Reminded += r.Reminded
		run.Expired += r.Expired
	}
	return run, errors.Join(errs...)
}

// Firm names the firm whose agreements a reminder is about.
type Firm struct {
	ID   uuid.UUID
	Slug string
	Name string
}

// Renewals does one firm's renewals in tx: MarkExpired, then a reminder
// for each active version ending within RenewalReminderDays of today that
// has not been reminded for its current end (claimed by setting
// renewal_reminded_at first, so two runs never remind twice). Each
// reminder is audited (agreement.renewal_reminded).
func Renewals(ctx context.Context, tx pgx.Tx, out *notify.Outbox, f Firm, now time.Time, baseURL string) (RenewalRun, error) {
	run := RenewalRun{Firms: 1}
	today := Day(now)
	n, err := MarkExpired(ctx, tx, f.ID, today)
	if err != nil {
		return run, fmt.Errorf("mark expired: %w", err)
	}
	run.Expired = n
	ending, err := Expiring(ctx, tx, f.ID, today, RenewalReminderDays)
	if err != nil {
		return run, err
	}
	for _, a := range ending {
		if a.RenewalRemindedAt != nil {
			continue
		}
		tag, err := tx.Exec(ctx, `UPDATE agreements SET renewal_reminded_at = $3
			WHERE tenant_id = $1 AND id = $2 AND status = 'active' AND renewal_reminded_at IS NULL`, f.ID, a.ID, now)
		if err != nil {
			return run, err
		}
		if tag.RowsAffected() == 0 {
			continue // another run got there first
		}
		to, err := FirmContacts(ctx, tx, f.ID, a.PartnerID)
		if err != nil {
			return run, err
		}
		for _, r := range to {
			m := RenewalReminder(a, f, r, today, baseURL)
			if _, err := out.Send(ctx, tx, m); err != nil {
				return run, err
			}
		}
		emails := make([]string, len(to))
		for i, r := range to {
			emails[i] = r.Email
		}
		if err := audit.Record(ctx, tx, f.ID, "agreement.renewal_reminded", "agreement", a.ID.String(), map[string]any{
			"partner_id": a.PartnerID.String(), "partner": a.PartnerName, "version": a.Version,
			"effective_to": a.EffectiveTo.Format(time.DateOnly), "to": emails}); err != nil {
			return run, err
		}
		run.Reminded++
	}
	return run, nil
}

// RenewalReminder is the email about a version's coming end: when it ends,
// whether it renews by itself (and by when notice must be given not to),
// and a link to the partner's agreements.
func RenewalReminder(a Agreement, f Firm, to Recipient, today time.Time, baseURL string) notify.Email {
	end := *a.EffectiveTo
	days := int(end.Sub(Day(today)).Hours() / 24)
	in := "today"
	switch {
	case days == 1:
		in = "tomorrow"
	case days > 1:
		in = fmt.Sprintf("in %d days", days)
	}
	var subject string
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", to.Name)
	if a.AutoRenew {
		renews := end.AddDate(0, 0, 1)
		subject = fmt.Sprintf("The agreement with %s renews on %s", a.PartnerName, renews.Format(DateFormat))
		fmt.Fprintf(&b, "Version %d of %s's agreement with %s runs until %s (%s). It then renews by itself for %s, on the same terms.\n",
			a.Version, f.Name, a.PartnerName, docDate(end), in, docPlural(a.RenewalMonths, "month", "months"))
		if a.TerminationNoticeDays > 0 {
			by := end.AddDate(0, 0, -a.TerminationNoticeDays)
			if by.Before(Day(today)) {
				fmt.Fprintf(&b, "The notice period is %s, so it is too late to stop this renewal without %s's agreement.\n",
					docPlural(a.TerminationNoticeDays, "day", "days"), a.PartnerName)
			} else {
				fmt.Fprintf(&b, "If you don't want it to renew, give %s notice by %s (%s' notice).\n",
					a.PartnerName, docDate(by), docPlural(a.TerminationNoticeDays, "day", "days"))
			}
		}
		b.WriteString("If the terms should change, draft a new version and send it to them for acceptance.\n")
	} else {
		subject = fmt.Sprintf("The agreement with %s ends on %s", a.PartnerName, end.Format(DateFormat))
		fmt.Fprintf(&b, "Version %d of %s's agreement with %s ends on %s (%s) and does not renew by itself.\n",
			a.Version, f.Name, a.PartnerName, docDate(end), in)
		fmt.Fprintf(&b, "To keep working together, draft a new version and send it to %s for acceptance before then; "+
			"otherwise the agreement expires and referrals from then on earn no commission under it.\n", a.PartnerName)
	}
	fmt.Fprintf(&b, "\nOpen the agreement: %s/t/%s/partners/%s/agreements\n", baseURL, f.Slug, a.PartnerID)
	if baseURL == "" {
		b.WriteString("(in Allyway, under Partners → " + a.PartnerName + " → Agreements)\n")
	}
	b.WriteString("\nYou get this because you own the relationship with " + a.PartnerName + " or manage " + f.Name + " in Allyway.\n")
	return notify.Email{To: to.Email, Subject: subject, Text: b.String()}
}

// FirmContacts are the people on the firm's side to tell about a partner's
// agreement: the partner's owner and the given others (e.g. who drafted the
// version), when they are still on the firm's staff and not disabled; the
// firm's owners and admins when none is. By name, each once.
func FirmContacts(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, also ...uuid.UUID) ([]Recipient, error) {
	ids := []uuid.UUID{}
	for _, id := range also {
		if id != uuid.Nil {
			ids = append(ids, id)
		}
	}
	rows, err := q.Query(ctx, `SELECT u.id, u.name, u.email
		FROM users u JOIN staff_memberships m ON m.tenant_id = $1 AND m.user_id = u.id
		WHERE u.disabled_at IS NULL AND (
			u.id = (SELECT owner_user_id FROM partners WHERE tenant_id = $1 AND id = $2) OR u.id = ANY($3))
		ORDER BY lower(u.name), u.id`, tenantID, partnerID, ids)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Recipient])
	if err != nil || len(out) > 0 {
		return out, err
	}
	rows, err = q.Query(ctx, `SELECT u.id, u.name, u.email
		FROM users u JOIN staff_memberships m ON m.tenant_id = $1 AND m.user_id = u.id
		WHERE u.disabled_at IS NULL AND m.role IN ('owner', 'admin')
		ORDER BY lower(u.name), u.id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Recipient])
}

// Lapsed returns the firm's partners whose latest agreement ran out —
// expired, or active past its end without renewing (the renewal job
// expires it next) — with nothing in force after it, newest end first, at
// most limit. The dashboard flags them.
func Lapsed(ctx context.Context, q db.Querier, tenantID uuid.UUID, today time.Time, limit int) ([]Agreement, error) {
	return query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1
			AND (a.status = 'expired' OR (a.status = 'active' AND NOT a.auto_renew AND a.effective_to < $2::date))
			AND p.status <> 'ended'
			AND NOT EXISTS (SELECT 1 FROM agreements b WHERE b.tenant_id = a.tenant_id AND b.partner_id = a.partner_id
				AND b.version > a.version AND b.status IN ('active', 'superseded', 'expired', 'terminated'))
		ORDER BY a.effective_to DESC, lower(p.name) LIMIT $3`, tenantID, Day(today), limit)
}

// NextRenewalRun is when the renewal job runs next after t.
func NextRenewalRun(t time.Time) time.Time { return dailyAt{hour: RenewalHourUTC}.Next(t) }
