package agreement_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// renewalWorld is two firms with staff and partners, arranged as the
// schema owner; the code under test runs as the app role.
type renewalWorld struct {
	t     *testing.T
	owner *pgxpool.Pool
	app   *pgxpool.Pool
	db    *db.DB
	out   *notify.Outbox
}

func newRenewalWorld(t *testing.T) *renewalWorld {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	client, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	return &renewalWorld{t: t, owner: owner, app: app, db: db.New(app), out: notify.NewOutbox(client)}
}

func (w *renewalWorld) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.t, err)
}

func (w *renewalWorld) firm(slug, name string) uuid.UUID {
	id := uuid.New()
	w.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, id, slug, name)
	return id
}

func (w *renewalWorld) staff(tenantID uuid.UUID, email, name, role string) uuid.UUID {
	w.t.Helper()
	var id uuid.UUID
	require.NoError(w.t, w.owner.QueryRow(context.Background(),
		`INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
		email, name).Scan(&id))
	w.exec(`INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, tenantID, id, role)
	return id
}

func (w *renewalWorld) partner(tenantID uuid.UUID, name string, owner *uuid.UUID) uuid.UUID {
	w.t.Helper()
	var id uuid.UUID
	require.NoError(w.t, w.owner.QueryRow(context.Background(), `INSERT INTO partners (tenant_id, name, type, status, owner_user_id)
		VALUES ($1, $2, 'referral', 'active', $3) RETURNING id`, tenantID, name, owner).Scan(&id))
	return id
}

// active arranges an accepted version running from..to.
func (w *renewalWorld) active(tenantID, partnerID uuid.UUID, from, to string, autoRenew bool, noticeDays int) uuid.UUID {
	w.t.Helper()
	var id uuid.UUID
	require.NoError(w.t, w.owner.QueryRow(context.Background(), `INSERT INTO agreements (tenant_id, partner_id, version, status,
			model, effective_from, effective_to, auto_renew, renewal_months, termination_notice_days, accepted_at,
			accepted_name, accepted_via)
		VALUES ($1, $2, 1, 'active', 'referral', $3, $4, $5, 12, $6, now(), 'Pat Partner', 'recorded') RETURNING id`,
		tenantID, partnerID, from, to, autoRenew, noticeDays).Scan(&id))
	return id
}

func (w *renewalWorld) emails() []notify.OutboxMessage {
	w.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), w.owner, 500)
	require.NoError(w.t, err)
	return msgs
}

