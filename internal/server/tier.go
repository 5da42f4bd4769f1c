package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// tierRoutes are the firm's tiers under /t/{tenant}/settings (already
// limited to ManageSettings). Assigning a partner to a tier is a partner
// manager's job: see recruitingRoutes.
func (s *Server) tierRoutes(r chi.Router) {
	r.Route("/tiers", func(r chi.Router) {
		r.Get("/", s.showTiers)
		r.Post("/", s.createTier)
		r.Get("/{id}", s.editTier)
		r.Post("/{id}", s.updateTier)
		r.Post("/{id}/delete", s.deleteTier)
	})
}

func tiersPath(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/settings/tiers" }

// tierFormFrom reads the tier form of a request.
func tierFormFrom(r *http.Request) partner.TierForm {
	f := r.PostForm
	return partner.TierForm{Name: f.Get("name"), Rank: f.Get("rank"), TargetMin: f.Get("target_min"),
		TargetMax: f.Get("target_max"), Cadence: f.Get("checkin_cadence_days"), Rate: f.Get("rate"), Benefits: f.Get("benefits")}
}

// tierFormProps fills the form's fields from what was typed.
func tierFormProps(f partner.TierForm, action, prefix, submit string) view.TierFormProps {
	return view.TierFormProps{Action: action, Prefix: prefix, Submit: submit, Name: f.Name, Rank: f.Rank,
		TargetMin: f.TargetMin, TargetMax: f.TargetMax, Cadence: f.Cadence, Rate: f.Rate, Benefits: f.Benefits}
}

// tierFormOf is the form of a stored tier.
func tierFormOf(t partner.Tier) partner.TierForm {
	return partner.TierForm{Name: t.Name, Rank: strconv.Itoa(t.Rank), TargetMin: strconv.Itoa(t.TargetMin),
		TargetMax: strconv.Itoa(t.TargetMax), Cadence: strconv.Itoa(t.CheckinCadenceDays),
		Rate: partner.FormatRateBP(t.DefaultRateBP), Benefits: t.Benefits}
}

// cadenceText says how often a tier's partners are checked in with.
func cadenceText(days int) string {
	s := "Every " + strconv.Itoa(days) + " days"
	if days == 1 {
		s = "Every day"
	}
	switch days {
	case 7:
		s += " (weekly)"
	case 30, 31:
		s += " (monthly)"
	case 90, 91, 92:
		s += " (quarterly)"
	case 180, 182, 183:
		s += " (twice a year)"
	case 365, 366:
		s += " (yearly)"
	}
	return s
}

// showTiers lists the tiers (making the defaults the first time).
func (s *Server) showTiers(w http.ResponseWriter, r *http.Request) {
	s.renderTiers(w, r, http.StatusOK, newTierForm(staffFrom(r.Context())), "")
}

// newTierForm is the empty add-a-tier form (its rank is filled in later).
func newTierForm(sc *staffCtx) view.TierFormProps {
	f := partner.TierForm{TargetMin: "0", TargetMax: "0", Cadence: "90", Rate: "10"}
	return tierFormProps(f, tiersPath(sc), "new-tier", "Add tier")
}

// renderTiers draws the tiers page with the add form as given and an
// optional error message on top.
func (s *Server) renderTiers(w http.ResponseWriter, r *http.Request, status int, form view.TierFormProps, errMsg string) {
	ctx := r.Context()
	var tiers []partner.Tier
	var members map[uuid.UUID][]partner.Partner
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		members, err = partner.TierMembers(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	if form.Rank == "" && !form.HasErrors() {
		form.Rank = strconv.Itoa(nextRank(tiers))
	}
	d := view.TiersProps{Base: "/t/" + sc.Tenant.Slug, New: form}
	for _, t := range tiers {
		row := view.TierRow{ID: t.ID.String(), Name: t.Name, Rank: t.Rank, TargetMin: t.TargetMin, TargetMax: t.TargetMax,
			Count: t.MemberCount, TargetStatus: partner.TargetStatus(t.MemberCount, t.TargetMin, t.TargetMax),
			Cadence: cadenceText(t.CheckinCadenceDays), Rate: partner.FormatRateBP(t.DefaultRateBP) + "%", Benefits: t.Benefits}
		for _, p := range members[t.ID] {
			row.Members = append(row.Members, view.TierMember{ID: p.ID.String(), Name: p.Name, Status: p.Status})
		}
		d.Tiers = append(d.Tiers, row)
	}
	page := s.page(r, "Tiers", "tiers")
	if errMsg != "" {
		page.Flash = &view.Flash{Kind: "error", Message: errMsg}
	}
	s.render(w, r, status, view.TiersPage(page, d))
}

// nextRank is the lowest free rank, for a new tier's form.
func nextRank(tiers []partner.Tier) int {
	used := map[int]bool{}
	for _, t := range tiers {
		used[t.Rank] = true
	}
	for n := 1; n <= 20; n++ {
		if !used[n] {
			return n
		}
	}
	return 20
}

// createTier adds a tier.
func (s *Server) createTier(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	form := tierFormFrom(r)
	var t partner.Tier
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		in, err := form.Parse()
		if err != nil {
			return err
		}
		if err := partner.EnsureDefaultTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if t, err = partner.CreateTier(ctx, tx, sc.Tenant.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "tier.created", "tier", t.ID.String(), tierDetail(t))
	})
	if apperr.Code(err) == apperr.EInvalid {
		f := tierFormProps(form, tiersPath(sc), "new-tier", "Add tier")
		f.Form = formErrors(err)
		s.renderTiers(w, r, http.StatusUnprocessableEntity, f, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Tier "+t.Name+" was added.")
	redirect(w, r, tiersPath(sc))
}

func tierDetail(t partner.Tier) map[string]any {
	return map[string]any{"name": t.Name, "rank": t.Rank, "target_min": t.TargetMin, "target_max": t.TargetMax,
		"checkin_cadence_days": t.CheckinCadenceDays, "default_rate_bp": t.DefaultRateBP}
}

// editTier shows one tier's form.
func (s *Server) editTier(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t partner.Tier
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		t, err = partner.GetTier(r.Context(), tx, sc.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTierEdit(w, r, http.StatusOK, t, tierFormOf(t), view.Form{})
}

func (s *Server) renderTierEdit(w http.ResponseWriter, r *http.Request, status int, t partner.Tier, f partner.TierForm, errs view.Form) {
	sc := staffFrom(r.Context())
	path := tiersPath(sc) + "/" + t.ID.String()
	form := tierFormProps(f, path, "tier", "Save tier")
	form.Form = errs
	s.render(w, r, status, view.TierEditPage(s.page(r, "Tier: "+t.Name, "tiers"),
		view.TierEditProps{Base: "/t/" + sc.Tenant.Slug, ID: t.ID.String(), Name: t.Name, Count: t.MemberCount, Form: form}))
}

// updateTier saves a tier's changes. The tier is found in the firm before
// the form is read, so another firm's id is 404 whatever the body.
func (s *Server) updateTier(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	form := tierFormFrom(r)
	var before, t partner.Tier
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		var err error
		if before, err = partner.GetTier(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		in, err := form.Parse()
		if err != nil {
			return err
		}
		if t, err = partner.UpdateTier(ctx, tx, sc.Tenant.ID, id, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "tier.updated", "tier", t.ID.String(),
			map[string]any{"before": tierDetail(before), "after": tierDetail(t)})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderTierEdit(w, r, http.StatusUnprocessableEntity, before, form, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Tier "+t.Name+" was saved.")
	redirect(w, r, tiersPath(sc))
}

// deleteTier removes a tier nobody is in; with partners in it, 409.
func (s *Server) deleteTier(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	var t partner.Tier
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if t, err = partner.DeleteTier(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "tier.deleted", "tier", t.ID.String(), tierDetail(t))
	})
	if apperr.Code(err) == apperr.EConflict {
		s.renderTiers(w, r, http.StatusConflict, newTierForm(sc), apperr.Message(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Tier "+t.Name+" was deleted.")
	redirect(w, r, tiersPath(sc))
}
