package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/tenant"
)

func sessionCookie(h *harness, c *http.Client) string {
	u, _ := url.Parse(h.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == h.srv.sessions.Cookie.Name {
			return ck.Value
		}
	}
	return ""
}

// TestLoginRenewsSessionToken: a token planted before sign-in is worthless
// after it, and signing in again issues yet another token.
func TestLoginRenewsSessionToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.client()
	u, _ := url.Parse(h.ts.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: h.srv.sessions.Cookie.Name, Value: "planted-by-attacker"}})
	resp := h.login(c, f.Owner.Email, testPassword)
	require.Equal(t, "/t/acme", resp.Header.Get("Location"))
	first := sessionCookie(h, c)
	require.NotEmpty(t, first)
	require.NotEqual(t, "planted-by-attacker", first)
	h.login(c, f.Owner.Email, testPassword)
	second := sessionCookie(h, c)
	require.NotEqual(t, first, second)
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token = $1`, first).Scan(&n))
	require.Zero(t, n, "the old session is deleted")
	resp, _ = h.get(c, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestLoginFailureSaysNothingAboutTheAccount: unknown email and wrong
// password get the same answer.
func TestLoginFailureSaysNothingAboutTheAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	r1, b1 := h.post(h.client(), "/login", url.Values{"email": {f.Owner.Email}, "password": {"wrong password here"}})
	r2, b2 := h.post(h.client(), "/login", url.Values{"email": {"nobody@acme.test"}, "password": {"wrong password here"}})
	require.Equal(t, http.StatusUnauthorized, r1.StatusCode)
	require.Equal(t, r1.StatusCode, r2.StatusCode)
	require.Contains(t, b1, "Email or password is incorrect.")
	require.Contains(t, b2, "Email or password is incorrect.")
	require.Contains(t, b2, `value="nobody@acme.test"`, "the email typed is kept")
	r3, b3 := h.post(h.client(), "/login", url.Values{"email": {""}, "password": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r3.StatusCode)
	require.Contains(t, b3, "Enter your email address.")
}

// TestLoginRateLimits: the per-account cap refuses even the right password
// from an unknown device, but a device that signed in before still gets in;
// the per-IP cap refuses everything from that address.
func TestLoginRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(d *Deps) {
		d.LoginLimits = &identity.LoginLimits{PerIP: 1000, IPWindow: 15 * 60e9, PerAccount: 3, AccountWindow: 60 * 60e9}
	})
	f := h.createFirm("acme", "Acme")
	known := h.loggedIn(f.Owner.Email) // this browser has signed in before
	attacker := h.client()
	for i := 0; i < 3; i++ {
		resp, _ := h.post(attacker, "/login", url.Values{"email": {f.Owner.Email}, "password": {"guess number " + string(rune('a'+i))}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, body := h.post(attacker, "/login", url.Values{"email": {f.Owner.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, body, "Too many failed attempts")
	// The owner, on a device they used before, is not locked out.
	h.login(known, f.Owner.Email, testPassword)

	hip := newHarness(t, func(d *Deps) {
		d.LoginLimits = &identity.LoginLimits{PerIP: 2, IPWindow: 15 * 60e9, PerAccount: 100, AccountWindow: 60 * 60e9}
	})
	g := hip.createFirm("beta", "Beta")
	c := hip.client()
	for i := 0; i < 2; i++ {
		hip.post(c, "/login", url.Values{"email": {"someone" + string(rune('a'+i)) + "@x.test"}, "password": {"nope nope nope"}})
	}
	resp, body = hip.post(c, "/login", url.Values{"email": {g.Owner.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, body, "from your network")
}

// TestCrossOriginPostRefused: a form posted from another site is refused,
// with the security headers on the error too.
func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.loggedIn(f.Owner.Email)
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/logout", strings.NewReader(""))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	require.NoError(t, err)
	body := readBody(t, resp)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "sent from another site")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	// Still signed in: the forged logout did nothing.
	resp, _ = h.get(c, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestBadRequestsGetClearAnswers: garbage cookies, oversized bodies and
// unknown paths are 4xx, never 500.
func TestBadRequestsGetClearAnswers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	u, _ := url.Parse(h.ts.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: h.srv.sessions.Cookie.Name, Value: "%%%garbage%%%"}})
	resp, _ := h.get(c, "/home")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login?next=%2Fhome", resp.Header.Get("Location"))

	big := strings.Repeat("a", 2<<20)
	resp, _ = h.post(h.client(), "/login", url.Values{"email": {big}, "password": {"x"}})
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	resp, body := h.get(h.client(), "/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "There is no such page here")
	for _, hdr := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		require.NotEmpty(t, resp.Header.Get(hdr), hdr)
	}
	resp, _ = h.get(h.client(), "/t/no-such-firm")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "anonymous: sign in first")
}

// TestSignup: a new firm and its owner are created together; bad input is
// re-shown with messages; a failure leaves no half-created firm.
func TestSignup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client()
	resp, body := h.post(c, "/signup", url.Values{"firm_name": {"Acme Advisory"}, "name": {""}, "email": {"not-an-email"}, "password": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter your name.")
	require.Contains(t, body, "Enter an email address like")
	require.Contains(t, body, "at least 12 characters")
	require.Contains(t, body, `value="Acme Advisory"`)
	require.Contains(t, body, `value="not-an-email"`)

	resp, _ = h.post(c, "/signup", url.Values{"firm_name": {"Acme Advisory"}, "name": {"Ada"}, "email": {"Ada@Acme.test"}, "password": {"password1234"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a common password is refused")

	resp, _ = h.post(c, "/signup", url.Values{"firm_name": {"Acme Advisory"}, "name": {"Ada"}, "email": {"Ada@Acme.test"}, "password": {testPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/acme-advisory", resp.Header.Get("Location"))
	resp, body = h.get(c, "/t/acme-advisory")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Acme Advisory")

	// The same email again, for another firm: refused, and no firm is left behind.
	c2 := h.client()
	resp, body = h.post(c2, "/signup", url.Values{"firm_name": {"Other"}, "slug": {"other"}, "name": {"Ada"}, "email": {"ada@acme.test"}, "password": {testPassword}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already exists")
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM tenants WHERE slug = 'other'`).Scan(&n))
	require.Zero(t, n, "no half-created firm")

	// A taken address keeps the input.
	resp, body = h.post(h.client(), "/signup", url.Values{"firm_name": {"Acme Advisory"}, "name": {"Bo"}, "email": {"bo@acme.test"}, "password": {testPassword}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "That address is taken")

	// A signed-in person creates a second firm and can switch between them.
	resp, _ = h.post(c, "/signup", url.Values{"firm_name": {"Second Firm"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.get(c, "/home")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Acme Advisory")
	require.Contains(t, body, "Second Firm")
}

// TestLogoutEndsAllSessions: signing out in one browser signs the person out
// everywhere.
func TestLogoutEndsAllSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	one, two := h.loggedIn(f.Owner.Email), h.loggedIn(f.Owner.Email)
	resp, _ := h.post(one, "/logout", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	for _, c := range []*http.Client{one, two} {
		resp, _ = h.get(c, "/t/acme")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"))
	}
}

// TestWorkplacesAndAreas: a person on the staff of one firm and in the portal
// of another picks where to go; the staff area needs staff membership and
// the portal area portal membership.
func TestWorkplacesAndAreas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.createFirm("alpha", "Alpha")
	b := h.createFirm("beta", "Beta")
	p := h.createPartner(b.ID, "Alpha as a partner")
	ctx := context.Background()
	require.NoError(t, h.db.InTenant(ctx, b.ID, func(tx pgx.Tx) error {
		return tenant.AddPortal(ctx, tx, b.ID, a.Owner.ID, p.ID, auth.RolePartnerMember)
	}))
	c := h.client()
	resp := h.login(c, a.Owner.Email, testPassword)
	require.Equal(t, "/home", resp.Header.Get("Location"))
	_, body := h.get(c, "/home")
	require.Contains(t, body, `href="/t/alpha"`)
	require.Contains(t, body, `href="/p/beta"`)
	resp, _ = h.get(c, "/p/beta")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = h.get(c, "/t/beta")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "a portal user is not staff")
	resp, _ = h.get(c, "/p/alpha")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "staff is not a portal user")
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	viewer := h.staffUser(a, "viewer@alpha.test", auth.RoleViewer)
	vc := h.loggedIn(viewer.Email)
	resp, _ = h.get(vc, "/t/alpha/settings/audit")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.get(vc, "/t/alpha/partners/new")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.get(vc, "/t/alpha/partners")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestHealthAndMetrics: /healthz, /readyz and /metrics answer.
func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, body := h.get(h.client(), "/readyz")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, _ = h.get(h.client(), "/healthz")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body = h.get(h.client(), "/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `allyway_http_requests_total{code="200",method="GET",route="/healthz"}`)
}

// TestPartnerPages: add a partner with a bad then a good form.
func TestPartnerPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.loggedIn(f.Owner.Email)
	resp, body := h.post(c, "/t/acme/partners", url.Values{"name": {""}, "domain": {"not a domain"}, "type": {"bogus"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter the partner firm")
	require.Contains(t, body, `value="not a domain"`)
	resp, _ = h.post(c, "/t/acme/partners", url.Values{"name": {"Brightline Tax"}, "domain": {"https://www.Brightline.example/about"}, "type": {"referral"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.get(c, resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "brightline.example")
	_, body = h.get(c, "/t/acme/settings/audit")
	require.Contains(t, body, "partner.created")
}

// TestDisabledUserIsSignedOut: disabling a person ends their sessions and
// refuses their sign-in with the usual message.
func TestDisabledUserIsSignedOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.loggedIn(f.Owner.Email)
	ctx := context.Background()
	require.NoError(t, h.db.Global(ctx, func(tx pgx.Tx) error {
		if err := identity.SetDisabled(ctx, tx, f.Owner.ID, true); err != nil {
			return err
		}
		_, err := identity.EndSessions(ctx, tx, f.Owner.ID, "")
		return err
	}))
	resp, _ := h.get(c, "/t/acme")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body := h.post(h.client(), "/login", url.Values{"email": {f.Owner.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "Email or password is incorrect.")
}
