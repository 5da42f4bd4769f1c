package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/review"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/scorecard"
	"github.com/allyway/allyway/web/view"
)

// partnerScorecardRoutes are a partner's Scorecard tab under
// /t/{tenant}/partners/{id}: the quarter's scorecard as a page and as a
// PDF for the review meeting (anyone on the staff), and which parts of it
// partners see in the portal (ManageSettings; one setting for the firm).
// ?quarter=2026-Q3 picks the quarter (default: the current one, to date);
// a malformed quarter is not found, one that hasn't started a bad request,
// as on the statement pages.
func (s *Server) partnerScorecardRoutes(r chi.Router) {
	r.Get("/scorecard", s.partnerScorecard)
	r.Get("/scorecard.pdf", s.partnerScorecardPDF)
	r.With(s.requireCap(auth.ManageSettings)).Post("/scorecard/sharing", s.saveScorecardSharing)
}

// scorecardMaxActions bounds the open action items the page lists.
const scorecardMaxActions = 20

// staffScorecard is what the scorecard page and PDF show, loaded in the
// page's tenant transaction.
type staffScorecard struct {
	card    scorecard.Scorecard
	today   time.Time
	loc     *time.Location
	shared  map[string]bool
	actions []review.Action
	reviews []review.Review
	due     []review.DueItem
}

// scorecardQuarter reads ?quarter= on the firm's day: empty is the current
// quarter; a malformed one is not found; one that hasn't started is
// refused with scorecard.CheckQuarter's message (a bad request, see
// failScorecard).
func scorecardQuarter(raw string, today time.Time) (period.Quarter, error) {
	if raw == "" {
		return period.QuarterOf(today), nil
	}
	q, err := period.ParseQuarter(raw)
	if err != nil {
		return q, apperr.NotFound("Scorecard")
	}
	return q, scorecard.CheckQuarter(q, today)
}

// failScorecard answers a scorecard request's error: a quarter that hasn't
// started is a bad request with its message; the rest as usual.
func (s *Server) failScorecard(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.Code(err) == apperr.EInvalid && apperr.FieldErrors(err)["quarter"] != "" {
		s.renderError(w, r, http.StatusBadRequest, apperr.Message(err))
		return
	}
	s.fail(w, r, err)
}

// loadStaffScorecard refreshes the firm's rollups and builds the partner's
// scorecard for the requested quarter, with the reviews around it.
func (s *Server) loadStaffScorecard(ctx context.Context, tx pgx.Tx, r *http.Request, sc *staffCtx, p partner.Partner) (staffScorecard, error) {
	var d staffScorecard
	var err error
	if d.loc, err = firmLocation(ctx, tx, sc.Tenant.ID); err != nil {
		return d, err
	}
	d.today = period.Today(s.now(), d.loc)
	// The query's quarter, or the sharing form's (re-shown with errors).
	q, err := scorecardQuarter(r.FormValue("quarter"), d.today)
	if err != nil {
		return d, err
	}
	if err = rollup.Fresh(ctx, tx, sc.Tenant.ID); err != nil {
		return d, err
	}
	if d.card, err = scorecard.Build(ctx, tx, sc.Tenant.ID, p.ID, q, d.today); err != nil {
		return d, err
	}
	if d.shared, err = scorecard.Shared(ctx, tx, sc.Tenant.ID); err != nil {
		return d, err
	}
	if d.actions, err = review.OpenActions(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
		return d, err
	}
	if d.reviews, err = review.List(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
		return d, err
	}
	d.due, err = review.Due(ctx, tx, sc.Tenant.ID, d.loc, p.ID)
	return d, err
}

// partnerScorecard is the partner's scorecard page.
func (s *Server) partnerScorecard(w http.ResponseWriter, r *http.Request) {
	s.renderScorecard(w, r, http.StatusOK, nil, view.Form{})
}

// renderScorecard shows the page; sharing, when set, is the sharing form
// as ticked (re-shown with its errors).
func (s *Server) renderScorecard(w http.ResponseWriter, r *http.Request, status int, sharing map[string]bool, form view.Form) {
	ctx := r.Context()
	var d staffScorecard
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		d, err = s.loadStaffScorecard(ctx, tx, r, sc, p)
		return err
	})
	if err != nil {
		s.failScorecard(w, r, err)
		return
	}
	if sharing != nil {
		d.shared = sharing
	}
	props := scorecardPageProps(staffFrom(ctx), p, d, s.now())
	props.ShareForm = form
	s.render(w, r, status, view.ScorecardPage(s.page(r, p.Name, "partners"), props))
}

