package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// partnerAgreementRoutes are a partner's Agreements tab under
// /t/{tenant}/partners/{id}: the versions, the builder, sending, recording
// as signed, terminating, and the diff between versions. Every handler
// resolves the partner and the version in the firm (and the version in the
// partner) before reading the form, so other firms' ids answer 404.
func (s *Server) partnerAgreementRoutes(r chi.Router) {
	r.Get("/agreements", s.partnerAgreements)
	r.Get("/agreements/{aid}", s.agreementVersion)
	r.Get("/agreements/{aid}/diff", s.agreementDiff)
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManagePartners))
		r.Get("/agreements/new", s.agreementNew)
		r.Post("/agreements/new", s.agreementCreate)
		r.Get("/agreements/{aid}/edit", s.agreementEdit)
		r.Post("/agreements/{aid}/edit", s.agreementUpdate)
		r.Post("/agreements/{aid}/send", s.agreementSend)
		r.Post("/agreements/{aid}/withdraw", s.agreementWithdraw)
		r.Post("/agreements/{aid}/record", s.agreementRecord)
		r.Post("/agreements/{aid}/terminate", s.agreementTerminate)
		r.Post("/agreements/{aid}/delete", s.agreementDelete)
	})
}

// agreementRoutes is the firm-wide list of agreements (any staff role).
func (s *Server) agreementRoutes(r chi.Router) {
	r.Get("/agreements", s.agreementList)
	r.Get("/agreements/export.csv", s.agreementExport)
}

func agreementsPath(sc *staffCtx, partnerID uuid.UUID) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + partnerID.String() + "/agreements"
}

// inAgreement runs fn with the partner {id} and its version {aid}, both
// resolved in the firm; a version of another partner is not found.
func (s *Server) inAgreement(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) error) (partner.Partner, agreement.Agreement, error) {
	var a agreement.Agreement
	aid, err := idParam(r, "aid")
	if err != nil {
		return partner.Partner{}, a, err
	}
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if a, err = agreement.Get(r.Context(), tx, sc.Tenant.ID, aid); err != nil {
			return err
		}
		if a.PartnerID != p.ID {
			return apperr.NotFound("Agreement")
		}
		return fn(tx, sc, p, a)
	})
	return p, a, err
}

// ---- view helpers ----

func optionsOf(keys []string, labels map[string]string) []view.Option {
	out := make([]view.Option, 0, len(keys))
	for _, k := range keys {
		out = append(out, view.Option{Value: k, Label: labels[k]})
	}
	return out
}

// agreementOptions are the builder's choices.
func agreementOptions() view.AgreementOptions {
	o := view.AgreementOptions{
		Models:        optionsOf(agreement.Models, agreement.ModelLabels),
		Triggers:      optionsOf(agreement.PaymentTriggers, agreement.PaymentTriggerLabels),
		Exclusivities: optionsOf(agreement.Exclusivities, agreement.ExclusivityLabels),
		Professions:   optionsOf(agreement.Professions, agreement.ProfessionLabels),
		Directions: []view.Option{{Value: string(commission.WePay), Label: agreement.DirectionLabels[commission.WePay]},
			{Value: string(commission.WeReceive), Label: agreement.DirectionLabels[commission.WeReceive]}},
		Periods: []view.Option{{Value: string(commission.CalendarYear), Label: "Calendar year"},
			{Value: string(commission.Trailing12Months), Label: "Trailing 12 months"}},
		Modes: []view.Option{{Value: string(commission.FromThreshold), Label: "From the referral that reaches it"},
			{Value: string(commission.Retroactive), Label: "Retroactively to the period's referrals"}},
	}
	for _, k := range agreement.Kinds {
		o.Kinds = append(o.Kinds, view.Option{Value: string(k), Label: agreement.KindLabels[k]})
	}
	var hint []string
	for _, l := range agreement.Involvements {
		o.Involvements = append(o.Involvements, view.Option{Value: l.Key, Label: l.Label})
		hint = append(hint, fmt.Sprintf("%s %s–%s (default %s)", l.Key, commission.FormatBP(l.MinBP),
			commission.FormatBP(l.MaxBP), commission.FormatBP(l.DefaultBP)))
	}
	o.InvolvementHint = "Usual rates: " + strings.Join(hint, ", ") + ". A rate outside the range is a warning, not an error."
	return o
}

