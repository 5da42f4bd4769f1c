package programdash_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
	"github.com/allyway/allyway/internal/programdash"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// today is a Friday in Q4 2026 (the firm's day).
var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func qtr(s string) period.Quarter {
	q, err := period.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return q
}

func ptr(v int64) *int64 { return &v }

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

func (w *world) firm(slug string) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	_, err := w.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, id, slug)
	require.NoError(w.t, err)
	return id
}

// exec runs statements in the firm's transaction, as the app.
func (w *world) exec(tenantID uuid.UUID, sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), sql, args...); err != nil {
			return err
		}
		if strings.Contains(sql, "partner_month") {
			// The dashboard reads the firm's months, the partner months summed.
			return rollup.SumFirm(context.Background(), tx, tenantID)
		}
		return nil
	}), sql)
}

// partner adds a partner with its status, model and tier (name or "").
func (w *world) partner(tenantID uuid.UUID, name, typ, status, tier string) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	w.exec(tenantID, `INSERT INTO partners (tenant_id, id, name, type, status, tier_id)
		VALUES ($1, $2, $3, $4, $5, (SELECT id FROM tiers WHERE tenant_id = $1 AND name = $6))`, tenantID, id, name, typ, status, tier)
	return id
}

// moved records a lifecycle move at a time (UTC).
func (w *world) moved(tenantID, partnerID uuid.UUID, from, to string, at string) {
	w.t.Helper()
	var fromPtr *string
	if from != "" {
		fromPtr = &from
	}
	w.exec(tenantID, `INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, at)
		VALUES ($1, $2, $3, $4, $5::timestamptz)`, tenantID, partnerID, fromPtr, to, at)
}

// money adds a partner-month of money (dollars).
func (w *world) money(tenantID, partnerID uuid.UUID, month, currency string, revenue, commission int64) {
	w.t.Helper()
	w.exec(tenantID, `INSERT INTO partner_month_money (tenant_id, partner_id, month, currency, revenue_received_cents, commission_earned_cents)
		VALUES ($1, $2, $3::date, $4, $5, $6)`,
		tenantID, partnerID, month, currency, revenue*100, commission*100)
}