// partnerScorecardPDF is the scorecard as a PDF for the review meeting.
func (s *Server) partnerScorecardPDF(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d staffScorecard
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		d, err = s.loadStaffScorecard(ctx, tx, r, sc, p)
		return err
	})
	if err != nil {
		s.failScorecard(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	b, err := scorecardPDF(scorecardPDFInput{FirmName: sc.Tenant.Name, Card: d.card, Today: d.today,
		Actions: scorecardActionRows(sc, p, d.actions, d.today), Generated: s.now().In(d.loc)})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+scorecardFileName(p.Name, d.card.Quarter)+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// saveScorecardSharing stores which parts of the scorecard partners see in
// the portal (for every partner), audited. Reached from a partner's
// scorecard, so another firm's partner is not found first.
func (s *Server) saveScorecardSharing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var keys []string
	ticked := map[string]bool{}
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		for _, k := range r.PostForm["section"] {
			ticked[k] = true
		}
		var err error
		if keys, err = sharedKeys(ticked); err != nil {
			return err
		}
		return saveScorecardShared(ctx, tx, sc.Tenant.ID, keys)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderScorecard(w, r, http.StatusUnprocessableEntity, ticked, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The scorecard is no longer shared: partners see a note saying so in the portal."
	if len(keys) > 0 {
		msg = "Partners now see these parts of their scorecard in the portal: " + partLabels(keys) + "."
	}
	s.flash(r, "success", msg)
	to := scorecardPath(staffFrom(ctx), p)
	if q, err := period.ParseQuarter(r.PostForm.Get("quarter")); err == nil {
		to += "?quarter=" + q.String()
	}
	redirect(w, r, to+"#sharing")
}

func scorecardPath(sc *staffCtx, p partner.Partner) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String() + "/scorecard"
}

// scorecardFileName is "scorecard-brightline-advisory-2026-Q3.pdf".
func scorecardFileName(partnerName string, q period.Quarter) string {
	slug := make([]byte, 0, len(partnerName))
	dash := false
	for _, c := range []byte(partnerName) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			slug, dash = append(slug, c), false
		case c >= 'A' && c <= 'Z':
			slug, dash = append(slug, c+'a'-'A'), false
		case !dash && len(slug) > 0:
			slug, dash = append(slug, '-'), true
		}
	}
	name := string(slug)
	for len(name) > 0 && name[len(name)-1] == '-' {
		name = name[:len(name)-1]
	}
	if len(name) > 60 {
		name = name[:60]
	}
	if name == "" {
		name = "partner"
	}
	return "scorecard-" + name + "-" + q.String() + ".pdf"
}

// scorecardPicker is the quarter picker of the staff and portal pages:
// the current quarter and the eight before it (and the one shown if
// older), previous and next, and the last completed quarter.
func scorecardPicker(path string, q period.Quarter, today time.Time) view.ScorecardPicker {
	current := period.QuarterOf(today)
	link := func(o period.Quarter) string { return path + "?quarter=" + o.String() }
	pk := view.ScorecardPicker{Action: path, Quarter: q.String()}
	seen := false
	for i, o := 0, current; i < 9; i, o = i+1, o.Prev() {
		label := o.Label()
		if o == current {
			label += " (to date)"
		}
		pk.Options = append(pk.Options, view.Option{Value: o.String(), Label: label})
		seen = seen || o == q
	}
	if !seen {
		pk.Options = append(pk.Options, view.Option{Value: q.String(), Label: q.Label()})
	}
	if prev := q.Prev(); prev.Year >= 1900 {
		pk.PrevURL, pk.PrevLabel = link(prev), prev.Label()
	}
	if next := q.Next(); !current.Before(next) {
		pk.NextURL, pk.NextLabel = link(next), next.Label()
	}
	if q == current {
		last := current.Prev()
		pk.LastURL, pk.LastLabel = link(last), last.Label()
	}
	return pk
}

// scorecardToDate is "to date (27 Nov 2026)" while the quarter runs.
func scorecardToDate(q period.Quarter, today time.Time) string {
	if q != period.QuarterOf(today) {
		return ""
	}
	return "to date (" + today.Format(dayFormat) + ")"
}