func agreementFields(v map[string]string, form view.Form, rules int) view.AgreementFields {
	return view.AgreementFields{Form: form, V: v, RuleRows: agreement.RuleRows(rules), Options: agreementOptions()}
}

// countRules counts the rule rows of a submitted form that have a kind.
func countRules(v map[string]string) int {
	last := -1
	for i := 0; i < agreement.MaxRules; i++ {
		if v[fmt.Sprintf("rules[%d].kind", i)] != "" {
			last = i
		}
	}
	return last + 1
}

// versionDates says when a version is (or was, or would be) in force.
func versionDates(a agreement.Agreement) string {
	s := "From " + a.EffectiveFrom.Format(agreement.DateFormat)
	if a.EffectiveTo != nil {
		s += " to " + a.EffectiveTo.Format(agreement.DateFormat)
	} else {
		s += ", open-ended"
	}
	if a.AutoRenew && a.EffectiveTo != nil {
		s += fmt.Sprintf(" (renews for %d months)", a.RenewalMonths)
	}
	return s
}

// agreementDocOf is a version as the staff pages show it, with its
// document links.
func agreementDocOf(sc *staffCtx, a agreement.Agreement) view.AgreementDoc {
	base := agreementsPath(sc, a.PartnerID) + "/" + a.ID.String()
	d := view.AgreementDoc{ID: a.ID.String(), Version: a.Version, Status: string(a.Status), StatusLabel: a.Status.Label(),
		Title: a.Title, Model: agreement.ModelLabels[a.Model], InForce: versionDates(a),
		Acceptance: agreement.AcceptanceText(a), Accepted: a.AcceptedAt != nil,
		MOUURL: base + "/mou.pdf", FullURL: base + "/full.pdf", PrintURL: base + "/print"}
	if a.SentAt != nil {
		d.Sent = "Sent on " + a.SentAt.UTC().Format(agreement.DateFormat) + "."
	}
	for _, sec := range agreement.FullSections(a, sc.Tenant.Name, a.PartnerName) {
		vs := view.DocSection{Heading: sec.Heading}
		for _, c := range sec.Clauses {
			vs.Clauses = append(vs.Clauses, view.DocClause{Label: c.Label, Text: c.Text})
		}
		d.Sections = append(d.Sections, vs)
	}
	return d
}

// agreementHeader is the partner header with the "Agreement expired" flag.
func agreementHeader(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, today time.Time) (view.PartnerHeaderProps, error) {
	h := partnerHeader(sc, p, "agreements")
	expired, err := agreement.HasExpired(ctx, tx, sc.Tenant.ID, p.ID, today)
	if err != nil {
		return h, err
	}
	if expired {
		h.Flags = append(h.Flags, "Agreement expired")
	}
	return h, nil
}