// counts adds a partner-month of referral counts: the funnel of the month's
// received referrals and how many of the month's referrals are open by stage.
func (w *world) counts(tenantID, partnerID uuid.UUID, month string, funnel [5]int, open [5]int) {
	w.t.Helper()
	w.exec(tenantID, `INSERT INTO partner_months (tenant_id, partner_id, month, received, reached_contacted, reached_meeting,
			reached_proposal, reached_won, open_submitted, open_acknowledged, open_contacted, open_meeting, open_proposal)
		VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, tenantID, partnerID, month,
		funnel[0], funnel[1], funnel[2], funnel[3], funnel[4], open[0], open[1], open[2], open[3], open[4])
}

// inputs saves a quarter's program inputs (dollars).
func (w *world) inputs(tenantID uuid.UUID, q string, totalNew, management, marketing, systems int64) {
	w.t.Helper()
	require.NoError(w.t, w.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := program.Save(context.Background(), tx, tenantID, program.QuarterInputs{Quarter: qtr(q),
			TotalNewRevenueCents: totalNew * 100, ManagementCostCents: management * 100,
			MarketingCostCents: marketing * 100, SystemsCostCents: systems * 100}, today)
		return err
	}))
}

func (w *world) build(tenantID uuid.UUID, q string) (programdash.Dashboard, error) {
	var d programdash.Dashboard
	err := w.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		d, err = programdash.Build(context.Background(), tx, tenantID, qtr(q), today)
		return err
	})
	return d, err
}

// The fixed data set: a firm in New York with three tiers and ten partners
// over 2025–2026, rollups written as the rollup job would leave them, and
// finance's inputs for every quarter of 2026.
//
// 2026 partner revenue (USD): A $100k every quarter, B $50k every quarter,
// C $100k in Q3, D $90k in Q2, E $80k in Q1, F $70k in Q4, G $60k in Q2:
// Q1 $230k, Q2 $300k, Q3 $250k, Q4 $220k, the year $1,000,000; top 3
// (A $400k, B $200k, C $100k) $700,000 = 70%. Commissions Q1 $10k, Q2
// $15k, Q3 $15k, Q4 $10k; finance's costs $37,500 a quarter ($30k
// management, $5k marketing, $2.5k systems); program cost $200,000 for the
// year: ROI 5.0:1. Total new revenue $1M a quarter: share 25%.
type fixture struct {
	firm                      uuid.UUID
	a, b, c, d, e, f, g, h, i uuid.UUID
}

// newFixture builds the data set; skip names quarters whose inputs finance
// never entered.
func newFixture(w *world, skip ...string) fixture {
	x := fixture{firm: w.firm("northwind")}
	w.exec(x.firm, `INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, 'America/New_York')`, x.firm)
	for i, name := range []string{"Gold", "Silver", "Bronze"} {
		w.exec(x.firm, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, $2, $3, 90)`, x.firm, name, i+1)
	}
	x.a = w.partner(x.firm, "Alder Tax", "referral", "active", "Gold")
	x.b = w.partner(x.firm, "Birch Legal", "referral", "active", "Gold")
	x.c = w.partner(x.firm, "Cedar Data", "delivery", "active", "Silver")
	x.d = w.partner(x.firm, "Dogwood HR", "alliance", "paused", "")
	x.e = w.partner(x.firm, "Elm Design", "referral", "onboarding", "Silver")
	x.f = w.partner(x.firm, "Fir Systems", "technology", "active", "")
	x.g = w.partner(x.firm, "Ginkgo Law", "channel", "ended", "Bronze")
	x.h = w.partner(x.firm, "Hazel Ventures", "referral", "prospect", "")
	x.i = w.partner(x.firm, "Ivy Audit", "referral", "ended", "")
	imported := w.partner(x.firm, "Juniper Old", "referral", "ended", "")

	// Lifecycle: B, C, D, F first became active in 2026 (added); A in 2024;
	// B paused and came back (still one addition); D became active at
	// 22:00 on 30 Sep in New York (Q3, though it was 1 Oct in UTC), then
	// paused (not a loss); G was lost in Q2 2026; I went inactive in Q4
	// 2025 (lost then) and ended in 2026 (no second loss); Juniper was
	// imported as ended (never lost here).
	w.moved(x.firm, x.a, "onboarding", "active", "2024-03-01T12:00:00Z")
	w.moved(x.firm, x.b, "onboarding", "active", "2026-02-10T12:00:00Z")
	w.moved(x.firm, x.b, "active", "paused", "2026-06-10T12:00:00Z")
	w.moved(x.firm, x.b, "paused", "active", "2026-08-10T12:00:00Z")
	w.moved(x.firm, x.c, "onboarding", "active", "2026-05-05T12:00:00Z")
	w.moved(x.firm, x.d, "onboarding", "active", "2026-10-01T02:00:00Z")
	w.moved(x.firm, x.d, "active", "paused", "2026-10-15T12:00:00Z")
	w.moved(x.firm, x.e, "qualifying", "onboarding", "2026-11-01T12:00:00Z")
	w.moved(x.firm, x.f, "onboarding", "active", "2026-10-20T12:00:00Z")
	w.moved(x.firm, x.g, "onboarding", "active", "2025-06-01T12:00:00Z")
	w.moved(x.firm, x.g, "active", "ended", "2026-04-15T12:00:00Z")
	w.moved(x.firm, x.i, "onboarding", "active", "2023-01-10T12:00:00Z")
	w.moved(x.firm, x.i, "active", "inactive", "2025-12-15T12:00:00Z")
	w.moved(x.firm, x.i, "inactive", "ended", "2026-03-01T12:00:00Z")
	w.moved(x.firm, imported, "", "ended", "2026-02-01T12:00:00Z")

	// Money.
	for _, m := range []string{"2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"} {
		w.money(x.firm, x.a, m, "USD", 100_000, 0)
		w.money(x.firm, x.b, m, "USD", 50_000, 0)
	}
	w.money(x.firm, x.c, "2026-08-01", "USD", 100_000, 15_000)
	w.money(x.firm, x.d, "2026-05-01", "USD", 90_000, 15_000)
	w.money(x.firm, x.e, "2026-03-01", "USD", 80_000, 10_000)
	w.money(x.firm, x.f, "2026-11-01", "USD", 70_000, 10_000)
	w.money(x.firm, x.g, "2026-06-01", "USD", 60_000, 0)
	w.money(x.firm, x.a, "2026-05-01", "EUR", 5_000, 0)   // not converted: reported apart
	w.money(x.firm, x.a, "2025-12-01", "USD", 900_000, 0) // before the year and the top-3 window
	for _, q := range []string{"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"} {
		if slices.Contains(skip, q) {
			continue
		}
		w.inputs(x.firm, q, 1_000_000, 30_000, 5_000, 2_500)
	}

	// Referrals: the funnel of Q3 (two months) and Q4, and open ones by
	// stage, some from 2024 (before the trend: still open today).
	w.counts(x.firm, x.a, "2026-07-01", [5]int{4, 3, 3, 2, 1}, [5]int{})
	w.counts(x.firm, x.b, "2026-09-01", [5]int{2, 2, 1, 0, 0}, [5]int{0, 0, 1, 0, 0})
	w.counts(x.firm, x.a, "2026-10-01", [5]int{10, 8, 5, 3, 2}, [5]int{1, 2, 1, 1, 0})
	w.counts(x.firm, x.c, "2026-02-01", [5]int{5, 5, 5, 5, 5}, [5]int{})
	w.counts(x.firm, x.c, "2024-05-01", [5]int{1, 1, 1, 1, 0}, [5]int{0, 0, 0, 0, 1})
	return x
}

