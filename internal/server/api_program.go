package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/programdash"
	"github.com/allyway/allyway/internal/rollup"
)

// apiProgramRoutes: GET /program?quarter=2026-Q3, the program dashboard's
// figures (any role).
func (s *Server) apiProgramRoutes(r chi.Router) {
	r.Get("/program", s.apiGetProgram)
}

// apiProgram is the program dashboard of a quarter (the Program schema).
// Money in cents of Currency; shares in basis points; ROI × 100. A share
// or ROI that can't be computed (the period's program inputs were never
// entered, or there is nothing to divide by) is null.
type apiProgram struct {
	Quarter    string `json:"quarter"`
	From       string `json:"from"`
	To         string `json:"to"`
	InProgress bool   `json:"in_progress"`
	Currency   string `json:"currency"`

	PartnersByTier   []apiTierCount   `json:"partners_by_tier"`
	PartnersByType   []apiTypeCount   `json:"partners_by_type"`
	PartnersByStatus []apiStatusCount `json:"partners_by_status"`
	PartnersInProg   int64            `json:"partners_in_program"`
	ActivePartners   int64            `json:"active_partners"`
	PartnersAdded    int64            `json:"partners_added"`
	PartnersLost     int64            `json:"partners_lost"`

	apiSpan
	YearToDate apiSpan `json:"year_to_date"`

	Top3ShareBP *int64          `json:"top3_share_bp"`
	Top3Cents   int64           `json:"top3_cents"`
	TopWindow   apiQuarterRange `json:"top_window"`
	TopPartners []apiTopPartner `json:"top_partners"`

	Funnel        apiFunnel      `json:"funnel"`
	FunnelYTD     apiFunnel      `json:"funnel_year_to_date"`
	OpenReferrals apiOpen        `json:"open_referrals"`
	Goals         apiGoals       `json:"goals"`
	Recruiting    apiRecruiting  `json:"recruiting"`
	OtherRevenue  []apiAmount    `json:"other_revenue"`
	Trend         []apiTrendItem `json:"trend"`
}

type apiTierCount struct {
	TierID *uuid.UUID `json:"tier_id"`
	Name   string     `json:"name"`
	Count  int64      `json:"count"`
}