// pendingWarnings are the warnings about a draft or sent version:
// overlaps with other partners' active agreements, rates outside the
// involvement level, and the policy rules it breaks.
func pendingWarnings(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, a agreement.Agreement) (warnings, problems []string, err error) {
	conflicts, err := agreement.Conflicts(ctx, tx, tenantID, a)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range conflicts {
		warnings = append(warnings, c.Message())
	}
	warnings = append(warnings, agreement.InputFrom(a).Warnings()...)
	set, err := policy.Load(ctx, tx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range agreement.PolicyViolations(set, a) {
		problems = append(problems, v.Rule.Title+": "+v.Rule.Explanation)
	}
	return warnings, problems, nil
}

// ---- the tab ----

// prefixed is p+s, or "" when s is empty.
func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// tabKept carries a refused action's messages and input to the re-shown tab.
type tabKept struct {
	Error     view.Form
	Record    view.RecordAgreementForm
	Terminate view.TerminateAgreementForm
}

func (s *Server) partnerAgreements(w http.ResponseWriter, r *http.Request) {
	s.renderAgreementsTab(w, r, http.StatusOK, tabKept{})
}

// renderAgreementsTab draws a partner's Agreements tab.
func (s *Server) renderAgreementsTab(w http.ResponseWriter, r *http.Request, status int, kept tabKept) {
	ctx := r.Context()
	today := agreement.Day(s.now())
	var d view.PartnerAgreementsProps
	_, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if d.Header, err = agreementHeader(ctx, tx, sc, p, today); err != nil {
			return err
		}
		versions, err := agreement.ListForPartner(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		d.Base = agreementsPath(sc, p.ID)
		d.CanManage = sc.Role.Can(auth.ManagePartners)
		d.Error, d.Record, d.Terminate = kept.Error, kept.Record, kept.Terminate
		if d.Terminate.EndedOn == "" {
			d.Terminate.EndedOn = today.Format(time.DateOnly)
		}
		for i, a := range versions {
			row := view.AgreementVersionRow{ID: a.ID.String(), Version: a.Version, Status: string(a.Status),
				StatusLabel: a.Status.Label(), InForce: versionDates(a), Note: a.ChangeNote,
				ViewURL: d.Base + "/" + a.ID.String()}
			if i+1 < len(versions) {
				row.DiffURL = d.Base + "/" + a.ID.String() + "/diff"
			}
			for _, extra := range []string{a.EndedReason, prefixed("Declined: ", a.DeclinedReason)} {
				if extra != "" {
					row.Note = strings.TrimSpace(row.Note + " " + extra)
				}
			}
			d.History = append(d.History, row)
			switch a.Status {
			case agreement.StatusActive:
				doc := agreementDocOf(sc, a)
				d.Current = &doc
			case agreement.StatusDraft, agreement.StatusSent:
				doc := agreementDocOf(sc, a)
				d.Pending, d.PendingStatus = &doc, string(a.Status)
				if d.Warnings, d.PolicyProblems, err = pendingWarnings(ctx, tx, sc.Tenant.ID, a); err != nil {
					return err
				}
				admins, err := agreement.PortalAdmins(ctx, tx, sc.Tenant.ID, p.ID)
				if err != nil {
					return err
				}
				d.NoPortalAdmin = len(admins) == 0
			case agreement.StatusDeclined:
				if i == 0 && a.DeclinedAt != nil {
					d.LastDeclined = fmt.Sprintf("Version %d was declined on %s: %s", a.Version,
						a.DeclinedAt.UTC().Format(agreement.DateFormat), a.DeclinedReason)
				}
			}
		}
		if len(versions) == 1 && (versions[0].Status == agreement.StatusDraft || versions[0].Status == agreement.StatusSent) {
			d.History = nil // the one version is shown above
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.PartnerAgreementsPage(s.page(r, d.Header.Name, "partners"), d))
}

// ---- the builder ----

// agreementNew shows the template picker, or the builder started from a
// template (?template=ID or blank) or from the version in force
// (?from=current).
func (s *Server) agreementNew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	today := agreement.Day(s.now())
	q := r.URL.Query()
	var (
		picker  *view.AgreementPickerProps
		in      agreement.Input
		basis   string
		header  view.PartnerHeaderProps
		pending *agreement.Agreement
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if header, err = agreementHeader(ctx, tx, sc, p, today); err != nil {
			return err
		}
		if pending, err = agreement.Pending(ctx, tx, sc.Tenant.ID, p.ID); err != nil || pending != nil {
			return err
		}
		cur, err := agreement.Current(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		switch t := q.Get("template"); {
		case q.Get("from") == "current" && cur != nil:
			in = agreement.InputFrom(*cur)
			in.ChangeNote = ""
			from := today
			if !from.After(cur.EffectiveFrom) {
				from = cur.EffectiveFrom.AddDate(0, 0, 1)
			}
			in.EffectiveFrom = from
			if in.EffectiveTo != nil && in.EffectiveTo.Before(from) {
				in.EffectiveTo = nil
			}
			basis = fmt.Sprintf("Changing the terms of version %d: this draft becomes version %d. When it is accepted, version %d ends the day before it takes effect.",
				cur.Version, cur.Version+1, cur.Version)
		case t == "blank":
			in = agreement.DefaultInput(p.Type, today)
			basis = "A blank agreement with the usual payment terms (net 30 after the client pays)."
		case t != "":
			id, perr := uuid.Parse(t)
			if perr != nil {
				return apperr.NotFound("Template")
			}
			tpl, err := agreement.GetTemplate(ctx, tx, sc.Tenant.ID, id)
			if err != nil {
				return err
			}
			in = tpl.Input(today)
			basis = "Starting from the template \"" + tpl.Name + "\"; change any term before sending."
		default:
			tpls, err := agreement.ListTemplates(ctx, tx, sc.Tenant.ID)
			if err != nil {
				return err
			}
			pick := view.AgreementPickerProps{Header: header, NewURL: agreementsPath(sc, p.ID) + "/new"}
			if cur != nil {
				pick.CurrentVersion = cur.Version
			}
			if sug, err := agreement.TemplateFor(ctx, tx, sc.Tenant.ID, p.Type, p.TierID); err != nil {
				return err
			} else if sug != nil {
				pick.Suggested = sug.ID.String()
			}
			for _, t := range tpls {
				c := view.AgreementTemplateChoice{ID: t.ID.String(), Name: t.Name, Model: agreement.ModelLabels[t.Model], Tier: t.TierName}
				for _, rl := range t.Rules {
					c.Summary = append(c.Summary, agreement.DescribeRule(rl))
				}
				if t.ID.String() == pick.Suggested {
					pick.Templates = append([]view.AgreementTemplateChoice{c}, pick.Templates...)
				} else {
					pick.Templates = append(pick.Templates, c)
				}
			}
			picker = &pick
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	if pending != nil {
		s.flash(r, "info", fmt.Sprintf("Version %d is already being prepared; edit it (or withdraw it) instead.", pending.Version))
		redirect(w, r, agreementsPath(sc, p.ID))
		return
	}
	if picker != nil {
		s.render(w, r, http.StatusOK, view.AgreementPickerPage(s.page(r, p.Name, "partners"), *picker))
		return
	}
	d := view.AgreementBuilderProps{AgreementFields: agreementFields(agreement.FormValues(in), view.Form{}, len(in.Rules)),
		Header: header, Heading: "New agreement version", Basis: basis, Action: agreementsPath(sc, p.ID) + "/new",
		Cancel: agreementsPath(sc, p.ID), Submit: "Save draft", Warnings: in.Warnings()}
	s.render(w, r, http.StatusOK, view.AgreementBuilderPage(s.page(r, p.Name, "partners"), d))
}

// applyInvolvement fills the level's default rate into the percentage rule
// rows of a submitted builder form (and starts a % of first project rule
// when there is none), without saving.
func applyInvolvement(v map[string]string) {
	lvl, ok := agreement.InvolvementByKey(v["terms.involvement"])
	if !ok {
		return
	}
	rate := agreement.FormatPercent(lvl.DefaultBP)
	found := false
	for i := 0; i < agreement.MaxRules; i++ {
		p := fmt.Sprintf("rules[%d].", i)
		switch commission.Kind(v[p+"kind"]) {
		case commission.PercentFirstProject, commission.PercentOngoing:
			v[p+"rate"] = rate
			found = true
		}
	}
	if found {
		return
	}
	for i := 0; i < agreement.MaxRules; i++ {
		p := fmt.Sprintf("rules[%d].", i)
		if v[p+"kind"] == "" {
			v[p+"kind"], v[p+"direction"], v[p+"rate"] = string(commission.PercentFirstProject), string(commission.WePay), rate
			return
		}
	}
}

// renderBuilder re-shows the builder with the user's input.
func (s *Server) renderBuilder(w http.ResponseWriter, r *http.Request, status int, p partner.Partner, header view.PartnerHeaderProps,
	v map[string]string, form view.Form, action, heading, submit string, warnings []string) {
	sc := staffFrom(r.Context())
	d := view.AgreementBuilderProps{AgreementFields: agreementFields(v, form, countRules(v)), Header: header,
		Heading: heading, Action: action, Cancel: agreementsPath(sc, p.ID), Submit: submit, Warnings: warnings}
	s.render(w, r, status, view.AgreementBuilderPage(s.page(r, p.Name, "partners"), d))
}

// builderForm turns a domain error into the builder's form errors.
func builderForm(err error) view.Form {
	if fe := agreement.FormErrors(err); len(fe) > 0 {
		return view.Form{Errors: view.FieldErrors(fe), NonField: policyNote(err)}
	}
	return view.Form{NonField: []string{apperr.Message(err)}}
}

// policyNote repeats a policy refusal's message on top of the form.
func policyNote(err error) []string {
	if m := apperr.Message(err); strings.HasPrefix(m, "Refused by") {
		return []string{m}
	}
	return nil
}

// saveDraft runs the create or update of a draft from the builder and
// answers: the re-shown builder on bad input, or back to the tab.
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, action, heading, submit string,
	save func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, in agreement.Input) (agreement.Agreement, error)) {
	ctx := r.Context()
	today := agreement.Day(s.now())
	var header view.PartnerHeaderProps
	var saved agreement.Agreement
	var in agreement.Input
	var parseErr error
	var v map[string]string
	applying := false
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if header, err = agreementHeader(ctx, tx, sc, p, today); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return apperr.Invalid(map[string]string{"title": "The form could not be read."})
		}
		v = agreement.FormValuesOf(r.PostForm)
		if r.PostForm.Get("intent") == "apply_involvement" {
			applying = true
			return nil
		}
		if in, parseErr = agreement.ParseForm(r.PostForm); parseErr != nil {
			return nil
		}
		saved, err = save(ctx, tx, sc, p, in)
		return err
	})
	if header.Name == "" && err != nil {
		s.fail(w, r, err) // the partner (or version) was not found
		return
	}
	switch {
	case applying:
		applyInvolvement(v)
		in, _ := agreement.ParseForm(url.Values(toValues(v)))
		s.renderBuilder(w, r, http.StatusOK, p, header, v, view.Form{}, action, heading, submit, in.Warnings())
		return
	case parseErr != nil:
		s.renderBuilder(w, r, http.StatusUnprocessableEntity, p, header, v, builderForm(parseErr), action, heading, submit, nil)
		return
	case err != nil:
		code := apperr.Code(err)
		if code == apperr.EInvalid || code == apperr.EConflict {
			s.renderBuilder(w, r, statusFor(code), p, header, v, builderForm(err), action, heading, submit, in.Warnings())
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", fmt.Sprintf("Draft version %d saved. Send it to the partner when it is ready.", saved.Version))
	redirect(w, r, agreementsPath(staffFrom(ctx), p.ID))
}

func toValues(m map[string]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = []string{v}
	}
	return out
}