// scorecardPrev is the quarter before the scorecard's in its trend.
func scorecardPrev(c scorecard.Scorecard) (scorecard.Figures, bool) {
	if n := len(c.Trend); n >= 2 {
		return c.Trend[n-2], true
	}
	return scorecard.Figures{Quarter: c.Quarter.Prev()}, false
}

// scorecardPageProps fills the staff page from the scorecard.
func scorecardPageProps(sc *staffCtx, p partner.Partner, d staffScorecard, now time.Time) view.ScorecardPageProps {
	c := d.card
	path := scorecardPath(sc, p)
	prev, hasPrev := scorecardPrev(c)
	canManage := sc.Role.Can(auth.ManagePartners) && p.Status != "ended"
	props := view.ScorecardPageProps{
		Header:       partnerHeader(sc, p, "scorecard"),
		Picker:       scorecardPicker(path, c.Quarter, d.today),
		QuarterLabel: c.Quarter.Label(),
		Period:       c.Quarter.Period(),
		ToDate:       scorecardToDate(c.Quarter, d.today),
		Currency:     c.Currency,
		PDFURL:       path + ".pdf?quarter=" + c.Quarter.String(),
		Health:       scorecardHealthView(c.Health),
		Rec:          scorecardRecView(c.Recommendation),
		Figures:      scorecardFigureGroups(c, prev, hasPrev, false),
		PrevLabel:    prev.Quarter.Label(),
		Reciprocity:  scorecardReciprocityView(c),
		Charts:       scorecardCharts(c, false),
		Alerts:       c.OpenAlerts,
		AlertsURL:    "/t/" + sc.Tenant.Slug + "/alerts?partner=" + p.ID.String(),
		OpenActions:  int(c.OpenActions),
		CanShare:     sc.Role.Can(auth.ManageSettings),
		ShareAction:  path + "/sharing",
	}
	if props.Header.Tier == "" && c.Recommendation.CurrentTier != nil {
		props.Header.Tier = c.Recommendation.CurrentTier.Name
	}
	props.Review.ReviewsURL = reviewTabPath(sc, p.ID)
	for i := len(d.reviews) - 1; i >= 0; i-- { // earliest scheduled first
		if rv := d.reviews[i]; rv.Status == review.StatusScheduled {
			props.Review.Scheduled = reviewWhen(rv.ScheduledAt, rv.EndsAt(), d.loc)
			props.Review.ScheduledURL = reviewPath(sc, p.ID, rv.ID)
			if canManage {
				props.Review.HoldURL = props.Review.ScheduledURL + "#hold"
			}
			break
		}
	}
	if props.Review.Scheduled == "" && canManage {
		props.Review.ScheduleURL = reviewTabPath(sc, p.ID) + "/new"
	}
	if len(d.due) == 1 {
		it := d.due[0]
		props.Review.Due = "Next review due " + review.DayLabel(it.DueOn) + " (" + daysNote(it.DueOn, d.today) + ")."
		props.Review.Overdue = it.Overdue(d.today)
	}
	for _, y := range c.Satisfaction {
		props.Satisfaction = append(props.Satisfaction, view.ScorecardYearRow{Year: strconv.Itoa(y.Year),
			Answers: strconv.FormatInt(y.Answers, 10), Average: chart.Score.Full(y.AvgX10)})
	}
	a := c.Attendance
	props.Attendance = []view.ScorecardTradeRow{
		{Key: "due", Label: "Reviews due", FromThem: strconv.FormatInt(a.Scheduled, 10)},
		{Key: "held", Label: "Held", FromThem: strconv.FormatInt(a.Held, 10)},
		{Key: "cancelled", Label: "Cancelled", FromThem: strconv.FormatInt(a.Cancelled, 10)},
		{Key: "attended", Label: "The partner attended",
			FromThem: strconv.FormatInt(a.PartnerAttended, 10) + " of " + strconv.FormatInt(a.Held, 10) + " held"},
	}
	rows := scorecardActionRows(sc, p, d.actions, d.today)
	if len(rows) > scorecardMaxActions {
		rows = rows[:scorecardMaxActions]
	}
	props.Actions = rows
	if n := len(d.actions); n > props.OpenActions {
		props.OpenActions = n
	}
	for _, part := range scorecard.Parts {
		props.Sections = append(props.Sections, view.ScorecardSection{Key: part.Key, Label: part.Label,
			Hint: scorecardPartHints[part.Key], Checked: d.shared[part.Key]})
	}
	return props
}

