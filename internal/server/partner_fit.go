package server

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// partnerFitRoutes are a partner's "Fit & services" tab, under
// /t/{tenant}/partners/{id}.
func (s *Server) partnerFitRoutes(r chi.Router) {
	r.Get("/fit", s.partnerFit)
	r.With(s.requireCap(auth.ManagePartners)).Post("/services", s.partnerServicesSave)
}

var fitPositioningLabels = map[string]string{"premium": "premium", "mid_market": "mid-market", "value": "value"}

// partnerFit compares the partner's target clients with our ideal client
// profile and shows the services it covers.
func (s *Server) partnerFit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var settings tenant.Settings
	var svcs []partner.Service
	var covered []uuid.UUID
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if settings, err = tenant.GetSettings(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if svcs, err = partner.ListServices(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		covered, err = partner.PartnerServiceIDs(ctx, tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	fit := partner.Fit(settings, p)
	props := view.PartnerFitProps{Header: partnerHeader(sc, p, "fit"), Base: "/t/" + sc.Tenant.Slug,
		HasICP: fit.HasICP, CanEditICP: sc.Role.Can(auth.ManageSettings), Score: fit.Score, Reasons: fit.Reasons,
		OurPositioning: fitPositioningLabels[fit.OurPositioning], TheirPositioning: fitPositioningLabels[fit.TheirPositioning],
		PositioningWarning: fit.PositioningWarning, CanManage: sc.Role.Can(auth.ManagePartners)}
	for _, d := range fit.Dimensions {
		props.Dimensions = append(props.Dimensions, view.FitDimensionRow{Label: fitDimLabel(d.Label),
			Ours: strings.Join(d.Ours, ", "), Theirs: strings.Join(d.Theirs, ", "), Shared: strings.Join(d.Shared, ", "),
			Skipped: d.Skipped, Overlap: d.Overlap})
	}
	has := map[uuid.UUID]bool{}
	for _, c := range covered {
		has[c] = true
	}
	groups := map[string]int{}
	for _, sv := range svcs {
		i, ok := groups[sv.Phase]
		if !ok {
			i = len(props.ServiceGroups)
			groups[sv.Phase] = i
			props.ServiceGroups = append(props.ServiceGroups, view.ServiceCheckGroup{Key: sv.Phase, Label: partner.PhaseLabels[sv.Phase]})
		}
		props.ServiceGroups[i].Items = append(props.ServiceGroups[i].Items,
			view.ServiceCheck{ID: sv.ID.String(), Name: sv.Name, Checked: has[sv.ID]})
		if has[sv.ID] {
			props.Covered = append(props.Covered, sv.Name)
		}
	}
	s.render(w, r, http.StatusOK, view.PartnerFitPage(s.page(r, p.Name, "partners"), props))
}

func fitDimLabel(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// partnerServicesSave replaces the set of services a partner covers and keeps
// its search text in step.
func (s *Server) partnerServicesSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err = r.ParseForm(); err != nil {
			return err
		}
		var ids []uuid.UUID
		for _, v := range r.PostForm["service_id"] {
			sid, err := uuid.Parse(strings.TrimSpace(v))
			if err != nil {
				return apperr.NotFound("Service")
			}
			ids = append(ids, sid)
		}
		before, after, err := partner.SetPartnerServices(ctx, tx, sc.Tenant.ID, p.ID, ids)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.services_updated", "partner", p.ID.String(),
			map[string]any{"before": before, "after": after})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The services "+p.Name+" covers were saved.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/partners/"+p.ID.String()+"/fit")
}
