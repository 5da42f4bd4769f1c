package server

import (
	"math"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/scorecard"
)

// apiScorecardRoutes: /scorecards, read by any role.
func (s *Server) apiScorecardRoutes(r chi.Router) {
	r.Get("/scorecards", s.apiListScorecards)
}

// apiScorecardFigures are one quarter's figures, counted from the firm's
// side: received = referrals from the partner, sent = ours to it.
type apiScorecardFigures struct {
	Quarter                  string `json:"quarter"`
	ReferralsReceived        int64  `json:"referrals_received"`
	ReferralsSent            int64  `json:"referrals_sent"`
	Won                      int64  `json:"won"`
	Lost                     int64  `json:"lost"`
	WonSent                  int64  `json:"won_sent"`
	LostSent                 int64  `json:"lost_sent"`
	ConversionRateBP         *int64 `json:"conversion_rate_bp"`
	SentConversionRateBP     *int64 `json:"sent_conversion_rate_bp"`
	RevenueCents             int64  `json:"revenue_cents"`
	RevenueSentCents         int64  `json:"revenue_sent_cents"`
	CommissionsCents         int64  `json:"commissions_cents"`
	CommissionsPaidCents     int64  `json:"commissions_paid_cents"`
	FeesEarnedCents          int64  `json:"fees_earned_cents"`
	FeesReceivedCents        int64  `json:"fees_received_cents"`
	Responded                int64  `json:"responded"`
	MedianFirstResponseHours *int64 `json:"median_first_response_hours"`
	P90FirstResponseHours    *int64 `json:"p90_first_response_hours"`
	SLABreaches              int64  `json:"sla_breaches"`
	PartnerSLABreaches       int64  `json:"partner_sla_breaches"`
	CSATCount                int64  `json:"csat_count"`
	CSATX10                  *int64 `json:"csat_x10"`
	FitRateBP                *int64 `json:"fit_rate_bp"`
}

type apiHealthComponent struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Value   string `json:"value"`
	Points  int    `json:"points"`
	Explain string `json:"explain"`
}

type apiHealth struct {
	Score      int                  `json:"score"`
	Formula    string               `json:"formula"`
	Components []apiHealthComponent `json:"components"`
}

type apiRecommendation struct {
	Action        string     `json:"action"`
	CurrentTierID *uuid.UUID `json:"current_tier_id"`
	TargetTierID  *uuid.UUID `json:"target_tier_id"`
	Reasons       []string   `json:"reasons"`
	NextTierID    *uuid.UUID `json:"next_tier_id"`
	NextNeeds     []string   `json:"next_needs"`
}

type apiReciprocity struct {
	Received                  int64  `json:"received"`
	Sent                      int64  `json:"sent"`
	RatioX10                  *int64 `json:"ratio_x10"`
	Leaning                   string `json:"leaning"`
	RevenueReceivedCents      int64  `json:"revenue_received_cents"`
	RevenueSentCents          int64  `json:"revenue_sent_cents"`
	CommissionsToPartnerCents int64  `json:"commissions_to_partner_cents"`
	FeesToUsCents             int64  `json:"fees_to_us_cents"`
	Sentence                  string `json:"sentence"`
}

type apiAttendance struct {
	Scheduled       int64 `json:"scheduled"`
	Held            int64 `json:"held"`
	Cancelled       int64 `json:"cancelled"`
	PartnerAttended int64 `json:"partner_attended"`
}

type apiYearScore struct {
	Year    int   `json:"year"`
	Answers int64 `json:"answers"`
	AvgX10  int64 `json:"avg_x10"`
}

// apiScorecard is a partner's quarter in the API (the Scorecard schema):
// the quarter's figures at the top level, then the rest.
type apiScorecard struct {
	PartnerID     uuid.UUID `json:"partner_id"`
	PartnerName   string    `json:"partner_name"`
	PartnerStatus string    `json:"partner_status"`
	Currency      string    `json:"currency"`
	apiScorecardFigures
	ReciprocityRatio    *float64              `json:"reciprocity_ratio"`
	HealthScore         int                   `json:"health_score"`
	RecommendedTierID   *uuid.UUID            `json:"recommended_tier_id"`
	Recommendation      apiRecommendation     `json:"recommendation"`
	Health              apiHealth             `json:"health"`
	Reciprocity         apiReciprocity        `json:"reciprocity"`
	Attendance          apiAttendance         `json:"review_attendance"`
	PartnerSatisfaction []apiYearScore        `json:"partner_satisfaction"`
	OpenAlerts          []string              `json:"open_alerts"`
	OpenActionItems     int64                 `json:"open_action_items"`
	Trend               []apiScorecardFigures `json:"trend"`
}

func apiFiguresFrom(f scorecard.Figures) apiScorecardFigures {
	return apiScorecardFigures{Quarter: f.Quarter.String(),
		ReferralsReceived: f.ReferralsReceived, ReferralsSent: f.ReferralsSent,
		Won: f.WonReceived, Lost: f.LostReceived, WonSent: f.WonSent, LostSent: f.LostSent,
		ConversionRateBP: f.ConversionBP, SentConversionRateBP: f.SentConversionBP,
		RevenueCents: f.RevenueReceivedCents, RevenueSentCents: f.RevenueSentCents,
		CommissionsCents: f.CommissionsEarnedCents, CommissionsPaidCents: f.CommissionsPaidCents,
		FeesEarnedCents: f.FeesEarnedCents, FeesReceivedCents: f.FeesReceivedCents,
		Responded: f.Responded, MedianFirstResponseHours: f.ResponseP50Hours, P90FirstResponseHours: f.ResponseP90Hours,
		SLABreaches: f.SLABreachesOurs, PartnerSLABreaches: f.SLABreachesTheirs,
		CSATCount: f.CSATCount, CSATX10: f.CSATX10, FitRateBP: f.FitRateBP}
}