// scorecardPartHints say what a shared part shows the partner.
var scorecardPartHints = map[string]string{
	scorecard.PartReferrals:    "Referrals each way, won and lost, with the 8-quarter chart.",
	scorecard.PartConversion:   "Closing rate of their referrals and of ours.",
	scorecard.PartRevenue:      "Client revenue from referrals each way.",
	scorecard.PartCommissions:  "Commissions they earned and were paid; fees owed to us.",
	scorecard.PartResponse:     "Our first-response times and SLA breaches on both sides.",
	scorecard.PartSatisfaction: "Referred clients' average score and the partner's own survey.",
	scorecard.PartReciprocity:  "The balance of trade over 12 months, in referrals and money.",
	scorecard.PartHealth:       "The score out of 100 only: never its components.",
	scorecard.PartTier:         "Their tier and what the next one takes (not our recommendation).",
}

// scorecardActionRows are the partner's open action items with links to
// their reviews.
func scorecardActionRows(sc *staffCtx, p partner.Partner, as []review.Action, today time.Time) []view.ScorecardActionRow {
	out := make([]view.ScorecardActionRow, 0, len(as))
	for _, a := range as {
		row := view.ScorecardActionRow{Title: a.Title, Owner: a.OwnerName, Overdue: a.Overdue(today),
			Review: a.ReviewQuarter.Label() + " review", ReviewURL: reviewPath(sc, p.ID, a.ReviewID)}
		if a.OwnerSide == review.SidePartner {
			row.Owner += " (" + p.Name + ")"
		}
		if a.DueOn != nil {
			row.Due = review.DayLabel(*a.DueOn)
		}
		out = append(out, row)
	}
	return out
}

func scorecardHealthView(h scorecard.Health) view.ScorecardHealth {
	v := view.ScorecardHealth{Score: h.Score, Formula: h.Formula}
	for _, c := range h.Components {
		v.Components = append(v.Components, view.ScorecardComponent{Key: c.Key, Name: c.Name, Weight: c.Weight,
			Value: c.Value, Points: c.Points, Explain: c.Explain})
	}
	return v
}

func scorecardRecView(r scorecard.Recommendation) view.ScorecardRecommendation {
	v := view.ScorecardRecommendation{Action: r.Action, Reasons: r.Reasons, NextNeeds: r.NextNeeds}
	if r.CurrentTier != nil {
		v.Current = r.CurrentTier.Name
	}
	switch {
	case r.Action == "promote" && r.TargetTier != nil:
		v.Headline = "Promote to " + r.TargetTier.Name
	case r.Action == "demote" && r.TargetTier != nil:
		v.Headline = "Demote to " + r.TargetTier.Name
	case r.CurrentTier != nil:
		v.Headline = "Keep at " + r.CurrentTier.Name
	default:
		v.Headline = "Keep (not in a tier)"
	}
	switch {
	case r.NextTier != nil:
		v.NextTier = r.NextTier.Name
	case r.CurrentTier != nil:
		v.NoNext = "Already in the top tier."
		if slices.Contains(r.Reasons, v.NoNext) {
			v.NoNext = ""
		}
	default:
		v.NoNext = "The firm has no tiers yet: add them under Settings → Tiers."
	}
	return v
}

// scorecardYear is the trailing 12 months the reciprocity covers: "1 Oct
// 2025 – 30 Sep 2026".
func scorecardYear(q period.Quarter) string {
	first := q.Last(4)[0]
	return first.Start().Format(dayFormat) + " – " + q.End().Format(dayFormat)
}

// scorecardRatio words the balance: "6.0 : 1, we send more".
func scorecardRatio(r scorecard.Reciprocity, portal bool) string {
	switch {
	case r.Received == 0 && r.Sent == 0:
		return "no referrals either way"
	case r.Leaning == "even":
		return "even"
	case r.RatioX10 == nil && r.Leaning == "us" && portal:
		return "only from us"
	case r.RatioX10 == nil && r.Leaning == "us":
		return "only from us to them"
	case r.RatioX10 == nil && portal:
		return "only from you"
	case r.RatioX10 == nil:
		return "only from them to us"
	}
	ratio := chart.Ratio.Full(*r.RatioX10)
	switch {
	case r.Leaning == "us" && portal:
		return ratio + ", we send you more"
	case r.Leaning == "us":
		return ratio + ", we send more"
	case portal:
		return ratio + ", you send us more"
	}
	return ratio + ", they send more"
}

