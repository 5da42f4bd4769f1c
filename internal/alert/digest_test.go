package alert_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/notify"
)

func (w *world) emails() []notify.OutboxMessage {
	w.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), w.owner, 500)
	require.NoError(w.t, err)
	return msgs
}

func (f *firm) digest(at time.Time) alert.DigestResult {
	f.w.t.Helper()
	var r alert.DigestResult
	require.NoError(f.w.t, f.w.db.InTenant(context.Background(), f.id, func(tx pgx.Tx) (err error) {
		r, err = alert.Digest(context.Background(), tx, f.w.out, alert.Firm{ID: f.id, Slug: f.slug, Name: f.name}, at,
			"https://allyway.example")
		return err
	}))
	return r
}

// TestDigest: owners, admins and managers (not finance, viewers or the
// disabled) get one email each listing the alerts new since the last
// digest; a second digest sends nothing; the next lists only what is new.
func TestDigest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Northwind Advisory", "UTC")
	f.staff("olive@northwind.test", "Olive Owner", "owner")
	f.staff("ada@northwind.test", "Ada Admin", "admin")
	f.staff("max@northwind.test", "Max Manager", "manager")
	f.staff("fin@northwind.test", "Fin Ance", "finance")
	f.staff("vi@northwind.test", "Vi Ewer", "viewer")
	gone := f.staff("gone@northwind.test", "Gone Admin", "admin")
	w.exec(`UPDATE users SET disabled_at = now() WHERE id = $1`, gone)

	p := f.partner("Brightline Tax", "active", "2025-01-01")
	f.referrals(12, p, "outbound", "submitted", "2026-09-01")
	f.referrals(2, p, "inbound", "submitted", "2026-10-01")
	f.scan(now)

	monday := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	require.Equal(t, alert.DigestResult{Firms: 1, Emails: 3, Alerts: 1}, f.digest(monday))
	msgs := w.emails()
	require.Len(t, msgs, 3)
	var to []string
	for _, m := range msgs {
		to = append(to, m.To)
		require.Equal(t, "Partner alerts at Northwind Advisory: 1 new", m.Subject)
	}
	require.ElementsMatch(t, []string{"olive@northwind.test", "ada@northwind.test", "max@northwind.test"}, to)
	var olive notify.OutboxMessage
	for _, m := range msgs {
		if m.To == "olive@northwind.test" {
			olive = m
		}
	}
	require.Contains(t, olive.Text, "Hello Olive Owner,")
	require.Contains(t, olive.Text, "One partner alert was raised at Northwind Advisory since the last digest:")
	require.Contains(t, olive.Text, "Uneven flow\n- Brightline Tax: We've referred 12 opportunities to you this year and received 2.\n")
	require.Contains(t, olive.Text, "https://allyway.example/t/"+f.slug+"/partners/"+p.String())
	require.Contains(t, olive.Text, "One alert is open in all: https://allyway.example/t/"+f.slug+"/alerts")

	// Once only.
	require.Equal(t, alert.DigestResult{Firms: 1}, f.digest(monday.Add(time.Hour)))
	require.Len(t, w.emails(), 3)

	// A change of numbers is not news; a new alert is.
	f.referral(p, "inbound", "submitted", "2026-11-20")
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at)
		VALUES ($1, $2, 'Dana Lee', 'executive_sponsor', '2026-12-01T09:00:00Z')`, f.id, p)
	f.scan(monday.AddDate(0, 0, 2))
	next := monday.AddDate(0, 0, 7)
	require.Equal(t, alert.DigestResult{Firms: 1, Emails: 3, Alerts: 1}, f.digest(next))
	var latest notify.OutboxMessage
	for _, m := range w.emails() {
		if m.To == "max@northwind.test" && m.Subject == "Partner alerts at Northwind Advisory: 1 new" &&
			strings.Contains(m.Text, "Relationship at risk") {
			latest = m
		}
	}
	require.NotEmpty(t, latest.Text)
	require.NotContains(t, latest.Text, "Uneven flow")
	require.Contains(t, latest.Text, "2 alerts are open in all")
}

// TestDigestWithoutRecipients: a firm with no one to tell keeps its
// alerts for the next digest.
func TestDigestWithoutRecipients(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Lonely LLP", "UTC")
	f.staff("fin@lonely.test", "Fin Ance", "finance")
	p := f.partner("Brightline Tax", "active", "2026-10-01")
	f.referrals(5, p, "inbound", "submitted", "2026-10-01")
	f.scan(now)
	require.Equal(t, alert.DigestResult{Firms: 1}, f.digest(now))
	f.staff("olive@lonely.test", "Olive Owner", "owner")
	require.Equal(t, alert.DigestResult{Firms: 1, Emails: 1, Alerts: 1}, f.digest(now))
}

// TestWorkers runs both jobs in a River client, as the app role: the scan
// raises the alert and the digest's email is delivered by send_email.
func TestWorkers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Northwind Advisory", "UTC")
	f.staff("olive@northwind.test", "Olive Owner", "owner")
	p := f.partner("Brightline Tax", "active", "2025-01-01")
	f.referrals(12, p, "outbound", "submitted", "2026-09-01")
	f.referrals(2, p, "inbound", "submitted", "2026-10-01")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent := make(chan notify.Email, 10)
	workers := river.NewWorkers()
	river.AddWorker(workers, notify.NewSendEmailWorker(w.app, mailer{sent}))
	sw := alert.NewScanWorker(w.app, slog.New(slog.DiscardHandler))
	sw.Now = func() time.Time { return now }
	river.AddWorker(workers, sw)
	dw := alert.NewDigestWorker(w.app, "https://x.example/", slog.New(slog.DiscardHandler))
	dw.Now = func() time.Time { return now.Add(time.Hour) }
	river.AddWorker(workers, dw)
	client, err := river.NewClient(riverpgxv5.New(w.app), &river.Config{Logger: slog.New(slog.DiscardHandler), Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, ReindexerIndexNames: []string{}})
	require.NoError(t, err)
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancelSub()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(ctx))
	})
	wait := func(kinds ...string) {
		t.Helper()
		for done := map[string]bool{}; len(done) < len(kinds); {
			select {
			case ev := <-events:
				require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job %s: %v", ev.Job.Kind, ev.Job.Errors)
				done[ev.Job.Kind] = true
			case <-ctx.Done():
				t.Fatalf("jobs %v did not complete", kinds)
			}
		}
	}
	_, err = client.Insert(ctx, alert.ScanArgs{}, nil)
	require.NoError(t, err)
	wait("alert_scan")
	require.Len(t, f.open()[alert.UnevenFlow], 1)
	_, err = client.Insert(ctx, alert.DigestArgs{}, nil)
	require.NoError(t, err)
	wait("alert_digest", "send_email")
	m := <-sent
	require.Equal(t, "olive@northwind.test", m.To)
	require.Contains(t, m.Text, "https://x.example/t/"+f.slug+"/alerts")
}

type mailer struct{ sent chan notify.Email }

func (m mailer) Send(_ context.Context, e notify.Email) error { m.sent <- e; return nil }
func (mailer) Name() string                                   { return "test" }