type apiTypeCount struct {
	Type  string `json:"type"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

type apiStatusCount struct {
	Status string `json:"status"`
	Count  int64  `json:"count"`
}

// apiSpan is a period's economics; embedded for the quarter, nested for
// the year to date.
type apiSpan struct {
	PartnerRevenueCents   int64    `json:"partner_revenue_cents"`
	TotalNewRevenueCents  *int64   `json:"total_new_revenue_cents"`
	PartnerRevenueShareBP *int64   `json:"partner_revenue_share_bp"`
	RevenueShareStatus    string   `json:"revenue_share_status"`
	CommissionCents       int64    `json:"commission_cents"`
	InputCostCents        *int64   `json:"input_cost_cents"`
	ProgramCostCents      *int64   `json:"program_cost_cents"`
	ROIX100               *int64   `json:"roi_x100"`
	ROIStatus             string   `json:"roi_status"`
	InputsMissing         []string `json:"inputs_missing"`
}

type apiQuarterRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type apiTopPartner struct {
	PartnerID    uuid.UUID `json:"partner_id"`
	Name         string    `json:"name"`
	RevenueCents int64     `json:"revenue_cents"`
	ShareBP      *int64    `json:"share_bp"`
}

type apiFunnel struct {
	Received  int64 `json:"received"`
	Contacted int64 `json:"contacted"`
	Meeting   int64 `json:"meeting"`
	Proposal  int64 `json:"proposal"`
	Won       int64 `json:"won"`
}

type apiOpen struct {
	Submitted    int64 `json:"submitted"`
	Acknowledged int64 `json:"acknowledged"`
	Contacted    int64 `json:"contacted"`
	Meeting      int64 `json:"meeting"`
	Proposal     int64 `json:"proposal"`
}

type apiGoals struct {
	RevenueShareMinBP int64 `json:"revenue_share_min_bp"`
	RevenueShareMaxBP int64 `json:"revenue_share_max_bp"`
	ROIX100           int64 `json:"roi_x100"`
	RecruitMin        int64 `json:"recruit_min"`
	RecruitMax        int64 `json:"recruit_max"`
}

type apiRecruiting struct {
	Year    int    `json:"year"`
	Added   int64  `json:"added"`
	GoalMin int64  `json:"goal_min"`
	GoalMax int64  `json:"goal_max"`
	Status  string `json:"status"`
}

type apiAmount struct {
	Currency string `json:"currency"`
	Cents    int64  `json:"cents"`
}

type apiTrendItem struct {
	Quarter string `json:"quarter"`
	apiSpan
	PartnersAdded int64 `json:"partners_added"`
	PartnersLost  int64 `json:"partners_lost"`
}

func apiSpanFrom(sp programdash.Span) apiSpan {
	out := apiSpan{PartnerRevenueCents: sp.PartnerRevenueCents, PartnerRevenueShareBP: sp.RevenueShareBP,
		RevenueShareStatus: sp.ShareStatus, CommissionCents: sp.CommissionCents, ROIX100: sp.ROIX100,
		ROIStatus: sp.ROIStatus, InputsMissing: []string{}}
	for _, q := range sp.Missing {
		out.InputsMissing = append(out.InputsMissing, q.String())
	}
	if len(sp.Missing) == 0 {
		total, cost, prog := sp.TotalNewRevenueCents, sp.InputCostCents, sp.ProgramCostCents
		out.TotalNewRevenueCents, out.InputCostCents, out.ProgramCostCents = &total, &cost, &prog
	}
	return out
}

func apiFunnelFrom(f programdash.Funnel) apiFunnel {
	return apiFunnel{Received: f.Received, Contacted: f.Contacted, Meeting: f.Meeting, Proposal: f.Proposal, Won: f.Won}
}

func apiProgramFrom(d programdash.Dashboard) apiProgram {
	out := apiProgram{Quarter: d.Quarter.String(), From: d.Quarter.Start().Format(time.DateOnly),
		To: d.Quarter.End().Format(time.DateOnly), InProgress: d.InProgress, Currency: d.Currency,
		PartnersInProg: d.InProgram, ActivePartners: d.ActivePartners, PartnersAdded: d.Added, PartnersLost: d.Lost,
		apiSpan: apiSpanFrom(d.Quarterly), YearToDate: apiSpanFrom(d.YearToDate),
		Top3ShareBP: d.Top.Top3ShareBP, Top3Cents: d.Top.Top3Cents,
		TopWindow:   apiQuarterRange{From: d.Top.From.String(), To: d.Top.To.String()},
		TopPartners: []apiTopPartner{}, Funnel: apiFunnelFrom(d.Funnel), FunnelYTD: apiFunnelFrom(d.FunnelYTD),
		OpenReferrals: apiOpen{Submitted: d.Open.Submitted, Acknowledged: d.Open.Acknowledged, Contacted: d.Open.Contacted,
			Meeting: d.Open.Meeting, Proposal: d.Open.Proposal},
		Goals: apiGoals{RevenueShareMinBP: d.Goals.RevenueShareMinBP, RevenueShareMaxBP: d.Goals.RevenueShareMaxBP,
			ROIX100: d.Goals.ROIX100, RecruitMin: d.Goals.RecruitMin, RecruitMax: d.Goals.RecruitMax},
		Recruiting: apiRecruiting{Year: d.Recruiting.Year, Added: d.Recruiting.Added, GoalMin: d.Recruiting.Min,
			GoalMax: d.Recruiting.Max, Status: d.Recruiting.Status},
		OtherRevenue: []apiAmount{}}
	for _, t := range d.PartnersByTier {
		out.PartnersByTier = append(out.PartnersByTier, apiTierCount{TierID: t.TierID, Name: t.Name, Count: t.N})
	}
	for _, t := range d.PartnersByType {
		out.PartnersByType = append(out.PartnersByType, apiTypeCount{Type: t.Key, Label: t.Label, Count: t.N})
	}
	for _, st := range d.PartnersByStatus {
		out.PartnersByStatus = append(out.PartnersByStatus, apiStatusCount{Status: st.Key, Count: st.N})
	}
	for _, p := range d.Top.Top {
		out.TopPartners = append(out.TopPartners, apiTopPartner{PartnerID: p.PartnerID, Name: p.Name,
			RevenueCents: p.RevenueCents, ShareBP: p.ShareBP})
	}
	for _, a := range d.OtherRevenue {
		out.OtherRevenue = append(out.OtherRevenue, apiAmount{Currency: a.Currency, Cents: a.Cents})
	}
	for i, sp := range d.Trend {
		item := apiTrendItem{Quarter: sp.From.String(), apiSpan: apiSpanFrom(sp)}
		if i < len(d.Flows) {
			item.PartnersAdded, item.PartnersLost = d.Flows[i].Added, d.Flows[i].Lost
		}
		out.Trend = append(out.Trend, item)
	}
	return out
}

// apiGetProgram answers the program dashboard of ?quarter= (default: the
// last complete quarter in the firm's time zone). A quarter that is not
// one, or has not started, is 422 on `quarter`.
func (s *Server) apiGetProgram(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, asked := r.URL.Query()["quarter"]
	var d programdash.Dashboard
	err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		today, err := s.firmToday(ctx, tx, ac.Tenant.ID)
		if err != nil {
			return err
		}
		qt, err := programQuarter(raw, asked, today)
		if err != nil {
			return err
		}
		if err := rollup.Fresh(ctx, tx, ac.Tenant.ID); err != nil {
			return err
		}
		d, err = programdash.Build(ctx, tx, ac.Tenant.ID, qt, today)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiProgramFrom(d))
}

// programQuarter reads the quarter asked for (the API's ?quarter= or the
// page's picker): the last complete quarter when none was asked; EInvalid
// on `quarter` when it is not a quarter or has not started on today.
func programQuarter(raw []string, asked bool, today time.Time) (period.Quarter, error) {
	if !asked {
		return period.QuarterOf(today).Prev(), nil
	}
	v := ""
	if len(raw) > 0 {
		v = strings.TrimSpace(raw[0])
	}
	qt, err := period.ParseQuarter(v)
	if err != nil {
		return qt, apperr.Invalid(map[string]string{"quarter": apperr.Message(err)})
	}
	return qt, programdash.CheckQuarter(qt, today)
}

// firmToday is the firm's current day (in its time zone, at UTC midnight).
func (s *Server) firmToday(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (time.Time, error) {
	var zone string
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC')`,
		tenantID).Scan(&zone)
	if err != nil {
		return time.Time{}, err
	}
	return period.Today(s.now(), loadZone(zone)), nil
}
