package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// The ledger tests run against a real PostgreSQL, as the application role.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// fixture is a migrated database; firms are created with the owner pool
// (bypassing RLS) and the ledger runs as the app role.
type fixture struct {
	t     testing.TB
	owner *pgxpool.Pool
	app   *pgxpool.Pool
	db    *db.DB
}

var seq atomic.Int64

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := db.Connect(ctx, tdb.AppURL, 0)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return &fixture{t: t, owner: owner, app: app, db: db.New(app)}
}

// firm is one tenant with a staff user.
type firm struct {
	f     *fixture
	id    uuid.UUID
	staff uuid.UUID
}

func (f *fixture) firm() *firm {
	f.t.Helper()
	n := seq.Add(1)
	id := uuid.New()
	f.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, 'Northwind Advisory')`, id, fmt.Sprintf("northwind-%d", n))
	f.exec(`INSERT INTO tenant_settings (tenant_id) VALUES ($1)`, id)
	var u uuid.UUID
	require.NoError(f.t, f.owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ($1, 'Fin Ance') RETURNING id`,
		fmt.Sprintf("finance-%d@northwind.example", n)).Scan(&u))
	f.exec(`INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin')`, id, u)
	return &firm{f: f, id: id, staff: u}
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	_, err := f.owner.Exec(context.Background(), sql, args...)
	require.NoError(f.t, err, sql)
}

func (f *fixture) id(sql string, args ...any) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	require.NoError(f.t, f.owner.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// partner adds an active partner.
func (m *firm) partner(name string) uuid.UUID {
	return m.f.id(`INSERT INTO partners (tenant_id, name, status) VALUES ($1, $2, 'active') RETURNING id`, m.id, name)
}

// agreement adds an active agreement version in force from `from`.
func (m *firm) agreement(partnerID uuid.UUID, from string, netDays int, rules ...commission.Rule) uuid.UUID {
	m.f.t.Helper()
	for _, r := range rules {
		require.NoError(m.f.t, r.Validate())
	}
	b, err := json.Marshal(rules)
	require.NoError(m.f.t, err)
	return m.f.id(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at,
			accepted_via, payment_net_days, rules)
		VALUES ($1, $2, 1, 'active', 'referral', $3, now(), 'recorded', $4, $5) RETURNING id`,
		m.id, partnerID, date(from), netDays, b)
}

// referral adds a referral of the partner submitted on `on`, won the same day.
func (m *firm) referral(partnerID uuid.UUID, company, on string) uuid.UUID {
	return m.referralOf(partnerID, company, on, commission.Inbound)
}

// referralOf adds a won referral of the direction: inbound (the partner's
// to us) or outbound (ours to the partner).
func (m *firm) referralOf(partnerID uuid.UUID, company, on, direction string) uuid.UUID {
	prospect := m.f.id(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, m.id, partnerID)
	at := date(on).Add(10 * time.Hour)
	return m.f.id(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		VALUES ($1, $6, $2, $3, $4, lower($4), 'won', $5, $5, $5) RETURNING id`, m.id, partnerID, prospect, company, at, direction)
}

// engagement adds an engagement of the referral.
func (m *firm) engagement(referralID, partnerID uuid.UUID, kind string, valueCents int64, started string) uuid.UUID {
	return m.f.id(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, $4, 'Work', $5, $6) RETURNING id`, m.id, referralID, partnerID, kind, valueCents, date(started))
}

// pay records a revenue event as the app role.
func (m *firm) pay(in ledger.RevenueInput) (ledger.RevenueEvent, error) {
	if in.Source == "" {
		in.Source = ledger.SourceStaff
	}
	if in.CreatedBy == uuid.Nil {
		in.CreatedBy = m.staff
	}
	var ev ledger.RevenueEvent
	err := m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		ev, err = ledger.RecordRevenue(context.Background(), tx, m.id, in)
		return err
	})
	return ev, err
}

func (m *firm) mustPay(engagementID uuid.UUID, cents int64, on string) ledger.RevenueEvent {
	m.f.t.Helper()
	ev, err := m.pay(ledger.RevenueInput{EngagementID: engagementID, AmountCents: cents, PaidOn: date(on)})
	require.NoError(m.f.t, err)
	return ev
}

var accrueNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func (m *firm) accrue() ledger.Stats {
	m.f.t.Helper()
	st, err := ledger.AccruePending(context.Background(), m.f.db, m.id, 0, accrueNow)
	require.NoError(m.f.t, err)
	return st
}

func (m *firm) entries(partnerID uuid.UUID) []ledger.Entry {
	m.f.t.Helper()
	var es []ledger.Entry
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		es, err = ledger.Entries(context.Background(), tx, m.id, partnerID)
		return err
	}))
	return es
}

func (m *firm) payable(partnerID uuid.UUID) int64 {
	m.f.t.Helper()
	var v int64
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		v, err = ledger.Payable(context.Background(), tx, m.id, partnerID, "USD")
		return err
	}))
	return v
}

func (m *firm) reconcile() []ledger.Discrepancy {
	m.f.t.Helper()
	var ds []ledger.Discrepancy
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		ds, err = ledger.Reconcile(context.Background(), tx, m.id)
		return err
	}))
	return ds
}

func (m *firm) event(id uuid.UUID) ledger.RevenueEvent {
	m.f.t.Helper()
	var ev ledger.RevenueEvent
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		ev, err = ledger.GetRevenue(context.Background(), tx, m.id, id)
		return err
	}))
	return ev
}

func (m *firm) count(sql string) int {
	m.f.t.Helper()
	var n int
	require.NoError(m.f.t, m.f.owner.QueryRow(context.Background(), sql, m.id).Scan(&n))
	return n
}

// accrualsOf returns the amounts of the entries of a kind, oldest first.
func amounts(es []ledger.Entry, kind string) []int64 {
	var out []int64
	for _, e := range es {
		if e.Kind == kind {
			out = append(out, e.AmountCents)
		}
	}
	return out
}

// why is WhyNothingEarned's answer for one referral.
func (m *firm) why(referralID uuid.UUID) string {
	m.f.t.Helper()
	var why map[uuid.UUID]string
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		why, err = ledger.WhyNothingEarned(context.Background(), tx, m.id, []uuid.UUID{referralID})
		return err
	}))
	return why[referralID]
}
