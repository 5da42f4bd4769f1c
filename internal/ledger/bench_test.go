package ledger_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// BenchmarkAccrue accrues N revenue events (LEDGER_BENCH_EVENTS, default
// 100,000) of one firm: 200 partners, 2,000 referrals and engagements, two
// rules each (ongoing 10% and first project 20%), so about 1.5 entries and
// 3 lines per event. Reported: seconds for the whole run ("s/run"),
// events per second, and the seconds of a second run, which must create
// nothing ("rerun-s"), and of a reconciliation of the result
// ("reconcile-s"). Each iteration starts from all events pending.
//
//	make bench PKG=./internal/ledger/ RUN=Accrue BENCHTIME=1x
func BenchmarkAccrue(b *testing.B) {
	n := 100_000
	if v := os.Getenv("LEDGER_BENCH_EVENTS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	f, m := accrualFixture(b, n)
	ctx := context.Background()

	b.ResetTimer()
	var rerun time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if i > 0 {
			resetAccrual(b, f, m)
		}
		b.StartTimer()
		st, err := ledger.AccruePending(ctx, f.db, m.id, 0, accrueNow)
		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, n, st.Events)
		require.Positive(b, st.Entries)
		start := time.Now()
		again, err := ledger.AccruePending(ctx, f.db, m.id, 0, accrueNow)
		rerun = time.Since(start)
		require.NoError(b, err)
		require.Equal(b, ledger.Stats{}, again, "a second run must create nothing")
		b.StartTimer()
	}
	b.StopTimer()
	f.exec(`ANALYZE journal_entries, journal_lines, revenue_events`)
	start := time.Now()
	require.Empty(b, m.reconcile())
	b.ReportMetric(time.Since(start).Seconds(), "reconcile-s")
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perRun, "s/run")
	b.ReportMetric(float64(n)/perRun, "events/s")
	b.ReportMetric(rerun.Seconds(), "rerun-s")
	b.ReportMetric(0, "ns/op")
}

// accrualFixture is BenchmarkAccrue's firm with n pending revenue events.
func accrualFixture(b testing.TB, n int) (*fixture, *firm) {
	f := newFixture(b)
	m := f.firm()
	for i := range 200 {
		p := m.partner("Partner " + strconv.Itoa(i))
		m.agreement(p, "2024-01-01", 30,
			commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1000},
			commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	}
	f.exec(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name)
		SELECT tenant_id, id, 'Pat' FROM partners WHERE tenant_id = $1`, m.id)
	f.exec(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		SELECT p.tenant_id, 'inbound', p.id, rp.id, 'Client ' || k, 'client ' || k, 'won',
			'2024-06-01'::timestamptz + k * interval '1 hour', '2024-06-01'::timestamptz + k * interval '1 hour', now()
		FROM partners p JOIN referral_prospects rp ON rp.tenant_id = p.tenant_id AND rp.partner_id = p.id,
			generate_series(1, 10) k
		WHERE p.tenant_id = $1`, m.id)
	f.exec(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		SELECT tenant_id, id, partner_id, 'retainer', 'Work', 10000000, '2025-01-01' FROM referrals WHERE tenant_id = $1`, m.id)
	f.exec(`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
		SELECT g.tenant_id, g.id, g.referral_id, g.partner_id,
			CASE WHEN k % 10 = 9 THEN -(1000 + k) ELSE 10000 + k * 7 END, 'USD', '2025-01-01'::date + (k % 300), 'import'
		FROM (SELECT g.*, row_number() OVER (ORDER BY g.id) - 1 AS gi FROM engagements g WHERE g.tenant_id = $1) g,
			generate_series(0, $2::int - 1) k
		WHERE k % 2000 = g.gi`, m.id, n)
	require.Equal(b, n, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))
	f.exec(`ANALYZE revenue_events, accrual_queue, engagements, referrals, partners, agreements`)

	return f, m
}

// resetAccrual sets every event of the firm back to pending, with no entries.
func resetAccrual(b testing.TB, f *fixture, m *firm) {
	ctx := context.Background()
	tx, err := f.owner.Begin(ctx)
	require.NoError(b, err)
	defer func() { _ = tx.Rollback(ctx) }()
	// Replica mode: the append-only triggers would refuse the deletes.
	_, err = tx.Exec(ctx, `SET LOCAL session_replication_role = replica`)
	require.NoError(b, err)
	for _, sql := range []string{`DELETE FROM journal_lines WHERE tenant_id = $1`, `DELETE FROM journal_entries WHERE tenant_id = $1`} {
		_, err := tx.Exec(ctx, sql, m.id)
		require.NoError(b, err)
	}
	// Back to origin: the status update puts the events back in the
	// accrual queue (a trigger).
	_, err = tx.Exec(ctx, `SET LOCAL session_replication_role = origin`)
	require.NoError(b, err)
	_, err = tx.Exec(ctx, `UPDATE revenue_events SET accrual_status = 'pending', accrual_note = '', accrued_at = NULL WHERE tenant_id = $1`, m.id)
	require.NoError(b, err)
	require.NoError(b, tx.Commit(ctx))
	// Autovacuum is off (CI too): without this every iteration but the
	// first would also read the rows the reset deleted.
	f.exec(`VACUUM journal_lines, journal_entries, revenue_events, accrual_queue`)
}
