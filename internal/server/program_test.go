package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
	"github.com/allyway/allyway/internal/rollup"
)

// programWorld is a firm with a year of partner revenue, commissions and
// finance's inputs (see newProgramWorld) on 27 Nov 2026 (Q4 in progress,
// Q3 the last complete quarter).
type programWorld struct {
	t                              *testing.T
	h                              *harness
	f                              firm
	alder, birch, cedar, dogw, elm uuid.UUID
}

func (w *programWorld) exec(sql string, args ...any) {
	w.t.Helper()
	ctx := context.Background()
	_, err := w.h.owner.Exec(ctx, sql, args...)
	require.NoError(w.t, err, sql)
	if strings.Contains(sql, "partner_month") {
		// The dashboard reads the firm's months, the partner months summed.
		require.NoError(w.t, pgx.BeginFunc(ctx, w.h.owner, func(tx pgx.Tx) error { return rollup.SumFirm(ctx, tx, w.f.ID) }))
	}
}

func (w *programWorld) partner(name, typ, status string) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	w.exec(`INSERT INTO partners (tenant_id, id, name, type, status) VALUES ($1, $2, $3, $4, $5)`, w.f.ID, id, name, typ, status)
	return id
}

// money writes a partner-month of the rollups, in dollars.
func (w *programWorld) money(p uuid.UUID, month string, revenue, commission int64) {
	w.t.Helper()
	w.exec(`INSERT INTO partner_month_money (tenant_id, partner_id, month, currency, revenue_received_cents, commission_earned_cents)
		VALUES ($1, $2, $3::date, 'USD', $4, $5)`, w.f.ID, p, month, revenue*100, commission*100)
}

func (w *programWorld) inputs(q string, totalNew, management, marketing, systems int64) {
	w.t.Helper()
	w.exec(`INSERT INTO program_inputs (tenant_id, quarter, total_new_revenue_cents, management_cost_cents,
		marketing_cost_cents, systems_cost_cents, other_cost_cents) VALUES ($1, $2, $3, $4, $5, $6, 0)`,
		w.f.ID, q, totalNew*100, management*100, marketing*100, systems*100)
}

// newProgramWorld: partner revenue Q1 2026 $300k (Alder $200k, Dogwood
// $100k), Q2 $450k (Birch $250k, Elm $200k), Q3 $250k (Alder $150k, Birch
// $60k, Cedar $40k): $1,000,000 in Q1–Q3. Commissions $10k, $15k, $15k;
// finance's costs $60k, $62.5k, $37.5k: program cost $200,000, ROI 5.0:1
// for the year; Q3 alone $250,000 / $52,500 = 4.76:1. Total new revenue
// $1M a quarter. Top 3 over Q4 2025–Q3 2026: Alder $350k, Birch $310k,
// Elm $200k = $860,000 of $1,000,000 (86%).
func newProgramWorld(t *testing.T) *programWorld {
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return alertNow } })
	w := &programWorld{t: t, h: h, f: h.createFirm("northwind", "Northwind Advisory")}
	w.alder = w.partner("Alder Tax", "referral", "active")
	w.birch = w.partner("Birch Legal", "referral", "active")
	w.cedar = w.partner("Cedar Data", "delivery", "active")
	w.dogw = w.partner("Dogwood HR", "alliance", "paused")
	w.elm = w.partner("Elm Design", "technology", "onboarding")
	w.exec(`INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, at) VALUES
		($1, $2, 'onboarding', 'active', '2026-02-01T12:00:00Z'), ($1, $3, 'onboarding', 'active', '2026-08-01T12:00:00Z'),
		($1, $4, 'active', 'paused', '2026-09-01T12:00:00Z')`, w.f.ID, w.birch, w.cedar, w.dogw)
	w.money(w.alder, "2026-02-01", 200_000, 0)
	w.money(w.dogw, "2026-03-01", 100_000, 10_000)
	w.money(w.birch, "2026-04-01", 250_000, 15_000)
	w.money(w.elm, "2026-06-01", 200_000, 0)
	w.money(w.alder, "2026-07-01", 150_000, 15_000)
	w.money(w.birch, "2026-08-01", 60_000, 0)
	w.money(w.cedar, "2026-09-01", 40_000, 0)
	w.inputs("2026-Q1", 1_000_000, 50_000, 10_000, 0)
	w.inputs("2026-Q2", 1_000_000, 50_000, 10_000, 2_500)
	w.inputs("2026-Q3", 1_000_000, 30_000, 5_000, 2_500)
	// Open referrals as the rollups keep them (some from long ago).
	w.exec(`INSERT INTO partner_months (tenant_id, partner_id, month, received, reached_contacted, reached_meeting,
			reached_proposal, reached_won, open_submitted, open_contacted, open_proposal)
		VALUES ($1, $2, '2026-07-01', 8, 6, 4, 3, 2, 1, 1, 0), ($1, $3, '2023-05-01', 1, 1, 1, 1, 0, 0, 0, 1)`,
		w.f.ID, w.alder, w.birch)
	return w
}