func (w *renewalWorld) emailsTo(addr string) []notify.OutboxMessage {
	var out []notify.OutboxMessage
	for _, m := range w.emails() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

func (w *renewalWorld) status(id uuid.UUID) (status string, to time.Time, reminded bool) {
	w.t.Helper()
	require.NoError(w.t, w.owner.QueryRow(context.Background(),
		`SELECT status, effective_to, renewal_reminded_at IS NOT NULL FROM agreements WHERE id = $1`, id).Scan(&status, &to, &reminded))
	return status, to, reminded
}

func (w *renewalWorld) run(now time.Time) agreement.RenewalRun {
	w.t.Helper()
	run, err := agreement.RunRenewals(context.Background(), w.db, w.out, now, "https://allyway.example")
	require.NoError(w.t, err)
	return run
}

func at(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(7 * time.Hour)
}

// TestRenewals runs the daily renewals over two firms with a fixed clock:
// reminders 30 days ahead go once to the partner's owner (or the firm's
// owners and admins), versions past their end expire or renew in place,
// and a second run the same day does nothing.
func TestRenewals(t *testing.T) {
	w := newRenewalWorld(t)
	a := w.firm("alpha", "Alpha Advisory")
	b := w.firm("beta", "Beta Partners")
	aOwner := w.staff(a, "owner@alpha.test", "Olive Owner", "owner")
	w.staff(a, "admin@alpha.test", "Adam Admin", "admin")
	manager := w.staff(a, "manager@alpha.test", "Mia Manager", "manager")
	w.staff(a, "viewer@alpha.test", "Vic Viewer", "viewer")
	w.staff(b, "owner@beta.test", "Bea Owner", "owner")
	_ = aOwner

	soon := w.active(a, w.partner(a, "Brightline Tax", &manager), "2026-01-01", "2026-12-15", false, 30)
	later := w.active(a, w.partner(a, "Keystone Legal", &manager), "2026-01-01", "2027-02-01", false, 30)
	over := w.active(a, w.partner(a, "Crestview Accountants", nil), "2025-11-21", "2026-11-20", false, 30)
	renews := w.active(a, w.partner(a, "Ironbridge Systems", nil), "2025-12-11", "2026-12-10", true, 30)
	other := w.active(b, w.partner(b, "Beta's partner", nil), "2026-01-01", "2026-12-01", false, 0)

	run := w.run(at("2026-11-27"))
	require.Equal(t, agreement.RenewalRun{Firms: 2, Reminded: 3, Expired: 1}, run)

	// The partner's owner, and only them.
	got := w.emailsTo("manager@alpha.test")
	require.Len(t, got, 1)
	require.Equal(t, "The agreement with Brightline Tax ends on 15 Dec 2026", got[0].Subject)
	require.Contains(t, got[0].Text, "Hello Mia Manager,")
	require.Contains(t, got[0].Text, "ends on 15 December 2026 (in 18 days) and does not renew by itself")
	require.Contains(t, got[0].Text, "https://allyway.example/t/alpha/partners/")
	// No owner: the firm's owners and admins; it renews by itself and the
	// notice period has already begun.
	for _, to := range []string{"owner@alpha.test", "admin@alpha.test"} {
		got := w.emailsTo(to)
		require.Len(t, got, 1, to)
		require.Equal(t, "The agreement with Ironbridge Systems renews on 11 Dec 2026", got[0].Subject)
		require.Contains(t, got[0].Text, "renews by itself for 12 months")
		require.Contains(t, got[0].Text, "too late to stop this renewal")
	}
	require.Empty(t, w.emailsTo("viewer@alpha.test"))
	// The other firm's people hear about the other firm's agreement only.
	got = w.emailsTo("owner@beta.test")
	require.Len(t, got, 1)
	require.Contains(t, got[0].Subject, "Beta's partner")
	require.NotContains(t, got[0].Text, "Alpha")
	require.Len(t, w.emails(), 4)

	st, _, reminded := w.status(soon)
	require.Equal(t, "active", st)
	require.True(t, reminded)
	st, _, reminded = w.status(later)
	require.Equal(t, "active", st)
	require.False(t, reminded, "ends in more than 30 days")
	st, _, _ = w.status(over)
	require.Equal(t, "expired", st)
	_, _, reminded = w.status(other)
	require.True(t, reminded)

	var audits int
	require.NoError(t, w.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = 'agreement.renewal_reminded'`).Scan(&audits))
	require.Equal(t, 3, audits)

	// Again the same day (a restart, a retry): nothing new.
	require.Equal(t, agreement.RenewalRun{Firms: 2}, w.run(at("2026-11-27").Add(3*time.Hour)))
	require.Len(t, w.emails(), 4)

	// Lapsed before the next run: the version past its end shows at once.
	var lapsed []agreement.Agreement
	require.NoError(t, w.db.InTenant(context.Background(), a, func(tx pgx.Tx) (err error) {
		lapsed, err = agreement.Lapsed(context.Background(), tx, a, at("2026-12-16"), 10)
		return err
	}))
	require.Equal(t, []string{"Brightline Tax", "Crestview Accountants"}, partnerNames(lapsed))

	// After the ends: Brightline's expires, Ironbridge's renews for 12
	// months, to be reminded again before its new end.
	run = w.run(at("2026-12-16"))
	require.Equal(t, agreement.RenewalRun{Firms: 2, Expired: 2}, run)
	st, _, _ = w.status(soon)
	require.Equal(t, "expired", st)
	st, to, reminded := w.status(renews)
	require.Equal(t, "active", st)
	require.Equal(t, "2027-12-10", to.Format(time.DateOnly))
	require.False(t, reminded)
	st, _, _ = w.status(other)
	require.Equal(t, "expired", st)

	// A year on: Ironbridge is reminded of its new end; Keystone ended
	// meanwhile (the renewals did not run near its end: no reminder, but
	// it expires all the same).
	run = w.run(at("2027-11-15"))
	require.Equal(t, agreement.RenewalRun{Firms: 2, Reminded: 1, Expired: 1}, run)
	require.Len(t, w.emailsTo("owner@alpha.test"), 2)
}

func partnerNames(as []agreement.Agreement) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.PartnerName)
	}
	return out
}

// recordingMailer keeps what it is asked to send.
type recordingMailer struct{ sent chan notify.Email }

func (m recordingMailer) Send(_ context.Context, e notify.Email) error { m.sent <- e; return nil }
func (recordingMailer) Name() string                                   { return "test" }

// TestRenewalWorker works the job in a running River client, as the app
// role: the reminder it queues is delivered by the send_email job.
func TestRenewalWorker(t *testing.T) {
	w := newRenewalWorld(t)
	a := w.firm("alpha", "Alpha Advisory")
	w.staff(a, "owner@alpha.test", "Olive Owner", "owner")
	id := w.active(a, w.partner(a, "Brightline Tax", nil), "2026-01-01", "2026-12-01", false, 30)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mailer := recordingMailer{sent: make(chan notify.Email, 10)}
	workers := river.NewWorkers()
	river.AddWorker(workers, notify.NewSendEmailWorker(w.app, mailer))
	river.AddWorker[agreement.RenewalArgs](workers, &agreement.RenewalWorker{Pool: w.app, Logger: slog.New(slog.DiscardHandler),
		BaseURL: "https://x.example", Now: func() time.Time { return at("2026-11-27") }})
	client, err := river.NewClient(riverpgxv5.New(w.app), &river.Config{Logger: slog.New(slog.DiscardHandler), Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, ReindexerIndexNames: []string{}})
	require.NoError(t, err)
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancelSub()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(ctx))
	})
	_, err = client.Insert(ctx, agreement.RenewalArgs{}, nil)
	require.NoError(t, err)

	for done := map[string]bool{}; !done["agreement_renewals"] || !done["send_email"]; {
		select {
		case ev := <-events:
			require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job %s: %v", ev.Job.Kind, ev.Job.Errors)
			done[ev.Job.Kind] = true
		case <-ctx.Done():
			t.Fatal("the renewal job and its email did not complete")
		}
	}
	m := <-mailer.sent
	require.Equal(t, "owner@alpha.test", m.To)
	require.Equal(t, "The agreement with Brightline Tax ends on 1 Dec 2026", m.Subject)
	require.Contains(t, m.Text, "https://x.example/t/alpha/partners/")
	_, _, reminded := w.status(id)
	require.True(t, reminded)
}

func TestRenewalSchedule(t *testing.T) {
	j := agreement.RenewalPeriodicJob()
	require.NotNil(t, j)
	next := agreement.NextRenewalRun
	require.Equal(t, time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC), next(time.Date(2026, 11, 27, 5, 59, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC), next(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2027, 1, 1, 6, 0, 0, 0, time.UTC), next(time.Date(2026, 12, 31, 23, 0, 0, 0, time.FixedZone("x", -3*3600))))
}
