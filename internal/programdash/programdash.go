// Package programdash answers "is the partner program worth it?" for a
// quarter: partner-sourced revenue and its share of all new revenue, the
// program's cost and ROI against the firm's goals, how concentrated partner
// revenue is in the top 3, the referral funnel, the partner base (by model,
// tier and status) with the year's additions and losses, and recruiting
// against the year's goal.
//
// It reads the rollups (partner_months, partner_month_money; see
// internal/rollup) and finance's program inputs (internal/program), never
// raw referral or ledger history; partners, tiers and partner_status_history
// (a few hundred rows per firm) are read directly. Callers refresh the
// rollups first (rollup.Fresh) in the same transaction.
//
// Definitions (the page and the API say the same):
//   - Partner revenue: client payments on referrals partners sent us
//     (the rollups' revenue_received), by payment date, in Currency.
//   - Program cost: the commissions partners earned in the period (accruals
//     less clawbacks, by accounting date) plus finance's costs (management,
//     marketing, systems, other). ROI = partner revenue / program cost.
//   - Revenue share: partner revenue / the total new revenue finance
//     entered. Share and ROI need that period's inputs: a period with a
//     quarter never entered has neither (Span.Missing names the quarters).
//   - Top 3 share: the three partners with the most partner revenue over
//     the trailing 12 months (the four quarters ending with the quarter
//     shown), as a share of all partner revenue in that window.
//   - Funnel: received referrals submitted in the period and how many of
//     them reached each stage (a lost one counts for the stages it passed).
//   - Added: partners that became active for the first time (as the
//     recruiting page counts them). Lost: partners moved from a live status
//     to inactive or ended (a partner counts once per period).
//   - Partners by model and tier count the partners in the program
//     (onboarding, active or paused) today; by status counts every partner.
//
// All arithmetic is integer (cents, basis points, ROI × 100), floored; see
// ratio.go.
package programdash

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
)

// Currency is what the dashboard measures money in. Finance enters program
// inputs in US dollars, so revenue and commissions in USD are set against
// them; other currencies are reported apart (OtherRevenue), never converted.
const Currency = "USD"

// TrendQuarters is how many quarters the trends show, the quarter last.
const TrendQuarters = 8

// TopCount is how many partners the top-partners table lists.
const TopCount = 5

// ProgramStatuses are the statuses of partners in the program: recruited
// (past qualifying) and not lost.
var ProgramStatuses = []string{"onboarding", "active", "paused"}

// Verdicts of a figure against its goal.
const (
	Unknown = "unknown" // the figure can't be computed (see Span's Why fields)
	Met     = "met"     // ROI at or above the goal
	NotMet  = "not_met"
	Below   = "below" // revenue share under the goal range
	Within  = "within"
	Above   = "above"
)

// Why a share or ROI is missing.
const (
	WhyInputs    = "inputs"     // a quarter's program inputs were never entered
	WhyNoRevenue = "no_revenue" // inputs entered with no total new revenue
	WhyNoCost    = "no_cost"    // no commissions and no costs: nothing to divide by
)

// Goals are the firm's targets (tenant_settings; domain guide defaults).
type Goals struct {
	RevenueShareMinBP int64 // 2000: partner revenue at least 20% of new revenue
	RevenueShareMaxBP int64 // 4000: … and up to 40%
	ROIX100           int64 // 500: 5:1 (roi_goal_x10 × 10)
	RecruitMin        int64 // new partners a year
	RecruitMax        int64
}

// DefaultGoals are a firm's goals before it sets any.
var DefaultGoals = Goals{RevenueShareMinBP: 2000, RevenueShareMaxBP: 4000, ROIX100: 500, RecruitMin: 5, RecruitMax: 10}