func scorecardReciprocityView(c scorecard.Scorecard) view.ScorecardReciprocity {
	r := c.Reciprocity
	money := chart.Cents.Full
	return view.ScorecardReciprocity{Sentence: r.Sentence, Ratio: scorecardRatio(r, false), Period: scorecardYear(c.Quarter),
		Rows: []view.ScorecardTradeRow{
			{Key: "referrals", Label: "Referrals", FromThem: chart.Count.Full(r.Received), ToThem: chart.Count.Full(r.Sent)},
			{Key: "revenue", Label: "Client revenue from the referrals", FromThem: money(r.RevenueReceivedCents), ToThem: money(r.RevenueSentCents)},
			{Key: "money", Label: "Fees (to us) and commissions (to them) earned", FromThem: money(r.FeesPaidToUsCents), ToThem: money(r.CommissionsPaidToThemCents)},
		}}
}

// ----- figures -----

// scUnit says how a figure is written and compared.
type scUnit int

const (
	scCount scUnit = iota
	scCents
	scBP
	scHours
	scScore
)

// scFigure is one figure of the key figures table: how to read it from a
// quarter, how to word it (staff and portal), and which way is better
// (1 higher, -1 lower, 0 neither).
type scFigure struct {
	key, label, portalLabel string
	unit                    scUnit
	better                  int
	get                     func(f scorecard.Figures) (int64, bool)
	note                    func(f scorecard.Figures) string
}

func scN(v int64) (int64, bool) { return v, true }

func scP(v *int64) (int64, bool) {
	if v == nil {
		return 0, false
	}
	return *v, true
}

func scDecided(won, lost int64) string {
	if won+lost == 0 {
		return "none decided"
	}
	return strconv.FormatInt(won, 10) + " won of " + strconv.FormatInt(won+lost, 10) + " decided"
}

var (
	figReceived = scFigure{key: "received", label: "Referrals received (from them)", portalLabel: "Referrals you sent us", better: 1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.ReferralsReceived) }}
	figSent = scFigure{key: "sent", label: "Referrals sent (to them)", portalLabel: "Referrals we sent you",
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.ReferralsSent) }}
	figWon = scFigure{key: "won", label: "Won (of theirs)", portalLabel: "Yours we won", better: 1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.WonReceived) }}
	figLost = scFigure{key: "lost", label: "Lost or declined (of theirs)", portalLabel: "Yours lost or declined", better: -1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.LostReceived) }}
	figWonSent = scFigure{key: "won_sent", label: "Won (of ours)", portalLabel: "Ours you won", better: 1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.WonSent) }}
	figConversion = scFigure{key: "conversion", label: "Conversion of their referrals", portalLabel: "Conversion of your referrals",
		unit: scBP, better: 1, get: func(f scorecard.Figures) (int64, bool) { return scP(f.ConversionBP) },
		note: func(f scorecard.Figures) string { return scDecided(f.WonReceived, f.LostReceived) }}
	figSentConversion = scFigure{key: "sent_conversion", label: "Conversion of our referrals", portalLabel: "Conversion of our referrals to you",
		unit: scBP, better: 1, get: func(f scorecard.Figures) (int64, bool) { return scP(f.SentConversionBP) },
		note: func(f scorecard.Figures) string { return scDecided(f.WonSent, f.LostSent) }}
	figRevenueReceived = scFigure{key: "revenue_received", label: "Revenue from their referrals", portalLabel: "Revenue from your referrals",
		unit: scCents, better: 1, get: func(f scorecard.Figures) (int64, bool) { return scN(f.RevenueReceivedCents) }}
	figRevenueSent = scFigure{key: "revenue_sent", label: "Revenue from our referrals (as reported)", portalLabel: "Revenue from our referrals (as you reported)",
		unit: scCents, better: 1, get: func(f scorecard.Figures) (int64, bool) { return scN(f.RevenueSentCents) }}
	figCommissionsEarned = scFigure{key: "commissions_earned", label: "Commissions earned by them", portalLabel: "Commissions you earned",
		unit: scCents, get: func(f scorecard.Figures) (int64, bool) { return scN(f.CommissionsEarnedCents) }}
	figCommissionsPaid = scFigure{key: "commissions_paid", label: "Commissions paid to them", portalLabel: "Commissions paid to you",
		unit: scCents, get: func(f scorecard.Figures) (int64, bool) { return scN(f.CommissionsPaidCents) }}
	figFeesEarned = scFigure{key: "fees_earned", label: "Fees earned by us", portalLabel: "Fees you owe us for the quarter",
		unit: scCents, get: func(f scorecard.Figures) (int64, bool) { return scN(f.FeesEarnedCents) }}
	figFeesReceived = scFigure{key: "fees_received", label: "Fees received", portalLabel: "Fees you paid",
		unit: scCents, get: func(f scorecard.Figures) (int64, bool) { return scN(f.FeesReceivedCents) }}
	figP50 = scFigure{key: "response_p50", label: "Median first response", portalLabel: "Our median first response",
		unit: scHours, better: -1, get: func(f scorecard.Figures) (int64, bool) { return scP(f.ResponseP50Hours) },
		note: func(f scorecard.Figures) string { return strconv.FormatInt(f.Responded, 10) + " answered" }}
	figP90 = scFigure{key: "response_p90", label: "90th percentile first response", portalLabel: "Our 90th percentile first response",
		unit: scHours, better: -1, get: func(f scorecard.Figures) (int64, bool) { return scP(f.ResponseP90Hours) }}
	figSLAOurs = scFigure{key: "sla_ours", label: "SLA breaches, ours", portalLabel: "Our SLA breaches", better: -1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.SLABreachesOurs) }}
	figSLATheirs = scFigure{key: "sla_theirs", label: "SLA breaches, theirs", portalLabel: "Your SLA breaches", better: -1,
		get: func(f scorecard.Figures) (int64, bool) { return scN(f.SLABreachesTheirs) }}
	figCSAT = scFigure{key: "csat", label: "Client satisfaction (1–5)", portalLabel: "Referred clients' satisfaction (1–5)",
		unit: scScore, better: 1, get: func(f scorecard.Figures) (int64, bool) { return scP(f.CSATX10) },
		note: func(f scorecard.Figures) string {
			return plural(int(f.CSATCount), "1 answer", strconv.FormatInt(f.CSATCount, 10)+" answers")
		}}
	figFit = scFigure{key: "fit", label: "Fit rate", portalLabel: "Fit rate", unit: scBP, better: 1,
		get: func(f scorecard.Figures) (int64, bool) { return scP(f.FitRateBP) },
		note: func(f scorecard.Figures) string {
			return strconv.FormatInt(f.FitGood, 10) + " good fit of " + strconv.FormatInt(f.FitGood+f.FitPoor, 10) + " rated"
		}}
)