func tierID(t *scorecard.TierRef) *uuid.UUID {
	if t == nil {
		return nil
	}
	id := t.ID
	return &id
}

func apiScorecardFrom(sc scorecard.Scorecard) apiScorecard {
	out := apiScorecard{PartnerID: sc.PartnerID, PartnerName: sc.PartnerName, PartnerStatus: sc.Status,
		Currency: sc.Currency, apiScorecardFigures: apiFiguresFrom(sc.Current), HealthScore: sc.Health.Score,
		Health:              apiHealth{Score: sc.Health.Score, Formula: sc.Health.Formula, Components: []apiHealthComponent{}},
		PartnerSatisfaction: []apiYearScore{}, OpenAlerts: sc.OpenAlerts, OpenActionItems: sc.OpenActions,
		Trend: make([]apiScorecardFigures, 0, len(sc.Trend))}
	if out.OpenAlerts == nil {
		out.OpenAlerts = []string{}
	}
	// received ÷ sent over the trailing 12 months, to two decimals.
	if rc := sc.Reciprocity; rc.Sent > 0 {
		ratio := math.Round(float64(rc.Received)*100/float64(rc.Sent)) / 100
		out.ReciprocityRatio = &ratio
	}
	rec := sc.Recommendation
	out.Recommendation = apiRecommendation{Action: rec.Action, CurrentTierID: tierID(rec.CurrentTier),
		TargetTierID: tierID(rec.TargetTier), NextTierID: tierID(rec.NextTier),
		Reasons: append([]string{}, rec.Reasons...), NextNeeds: append([]string{}, rec.NextNeeds...)}
	out.RecommendedTierID = out.Recommendation.CurrentTierID
	if rec.TargetTier != nil {
		out.RecommendedTierID = out.Recommendation.TargetTierID
	}
	for _, c := range sc.Health.Components {
		out.Health.Components = append(out.Health.Components, apiHealthComponent{Key: c.Key, Name: c.Name,
			Weight: c.Weight, Value: c.Value, Points: c.Points, Explain: c.Explain})
	}
	rc := sc.Reciprocity
	out.Reciprocity = apiReciprocity{Received: rc.Received, Sent: rc.Sent, RatioX10: rc.RatioX10, Leaning: rc.Leaning,
		RevenueReceivedCents: rc.RevenueReceivedCents, RevenueSentCents: rc.RevenueSentCents,
		CommissionsToPartnerCents: rc.CommissionsPaidToThemCents, FeesToUsCents: rc.FeesPaidToUsCents, Sentence: rc.Sentence}
	a := sc.Attendance
	out.Attendance = apiAttendance{Scheduled: a.Scheduled, Held: a.Held, Cancelled: a.Cancelled, PartnerAttended: a.PartnerAttended}
	for _, y := range sc.Satisfaction {
		out.PartnerSatisfaction = append(out.PartnerSatisfaction, apiYearScore{Year: y.Year, Answers: y.Answers, AvgX10: y.AvgX10})
	}
	for _, f := range sc.Trend {
		out.Trend = append(out.Trend, apiFiguresFrom(f))
	}
	return out
}

// apiListScorecards answers the scorecards of a quarter (default: the
// firm's current one, to date) as a page: one partner's with partner_id
// (404 for another firm's), else every partner's, in the order they were
// added. A malformed or future quarter is 422 on quarter. The rollups are
// brought up to date first.
func (s *Server) apiListScorecards(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	partnerID := apiOptID(r, "partner_id", errs)
	var asked *period.Quarter
	if v := r.URL.Query().Get("quarter"); v != "" {
		q, err := period.ParseQuarter(strings.TrimSpace(v))
		if err != nil {
			errs["quarter"] = apperr.Message(err)
		} else {
			asked = &q
		}
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var page listPage[apiScorecard]
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		ctx := r.Context()
		if err := rollup.Fresh(ctx, tx, ac.Tenant.ID); err != nil {
			return err
		}
		today, err := s.apiFirmToday(ctx, tx, ac.Tenant.ID)
		if err != nil {
			return err
		}
		qt := period.QuarterOf(today)
		if asked != nil {
			qt = *asked
		}
		if partnerID != nil {
			sc, err := scorecard.Build(ctx, tx, ac.Tenant.ID, *partnerID, qt, today)
			if err != nil {
				return err
			}
			page = listPage[apiScorecard]{Data: []apiScorecard{apiScorecardFrom(sc)}}
			return nil
		}
		ls, err := scorecard.List(ctx, tx, ac.Tenant.ID, qt, today, scorecard.PagePos(after), limit+1)
		if err != nil {
			return err
		}
		page = newPage(ls, limit, func(l scorecard.Listed) pagePos { return pagePos{CreatedAt: l.CreatedAt, ID: l.PartnerID} },
			func(l scorecard.Listed) apiScorecard { return apiScorecardFrom(l.Scorecard) })
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, page)
}