// Span is the program's economics over consecutive quarters From..To (one
// quarter, or the year to date), in Currency cents.
type Span struct {
	From, To             period.Quarter
	PartnerRevenueCents  int64
	CommissionCents      int64 // commissions earned by partners (we pay)
	InputCostCents       int64 // finance's costs: management, marketing, systems, other
	ProgramCostCents     int64 // CommissionCents + InputCostCents
	TotalNewRevenueCents int64
	// Missing are the quarters whose inputs were never entered; with any,
	// the share and the ROI are nil.
	Missing        []period.Quarter
	RevenueShareBP *int64 // partner revenue / total new revenue
	ShareWhy       string // why RevenueShareBP is nil
	ShareStatus    string // Below, Within, Above or Unknown
	ROIX100        *int64 // partner revenue / program cost × 100
	ROIWhy         string // why ROIX100 is nil
	ROIStatus      string // Met, NotMet or Unknown
}

// Label names the span: "Q3 2026" or "Q1–Q3 2026".
func (s Span) Label() string {
	if s.From == s.To {
		return s.To.Label()
	}
	if s.From.Year == s.To.Year {
		return "Q" + strconv.Itoa(s.From.Q) + "–" + s.To.Label()
	}
	return s.From.Label() + " – " + s.To.Label()
}

// quarterMoney is one quarter's money and inputs.
type quarterMoney struct {
	Quarter    period.Quarter
	Revenue    int64 // partner revenue in Currency
	Commission int64 // commissions earned in Currency
	Inputs     program.QuarterInputs
}

// newSpan sums quarters (oldest first) and judges the sums against g.
func newSpan(qs []quarterMoney, g Goals) Span {
	if len(qs) == 0 {
		return Span{ShareStatus: Unknown, ROIStatus: Unknown, ShareWhy: WhyInputs, ROIWhy: WhyInputs}
	}
	s := Span{From: qs[0].Quarter, To: qs[len(qs)-1].Quarter}
	for _, q := range qs {
		s.PartnerRevenueCents += q.Revenue
		s.CommissionCents += q.Commission
		s.InputCostCents += q.Inputs.CostCents()
		s.TotalNewRevenueCents += q.Inputs.TotalNewRevenueCents
		if !q.Inputs.Entered() {
			s.Missing = append(s.Missing, q.Quarter)
		}
	}
	s.ProgramCostCents = s.CommissionCents + s.InputCostCents
	switch {
	case len(s.Missing) > 0:
		s.ShareWhy, s.ROIWhy = WhyInputs, WhyInputs
	default:
		if s.RevenueShareBP = ShareBP(s.PartnerRevenueCents, s.TotalNewRevenueCents); s.RevenueShareBP == nil {
			s.ShareWhy = WhyNoRevenue
		}
		if s.ROIX100 = ROIX100(s.PartnerRevenueCents, s.ProgramCostCents); s.ROIX100 == nil {
			s.ROIWhy = WhyNoCost
		}
	}
	s.ShareStatus, s.ROIStatus = Unknown, Unknown
	if v := s.RevenueShareBP; v != nil {
		switch {
		case *v < g.RevenueShareMinBP:
			s.ShareStatus = Below
		case *v > g.RevenueShareMaxBP:
			s.ShareStatus = Above
		default:
			s.ShareStatus = Within
		}
	}
	if v := s.ROIX100; v != nil {
		s.ROIStatus = NotMet
		if *v >= g.ROIX100 {
			s.ROIStatus = Met
		}
	}
	return s
}

// Funnel is received referrals submitted in a period and how many of them
// reached each stage since.
type Funnel struct {
	Received, Contacted, Meeting, Proposal, Won int64
}

func (f *Funnel) add(o Funnel) {
	f.Received += o.Received
	f.Contacted += o.Contacted
	f.Meeting += o.Meeting
	f.Proposal += o.Proposal
	f.Won += o.Won
}

// Stage is one labelled count.
type Stage struct {
	Key   string
	Label string
	N     int64
}

// Stages lists the funnel's stages in order.
func (f Funnel) Stages() []Stage {
	return []Stage{{"received", "Received", f.Received}, {"contacted", "Contacted", f.Contacted},
		{"meeting", "Meeting", f.Meeting}, {"proposal", "Proposal", f.Proposal}, {"won", "Won", f.Won}}
}

// WonBP is won / received in basis points, nil with none received.
func (f Funnel) WonBP() *int64 { return ShareBP(f.Won, f.Received) }

