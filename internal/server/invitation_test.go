package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

func TestInviteStaffNewcomer(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	owner := h.loggedIn(f.Owner.Email)

	// Bad input keeps what was typed; someone already on the staff is refused.
	resp, body := h.post(owner, "/t/acme/settings/team/invitations", url.Values{"email": {"not-an-email"}, "role": {"finance"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="not-an-email"`)
	require.Contains(t, body, "Enter an email address")
	resp, body = h.post(owner, "/t/acme/settings/team/invitations", url.Values{"email": {f.Owner.Email}, "role": {"viewer"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "is already on your team")

	resp, _ = h.post(owner, "/t/acme/settings/team/invitations", url.Values{"email": {" New.Person@Acme.test "}, "role": {"finance"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/acme/settings/team", resp.Header.Get("Location"))
	require.Equal(t, 1, h.auditCount(f.ID, "invitation.created"))
	_, body = h.get(owner, "/t/acme/settings/team")
	require.Contains(t, body, "new.person@acme.test")
	require.Contains(t, body, "Invitation sent to new.person@acme.test.")

	m := h.lastEmail("new.person@acme.test")
	require.Equal(t, "Owner of Acme Advisory invited you to Acme Advisory on Allyway", m.Subject)
	require.Contains(t, m.Text, "Finance handles commissions")
	require.Contains(t, m.Text, "expires in 7 days")
	link := h.linkIn(m.Text, "/invitations/acme/")

	// A newcomer: the page asks for a name and password.
	anon := h.client()
	resp, body = h.get(anon, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Join Acme Advisory")
	require.Contains(t, body, `name="password"`)

	// A weak password is refused, the name kept, no account made.
	resp, body = h.post(anon, link, url.Values{"name": {"Nina New"}, "password": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="Nina New"`)
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email = 'new.person@acme.test'`).Scan(&n))
	require.Zero(t, n)

	resp, _ = h.post(anon, link, url.Values{"name": {"Nina New"}, "password": {"a long and unusual passphrase"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/acme", resp.Header.Get("Location"))
	resp, body = h.get(anon, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Welcome to Acme Advisory")
	require.Contains(t, body, "Nina New")
	var role auth.Role
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT m.role FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND u.email = 'new.person@acme.test'`, f.ID).Scan(&role))
	require.Equal(t, auth.RoleFinance, role)
	require.Equal(t, 1, h.auditCount(f.ID, "invitation.accepted"))

	// The link works once.
	for _, c := range []*http.Client{anon, h.client()} {
		resp, body = h.get(c, link)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Contains(t, body, "This invitation link is invalid or has expired.")
		resp, body = h.post(c, link, url.Values{"name": {"Again"}, "password": {"a long and unusual passphrase"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Contains(t, body, "This invitation link is invalid or has expired.")
	}
	require.Equal(t, 1, h.auditCount(f.ID, "invitation.accepted"))

	// And the new person can sign in with their password.
	h.login(h.client(), "new.person@acme.test", "a long and unusual passphrase")
}

func TestInvitationRefusals(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f := h.createFirm("acme", "Acme Advisory")
	owner := h.loggedIn(f.Owner.Email)
	invite := func(email string) string {
		t.Helper()
		resp, body := h.post(owner, "/t/acme/settings/team/invitations", url.Values{"email": {email}, "role": {"viewer"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		return h.linkIn(h.lastEmail(email).Text, "/invitations/acme/")
	}

	// Expired.
	link := invite("late@acme.test")
	_, err := h.owner.Exec(ctx, `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = 'late@acme.test'`)
	require.NoError(t, err)
	resp, body := h.get(h.client(), link)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "invalid or has expired")
	resp, _ = h.post(h.client(), link, url.Values{"name": {"Late"}, "password": {"a long and unusual passphrase"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Revoked.
	link = invite("gone@acme.test")
	resp, _ = h.post(owner, "/t/acme/settings/team/invitations/"+h.openInvitationID(f.ID, "gone@acme.test").String()+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.auditCount(f.ID, "invitation.revoked"))
	resp, _ = h.get(h.client(), link)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A newer invitation replaces the older link.
	old := invite("twice@acme.test")
	fresh := invite("twice@acme.test")
	require.NotEqual(t, old, fresh)
	resp, _ = h.get(h.client(), old)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(h.client(), fresh)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Made-up tokens and firms; another firm's slug with this firm's token.
	h.createFirm("other", "Other")
	for _, bad := range []string{"/invitations/acme/made-up", "/invitations/nope/" + tokenFromLink(fresh),
		"/invitations/other/" + tokenFromLink(fresh)} {
		resp, body := h.get(h.client(), bad)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, bad)
		require.Contains(t, body, "invalid or has expired")
	}

	// Signed in as someone else: told who it is for, offered sign-out, and
	// accepting is refused.
	someone := h.staffUser(f, "someone@acme.test", auth.RoleViewer)
	sc := h.loggedIn(someone.Email)
	resp, body = h.get(sc, fresh)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "this invitation is for <strong>twice@acme.test</strong>")
	require.Contains(t, body, `action="/logout"`)
	resp, _ = h.post(sc, fresh, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, auth.RoleViewer, h.staffRoleOf(f.ID, someone.ID))
	resp, _ = h.get(h.client(), fresh)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the invitation still works")
}

func tokenFromLink(link string) string { return link[strings.LastIndex(link, "/")+1:] }

func TestInvitationExistingAccount(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	other := h.createFirm("other", "Other Firm")
	// Someone who already uses Allyway at another firm.
	pat := h.staffUser(other, "pat@elsewhere.test", auth.RoleManager)
	owner := h.loggedIn(f.Owner.Email)
	resp, _ := h.post(owner, "/t/acme/settings/team/invitations", url.Values{"email": {"pat@elsewhere.test"}, "role": {"manager"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	link := h.linkIn(h.lastEmail("pat@elsewhere.test").Text, "/invitations/acme/")

	// Anonymous: sign in to accept, and come back here.
	anon := h.client()
	resp, body := h.get(anon, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Sign in to accept")
	require.Contains(t, body, `href="/login?next=`+url.QueryEscape(link)+`"`)
	require.NotContains(t, body, `name="password"`)
	// Posting a new account for an existing email is refused.
	resp, _ = h.post(anon, link, url.Values{"name": {"Impostor"}, "password": {"a long and unusual passphrase"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, auth.Role(""), h.staffRoleOf(f.ID, pat.ID))

	resp, body = h.post(anon, "/login", url.Values{"email": {pat.Email}, "password": {testPassword}, "next": {link}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, link, resp.Header.Get("Location"))
	resp, body = h.get(anon, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Accept and join")
	resp, _ = h.post(anon, link, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/acme", resp.Header.Get("Location"))
	require.Equal(t, auth.RoleManager, h.staffRoleOf(f.ID, pat.ID))
	require.Equal(t, auth.RoleManager, h.staffRoleOf(other.ID, pat.ID), "the other firm is untouched")
	_, body = h.get(anon, "/t/acme")
	require.Contains(t, body, "Welcome to Acme Advisory")
	require.Contains(t, body, `href="/home"`, "two firms now: the header offers Switch")

	// Twice: refused.
	resp, body = h.post(anon, link, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, tenant.ErrInviteInvalid.Message[:30])
}

func TestPortalInvitationAccept(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	p := h.createPartner(f.ID, "Birch Legal")
	owner := h.loggedIn(f.Owner.Email)

	resp, body := h.post(owner, "/t/acme/settings/team/portal-invitations", url.Values{"email": {"jo@birch.test"},
		"partner_id": {""}, "role": {"partner_admin"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose the partner firm")
	require.Contains(t, body, `value="jo@birch.test"`)

	resp, _ = h.post(owner, "/t/acme/settings/team/portal-invitations", url.Values{"email": {"jo@birch.test"},
		"partner_id": {p.ID.String()}, "role": {"partner_admin"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	m := h.lastEmail("jo@birch.test")
	require.Equal(t, "Owner of Acme Advisory invited you to Acme Advisory's partner portal for Birch Legal", m.Subject)
	require.Contains(t, m.Text, "Partner admins refer clients")
	link := h.linkIn(m.Text, "/invitations/acme/")

	c := h.client()
	resp, body = h.get(c, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "partner portal for Birch Legal")
	resp, _ = h.post(c, link, url.Values{"name": {"Jo Birch"}, "password": {"a long and unusual passphrase"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/p/acme", resp.Header.Get("Location"))
	resp, body = h.get(c, "/p/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Welcome to Acme Advisory")
	resp, _ = h.get(c, "/t/acme")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "a partner user is not staff")

	// Staff can't invite the same person again for the same partner.
	resp, body = h.post(owner, "/t/acme/settings/team/portal-invitations", url.Values{"email": {"jo@birch.test"},
		"partner_id": {p.ID.String()}, "role": {"partner_member"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "already uses the portal for Birch Legal")
}
