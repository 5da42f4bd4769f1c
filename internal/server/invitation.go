package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// invitationRoutes are the public invitation links. Anyone with the link
// may open it; only the invited email can accept it.
func (s *Server) invitationRoutes(r chi.Router) {
	r.Get("/invitations/{tenant}/{token}", s.showInvitation)
	r.Post("/invitations/{tenant}/{token}", s.acceptInvitation)
}

// openInvitation finds the firm and the open invitation a link is for. An
// unknown firm answers like a bad token: tenant.ErrInviteInvalid.
func (s *Server) openInvitation(r *http.Request) (tenant.Tenant, tenant.Invitation, error) {
	ctx := r.Context()
	var t tenant.Tenant
	var inv tenant.Invitation
	err := s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
		t, err = tenant.BySlug(ctx, tx, chi.URLParam(r, "tenant"))
		return err
	})
	if apperr.Code(err) == apperr.ENotFound {
		return t, inv, tenant.ErrInviteInvalid
	}
	if err != nil {
		return t, inv, err
	}
	err = s.DB.InTenant(ctx, t.ID, func(tx pgx.Tx) (err error) {
		inv, err = tenant.InvitationByToken(ctx, tx, t.ID, chi.URLParam(r, "token"))
		return err
	})
	return t, inv, err
}

// invitationFail answers an invitation link that no longer works with 404
// and the one message for every such case; other errors go to fail.
func (s *Server) invitationFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, tenant.ErrInviteInvalid) {
		s.renderError(w, r, http.StatusNotFound, tenant.ErrInviteInvalid.Message)
		return
	}
	s.fail(w, r, err)
}

// invitationProps decides what the person opening the link can do: accept
// (signed in as the invited email), sign out (signed in as someone else),
// sign in (the email has an account) or create an account.
func (s *Server) invitationProps(r *http.Request, t tenant.Tenant, inv tenant.Invitation) (view.InvitationProps, error) {
	ctx := r.Context()
	d := view.InvitationProps{Action: r.URL.Path, FirmName: t.Name, Role: string(inv.Role), Email: inv.Email,
		InvitedBy: inv.InvitedBy, Expires: inv.ExpiresAt.Format("2 Jan 2006")}
	if inv.Kind == "portal" {
		d.PartnerName = inv.PartnerName
	}
	if me := userFrom(ctx); me != nil {
		d.State = view.InviteAccept
		if me.Email != inv.Email {
			d.State, d.SignedInAs = view.InviteOtherUser, me.Email
		}
		return d, nil
	}
	err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		_, err := identity.UserByEmail(ctx, tx, inv.Email)
		return err
	})
	switch apperr.Code(err) {
	case "":
		d.State, d.LoginURL = view.InviteSignIn, "/login?next="+url.QueryEscape(r.URL.Path)
	case apperr.ENotFound:
		d.State = view.InviteCreate
	default:
		return d, err
	}
	return d, nil
}

func invitationTitle(t tenant.Tenant, inv tenant.Invitation) string {
	if inv.Kind == "portal" {
		return "Join " + t.Name + "'s partner portal"
	}
	return "Join " + t.Name
}

// invitationLanding is where a person goes after accepting.
func invitationLanding(t tenant.Tenant, inv tenant.Invitation) string {
	if inv.Kind == "portal" {
		return "/p/" + t.Slug
	}
	return "/t/" + t.Slug
}

// showInvitation shows an invitation link's page.
func (s *Server) showInvitation(w http.ResponseWriter, r *http.Request) {
	t, inv, err := s.openInvitation(r)
	if err != nil {
		s.invitationFail(w, r, err)
		return
	}
	d, err := s.invitationProps(r, t, inv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.InvitationPage(s.page(r, invitationTitle(t, inv), ""), d))
}

