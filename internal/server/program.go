package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/programdash"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/web/view"
)

// programRoutes: /t/{tenant}/program?quarter=2026-Q3, the program
// dashboard. Any staff role: there is no narrower "see money" capability,
// and staff see the same figures on partner pages.
func (s *Server) programRoutes(r chi.Router) {
	r.Get("/program", s.showProgram)
}

// pickerQuarters is how far back the quarter picker reaches.
const pickerQuarters = 12

// showProgram is the dashboard of the quarter asked for (default: the
// last complete one). A quarter that can't be shown (not one, not started)
// gets the default quarter with the picker's error (422).
func (s *Server) showProgram(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, asked := r.URL.Query()["quarter"]
	if asked && len(raw) > 0 && raw[0] == "" {
		asked = false // the picker's empty choice
	}
	var d programdash.Dashboard
	var cur period.Quarter
	status, pickErr := http.StatusOK, ""
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := rollup.Fresh(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		today, err := s.firmToday(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		cur = period.QuarterOf(today)
		qt, qerr := programQuarter(raw, asked, today)
		if qerr != nil {
			status, pickErr = http.StatusUnprocessableEntity, apperr.FieldErrors(qerr)["quarter"]
			qt = cur.Prev()
		}
		d, err = programdash.Build(ctx, tx, sc.Tenant.ID, qt, today)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	props := programProps("/t/"+sc.Tenant.Slug, d, cur)
	props.QuarterError = pickErr
	s.render(w, r, status, view.ProgramPage(s.page(r, "Program", "program"), props))
}

// programProps turns the dashboard into the page's props.
func programProps(base string, d programdash.Dashboard, cur period.Quarter) view.ProgramProps {
	qt, g := d.Quarter, d.Goals
	inputsURL := func(q period.Quarter) string { return base + "/program/inputs?quarter=" + q.String() }
	p := view.ProgramProps{Base: base, Quarter: qt.String(), Label: qt.Label(), Period: qt.Period(), InProgress: d.InProgress,
		InputsURL: inputsURL(qt), InputsMissing: len(d.Quarterly.Missing) > 0, YTDLabel: d.YearToDate.Label(),
		ReferralsURL: base + "/referrals?open=1", OpenTotal: d.Open.Total()}

	// The picker: the current quarter back three years, and the one shown.
	shown := false
	recent := cur.Last(pickerQuarters)
	slices.Reverse(recent)
	for _, x := range recent {
		label := x.Label()
		if x == cur {
			label += " (in progress)"
		}
		p.Quarters = append(p.Quarters, view.Option{Value: x.String(), Label: label})
		shown = shown || x == qt
	}
	if !shown {
		p.Quarters = append(p.Quarters, view.Option{Value: qt.String(), Label: qt.Label()})
	}
	for _, m := range d.YearToDate.Missing {
		p.YTDMissing = append(p.YTDMissing, view.ProgramLink{Label: m.Label(), URL: inputsURL(m)})
	}

	goalShare := chart.BP.Full(g.RevenueShareMinBP) + "–" + chart.BP.Full(g.RevenueShareMaxBP)
	goalROI := roiText(g.ROIX100)
	p.ShareGoal = "The goal: partner revenue is " + goalShare + " of all new revenue (finance's program inputs)."
	p.Verdict, p.VerdictBadge, p.VerdictTone = programVerdict(d.YearToDate, goalROI)

	// The tiles: the quarter, with the year to date under each.
	q, y := d.Quarterly, d.YearToDate
	roi := view.ProgramTile{ID: "roi", Label: "Return on investment", Value: spanROI(q),
		Note: "Goal " + goalROI + " or better · " + y.Label() + ": " + spanROI(y)}
	roi.Badge, roi.Tone = roiBadge(q)
	share := view.ProgramTile{ID: "share", Label: "Share of new revenue", Value: spanShare(q),
		Note: "Goal " + goalShare + " · " + y.Label() + ": " + spanShare(y)}
	share.Badge, share.Tone = shareBadge(q)
	if q.ROIWhy == programdash.WhyInputs {
		roi.Link, roi.LinkText = p.InputsURL, "Enter program inputs"
		share.Link, share.LinkText = p.InputsURL, "Enter program inputs"
	}
	revenue := view.ProgramTile{ID: "revenue", Label: "Partner revenue", Value: dollars(q.PartnerRevenueCents),
		Note: y.Label() + ": " + dollars(y.PartnerRevenueCents)}
	cost := view.ProgramTile{ID: "cost", Label: "Program cost", Value: "—",
		Note: "Commissions " + dollars(q.CommissionCents) + "; other costs not entered"}
	if len(q.Missing) == 0 {
		cost.Value = dollars(q.ProgramCostCents)
		cost.Note = "Commissions " + dollars(q.CommissionCents) + " + other costs " + dollars(q.InputCostCents)
	}
	active := view.ProgramTile{ID: "partners", Label: "Active partners", Value: strconv.FormatInt(d.ActivePartners, 10),
		Note: strconv.FormatInt(d.InProgram, 10) + " in the program · " + strconv.FormatInt(d.Added, 10) + " added, " +
			strconv.FormatInt(d.Lost, 10) + " lost in " + strconv.Itoa(qt.Year)}
	p.Tiles = []view.ProgramTile{roi, share, revenue, cost, active}

	// Trends.
	var labels []string
	rev := chart.Series{Name: "Partner revenue"}
	costS := chart.Series{Name: "Program cost"}
	shareS := chart.Series{Name: "Share of new revenue"}
	roiS := chart.Series{Name: "ROI"}
	added, lost := chart.Series{Name: "Added"}, chart.Series{Name: "Lost"}
	for i, sp := range d.Trend {
		labels = append(labels, sp.From.Label())
		rev.Values = append(rev.Values, sp.PartnerRevenueCents)
		costS.Values, costS.Valid = append(costS.Values, sp.ProgramCostCents), append(costS.Valid, len(sp.Missing) == 0)
		shareS.Values, shareS.Valid = appendOpt(shareS.Values, shareS.Valid, sp.RevenueShareBP, 1)
		roiS.Values, roiS.Valid = appendOpt(roiS.Values, roiS.Valid, sp.ROIX100, 10)
		if i < len(d.Flows) {
			added.Values, lost.Values = append(added.Values, d.Flows[i].Added), append(lost.Values, d.Flows[i].Lost)
		}
	}
	minGoal, roiGoal := g.RevenueShareMinBP, floorDiv(g.ROIX100, 10)
	p.RevenueCost = chart.Chart{ID: "program-revenue-cost", Title: "Partner revenue and program cost by quarter",
		LabelHeader: "Quarter", Labels: labels, Series: []chart.Series{rev, costS}, Unit: chart.Cents,
		Empty: "No partner revenue or program cost in these quarters yet."}
	p.Share = chart.Chart{ID: "program-share", Title: "Partner revenue as a share of all new revenue",
		LabelHeader: "Quarter", Labels: labels, Series: []chart.Series{shareS}, Unit: chart.BP, Goal: &minGoal,
		GoalLabel: "Goal from", Empty: "Enter program inputs (total new revenue) to see the share."}
	p.ROI = chart.Chart{ID: "program-roi", Title: "ROI by quarter", LabelHeader: "Quarter", Labels: labels,
		Series: []chart.Series{roiS}, Unit: chart.Ratio, Goal: &roiGoal, GoalLabel: "Goal",
		Empty: "Enter program inputs to see the ROI."}
	p.Flows = chart.Chart{ID: "program-flows", Title: "Partners added and lost by quarter", LabelHeader: "Quarter",
		Labels: labels, Series: []chart.Series{added, lost}, Unit: chart.Count,
		Empty: "No partner added or lost in these quarters."}

	// The funnel of the quarter.
	p.Funnel = stageChart("program-funnel", "Referrals received in "+qt.Label(), "Stage", "Referrals", d.Funnel.Stages())
	p.Funnel.Empty = "No referral received in " + qt.Label() + "."
	p.FunnelNote = "Referrals partners sent us in " + qt.Label() + " and how far they have got since; " + y.Label() +
		": " + strconv.FormatInt(d.FunnelYTD.Received, 10) + " received, " + strconv.FormatInt(d.FunnelYTD.Won, 10) + " won."
	p.Open = stageChart("program-open", "Open referrals by stage today", "Stage", "Referrals", d.Open.Stages())
	p.Open.Empty = "No open referral."

	// Partners today.
	tiers := chart.Chart{ID: "program-tiers", Title: "Partners in the program by tier", LabelHeader: "Tier",
		Unit: chart.Count, Empty: "No partner in the program yet."}
	tierS := chart.Series{Name: "Partners"}
	for _, t := range d.PartnersByTier {
		tiers.Labels, tierS.Values = append(tiers.Labels, t.Name), append(tierS.Values, t.N)
	}
	tiers.Series = []chart.Series{tierS}
	p.Tiers = tiers
	p.Types = stageChart("program-types", "Partners in the program by model", "Model", "Partners", d.PartnersByType)
	p.Types.Empty = "No partner in the program yet."
	p.Statuses = stageChart("program-statuses", "All partners by lifecycle status", "Status", "Partners", d.PartnersByStatus)
	p.Statuses.Empty = "No partner yet."

	// Recruiting against the year's goal.
	rc := d.Recruiting
	recMin, recMax := rc.Min, rc.Max
	p.Recruiting = chart.Chart{ID: "program-recruiting", Title: "New partners in " + strconv.Itoa(rc.Year) + " against the goal",
		LabelHeader: "Year", Labels: []string{strconv.Itoa(rc.Year)}, Series: []chart.Series{{Name: "New partners",
			Values: []int64{rc.Added}}}, Unit: chart.Count, Goal: &recMin, GoalLabel: "Goal from", Max: recMax,
		Empty: "No new partner yet in " + strconv.Itoa(rc.Year) + "."}
	p.RecruitingNote = recruitingNote(rc)

	// Top partners over the trailing 12 months.
	top := d.Top
	p.TopNote = "Trailing 12 months, " + programdash.Span{From: top.From, To: top.To}.Label() + ": " +
		dollars(top.TotalCents) + " of partner revenue from " + strconv.Itoa(top.Partners) + " partners. The top 3 brought " +
		dollars(top.Top3Cents) + " (" + optBP(top.Top3ShareBP) + ")."
	for i, t := range top.Top {
		p.Top = append(p.Top, view.ProgramTopRow{Rank: i + 1, Name: t.Name, URL: base + "/partners/" + t.PartnerID.String() + "/scorecard",
			Revenue: dollars(t.RevenueCents), Share: optBP(t.ShareBP), Top3: i < 3})
	}
	p.TopShare = chart.Chart{ID: "program-top3", Title: "Top 3 partners' share of partner revenue", LabelHeader: "Partners",
		Labels: []string{"Top 3 partners", "Everyone else"}, Unit: chart.Cents,
		Series: []chart.Series{{Name: "Revenue", Values: []int64{top.Top3Cents, max(0, top.TotalCents-top.Top3Cents)}}}}

	if len(d.OtherRevenue) > 0 {
		var parts []string
		for _, a := range d.OtherRevenue {
			parts = append(parts, commissionAmount(a.Cents)+" "+a.Currency)
		}
		p.OtherRevenue = "Also " + strings.Join(parts, ", ") + " of partner revenue in " + y.Label() +
			", not counted here: program inputs are in " + d.Currency + "."
	}

	// Quarter by quarter, newest first.
	for i := len(d.Trend) - 1; i >= 0; i-- {
		sp := d.Trend[i]
		row := view.ProgramEconRow{Label: sp.From.Label(), URL: base + "/program?quarter=" + sp.From.String(),
			InputsURL: inputsURL(sp.From), Current: sp.From == qt, Entered: len(sp.Missing) == 0,
			Revenue: dollars(sp.PartnerRevenueCents), TotalNew: dollars(sp.TotalNewRevenueCents), Share: spanShare(sp),
			Commissions: dollars(sp.CommissionCents), Costs: dollars(sp.InputCostCents),
			ProgramCost: dollars(sp.ProgramCostCents), ROI: spanROI(sp)}
		switch sp.ROIStatus {
		case programdash.Met:
			row.ROITone = "success"
		case programdash.NotMet:
			row.ROITone = "danger"
		}
		p.Economics = append(p.Economics, row)
	}
	return p
}

// programVerdict answers "is the program worth it?" for the year to date.
func programVerdict(y programdash.Span, goalROI string) (text, badge, tone string) {
	rev, cost := dollars(y.PartnerRevenueCents), dollars(y.ProgramCostCents)
	switch {
	case y.ROIStatus == programdash.Met:
		return "Partner revenue of " + rev + " returned " + spanROI(y) + " on a program cost of " + cost + " in " + y.Label() +
			", meeting the " + goalROI + " goal.", "Worth it", "success"
	case y.ROIStatus == programdash.NotMet:
		return "Partner revenue of " + rev + " returned " + spanROI(y) + " on a program cost of " + cost + " in " + y.Label() +
			", short of the " + goalROI + " goal.", "Below goal", "danger"
	case y.ROIWhy == programdash.WhyNoCost:
		return "No commissions or program costs are recorded for " + y.Label() + ", so there is no ROI to show; partner revenue was " +
			rev + ".", "No cost recorded", "neutral"
	default:
		return "Partner revenue so far is " + rev + ". The ROI needs finance's program inputs for every quarter of " + y.Label() +
			".", "Inputs needed", "warning"
	}
}

// roiBadge is the verdict badge of a span's ROI (the goal is written beside it).
func roiBadge(s programdash.Span) (string, string) {
	switch {
	case s.ROIStatus == programdash.Met:
		return "Goal met", "success"
	case s.ROIStatus == programdash.NotMet:
		return "Below goal", "danger"
	case s.ROIWhy == programdash.WhyNoCost:
		return "No cost recorded", "neutral"
	}
	return "Inputs needed", "warning"
}

// shareBadge is the verdict badge of a span's revenue share.
func shareBadge(s programdash.Span) (string, string) {
	switch {
	case s.ShareStatus == programdash.Within:
		return "Within goal", "success"
	case s.ShareStatus == programdash.Below:
		return "Below goal", "warning"
	case s.ShareStatus == programdash.Above:
		return "Above goal range", "info"
	case s.ShareWhy == programdash.WhyNoRevenue:
		return "No new revenue entered", "neutral"
	}
	return "Inputs needed", "warning"
}

func recruitingNote(rc programdash.Recruiting) string {
	n := strconv.FormatInt(rc.Added, 10) + " new partners in " + strconv.Itoa(rc.Year)
	if rc.Added == 1 {
		n = "1 new partner in " + strconv.Itoa(rc.Year)
	}
	goal := strconv.FormatInt(rc.Min, 10) + "–" + strconv.FormatInt(rc.Max, 10)
	switch rc.Status {
	case "below":
		return n + " against a goal of " + goal + ": below the goal."
	case "at":
		return n + " against a goal of " + goal + ": on target."
	case "over":
		return n + " against a goal of " + goal + ": above the goal."
	}
	return n + "; no recruiting goal is set."
}

func stageChart(id, title, header, series string, ss []programdash.Stage) chart.Chart {
	c := chart.Chart{ID: id, Title: title, LabelHeader: header, Unit: chart.Count}
	s := chart.Series{Name: series}
	for _, st := range ss {
		c.Labels, s.Values = append(c.Labels, st.Label), append(s.Values, st.N)
	}
	c.Series = []chart.Series{s}
	return c
}

// spanROI is "5.0:1" (floored to tenths, as the figure is) or "—".
func spanROI(s programdash.Span) string {
	if s.ROIX100 == nil {
		return "—"
	}
	return chart.Ratio.Full(floorDiv(*s.ROIX100, 10))
}

// roiText is a goal written short: 500 → "5:1", 450 → "4.5:1".
func roiText(x100 int64) string { return chart.Ratio.Short(floorDiv(x100, 10)) }

func spanShare(s programdash.Span) string { return optBP(s.RevenueShareBP) }

func optBP(v *int64) string {
	if v == nil {
		return "—"
	}
	return chart.BP.Full(*v)
}

// dollars writes cents as whole dollars, "$1,000,000", rounded half away
// from zero: the page is read at a glance; the charts' data tables and the
// API keep the cents.
func dollars(c int64) string {
	d := (c + 50) / 100
	if c < 0 {
		d = (c - 50) / 100
	}
	return strings.TrimSuffix(chart.Cents.Full(d*100), ".00")
}

// commissionAmount writes cents without a currency sign ("5,000.00").
func commissionAmount(c int64) string { return strings.Replace(chart.Cents.Full(c), "$", "", 1) }

// appendOpt appends an optional value divided (floored) by div, marking
// it valid or not.
func appendOpt(vs []int64, valid []bool, v *int64, div int64) ([]int64, []bool) {
	if v == nil {
		return append(vs, 0), append(valid, false)
	}
	return append(vs, floorDiv(*v, div)), append(valid, true)
}

// floorDiv is a/b rounded toward minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
