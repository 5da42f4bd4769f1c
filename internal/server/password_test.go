package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/identity"
)

// resetLinkFor asks for a reset of email and returns the path of the
// emailed link.
func resetLinkFor(t *testing.T, h *harness, email string) string {
	t.Helper()
	resp, _ := h.post(h.client(), "/password/forgot", url.Values{"email": {email}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	m := h.lastEmail(email)
	require.Contains(t, m.Subject, "Reset")
	return h.linkIn(m.Text, "/password/reset?token=")
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("token")
	require.NotEmpty(t, tok)
	return tok
}

func TestPasswordResetFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	email := f.Owner.Email
	signedIn := h.loggedIn(email) // a session elsewhere, ended by the reset

	link := resetLinkFor(t, h, email)
	token := tokenOf(t, link)

	resp, body := h.get(h.client(), link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	require.Contains(t, body, `name="token"`)
	require.Contains(t, body, email)

	c := h.client()
	// The policy applies, with the person's email and name as context.
	resp, body = h.post(c, "/password/reset", url.Values{"token": {token}, "password": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Use at least 12 characters.")
	resp, body = h.post(c, "/password/reset", url.Values{"token": {token}, "password": {"owner@acme.test"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "Don't use your email or name as your password.")

	// A refused password did not use the token up.
	const newPassword = "a brand new tandem bicycle"
	resp, _ = h.post(c, "/password/reset", url.Values{"token": {token}, "password": {newPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login", resp.Header.Get("Location"))
	_, body = h.get(c, "/login")
	require.Contains(t, body, "Your password was changed. Sign in with the new one.")

	// Every session of the person has ended.
	resp, _ = h.get(signedIn, "/account")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"))

	// The old password is gone; the new one works.
	resp, _ = h.post(h.client(), "/login", url.Values{"email": {email}, "password": {testPassword}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	h.login(h.client(), email, newPassword)

	// The link works once.
	resp, body = h.get(h.client(), link)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "This reset link is invalid or has expired.")
	resp, body = h.post(h.client(), "/password/reset", url.Values{"token": {token}, "password": {"yet another fine password"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "This reset link is invalid or has expired.")
	h.login(h.client(), email, newPassword)

	// And the change was announced to the account's address.
	require.Contains(t, h.lastEmail(email).Subject, "password was changed")
}

func TestPasswordResetRefusesExpiredAndUnknownTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	link := resetLinkFor(t, h, f.Owner.Email)
	token := tokenOf(t, link)
	_, err := h.owner.Exec(context.Background(), `UPDATE password_resets SET expires_at = now() - interval '1 second'`)
	require.NoError(t, err)

	resp, body := h.get(h.client(), link)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "This reset link is invalid or has expired.")
	resp, _ = h.post(h.client(), "/password/reset", url.Values{"token": {token}, "password": {"a brand new tandem bicycle"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	h.login(h.client(), f.Owner.Email, testPassword)

	for _, bad := range []string{"", "nonsense", token + "x"} {
		resp, _ = h.get(h.client(), "/password/reset?token="+url.QueryEscape(bad))
		require.Equal(t, http.StatusNotFound, resp.StatusCode, bad)
		resp, _ = h.post(h.client(), "/password/reset", url.Values{"token": {bad}, "password": {"a brand new tandem bicycle"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, bad)
	}
}

func countOutbox(t *testing.T, h *harness, to string) int {
	t.Helper()
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM email_outbox WHERE to_addr = $1`, to).Scan(&n))
	return n
}

func TestForgotPasswordAnswersTheSameForEveryAddress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	gone := h.staffUser(f, "gone@acme.test", "viewer")
	require.NoError(t, h.db.Global(context.Background(), func(tx pgx.Tx) error {
		return identity.SetDisabled(context.Background(), tx, gone.ID, true)
	}))

	answer := func(email string) (int, string, string) {
		c := h.client()
		resp, _ := h.post(c, "/password/forgot", url.Values{"email": {email}})
		loc := resp.Header.Get("Location")
		_, body := h.get(c, loc)
		return resp.StatusCode, loc, body
	}
	s1, l1, b1 := answer(f.Owner.Email)
	s2, l2, b2 := answer("nobody@acme.test")
	s3, l3, b3 := answer("GONE@acme.test")
	require.Equal(t, http.StatusSeeOther, s1)
	require.Equal(t, []int{s1, s1}, []int{s2, s3})
	require.Equal(t, []string{l1, l1}, []string{l2, l3})
	require.Equal(t, b1, b2)
	require.Equal(t, b1, b3)
	require.Contains(t, html.UnescapeString(b1), resetSentMessage)

	require.Equal(t, 1, countOutbox(t, h, f.Owner.Email))
	require.Equal(t, 0, countOutbox(t, h, "nobody@acme.test"))
	require.Equal(t, 0, countOutbox(t, h, "gone@acme.test"))

	// A malformed address is a form error, not an answer.
	resp, body := h.post(h.client(), "/password/forgot", url.Values{"email": {"not an address"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter an email address like name@firm.com.")
}

func TestForgotPasswordLimits(t *testing.T) {
	t.Parallel()
	t.Run("per account", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		f := h.createFirm("acme", "Acme Advisory")
		for range 7 {
			resp, _ := h.post(h.client(), "/password/forgot", url.Values{"email": {f.Owner.Email}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/password/forgot/sent", resp.Header.Get("Location"))
		}
		require.Equal(t, identity.DefaultResetLimits.PerAccount, countOutbox(t, h, f.Owner.Email))
	})
	t.Run("per IP", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		f := h.createFirm("acme", "Acme Advisory")
		for i := range identity.DefaultResetLimits.PerIP {
			resp, _ := h.post(h.client(), "/password/forgot", url.Values{"email": {"someone" + strings.Repeat("x", i) + "@acme.test"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		}
		resp, _ := h.post(h.client(), "/password/forgot", url.Values{"email": {f.Owner.Email}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/password/forgot/sent", resp.Header.Get("Location"))
		require.Equal(t, 0, countOutbox(t, h, f.Owner.Email))
		// Sign-in is not affected by reset requests.
		h.login(h.client(), f.Owner.Email, testPassword)
	})
}
