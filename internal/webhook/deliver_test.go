package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
	"github.com/allyway/allyway/internal/webhook"
)

// world is a migrated database with one firm (an owner and an admin), a
// partner and a clock the deliverer reads.
type world struct {
	t       *testing.T
	owner   *pgxpool.Pool
	db      *db.DB
	outbox  *notify.Outbox
	firm    uuid.UUID
	partner uuid.UUID
	clock   time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	rc, err := river.NewClient(riverpgxv5.New(app), &river.Config{})
	require.NoError(t, err)
	w := &world{t: t, owner: owner, db: db.New(app), outbox: notify.NewOutbox(rc), firm: uuid.New(), clock: time.Now()}
	w.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, 'northwind', 'Northwind Advisory')`, w.firm)
	for _, u := range []struct{ email, role string }{{"owner@northwind.test", "owner"}, {"admin@northwind.test", "admin"}, {"viewer@northwind.test", "viewer"}} {
		var id uuid.UUID
		require.NoError(t, owner.QueryRow(ctx, `INSERT INTO users (email, name) VALUES ($1, $1) RETURNING id`, u.email).Scan(&id))
		w.exec(`INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, w.firm, id, u.role)
	}
	require.NoError(t, owner.QueryRow(ctx, `INSERT INTO partners (tenant_id, name) VALUES ($1, 'Brightline') RETURNING id`, w.firm).Scan(&w.partner))
	return w
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.t, err, sql)
}

func (w *world) count(sql string, args ...any) int {
	w.t.Helper()
	var n int
	require.NoError(w.t, w.owner.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

// subscribe adds a subscription (as the firm's staff would) and returns it
// with its secret.
func (w *world) subscribe(url string, events ...string) (webhook.Subscription, string) {
	w.t.Helper()
	ctx := context.Background()
	var s webhook.Subscription
	var secret string
	require.NoError(w.t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
		s, secret, err = webhook.Create(ctx, tx, w.firm, webhook.Guard{AllowPrivate: true}, webhook.Input{URL: url, Events: events}, uuid.Nil)
		return err
	}))
	return s, secret
}

// referral submits a referral in the partner's portal scope (as a partner
// would) and returns its id.
func (w *world) referral(company string) uuid.UUID {
	w.t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(w.t, w.db.InPortal(ctx, w.firm, w.partner, func(tx pgx.Tx) error {
		var prospect uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`,
			w.firm, w.partner).Scan(&prospect); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm)
			VALUES ($1, 'inbound', $2, $3, $4, lower($4)) RETURNING id`, w.firm, w.partner, prospect, company).Scan(&id)
	}))
	return id
}

