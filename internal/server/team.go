package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// teamRoutes are the firm's team pages under /t/{tenant}/settings (already
// limited to ManageSettings): staff, partner-portal users and invitations.
//
// Removing a member or changing their role does not end their sessions:
// a session is the person's, across every firm they belong to, and their
// other firms' sessions must survive. staffArea reads the membership on
// every request, so the change takes effect on their next request (a
// removed member gets 404 from then on).
func (s *Server) teamRoutes(r chi.Router) {
	r.Route("/team", func(r chi.Router) {
		r.Use(s.requireCap(auth.ManageTeam))
		r.Get("/", s.showTeam)
		r.Post("/invitations", s.createStaffInvitation)
		r.Post("/portal-invitations", s.createPortalInvitation)
		r.Post("/invitations/{id}/revoke", s.revokeInvitation)
		r.Post("/members/{user}/role", s.changeMemberRole)
		r.Post("/members/{user}/remove", s.removeMember)
		r.Post("/portal-users/{user}/remove", s.removePortalUser)
		r.Get("/export.csv", s.teamExport)
	})
	// audit.go: the audit log's CSV export (the log's page is routed in
	// routes.go; this sits under the same /settings group and capability).
	r.Get("/audit/export.csv", s.auditExport)
}

// teamForms is what the team page shows besides the lists: the two
// invitation forms (with the user's input when re-shown) and an error.
type teamForms struct {
	invite view.StaffInviteForm
	portal view.PortalInviteForm
	err    string // shown as an error message at the top
}