// Open is today's open referrals (both directions) by stage.
type Open struct {
	Submitted, Acknowledged, Contacted, Meeting, Proposal int64
}

// Total is every open referral.
func (o Open) Total() int64 {
	return o.Submitted + o.Acknowledged + o.Contacted + o.Meeting + o.Proposal
}

// Stages lists the open stages in order, keyed by referral status.
func (o Open) Stages() []Stage {
	return []Stage{{"submitted", "Submitted", o.Submitted}, {"acknowledged", "Acknowledged", o.Acknowledged},
		{"contacted", "Contacted", o.Contacted}, {"meeting", "Meeting", o.Meeting}, {"proposal", "Proposal", o.Proposal}}
}

// TierCount is how many partners in the program a tier has; TierID nil is
// the partners in no tier.
type TierCount struct {
	TierID *uuid.UUID
	Name   string
	N      int64
}

// Flow is a quarter's partners added and lost.
type Flow struct {
	Quarter     period.Quarter
	Added, Lost int64
}

// Recruiting is the year's new partners against the goal.
type Recruiting struct {
	Year     int
	Added    int64
	Min, Max int64
	Status   string // partner.GoalStatus: below, at, over (or none without a goal)
}

// PartnerRevenue is one partner's revenue in the top-3 window.
type PartnerRevenue struct {
	PartnerID    uuid.UUID
	Name         string
	RevenueCents int64
	ShareBP      *int64 // of all partner revenue in the window
}

// Concentration is how much of partner revenue the top partners bring,
// over the trailing 12 months From..To.
type Concentration struct {
	From, To    period.Quarter
	TotalCents  int64            // every partner's revenue in the window
	Partners    int              // partners with revenue (positive) in the window
	Top         []PartnerRevenue // up to TopCount, most revenue first
	Top3Cents   int64
	Top3ShareBP *int64 // nil when TotalCents ≤ 0
}

// Amount is money in one currency.
type Amount struct {
	Currency string
	Cents    int64
}

// Dashboard is the program dashboard of one quarter.
type Dashboard struct {
	Quarter    period.Quarter
	Today      time.Time // the firm's day the figures were taken
	InProgress bool      // the quarter is not over yet
	Currency   string
	Goals      Goals

	Quarterly  Span   // the quarter
	YearToDate Span   // Q1 of the quarter's year to the quarter
	Trend      []Span // TrendQuarters quarters, one each, the quarter last
	// OtherRevenue is partner revenue in other currencies over the year to
	// date, not counted above.
	OtherRevenue []Amount

	Funnel    Funnel // referrals received in the quarter
	FunnelYTD Funnel // … in the year to date
	Open      Open   // open referrals today

	PartnersByType   []Stage     // in the program, every model (partner.Types order)
	PartnersByTier   []TierCount // in the program, by tier rank, then those in none
	PartnersByStatus []Stage     // every partner, every status (partner.Statuses order)
	InProgram        int64       // partners in the program (ProgramStatuses)
	ActivePartners   int64

	Added, Lost int64  // year to date
	Flows       []Flow // per trend quarter
	Recruiting  Recruiting

	Top Concentration
}

