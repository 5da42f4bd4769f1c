package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/web/view"
)

// agreementSettingsRoutes are the firm's agreement templates and its
// profession policy pack, under /t/{tenant}/settings (already limited to
// ManageSettings).
func (s *Server) agreementSettingsRoutes(r chi.Router) {
	r.Get("/agreement-templates", s.templateList)
	r.Get("/agreement-templates/new", s.templateNew)
	r.Post("/agreement-templates/new", s.templateCreate)
	r.Get("/agreement-templates/{tid}", s.templateEdit)
	r.Post("/agreement-templates/{tid}", s.templateUpdate)
	r.Post("/agreement-templates/{tid}/delete", s.templateDelete)
	r.Get("/policy", s.policyShow)
	r.Post("/policy", s.policySetProfession)
	r.Post("/policy/override", s.policyOverride)
	r.Post("/policy/clear", s.policyClear)
}

func templatesPath(sc *staffCtx) string {
	return "/t/" + sc.Tenant.Slug + "/settings/agreement-templates"
}
func policyPath(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/settings/policy" }

// ---- templates ----

func termMonthsText(n int) string {
	if n == 0 {
		return "Open-ended"
	}
	return fmt.Sprintf("%d months", n)
}

func (s *Server) templateList(w http.ResponseWriter, r *http.Request) {
	var ts []agreement.Template
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		ts, err = agreement.ListTemplates(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	d := view.AgreementTemplatesProps{Base: templatesPath(sc)}
	for _, t := range ts {
		row := view.AgreementTemplateRow{ID: t.ID.String(), Name: t.Name, Model: agreement.ModelLabels[t.Model], Tier: t.TierName,
			Payment: agreement.PaymentText(t.PaymentTrigger, t.PaymentNetDays), Term: termMonthsText(t.TermMonths), InUse: t.InUse}
		for _, rl := range t.Rules {
			row.Rules = append(row.Rules, agreement.DescribeRule(rl))
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, view.AgreementTemplatesPage(s.page(r, "Agreement templates", "agreement-templates"), d))
}

// tierOptions lists the firm's tiers for the template form.
func tierOptions(r *http.Request, tx pgx.Tx, sc *staffCtx) ([]view.Option, error) {
	tiers, err := partner.ListTiers(r.Context(), tx, sc.Tenant.ID)
	if err != nil {
		return nil, err
	}
	out := make([]view.Option, 0, len(tiers))
	for _, t := range tiers {
		out = append(out, view.Option{Value: t.ID.String(), Label: t.Name})
	}
	return out, nil
}

// renderTemplateForm shows the template form with values and errors.
func (s *Server) renderTemplateForm(w http.ResponseWriter, r *http.Request, status int, d view.AgreementTemplateFormProps) {
	title := "New agreement template"
	if d.ID != "" {
		title = "Template: " + d.Name
	}
	s.render(w, r, status, view.AgreementTemplateFormPage(s.page(r, title, "agreement-templates"), d))
}

func (s *Server) templateNew(w http.ResponseWriter, r *http.Request) {
	var tiers []view.Option
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		tiers, err = tierOptions(r, tx, sc)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	in := agreement.TemplateInput{Model: "referral", PaymentTrigger: "client_payment", PaymentNetDays: 30, TermMonths: 12}
	v := agreement.TemplateFormValues(in)
	s.renderTemplateForm(w, r, http.StatusOK, view.AgreementTemplateFormProps{AgreementFields: agreementFields(v, view.Form{}, 0),
		Base: templatesPath(sc), Action: templatesPath(sc) + "/new", Submit: "Add template", Tiers: tiers})
}

func (s *Server) templateCreate(w http.ResponseWriter, r *http.Request) {
	s.saveTemplate(w, r, "", "", 0)
}

// saveTemplate creates (id "") or updates a template from the form.
func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request, id, storedName string, inUse int) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.Invalid(map[string]string{"name": "The form could not be read."}))
		return
	}
	v := agreement.FormValuesOf(r.PostForm)
	var tiers []view.Option
	var saved agreement.Template
	var formErr error
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if tiers, err = tierOptions(r, tx, sc); err != nil {
			return err
		}
		in, perr := agreement.ParseTemplateForm(r.PostForm)
		if perr != nil {
			formErr = perr
			return nil
		}
		if id == "" {
			saved, err = agreement.CreateTemplate(ctx, tx, sc.Tenant.ID, in)
		} else {
			tid, _ := idParam(r, "tid")
			saved, err = agreement.UpdateTemplate(ctx, tx, sc.Tenant.ID, tid, in)
		}
		if apperr.Code(err) == apperr.EInvalid {
			formErr = err
			return err // roll back
		}
		return err
	})
	sc := staffFrom(ctx)
	if formErr != nil {
		action := templatesPath(sc) + "/new"
		submit := "Add template"
		if id != "" {
			action, submit = templatesPath(sc)+"/"+id, "Save template"
		}
		form := view.Form{Errors: view.FieldErrors(agreement.FormErrors(formErr))}
		if len(form.Errors) == 0 {
			form.NonField = []string{apperr.Message(formErr)}
		}
		s.renderTemplateForm(w, r, http.StatusUnprocessableEntity, view.AgreementTemplateFormProps{
			AgreementFields: agreementFields(v, form, countRules(v)), Base: templatesPath(sc), ID: id, Name: storedName,
			Action: action, Submit: submit, Tiers: tiers, InUse: inUse})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	verb := "added"
	if id != "" {
		verb = "saved"
	}
	s.flash(r, "success", "Template \""+saved.Name+"\" "+verb+".")
	redirect(w, r, templatesPath(sc))
}