// move sets a referral's status as the firm's staff.
func (w *world) move(id uuid.UUID, to string) {
	w.t.Helper()
	ctx := context.Background()
	require.NoError(w.t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE referrals SET status = $3, status_changed_at = now() WHERE tenant_id = $1 AND id = $2`, w.firm, id, to)
		return err
	}))
}

func (w *world) deliverer(timeout time.Duration) *webhook.Deliverer {
	return &webhook.Deliverer{DB: w.db, Outbox: w.outbox, Guard: webhook.Guard{AllowPrivate: true}, Timeout: timeout,
		BaseURL: "https://app.allyway.test", Now: func() time.Time { return w.clock }}
}

func (w *world) run(d *webhook.Deliverer) webhook.Result {
	w.t.Helper()
	if now := time.Now(); w.clock.Before(now) {
		w.clock = now // rows written since carry the database's now()
	}
	res, err := d.Run(context.Background())
	require.NoError(w.t, err)
	return res
}

// received is one request a test receiver got.
type received struct {
	Header http.Header
	Body   []byte
	Env    webhook.Envelope
}

// receiver is an httptest server recording what it gets; answer decides
// each response's status (nil: 200).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, env webhook.Envelope) int
}

func newReceiver(t *testing.T, answer func(n int, env webhook.Envelope) int) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(wr http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env webhook.Envelope
		_ = json.Unmarshal(body, &env)
		rc.mu.Lock()
		rc.got = append(rc.got, received{Header: r.Header.Clone(), Body: body, Env: env})
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n, env)
		}
		wr.WriteHeader(status)
		_, _ = wr.Write([]byte("thanks"))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// TestNoSubscriberNoEvents: without a subscription to an event type, the
// changes that would emit it write no webhook_events row (the firm's
// interest is checked first); the types it does want are written.
func TestNoSubscriberNoEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.referral("Acme")
	w.move(r, "acknowledged")
	w.exec(`UPDATE partners SET status = 'active' WHERE tenant_id = $1`, w.firm)
	require.Zero(t, w.count(`SELECT count(*) FROM webhook_events`))
	require.Zero(t, w.count(`SELECT count(*) FROM webhook_interest`))

	w.subscribe("http://127.0.0.1:1/hook", webhook.PartnerStatusChanged)
	w.referral("Beta")
	w.move(r, "contacted")
	require.Zero(t, w.count(`SELECT count(*) FROM webhook_events`), "referral events are not wanted")
	w.exec(`UPDATE partners SET status = 'paused' WHERE tenant_id = $1`, w.firm)
	require.Equal(t, 1, w.count(`SELECT count(*) FROM webhook_events WHERE type = 'partner.status_changed'
		AND data->>'from' = 'active' AND data->>'to' = 'paused'`))
}

// TestDeliveryOrderPerSubject: a subject's events go out in order; while
// one referral's earlier event waits for a retry, its later events wait
// too, and other referrals' events are not held up. Each request is
// signed with the subscription's secret.
func TestDeliveryOrderPerSubject(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	failFirst := true
	var mu sync.Mutex
	rc := newReceiver(t, func(_ int, env webhook.Envelope) int {
		mu.Lock()
		defer mu.Unlock()
		if failFirst && env.Type == webhook.ReferralCreated && strings.Contains(string(env.Data), `"client_company":"Acme"`) {
			failFirst = false
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	sub, secret := w.subscribe(rc.URL+"/hooks", webhook.ReferralCreated, webhook.ReferralStatusChanged)
	a := w.referral("Acme")
	w.move(a, "acknowledged")
	b := w.referral("Beta")
	w.move(b, "acknowledged")

	res := w.run(w.deliverer(0))
	require.Equal(t, 4, res.Dispatched)
	require.Equal(t, 1, res.Failed)
	require.Equal(t, 2, res.Delivered, "B's two events; A's second waits for its first")
	got := rc.all()
	require.Len(t, got, 3)
	require.Equal(t, a.String(), referralID(t, got[0]))
	require.Equal(t, b.String(), referralID(t, got[1]))
	require.Equal(t, webhook.ReferralCreated, got[1].Env.Type)
	require.Equal(t, webhook.ReferralStatusChanged, got[2].Env.Type)

	// Nothing is due before the backoff ends.
	w.clock = w.clock.Add(30 * time.Second)
	require.Equal(t, webhook.Result{}, w.run(w.deliverer(0)))
	w.clock = w.clock.Add(31 * time.Second)
	res = w.run(w.deliverer(0))
	require.Equal(t, 2, res.Delivered)
	got = rc.all()
	require.Len(t, got, 5)
	require.Equal(t, webhook.ReferralCreated, got[3].Env.Type)
	require.Equal(t, a.String(), referralID(t, got[3]))
	require.Equal(t, webhook.ReferralStatusChanged, got[4].Env.Type)
	require.Equal(t, a.String(), referralID(t, got[4]))
	// The retry carries the same event id.
	require.Equal(t, got[0].Env.ID, got[3].Env.ID)
	require.Equal(t, got[0].Header.Get(webhook.HeaderID), got[3].Header.Get(webhook.HeaderID))

	for _, g := range got {
		require.NoError(t, webhook.Verify(secret, g.Header.Get(webhook.HeaderTimestamp), g.Body, g.Header.Get(webhook.HeaderSignature), 0))
		require.Equal(t, "application/json", g.Header.Get("Content-Type"))
	}
	ds := w.deliveries(sub.ID)
	require.Len(t, ds, 4)
	for _, d := range ds {
		require.Equal(t, webhook.StatusDelivered, d.Status)
		require.Equal(t, 200, *d.LastStatusCode)
	}
	require.Equal(t, 0, w.count(`SELECT consecutive_failures FROM webhook_subscriptions WHERE id = $1`, sub.ID))
}

func referralID(t *testing.T, r received) string {
	t.Helper()
	var data struct {
		Referral struct {
			ID string `json:"id"`
		} `json:"referral"`
	}
	require.NoError(t, json.Unmarshal(r.Env.Data, &data))
	return data.Referral.ID
}

func (w *world) deliveries(sub uuid.UUID) []webhook.Delivery {
	w.t.Helper()
	ctx := context.Background()
	var ds []webhook.Delivery
	require.NoError(w.t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
		ds, err = webhook.Deliveries(ctx, tx, w.firm, sub, 100)
		return err
	}))
	return ds
}

// TestFailingReceiverBacksOffThenDisables: a receiver that always fails
// gets the event at 0, +1m, +5m, +30m, +2h, +6h, +12h, +24h; then the
// delivery is given up, the subscription disabled with the reason, the
// disabling audited and the firm's owner and admin (not the viewer)
// emailed. Later events are not sent to it.
func TestFailingReceiverBacksOffThenDisables(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rc := newReceiver(t, func(int, webhook.Envelope) int { return http.StatusInternalServerError })
	sub, _ := w.subscribe(rc.URL, webhook.ReferralCreated)
	w.referral("Acme")

	for i := 0; i < webhook.MaxAttempts; i++ {
		res := w.run(w.deliverer(0))
		require.Equal(t, 1, res.Failed, "attempt %d", i+1)
		require.Len(t, rc.all(), i+1)
		ds := w.deliveries(sub.ID)
		require.Len(t, ds, 1)
		require.Equal(t, i+1, ds[0].Attempts)
		require.Equal(t, 500, *ds[0].LastStatusCode)
		require.Contains(t, ds[0].LastError, "500")
		if wait, more := webhook.Backoff(i + 1); more {
			require.Equal(t, webhook.StatusPending, ds[0].Status)
			require.WithinDuration(t, w.clock.Add(wait), *ds[0].NextAttemptAt, time.Millisecond)
			// Not before its time.
			w.clock = w.clock.Add(wait - time.Second)
			require.Equal(t, webhook.Result{}, w.run(w.deliverer(0)))
			w.clock = w.clock.Add(time.Second)
			require.Equal(t, 0, res.Disabled)
		} else {
			require.Equal(t, webhook.StatusFailed, ds[0].Status)
			require.Nil(t, ds[0].NextAttemptAt)
			require.Equal(t, 1, res.Disabled)
		}
	}
	s := w.get(sub.ID)
	require.False(t, s.Enabled)
	require.Contains(t, s.DisabledReason, "Disabled automatically after 8 failed deliveries")
	require.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'webhook.auto_disabled' AND target_id = $1`, sub.ID.String()))
	require.Equal(t, 1, w.count(`SELECT count(*) FROM email_outbox WHERE to_addr = 'owner@northwind.test' AND subject LIKE 'Webhook disabled:%'
		AND text_body LIKE '%https://app.allyway.test/t/northwind/settings/webhooks/%'`))
	require.Equal(t, 1, w.count(`SELECT count(*) FROM email_outbox WHERE to_addr = 'admin@northwind.test'`))
	require.Zero(t, w.count(`SELECT count(*) FROM email_outbox WHERE to_addr = 'viewer@northwind.test'`))
	require.Equal(t, 2, w.count(`SELECT count(*) FROM river_job WHERE kind = 'send_email'`))

	// Disabled: new events are neither recorded for it nor sent.
	w.referral("Beta")
	w.clock = w.clock.Add(48 * time.Hour)
	require.Equal(t, webhook.Result{}, w.run(w.deliverer(0)))
	require.Len(t, rc.all(), webhook.MaxAttempts)
	require.Zero(t, w.count(`SELECT count(*) FROM webhook_events WHERE subject LIKE 'referral:%' AND data->'referral'->>'client_company' = 'Beta'`))
}