// acceptInvitation spends the invitation: for the signed-in invited person,
// or for a newcomer together with creating their account (one transaction,
// so a failed acceptance leaves no account behind), who is then signed in.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	t, inv, err := s.openInvitation(r)
	if err != nil {
		s.invitationFail(w, r, err)
		return
	}
	d, err := s.invitationProps(r, t, inv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	again := func(status int, err error) {
		if err != nil {
			d.Form = view.Form{Errors: view.FieldErrors(apperr.FieldErrors(err))}
			if d.State != view.InviteCreate || len(d.Form.Errors) == 0 {
				// The accept page has no fields: say it at the top.
				d.Form = view.Form{NonField: []string{apperr.Message(err)}}
			}
		}
		s.render(w, r, status, view.InvitationPage(s.page(r, invitationTitle(t, inv), ""), d))
	}
	token := chi.URLParam(r, "token")
	switch d.State {
	case view.InviteOtherUser:
		again(http.StatusForbidden, nil)
		return
	case view.InviteSignIn:
		again(http.StatusConflict, nil)
		return
	case view.InviteAccept:
		me := userFrom(ctx)
		err := s.DB.InTenant(ctx, t.ID, func(tx pgx.Tx) error {
			if inv.Kind == "staff" {
				// Accepting would overwrite the role of someone already on
				// the staff (AddStaff upserts), even the last owner's.
				if _, err := tenant.StaffRole(ctx, tx, t.ID, me.ID); err == nil {
					return apperr.Errorf(apperr.EConflict, "You already are on %s's staff.", t.Name)
				} else if apperr.Code(err) != apperr.ENotFound {
					return err
				}
			}
			return acceptAndRecord(r, tx, t, token, me.ID)
		})
		if errors.Is(err, tenant.ErrInviteInvalid) {
			s.invitationFail(w, r, err)
			return
		}
		if code := apperr.Code(err); code == apperr.EConflict {
			again(http.StatusConflict, err)
			return
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.refreshChoices(r, me.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.flash(r, "success", "Welcome to "+t.Name+".")
		redirect(w, r, invitationLanding(t, inv))
		return
	}

	// A newcomer: name and password, then the account and the membership.
	d.Name = strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	fields := map[string]string{}
	if d.Name == "" {
		fields["name"] = "Enter your name."
	} else if len(d.Name) > 200 {
		fields["name"] = "Keep your name under 200 characters."
	}
	if err := auth.ValidateNewPassword(password, inv.Email, d.Name); err != nil {
		var pe *auth.PasswordError
		if errors.As(err, &pe) {
			fields["password"] = pe.Message
		} else {
			fields["password"] = "Choose another password."
		}
	}
	if len(fields) > 0 {
		again(http.StatusUnprocessableEntity, apperr.Invalid(fields))
		return
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		again(http.StatusServiceUnavailable, apperr.Errorf(apperr.EUnavailable, "We're busy; try again in a moment."))
		return
	}
	var u identity.User
	err = s.DB.InTenant(ctx, t.ID, func(tx pgx.Tx) (err error) {
		if u, err = identity.CreateUser(ctx, tx, inv.Email, d.Name, hash); err != nil {
			return err
		}
		return acceptAndRecord(r, tx, t, token, u.ID)
	})
	switch {
	case errors.Is(err, tenant.ErrInviteInvalid):
		s.invitationFail(w, r, err)
		return
	case apperr.Code(err) == apperr.EConflict && apperr.FieldErrors(err)["email"] != "":
		// Someone made the account meanwhile: sign in to accept.
		d.State, d.LoginURL = view.InviteSignIn, "/login?next="+url.QueryEscape(r.URL.Path)
		again(http.StatusConflict, nil)
		return
	case apperr.Code(err) == apperr.EConflict:
		again(http.StatusConflict, err)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Welcome to "+t.Name+".")
	to, err := s.startSession(w, r, u, invitationLanding(t, inv))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, to)
}

// acceptAndRecord spends the invitation for the person and records it as
// their own act.
func acceptAndRecord(r *http.Request, tx pgx.Tx, t tenant.Tenant, token string, userID uuid.UUID) error {
	ctx := audit.WithActor(r.Context(), withUser(audit.ActorFrom(r.Context()), userID))
	inv, err := tenant.AcceptInvitation(ctx, tx, t.ID, token, userID)
	if err != nil {
		return err
	}
	detail := map[string]any{"email": inv.Email, "kind": inv.Kind, "role": inv.Role}
	if inv.Kind == "portal" {
		detail["partner_id"] = inv.PartnerID.String()
	}
	return audit.Record(ctx, tx, t.ID, "invitation.accepted", "invitation", inv.ID.String(), detail)
}

// refreshChoices notes whether the person now belongs to more than one
// place, for the header's "Switch" link.
func (s *Server) refreshChoices(r *http.Request, userID uuid.UUID) error {
	ctx := r.Context()
	var places []tenant.Workplace
	err := s.DB.AsUser(ctx, userID, func(tx pgx.Tx) (err error) {
		places, err = tenant.Workplaces(ctx, tx, userID)
		return err
	})
	if err == nil {
		s.sessions.Put(ctx, "has_choices", len(places) > 1)
	}
	return err
}

// invitationEmail is the message with the link. The token is in it and
// nowhere else (only its hash is stored).
func invitationEmail(baseURL string, t tenant.Tenant, inv tenant.Invitation, token, inviter, partnerName string) notify.Email {
	link := baseURL + "/invitations/" + url.PathEscape(t.Slug) + "/" + url.PathEscape(token)
	where := t.Name
	subject := inviter + " invited you to " + t.Name + " on Allyway"
	if inv.Kind == "portal" {
		where = t.Name + "'s partner portal for " + partnerName
		subject = inviter + " invited you to " + where
	}
	days := int(tenant.InviteTTL.Hours() / 24)
	text := fmt.Sprintf(`Hello,

%s invited you to join %s on Allyway as %s.
%s

Accept the invitation:
%s

The link works once and expires in %d days (on %s). If you weren't expecting
this invitation, you can ignore this email.

— Allyway, partner relationship management
`, inviter, where, view.RoleLabel(string(inv.Role)), view.RoleDescription(string(inv.Role)),
		link, days, inv.ExpiresAt.UTC().Format("2 January 2006"))
	return notify.Email{To: inv.Email, Subject: oneLine(subject), Text: text}
}

// oneLine keeps a header value on one line whatever names it is made of.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
