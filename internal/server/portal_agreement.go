package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/web/view"
)

// portalAgreementRoutes are the partner's agreement in the portal. Every
// portal user reads it (the versions sent to the partner: never a draft)
// and downloads or prints it; a partner admin accepts or declines the
// version sent for acceptance. Another partner's or firm's version is not
// found.
func (s *Server) portalAgreementRoutes(r chi.Router) {
	r.Route("/agreement", func(r chi.Router) {
		r.Get("/", s.showPortalAgreement)
		r.Get("/{aid}/mou.pdf", s.portalAgreementPDF("mou"))
		r.Get("/{aid}/full.pdf", s.portalAgreementPDF("full"))
		r.Get("/{aid}/print", s.portalAgreementPrint)
		r.Post("/{aid}/accept", s.acceptPortalAgreement)
		r.Post("/{aid}/decline", s.declinePortalAgreement)
	})
}

// acceptFields are the fields of the acceptance form.
var acceptFields = []string{"name", "accept"}

func portalAgreementPath(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug + "/agreement" }

// portalVersion returns the {aid} version if the partner may see it: its
// own, and sent to it at some point (not a draft). ENotFound otherwise.
func portalVersion(ctx context.Context, tx pgx.Tx, pc *portalCtx, id uuid.UUID) (agreement.Agreement, error) {
	a, err := partnerVersion(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, id)
	if err != nil {
		return a, err
	}
	if a.Status == agreement.StatusDraft {
		return agreement.Agreement{}, apperr.NotFound("Agreement")
	}
	return a, nil
}

// loadPortalVersion resolves {aid} in the portal's own scope (the
// partner's rows only). withdrawn also finds a version the firm withdrew
// to change it (a draft again), so an answer to it gets a clear "withdrawn"
// rather than "not found"; documents of drafts are never shown.
func (s *Server) loadPortalVersion(r *http.Request, withdrawn bool) (agreement.Agreement, error) {
	var a agreement.Agreement
	id, err := idParam(r, "aid")
	if err != nil {
		return a, err
	}
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if withdrawn {
			a, err = partnerVersion(r.Context(), tx, pc.Tenant.ID, pc.Member.PartnerID, id)
		} else {
			a, err = portalVersion(r.Context(), tx, pc, id)
		}
		return err
	})
	return a, err
}

func (s *Server) portalAgreementPDF(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.loadPortalVersion(r, false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pc := portalFrom(r.Context())
		s.writeAgreementPDF(w, r, a, kind, pc.Tenant.Name, pc.Member.PartnerName)
	}
}

