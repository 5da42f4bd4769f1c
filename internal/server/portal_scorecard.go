package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/scorecard"
	"github.com/allyway/allyway/web/view"
)

// portalScorecardRoutes is the partner's scorecard in the portal,
// /p/{tenant}/scorecard?quarter=2026-Q3: only the parts the firm shares
// (tenant_settings.scorecard_shared), never alerts, notes, the tier
// recommendation or the health score's components; a friendly note when
// the firm shares nothing. Built in the portal's transaction, so RLS
// limits it to the user's own partner (alerts, staff-only, come back
// empty there).
func (s *Server) portalScorecardRoutes(r chi.Router) {
	r.Get("/scorecard", s.portalScorecard)
}

// portalScorecard shows the partner its shared scorecard for a quarter.
func (s *Server) portalScorecard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		card   scorecard.Scorecard
		shared map[string]bool
		day    time.Time
	)
	// The portal can't refresh rollups (their marks are staff-only under
	// RLS): a firm-scoped transaction brings them up to date first, so the
	// partner sees the referral it just sent. It returns nothing.
	pc := portalFrom(ctx)
	if err := s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) error { return rollup.Fresh(ctx, tx, pc.Tenant.ID) }); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if shared, err = sharedParts(ctx, tx, pc.Tenant.ID); err != nil || len(shared) == 0 {
			return err
		}
		loc, err := firmLocation(ctx, tx, pc.Tenant.ID)
		if err != nil {
			return err
		}
		day = period.Today(s.now(), loc)
		q, err := scorecardQuarter(r.URL.Query().Get("quarter"), day)
		if err != nil {
			return err
		}
		card, err = scorecard.Build(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, q, day)
		return err
	})
	if err != nil {
		s.failScorecard(w, r, err)
		return
	}
	d := view.PortalScorecardProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName, Shared: len(shared) > 0}
	if d.Shared {
		d = portalScorecardProps(pc, card, shared, day)
	}
	s.render(w, r, http.StatusOK, view.PortalScorecardPage(s.page(r, "Scorecard", "scorecard"), d))
}

