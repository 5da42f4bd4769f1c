package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// serviceRoutes are the complementary service map, the gap log and its
// report, under /t/{tenant}.
func (s *Server) serviceRoutes(r chi.Router) {
	r.Route("/services", func(r chi.Router) {
		r.Get("/", s.serviceMap)
		r.Get("/gaps", s.gapList)
		r.Get("/gaps/report", s.gapReport)
		r.Get("/gaps/export.csv", s.gapExport)
		r.Group(func(r chi.Router) {
			r.Use(s.requireCap(auth.ManagePartners))
			r.Post("/", s.serviceCreate)
			r.Get("/{sid}/edit", s.serviceEdit)
			r.Post("/{sid}", s.serviceUpdate)
			r.Post("/{sid}/delete", s.serviceDelete)
			r.Post("/gaps", s.gapCreate)
			r.Post("/gaps/{gid}/delete", s.gapDelete)
		})
	})
}

var phaseHints = map[string]string{
	"ours":   "What we do ourselves.",
	"before": "What clients need before they work with us.",
	"during": "What clients need alongside our work.",
	"after":  "What clients need once our work is done.",
}

func phaseOptions() []view.Option {
	out := make([]view.Option, 0, len(partner.Phases))
	for _, p := range partner.Phases {
		out = append(out, view.Option{Value: p, Label: partner.PhaseLabels[p]})
	}
	return out
}

func partnerLinks(ps []partner.PartnerRef) []view.PartnerLink {
	out := make([]view.PartnerLink, 0, len(ps))
	for _, p := range ps {
		out = append(out, view.PartnerLink{ID: p.ID.String(), Name: p.Name, Status: p.Status})
	}
	return out
}

// serviceMap shows the map: four phases, each service with its partners.
func (s *Server) serviceMap(w http.ResponseWriter, r *http.Request) {
	s.renderServiceMap(w, r, http.StatusOK, view.ServiceFormProps{Phase: "before"})
}

func (s *Server) renderServiceMap(w http.ResponseWriter, r *http.Request, status int, add view.ServiceFormProps) {
	var svcs []partner.Service
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		svcs, err = partner.ListServices(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	add.Phases = phaseOptions()
	props := view.ServiceMapProps{Base: "/t/" + sc.Tenant.Slug, CanManage: sc.Role.Can(auth.ManagePartners), Add: add}
	byPhase := map[string]int{}
	for i, p := range partner.Phases {
		byPhase[p] = i
		props.Columns = append(props.Columns, view.ServicePhaseColumn{Key: p, Label: partner.PhaseLabels[p], Hint: phaseHints[p]})
	}
	for _, sv := range svcs {
		c := &props.Columns[byPhase[sv.Phase]]
		c.Services = append(c.Services, view.ServiceItem{ID: sv.ID.String(), Name: sv.Name, Description: sv.Description,
			Partners: partnerLinks(sv.Partners)})
		props.Total++
		if sv.Phase != "ours" && len(sv.Partners) == 0 {
			props.Uncovered++
		}
	}
	s.render(w, r, status, view.ServiceMapPage(s.page(r, "Service map", "services"), props))
}

func serviceInput(r *http.Request) partner.ServiceInput {
	return partner.ServiceInput{Name: r.PostForm.Get("name"), Phase: r.PostForm.Get("phase"), Description: r.PostForm.Get("description")}
}

// serviceCreate adds a service to the map.
func (s *Server) serviceCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := serviceInput(r)
	var sv partner.Service
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if sv, err = partner.CreateService(ctx, tx, sc.Tenant.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "service.created", "service", sv.ID.String(),
			map[string]any{"name": sv.Name, "phase": sv.Phase})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderServiceMap(w, r, http.StatusUnprocessableEntity, view.ServiceFormProps{Form: formErrors(err),
			Name: in.Name, Phase: in.Phase, Description: in.Description})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", sv.Name+" was added to the service map.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/services")
}

