package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

var secretRE = regexp.MustCompile(`aw_[0-9a-f]{32}_[A-Za-z0-9_-]{43}`)

// apiMe calls /api/v1/me with a token and returns the status.
func (h *harness) apiMe(secret string) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+"/api/v1/me", nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	readBody(h.t, resp)
	return resp.StatusCode
}

func TestTokenPageCreateShowsSecretOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.loggedIn(f.Owner.Email)
	page := "/t/acme/settings/tokens"

	resp, body := h.get(c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "No API tokens yet")
	assert.NotContains(t, body, `data-testid="new-token"`)

	resp, body = h.post(c, page, url.Values{"name": {"HubSpot sync"}, "role": {"manager"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, page, resp.Header.Get("Location"))

	resp, body = h.get(c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `data-testid="new-token"`)
	assert.Contains(t, body, "only time it is shown")
	assert.Contains(t, html.UnescapeString(body), "The token “HubSpot sync” was created.")
	secret := secretRE.FindString(body)
	require.NotEmpty(t, secret, "the page shows the new secret")
	assert.Regexp(t, `<code[^>]*id="new-token-secret"[^>]*>`+secret+`</code>`, body)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, 1, strings.Count(body, `data-testid="token-row"`))
	assert.Contains(t, body, "HubSpot sync")

	// It works, with the role chosen, and was recorded.
	assert.Equal(t, http.StatusOK, h.apiMe(secret))
	var role string
	require.NoError(t, h.owner.QueryRow(context.Background(),
		`SELECT role FROM api_tokens WHERE tenant_id = $1 AND name = 'HubSpot sync' AND created_by = $2`, f.ID, f.Owner.ID).Scan(&role))
	assert.Equal(t, "manager", role)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'api_token.created'
		AND actor_user_id = $2`, f.ID, f.Owner.ID))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, secret),
		"only the hash is stored")

	// Never again.
	_, body = h.get(c, page)
	assert.NotContains(t, body, secret)
	assert.NotContains(t, body, `data-testid="new-token"`)
	assert.Contains(t, body, "HubSpot sync")
}

func TestTokenPageCreateInvalid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.post(c, "/t/acme/settings/tokens", url.Values{"name": {"  "}, "role": {"viewer"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, `aria-invalid="true"`)
	assert.Contains(t, body, "Name the token")

	// Owner is not a token role; the name typed is kept.
	resp, body = h.post(c, "/t/acme/settings/tokens", url.Values{"name": {"Kept name"}, "role": {"owner"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Choose one of the roles.")
	assert.Contains(t, body, `value="Kept name"`)

	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM api_tokens WHERE tenant_id = $1`, f.ID))
}

func TestTokenPageRevoke(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	tok, secret := h.createToken(f.ID, "Old BI", auth.RoleViewer)
	theirs, theirSecret := h.createToken(other.ID, "Theirs", auth.RoleAdmin)
	c := h.loggedIn(f.Owner.Email)
	require.Equal(t, http.StatusOK, h.apiMe(secret))

	_, body := h.get(c, "/t/acme/settings/tokens")
	assert.Contains(t, body, "/t/acme/settings/tokens/"+tok.ID.String()+"/revoke")
	assert.NotContains(t, body, "Theirs")

	// Another firm's token, a malformed id, a missing one: not found.
	for _, id := range []string{theirs.ID.String(), "nope", uuid.NewString()} {
		resp, _ := h.post(c, "/t/acme/settings/tokens/"+id+"/revoke", nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, id)
	}
	assert.Equal(t, http.StatusOK, h.apiMe(theirSecret))

	resp, _ := h.post(c, "/t/acme/settings/tokens/"+tok.ID.String()+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, h.apiMe(secret))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'api_token.revoked'
		AND target_id = $2`, f.ID, tok.ID.String()))

	_, body = h.get(c, "/t/acme/settings/tokens")
	assert.Contains(t, body, "was revoked")
	assert.Contains(t, body, "Revoked")
	assert.NotContains(t, body, "/t/acme/settings/tokens/"+tok.ID.String()+"/revoke", "no button for a revoked token")

	// A second revoke (a double click) is harmless.
	resp, _ = h.post(c, "/t/acme/settings/tokens/"+tok.ID.String()+"/revoke", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/acme/settings/tokens")
	assert.Contains(t, body, "already revoked")
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'api_token.revoked'`, f.ID))
}

func TestTokenPageRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	admin := h.staffUser(f, "admin@acme.test", auth.RoleAdmin)
	for _, role := range []auth.Role{auth.RoleManager, auth.RoleFinance, auth.RoleViewer} {
		u := h.staffUser(f, string(role)+"@acme.test", role)
		c := h.loggedIn(u.Email)
		resp, _ := h.get(c, "/t/acme/settings/tokens")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, role)
		resp, _ = h.post(c, "/t/acme/settings/tokens", url.Values{"name": {"x"}, "role": {"admin"}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, role)
	}
	c := h.loggedIn(admin.Email)
	resp, _ := h.post(c, "/t/acme/settings/tokens", url.Values{"name": {"By admin"}, "role": {"admin"}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM api_tokens WHERE tenant_id = $1`, f.ID))

	// Another firm's staff don't see the page at all.
	other := h.createFirm("other", "Other")
	resp, _ = h.get(h.loggedIn(other.Owner.Email), "/t/acme/settings/tokens")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