// Build computes the dashboard of quarter qt for the firm. today is the
// firm's current day (in its time zone, at UTC midnight): a quarter that
// has not started by then is EInvalid. Any staff scope; read-only.
func Build(ctx context.Context, q db.Querier, tenantID uuid.UUID, qt period.Quarter, today time.Time) (Dashboard, error) {
	if err := CheckQuarter(qt, today); err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Quarter: qt, Today: today, InProgress: qt == period.QuarterOf(today), Currency: Currency}
	var err error
	if d.Goals, err = readGoals(ctx, q, tenantID); err != nil {
		return d, err
	}
	trend := qt.Last(TrendQuarters)
	first := trend[0]
	yearStart := period.Quarter{Year: qt.Year, Q: 1}
	if yearStart.Before(first) { // never with 8 quarters; kept so TrendQuarters may shrink
		first = yearStart
	}
	end := qt.Next().Start()

	months, err := readMonths(ctx, q, tenantID, first.Start(), end)
	if err != nil {
		return d, err
	}
	inputs, err := program.InputsRange(ctx, q, tenantID, first, qt)
	if err != nil {
		return d, err
	}
	byQ := foldQuarters(months, inputs)
	var qms, ytd []quarterMoney
	for _, x := range trend {
		qms = append(qms, byQ.at(x).money)
	}
	for x := yearStart; !qt.Before(x); x = x.Next() {
		ytd = append(ytd, byQ.at(x).money)
		d.FunnelYTD.add(byQ.at(x).funnel)
	}
	for _, qm := range qms {
		d.Trend = append(d.Trend, newSpan([]quarterMoney{qm}, d.Goals))
	}
	d.Quarterly = d.Trend[len(d.Trend)-1]
	d.YearToDate = newSpan(ytd, d.Goals)
	d.Funnel = byQ.at(qt).funnel
	d.OtherRevenue = otherRevenue(months, yearStart.Start(), end)

	if d.Open, err = OpenByStage(ctx, q, tenantID); err != nil {
		return d, err
	}
	if err := readPartners(ctx, q, tenantID, &d); err != nil {
		return d, err
	}
	changes, err := readChanges(ctx, q, tenantID, first.Start(), end)
	if err != nil {
		return d, err
	}
	d.Flows, d.Added, d.Lost = flows(changes, trend, qt.Year)
	d.Recruiting = Recruiting{Year: qt.Year, Added: d.Added, Min: d.Goals.RecruitMin, Max: d.Goals.RecruitMax,
		Status: partner.GoalStatus(int(d.Added), int(d.Goals.RecruitMin), int(d.Goals.RecruitMax))}

	window := qt.Last(4)
	revs, err := readPartnerRevenue(ctx, q, tenantID, window[0].Start(), end)
	if err != nil {
		return d, err
	}
	d.Top = concentrate(revs, window[0], qt)
	return d, nil
}

// Summary is one quarter's economics against the goals: the dashboard
// card of the firm's front page.
type Summary struct {
	Span
	Goals Goals
}

// QuarterSummary computes quarter qt's Span alone (three small reads).
func QuarterSummary(ctx context.Context, q db.Querier, tenantID uuid.UUID, qt period.Quarter) (Summary, error) {
	g, err := readGoals(ctx, q, tenantID)
	if err != nil {
		return Summary{}, err
	}
	months, err := readMonths(ctx, q, tenantID, qt.Start(), qt.Next().Start())
	if err != nil {
		return Summary{}, err
	}
	in, err := program.Inputs(ctx, q, tenantID, qt)
	if err != nil {
		return Summary{}, err
	}
	byQ := foldQuarters(months, []program.QuarterInputs{in})
	return Summary{Span: newSpan([]quarterMoney{byQ.at(qt).money}, g), Goals: g}, nil
}

// CheckQuarter is EInvalid for a quarter that has not started on today
// (there is nothing to show yet) or before 1900.
func CheckQuarter(qt period.Quarter, today time.Time) error {
	cur := period.QuarterOf(today)
	switch {
	case qt.Q < 1 || qt.Q > 4 || qt.Year < 1900:
		return apperr.Invalid(map[string]string{"quarter": "Choose a quarter like 2026-Q3."})
	case cur.Before(qt):
		return apperr.Invalid(map[string]string{"quarter": fmt.Sprintf("%s hasn't started yet: choose %s or earlier.", qt.Label(), cur.Label())})
	}
	return nil
}

// quarterData is what the rollups say about one quarter.
type quarterData struct {
	money  quarterMoney
	funnel Funnel
}

// monthRow is one month of the rollups summed over partners: the funnel
// (from partner_months, Currency "") or one currency's money.
type monthRow struct {
	Month      time.Time
	Currency   string
	Funnel     Funnel
	Revenue    int64
	Commission int64
}

// quarters is what the rollups and inputs say, by quarter.
type quarters map[period.Quarter]quarterData