// serviceEdit shows the edit form of a service.
func (s *Server) serviceEdit(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "sid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sv partner.Service
	var gaps int
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if sv, err = partner.GetService(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		gaps, err = partner.CountGapsFor(r.Context(), tx, sc.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderServiceEdit(w, r, http.StatusOK, sv, gaps, view.ServiceFormProps{Name: sv.Name, Phase: sv.Phase, Description: sv.Description})
}

func (s *Server) renderServiceEdit(w http.ResponseWriter, r *http.Request, status int, sv partner.Service, gaps int, f view.ServiceFormProps) {
	sc := staffFrom(r.Context())
	f.Phases = phaseOptions()
	s.render(w, r, status, view.ServiceEditPage(s.page(r, "Edit "+sv.Name, "services"), view.ServiceEditProps{
		Base: "/t/" + sc.Tenant.Slug, ID: sv.ID.String(), Service: f, Partners: partnerLinks(sv.Partners), GapCount: gaps}))
}

// serviceUpdate changes a service; a rename refreshes its partners' search text.
func (s *Server) serviceUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "sid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var old, sv partner.Service
	var gaps int
	var in partner.ServiceInput
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		// The service first: another firm's id is not found whatever the form says.
		if old, err = partner.GetService(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		in = serviceInput(r)
		if sv, err = partner.UpdateService(ctx, tx, sc.Tenant.ID, id, in); err != nil {
			if apperr.Code(err) == apperr.EInvalid {
				gaps, _ = partner.CountGapsFor(ctx, tx, sc.Tenant.ID, id)
			}
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "service.updated", "service", id.String(), map[string]any{
			"name": sv.Name, "phase": sv.Phase, "old_name": old.Name, "old_phase": old.Phase})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderServiceEdit(w, r, http.StatusUnprocessableEntity, old, gaps, view.ServiceFormProps{Form: formErrors(err),
			Name: in.Name, Phase: in.Phase, Description: in.Description})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", sv.Name+" was saved.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/services")
}

// serviceDelete removes a service, its gaps and who covered it.
func (s *Server) serviceDelete(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "sid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var sv partner.Service
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if sv, err = partner.GetService(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		gaps, err := partner.CountGapsFor(ctx, tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err = partner.DeleteService(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "service.deleted", "service", id.String(), map[string]any{
			"name": sv.Name, "phase": sv.Phase, "gaps_deleted": gaps, "partners": len(sv.Partners)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", sv.Name+" was deleted from the service map.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/services")
}

// gapList is the gap log: the form, the 12-month report and the log.
func (s *Server) gapList(w http.ResponseWriter, r *http.Request) {
	f := view.GapFormProps{NewPhase: "before", NotedOn: s.now().Format("2006-01-02")}
	if u := userFrom(r.Context()); u != nil {
		f.NotedBy = u.ID.String()
	}
	s.renderGaps(w, r, http.StatusOK, f)
}

func (s *Server) renderGaps(w http.ResponseWriter, r *http.Request, status int, f view.GapFormProps) {
	ctx := r.Context()
	now := s.now()
	var svcs []partner.Service
	var staff []tenant.Member
	var gaps []partner.Gap
	var ranks []partner.GapRank
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if svcs, err = partner.ListServices(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if gaps, err = partner.ListGaps(ctx, tx, sc.Tenant.ID, time.Time{}, 200); err != nil {
			return err
		}
		ranks, err = partner.GapReport(ctx, tx, sc.Tenant.ID, now)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	for _, sv := range svcs {
		f.Services = append(f.Services, view.Option{Value: sv.ID.String(), Label: sv.Name + " (" + partner.PhaseLabels[sv.Phase] + ")"})
	}
	f.Phases = phaseOptions()
	if f.NewPhase == "" {
		f.NewPhase = "before"
	}
	for _, m := range staff {
		if !m.Disabled || m.UserID.String() == f.NotedBy {
			f.Staff = append(f.Staff, view.Option{Value: m.UserID.String(), Label: m.Name})
		}
	}
	props := view.GapsProps{Base: base, CanManage: sc.Role.Can(auth.ManagePartners), Log: f, Report: gapReportProps(base, now, ranks),
		ExportURL: base + "/services/gaps/export.csv"}
	for _, g := range gaps {
		props.Gaps = append(props.Gaps, view.GapRow{ID: g.ID.String(), ServiceID: g.ServiceID.String(), Service: g.ServiceName,
			Client: g.ClientName, NotedBy: g.NotedByName, NotedOn: g.NotedOn.Format("2 Jan 2006"), Note: g.Note})
	}
	s.render(w, r, status, view.GapsPage(s.page(r, "Gap log", "services"), props))
}

func gapReportProps(base string, now time.Time, ranks []partner.GapRank) view.GapReportProps {
	out := view.GapReportProps{Base: base, Since: partner.GapWindowStart(now).Format("2 Jan 2006"), Until: now.Format("2 Jan 2006")}
	for i, g := range ranks {
		out.Rows = append(out.Rows, view.GapReportRow{Rank: i + 1, ServiceID: g.ServiceID.String(), Service: g.ServiceName,
			Count: g.Count, Last: g.Last.Format("2 Jan 2006"), Partners: partnerLinks(g.Partners)})
	}
	return out
}

// gapCreate logs a gap, adding the service to the map when it is new.
func (s *Server) gapCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := partner.GapInput{ServiceID: r.PostForm.Get("service_id"), NewService: r.PostForm.Get("new_service"),
		NewPhase: r.PostForm.Get("new_phase"), ClientName: r.PostForm.Get("client_name"), NotedBy: r.PostForm.Get("noted_by"),
		NotedOn: r.PostForm.Get("noted_on"), Note: r.PostForm.Get("note")}
	var g partner.Gap
	var created *partner.Service
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if g, created, err = partner.LogGap(ctx, tx, sc.Tenant.ID, in, s.now()); err != nil {
			return err
		}
		if created != nil {
			if err := audit.Record(ctx, tx, sc.Tenant.ID, "service.created", "service", created.ID.String(),
				map[string]any{"name": created.Name, "phase": created.Phase, "from": "gap_log"}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "gap.logged", "service_gap", g.ID.String(), map[string]any{
			"service_id": g.ServiceID.String(), "client": g.ClientName, "noted_on": g.NotedOn.Format("2006-01-02")})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderGaps(w, r, http.StatusUnprocessableEntity, view.GapFormProps{Form: formErrors(err), ServiceID: in.ServiceID,
			NewService: in.NewService, NewPhase: in.NewPhase, ClientName: in.ClientName, NotedBy: in.NotedBy,
			NotedOn: in.NotedOn, Note: in.Note})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The gap was logged."
	if created != nil {
		msg = "The gap was logged, and " + created.Name + " was added to the service map."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/services/gaps")
}

// gapDelete removes a gap logged by mistake.
func (s *Server) gapDelete(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "gid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		g, err := partner.GetGap(ctx, tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := partner.DeleteGap(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "gap.deleted", "service_gap", id.String(), map[string]any{
			"service": g.ServiceName, "client": g.ClientName, "noted_on": g.NotedOn.Format("2006-01-02")})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The gap was removed from the log.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/services/gaps")
}

// gapReport is the report on its own page.
func (s *Server) gapReport(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	var ranks []partner.GapRank
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		ranks, err = partner.GapReport(r.Context(), tx, sc.Tenant.ID, now)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "/t/" + staffFrom(r.Context()).Tenant.Slug
	s.render(w, r, http.StatusOK, view.GapReportPage(s.page(r, "Gap report", "services"), gapReportProps(base, now, ranks)))
}

// gapExportHeader are the columns of the gap log export.
var gapExportHeader = []string{"noted on", "service", "phase", "client", "noted by", "note"}

// gapExport downloads the whole gap log (the page shows the latest 200),
// newest first, as CSV; ?since=YYYY-MM-DD keeps the gaps noted from that
// day and ?service= one service's.
func (s *Server) gapExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if d, err := time.Parse(time.DateOnly, q.Get("since")); err == nil {
		since = d
	}
	service := q.Get("service")
	s.exportCSV(w, r, "gaps", gapExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		svcs, err := partner.ListServices(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		phases := map[string]string{}
		for _, sv := range svcs {
			phases[sv.ID.String()] = partner.PhaseLabels[sv.Phase]
		}
		gaps, err := partner.ListGaps(ctx, tx, sc.Tenant.ID, since, 0)
		if err != nil {
			return err
		}
		for _, g := range gaps {
			if service != "" && g.ServiceID.String() != service {
				continue
			}
			if err := write(g.NotedOn.Format(time.DateOnly), g.ServiceName, phases[g.ServiceID.String()], g.ClientName,
				g.NotedByName, g.Note); err != nil {
				return err
			}
		}
		return nil
	})
}