func (w *world) get(id uuid.UUID) webhook.Subscription {
	w.t.Helper()
	ctx := context.Background()
	var s webhook.Subscription
	require.NoError(w.t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
		s, err = webhook.Get(ctx, tx, w.firm, id)
		return err
	}))
	return s
}

// TestSlowReceiverTimesOut: an answer slower than the timeout is a
// failure (retried later), and the run does not wait for it.
func TestSlowReceiverTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(int, webhook.Envelope) int {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return http.StatusOK
	})
	t.Cleanup(func() { close(release) })
	sub, _ := w.subscribe(rc.URL, webhook.ReferralCreated)
	w.referral("Acme")

	start := time.Now()
	res := w.run(w.deliverer(300 * time.Millisecond))
	require.Less(t, time.Since(start), 3*time.Second)
	require.Equal(t, 1, res.Failed)
	ds := w.deliveries(sub.ID)
	require.Len(t, ds, 1)
	require.Equal(t, webhook.StatusPending, ds[0].Status)
	require.Equal(t, 1, ds[0].Attempts)
	require.Nil(t, ds[0].LastStatusCode)
	require.Contains(t, ds[0].LastError, "timed out")
}

// TestTestEventAndRedeliver: a test event goes to one subscription only;
// a delivered event can be sent again, with the same event id.
func TestTestEventAndRedeliver(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rc1 := newReceiver(t, nil)
	rc2 := newReceiver(t, nil)
	s1, _ := w.subscribe(rc1.URL, webhook.ReferralCreated)
	w.subscribe(rc2.URL, webhook.ReferralCreated)
	ctx := context.Background()
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		_, err := webhook.SendTest(ctx, tx, w.firm, s1.ID)
		return err
	}))
	w.run(w.deliverer(0))
	require.Len(t, rc1.all(), 1)
	require.Empty(t, rc2.all())
	require.Equal(t, webhook.TestEvent, rc1.all()[0].Env.Type)

	ds := w.deliveries(s1.ID)
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		d, err := webhook.Redeliver(ctx, tx, w.firm, s1.ID, ds[0].ID)
		require.Equal(t, webhook.StatusPending, d.Status)
		return err
	}))
	w.run(w.deliverer(0))
	got := rc1.all()
	require.Len(t, got, 2)
	require.Equal(t, got[0].Env.ID, got[1].Env.ID)
	require.Equal(t, 2, w.deliveries(s1.ID)[0].Attempts)

	// Disabled: neither a test nor a redelivery.
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		_, err := webhook.SetEnabled(ctx, tx, w.firm, s1.ID, false, "Paused by a test")
		return err
	}))
	err := w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		_, err := webhook.SendTest(ctx, tx, w.firm, s1.ID)
		return err
	})
	require.ErrorContains(t, err, "enable it first")
}