// at is quarter q's data; zeros (inputs not entered) when nothing is known.
func (qs quarters) at(q period.Quarter) quarterData {
	d, ok := qs[q]
	if !ok {
		d.money.Inputs = program.QuarterInputs{Quarter: q}
	}
	d.money.Quarter = q
	return d
}

// foldQuarters groups months into quarters and attaches each quarter's
// inputs.
func foldQuarters(months []monthRow, inputs []program.QuarterInputs) quarters {
	out := quarters{}
	for _, in := range inputs {
		d := out.at(in.Quarter)
		d.money.Inputs = in
		out[in.Quarter] = d
	}
	for _, m := range months {
		q := period.QuarterOf(m.Month)
		d := out.at(q)
		switch m.Currency {
		case "":
			d.funnel.add(m.Funnel)
		case Currency:
			d.money.Revenue += m.Revenue
			d.money.Commission += m.Commission
		}
		out[q] = d
	}
	return out
}

// otherRevenue sums partner revenue in currencies other than Currency over
// months in [from, to), by currency.
func otherRevenue(months []monthRow, from, to time.Time) []Amount {
	sums := map[string]int64{}
	for _, m := range months {
		if m.Currency == "" || m.Currency == Currency || m.Month.Before(from) || !m.Month.Before(to) {
			continue
		}
		sums[m.Currency] += m.Revenue
	}
	var out []Amount
	for c, v := range sums {
		if v != 0 {
			out = append(out, Amount{Currency: c, Cents: v})
		}
	}
	slices.SortFunc(out, func(a, b Amount) int {
		if a.Currency < b.Currency {
			return -1
		}
		if a.Currency > b.Currency {
			return 1
		}
		return 0
	})
	return out
}

// change is a partner's move that counts: added (first activation) or lost.
type change struct {
	PartnerID uuid.UUID
	Added     bool
	Day       time.Time // in the firm's zone
}

// flows counts the changes per trend quarter and over the year (each
// partner once per period).
func flows(cs []change, trend []period.Quarter, year int) ([]Flow, int64, int64) {
	type key struct {
		q     period.Quarter
		added bool
	}
	perQ := map[key]map[uuid.UUID]bool{}
	perYear := map[bool]map[uuid.UUID]bool{true: {}, false: {}}
	for _, c := range cs {
		q := period.QuarterOf(c.Day)
		k := key{q, c.Added}
		if perQ[k] == nil {
			perQ[k] = map[uuid.UUID]bool{}
		}
		perQ[k][c.PartnerID] = true
		if c.Day.Year() == year && !trend[len(trend)-1].Before(q) {
			perYear[c.Added][c.PartnerID] = true
		}
	}
	var out []Flow
	for _, q := range trend {
		out = append(out, Flow{Quarter: q, Added: int64(len(perQ[key{q, true}])), Lost: int64(len(perQ[key{q, false}]))})
	}
	return out, int64(len(perYear[true])), int64(len(perYear[false]))
}

// concentrate ranks the partners by revenue (most first, then by name)
// and measures the top 3's share of the total.
func concentrate(revs []PartnerRevenue, from, to period.Quarter) Concentration {
	c := Concentration{From: from, To: to}
	slices.SortFunc(revs, func(a, b PartnerRevenue) int {
		switch {
		case a.RevenueCents != b.RevenueCents:
			if a.RevenueCents > b.RevenueCents {
				return -1
			}
			return 1
		case a.Name != b.Name:
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		return slices.Compare(a.PartnerID[:], b.PartnerID[:])
	})
	for _, r := range revs {
		c.TotalCents += r.RevenueCents
		if r.RevenueCents > 0 {
			c.Partners++
		}
	}
	for i, r := range revs {
		if r.RevenueCents <= 0 {
			break // a partner with nothing (or refunds only) is no top partner
		}
		if i < 3 {
			c.Top3Cents += r.RevenueCents
		}
		if i < TopCount {
			r.ShareBP = ShareBP(r.RevenueCents, c.TotalCents)
			c.Top = append(c.Top, r)
		}
	}
	c.Top3ShareBP = ShareBP(c.Top3Cents, c.TotalCents)
	return c
}