// agreementCreate saves a new draft version from the builder.
func (s *Server) agreementCreate(w http.ResponseWriter, r *http.Request) {
	sc := staffFrom(r.Context())
	id, _ := idParam(r, "id")
	s.saveDraft(w, r, agreementsPath(sc, id)+"/new", "New agreement version", "Save draft",
		func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, in agreement.Input) (agreement.Agreement, error) {
			return agreement.CreateDraft(ctx, tx, sc.Tenant.ID, p.ID, in, audit.ActorFrom(ctx).UserID)
		})
}

// agreementEdit shows the builder for a draft.
func (s *Server) agreementEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var header view.PartnerHeaderProps
	p, a, err := s.inAgreement(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (err error) {
		header, err = agreementHeader(ctx, tx, sc, p, agreement.Day(s.now()))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	if a.Status != agreement.StatusDraft {
		s.flash(r, "info", fmt.Sprintf("Version %d is %s; only a draft can be edited.", a.Version, strings.ToLower(a.Status.Label())))
		redirect(w, r, agreementsPath(sc, p.ID))
		return
	}
	in := agreement.InputFrom(a)
	s.renderBuilder(w, r, http.StatusOK, p, header, agreement.FormValues(in), view.Form{},
		agreementsPath(sc, p.ID)+"/"+a.ID.String()+"/edit", fmt.Sprintf("Edit draft version %d", a.Version), "Save draft", in.Warnings())
}

// agreementUpdate saves the builder over a draft.
func (s *Server) agreementUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Resolve the version before reading the form (another firm's id: 404).
	_, a, err := s.inAgreement(r, func(pgx.Tx, *staffCtx, partner.Partner, agreement.Agreement) error { return nil })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.saveDraft(w, r, agreementsPath(sc, a.PartnerID)+"/"+a.ID.String()+"/edit", fmt.Sprintf("Edit draft version %d", a.Version), "Save draft",
		func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, in agreement.Input) (agreement.Agreement, error) {
			return agreement.UpdateDraft(ctx, tx, sc.Tenant.ID, a.ID, in)
		})
}