func teamPath(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/settings/team" }

// showTeam lists the staff, the portal users and the open invitations.
func (s *Server) showTeam(w http.ResponseWriter, r *http.Request) {
	f := teamForms{invite: view.StaffInviteForm{Role: string(auth.RoleManager)},
		portal: view.PortalInviteForm{Role: string(auth.RolePartnerMember)}}
	if id, err := uuid.Parse(r.URL.Query().Get("partner")); err == nil {
		f.portal.PartnerID = id.String()
	}
	s.renderTeam(w, r, http.StatusOK, f)
}

// renderTeam loads the lists and draws the team page with the given forms.
func (s *Server) renderTeam(w http.ResponseWriter, r *http.Request, status int, f teamForms) {
	ctx := r.Context()
	var (
		staff    []tenant.Member
		invites  []tenant.Invitation
		portal   []tenant.PortalMember
		pInvites []tenant.Invitation
		partners []partner.Partner
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		id := sc.Tenant.ID
		if staff, err = tenant.ListStaff(ctx, tx, id); err != nil {
			return err
		}
		if invites, err = tenant.ListInvitations(ctx, tx, id, "staff", uuid.Nil); err != nil {
			return err
		}
		if portal, err = tenant.ListPortal(ctx, tx, id, uuid.Nil); err != nil {
			return err
		}
		if pInvites, err = tenant.ListInvitations(ctx, tx, id, "portal", uuid.Nil); err != nil {
			return err
		}
		partners, err = partner.List(ctx, tx, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	me := userFrom(ctx)
	owners := sc.Role.Can(auth.ManageOwners)
	d := view.TeamProps{Base: "/t/" + sc.Tenant.Slug, Invite: f.invite, PortalInvite: f.portal,
		ExportURL: teamPath(sc) + "/export.csv"}

	var memberRoles []view.Option
	for _, role := range auth.StaffRoles() {
		if role != auth.RoleOwner || owners {
			memberRoles = append(memberRoles, view.RoleOption(string(role), false))
		}
	}
	for _, m := range staff {
		row := view.MemberRow{ID: m.UserID.String(), Name: m.Name, Email: m.Email, Role: string(m.Role),
			Has2FA: m.Has2FA, Disabled: m.Disabled, IsMe: m.UserID == me.ID}
		// Only owners touch owners; nobody removes themselves here.
		if m.Role != auth.RoleOwner || owners {
			row.Roles = memberRoles
			row.CanRemove = !row.IsMe
		}
		d.Members = append(d.Members, row)
	}
	for _, i := range invites {
		d.StaffInvites = append(d.StaffInvites, inviteRow(i, true))
	}
	for _, m := range portal {
		if n := len(d.PortalGroups); n == 0 || d.PortalGroups[n-1].PartnerID != m.PartnerID.String() {
			d.PortalGroups = append(d.PortalGroups, view.PortalGroup{PartnerID: m.PartnerID.String(), PartnerName: m.PartnerName})
		}
		g := &d.PortalGroups[len(d.PortalGroups)-1]
		g.Users = append(g.Users, view.PortalUserRow{ID: m.UserID.String(), Name: m.Name, Email: m.Email,
			Role: string(m.Role), IsMe: m.UserID == me.ID, CanRemove: true})
	}
	for _, i := range pInvites {
		d.PortalInvites = append(d.PortalInvites, inviteRow(i, true))
	}

	for _, role := range auth.StaffRoles() {
		if role != auth.RoleOwner || owners {
			d.Invite.Roles = append(d.Invite.Roles, view.RoleOption(string(role), true))
		}
	}
	d.PortalInvite.Roles = portalRoleOptions()
	for _, p := range partners {
		d.PortalInvite.Partners = append(d.PortalInvite.Partners, view.Option{Value: p.ID.String(), Label: p.Name})
	}

	page := s.page(r, "Team", "team")
	if f.err != "" {
		page.Flash = &view.Flash{Kind: "error", Message: f.err}
	}
	s.render(w, r, status, view.TeamPage(page, d))
}

func portalRoleOptions() []view.Option {
	var out []view.Option
	for _, role := range auth.PortalRoles() {
		out = append(out, view.RoleOption(string(role), true))
	}
	return out
}

func inviteRow(i tenant.Invitation, canRevoke bool) view.InviteRow {
	return view.InviteRow{ID: i.ID.String(), Email: i.Email, Role: string(i.Role), PartnerName: i.PartnerName,
		InvitedBy: i.InvitedBy, Expires: i.ExpiresAt.Format("2 Jan 2006"), CanRevoke: canRevoke}
}

// teamForm says which form of the team page was sent.
type teamForm int

const (
	noForm teamForm = iota
	staffForm
	portalForm
)

// teamFail answers a failed change on the team page: a form's field errors
// re-show that form (422, input kept); any other coded error a person can
// act on (409 last owner, 403 owners only, …) re-shows the page with the
// message; not-found and internal errors go to fail.
func (s *Server) teamFail(w http.ResponseWriter, r *http.Request, f teamForms, form teamForm, err error) {
	code := apperr.Code(err)
	switch {
	case code == apperr.ENotFound || code == apperr.EInternal:
		s.fail(w, r, err)
		return
	case form == staffForm && len(apperr.FieldErrors(err)) > 0:
		f.invite.Form = formErrors(err)
	case form == portalForm && len(apperr.FieldErrors(err)) > 0:
		f.portal.Form = formErrors(err)
	default:
		f.err = apperr.Message(err)
	}
	s.renderTeam(w, r, statusFor(code), f)
}

// errOwnersOnly: only an owner makes, changes or removes owners.
var errOwnersOnly = apperr.Errorf(apperr.EForbidden, "Only an owner can make someone an owner or change or remove an owner.")

// createStaffInvitation invites a colleague to the firm's staff and emails
// them the link, in one transaction with its audit entry.
func (s *Server) createStaffInvitation(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	f := teamForms{invite: view.StaffInviteForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role")},
		portal: view.PortalInviteForm{Role: string(auth.RolePartnerMember)}}
	fields := map[string]string{}
	email, err := identity.NormalizeEmail(f.invite.Email)
	if err != nil {
		fields["email"] = "Enter an email address like name@firm.com."
	}
	role, err := auth.ParseStaffRole(f.invite.Role)
	if err != nil {
		fields["role"] = "Choose a role."
	} else if role == auth.RoleOwner && !sc.Role.Can(auth.ManageOwners) {
		fields["role"] = "Only an owner can invite another owner."
	}
	if len(fields) > 0 {
		s.teamFail(w, r, f, staffForm, apperr.Invalid(fields))
		return
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if u, err := identity.UserByEmail(ctx, tx, email); err == nil {
			if _, err := tenant.StaffRole(ctx, tx, sc.Tenant.ID, u.ID); err == nil {
				return apperr.Invalid(map[string]string{"email": u.Name + " (" + email + ") is already on your team."})
			} else if apperr.Code(err) != apperr.ENotFound {
				return err
			}
		} else if apperr.Code(err) != apperr.ENotFound {
			return err
		}
		return s.invite(r, tx, sc.Tenant, tenant.NewInvitation{Email: email, Kind: "staff", Role: role}, "")
	})
	if err != nil {
		s.teamFail(w, r, f, staffForm, err)
		return
	}
	s.flash(r, "success", "Invitation sent to "+email+".")
	redirect(w, r, teamPath(sc))
}

// createPortalInvitation invites a partner firm's person to the portal.
func (s *Server) createPortalInvitation(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	f := teamForms{invite: view.StaffInviteForm{Role: string(auth.RoleManager)},
		portal: view.PortalInviteForm{Email: strings.TrimSpace(r.PostForm.Get("email")),
			PartnerID: r.PostForm.Get("partner_id"), Role: r.PostForm.Get("role")}}
	fields := map[string]string{}
	email, err := identity.NormalizeEmail(f.portal.Email)
	if err != nil {
		fields["email"] = "Enter an email address like name@partnerfirm.com."
	}
	partnerID, err := uuid.Parse(f.portal.PartnerID)
	if err != nil {
		fields["partner_id"] = "Choose the partner firm this person works for."
	}
	role, err := auth.ParsePortalRole(f.portal.Role)
	if err != nil {
		fields["role"] = "Choose a role."
	}
	if len(fields) > 0 {
		s.teamFail(w, r, f, portalForm, apperr.Invalid(fields))
		return
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		p, err := partner.Get(ctx, tx, sc.Tenant.ID, partnerID)
		if apperr.Code(err) == apperr.ENotFound {
			return apperr.Invalid(map[string]string{"partner_id": "Choose the partner firm this person works for."})
		} else if err != nil {
			return err
		}
		if err := checkPortalInvitee(r, tx, sc.Tenant.ID, email, p.ID); err != nil {
			return err
		}
		return s.invite(r, tx, sc.Tenant, tenant.NewInvitation{Email: email, Kind: "portal", Role: role, PartnerID: p.ID}, p.Name)
	})
	if err != nil {
		s.teamFail(w, r, f, portalForm, err)
		return
	}
	s.flash(r, "success", "Invitation sent to "+email+".")
	redirect(w, r, teamPath(sc))
}

// checkPortalInvitee refuses to invite someone who already uses the portal
// of this firm. Run in a portal-scoped transaction it sees only the
// partner's own users, so it never tells a partner about another's.
func checkPortalInvitee(r *http.Request, tx pgx.Tx, tenantID uuid.UUID, email string, partnerID uuid.UUID) error {
	ctx := r.Context()
	u, err := identity.UserByEmail(ctx, tx, email)
	if apperr.Code(err) == apperr.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	m, err := tenant.PortalUser(ctx, tx, tenantID, u.ID, uuid.Nil)
	switch {
	case apperr.Code(err) == apperr.ENotFound:
		return nil
	case err != nil:
		return err
	case m.PartnerID == partnerID:
		return apperr.Invalid(map[string]string{"email": m.Name + " (" + email + ") already uses the portal for " + m.PartnerName + "."})
	default:
		return apperr.Invalid(map[string]string{"email": m.Name + " (" + email + ") already uses the portal for another partner firm, " + m.PartnerName + "."})
	}
}

// invite creates an invitation, records it and queues its email, all in
// tx. partnerName is set for portal invitations.
func (s *Server) invite(r *http.Request, tx pgx.Tx, t tenant.Tenant, in tenant.NewInvitation, partnerName string) error {
	ctx := r.Context()
	me := userFrom(ctx)
	in.InvitedBy = me.ID
	inv, token, err := tenant.CreateInvitation(ctx, tx, t.ID, in)
	if err != nil {
		return err
	}
	detail := map[string]any{"email": inv.Email, "kind": inv.Kind, "role": inv.Role}
	if inv.Kind == "portal" {
		detail["partner_id"] = inv.PartnerID.String()
		detail["partner"] = partnerName
	}
	if err := audit.Record(ctx, tx, t.ID, "invitation.created", "invitation", inv.ID.String(), detail); err != nil {
		return err
	}
	_, err = s.Outbox.Send(ctx, tx, invitationEmail(s.Config.BaseURL, t, inv, token, me.Name, partnerName))
	return err
}

// revokeInvitation stops an open invitation (staff or portal) from working.
func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var inv tenant.Invitation
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if inv, err = tenant.RevokeInvitation(ctx, tx, sc.Tenant.ID, id, uuid.Nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "invitation.revoked", "invitation", inv.ID.String(),
			map[string]any{"email": inv.Email, "kind": inv.Kind, "role": inv.Role})
	})
	if err != nil {
		s.teamFail(w, r, teamFormsDefault(), noForm, err)
		return
	}
	s.flash(r, "success", "The invitation for "+inv.Email+" was revoked; its link no longer works.")
	redirect(w, r, teamPath(staffFrom(ctx)))
}

