package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// partnerOnboardingRoutes are a partner's Onboarding tab under
// /t/{tenant}/partners/{id}: the checklist, ticking steps (which may make
// the partner active), notes, due dates and custom steps.
func (s *Server) partnerOnboardingRoutes(r chi.Router) {
	r.Get("/onboarding", s.partnerOnboarding)
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManagePartners))
		r.Post("/onboarding/start", s.partnerOnboardingStart)
		r.Post("/onboarding/steps", s.partnerOnboardingAdd)
		r.Post("/onboarding/steps/{step}", s.partnerOnboardingStep)
		r.Post("/onboarding/steps/{step}/delete", s.partnerOnboardingRemove)
	})
}

// onboardingSettingsRoutes are the firm's checklist template under
// /t/{tenant}/settings (already limited to ManageSettings).
func (s *Server) onboardingSettingsRoutes(r chi.Router) {
	r.Get("/onboarding", s.onboardingSettings)
	r.Post("/onboarding", s.onboardingTemplateAdd)
	r.Post("/onboarding/{step}", s.onboardingTemplateUpdate)
}

func onboardingPath(sc *staffCtx, partnerID uuid.UUID) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + partnerID.String() + "/onboarding"
}

// onboardingState is what the tab shows, loaded in one transaction.
type onboardingState struct {
	items   []onboarding.Item
	ready   onboarding.Readiness
	missing int
}

func loadOnboarding(r *http.Request, tx pgx.Tx, tenantID uuid.UUID, p partner.Partner) (onboardingState, error) {
	ctx := r.Context()
	var st onboardingState
	var err error
	if st.items, err = onboarding.Checklist(ctx, tx, tenantID, p.ID); err != nil {
		return st, err
	}
	if st.ready, err = onboarding.LoadReadiness(ctx, tx, tenantID, p.ID); err != nil {
		return st, err
	}
	if len(st.items) > 0 {
		st.missing, err = onboarding.MissingSteps(ctx, tx, tenantID, p.ID)
	}
	return st, err
}

// stepErr is a re-shown step form: which step and its errors.
type stepErr struct {
	id   uuid.UUID
	form view.Form
	note string
	due  string // as typed
}

// partnerOnboarding shows the tab. A partner in onboarding without a
// checklist gets one now (the lifecycle code doesn't know about checklists).
func (s *Server) partnerOnboarding(w http.ResponseWriter, r *http.Request) {
	var st onboardingState
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if p.Status == "onboarding" {
			if n, err := onboarding.Checklist(r.Context(), tx, sc.Tenant.ID, p.ID); err != nil {
				return err
			} else if len(n) == 0 {
				if _, err := onboarding.Start(r.Context(), tx, sc.Tenant.ID, p.ID); err != nil {
					return err
				}
			}
		}
		var err error
		st, err = loadOnboarding(r, tx, sc.Tenant.ID, p)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderOnboarding(w, r, http.StatusOK, p, st, nil, view.OnboardingAddProps{})
}

func (s *Server) renderOnboarding(w http.ResponseWriter, r *http.Request, status int, p partner.Partner, st onboardingState,
	bad *stepErr, add view.OnboardingAddProps) {
	sc := staffFrom(r.Context())
	today := s.now()
	prog := onboarding.ProgressOf(st.items)
	d := view.PartnerOnboardingProps{
		Header: partnerHeader(sc, p, "onboarding"), Path: onboardingPath(sc, p.ID),
		CanManage: sc.Role.Can(auth.ManagePartners), Done: prog.Done, Total: prog.Total, Percent: prog.Percent(),
		Needs: st.ready.Needs(), AgreementsURL: "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String() + "/agreements",
		NewTemplateSteps: st.missing, CanStart: p.Status != "ended", Add: add,
	}
	if sc.Role.Can(auth.ManageSettings) {
		d.SettingsURL = "/t/" + sc.Tenant.Slug + "/settings/onboarding"
	}
	switch {
	case d.Needs != "":
	case p.Status == "active" && prog.Total > 0 && prog.Left() == 0:
		d.Outcome = "Onboarding is complete and the partner is active."
	case p.Status != "onboarding":
		d.Outcome = "This partner is " + strings.ToLower(partner.StatusLabels[p.Status]) + "; the checklist is kept for reference."
	}
	for _, it := range st.items {
		row := view.OnboardingStepRow{ID: it.ID.String(), Title: it.Title, Description: it.Description, Done: it.Done(),
			DoneBy: it.DoneByName, Note: it.Note, Overdue: it.Overdue(today), Custom: it.StepID == nil}
		if it.DoneAt != nil {
			row.DoneAt = it.DoneAt.In(time.UTC).Format("2 Jan 2006")
		}
		if it.DueOn != nil {
			row.DueOn = it.DueOn.Format(time.DateOnly)
			row.DueLabel = it.DueOn.Format("2 Jan 2006")
		}
		if bad != nil && bad.id == it.ID {
			row.Form = bad.form
			row.Note = bad.note
			row.DueOn = bad.due
		}
		d.Steps = append(d.Steps, row)
	}
	s.render(w, r, status, view.PartnerOnboardingPage(s.page(r, p.Name, "partners"), d))
}