// TestBuildFixedDataSet checks every figure of the dashboard against the
// fixture's hand-computed values.
func TestBuildFixedDataSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := newFixture(w)

	d, err := w.build(x.firm, "2026-Q4")
	require.NoError(t, err)
	require.True(t, d.InProgress)
	require.Equal(t, "USD", d.Currency)
	require.Equal(t, programdash.DefaultGoals, d.Goals)

	// The year to date is the worked example: $1,000,000 over $200,000.
	y := d.YearToDate
	require.Equal(t, "Q1–Q4 2026", y.Label())
	require.Equal(t, int64(100_000_000), y.PartnerRevenueCents)
	require.Equal(t, int64(5_000_000), y.CommissionCents)
	require.Equal(t, int64(15_000_000), y.InputCostCents)
	require.Equal(t, int64(20_000_000), y.ProgramCostCents)
	require.Equal(t, int64(400_000_000), y.TotalNewRevenueCents)
	require.Empty(t, y.Missing)
	require.Equal(t, ptr(500), y.ROIX100, "5.0:1")
	require.Equal(t, programdash.Met, y.ROIStatus)
	require.Equal(t, ptr(2500), y.RevenueShareBP)
	require.Equal(t, programdash.Within, y.ShareStatus)
	require.Equal(t, []programdash.Amount{{Currency: "EUR", Cents: 500_000}}, d.OtherRevenue)

	// The quarter: $220,000 over $10,000 + $37,500: 4.63:1, not met.
	q := d.Quarterly
	require.Equal(t, int64(22_000_000), q.PartnerRevenueCents)
	require.Equal(t, int64(4_750_000), q.ProgramCostCents)
	require.Equal(t, ptr(463), q.ROIX100)
	require.Equal(t, programdash.NotMet, q.ROIStatus)
	require.Equal(t, ptr(2200), q.RevenueShareBP)

	// The trend: 8 quarters, Q1 2025 … Q4 2026; 2025 had no inputs.
	require.Len(t, d.Trend, programdash.TrendQuarters)
	require.Equal(t, qtr("2025-Q1"), d.Trend[0].From)
	wantROI := map[string]*int64{"2025-Q4": nil, "2026-Q1": ptr(484), "2026-Q2": ptr(571), "2026-Q3": ptr(476), "2026-Q4": ptr(463)}
	for _, s := range d.Trend {
		if want, ok := wantROI[s.From.String()]; ok {
			require.Equal(t, want, s.ROIX100, s.Label())
		}
	}
	require.Equal(t, int64(90_000_000), d.Trend[3].PartnerRevenueCents, "Q4 2025's revenue counts in its quarter")
	require.Equal(t, programdash.WhyInputs, d.Trend[3].ROIWhy)
	require.Equal(t, []period.Quarter{qtr("2025-Q4")}, d.Trend[3].Missing)

	// Top 3 over the trailing 12 months (Q1–Q4 2026; December 2025's
	// $900k is outside): $700,000 of $1,000,000.
	require.Equal(t, qtr("2026-Q1"), d.Top.From)
	require.Equal(t, int64(100_000_000), d.Top.TotalCents)
	require.Equal(t, int64(70_000_000), d.Top.Top3Cents)
	require.Equal(t, ptr(7000), d.Top.Top3ShareBP, "70.00%")
	require.Equal(t, 7, d.Top.Partners)
	require.Len(t, d.Top.Top, programdash.TopCount)
	require.Equal(t, "Alder Tax", d.Top.Top[0].Name)
	require.Equal(t, x.a, d.Top.Top[0].PartnerID)
	require.Equal(t, ptr(4000), d.Top.Top[0].ShareBP)
	require.Equal(t, []string{"Birch Legal", "Cedar Data", "Dogwood HR", "Elm Design"},
		[]string{d.Top.Top[1].Name, d.Top.Top[2].Name, d.Top.Top[3].Name, d.Top.Top[4].Name})

	// Funnel of the quarter and of the year; open referrals from any time.
	require.Equal(t, programdash.Funnel{Received: 10, Contacted: 8, Meeting: 5, Proposal: 3, Won: 2}, d.Funnel)
	require.Equal(t, programdash.Funnel{Received: 21, Contacted: 18, Meeting: 14, Proposal: 10, Won: 8}, d.FunnelYTD)
	require.Equal(t, ptr(2000), d.Funnel.WonBP())
	require.Equal(t, programdash.Open{Submitted: 1, Acknowledged: 2, Contacted: 2, Meeting: 1, Proposal: 1}, d.Open)
	require.Equal(t, int64(7), d.Open.Total())

	// Partners today: in the program (onboarding, active, paused) by model
	// and tier; every partner by status.
	require.Equal(t, int64(6), d.InProgram)
	require.Equal(t, int64(4), d.ActivePartners)
	counts := func(ss []programdash.Stage) map[string]int64 {
		m := map[string]int64{}
		for _, s := range ss {
			m[s.Key] = s.N
		}
		return m
	}
	require.Equal(t, map[string]int64{"referral": 3, "delivery": 1, "alliance": 1, "technology": 1, "channel": 0}, counts(d.PartnersByType))
	require.Equal(t, map[string]int64{"prospect": 1, "qualifying": 0, "onboarding": 1, "active": 4, "paused": 1, "inactive": 0, "ended": 3},
		counts(d.PartnersByStatus))
	var tiers []string
	var tierN []int64
	for _, tc := range d.PartnersByTier {
		tiers, tierN = append(tiers, tc.Name), append(tierN, tc.N)
	}
	require.Equal(t, []string{"Gold", "Silver", "Bronze", "No tier"}, tiers)
	require.Equal(t, []int64{2, 2, 0, 2}, tierN)
	require.Nil(t, d.PartnersByTier[3].TierID)

	// Added and lost: the year (B, C, D, F added; G lost) and per quarter.
	require.Equal(t, int64(4), d.Added)
	require.Equal(t, int64(1), d.Lost)
	flows := map[string][2]int64{}
	for _, f := range d.Flows {
		flows[f.Quarter.String()] = [2]int64{f.Added, f.Lost}
	}
	require.Equal(t, map[string][2]int64{
		"2025-Q1": {}, "2025-Q2": {1, 0}, "2025-Q3": {}, "2025-Q4": {0, 1}, // G added, I lost
		"2026-Q1": {1, 0}, "2026-Q2": {1, 1}, "2026-Q3": {1, 0}, "2026-Q4": {1, 0},
	}, flows)
	require.Equal(t, programdash.Recruiting{Year: 2026, Added: 4, Min: 5, Max: 10, Status: "below"}, d.Recruiting)
}