func (s *Server) templateEdit(w http.ResponseWriter, r *http.Request) {
	var t agreement.Template
	var tiers []view.Option
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		tid, err := idParam(r, "tid")
		if err != nil {
			return err
		}
		if t, err = agreement.GetTemplate(r.Context(), tx, sc.Tenant.ID, tid); err != nil {
			return err
		}
		tiers, err = tierOptions(r, tx, sc)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	v := agreement.TemplateFormValues(agreement.TemplateInputOf(t))
	s.renderTemplateForm(w, r, http.StatusOK, view.AgreementTemplateFormProps{AgreementFields: agreementFields(v, view.Form{}, len(t.Rules)),
		Base: templatesPath(sc), ID: t.ID.String(), Name: t.Name, Action: templatesPath(sc) + "/" + t.ID.String(),
		Submit: "Save template", Tiers: tiers, InUse: t.InUse})
}

func (s *Server) templateUpdate(w http.ResponseWriter, r *http.Request) {
	// Resolve the template in the firm before reading the form.
	var t agreement.Template
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		tid, err := idParam(r, "tid")
		if err != nil {
			return err
		}
		t, err = agreement.GetTemplate(r.Context(), tx, sc.Tenant.ID, tid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.saveTemplate(w, r, t.ID.String(), t.Name, t.InUse)
}

func (s *Server) templateDelete(w http.ResponseWriter, r *http.Request) {
	var name string
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		tid, err := idParam(r, "tid")
		if err != nil {
			return err
		}
		t, err := agreement.GetTemplate(r.Context(), tx, sc.Tenant.ID, tid)
		if err != nil {
			return err
		}
		name = t.Name
		return agreement.DeleteTemplate(r.Context(), tx, sc.Tenant.ID, tid)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Template \""+name+"\" deleted.")
	redirect(w, r, templatesPath(staffFrom(r.Context())))
}

// ---- policy ----

// policyKept carries a rejected form's input to the re-shown policy page.
type policyKept struct {
	Profession     view.Form
	Key, Reason    string
	OverrideErrors view.Form
}