// parseDue reads an optional yyyy-mm-dd date field.
func parseDue(v string) (*time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, false
	}
	return &d, true
}

// itemInputFrom reads a step form: the note and the due date, with a field
// error for a date that doesn't parse.
func itemInputFrom(r *http.Request) (onboarding.ItemInput, map[string]string) {
	in := onboarding.ItemInput{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"), Note: r.PostForm.Get("note")}
	errs := map[string]string{}
	due, ok := parseDue(r.PostForm.Get("due_on"))
	if !ok {
		errs["due_on"] = "Enter a date like 2026-12-31."
	}
	in.DueOn = due
	return in, errs
}

// mergeErrs adds a domain error's field messages to errs (which win).
func mergeErrs(errs map[string]string, err error) error {
	if err != nil && apperr.Code(err) != apperr.EInvalid {
		return err
	}
	for k, v := range apperr.FieldErrors(err) {
		if _, ok := errs[k]; !ok {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// partnerOnboardingStart copies the template's steps (all of them for a new
// checklist, the new ones for a started one).
func (s *Server) partnerOnboardingStart(w http.ResponseWriter, r *http.Request) {
	var n int
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if p.Status == "ended" {
			return apperr.Errorf(apperr.EConflict, "The partnership has ended: there is nothing to onboard.")
		}
		n, err = onboarding.Start(r.Context(), tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	switch n {
	case 0:
		s.flash(r, "info", "The checklist already has every step of your firm's template.")
	case 1:
		s.flash(r, "success", "1 step was added to the checklist.")
	default:
		s.flash(r, "success", strconv.Itoa(n)+" steps were added to the checklist.")
	}
	redirect(w, r, onboardingPath(sc, p.ID))
}

// partnerOnboardingAdd adds a custom step for this partner.
func (s *Server) partnerOnboardingAdd(w http.ResponseWriter, r *http.Request) {
	var in onboarding.ItemInput
	var st onboardingState
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		var errs map[string]string
		in, errs = itemInputFrom(r)
		var err error
		if len(errs) == 0 {
			_, err = onboarding.AddStep(r.Context(), tx, sc.Tenant.ID, p.ID, in)
		} else {
			err = apperr.Invalid(errs)
		}
		if err = mergeErrs(errs, err); apperr.Code(err) == apperr.EInvalid {
			// Load what the page shows; the write above failed validation, so nothing was written.
			var lerr error
			if st, lerr = loadOnboarding(r, tx, sc.Tenant.ID, p); lerr != nil {
				return lerr
			}
		}
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		add := view.OnboardingAddProps{Form: formErrors(err), Title: in.Title, Description: in.Description, DueOn: r.PostForm.Get("due_on")}
		s.renderOnboarding(w, r, http.StatusUnprocessableEntity, p, st, nil, add)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.flash(r, "success", "The step “"+strings.TrimSpace(in.Title)+"” was added.")
	redirect(w, r, onboardingPath(sc, p.ID))
}

// partnerOnboardingStep saves a step's note and due date and ticks or
// unticks it. Ticking the last step of a partner with an accepted agreement
// makes it active, in the same transaction.
func (s *Server) partnerOnboardingStep(w http.ResponseWriter, r *http.Request) {
	stepID, err := idParam(r, "step")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var (
		in        onboarding.ItemInput
		item      onboarding.Item
		activated bool
		st        onboardingState
		action    string
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if _, err := onboarding.GetItem(ctx, tx, sc.Tenant.ID, p.ID, stepID); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		action = r.PostForm.Get("action")
		var errs map[string]string
		in, errs = itemInputFrom(r)
		var err error
		switch {
		case len(errs) > 0:
			err = apperr.Invalid(errs)
		case action == "done":
			if item, err = onboarding.Complete(ctx, tx, sc.Tenant.ID, p.ID, stepID, userFrom(ctx).ID, in, s.now()); err == nil {
				activated, err = onboarding.MaybeActivate(ctx, tx, sc.Tenant.ID, p.ID, userFrom(ctx).ID)
			}
		case action == "reopen":
			item, err = onboarding.Reopen(ctx, tx, sc.Tenant.ID, p.ID, stepID, in)
		case action == "save" || action == "":
			item, err = onboarding.Update(ctx, tx, sc.Tenant.ID, p.ID, stepID, in)
		default:
			err = apperr.Errorf(apperr.EInvalid, "Choose Mark done, Reopen or Save.")
		}
		if err = mergeErrs(errs, err); apperr.Code(err) == apperr.EInvalid {
			var lerr error
			if st, lerr = loadOnboarding(r, tx, sc.Tenant.ID, p); lerr != nil {
				return lerr
			}
		}
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		bad := &stepErr{id: stepID, form: formErrors(err), note: in.Note, due: r.PostForm.Get("due_on")}
		s.renderOnboarding(w, r, http.StatusUnprocessableEntity, p, st, bad, view.OnboardingAddProps{})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	switch {
	case activated:
		s.flash(r, "success", "“"+item.Title+"” is done. Onboarding is complete and the agreement is accepted: "+p.Name+" is now active.")
	case action == "done":
		s.flash(r, "success", "“"+item.Title+"” is done.")
	case action == "reopen":
		s.flash(r, "success", "“"+item.Title+"” was reopened.")
	default:
		s.flash(r, "success", "“"+item.Title+"” was saved.")
	}
	redirect(w, r, onboardingPath(sc, p.ID)+"#step-"+stepID.String())
}

// partnerOnboardingRemove removes a custom step (template steps: 409).
func (s *Server) partnerOnboardingRemove(w http.ResponseWriter, r *http.Request) {
	stepID, err := idParam(r, "step")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var item onboarding.Item
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		item, err = onboarding.RemoveStep(r.Context(), tx, sc.Tenant.ID, p.ID, stepID)
		if err == nil {
			// Removing the last open step may complete the checklist.
			_, err = onboarding.MaybeActivate(r.Context(), tx, sc.Tenant.ID, p.ID, userFrom(r.Context()).ID)
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "“"+item.Title+"” was removed from the checklist.")
	redirect(w, r, onboardingPath(staffFrom(r.Context()), p.ID))
}

// ----- settings: the firm's template -----

func onboardingSettingsPath(sc *staffCtx) string {
	return "/t/" + sc.Tenant.Slug + "/settings/onboarding"
}

func (s *Server) onboardingSettings(w http.ResponseWriter, r *http.Request) {
	s.renderOnboardingSettings(w, r, http.StatusOK, view.OnboardingTemplateNew{}, uuid.Nil, view.OnboardingTemplateRow{})
}

// renderOnboardingSettings draws the template page; bad, when set, is the
// step whose form is re-shown with the input and errors.
func (s *Server) renderOnboardingSettings(w http.ResponseWriter, r *http.Request, status int, add view.OnboardingTemplateNew,
	badID uuid.UUID, bad view.OnboardingTemplateRow) {
	var steps []onboarding.Step
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if err = onboarding.SetUpFirm(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		steps, err = onboarding.Template(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	d := view.OnboardingSettingsProps{Path: onboardingSettingsPath(sc), New: add}
	for _, st := range steps {
		row := view.OnboardingTemplateRow{ID: st.ID.String(), Title: st.Title, Description: st.Description,
			Position: strconv.Itoa(st.Position), Active: st.Active}
		if st.ID == badID {
			bad.ID = row.ID
			row = bad
		}
		d.Steps = append(d.Steps, row)
	}
	s.render(w, r, status, view.OnboardingSettingsPage(s.page(r, "Onboarding checklist", "onboarding"), d))
}

// positionFrom reads an optional position (0 when empty).
func positionFrom(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func (s *Server) onboardingTemplateAdd(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	form := view.OnboardingTemplateNew{Title: f.Get("title"), Description: f.Get("description"), Position: f.Get("position")}
	var st onboarding.Step
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		errs := map[string]string{}
		pos, ok := positionFrom(form.Position)
		if !ok {
			errs["position"] = "Use a position from 1 to 1000."
		}
		if err := onboarding.SetUpFirm(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		var err error
		if len(errs) == 0 {
			st, err = onboarding.AddTemplateStep(r.Context(), tx, sc.Tenant.ID, onboarding.StepInput{Title: form.Title, Description: form.Description, Position: pos})
		}
		return mergeErrs(errs, err)
	})
	if apperr.Code(err) == apperr.EInvalid {
		form.Form = formErrors(err)
		s.renderOnboardingSettings(w, r, http.StatusUnprocessableEntity, form, uuid.Nil, view.OnboardingTemplateRow{})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The step “"+st.Title+"” was added.")
	redirect(w, r, onboardingSettingsPath(staffFrom(r.Context())))
}

func (s *Server) onboardingTemplateUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "step")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var st onboarding.Step
	var row view.OnboardingTemplateRow
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if _, err := onboarding.GetStep(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		f := r.PostForm
		row = view.OnboardingTemplateRow{Title: f.Get("title"), Description: f.Get("description"), Position: f.Get("position"),
			Active: f.Get("active") != ""}
		errs := map[string]string{}
		pos, ok := positionFrom(row.Position)
		if !ok || pos < 1 {
			errs["position"] = "Use a position from 1 to 1000."
		}
		var err error
		if len(errs) == 0 {
			st, err = onboarding.UpdateTemplateStep(r.Context(), tx, sc.Tenant.ID, id,
				onboarding.StepInput{Title: row.Title, Description: row.Description, Position: pos, Active: row.Active})
		}
		return mergeErrs(errs, err)
	})
	if apperr.Code(err) == apperr.EInvalid {
		row.Form = formErrors(err)
		s.renderOnboardingSettings(w, r, http.StatusUnprocessableEntity, view.OnboardingTemplateNew{}, id, row)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The step “" + st.Title + "” was saved."
	if !st.Active {
		msg += " It is no longer used for new partners."
	}
	s.flash(r, "success", msg)
	redirect(w, r, onboardingSettingsPath(staffFrom(r.Context()))+"#tpl-"+id.String())
}