func (s *Server) portalAgreementPrint(w http.ResponseWriter, r *http.Request) {
	a, err := s.loadPortalVersion(r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(r.Context())
	base := portalAgreementPath(pc)
	s.renderAgreementPrint(w, r, a, pc.Tenant.Name, pc.Member.PartnerName, base+"/"+a.ID.String(), base)
}

// showPortalAgreement is the Agreement page.
func (s *Server) showPortalAgreement(w http.ResponseWriter, r *http.Request) {
	s.renderPortalAgreement(w, r, http.StatusOK, nil, "")
}

// renderPortalAgreement draws the page; edit fills in a re-shown form and
// errMsg, when set, is shown at the top.
func (s *Server) renderPortalAgreement(w http.ResponseWriter, r *http.Request, status int, edit func(*view.PortalAgreementProps), errMsg string) {
	ctx := r.Context()
	var versions []agreement.Agreement
	var admins []agreement.Recipient
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if versions, err = agreement.ListForPartner(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		admins, err = agreement.PortalAdmins(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	base := portalAgreementPath(pc)
	d := view.PortalAgreementProps{Base: "/p/" + pc.Tenant.Slug, FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName,
		CanAccept: pc.Member.Role == auth.RolePartnerAdmin}
	for _, adm := range admins {
		d.Admins = append(d.Admins, adm.Name)
	}
	for _, a := range versions {
		doc := agreementDoc(a, pc.Tenant.Name, pc.Member.PartnerName, base+"/"+a.ID.String())
		switch a.Status {
		case agreement.StatusDraft:
			// Not the partner's to see until it is sent.
		case agreement.StatusSent:
			d.Pending = &doc
		case agreement.StatusActive:
			d.Current = &doc
		default:
			d.History = append(d.History, doc)
		}
	}
	if edit != nil {
		edit(&d)
	}
	page := s.page(r, "Your agreement with "+pc.Tenant.Name, "agreement")
	if errMsg != "" {
		page.Flash = &view.Flash{Kind: "error", Message: errMsg}
	}
	s.render(w, r, status, view.PortalAgreementPage(page, d))
}

// requirePortalAdmin refuses partner members an answer on the agreement
// (403, explained). Called after the version is resolved, so another
// partner's id is still simply not found.
func (s *Server) requirePortalAdmin(w http.ResponseWriter, r *http.Request) bool {
	pc := portalFrom(r.Context())
	if pc.Member.Role == auth.RolePartnerAdmin {
		return true
	}
	s.renderError(w, r, http.StatusForbidden, "Only a partner admin of "+pc.Member.PartnerName+
		" can accept or decline the agreement, because it binds "+pc.Member.PartnerName+". Ask one of your partner admins.")
	return false
}

// answerFail re-shows the page after a refused answer: errors about the
// form's own fields on the form (422); anything else — a version accepted,
// declined, withdrawn or superseded meanwhile (409), terms the firm's
// policy now refuses (422) — as a message at the top; not found and
// internal errors as usual.
func (s *Server) answerFail(w http.ResponseWriter, r *http.Request, err error, formFields []string, edit func(*view.PortalAgreementProps, view.Form)) {
	code := apperr.Code(err)
	onForm := false
	for k := range apperr.FieldErrors(err) {
		onForm = onForm || slices.Contains(formFields, k)
	}
	switch {
	case code == apperr.EInvalid && onForm:
		s.renderPortalAgreement(w, r, http.StatusUnprocessableEntity, func(d *view.PortalAgreementProps) {
			if d.Pending != nil {
				edit(d, formErrors(err))
			}
		}, "")
	case code == apperr.EConflict || code == apperr.EInvalid:
		s.renderPortalAgreement(w, r, statusFor(code), nil, apperr.Message(err))
	default:
		s.fail(w, r, err)
	}
}

// acceptPortalAgreement records a partner admin's acceptance of the sent
// version: the name typed, the time and the IP the server sees. In the same
// transaction the partner becomes active if its onboarding is complete, and
// the firm's people for the partner are emailed. Accepting twice, or a
// version declined, withdrawn or superseded meanwhile, is refused with a
// message and writes nothing.
func (s *Server) acceptPortalAgreement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.loadPortalVersion(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.requirePortalAdmin(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	form := view.AcceptAgreementForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Checked: r.PostForm.Get("accept") != ""}
	keep := func(d *view.PortalAgreementProps, f view.Form) { d.Accept = form; d.Accept.Form = f }
	fields := map[string]string{}
	if form.Name == "" {
		fields["name"] = "Type your full name to accept the agreement."
	}
	if !form.Checked {
		fields["accept"] = "Tick the box to confirm you have read and accept the agreement."
	}
	if len(fields) > 0 {
		s.answerFail(w, r, apperr.Invalid(fields), acceptFields, keep)
		return
	}
	pc := portalFrom(ctx)
	u := userFrom(ctx)
	now := s.now()
	var activated bool
	// A firm-scoped transaction, not the portal's: activation writes the
	// partner's lifecycle history, which portal transactions may not touch.
	// The version is checked to be this partner's again inside it.
	err = s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) error {
		if _, err := partnerVersion(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, a.ID); err != nil {
			return err
		}
		var err error
		if a, err = agreement.Accept(ctx, tx, pc.Tenant.ID, a.ID, u.ID, form.Name, clientIP(r), now); err != nil {
			return err
		}
		if activated, err = onboarding.MaybeActivate(ctx, tx, pc.Tenant.ID, a.PartnerID, u.ID); err != nil {
			return err
		}
		return s.tellFirmAboutAnswer(ctx, tx, pc, a, u.Email, activated)
	})
	if err != nil {
		s.answerFail(w, r, err, acceptFields, keep)
		return
	}
	msg := fmt.Sprintf("You accepted version %d of the agreement. %s has been told.", a.Version, pc.Tenant.Name)
	if activated {
		msg += " " + pc.Member.PartnerName + " is now an active partner."
	}
	s.flash(r, "success", msg)
	redirect(w, r, portalAgreementPath(pc))
}

// declinePortalAgreement records a partner admin's refusal with a reason;
// the firm's people for the partner are emailed.
func (s *Server) declinePortalAgreement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.loadPortalVersion(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.requirePortalAdmin(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	form := view.DeclineAgreementForm{Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	keep := func(d *view.PortalAgreementProps, f view.Form) { d.Decline = form; d.Decline.Form = f }
	pc := portalFrom(ctx)
	u := userFrom(ctx)
	err = s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) error {
		if _, err := partnerVersion(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, a.ID); err != nil {
			return err
		}
		var err error
		if a, err = agreement.Decline(ctx, tx, pc.Tenant.ID, a.ID, u.ID, form.Reason, s.now()); err != nil {
			return err
		}
		return s.tellFirmAboutAnswer(ctx, tx, pc, a, u.Email, false)
	})
	if err != nil {
		s.answerFail(w, r, err, []string{"reason"}, keep)
		return
	}
	s.flash(r, "success", fmt.Sprintf("You declined version %d of the agreement. %s has your reason and can send new terms.",
		a.Version, pc.Tenant.Name))
	redirect(w, r, portalAgreementPath(pc))
}

// tellFirmAboutAnswer emails who drafted the version and the partner's
// owner (or the firm's owners and admins) that the partner accepted or
// declined it.
func (s *Server) tellFirmAboutAnswer(ctx context.Context, tx pgx.Tx, pc *portalCtx, a agreement.Agreement, byEmail string, activated bool) error {
	var also []uuid.UUID
	if a.CreatedBy != nil {
		also = append(also, *a.CreatedBy)
	}
	if a.SentBy != nil {
		also = append(also, *a.SentBy)
	}
	to, err := agreement.FirmContacts(ctx, tx, pc.Tenant.ID, a.PartnerID, also...)
	if err != nil {
		return err
	}
	link := s.Config.BaseURL + "/t/" + pc.Tenant.Slug + "/partners/" + a.PartnerID.String() + "/agreements"
	var subject string
	var b strings.Builder
	if a.Status == agreement.StatusDeclined {
		subject = fmt.Sprintf("%s declined version %d of the agreement", a.PartnerName, a.Version)
		fmt.Fprintf(&b, "%s (%s) declined version %d of the agreement with %s.\n\nTheir reason:\n%s\n\n",
			userFrom(ctx).Name, byEmail, a.Version, a.PartnerName, a.DeclinedReason)
		b.WriteString("You can draft a new version with changed terms and send it to them.\n")
	} else {
		subject = fmt.Sprintf("%s accepted version %d of the agreement", a.PartnerName, a.Version)
		fmt.Fprintf(&b, "%s (%s) accepted version %d of the agreement with %s.\n%s\n\n%s\n",
			a.AcceptedName, byEmail, a.Version, a.PartnerName, agreement.AcceptanceText(a), inForceLine(a))
		if activated {
			fmt.Fprintf(&b, "%s's onboarding was complete, so %s is now an active partner.\n", a.PartnerName, a.PartnerName)
		} else if rd, err := onboarding.LoadReadiness(ctx, tx, pc.Tenant.ID, a.PartnerID); err != nil {
			return err
		} else if rd.Status == "onboarding" {
			fmt.Fprintf(&b, "%s becomes active once its onboarding checklist is complete (%d of %d steps done).\n",
				a.PartnerName, rd.Done, rd.Total)
		}
	}
	fmt.Fprintf(&b, "\nOpen the agreement: %s\n", link)
	for _, r := range to {
		if _, err := s.Outbox.Send(ctx, tx, notify.Email{To: r.Email, Subject: subject,
			Text: "Hello " + r.Name + ",\n\n" + b.String()}); err != nil {
			return err
		}
	}
	return nil
}
