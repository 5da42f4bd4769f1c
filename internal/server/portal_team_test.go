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
)

// portalPartnerOf reads a person's portal partner in a firm (uuid.Nil when none).
func (h *harness) portalPartnerOf(tenantID, userID uuid.UUID) uuid.UUID {
	h.t.Helper()
	var id uuid.UUID
	err := h.owner.QueryRow(context.Background(),
		`SELECT partner_id FROM portal_memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&id)
	if err == pgx.ErrNoRows {
		return uuid.Nil
	}
	require.NoError(h.t, err)
	return id
}

func TestPortalTeam(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	x := h.createPartner(f.ID, "Birch Legal")
	y := h.createPartner(f.ID, "Cedar Digital")
	xAdmin := h.portalUser(f.ID, x.ID, "jo@birch.test", auth.RolePartnerAdmin)
	xMember := h.portalUser(f.ID, x.ID, "sam@birch.test", auth.RolePartnerMember)
	yAdmin := h.portalUser(f.ID, y.ID, "lee@cedar.test", auth.RolePartnerAdmin)
	yMember := h.portalUser(f.ID, y.ID, "kim@cedar.test", auth.RolePartnerMember)

	// Staff invite someone to Y; X must never see it.
	owner := h.loggedIn(f.Owner.Email)
	resp, _ := h.post(owner, "/t/acme/settings/team/portal-invitations", url.Values{"email": {"new@cedar.test"},
		"partner_id": {y.ID.String()}, "role": {"partner_member"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	yInv := h.openInvitationID(f.ID, "new@cedar.test")

	// Everyone sees their own partner's team, and only that.
	mc := h.loggedIn(xMember.Email)
	resp, body := h.get(mc, "/p/acme/team")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "jo@birch.test")
	require.NotContains(t, body, "cedar.test")
	require.NotContains(t, body, "Send invitation")
	require.NotContains(t, body, "/remove")

	// A partner member may not invite, revoke or remove.
	resp, _ = h.post(mc, "/p/acme/team/invitations", url.Values{"email": {"pat@birch.test"}, "role": {"partner_member"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(mc, "/p/acme/team/members/"+xAdmin.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	ac := h.loggedIn(xAdmin.Email)
	_, body = h.get(ac, "/p/acme/team")
	require.NotContains(t, body, "cedar.test")
	require.Contains(t, body, "Send invitation")

	// X's admin can't touch Y's people or invitations: not found.
	for _, path := range []string{
		"/p/acme/team/members/" + yMember.ID.String() + "/remove",
		"/p/acme/team/members/" + yAdmin.ID.String() + "/remove",
		"/p/acme/team/members/" + f.Owner.ID.String() + "/remove",
		"/p/acme/team/invitations/" + yInv.String() + "/revoke",
	} {
		resp, _ := h.post(ac, path, nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	require.Equal(t, y.ID, h.portalPartnerOf(f.ID, yMember.ID))
	require.Equal(t, yInv, h.openInvitationID(f.ID, "new@cedar.test"))

	// Inviting: bad input re-shown; a colleague already on the team refused.
	resp, body = h.post(ac, "/p/acme/team/invitations", url.Values{"email": {"nope"}, "role": {"partner_member"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="nope"`)
	resp, body = h.post(ac, "/p/acme/team/invitations", url.Values{"email": {"sam@birch.test"}, "role": {"partner_member"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "already uses the portal for Birch Legal")
	// Someone of another partner: nothing about them is revealed now (the
	// invitee learns it when accepting).
	resp, body = h.post(ac, "/p/acme/team/invitations", url.Values{"email": {"kim@cedar.test"}, "role": {"partner_member"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)

	resp, _ = h.post(ac, "/p/acme/team/invitations", url.Values{"email": {"pat@birch.test"}, "role": {"partner_member"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/p/acme/team", resp.Header.Get("Location"))
	m := h.lastEmail("pat@birch.test")
	require.Equal(t, "jo invited you to Acme Advisory's partner portal for Birch Legal", m.Subject)
	patInv := h.openInvitationID(f.ID, "pat@birch.test")
	_, body = h.get(ac, "/p/acme/team")
	require.Contains(t, body, "pat@birch.test")

	// The invitation is for X: accepting lands in the portal as X.
	link := h.linkIn(m.Text, "/invitations/acme/")
	pc := h.client()
	resp, _ = h.post(pc, link, url.Values{"name": {"Pat Birch"}, "password": {"a long and unusual passphrase"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/p/acme", resp.Header.Get("Location"))
	var pat uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'pat@birch.test'`).Scan(&pat))
	require.Equal(t, x.ID, h.portalPartnerOf(f.ID, pat))
	resp, _ = h.post(ac, "/p/acme/team/invitations/"+patInv.String()+"/revoke", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "an accepted invitation can't be revoked")

	// Kim (a Y user) accepting X's invitation is refused.
	kc := h.loggedIn(yMember.Email)
	kimLink := h.linkIn(h.lastEmail("kim@cedar.test").Text, "/invitations/acme/")
	resp, body = h.post(kc, kimLink, nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already uses the portal for another partner firm")
	require.Equal(t, y.ID, h.portalPartnerOf(f.ID, yMember.ID))

	// Revoke an own invitation.
	kimInv := h.openInvitationID(f.ID, "kim@cedar.test")
	resp, _ = h.post(ac, "/p/acme/team/invitations/"+kimInv.String()+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.get(kc, kimLink)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Not yourself; a colleague yes, and they lose access at once.
	resp, body = h.post(ac, "/p/acme/team/members/"+xAdmin.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "You can&#39;t remove yourself")
	resp, _ = h.post(ac, "/p/acme/team/members/"+xMember.ID.String()+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, uuid.Nil, h.portalPartnerOf(f.ID, xMember.ID))
	resp, _ = h.get(mc, "/p/acme/team")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	require.Equal(t, 1, h.auditCount(f.ID, "portal_user.removed"))
	require.Equal(t, 1, h.auditCount(f.ID, "invitation.revoked"))
}
