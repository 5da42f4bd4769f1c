package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/enablement"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/web/view"
)

// portalResourceRoutes are the portal's Resources under /p/{tenant}: the
// library items published for the partner's tier, their attachments, the
// hot opportunity profile and the partner's onboarding progress. An item
// for another tier, or unpublished, is not found.
func (s *Server) portalResourceRoutes(r chi.Router) {
	r.Get("/resources", s.portalResources)
	r.Get("/resources/{id}", s.portalResource)
	r.Get("/resources/{id}/attachments/{file}", s.portalResourceFile)
}

func resourcesPath(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug + "/resources" }

// portalHot returns the profile the portal shows (this month's, or the
// latest one), or nil.
func (s *Server) portalHot(r *http.Request, tx pgx.Tx, pc *portalCtx) (*view.HotSummary, error) {
	h, err := enablement.LatestHot(r.Context(), tx, pc.Tenant.ID, s.now())
	if err != nil || h == nil {
		return nil, err
	}
	v := view.HotSummary{ID: h.ID.String(), Title: h.Title, MonthLabel: h.MonthLabel(), BodyMD: h.BodyMD}
	return &v, nil
}

func (s *Server) portalResources(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := enablement.Filter{Kind: q.Get("kind"), Q: strings.TrimSpace(q.Get("q")), Portal: true}
	if _, ok := enablement.KindLabels[f.Kind]; !ok {
		f.Kind = ""
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	var items []enablement.Item
	var hot *view.HotSummary
	var steps []onboarding.Item
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if f.PartnerTier, err = enablement.PartnerTier(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		if items, err = enablement.List(ctx, tx, pc.Tenant.ID, f); err != nil {
			return err
		}
		if hot, err = s.portalHot(r, tx, pc); err != nil {
			return err
		}
		steps, err = onboarding.Checklist(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	prog := onboarding.ProgressOf(steps)
	d := view.PortalResourcesProps{Path: resourcesPath(pc), FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName,
		Kind: f.Kind, Q: f.Q, KindOptions: kindOptions(), Hot: hot, Done: prog.Done, Total: prog.Total, Percent: prog.Percent()}
	for _, it := range items {
		d.Items = append(d.Items, view.PortalResourceRow{ID: it.ID.String(), Title: it.Title, Kind: it.KindLabel(),
			Summary: it.Summary, Files: it.FileCount, HasLink: it.LinkURL != "", Template: it.Kind == "email_template"})
	}
	for _, st := range steps {
		row := view.PortalOnboardingStep{Title: st.Title, Description: st.Description, Done: st.Done()}
		if st.DoneAt != nil {
			row.DoneAt = fmtDate(*st.DoneAt)
		}
		if st.DueOn != nil {
			row.DueLabel = st.DueOn.Format("2 Jan 2006")
		}
		d.Onboarding = append(d.Onboarding, row)
	}
	s.render(w, r, http.StatusOK, view.PortalResourcesPage(s.page(r, "Resources", "resources"), d))
}

// portalItem resolves the {id} item if the partner may see it (404 otherwise).
func portalItem(r *http.Request, tx pgx.Tx, pc *portalCtx) (enablement.Item, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return enablement.Item{}, err
	}
	tier, err := enablement.PartnerTier(r.Context(), tx, pc.Tenant.ID, pc.Member.PartnerID)
	if err != nil {
		return enablement.Item{}, err
	}
	return enablement.GetVisible(r.Context(), tx, pc.Tenant.ID, id, tier)
}

func (s *Server) portalResource(w http.ResponseWriter, r *http.Request) {
	var it enablement.Item
	var files []enablement.File
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if it, err = portalItem(r, tx, pc); err != nil {
			return err
		}
		files, err = enablement.Files(r.Context(), tx, pc.Tenant.ID, it.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(r.Context())
	path := resourcesPath(pc) + "/" + it.ID.String()
	d := view.PortalResourceProps{ListURL: resourcesPath(pc), KindLabel: it.KindLabel(), Summary: it.Summary,
		BodyMD: it.BodyMD, LinkURL: it.LinkURL, Files: fileRows(files, path), Updated: it.UpdatedAt.In(time.UTC).Format("2 Jan 2006")}
	if it.Kind == "email_template" || len(enablement.UsedPlaceholders(it.BodyMD)) > 0 {
		// The partner's and our names are known; the client and the
		// contact are for the partner to fill in.
		d.Template = true
		d.BodyMD = enablement.Fill(it.BodyMD, map[string]string{"partner_name": pc.Member.PartnerName, "our_firm": pc.Tenant.Name})
	}
	s.render(w, r, http.StatusOK, view.PortalResourcePage(s.page(r, it.Title, "resources"), d))
}

func (s *Server) portalResourceFile(w http.ResponseWriter, r *http.Request) {
	var f enablement.File
	var data []byte
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		it, err := portalItem(r, tx, pc)
		if err != nil {
			return err
		}
		fid, err := fileParam(r)
		if err != nil {
			return err
		}
		f, data, err = enablement.FileData(r.Context(), tx, pc.Tenant.ID, it.ID, fid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	serveFile(w, f, data)
}