func teamFormsDefault() teamForms {
	return teamForms{invite: view.StaffInviteForm{Role: string(auth.RoleManager)},
		portal: view.PortalInviteForm{Role: string(auth.RolePartnerMember)}}
}

// changeMemberRole gives a staff member (yourself included: an owner may
// step down once there is another) another role. Only owners make or
// change owners; the last owner stays an owner.
func (s *Server) changeMemberRole(w http.ResponseWriter, r *http.Request) {
	userID, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	role, roleErr := auth.ParseStaffRole(r.PostForm.Get("role"))
	var m tenant.Member
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if m, err = tenant.LockStaffMember(ctx, tx, sc.Tenant.ID, userID); err != nil {
			return err
		}
		switch {
		case roleErr != nil:
			return apperr.Errorf(apperr.EInvalid, "Choose one of the roles for %s.", m.Name)
		case (m.Role == auth.RoleOwner || role == auth.RoleOwner) && !sc.Role.Can(auth.ManageOwners):
			return errOwnersOnly
		case m.Role == role:
			return nil
		}
		if err := tenant.SetStaffRole(ctx, tx, sc.Tenant.ID, userID, role); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "member.role_changed", "user", userID.String(),
			map[string]any{"email": m.Email, "from": m.Role, "to": role})
	})
	if err != nil {
		s.teamFail(w, r, teamFormsDefault(), noForm, err)
		return
	}
	if m.Role == role {
		s.flash(r, "info", m.Name+" already is "+view.RoleLabel(string(role))+".")
	} else {
		s.flash(r, "success", m.Name+" is now "+view.RoleLabel(string(role))+".")
	}
	redirect(w, r, teamPath(staffFrom(ctx)))
}