// TestProgramPage: the dashboard of the last complete quarter by default,
// its figures, links and charts; a quarter without inputs says so; a
// quarter that can't be shown is 422; every staff role may look.
func TestProgramPage(t *testing.T) {
	t.Parallel()
	w := newProgramWorld(t)
	h := w.h
	base := "/t/" + w.f.Slug
	owner := h.loggedIn(w.f.Owner.Email)

	resp, body := h.get(owner, base+"/program")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	txt := pageText(t, body)
	require.Contains(t, txt, "Is the partner program worth it? Q3 2026 (1 Jul – 30 Sep 2026)")
	require.Contains(t, selText(doc.Find(`[data-testid=program-verdict]`)),
		"Worth it Partner revenue of $1,000,000 returned 5.0:1 on a program cost of $200,000 in Q1–Q3 2026, meeting the 5:1 goal.")
	tile := func(id string) string { return selText(doc.Find(`[data-testid=tile-` + id + `]`)) }
	require.Equal(t, "Return on investment 4.7:1 Below goal Goal 5:1 or better · Q1–Q3 2026: 5.0:1", tile("roi"))
	require.Equal(t, "Share of new revenue 25% Within goal Goal 20%–40% · Q1–Q3 2026: 33.33%", tile("share"))
	require.Equal(t, "Partner revenue $250,000 Q1–Q3 2026: $1,000,000", tile("revenue"))
	require.Equal(t, "Program cost $52,500 Commissions $15,000 + other costs $37,500", tile("cost"))
	require.Equal(t, "Active partners 3 5 in the program · 2 added, 0 lost in 2026", tile("partners"))
	require.Zero(t, doc.Find(`[data-testid=program-missing]`).Length())

	// Top partners link to their scorecards; the top 3 share.
	top := doc.Find(`[data-testid=program-top] tbody tr`)
	require.Equal(t, 5, top.Length())
	require.Equal(t, "1 Alder Tax $350,000 35%", selText(top.First()))
	href, _ := top.First().Find("a").Attr("href")
	require.Equal(t, base+"/partners/"+w.alder.String()+"/scorecard", href)
	require.Equal(t, 3, doc.Find(`.program-top3`).Length())
	require.Contains(t, txt, "Trailing 12 months, Q4 2025 – Q3 2026: $1,000,000 of partner revenue from 5 partners. The top 3 brought $860,000 (86%).")

	// Every chart, each with its data table.
	for _, id := range []string{"program-revenue-cost", "program-share", "program-roi", "program-funnel", "program-tiers",
		"program-types", "program-statuses", "program-flows", "program-recruiting", "program-open", "program-top3"} {
		fig := doc.Find(`[data-testid=` + id + `]`)
		require.Equal(t, 1, fig.Length(), id)
		require.Equal(t, 1, fig.Find("table").Length(), "%s has its data table", id)
	}
	require.Contains(t, selText(doc.Find(`[data-testid=program-funnel] table`)), "Received 8")
	require.Contains(t, selText(doc.Find(`[data-testid=program-roi] table`)), "Q3 2026 4.7:1")
	require.Contains(t, selText(doc.Find(`[data-testid=program-open] table`)), "Proposal 1")
	require.Equal(t, "2 new partners in 2026 against a goal of 5–10: below the goal.", selText(doc.Find(`[data-testid=program-recruiting-note]`)))
	econ := selText(doc.Find(`[data-testid=program-economics]`))
	require.Contains(t, econ, "Q3 2026 $250,000 $1,000,000 25% $15,000 $37,500 $52,500 4.7:1")
	require.Contains(t, econ, "Q2 2026 $450,000 $1,000,000 45% $15,000 $62,500 $77,500 5.8:1")
	require.Contains(t, econ, "Q4 2025 $0 — — $0 Enter program inputs for Q4 2025")
	inputs, _ := doc.Find(`a[href="` + base + `/program/inputs?quarter=2026-Q3"]`).Attr("href")
	require.NotEmpty(t, inputs, "a link to the quarter's program inputs")

	// The quarter in progress has no inputs: say so, never ∞.
	resp, body = h.get(owner, base+"/program?quarter=2026-Q4")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	missing := doc.Find(`[data-testid=program-missing]`)
	require.Contains(t, selText(missing), "Enter program inputs for Q4 2026 to see the revenue share and the ROI")
	href, _ = missing.Find("a").Attr("href")
	require.Equal(t, base+"/program/inputs?quarter=2026-Q4", href)
	require.Equal(t, "Return on investment — Inputs needed Goal 5:1 or better · Q1–Q4 2026: — Enter program inputs", tile("roi"))
	require.Contains(t, selText(doc.Find(`[data-testid=program-verdict]`)), "Inputs needed")
	for _, bad := range []string{"∞", "Inf", "NaN"} {
		require.NotContains(t, pageText(t, body), bad)
	}
	require.Contains(t, pageText(t, body), "In progress")

	// A quarter not started, or not a quarter: the default one, with why.
	for _, q := range []string{"2027-Q1", "next", "2026-Q9"} {
		resp, body = h.get(owner, base+"/program?quarter="+q)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, q)
		require.Contains(t, pageText(t, body), "Is the partner program worth it? Q3 2026", q)
	}
	require.Contains(t, pageText(t, body), "is not a quarter")
	resp, body = h.get(owner, base+"/program?quarter=2027-Q1")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, pageText(t, body), "Q1 2027 hasn't started yet: choose Q4 2026 or earlier.")

	// Any staff role may look; another firm's staff may not.
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleFinance, auth.RoleManager} {
		email := string(role) + "@northwind.test"
		h.staffUser(w.f, email, role)
		resp, _ = h.get(h.loggedIn(email), base+"/program?quarter=2026-Q2")
		require.Equal(t, http.StatusOK, resp.StatusCode, role)
	}
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	resp, _ = h.get(h.loggedIn(other.Owner.Email), base+"/program")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestProgramDashboardCard: the front page's program card (last complete
// quarter) and open referrals counted from the rollups, refreshed first.
func TestProgramDashboardCard(t *testing.T) {
	t.Parallel()
	w := newProgramWorld(t)
	h := w.h
	base := "/t/" + w.f.Slug
	// A referral just submitted to a partner without rollups: the page
	// refreshes the rollups before counting.
	fresh := w.partner("Fir Systems", "referral", "active")
	w.exec(`WITH p AS (INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id)
		INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, submitted_at)
		SELECT $1, 'inbound', $2, p.id, 'Acme', 'acme', '2026-11-20T12:00:00Z' FROM p`, w.f.ID, fresh)

	resp, body := h.get(h.loggedIn(w.f.Owner.Email), base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	card := doc.Find(`[data-testid=dash-program]`)
	require.Equal(t, "Program, Q3 2026 Program dashboard ROI (goal 5:1) 4.7:1 Below goal "+
		"Share of new revenue (goal 20%–40%) 25% Within goal Partner revenue $250,000", selText(card))
	href, _ := card.Find("a").Attr("href")
	require.Equal(t, base+"/program?quarter=2026-Q3", href)
	refs := selText(doc.Find(`[aria-labelledby=dash-referrals-heading] .stats`))
	require.Contains(t, refs, "2 Not yet acknowledged")
	require.Contains(t, refs, "4 Open referrals")
	require.Contains(t, selText(doc.Find(`[aria-labelledby=dash-referrals-heading]`)), "Submitted 2 Acknowledged 0 Client contacted 1 Meeting held 0 Proposal sent 1")

	// Without Q3's inputs the card says what to do.
	w.exec(`DELETE FROM program_inputs WHERE tenant_id = $1 AND quarter = '2026-Q3'`, w.f.ID)
	_, body = h.get(h.loggedIn(w.f.Owner.Email), base)
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	card = doc.Find(`[data-testid=dash-program]`)
	require.Contains(t, selText(card), "ROI (goal 5:1) — Inputs needed")
	require.Contains(t, selText(card), "Enter program inputs for Q3 2026 to see the ROI and the revenue share.")
}

// TestAPIProgram: GET /program per the OpenAPI document: the quarter's
// fields, nulls without inputs, the default quarter, bad quarters.
func TestAPIProgram(t *testing.T) {
	t.Parallel()
	w := newProgramWorld(t)
	h := w.h
	api := newAPITester(t, h)
	_, viewer := h.createToken(w.f.ID, "bi", auth.RoleViewer)

	var got apiProgram
	api.get(t, viewer, "/program?quarter=2026-Q3").decode(t, &got)
	require.Equal(t, "2026-Q3", got.Quarter)
	require.Equal(t, "2026-07-01", got.From)
	require.Equal(t, "2026-09-30", got.To)
	require.False(t, got.InProgress)
	require.Equal(t, "USD", got.Currency)
	require.Equal(t, int64(25_000_000), got.PartnerRevenueCents)
	require.Equal(t, int64(2500), *got.PartnerRevenueShareBP)
	require.Equal(t, int64(5_250_000), *got.ProgramCostCents)
	require.Equal(t, int64(476), *got.ROIX100)
	require.Equal(t, "not_met", got.ROIStatus)
	require.Equal(t, "within", got.RevenueShareStatus)
	require.Equal(t, int64(8600), *got.Top3ShareBP)
	require.Equal(t, apiQuarterRange{From: "2025-Q4", To: "2026-Q3"}, got.TopWindow)
	require.Equal(t, w.alder, got.TopPartners[0].PartnerID)
	require.Equal(t, int64(500), *got.YearToDate.ROIX100, "the worked example: $1,000,000 over $200,000")
	require.Equal(t, "met", got.YearToDate.ROIStatus)
	require.Equal(t, int64(3333), *got.YearToDate.PartnerRevenueShareBP)
	require.Equal(t, int64(2), got.PartnersAdded)
	require.Equal(t, int64(0), got.PartnersLost)
	require.Equal(t, int64(3), got.ActivePartners)
	require.Equal(t, apiFunnel{Received: 8, Contacted: 6, Meeting: 4, Proposal: 3, Won: 2}, got.Funnel)
	require.Equal(t, apiOpen{Submitted: 1, Contacted: 1, Proposal: 1}, got.OpenReferrals)
	require.Equal(t, apiGoals{RevenueShareMinBP: 2000, RevenueShareMaxBP: 4000, ROIX100: 500, RecruitMin: 5, RecruitMax: 10}, got.Goals)
	require.Equal(t, apiRecruiting{Year: 2026, Added: 2, GoalMin: 5, GoalMax: 10, Status: "below"}, got.Recruiting)
	require.Len(t, got.Trend, 8)
	require.Equal(t, "2026-Q3", got.Trend[7].Quarter)
	require.Equal(t, []string{"2024-Q4"}, got.Trend[0].InputsMissing)
	types := map[string]int64{}
	for _, c := range got.PartnersByType {
		types[c.Type] = c.Count
	}
	require.Equal(t, map[string]int64{"referral": 2, "delivery": 1, "alliance": 1, "technology": 1, "channel": 0}, types)
	require.Equal(t, "No tier", got.PartnersByTier[len(got.PartnersByTier)-1].Name)
	require.Nil(t, got.PartnersByTier[len(got.PartnersByTier)-1].TierID)

	// Without a quarter: the last complete one.
	var def apiProgram
	api.get(t, viewer, "/program").decode(t, &def)
	require.Equal(t, "2026-Q3", def.Quarter)

	// The quarter in progress has no inputs: nulls, never a division by zero.
	resp := api.get(t, viewer, "/program?quarter=2026-Q4")
	require.Equal(t, http.StatusOK, resp.Status)
	require.Contains(t, string(resp.Body), `"roi_x100":null`)
	require.Contains(t, string(resp.Body), `"partner_revenue_share_bp":null`)
	var q4 apiProgram
	resp.decode(t, &q4)
	require.True(t, q4.InProgress)
	require.Nil(t, q4.ROIX100)
	require.Nil(t, q4.ProgramCostCents)
	require.Nil(t, q4.TotalNewRevenueCents)
	require.Equal(t, []string{"2026-Q4"}, q4.InputsMissing)
	require.Equal(t, "unknown", q4.ROIStatus)
	require.Nil(t, q4.YearToDate.ROIX100)

	// Entered for Q4 now: figures appear.
	require.NoError(t, h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) error {
		_, err := program.Save(context.Background(), tx, w.f.ID, program.QuarterInputs{Quarter: period.Quarter{Year: 2026, Q: 4},
			TotalNewRevenueCents: 100_000_000, ManagementCostCents: 1_000_000}, alertNow)
		return err
	}))
	api.get(t, viewer, "/program?quarter=2026-Q4").decode(t, &q4)
	require.Equal(t, int64(0), *q4.ROIX100, "no revenue yet in Q4: 0:1")

	// Bad quarters: 422 on quarter.
	for q, msg := range map[string]string{"2027-Q1": "Q1 2027 hasn't started yet", "Q3-2026": "is not a quarter", "": "is not a quarter"} {
		fe := api.do(t, apiReq{Method: http.MethodGet, Path: "/program?quarter=" + q, Token: viewer}).fieldErrors(t)
		require.Contains(t, fe["quarter"], msg, q)
	}
	api.do(t, apiReq{Method: http.MethodGet, Path: "/program"}).problem(t, http.StatusUnauthorized)

	// Another firm's token sees its own (empty) program.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	_, outside := h.createToken(other.ID, "bi", auth.RoleAdmin)
	var empty apiProgram
	api.get(t, outside, "/program?quarter=2026-Q3").decode(t, &empty)
	require.Zero(t, empty.PartnerRevenueCents)
	require.Empty(t, empty.TopPartners)
	require.Nil(t, empty.Top3ShareBP)
}