func (s *Server) policyShow(w http.ResponseWriter, r *http.Request) {
	s.renderPolicy(w, r, http.StatusOK, policyKept{})
}

func whereChecked(r policy.Rule) string {
	if r.AppliesTo == policy.AppliesToReferral {
		return "Checked on each referral (before it is accepted or won, and when commission accrues)."
	}
	return "Checked when an agreement is sent, recorded as signed or accepted."
}

func (s *Server) renderPolicy(w http.ResponseWriter, r *http.Request, status int, kept policyKept) {
	var set policy.Set
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		set, err = policy.Load(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	d := view.PolicyProps{Base: policyPath(sc), Profession: set.Profession, Label: policy.ProfessionLabels[set.Profession],
		Professions: optionsOf(policy.Professions, policy.ProfessionLabels), Form: kept.Profession}
	row := func(rl policy.Rule) view.PolicyRuleRow {
		pr := view.PolicyRuleRow{Key: rl.Key, Title: rl.Title, Explanation: rl.Explanation, Where: whereChecked(rl)}
		if o, ok := set.Overrides[rl.Key]; ok {
			pr.Overridden, pr.Reason, pr.SetAt = true, o.Reason, o.SetAt.UTC().Format("2 Jan 2006")
			pr.SetBy = o.SetByName
			if pr.SetBy == "" {
				pr.SetBy = "someone no longer here"
			}
		}
		if kept.Key == rl.Key {
			pr.Override = view.PolicyOverrideForm{Form: kept.OverrideErrors, Reason: kept.Reason}
		}
		return pr
	}
	for _, rl := range set.Rules {
		d.Rules = append(d.Rules, row(rl))
	}
	for key := range set.Overrides {
		if !set.Has(key) {
			if rl, ok := policy.RuleByKey(key); ok {
				d.Stale = append(d.Stale, row(rl))
			}
		}
	}
	s.render(w, r, status, view.PolicyPage(s.page(r, "Profession policy", "policy"), d))
}

func (s *Server) policySetProfession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	prof := strings.TrimSpace(r.PostForm.Get("profession"))
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := policy.SetProfession(ctx, tx, sc.Tenant.ID, prof); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "policy.profession_set", "tenant", sc.Tenant.ID.String(), map[string]any{"profession": prof})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderPolicy(w, r, http.StatusUnprocessableEntity, policyKept{Profession: formErrors(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Profession saved: "+policy.ProfessionLabels[prof]+".")
	redirect(w, r, policyPath(staffFrom(ctx)))
}

// policyRuleKey reads the form's rule key; an unknown one is not found.
func policyRuleKey(r *http.Request) (policy.Rule, error) {
	if err := r.ParseForm(); err != nil {
		return policy.Rule{}, err
	}
	rl, ok := policy.RuleByKey(r.PostForm.Get("key"))
	if !ok {
		return rl, apperr.NotFound("Policy rule")
	}
	return rl, nil
}

func (s *Server) policyOverride(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rl, err := policyRuleKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reason := r.PostForm.Get("reason")
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := policy.SetOverride(ctx, tx, sc.Tenant.ID, rl.Key, reason, audit.ActorFrom(ctx).UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "policy.overridden", "policy_rule", rl.Key,
			map[string]any{"rule": rl.Title, "reason": strings.TrimSpace(reason)})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderPolicy(w, r, http.StatusUnprocessableEntity, policyKept{Key: rl.Key, Reason: reason, OverrideErrors: formErrors(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "\""+rl.Title+"\" is switched off for the firm.")
	redirect(w, r, policyPath(staffFrom(ctx)))
}

func (s *Server) policyClear(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rl, err := policyRuleKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := policy.ClearOverride(ctx, tx, sc.Tenant.ID, rl.Key); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "policy.override_cleared", "policy_rule", rl.Key, map[string]any{"rule": rl.Title})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "\""+rl.Title+"\" is back in force.")
	redirect(w, r, policyPath(staffFrom(ctx)))
}