// scorecardGroups are the key figures table's groups, in order.
var scorecardGroups = []struct {
	title string
	figs  []scFigure
}{
	{"Referrals", []scFigure{figReceived, figSent, figWon, figLost, figConversion, figWonSent, figSentConversion}},
	{"Money", []scFigure{figRevenueReceived, figRevenueSent, figCommissionsEarned, figCommissionsPaid, figFeesEarned, figFeesReceived}},
	{"Response and SLA", []scFigure{figP50, figP90, figSLAOurs, figSLATheirs}},
	{"Quality", []scFigure{figCSAT, figFit}},
}

// scorecardFigureGroups is the key figures table of the staff page and PDF.
func scorecardFigureGroups(c scorecard.Scorecard, prev scorecard.Figures, hasPrev, portal bool) []view.ScorecardFigureGroup {
	out := make([]view.ScorecardFigureGroup, 0, len(scorecardGroups))
	for _, g := range scorecardGroups {
		vg := view.ScorecardFigureGroup{Title: g.title}
		if g.title == "Money" {
			vg.Title += " (" + c.Currency + ")"
		}
		for _, f := range g.figs {
			vg.Figures = append(vg.Figures, f.view(c.Current, prev, hasPrev, portal))
		}
		out = append(out, vg)
	}
	return out
}

// view writes the figure of cur with the change since prev.
func (f scFigure) view(cur, prev scorecard.Figures, hasPrev, portal bool) view.ScorecardFigure {
	v := view.ScorecardFigure{Key: f.key, Label: f.label, Value: "—", Prev: "—"}
	if portal {
		v.Label = f.portalLabel
	}
	cv, cok := f.get(cur)
	if cok {
		v.Value = f.unit.format(cv)
	}
	if f.note != nil {
		v.Note = f.note(cur)
	}
	if !hasPrev {
		return v
	}
	pv, pok := f.get(prev)
	if pok {
		v.Prev = f.unit.format(pv)
	}
	if !cok || !pok {
		return v
	}
	diff := cv - pv
	switch {
	case diff == 0:
		v.Change, v.Dir = "no change", "flat"
		return v
	case diff > 0:
		v.Dir = "up"
	default:
		v.Dir = "down"
	}
	v.Change = f.unit.change(diff)
	switch s := f.better * int(sign(diff)); {
	case s > 0:
		v.Tone = "good"
	case s < 0:
		v.Tone = "bad"
	}
	return v
}