// ---- actions ----

// agreementAction runs a state change on a version and answers: back to
// the tab with a flash, or the tab re-shown with the refusal (422/409).
func (s *Server) agreementAction(w http.ResponseWriter, r *http.Request, kept func(err error) tabKept,
	fn func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error)) {
	ctx := r.Context()
	var msg string
	p, _, err := s.inAgreement(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (err error) {
		if err := r.ParseForm(); err != nil {
			return apperr.Invalid(map[string]string{"form": "The form could not be read."})
		}
		msg, err = fn(ctx, tx, sc, p, a)
		return err
	})
	if err != nil {
		code := apperr.Code(err)
		if p.ID != uuid.Nil && (code == apperr.EInvalid || code == apperr.EConflict) {
			s.renderAgreementsTab(w, r, statusFor(code), kept(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", msg)
	redirect(w, r, agreementsPath(staffFrom(ctx), p.ID))
}

// topError shows a refusal on top of the tab (with the policy's reasons).
func topError(err error) tabKept {
	f := view.Form{NonField: []string{apperr.Message(err)}}
	if fe := apperr.FieldErrors(err); len(fe) > 0 && !strings.HasPrefix(apperr.Message(err), "Refused by") {
		for _, k := range slices.Sorted(maps.Keys(fe)) {
			f.NonField = append(f.NonField, fe[k])
		}
	}
	return tabKept{Error: f}
}

// agreementSend offers a draft to the partner and emails its portal admins.
func (s *Server) agreementSend(w http.ResponseWriter, r *http.Request) {
	s.agreementAction(w, r, topError, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error) {
		a, err := agreement.Send(ctx, tx, sc.Tenant.ID, a.ID, audit.ActorFrom(ctx).UserID, s.now())
		if err != nil {
			return "", err
		}
		n, err := s.emailAgreementSent(ctx, tx, sc.Tenant, a)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return fmt.Sprintf("Version %d sent. Nobody at %s can accept it in the portal yet: invite a partner admin, or record it as signed.", a.Version, p.Name), nil
		}
		return fmt.Sprintf("Version %d sent to %s for acceptance; %d partner admin(s) notified by email.", a.Version, p.Name, n), nil
	})
}

// emailAgreementSent tells the partner's portal admins that an agreement
// awaits them; it returns how many were emailed.
func (s *Server) emailAgreementSent(ctx context.Context, tx pgx.Tx, t tenant.Tenant, a agreement.Agreement) (int, error) {
	admins, err := agreement.PortalAdmins(ctx, tx, t.ID, a.PartnerID)
	if err != nil {
		return 0, err
	}
	link := s.Config.BaseURL + "/p/" + url.PathEscape(t.Slug) + "/agreement"
	for _, ad := range admins {
		text := fmt.Sprintf(`Hello %s,

%s sent %s a partnership agreement (version %d) to review.

Read it, then accept or decline it in %s's partner portal:
%s

Only a partner admin can accept it. If something in it isn't right, decline
it with a reason and %s can send a new version.

— Allyway, partner relationship management
`, ad.Name, t.Name, a.PartnerName, a.Version, t.Name, link, t.Name)
		if _, err := s.Outbox.Send(ctx, tx, notify.Email{To: ad.Email,
			Subject: oneLine(t.Name + " sent you a partnership agreement to review"), Text: text}); err != nil {
			return 0, err
		}
	}
	return len(admins), nil
}

// agreementWithdraw takes a sent version back to draft.
func (s *Server) agreementWithdraw(w http.ResponseWriter, r *http.Request) {
	s.agreementAction(w, r, topError, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error) {
		a, err := agreement.Withdraw(ctx, tx, sc.Tenant.ID, a.ID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Version %d withdrawn: it is a draft again and can't be accepted until you send it again.", a.Version), nil
	})
}

// agreementRecord records a version signed elsewhere; the partner may then
// turn active (onboarding).
func (s *Server) agreementRecord(w http.ResponseWriter, r *http.Request) {
	kept := func(err error) tabKept {
		if fe := apperr.FieldErrors(err); fe["signed_by"] != "" {
			return tabKept{Record: view.RecordAgreementForm{Form: formErrors(err), SignedBy: r.PostForm.Get("signed_by")}}
		}
		return topError(err)
	}
	s.agreementAction(w, r, kept, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error) {
		actor := audit.ActorFrom(ctx).UserID
		a, err := agreement.Record(ctx, tx, sc.Tenant.ID, a.ID, actor, r.PostForm.Get("signed_by"), s.now())
		if err != nil {
			return "", err
		}
		activated, err := onboarding.MaybeActivate(ctx, tx, sc.Tenant.ID, p.ID, actor)
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("Version %d recorded as signed by %s; it is now in force.", a.Version, a.AcceptedName)
		if activated {
			msg += " " + p.Name + " is now an active partner."
		}
		return msg, nil
	})
}

// agreementTerminate ends the active version on a day, with a reason.
func (s *Server) agreementTerminate(w http.ResponseWriter, r *http.Request) {
	kept := func(err error) tabKept {
		if len(apperr.FieldErrors(err)) > 0 {
			return tabKept{Terminate: view.TerminateAgreementForm{Form: formErrors(err), EndedOn: r.PostForm.Get("ended_on"),
				Reason: r.PostForm.Get("reason")}}
		}
		return topError(err)
	}
	s.agreementAction(w, r, kept, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error) {
		on, ok := agreement.ParseDate(r.PostForm.Get("ended_on"))
		if !ok {
			return "", apperr.Invalid(map[string]string{"ended_on": "Enter the last day in force, like 2026-12-31."})
		}
		a, err := agreement.Terminate(ctx, tx, sc.Tenant.ID, a.ID, on, r.PostForm.Get("reason"), s.now())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Version %d terminated; its last day in force is %s.", a.Version, a.EffectiveTo.Format(agreement.DateFormat)), nil
	})
}

