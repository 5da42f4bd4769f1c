package rollup_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type world struct {
	t     *testing.T
	owner *pgxpool.Pool
	db    *db.DB
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
	return &world{t: t, owner: owner, db: db.New(app)}
}

// snapshot is every rollup row of the firm, as text, in key order.
func (w *world) snapshot(tenantID uuid.UUID) string {
	w.t.Helper()
	var b strings.Builder
	for _, sql := range []string{
		`SELECT p::text FROM partner_months p WHERE tenant_id = $1 ORDER BY partner_id, month`,
		`SELECT p::text FROM partner_month_money p WHERE tenant_id = $1 ORDER BY partner_id, month, currency`,
		`SELECT f::text FROM firm_months f WHERE tenant_id = $1 ORDER BY month`,
		`SELECT f::text FROM firm_month_money f WHERE tenant_id = $1 ORDER BY month, currency`,
	} {
		rows, err := w.owner.Query(context.Background(), sql, tenantID)
		require.NoError(w.t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(w.t, err)
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n--\n")
	}
	return b.String()
}

// demoWorld is a world with the demo seeded, and Northwind's id.
func demoWorld(t *testing.T) (*world, uuid.UUID) {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	_, err := seed.Demo(ctx, w.db, auth.NewHasher(1), "http://x")
	require.NoError(t, err)
	var nw uuid.UUID
	require.NoError(t, w.owner.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'northwind'`).Scan(&nw))
	return w, nw
}

func (w *world) exec(tenantID uuid.UUID, sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), sql, args...)
		return err
	}), sql)
}

func (w *world) refresh(tenantID uuid.UUID) int {
	w.t.Helper()
	var n int
	require.NoError(w.t, w.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		n, err = rollup.Refresh(context.Background(), tx, tenantID)
		return err
	}))
	return n
}

// TestRebuildEqualsIncremental seeds the demo (referrals, SLA breaches,
// revenue, accruals, payouts, surveys, all through the app), refreshes
// what the triggers marked, then changes every kind of source the way
// the app does — as the app role, so the marks come only from the
// triggers — refreshes again, and compares with a rebuild from raw data.
func TestRebuildEqualsIncremental(t *testing.T) {
	w, nw := demoWorld(t)
	ctx := context.Background()

	require.Positive(t, w.refresh(nw), "seeding marked the partners")
	require.Zero(t, w.refresh(nw), "a second refresh has nothing to do")
	var months int
	require.NoError(t, w.owner.QueryRow(ctx, `SELECT count(*) FROM partner_months WHERE tenant_id = $1`, nw).Scan(&months))
	require.Greater(t, months, 100)

	// Changes of every source (reassignment moves figures between partners).
	for _, sql := range []string{
		// A referral reassigned to another partner, one closed, one reopened stage.
		`UPDATE referrals SET partner_id = (SELECT id FROM partners WHERE tenant_id = $1 AND name = 'Keystone Legal')
			WHERE tenant_id = $1 AND id = (SELECT id FROM referrals WHERE tenant_id = $1 AND status = 'submitted' ORDER BY number LIMIT 1)`,
		`UPDATE referrals SET status = 'won', closed_at = now(), fit = 'good', first_responded_at = coalesce(first_responded_at, now())
			WHERE tenant_id = $1 AND id = (SELECT id FROM referrals WHERE tenant_id = $1 AND status = 'proposal' ORDER BY number LIMIT 1)`,
		`UPDATE referrals SET status = 'meeting', meeting_at = now()
			WHERE tenant_id = $1 AND id = (SELECT id FROM referrals WHERE tenant_id = $1 AND status = 'contacted' ORDER BY number LIMIT 1)`,
		// An SLA breach recorded (the app never deletes them).
		`INSERT INTO sla_breaches (tenant_id, referral_id, clock, partner_id, due_at)
			SELECT tenant_id, id, 'meeting', partner_id, now() - interval '1 day' FROM referrals r
			WHERE tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM sla_breaches b WHERE b.tenant_id = r.tenant_id AND b.referral_id = r.id)
			ORDER BY number LIMIT 2`,
		// A client payment and its refund.
		`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
			SELECT tenant_id, id, referral_id, partner_id, 123456, 'USD', current_date - 40, 'staff' FROM engagements
			WHERE tenant_id = $1 ORDER BY started_on, id LIMIT 1`,
		`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
			SELECT tenant_id, id, referral_id, partner_id, -23456, 'USD', current_date - 10, 'staff' FROM engagements
			WHERE tenant_id = $1 ORDER BY started_on DESC, id LIMIT 1`,
		// A client survey answered.
		`UPDATE client_surveys SET score = 2, answered_at = now(), source = 'staff'
			WHERE tenant_id = $1 AND id = (SELECT id FROM client_surveys WHERE tenant_id = $1 AND answered_at IS NULL ORDER BY created_at LIMIT 1)`,
	} {
		w.exec(nw, sql, nw)
	}
	// A finance adjustment (a ledger entry with its lines, balanced).
	w.exec(nw, `WITH e AS (
			INSERT INTO journal_entries (tenant_id, kind, partner_id, direction, amount_cents, currency, reason)
			SELECT tenant_id, 'adjustment', id, 'we_pay', 5000, 'USD', 'Goodwill' FROM partners
			WHERE tenant_id = $1 AND name = 'Brightline Tax' RETURNING tenant_id, id, partner_id)
		INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		SELECT tenant_id, id, 1, 'commission_expense', NULL, 5000, 'USD' FROM e
		UNION ALL SELECT tenant_id, id, 2, 'partner_payable', partner_id, -5000, 'USD' FROM e`, nw)

	require.Positive(t, w.refresh(nw))
	incremental := w.snapshot(nw)
	require.NoError(t, w.db.InTenant(ctx, nw, func(tx pgx.Tx) error { return rollup.Rebuild(ctx, tx, nw) }))
	require.Equal(t, w.snapshot(nw), incremental, "rebuilt rollups equal the incremental ones")

	// The firm's months are its partner months summed, row for row.
	var firmRows, differ int
	require.NoError(t, w.owner.QueryRow(ctx, `WITH s AS (
			SELECT month, sum(received) r, sum(reached_won) w, sum(open_submitted + open_acknowledged + open_contacted
				+ open_meeting + open_proposal) o FROM partner_months WHERE tenant_id = $1 GROUP BY month),
		m AS (SELECT month, currency, sum(revenue_received_cents) rev, sum(commission_earned_cents) com
			FROM partner_month_money WHERE tenant_id = $1 GROUP BY month, currency)
		SELECT (SELECT count(*) FROM firm_months WHERE tenant_id = $1),
			(SELECT count(*) FROM (
				(SELECT month, received, reached_won, open_submitted + open_acknowledged + open_contacted + open_meeting
					+ open_proposal FROM firm_months WHERE tenant_id = $1 EXCEPT SELECT month, r, w, o FROM s)
				UNION ALL (SELECT month, r, w, o FROM s EXCEPT SELECT month, received, reached_won, open_submitted
					+ open_acknowledged + open_contacted + open_meeting + open_proposal FROM firm_months WHERE tenant_id = $1)
				UNION ALL (SELECT month, 0, revenue_received_cents, commission_earned_cents FROM firm_month_money
					WHERE tenant_id = $1 EXCEPT SELECT month, 0, rev, com FROM m)) d)`, nw).Scan(&firmRows, &differ))
	require.Greater(t, firmRows, 12)
	require.Zero(t, differ, "firm months differ from the partner months summed")

	// The job does the same for every firm.
	res, err := rollup.RunAll(ctx, w.db, false)
	require.NoError(t, err)
	require.Zero(t, res.Partners)
	res, err = rollup.RunAll(ctx, w.db, true)
	require.NoError(t, err)
	require.GreaterOrEqual(t, res.Firms, 2)
	require.Equal(t, incremental, w.snapshot(nw))
}

// TestFiguresOnAFixedDataSet checks each rolled-up figure against numbers
// worked out by hand, in a firm whose months are New York's.
func TestFiguresOnAFixedDataSet(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f, p, q := uuid.New(), uuid.New(), uuid.New()
	for _, sql := range []string{
		`INSERT INTO tenants (id, slug, name) VALUES ($1, 'fixed', 'Fixed')`,
		`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, 'America/New_York')`,
	} {
		_, err := w.owner.Exec(ctx, sql, f)
		require.NoError(t, err)
	}
	for _, id := range []uuid.UUID{p, q} {
		_, err := w.owner.Exec(ctx, `INSERT INTO partners (tenant_id, id, name, type) VALUES ($1, $2, $3, 'referral')`, f, id, "P "+id.String()[:8])
		require.NoError(t, err)
		_, err = w.owner.Exec(ctx, `INSERT INTO referral_prospects (tenant_id, id, partner_id, contact_name) VALUES ($1, $2, $2, 'Pat')`, f, id)
		require.NoError(t, err)
	}
	ref := func(partner uuid.UUID, dir, status, submitted string, closed, responded *string, fit *string) uuid.UUID {
		id := uuid.New()
		_, err := w.owner.Exec(ctx, `INSERT INTO referrals (tenant_id, id, direction, partner_id, prospect_id, client_company, client_name_norm,
				status, submitted_at, closed_at, first_responded_at, fit, close_reason)
			VALUES ($1, $2, $3, $4, $4, 'Client', 'client', $5, $6, $7, $8, $9,
				CASE WHEN $5 IN ('lost', 'declined') THEN 'budget' END)`,
			f, id, dir, partner, status, submitted, closed, responded, fit)
		require.NoError(t, err)
		return id
	}
	s := func(v string) *string { return &v }
	// Partner p, inbound: three in January (one submitted 2026-02-01 04:00Z,
	// which is still January 31st in New York), responded after 30, 90 and
	// 600 minutes; two won in February (one good fit), one lost in March.
	won1 := ref(p, "inbound", "won", "2026-01-05T15:00:00Z", s("2026-02-10T15:00:00Z"), s("2026-01-05T15:30:00Z"), s("good"))
	ref(p, "inbound", "won", "2026-01-20T15:00:00Z", s("2026-02-20T15:00:00Z"), s("2026-01-20T16:30:00Z"), nil)
	ref(p, "inbound", "lost", "2026-02-01T04:00:00Z", s("2026-03-03T15:00:00Z"), s("2026-02-01T14:00:00Z"), s("poor"))
	// Outbound: one open (proposal) in February, one declined in March.
	ref(p, "outbound", "proposal", "2026-02-10T15:00:00Z", nil, nil, nil)
	ref(p, "outbound", "declined", "2026-03-10T15:00:00Z", s("2026-03-12T15:00:00Z"), nil, nil)
	// Partner q: one inbound in January, still submitted.
	ref(q, "inbound", "submitted", "2026-01-07T15:00:00Z", nil, nil, nil)

	eng := uuid.New()
	_, err := w.owner.Exec(ctx, `INSERT INTO engagements (tenant_id, id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, $4, 'project', 'Work', 5000000, '2026-02-15')`, f, eng, won1, p)
	require.NoError(t, err)
	_, err = w.owner.Exec(ctx, `INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
		VALUES ($1, $2, $3, $4, 2000000, 'USD', '2026-02-28', 'staff'), ($1, $2, $3, $4, 3000000, 'USD', '2026-03-01', 'staff'),
			($1, $2, $3, $4, -500000, 'USD', '2026-03-15', 'staff')`, f, eng, won1, p)
	require.NoError(t, err)
	_, err = w.owner.Exec(ctx, `INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, score, answered_at, source)
		VALUES ($1, $2, $3, $4, 4, '2026-03-02T15:00:00Z', 'staff')`, f, eng, won1, p)
	require.NoError(t, err)

	require.NoError(t, w.db.InTenant(ctx, f, func(tx pgx.Tx) error {
		n, err := rollup.Refresh(ctx, tx, f)
		require.Equal(t, 2, n)
		return err
	}))

	var rows []rollup.Row
	require.NoError(t, w.db.InTenant(ctx, f, func(tx pgx.Tx) (err error) {
		rows, err = rollup.Sum(ctx, tx, f, rollup.Query{PartnerID: &p, From: date("2026-01-01"), By: rollup.ByMonth})
		return err
	}))
	require.Len(t, rows, 3)
	jan, feb, mar := rows[0], rows[1], rows[2]
	require.Equal(t, date("2026-01-01"), jan.Start)
	require.EqualValues(t, 3, jan.Received, "the 04:00Z submission is January 31st in New York")
	require.EqualValues(t, 2, jan.ReachedContacted, "the won ones; the lost one never recorded a contact")
	require.EqualValues(t, 2, jan.ReachedWon)
	require.EqualValues(t, 2, jan.Responded)
	require.EqualValues(t, 30, *jan.ResponseP50Min)
	require.EqualValues(t, 90, *jan.ResponseP90Min)
	require.EqualValues(t, 2, feb.WonReceived)
	require.EqualValues(t, 1, feb.FitGood)
	require.EqualValues(t, 1, feb.Sent)
	require.EqualValues(t, 1, feb.OpenProposal)
	require.EqualValues(t, 1, feb.Responded, "the third was answered on February 1st")
	require.EqualValues(t, 600, *feb.ResponseP50Min)
	require.EqualValues(t, 2000000, feb.Money["USD"].RevenueReceived)
	require.EqualValues(t, 1, mar.LostReceived)
	require.EqualValues(t, 1, mar.FitPoor)
	require.EqualValues(t, 1, mar.LostSent)
	require.EqualValues(t, 1, mar.Sent)
	require.EqualValues(t, 2500000, mar.Money["USD"].RevenueReceived, "$30,000 less the $5,000 refund")
	require.EqualValues(t, 4, mar.CSATSum)
	require.EqualValues(t, 1, mar.CSATCount)

	// The quarter, and the firm by partner.
	require.NoError(t, w.db.InTenant(ctx, f, func(tx pgx.Tx) (err error) {
		rows, err = rollup.Sum(ctx, tx, f, rollup.Query{From: date("2026-01-01"), To: date("2026-04-01"), By: rollup.ByQuarter})
		return err
	}))
	require.Len(t, rows, 1)
	require.EqualValues(t, 4, rows[0].Received)
	require.EqualValues(t, 3, rows[0].Responded)
	require.EqualValues(t, 90, *rows[0].ResponseP50Min, "nearest rank of 30, 90, 600")
	require.EqualValues(t, 600, *rows[0].ResponseP90Min)
	require.EqualValues(t, 4500000, rows[0].Money["USD"].RevenueReceived)
	require.EqualValues(t, 2, rows[0].Open(), "q's submitted one and p's proposal")

	require.NoError(t, w.db.InTenant(ctx, f, func(tx pgx.Tx) (err error) {
		rows, err = rollup.Sum(ctx, tx, f, rollup.Query{From: date("2026-01-01"), By: rollup.ByPartner})
		return err
	}))
	require.Len(t, rows, 2)
	for _, r := range rows {
		if r.PartnerID == q {
			require.EqualValues(t, 1, r.Received)
			require.EqualValues(t, 1, r.OpenSubmitted)
		} else {
			require.Equal(t, p, r.PartnerID)
			require.EqualValues(t, 3, r.Received)
		}
	}
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestFreshDoesNotWaitForAnotherRefresh: while one transaction refreshes a
// firm, a page's Fresh reads the rollups as they are instead of queueing
// behind it; the job's Refresh does wait, so two never rewrite the firm's
// months at once.
func TestFreshDoesNotWaitForAnotherRefresh(t *testing.T) {
	w, nw := demoWorld(t)
	ctx := context.Background()
	w.refresh(nw)
	w.exec(nw, `UPDATE referrals SET fit = 'poor' WHERE tenant_id = $1
		AND id = (SELECT id FROM referrals WHERE tenant_id = $1 AND closed_at IS NOT NULL ORDER BY number LIMIT 1)`, nw)

	locked, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- w.db.InTenant(ctx, nw, func(tx pgx.Tx) error {
			n, err := rollup.Refresh(ctx, tx, nw)
			if err == nil && n != 1 {
				err = fmt.Errorf("refreshed %d partners, want 1", n)
			}
			close(locked)
			<-release
			return err
		})
	}()
	<-locked
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, w.db.InTenant(tctx, nw, func(tx pgx.Tx) error {
		if err := rollup.Fresh(tctx, tx, nw); err != nil {
			return err
		}
		dirty, err := rollup.Dirty(tctx, tx, nw)
		require.True(t, dirty, "the other refresh hasn't committed: its mark is still seen")
		return err
	}))
	require.Less(t, time.Since(start), 2*time.Second, "Fresh waited for the other refresh")

	// The job's refresh waits for the lock, then finds nothing left.
	type result struct {
		n   int
		err error
	}
	waited := make(chan result, 1)
	go func() {
		var r result
		r.err = w.db.InTenant(ctx, nw, func(tx pgx.Tx) (err error) {
			r.n, err = rollup.Refresh(ctx, tx, nw)
			return err
		})
		waited <- r
	}()
	select {
	case r := <-waited:
		t.Fatalf("Refresh didn't wait for the other one (recomputed %d, %v)", r.n, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-done)
	r := <-waited
	require.NoError(t, r.err)
	require.Zero(t, r.n)
	require.NoError(t, w.db.InTenant(ctx, nw, func(tx pgx.Tx) error {
		dirty, err := rollup.Dirty(ctx, tx, nw)
		require.False(t, dirty)
		return err
	}))
}
