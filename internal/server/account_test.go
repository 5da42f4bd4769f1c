package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// acctClock is a settable clock, so tests choose which TOTP step is current.
type acctClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *acctClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// next moves to the next TOTP step.
func (c *acctClock) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(auth.TOTPPeriod * time.Second)
}

func withAcctClock(c *acctClock) harnessOption {
	return func(d *Deps) { d.Now = c.Now }
}

func newAcctClock() *acctClock {
	// The middle of a step, so skew never reaches into a neighbour by accident.
	return &acctClock{now: time.Now().Truncate(auth.TOTPPeriod * time.Second).Add(10 * time.Second)}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return code
}

func (h *harness) userSecrets(id uuid.UUID) (secret, pending string) {
	h.t.Helper()
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT coalesce(totp_secret, ''), coalesce(totp_pending_secret, '') FROM users WHERE id = $1`, id).Scan(&secret, &pending))
	return secret, pending
}

var recoveryCodeRE = regexp.MustCompile(`<li>([23456789a-z]{4,}(?:-[23456789a-z]{2,})+)</li>`)

func recoveryCodesIn(t *testing.T, body string) []string {
	t.Helper()
	var codes []string
	for _, m := range recoveryCodeRE.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	require.Len(t, codes, auth.DefaultRecoveryCodes, body)
	return codes
}

// enrol2FA turns two-factor on for the person signed in on c and returns the
// secret and the recovery codes.
func enrol2FA(t *testing.T, h *harness, c *http.Client, clock *acctClock, userID uuid.UUID) (string, []string) {
	t.Helper()
	resp, _ := h.post(c, "/account/2fa/start", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body := h.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "data:image/png;base64,", "the QR code is shown")
	_, secret := h.userSecrets(userID)
	require.NotEmpty(t, secret)
	resp, body = h.post(c, "/account/2fa", url.Values{"code": {totpCode(t, secret, clock.Now())}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Save these now")
	return secret, recoveryCodesIn(t, body)
}

// login2FA signs in with the password and then code; it returns the
// response to the code.
func login2FA(t *testing.T, h *harness, c *http.Client, email, code string) (*http.Response, string) {
	t.Helper()
	resp := h.login(c, email, testPassword)
	require.Equal(t, "/login/2fa", resp.Header.Get("Location"))
	return h.post(c, "/login/2fa", url.Values{"code": {code}})
}

func requireSignedOut(t *testing.T, h *harness, c *http.Client) {
	t.Helper()
	resp, _ := h.get(c, "/account")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"), resp.Header.Get("Location"))
}

func requireSignedIn(t *testing.T, h *harness, c *http.Client) string {
	t.Helper()
	resp, body := h.get(c, "/account")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return body
}

func TestAccountPageAndProfile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	c := h.loggedIn(f.Owner.Email)

	body := requireSignedIn(t, h, c)
	require.Contains(t, body, f.Owner.Email)
	require.Contains(t, html.UnescapeString(body), "You're signed in only here.")
	require.Contains(t, body, `action="/account/sessions/end-others"`)
	require.Contains(t, body, `href="/account/2fa"`)

	resp, body := h.post(c, "/account/profile", url.Values{"name": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter your name.")
	resp, _ = h.post(c, "/account/profile", url.Values{"name": {strings.Repeat("n", 201)}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	resp, _ = h.post(c, "/account/profile", url.Values{"name": {"  Ada Lovelace "}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	body = requireSignedIn(t, h, c)
	require.Contains(t, body, `value="Ada Lovelace"`)
	require.Contains(t, body, "Your name was saved.")

	// Anonymous visitors are sent to sign in.
	resp, _ = h.get(h.client(), "/account")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(h.client(), "/account/password", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login", resp.Header.Get("Location"))
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	email := f.Owner.Email
	a := h.loggedIn(email)
	b := h.loggedIn(email)
	require.Contains(t, requireSignedIn(t, h, a), "here and in 1 other place")

	const newPassword = "a brand new tandem bicycle"
	resp, body := h.post(a, "/account/password", url.Values{"current_password": {"wrong password here"}, "new_password": {newPassword}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "That isn't your current password.")
	resp, body = h.post(a, "/account/password", url.Values{"current_password": {testPassword}, "new_password": {"password"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Use at least 12 characters.")
	resp, body = h.post(a, "/account/password", url.Values{"current_password": {testPassword}, "new_password": {"Owner of Acme Advisory"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "Don't use your email or name as your password.")
	requireSignedIn(t, h, b) // nothing happened yet

	oldCookie := acctSessionToken(t, h, a)
	resp, _ = h.post(a, "/account/password", url.Values{"current_password": {testPassword}, "new_password": {newPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/account", resp.Header.Get("Location"))
	require.NotEqual(t, oldCookie, acctSessionToken(t, h, a), "the session token is renewed")

	body = requireSignedIn(t, h, a)
	require.Contains(t, body, "You were signed out everywhere else.")
	require.Contains(t, html.UnescapeString(body), "You're signed in only here.")
	requireSignedOut(t, h, b)

	resp, _ = h.post(h.client(), "/login", url.Values{"email": {email}, "password": {testPassword}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	h.login(h.client(), email, newPassword)
	require.Contains(t, h.lastEmail(email).Subject, "password was changed")
}

func acctSessionToken(t *testing.T, h *harness, c *http.Client) string {
	t.Helper()
	u, err := url.Parse(h.ts.URL)
	require.NoError(t, err)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == h.srv.sessions.Cookie.Name {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestSignOutEverywhereElse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	a := h.loggedIn(f.Owner.Email)
	b := h.loggedIn(f.Owner.Email)
	c := h.loggedIn(f.Owner.Email)
	require.Contains(t, requireSignedIn(t, h, a), "here and in 2 other places")

	resp, _ := h.post(a, "/account/sessions/end-others", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	body := requireSignedIn(t, h, a)
	require.Contains(t, body, "You were signed out in 2 other places.")
	requireSignedOut(t, h, b)
	requireSignedOut(t, h, c)
}

func TestTwoFactorEnrolmentAndSignIn(t *testing.T) {
	t.Parallel()
	clock := newAcctClock()
	h := newHarness(t, withAcctClock(clock))
	f := h.createFirm("acme", "Acme Advisory")
	email := f.Owner.Email
	c := h.loggedIn(email)

	// Opening the page changes nothing (no GET changes state); starting
	// set-up creates the secret.
	resp, body := h.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `action="/account/2fa/start"`)
	_, none := h.userSecrets(f.Owner.ID)
	require.Empty(t, none)
	resp, _ = h.post(c, "/account/2fa/start", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The set-up page shows a QR code and the key, and keeps them across reloads.
	resp, body = h.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `src="data:image/png;base64,`)
	require.Contains(t, body, `alt="QR code for your authenticator app"`)
	_, pending := h.userSecrets(f.Owner.ID)
	require.NotEmpty(t, pending)
	require.Contains(t, strings.ReplaceAll(body, " ", ""), pending)
	h.get(c, "/account/2fa")
	_, again := h.userSecrets(f.Owner.ID)
	require.Equal(t, pending, again)

	// Wrong codes are refused and change nothing.
	for _, bad := range []string{"", "12345", "abcdef", totpCode(t, pending, clock.Now().Add(-5*time.Minute))} {
		resp, body = h.post(c, "/account/2fa", url.Values{"code": {bad}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad)
		require.Contains(t, body, `src="data:image/png;base64,`)
	}
	secret, _ := h.userSecrets(f.Owner.ID)
	require.Empty(t, secret)

	before := acctSessionToken(t, h, c)
	enrolCode := totpCode(t, pending, clock.Now())
	resp, body = h.post(c, "/account/2fa", url.Values{"code": {enrolCode}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Save these now")
	codes := recoveryCodesIn(t, body)
	require.NotEqual(t, before, acctSessionToken(t, h, c), "the session token is renewed")
	secret, pending = h.userSecrets(f.Owner.ID)
	require.NotEmpty(t, secret)
	require.Empty(t, pending)

	// The codes are shown once; the page now manages two-factor.
	resp, body = h.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, codes[0])
	require.Contains(t, body, "10 recovery codes left.")
	require.Contains(t, h.lastEmail(email).Subject, "Two-factor sign-in is on")

	// Signing in now asks for a code.
	d := h.client()
	resp = h.login(d, email, testPassword)
	require.Equal(t, "/login/2fa", resp.Header.Get("Location"))
	requireSignedOut(t, h, d)
	// The code that confirmed enrolment can't be used again.
	resp, _ = h.post(d, "/login/2fa", url.Values{"code": {enrolCode}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = h.post(d, "/login/2fa", url.Values{"code": {"000000"}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	requireSignedOut(t, h, d)

	clock.next()
	code := totpCode(t, secret, clock.Now())
	resp, _ = h.post(d, "/login/2fa", url.Values{"code": {code}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	requireSignedIn(t, h, d)

	// A code works once.
	resp, _ = login2FA(t, h, h.client(), email, code)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// A recovery code works once, in any spelling.
	e := h.client()
	resp, _ = login2FA(t, h, e, email, strings.ToUpper(codes[3]))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	requireSignedIn(t, h, e)
	resp, _ = login2FA(t, h, h.client(), email, codes[3])
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_, body = h.get(c, "/account/2fa")
	require.Contains(t, body, "9 recovery codes left.")
}

func TestTwoFactorRecoveryCodesAndTurningOff(t *testing.T) {
	t.Parallel()
	clock := newAcctClock()
	h := newHarness(t, withAcctClock(clock))
	f := h.createFirm("acme", "Acme Advisory")
	email := f.Owner.Email
	c := h.loggedIn(email)
	secret, oldCodes := enrol2FA(t, h, c, clock, f.Owner.ID)

	// New recovery codes need a current code, which then is spent.
	resp, body := h.post(c, "/account/2fa/recovery-codes", url.Values{"code": {"123456"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "That code is not valid")
	resp, _ = h.post(c, "/account/2fa/recovery-codes", url.Values{"code": {totpCode(t, secret, clock.Now())}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "the enrolment code is spent")
	clock.next()
	code := totpCode(t, secret, clock.Now())
	resp, body = h.post(c, "/account/2fa/recovery-codes", url.Values{"code": {code}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	newCodes := recoveryCodesIn(t, body)
	require.NotEqual(t, oldCodes, newCodes)
	resp, _ = h.post(c, "/account/2fa/recovery-codes", url.Values{"code": {code}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a code works once")

	resp, _ = login2FA(t, h, h.client(), email, oldCodes[0])
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = login2FA(t, h, h.client(), email, newCodes[0])
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Turning it off needs the password.
	resp, body = h.post(c, "/account/2fa/disable", url.Values{"password": {"not my password"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "That isn't your current password.")
	resp, _ = h.post(c, "/account/2fa/disable", url.Values{"password": {testPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	requireSignedIn(t, h, c)
	secret, _ = h.userSecrets(f.Owner.ID)
	require.Empty(t, secret)
	resp = h.login(h.client(), email, testPassword)
	require.NotEqual(t, "/login/2fa", resp.Header.Get("Location"))
}

func TestFirmRequiringTwoFactor(t *testing.T) {
	t.Parallel()
	clock := newAcctClock()
	h := newHarness(t, withAcctClock(clock))
	f := h.createFirm("acme", "Acme Advisory")
	manager := h.staffUser(f, "manager@acme.test", auth.RoleManager)
	admin := h.staffUser(f, "admin@acme.test", auth.RoleAdmin)
	owner := h.loggedIn(f.Owner.Email)

	// The page lists owners and admins without two-factor, and warns the
	// owner who lacks it too.
	resp, body := h.get(owner, "/t/acme/settings/security")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Require two-factor sign-in for owners and admins")
	require.Contains(t, body, admin.Email)
	require.Contains(t, body, f.Owner.Email)
	require.NotContains(t, body, manager.Email)
	require.Contains(t, html.UnescapeString(body), "you'll be asked to set it up")

	// Only those who may manage settings get here.
	m := h.loggedIn(manager.Email)
	resp, _ = h.get(m, "/t/acme/settings/security")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(m, "/t/acme/settings/security", url.Values{"require_admin_2fa": {"on"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, _ = h.post(owner, "/t/acme/settings/security", url.Values{"require_admin_2fa": {"on"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE tenant_id = $1 AND action = 'tenant.security_updated' AND detail->>'require_admin_2fa' = 'true'`, f.ID).Scan(&n))
	require.Equal(t, 1, n)

	// The owner is sent to enrol, and comes back afterwards.
	resp, _ = h.get(owner, "/t/acme/partners")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	to := resp.Header.Get("Location")
	require.Equal(t, "/account/2fa?next="+url.QueryEscape("/t/acme/partners"), to)
	resp, body = h.get(owner, to)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Acme Advisory requires two-factor sign-in")
	resp, _ = h.post(owner, "/account/2fa/start", url.Values{"next": {"/t/acme/partners"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, to, resp.Header.Get("Location"))
	_, pending := h.userSecrets(f.Owner.ID)
	resp, body = h.post(owner, "/account/2fa", url.Values{"code": {totpCode(t, pending, clock.Now())}, "next": {"/t/acme/partners"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `href="/t/acme/partners"`)
	resp, _ = h.get(owner, "/t/acme/partners")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// next never leaves the site.
	resp, body = h.get(owner, "/account/2fa?next=//evil.example/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "evil.example")

	// Turning it off is refused while the firm requires it.
	resp, body = h.post(owner, "/account/2fa/disable", url.Values{"password": {testPassword}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Acme Advisory requires it")
	secret, _ := h.userSecrets(f.Owner.ID)
	require.NotEmpty(t, secret)

	// The admin is sent to enrol too; the manager is not.
	a := h.loggedIn(admin.Email)
	resp, _ = h.get(a, "/t/acme")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/account/2fa?next="))
	resp, _ = h.get(m, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The list now shows only the admin.
	_, body = h.get(owner, "/t/acme/settings/security")
	require.Contains(t, body, admin.Email)
	require.NotContains(t, body, f.Owner.Email)
	require.Contains(t, body, `checked`)
}