// TestBuildPastQuarterAndGoals: an earlier quarter counts the year up to
// it only; the firm's own goals are used.
func TestBuildPastQuarterAndGoals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := newFixture(w)
	w.exec(x.firm, `UPDATE tenant_settings SET revenue_goal_min_bp = 1000, revenue_goal_max_bp = 2000, roi_goal_x10 = 45,
		recruit_goal_min = 2, recruit_goal_max = 3 WHERE tenant_id = $1`, x.firm)

	d, err := w.build(x.firm, "2026-Q2")
	require.NoError(t, err)
	require.False(t, d.InProgress)
	require.Equal(t, programdash.Goals{RevenueShareMinBP: 1000, RevenueShareMaxBP: 2000, ROIX100: 450, RecruitMin: 2, RecruitMax: 3}, d.Goals)
	// Q1–Q2: $530,000 over $25,000 + $75,000 = 5.3:1; share 26.5%, above 10–20%.
	require.Equal(t, ptr(530), d.YearToDate.ROIX100)
	require.Equal(t, programdash.Met, d.YearToDate.ROIStatus)
	require.Equal(t, ptr(2650), d.YearToDate.RevenueShareBP)
	require.Equal(t, programdash.Above, d.YearToDate.ShareStatus)
	// Q2 alone: 5.71:1 against 4.5:1.
	require.Equal(t, ptr(571), d.Quarterly.ROIX100)
	require.Equal(t, programdash.Met, d.Quarterly.ROIStatus)
	// Added up to Q2: B and C; lost: G.
	require.Equal(t, int64(2), d.Added)
	require.Equal(t, int64(1), d.Lost)
	require.Equal(t, "at", d.Recruiting.Status)
	// Top 3 over Q3 2025 – Q2 2026 now includes December 2025's $900k.
	require.Equal(t, qtr("2025-Q3"), d.Top.From)
	require.Equal(t, int64(90_000_000+53_000_000), d.Top.TotalCents)
	require.Equal(t, "Alder Tax", d.Top.Top[0].Name)
	require.Equal(t, int64(110_000_000), d.Top.Top[0].RevenueCents)
}