func sign(v int64) int64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func (u scUnit) format(v int64) string {
	switch u {
	case scCents:
		return chart.Cents.Full(v)
	case scBP:
		return chart.BP.Full(v)
	case scHours:
		return plural(int(v), "1 hour", strconv.FormatInt(v, 10)+" hours")
	case scScore:
		return chart.Score.Full(v)
	}
	return chart.Count.Full(v)
}

// change writes a difference with its sign: "+3", "−$1,200.00",
// "+5.5 pts", "−2 h", "+0.3".
func (u scUnit) change(diff int64) string {
	s, abs := "+", diff
	if diff < 0 {
		s, abs = "−", -diff
	}
	switch u {
	case scCents:
		return s + chart.Cents.Full(abs)
	case scBP:
		pts := strconv.FormatInt(abs/100, 10)
		if r := abs % 100; r != 0 {
			pts += "." + strconv.FormatInt(r/10, 10)
			if r%10 != 0 {
				pts += strconv.FormatInt(r%10, 10)
			}
		}
		return s + pts + " pts"
	case scHours:
		return s + strconv.FormatInt(abs, 10) + " h"
	case scScore:
		return s + chart.Score.Full(abs)
	}
	return s + chart.Count.Full(abs)
}

// ----- charts -----

// scorecardCharts are the 8-quarter trend charts: referrals each way,
// conversion, revenue and client satisfaction (portal: worded for the
// partner).
func scorecardCharts(c scorecard.Scorecard, portal bool) []view.ScorecardChart {
	labels := make([]string, len(c.Trend))
	for i, f := range c.Trend {
		labels[i] = f.Quarter.Label()
	}
	series := func(name string, get func(scorecard.Figures) (int64, bool)) chart.Series {
		s := chart.Series{Name: name, Values: make([]int64, len(c.Trend)), Valid: make([]bool, len(c.Trend))}
		for i, f := range c.Trend {
			s.Values[i], s.Valid[i] = get(f)
		}
		return s
	}
	them, us := "From them", "From us"
	convThem, convUs := "Their referrals", "Our referrals"
	if portal {
		them, us, convThem, convUs = "From you", "From us", "Your referrals", "Our referrals"
	}
	mk := func(id, title string, unit chart.Unit, ss ...chart.Series) chart.Chart {
		return chart.Chart{ID: id, Title: title, LabelHeader: "Quarter", Labels: labels, Unit: unit, Series: ss}
	}
	refs := mk("chart-referrals", "Referrals each way by quarter", chart.Count,
		series(them, figReceived.get), series(us, figSent.get))
	refs.Empty = "No referrals either way in these 8 quarters."
	conv := mk("chart-conversion", "Conversion rate by quarter", chart.BP,
		series(convThem, figConversion.get), series(convUs, figSentConversion.get))
	conv.Max, conv.Empty = 10000, "No referral was decided in these 8 quarters."
	rev := mk("chart-revenue", "Revenue from referrals by quarter ("+c.Currency+")", chart.Cents,
		series(them, figRevenueReceived.get), series(us, figRevenueSent.get))
	rev.Empty = "No client revenue from referrals in these 8 quarters."
	csat := mk("chart-csat", "Client satisfaction by quarter (1–5)", chart.Score, series("Average score", figCSAT.get))
	csat.Max, csat.Empty = 50, "No client satisfaction answers in these 8 quarters."
	return []view.ScorecardChart{{Kind: "bar", Chart: refs}, {Kind: "line", Chart: conv}, {Kind: "line", Chart: rev}, {Kind: "line", Chart: csat}}
}

// partLabels lists parts by their labels: "Referrals each way, Tier and …".
func partLabels(keys []string) string {
	out := ""
	for i, k := range keys {
		for _, p := range scorecard.Parts {
			if p.Key == k {
				if i > 0 {
					out += ", "
				}
				out += p.Label
			}
		}
	}
	return out
}