// removeMember takes a person off the firm's staff (they keep their
// account and their other firms). Not yourself, not the last owner, and
// owners only by an owner.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	userID, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var m tenant.Member
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if m, err = tenant.LockStaffMember(ctx, tx, sc.Tenant.ID, userID); err != nil {
			return err
		}
		switch {
		case m.UserID == userFrom(ctx).ID:
			return apperr.Errorf(apperr.EConflict, "You can't remove yourself. Ask another owner or admin.")
		case m.Role == auth.RoleOwner && !sc.Role.Can(auth.ManageOwners):
			return errOwnersOnly
		}
		if err := tenant.RemoveStaff(ctx, tx, sc.Tenant.ID, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "member.removed", "user", userID.String(),
			map[string]any{"email": m.Email, "role": m.Role})
	})
	if err != nil {
		s.teamFail(w, r, teamFormsDefault(), noForm, err)
		return
	}
	s.flash(r, "success", m.Name+" was removed from the team.")
	redirect(w, r, teamPath(staffFrom(ctx)))
}

// removePortalUser takes a partner user's portal access away.
func (s *Server) removePortalUser(w http.ResponseWriter, r *http.Request) {
	userID, err := idParam(r, "user")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var m tenant.PortalMember
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if m, err = tenant.PortalUser(ctx, tx, sc.Tenant.ID, userID, uuid.Nil); err != nil {
			return err
		}
		if err := tenant.RemovePortal(ctx, tx, sc.Tenant.ID, userID, m.PartnerID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "portal_user.removed", "user", userID.String(),
			map[string]any{"email": m.Email, "role": m.Role, "partner_id": m.PartnerID.String(), "partner": m.PartnerName})
	})
	if err != nil {
		s.teamFail(w, r, teamFormsDefault(), noForm, err)
		return
	}
	s.flash(r, "success", m.Name+" of "+m.PartnerName+" no longer has portal access.")
	redirect(w, r, teamPath(staffFrom(ctx)))
}

// teamExportHeader are the columns of the team export.
var teamExportHeader = []string{"kind", "name", "email", "role", "partner", "two-factor", "disabled", "since"}

// teamExport downloads the team page's people: the staff, then the
// partner-portal users by partner, as CSV. Filters: ?kind=staff|portal,
// ?partner= (one partner's portal users).
func (s *Server) teamExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := q.Get("kind")
	var partnerID uuid.UUID
	if id, err := uuid.Parse(q.Get("partner")); err == nil {
		partnerID, kind = id, "portal"
	}
	s.exportCSV(w, r, "team", teamExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		if kind != "portal" {
			staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
			if err != nil {
				return err
			}
			for _, m := range staff {
				if err := write("staff", m.Name, m.Email, string(m.Role), "", strconv.FormatBool(m.Has2FA),
					strconv.FormatBool(m.Disabled), exportTime(&m.CreatedAt)); err != nil {
					return err
				}
			}
		}
		if kind == "staff" {
			return nil
		}
		portal, err := tenant.ListPortal(ctx, tx, sc.Tenant.ID, partnerID)
		if err != nil {
			return err
		}
		for _, m := range portal {
			if err := write("portal", m.Name, m.Email, string(m.Role), m.PartnerName, "", "", exportTime(&m.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}