// TestBuildMissingInputs: without finance's figures there is no share and
// no ROI (never a division by zero), and the quarters are named.
func TestBuildMissingInputs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := newFixture(w, "2026-Q2", "2026-Q4")

	d, err := w.build(x.firm, "2026-Q4")
	require.NoError(t, err)
	require.Nil(t, d.Quarterly.ROIX100)
	require.Nil(t, d.Quarterly.RevenueShareBP)
	require.Equal(t, programdash.WhyInputs, d.Quarterly.ROIWhy)
	require.Equal(t, programdash.Unknown, d.Quarterly.ROIStatus)
	require.Equal(t, int64(1_000_000), d.Quarterly.ProgramCostCents, "commissions alone, not a cost to divide by")
	require.Nil(t, d.YearToDate.ROIX100)
	require.Equal(t, []period.Quarter{qtr("2026-Q2"), qtr("2026-Q4")}, d.YearToDate.Missing)
	// Revenue, the funnel and top 3 don't need inputs.
	require.Equal(t, int64(100_000_000), d.YearToDate.PartnerRevenueCents)
	require.Equal(t, ptr(7000), d.Top.Top3ShareBP)

	// Entered as zeros with no commissions: nothing to divide by.
	w.inputs(x.firm, "2026-Q4", 0, 0, 0, 0)
	w.exec(x.firm, `DELETE FROM partner_month_money WHERE tenant_id = $1 AND partner_id = $2 AND month = '2026-11-01'`, x.firm, x.f)
	w.money(x.firm, x.f, "2026-11-01", "USD", 70_000, 0)
	d, err = w.build(x.firm, "2026-Q4")
	require.NoError(t, err)
	require.Nil(t, d.Quarterly.ROIX100)
	require.Equal(t, programdash.WhyNoCost, d.Quarterly.ROIWhy)
	require.Nil(t, d.Quarterly.RevenueShareBP)
	require.Equal(t, programdash.WhyNoRevenue, d.Quarterly.ShareWhy)

	// A firm with nothing at all.
	empty := w.firm("empty")
	d, err = w.build(empty, "2026-Q3")
	require.NoError(t, err)
	require.Zero(t, d.YearToDate.PartnerRevenueCents)
	require.Nil(t, d.Top.Top3ShareBP)
	require.Empty(t, d.Top.Top)
	require.Equal(t, []string{"No tier"}, []string{d.PartnersByTier[0].Name})
	require.Equal(t, programdash.DefaultGoals, d.Goals)
	require.Equal(t, "below", d.Recruiting.Status)
}

// TestQuarterSummaryAndScope: the front page's card, another firm sees
// none of it, and a quarter not started is refused.
func TestQuarterSummaryAndScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := newFixture(w)
	other := w.firm("other")
	ctx := context.Background()
	require.NoError(t, w.db.InTenant(ctx, x.firm, func(tx pgx.Tx) error {
		s, err := programdash.QuarterSummary(ctx, tx, x.firm, qtr("2026-Q3"))
		require.NoError(t, err)
		require.Equal(t, int64(25_000_000), s.PartnerRevenueCents)
		require.Equal(t, ptr(476), s.ROIX100) // $250,000 / $52,500
		require.Equal(t, ptr(2500), s.RevenueShareBP)
		require.Equal(t, programdash.DefaultGoals, s.Goals)
		o, err := programdash.OpenByStage(ctx, tx, x.firm)
		require.NoError(t, err)
		require.Equal(t, int64(7), o.Total())
		return nil
	}))
	// The other firm asking for the first firm's id sees nothing (RLS).
	require.NoError(t, w.db.InTenant(ctx, other, func(tx pgx.Tx) error {
		s, err := programdash.QuarterSummary(ctx, tx, x.firm, qtr("2026-Q3"))
		require.NoError(t, err)
		require.Zero(t, s.PartnerRevenueCents)
		require.Nil(t, s.ROIX100)
		o, err := programdash.OpenByStage(ctx, tx, x.firm)
		require.NoError(t, err)
		require.Zero(t, o.Total())
		return nil
	}))
	d, err := w.build(other, "2026-Q4")
	require.NoError(t, err)
	require.Zero(t, d.YearToDate.PartnerRevenueCents)
	require.Zero(t, d.InProgram)

	_, err = w.build(x.firm, "2027-Q1")
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["quarter"], "Q1 2027 hasn't started yet")
}