// agreementDelete discards a draft.
func (s *Server) agreementDelete(w http.ResponseWriter, r *http.Request) {
	s.agreementAction(w, r, topError, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (string, error) {
		if err := agreement.DeleteDraft(ctx, tx, sc.Tenant.ID, a.ID); err != nil {
			return "", err
		}
		return fmt.Sprintf("Draft version %d deleted.", a.Version), nil
	})
}

// ---- version and diff ----

// agreementVersion shows one version in full.
func (s *Server) agreementVersion(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d view.AgreementVersionProps
	p, _, err := s.inAgreement(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, a agreement.Agreement) (err error) {
		if d.Header, err = agreementHeader(ctx, tx, sc, p, agreement.Day(s.now())); err != nil {
			return err
		}
		d.Base = agreementsPath(sc, p.ID)
		d.Doc = agreementDocOf(sc, a)
		d.Note = a.ChangeNote
		if a.EndedReason != "" {
			d.Ended = a.EndedReason
		}
		if a.Version > 1 {
			d.DiffURL = d.Base + "/" + a.ID.String() + "/diff"
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.AgreementVersionPage(s.page(r, p.Name, "partners"), d))
}

// agreementDiff compares version {aid} with ?from= (another version of the
// same partner; the previous version by default).
func (s *Server) agreementDiff(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d view.AgreementDiffProps
	p, _, err := s.inAgreement(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, to agreement.Agreement) (err error) {
		if d.Header, err = agreementHeader(ctx, tx, sc, p, agreement.Day(s.now())); err != nil {
			return err
		}
		versions, err := agreement.ListForPartner(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		var from *agreement.Agreement
		fromID := r.URL.Query().Get("from")
		if toID := r.URL.Query().Get("to"); toID != "" && toID != to.ID.String() {
			// The version picker submits both; follow the chosen "to".
			for i := range versions {
				if versions[i].ID.String() == toID {
					to = versions[i]
				}
			}
		}
		for i := range versions {
			v := &versions[i]
			if (fromID != "" && v.ID.String() == fromID) || (fromID == "" && v.Version < to.Version && (from == nil || v.Version > from.Version)) {
				from = v
			}
		}
		if from == nil {
			return apperr.NotFound("Earlier version")
		}
		d.Base = agreementsPath(sc, p.ID)
		d.Action = d.Base + "/" + to.ID.String() + "/diff"
		d.FromID, d.ToID = from.ID.String(), to.ID.String()
		d.FromName, d.ToName = "Version "+strconv.Itoa(from.Version), "Version "+strconv.Itoa(to.Version)
		for _, v := range versions {
			d.Versions = append(d.Versions, view.Option{Value: v.ID.String(),
				Label: fmt.Sprintf("Version %d (%s)", v.Version, strings.ToLower(v.Status.Label()))})
		}
		for _, c := range agreement.Diff(*from, to) {
			d.Changes = append(d.Changes, view.AgreementChange{Field: c.Field, From: c.From, To: c.To})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.AgreementDiffPage(s.page(r, p.Name, "partners"), d))
}

// ---- the firm-wide list ----

// agreementList lists every partner's agreements with a status filter and
// "ending in the next 30 days".
func (s *Server) agreementList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	today := agreement.Day(s.now())
	f := agreementFilter(r.URL.Query(), today)
	var rows []agreement.Agreement
	counts := map[agreement.Status]int{}
	expiring := 0
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if rows, err = agreement.List(ctx, tx, sc.Tenant.ID, f); err != nil {
			return err
		}
		all, err := agreement.List(ctx, tx, sc.Tenant.ID, agreement.Filter{})
		if err != nil {
			return err
		}
		for _, a := range all {
			counts[a.Status]++
		}
		exp, err := agreement.Expiring(ctx, tx, sc.Tenant.ID, today, 30)
		expiring = len(exp)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/agreements"
	d := view.AgreementListProps{Base: base, Q: f.Q, Status: f.Status, Expiring: f.ExpiringWithinDays > 0,
		ExportURL: withQuery(base+"/export.csv", agreementFilterValues(f))}
	for _, st := range agreement.Statuses {
		d.Statuses = append(d.Statuses, view.Option{Value: string(st), Label: st.Label()})
	}
	for _, st := range []agreement.Status{agreement.StatusActive, agreement.StatusSent, agreement.StatusDraft, agreement.StatusExpired} {
		d.Counts = append(d.Counts, view.AgreementCount{Label: st.Label(), Count: counts[st], URL: base + "?status=" + string(st)})
	}
	d.Counts = append(d.Counts, view.AgreementCount{Label: "Ending in 30 days", Count: expiring, URL: base + "?expiring=1"})
	for _, a := range rows {
		row := view.AgreementListRow{ID: a.ID.String(), PartnerID: a.PartnerID.String(), PartnerName: a.PartnerName,
			Version: a.Version, Status: string(a.Status), StatusLabel: a.Status.Label(), Model: agreement.ModelLabels[a.Model],
			InForce: versionDates(a), URL: agreementsPath(sc, a.PartnerID)}
		if a.EffectiveTo != nil {
			row.Ends = a.EffectiveTo.Format(agreement.DateFormat)
			row.Expiring = a.Status == agreement.StatusActive && !a.EffectiveTo.Before(today) && !a.EffectiveTo.After(today.AddDate(0, 0, 30))
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, view.AgreementListPage(s.page(r, "Agreements", "agreements"), d))
}

// agreementFilter reads the list's filters: q, status, expiring (the
// renewals due: active agreements ending in the next 30 days).
func agreementFilter(q url.Values, today time.Time) agreement.Filter {
	f := agreement.Filter{Q: q.Get("q"), Today: today}
	if st := q.Get("status"); slices.Contains(agreement.Statuses, agreement.Status(st)) {
		f.Status = st
	}
	if q.Get("expiring") != "" {
		f.ExpiringWithinDays = 30
	}
	return f
}

// agreementFilterValues is the URL of the filters in force.
func agreementFilterValues(f agreement.Filter) url.Values {
	v := url.Values{}
	if f.Q != "" {
		v.Set("q", f.Q)
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.ExpiringWithinDays > 0 {
		v.Set("expiring", "1")
	}
	return v
}

// agreementExportHeader are the columns of the agreements export.
var agreementExportHeader = []string{"partner", "version", "status", "model", "title", "effective from", "effective to",
	"auto renew", "renewal months", "notice days", "sent", "accepted"}

// agreementExport downloads the agreements the list shows, its filters
// (renewals due included), as CSV.
func (s *Server) agreementExport(w http.ResponseWriter, r *http.Request) {
	f := agreementFilter(r.URL.Query(), agreement.Day(s.now()))
	s.exportCSV(w, r, "agreements", agreementExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		rows, err := agreement.List(ctx, tx, sc.Tenant.ID, f)
		if err != nil {
			return err
		}
		for _, a := range rows {
			to := ""
			if a.EffectiveTo != nil {
				to = a.EffectiveTo.Format(time.DateOnly)
			}
			if err := write(a.PartnerName, strconv.Itoa(a.Version), a.Status.Label(), agreement.ModelLabels[a.Model], a.Title,
				a.EffectiveFrom.Format(time.DateOnly), to, strconv.FormatBool(a.AutoRenew), strconv.Itoa(a.RenewalMonths),
				strconv.Itoa(a.TerminationNoticeDays), exportTime(a.SentAt), exportTime(a.AcceptedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}
