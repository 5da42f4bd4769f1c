package server

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// portalTeamRoutes are a partner firm's own team in the portal. Everyone
// sees it; partner admins invite, revoke and remove — within their own
// partner only: the transactions are partner-scoped (Row-Level Security)
// and every store call names the partner too, so another partner's ids are
// simply not found.
func (s *Server) portalTeamRoutes(r chi.Router) {
	r.Route("/team", func(r chi.Router) {
		r.Get("/", s.showPortalTeam)
		r.Group(func(r chi.Router) {
			r.Use(s.requireCap(auth.ManagePortalTeam))
			r.Post("/invitations", s.createPortalTeamInvitation)
			r.Post("/invitations/{id}/revoke", s.revokePortalTeamInvitation)
			r.Post("/members/{user}/remove", s.removePortalTeamMember)
		})
	})
}

func portalTeamPath(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug + "/team" }

// showPortalTeam lists the partner's portal users and open invitations.
func (s *Server) showPortalTeam(w http.ResponseWriter, r *http.Request) {
	s.renderPortalTeam(w, r, http.StatusOK, view.PortalInviteForm{Role: string(auth.RolePartnerMember)}, "")
}

// renderPortalTeam loads the lists and draws the page with the invite form
// and an error message (when not empty).
func (s *Server) renderPortalTeam(w http.ResponseWriter, r *http.Request, status int, form view.PortalInviteForm, errMsg string) {
	ctx := r.Context()
	var users []tenant.PortalMember
	var invites []tenant.Invitation
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if users, err = tenant.ListPortal(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		invites, err = tenant.ListInvitations(ctx, tx, pc.Tenant.ID, "portal", pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	canManage := pc.Member.Role.Can(auth.ManagePortalTeam)
	d := view.PortalTeamProps{Base: "/p/" + pc.Tenant.Slug, FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName,
		CanManage: canManage, Invite: form}
	d.Invite.Roles = portalRoleOptions()
	for _, u := range users {
		me := u.UserID == pc.Member.UserID
		d.Users = append(d.Users, view.PortalUserRow{ID: u.UserID.String(), Name: u.Name, Email: u.Email,
			Role: string(u.Role), IsMe: me, CanRemove: canManage && !me})
	}
	for _, i := range invites {
		d.Invites = append(d.Invites, inviteRow(i, canManage))
	}
	page := s.page(r, "Your team", "team")
	if errMsg != "" {
		page.Flash = &view.Flash{Kind: "error", Message: errMsg}
	}
	s.render(w, r, status, view.PortalTeamPage(page, d))
}

// portalTeamFail re-shows the page after a failed change: field errors on
// the form (422), other messages a person can act on at the top; not-found
// and internal errors go to fail.
func (s *Server) portalTeamFail(w http.ResponseWriter, r *http.Request, form view.PortalInviteForm, err error) {
	code := apperr.Code(err)
	if code == apperr.ENotFound || code == apperr.EInternal {
		s.fail(w, r, err)
		return
	}
	msg := ""
	if len(apperr.FieldErrors(err)) > 0 {
		form.Form = formErrors(err)
	} else {
		msg = apperr.Message(err)
	}
	s.renderPortalTeam(w, r, statusFor(code), form, msg)
}

// createPortalTeamInvitation lets a partner admin invite a colleague to
// their own partner's portal team.
func (s *Server) createPortalTeamInvitation(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	form := view.PortalInviteForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role")}
	fields := map[string]string{}
	email, err := identity.NormalizeEmail(form.Email)
	if err != nil {
		fields["email"] = "Enter an email address like name@yourfirm.com."
	}
	role, err := auth.ParsePortalRole(form.Role)
	if err != nil {
		fields["role"] = "Choose a role."
	}
	if len(fields) > 0 {
		s.portalTeamFail(w, r, form, apperr.Invalid(fields))
		return
	}
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		// Partner-scoped: only this partner's users are visible, so the
		// check never reveals another partner's people.
		if err := checkPortalInvitee(r, tx, pc.Tenant.ID, email, pc.Member.PartnerID); err != nil {
			return err
		}
		return s.invite(r, tx, pc.Tenant, tenant.NewInvitation{Email: email, Kind: "portal", Role: role,
			PartnerID: pc.Member.PartnerID}, pc.Member.PartnerName)
	})
	if err != nil {
		s.portalTeamFail(w, r, form, err)
		return
	}
	s.flash(r, "success", "Invitation sent to "+email+".")
	redirect(w, r, portalTeamPath(portalFrom(ctx)))
}

// revokePortalTeamInvitation stops one of the partner's open invitations.
func (s *Server) revokePortalTeamInvitation(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var inv tenant.Invitation
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if inv, err = tenant.RevokeInvitation(ctx, tx, pc.Tenant.ID, id, pc.Member.PartnerID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, pc.Tenant.ID, "invitation.revoked", "invitation", inv.ID.String(),
			map[string]any{"email": inv.Email, "kind": inv.Kind, "role": inv.Role, "partner_id": pc.Member.PartnerID.String()})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The invitation for "+inv.Email+" was revoked; its link no longer works.")
	redirect(w, r, portalTeamPath(portalFrom(ctx)))
}

// removePortalTeamMember takes a colleague's portal access away; not your
// own (another partner admin can).
func (s *Server) removePortalTeamMember(w http.ResponseWriter, r *http.Request) {
	userID, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var m tenant.PortalMember
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if m, err = tenant.PortalUser(ctx, tx, pc.Tenant.ID, userID, pc.Member.PartnerID); err != nil {
			return err
		}
		if m.UserID == pc.Member.UserID {
			return apperr.Errorf(apperr.EConflict, "You can't remove yourself. Ask another partner admin of %s.", pc.Member.PartnerName)
		}
		if err := tenant.RemovePortal(ctx, tx, pc.Tenant.ID, userID, pc.Member.PartnerID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, pc.Tenant.ID, "portal_user.removed", "user", userID.String(),
			map[string]any{"email": m.Email, "role": m.Role, "partner_id": m.PartnerID.String(), "partner": m.PartnerName})
	})
	if err != nil {
		s.portalTeamFail(w, r, view.PortalInviteForm{Role: string(auth.RolePartnerMember)}, err)
		return
	}
	s.flash(r, "success", m.Name+" no longer has portal access.")
	redirect(w, r, portalTeamPath(portalFrom(ctx)))
}
