package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
)

func withAPIRateLimit(n int) harnessOption {
	return func(d *Deps) { d.Config.APIRateLimit = n }
}

// rateHeaders reads the RateLimit-* headers of a response.
func rateHeaders(t *testing.T, r apiResp) (limit, remaining, reset int) {
	t.Helper()
	num := func(name string) int {
		n, err := strconv.Atoi(r.Header.Get(name))
		require.NoError(t, err, "%s: %q", name, r.Header.Get(name))
		return n
	}
	return num("RateLimit-Limit"), num("RateLimit-Remaining"), num("RateLimit-Reset")
}

// TestAPIRateLimit: a token may make N requests per window; request N+1
// answers 429 with Retry-After (and a contract-valid problem). Another token
// of the same firm keeps its own count; a second app process on the same
// database shares the counts; a new window starts afresh.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	const limit = 5
	h := newHarness(t, withAPIRateLimit(limit))
	f := h.createFirm("acme", "Acme Advisory")
	_, first := h.createToken(f.ID, "CRM", auth.RoleViewer)
	_, second := h.createToken(f.ID, "BI", auth.RoleViewer)
	a := newAPITester(t, h)

	for i := 1; i <= limit; i++ {
		r := a.get(t, first, "/me")
		require.Equal(t, http.StatusOK, r.Status, "request %d: %s", i, r.Body)
		l, rem, reset := rateHeaders(t, r)
		require.Equal(t, limit, l)
		require.Equal(t, limit-i, rem, "request %d", i)
		require.True(t, reset >= 1 && reset <= 60, "RateLimit-Reset %d", reset)
		require.Equal(t, "5;w=60", r.Header.Get("RateLimit-Policy"))
		require.Empty(t, r.Header.Get("Retry-After"))
	}
	over := a.get(t, first, "/partners")
	p := over.problem(t, http.StatusTooManyRequests)
	require.Contains(t, p.Detail, "more than 5 requests")
	retry, err := strconv.Atoi(over.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", over.Header.Get("Retry-After"))
	require.True(t, retry >= 1 && retry <= 60, "Retry-After %d", retry)
	_, rem, _ := rateHeaders(t, over)
	require.Zero(t, rem)

	// Another token is not affected.
	r := a.get(t, second, "/me")
	require.Equal(t, http.StatusOK, r.Status)
	_, rem, _ = rateHeaders(t, r)
	require.Equal(t, limit-1, rem)

	// A second process on the same database shares both counts.
	peer := h.newPeer(nil, withAPIRateLimit(limit))
	onPeer := func(token string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, peer.ts.URL+"/api/v1/me", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		return resp
	}
	resp := onPeer(first)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	resp = onPeer(second)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, strconv.Itoa(limit-2), resp.Header.Get("RateLimit-Remaining"))
	r = a.get(t, second, "/me")
	_, rem, _ = rateHeaders(t, r)
	require.Equal(t, limit-3, rem, "the first process does not see the second's request")

	// When the window has passed, the token starts a new one.
	_, err = h.owner.Exec(context.Background(),
		`UPDATE api_rate_limits SET window_start = window_start - interval '61 seconds' WHERE tenant_id = $1`, f.ID)
	require.NoError(t, err)
	r = a.get(t, first, "/me")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	_, rem, _ = rateHeaders(t, r)
	require.Equal(t, limit-1, rem)

	// Requests without a valid token are refused before they are counted.
	r = a.do(t, apiReq{Method: http.MethodGet, Path: "/me", Token: "aw_nonsense"})
	r.problem(t, http.StatusUnauthorized)
	require.Empty(t, r.Header.Get("RateLimit-Limit"))
}

// TestAPIRateLimitOff: with ALLYWAY_API_RATE_LIMIT=0 nothing is counted and
// no RateLimit headers are sent; the default is DefaultAPIRateLimit.
func TestAPIRateLimitOff(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, config.DefaultAPIRateLimit, cfg.APIRateLimit)
	_, err = config.Load(func(k string) string {
		if k == "ALLYWAY_API_RATE_LIMIT" {
			return "-1"
		}
		return ""
	})
	require.ErrorContains(t, err, "ALLYWAY_API_RATE_LIMIT")

	h := newHarness(t, withAPIRateLimit(0))
	f := h.createFirm("acme", "Acme Advisory")
	_, token := h.createToken(f.ID, "CRM", auth.RoleViewer)
	a := newAPITester(t, h)
	for range 3 {
		r := a.get(t, token, "/me")
		require.Equal(t, http.StatusOK, r.Status)
		require.Empty(t, r.Header.Get("RateLimit-Limit"))
	}
	require.Zero(t, h.countRows(`SELECT count(*) FROM api_rate_limits`))
}
