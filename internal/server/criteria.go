package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// criteriaRoutes are the firm's qualification criteria and weights (under
// /settings, ManageSettings). Weights need not add up to 100: the weighted
// score divides by their sum, and the page says so.
func (s *Server) criteriaRoutes(r chi.Router) {
	r.Get("/criteria", s.showCriteria)
	r.Post("/criteria", s.createCriterion)
	r.Post("/criteria/update", s.updateCriteria)
	r.Post("/criteria/{criterion}/deactivate", s.deactivateCriterion)
	r.Post("/criteria/{criterion}/activate", s.activateCriterion)
}

const criteriaTitle = "Qualification criteria"

func (s *Server) showCriteria(w http.ResponseWriter, r *http.Request) {
	s.renderCriteria(w, r, http.StatusOK, nil)
}

// renderCriteria loads and shows the page; edit fills in a form's input and
// errors when it is re-shown.
func (s *Server) renderCriteria(w http.ResponseWriter, r *http.Request, status int, edit func(*view.CriteriaProps)) {
	var cs []partner.Criterion
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		cs, err = partner.ListCriteria(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	d := view.CriteriaProps{URL: "/t/" + sc.Tenant.Slug + "/settings/criteria", WeightSum: partner.WeightSum(cs)}
	for _, c := range cs {
		row := view.CriterionRow{ID: c.ID.String(), Name: c.Name, Weight: strconv.Itoa(c.Weight)}
		if c.Active {
			if d.WeightSum > 0 {
				row.Share = strconv.Itoa((c.Weight*100+d.WeightSum/2)/d.WeightSum) + "%"
			}
			d.Active = append(d.Active, row)
		} else {
			d.Inactive = append(d.Inactive, row)
		}
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.CriteriaPage(s.page(r, criteriaTitle, "criteria"), d))
}

// createCriterion adds a criterion (POST /criteria: name, weight).
func (s *Server) createCriterion(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := partner.CriterionInput{Name: r.PostForm.Get("name"), WeightText: r.PostForm.Get("weight")}
	var c partner.Criterion
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		// The defaults come first, so that adding one to a new firm doesn't leave it alone.
		if _, err := partner.EnsureDefaultCriteria(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if c, err = partner.CreateCriterion(ctx, tx, sc.Tenant.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "criterion.created", "qualification_criterion", c.ID.String(),
			map[string]any{"name": c.Name, "weight": c.Weight})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderCriteria(w, r, http.StatusUnprocessableEntity, func(d *view.CriteriaProps) {
			d.New = view.CriterionForm{Form: formErrors(err), Name: in.Name, Weight: in.WeightText}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Criterion “"+c.Name+"” added.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/settings/criteria")
}

// updateCriteria saves the names and weights of the active criteria, all
// or nothing (POST /criteria/update: name.<id>, weight.<id>). Fields of
// criteria that aren't the firm's are never read.
func (s *Server) updateCriteria(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var edits []partner.CriterionInput
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		cs, err := partner.ListCriteria(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		before := map[string]any{}
		for _, c := range partner.ActiveCriteria(cs) {
			k := c.ID.String()
			if _, ok := r.PostForm["name."+k]; !ok {
				continue // added or reactivated since the page was shown: leave it
			}
			edits = append(edits, partner.CriterionInput{ID: c.ID, Name: r.PostForm.Get("name." + k), WeightText: r.PostForm.Get("weight." + k)})
			before[k] = map[string]any{"name": c.Name, "weight": c.Weight}
		}
		if err := partner.UpdateCriteria(ctx, tx, sc.Tenant.ID, edits); err != nil {
			return err
		}
		after := map[string]any{}
		for _, e := range edits {
			after[e.ID.String()] = map[string]any{"name": e.Name, "weight": e.Weight}
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "criteria.updated", "tenant", sc.Tenant.ID.String(),
			map[string]any{"before": before, "after": after})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderCriteria(w, r, http.StatusUnprocessableEntity, func(d *view.CriteriaProps) {
			d.EditForm = formErrors(err)
			typed := map[string]partner.CriterionInput{}
			for _, e := range edits {
				typed[e.ID.String()] = e
			}
			for i, c := range d.Active {
				if e, ok := typed[c.ID]; ok {
					d.Active[i].Name, d.Active[i].Weight = e.Name, e.WeightText
				}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Criteria saved.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/settings/criteria")
}

func (s *Server) deactivateCriterion(w http.ResponseWriter, r *http.Request) {
	s.setCriterionActive(w, r, false)
}

func (s *Server) activateCriterion(w http.ResponseWriter, r *http.Request) {
	s.setCriterionActive(w, r, true)
}

// setCriterionActive switches a criterion off or on; its scores are kept.
func (s *Server) setCriterionActive(w http.ResponseWriter, r *http.Request, active bool) {
	id, err := idParam(r, "criterion")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var c partner.Criterion
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if c, err = partner.GetCriterion(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		if err := partner.SetCriterionActive(ctx, tx, sc.Tenant.ID, c.ID, active); err != nil {
			return err
		}
		action := "criterion.deactivated"
		if active {
			action = "criterion.activated"
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, action, "qualification_criterion", c.ID.String(), map[string]any{"name": c.Name})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if active {
		s.flash(r, "success", "“"+c.Name+"” counts again.")
	} else {
		s.flash(r, "success", "“"+c.Name+"” no longer counts; its scores are kept.")
	}
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/settings/criteria")
}