// sharedParts is what the firm shares, known parts only.
func sharedParts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (map[string]bool, error) {
	all, err := scorecard.Shared(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range scorecard.Parts {
		if all[p.Key] {
			out[p.Key] = true
		}
	}
	return out, nil
}

// portalScorecardProps fills the portal page with the shared parts, in
// the scorecard's order.
func portalScorecardProps(pc *portalCtx, c scorecard.Scorecard, shared map[string]bool, today time.Time) view.PortalScorecardProps {
	prev, hasPrev := scorecardPrev(c)
	d := view.PortalScorecardProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName, Shared: true,
		Picker:       scorecardPicker("/p/"+pc.Tenant.Slug+"/scorecard", c.Quarter, today),
		QuarterLabel: c.Quarter.Label(), Period: c.Quarter.Period(), ToDate: scorecardToDate(c.Quarter, today),
		PrevLabel: prev.Quarter.Label()}
	figs := func(fs ...scFigure) []view.ScorecardFigure {
		out := make([]view.ScorecardFigure, 0, len(fs))
		for _, f := range fs {
			out = append(out, f.view(c.Current, prev, hasPrev, true))
		}
		return out
	}
	charts := scorecardCharts(c, true)
	chartOf := func(id string) *view.ScorecardChart {
		for i := range charts {
			if charts[i].Chart.ID == id {
				return &charts[i]
			}
		}
		return nil
	}
	money := chart.Cents.Full
	for _, part := range scorecard.Parts {
		if !shared[part.Key] {
			continue
		}
		sec := view.PortalScorecardSection{Key: part.Key, Title: part.Label}
		switch part.Key {
		case scorecard.PartReferrals:
			sec.Intro = "Referrals submitted in the quarter, and how those decided in it ended."
			sec.Figures = figs(figReceived, figSent, figWon, figLost, figWonSent)
			sec.Chart = chartOf("chart-referrals")
		case scorecard.PartConversion:
			sec.Intro = "Won out of won, lost and declined, for referrals decided in the quarter."
			sec.Figures = figs(figConversion, figSentConversion)
			sec.Chart = chartOf("chart-conversion")
		case scorecard.PartRevenue:
			sec.Intro = "Client payments in the quarter on referred work, in " + c.Currency + "."
			sec.Figures = figs(figRevenueReceived, figRevenueSent)
			sec.Chart = chartOf("chart-revenue")
		case scorecard.PartCommissions:
			sec.Intro = "In " + c.Currency + ". Your statements have every entry."
			fs := []scFigure{figCommissionsEarned, figCommissionsPaid}
			if c.Current.FeesEarnedCents != 0 || c.Current.FeesReceivedCents != 0 || prev.FeesEarnedCents != 0 || prev.FeesReceivedCents != 0 {
				fs = append(fs, figFeesEarned, figFeesReceived)
			}
			sec.Figures = figs(fs...)
		case scorecard.PartResponse:
			sec.Intro = "How fast " + pc.Tenant.Name + " first answered your referrals, and the service-level breaches on each side."
			sec.Figures = figs(figP50, figP90, figSLAOurs, figSLATheirs)
		case scorecard.PartSatisfaction:
			sec.Figures = figs(figCSAT)
			if n := len(c.Satisfaction); n > 0 {
				y := c.Satisfaction[n-1]
				sec.Figures = append(sec.Figures, view.ScorecardFigure{Key: "partner_satisfaction",
					Label: "Your satisfaction with us, " + strconv.Itoa(y.Year) + " (0–10)", Value: chart.Score.Full(y.AvgX10),
					Note: plural(int(y.Answers), "1 answer", strconv.FormatInt(y.Answers, 10)+" answers")})
			}
			sec.Chart = chartOf("chart-csat")
		case scorecard.PartReciprocity:
			r := c.Reciprocity
			sec.Intro = "The 12 months " + scorecardYear(c.Quarter) + ". Balance: " + scorecardRatio(r, true) + "."
			sec.Sentence = r.Sentence
			sec.Figures = []view.ScorecardFigure{
				{Key: "recip_received", Label: "Referrals you sent us", Value: chart.Count.Full(r.Received)},
				{Key: "recip_sent", Label: "Referrals we sent you", Value: chart.Count.Full(r.Sent)},
				{Key: "recip_revenue_received", Label: "Revenue from your referrals", Value: money(r.RevenueReceivedCents)},
				{Key: "recip_revenue_sent", Label: "Revenue from ours", Value: money(r.RevenueSentCents)},
				{Key: "recip_commissions", Label: "Commissions you earned", Value: money(r.CommissionsPaidToThemCents)},
			}
			if r.FeesPaidToUsCents != 0 {
				sec.Figures = append(sec.Figures, view.ScorecardFigure{Key: "recip_fees", Label: "Fees you owe us", Value: money(r.FeesPaidToUsCents)})
			}
		case scorecard.PartHealth:
			sec.Intro = "The score " + pc.Tenant.Name + " keeps of each partnership, out of 100, over the last 4 quarters."
			sec.Figures = []view.ScorecardFigure{{Key: "health", Label: "Health score", Value: strconv.Itoa(c.Health.Score) + " / 100"}}
		case scorecard.PartTier:
			rec := c.Recommendation
			t := &view.PortalScorecardTier{Needs: rec.NextNeeds}
			if rec.CurrentTier != nil {
				t.Current = rec.CurrentTier.Name
			}
			switch {
			case rec.NextTier != nil:
				t.Next = rec.NextTier.Name
			case rec.CurrentTier != nil:
				t.Note = "You are in " + pc.Tenant.Name + "'s top tier."
			default:
				t.Note = pc.Tenant.Name + " doesn't use tiers."
			}
			sec.Tier = t
		}
		d.Sections = append(d.Sections, sec)
	}
	return d
}

// sharedKeys checks the ticked parts and lists them in the scorecard's
// order; an unknown part is a field error.
func sharedKeys(ticked map[string]bool) ([]string, error) {
	known := map[string]bool{}
	keys := []string{}
	for _, p := range scorecard.Parts {
		known[p.Key] = true
		if ticked[p.Key] {
			keys = append(keys, p.Key)
		}
	}
	for k := range ticked {
		if !known[k] {
			return nil, apperr.Invalid(map[string]string{"section": "Choose the parts to share from the list."})
		}
	}
	return keys, nil
}

// saveScorecardShared stores the parts the firm shares (known keys, in
// order) and audits the change; nothing is written when nothing changed.
func saveScorecardShared(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, keys []string) error {
	old, err := sharedParts(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	var from []string
	for _, p := range scorecard.Parts {
		if old[p.Key] {
			from = append(from, p.Key)
		}
	}
	if fmt.Sprint(from) == fmt.Sprint(keys) && len(from) == len(keys) {
		return nil
	}
	if keys == nil {
		keys = []string{}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, scorecard_shared) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET scorecard_shared = EXCLUDED.scorecard_shared, updated_at = now()`,
		tenantID, keys); err != nil {
		return apperr.Internal(err)
	}
	if from == nil {
		from = []string{}
	}
	if err := audit.Record(ctx, tx, tenantID, "settings.scorecard_shared", "tenant_settings", tenantID.String(),
		map[string]any{"from": from, "to": keys}); err != nil {
		return apperr.Internal(err)
	}
	return nil
}
