package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

// staffRoleOf reads a person's role in a firm ("" when not on its staff).
func (h *harness) staffRoleOf(tenantID, userID uuid.UUID) auth.Role {
	h.t.Helper()
	var role auth.Role
	err := h.owner.QueryRow(context.Background(),
		`SELECT role FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&role)
	if err == pgx.ErrNoRows {
		return ""
	}
	require.NoError(h.t, err)
	return role
}

// auditCount counts a firm's audit entries with an action.
func (h *harness) auditCount(tenantID uuid.UUID, action string) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2`, tenantID, action).Scan(&n))
	return n
}

// openInvitationID returns the id of the open invitation for email in a firm.
func (h *harness) openInvitationID(tenantID uuid.UUID, email string) uuid.UUID {
	h.t.Helper()
	var id uuid.UUID
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT id FROM invitations WHERE tenant_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
		tenantID, email).Scan(&id))
	return id
}

func TestTeamPageAndRoles(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	admin := h.staffUser(f, "admin@acme.test", auth.RoleAdmin)
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	p := h.createPartner(f.ID, "Birch Legal")
	h.portalUser(f.ID, p.ID, "jo@birch.test", auth.RolePartnerAdmin)

	// Viewers and managers may not manage the team.
	for _, email := range []string{"viewer@acme.test", "manager@acme.test"} {
		c := h.loggedIn(email)
		resp, _ := h.get(c, "/t/acme/settings/team")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, email)
		resp, _ = h.post(c, "/t/acme/settings/team/invitations", url.Values{"email": {"x@acme.test"}, "role": {"viewer"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, email)
	}

	owner := h.loggedIn(f.Owner.Email)
	resp, body := h.get(owner, "/t/acme/settings/team?partner="+p.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{"admin@acme.test", "Birch Legal", "jo@birch.test", `id="invite-portal"`,
		`<option value="` + p.ID.String() + `" selected`, `value="owner"`} {
		require.Contains(t, body, want)
	}

	// An admin sees no owner choice and can't touch owners.
	ac := h.loggedIn(admin.Email)
	_, body = h.get(ac, "/t/acme/settings/team")
	require.NotContains(t, body, `value="owner"`)
	resp, _ = h.post(ac, "/t/acme/settings/team/members/"+f.Owner.ID.String()+"/role", url.Values{"role": {"viewer"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(ac, "/t/acme/settings/team/members/"+f.Owner.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	viewer := h.createUser("v2@acme.test", "Val Viewer")
	h.addStaff(f.ID, viewer.ID, auth.RoleViewer)
	resp, _ = h.post(ac, "/t/acme/settings/team/members/"+viewer.ID.String()+"/role", url.Values{"role": {"owner"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, body = h.post(ac, "/t/acme/settings/team/invitations", url.Values{"email": {"o@acme.test"}, "role": {"owner"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Only an owner can invite another owner.")
	require.Equal(t, auth.RoleOwner, h.staffRoleOf(f.ID, f.Owner.ID))
	require.Equal(t, auth.RoleViewer, h.staffRoleOf(f.ID, viewer.ID))

	// An admin changes a viewer's role; a bad role is refused.
	resp, _ = h.post(ac, "/t/acme/settings/team/members/"+viewer.ID.String()+"/role", url.Values{"role": {"finance"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, auth.RoleFinance, h.staffRoleOf(f.ID, viewer.ID))
	require.Equal(t, 1, h.auditCount(f.ID, "member.role_changed"))
	resp, _ = h.post(ac, "/t/acme/settings/team/members/"+viewer.ID.String()+"/role", url.Values{"role": {"emperor"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, auth.RoleFinance, h.staffRoleOf(f.ID, viewer.ID))

	// Nobody removes themselves here.
	resp, body = h.post(ac, "/t/acme/settings/team/members/"+admin.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "You can&#39;t remove yourself")
	require.Equal(t, auth.RoleAdmin, h.staffRoleOf(f.ID, admin.ID))

	// The owner makes the admin an owner; then either may step the other down.
	resp, _ = h.post(owner, "/t/acme/settings/team/members/"+admin.ID.String()+"/role", url.Values{"role": {"owner"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, auth.RoleOwner, h.staffRoleOf(f.ID, admin.ID))

	// Removing a member takes effect on their next request.
	vc := h.loggedIn(viewer.Email)
	resp, _ = h.get(vc, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = h.post(owner, "/t/acme/settings/team/members/"+viewer.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, auth.Role(""), h.staffRoleOf(f.ID, viewer.ID))
	require.Equal(t, 1, h.auditCount(f.ID, "member.removed"))
	resp, _ = h.get(vc, "/t/acme")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Staff remove a partner's portal user.
	jo := h.createUser("sam@birch.test", "Sam Birch")
	require.NoError(t, h.db.InTenant(context.Background(), f.ID, func(tx pgx.Tx) error {
		return tenant.AddPortal(context.Background(), tx, f.ID, jo.ID, p.ID, auth.RolePartnerMember)
	}))
	resp, _ = h.post(owner, "/t/acme/settings/team/portal-users/"+jo.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.auditCount(f.ID, "portal_user.removed"))
	resp, _ = h.post(owner, "/t/acme/settings/team/portal-users/"+jo.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestLastOwnerStays(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("solo", "Solo Partners")
	second := h.staffUser(f, "second@solo.test", auth.RoleOwner)
	first := h.loggedIn(f.Owner.Email)

	// With two owners, one may step down, and be made owner again.
	resp, _ := h.post(first, "/t/solo/settings/team/members/"+f.Owner.ID.String()+"/role", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, auth.RoleAdmin, h.staffRoleOf(f.ID, f.Owner.ID))
	sc := h.loggedIn(second.Email)
	resp, _ = h.post(sc, "/t/solo/settings/team/members/"+f.Owner.ID.String()+"/role", url.Values{"role": {"owner"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The first owner removes the second: now they are the last owner.
	resp, _ = h.post(first, "/t/solo/settings/team/members/"+second.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, auth.Role(""), h.staffRoleOf(f.ID, second.ID))

	// The last owner can't step down, nor be removed: 409 with the message,
	// nothing changed, nothing recorded.
	changes := h.auditCount(f.ID, "member.role_changed")
	resp, body := h.post(first, "/t/solo/settings/team/members/"+f.Owner.ID.String()+"/role", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "A firm needs at least one owner.")
	resp, _ = h.post(first, "/t/solo/settings/team/members/"+f.Owner.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, auth.RoleOwner, h.staffRoleOf(f.ID, f.Owner.ID))
	require.Equal(t, changes, h.auditCount(f.ID, "member.role_changed"))

	// An admin can't act on the last owner either (owners only: 403).
	admin := h.staffUser(f, "admin@solo.test", auth.RoleAdmin)
	ac := h.loggedIn(admin.Email)
	resp, _ = h.post(ac, "/t/solo/settings/team/members/"+f.Owner.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// And the store refuses whoever asks.
	ctx := context.Background()
	err := h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) error {
		return tenant.RemoveStaff(ctx, tx, f.ID, f.Owner.ID)
	})
	require.ErrorIs(t, err, tenant.ErrLastOwner)
	require.Equal(t, auth.RoleOwner, h.staffRoleOf(f.ID, f.Owner.ID))
}

// TestTeamOtherFirm: another firm's team page, and another firm's people
// and invitations in this firm's team routes, are not found.
func TestTeamOtherFirm(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.createFirm("firm-a", "Firm A")
	b := h.createFirm("firm-b", "Firm B")
	h.createPartner(a.ID, "A's partner")
	pb := h.createPartner(b.ID, "B's partner")
	bViewer := h.staffUser(b, "viewer@firm-b.test", auth.RoleViewer)
	bPortal := h.portalUser(b.ID, pb.ID, "jo@bpartner.test", auth.RolePartnerMember)
	var bInv tenant.Invitation
	require.NoError(t, h.db.InTenant(ctx, b.ID, func(tx pgx.Tx) (err error) {
		bInv, _, err = tenant.CreateInvitation(ctx, tx, b.ID, tenant.NewInvitation{Email: "new@firm-b.test", Kind: "staff",
			Role: auth.RoleViewer, InvitedBy: b.Owner.ID})
		return err
	}))

	c := h.loggedIn(a.Owner.Email)
	resp, _ := h.get(c, "/t/firm-b/settings/team")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	for _, path := range []string{
		"/t/firm-a/settings/team/members/" + bViewer.ID.String() + "/role",
		"/t/firm-a/settings/team/members/" + bViewer.ID.String() + "/remove",
		"/t/firm-a/settings/team/members/" + b.Owner.ID.String() + "/remove",
		"/t/firm-a/settings/team/portal-users/" + bPortal.ID.String() + "/remove",
		"/t/firm-a/settings/team/invitations/" + bInv.ID.String() + "/revoke",
		"/t/firm-a/settings/team/invitations/not-a-uuid/revoke",
	} {
		resp, _ := h.post(c, path, url.Values{"role": {"viewer"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	// Inviting to another firm's partner is a field error, not a leak.
	resp, body := h.post(c, "/t/firm-a/settings/team/portal-invitations", url.Values{"email": {"x@y.test"},
		"partner_id": {pb.ID.String()}, "role": {"partner_member"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.NotContains(t, body, "B&#39;s partner")

	require.Equal(t, auth.RoleViewer, h.staffRoleOf(b.ID, bViewer.ID))
	require.Equal(t, bInv.ID, h.openInvitationID(b.ID, "new@firm-b.test"))
}
