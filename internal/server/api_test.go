package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
)

// apiTester calls the JSON API of a harness and checks every request it
// means to be valid, and every response, against the OpenAPI document the
// server itself serves.
type apiTester struct {
	h      *harness
	router routers.Router
}

func newAPITester(t *testing.T, h *harness) *apiTester {
	t.Helper()
	resp, body := h.get(http.DefaultClient, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	doc, err := openapi3.NewLoader().LoadFromData([]byte(body))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the OpenAPI document is invalid")
	require.Equal(t, "3.1.0", doc.OpenAPI)
	doc.Servers = openapi3.Servers{{URL: h.ts.URL + "/api/v1"}}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &apiTester{h: h, router: router}
}

// contractFormats makes the validator assert the formats we promise
// (date-time is asserted by default; uuid is not).
var contractFormats = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
}

// apiReq is one API request.
type apiReq struct {
	Method string
	Path   string // under /api/v1
	Token  string // "" sends no Authorization header
	Auth   string // a raw Authorization header instead of Token
	Body   []byte
	// ContentType defaults to application/json when there is a body; "-" sends none.
	ContentType string
	Header      map[string]string
	// Invalid marks a request that breaks the contract on purpose: only
	// the response is checked against the document.
	Invalid bool
}

type apiResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResp) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// problemBody is an RFC 9457 problem as the API writes it.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (r apiResp) problem(t *testing.T, status int) problemBody {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	var p problemBody
	r.decode(t, &p)
	require.Equal(t, status, p.Status)
	require.NotEmpty(t, p.Title)
	return p
}

func (r apiResp) fieldErrors(t *testing.T) map[string]string {
	t.Helper()
	p := r.problem(t, http.StatusUnprocessableEntity)
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Field] = e.Message
	}
	return out
}

func (a *apiTester) newRequest(t *testing.T, q apiReq) *http.Request {
	t.Helper()
	var body io.Reader
	if q.Body != nil {
		body = bytes.NewReader(q.Body)
	}
	req, err := http.NewRequest(q.Method, a.h.ts.URL+"/api/v1"+q.Path, body)
	require.NoError(t, err)
	switch {
	case q.ContentType == "-":
	case q.ContentType != "":
		req.Header.Set("Content-Type", q.ContentType)
	case q.Body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	if q.Token != "" {
		req.Header.Set("Authorization", "Bearer "+q.Token)
	}
	if q.Auth != "" {
		req.Header.Set("Authorization", q.Auth)
	}
	for k, v := range q.Header {
		req.Header.Set(k, v)
	}
	return req
}

func (a *apiTester) do(t *testing.T, q apiReq) apiResp {
	t.Helper()
	ctx := context.Background()
	check := a.newRequest(t, q)
	route, params, err := a.router.FindRoute(check)
	require.NoError(t, err, "%s %s is not in the OpenAPI document", q.Method, q.Path)
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: contractFormats}}
	if !q.Invalid {
		require.NoError(t, openapi3filter.ValidateRequest(ctx, in), "request %s %s breaks the contract", q.Method, q.Path)
	}

	resp, err := http.DefaultClient.Do(a.newRequest(t, q))
	require.NoError(t, err)
	body := []byte(readBody(t, resp))
	out := apiResp{Status: resp.StatusCode, Header: resp.Header, Body: body}

	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: contractFormats},
	})
	require.NoError(t, err, "response to %s %s (%d) breaks the contract: %s", q.Method, q.Path, resp.StatusCode, body)
	apiValidated.record(route.Method, route.Path, resp.StatusCode)
	return out
}

func (a *apiTester) get(t *testing.T, token, path string) apiResp {
	t.Helper()
	return a.do(t, apiReq{Method: http.MethodGet, Path: path, Token: token})
}

func (a *apiTester) post(t *testing.T, token, path string, v any, header map[string]string) apiResp {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return a.do(t, apiReq{Method: http.MethodPost, Path: path, Token: token, Body: b, Header: header})
}

// createToken makes an API token the way the app does and returns its secret.
func (h *harness) createToken(tenantID uuid.UUID, name string, role auth.Role) (tenant.APIToken, string) {
	h.t.Helper()
	ctx := context.Background()
	var tok tenant.APIToken
	var secret string
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		tok, secret, err = tenant.CreateToken(ctx, tx, tenantID, name, role, uuid.Nil)
		return err
	}))
	return tok, secret
}

func (h *harness) countRows(sql string, args ...any) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// apiPartnerJSON is a partner as a client decodes it.
type apiPartnerJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Domain      *string  `json:"domain"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	TierID      *string  `json:"tier_id"`
	Industries  []string `json:"industries"`
	Regions     []string `json:"regions"`
	ClientSizes []string `json:"client_sizes"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

type partnerPageJSON struct {
	Data       []apiPartnerJSON `json:"data"`
	NextCursor *string          `json:"next_cursor"`
}

func TestAPIOpenAPIDocument(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h) // loads, validates and routes the served document
	resp := a.do(t, apiReq{Method: http.MethodGet, Path: "/openapi.json"})
	require.Equal(t, http.StatusOK, resp.Status)
	var doc map[string]any
	resp.decode(t, &doc)
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/me", "/partners", "/partners/{id}"} {
		assert.Contains(t, paths, p)
	}
	assert.Contains(t, string(resp.Body), `"Idempotency-Key"`)
}

func TestAPIMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme Consulting")
	tok, secret := h.createToken(f.ID, "CRM sync", auth.RoleManager)
	require.True(t, strings.HasPrefix(secret, "aw_"))

	resp := a.get(t, secret, "/me")
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Empty(t, resp.Header.Values("Set-Cookie"), "the API sets no cookies")
	var me struct {
		Tenant struct{ ID, Slug, Name string }
		Token  struct{ ID, Name, Role string }
	}
	resp.decode(t, &me)
	assert.Equal(t, f.ID.String(), me.Tenant.ID)
	assert.Equal(t, "acme", me.Tenant.Slug)
	assert.Equal(t, "Acme Consulting", me.Tenant.Name)
	assert.Equal(t, tok.ID.String(), me.Token.ID)
	assert.Equal(t, "CRM sync", me.Token.Name)
	assert.Equal(t, "manager", me.Token.Role)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM api_tokens WHERE id = $1 AND last_used_at IS NOT NULL`, tok.ID))
}

func TestAPIUnauthorized(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	revoked, revokedSecret := h.createToken(f.ID, "old", auth.RoleAdmin)
	require.NoError(t, h.db.InTenant(context.Background(), f.ID, func(tx pgx.Tx) error {
		_, err := tenant.RevokeToken(context.Background(), tx, f.ID, revoked.ID)
		return err
	}))
	_, good := h.createToken(f.ID, "good", auth.RoleAdmin)
	// The right secret presented as another firm's: looked up under that
	// firm's rows, where it does not exist.
	forged := "aw_" + strings.ReplaceAll(other.ID.String(), "-", "") + good[strings.LastIndex(good, "_"):]

	for name, q := range map[string]apiReq{
		"no header":        {},
		"basic auth":       {Auth: "Basic dXNlcjpwYXNz"},
		"empty bearer":     {Auth: "Bearer "},
		"not our format":   {Token: "abc123"},
		"bad tenant part":  {Token: "aw_zzzz_" + strings.Repeat("x", 43)},
		"unknown secret":   {Token: good[:len(good)-4] + "AAAA"},
		"unknown tenant":   {Token: "aw_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_" + auth.NewToken()},
		"revoked token":    {Token: revokedSecret},
		"other firm's key": {Token: forged},
	} {
		t.Run(name, func(t *testing.T) {
			q.Method, q.Path = http.MethodGet, "/me"
			resp := a.do(t, q)
			resp.problem(t, http.StatusUnauthorized)
			assert.True(t, strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer"), resp.Header.Get("WWW-Authenticate"))
		})
	}
	require.Equal(t, http.StatusOK, a.get(t, good, "/me").Status)
	// A write without a token is refused before its body is looked at.
	a.post(t, "", "/partners", map[string]any{"name": "X"}, nil).problem(t, http.StatusUnauthorized)
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM partners`))
}

func TestAPIRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	for role, canWrite := range map[auth.Role]bool{
		auth.RoleAdmin: true, auth.RoleManager: true, auth.RoleFinance: false, auth.RoleViewer: false,
	} {
		_, secret := h.createToken(f.ID, string(role), role)
		assert.Equal(t, http.StatusOK, a.get(t, secret, "/partners").Status, role)
		resp := a.post(t, secret, "/partners", map[string]any{"name": "By " + string(role)}, nil)
		if canWrite {
			assert.Equal(t, http.StatusCreated, resp.Status, "%s: %s", role, resp.Body)
		} else {
			resp.problem(t, http.StatusForbidden)
		}
	}
	assert.Equal(t, 2, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1`, f.ID))
}

func TestAPIPartnerCreateAndGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	tok, secret := h.createToken(f.ID, "CRM", auth.RoleAdmin)
	_, otherSecret := h.createToken(other.ID, "CRM", auth.RoleAdmin)

	resp := a.post(t, secret, "/partners", map[string]any{
		"name": "  Brightline Advisory ", "domain": "https://www.Brightline.example/about", "type": "delivery",
		"unknown_field": "ignored",
	}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var created apiPartnerJSON
	resp.decode(t, &created)
	assert.Equal(t, "Brightline Advisory", created.Name)
	require.NotNil(t, created.Domain)
	assert.Equal(t, "brightline.example", *created.Domain)
	assert.Equal(t, "delivery", created.Type)
	assert.Equal(t, "prospect", created.Status)
	assert.Nil(t, created.TierID)
	assert.Equal(t, []string{}, created.Industries)
	assert.Equal(t, []string{}, created.Regions)
	assert.Equal(t, []string{}, created.ClientSizes)
	assert.Equal(t, "null", jsonField(t, resp.Body, "tier_id"))

	got := a.get(t, secret, "/partners/"+created.ID)
	require.Equal(t, http.StatusOK, got.Status)
	assert.JSONEq(t, string(resp.Body), string(got.Body))

	// The change is audited with the token as the actor.
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.created'
		AND target_id = $2 AND actor_token_id = $3 AND actor_user_id IS NULL`, f.ID, created.ID, tok.ID))

	// Defaults: no domain is null, no type is referral.
	resp = a.post(t, secret, "/partners", map[string]any{"name": "Plain"}, nil)
	require.Equal(t, http.StatusCreated, resp.Status)
	var plain apiPartnerJSON
	resp.decode(t, &plain)
	assert.Nil(t, plain.Domain)
	assert.Equal(t, "referral", plain.Type)

	// Another firm's partner, a malformed id and a missing one are all 404.
	theirs := h.createPartner(other.ID, "Theirs")
	a.get(t, secret, "/partners/"+theirs.ID.String()).problem(t, http.StatusNotFound)
	a.get(t, otherSecret, "/partners/"+created.ID).problem(t, http.StatusNotFound)
	a.get(t, secret, "/partners/not-a-uuid").problem(t, http.StatusNotFound)
	a.get(t, secret, "/partners/"+uuid.NewString()).problem(t, http.StatusNotFound)
	// …and the other firm's list does not show ours.
	var page partnerPageJSON
	a.get(t, otherSecret, "/partners").decode(t, &page)
	require.Len(t, page.Data, 1)
	assert.Equal(t, theirs.ID.String(), page.Data[0].ID)
}

func jsonField(t *testing.T, body []byte, field string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	return string(m[field])
}

func TestAPIPartnerValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleAdmin)
	post := func(body, contentType string) apiResp {
		return a.do(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret, Body: []byte(body),
			ContentType: contentType, Invalid: true})
	}

	errs := post(`{"name": "  ", "domain": "not a domain", "type": "franchise"}`, "").fieldErrors(t)
	assert.Contains(t, errs, "name")
	assert.Contains(t, errs, "domain")
	assert.Contains(t, errs, "type")

	errs = post(`{"name": 42}`, "").fieldErrors(t)
	assert.Contains(t, errs, "name")

	post(`{"name": "X"`, "").problem(t, http.StatusBadRequest)
	post(`{"name": "X"} trailing`, "").problem(t, http.StatusBadRequest)
	post(`[1, 2]`, "").problem(t, http.StatusBadRequest)
	post(``, "").problem(t, http.StatusBadRequest)
	post(`{"name": "X"}`, "text/plain").problem(t, http.StatusUnsupportedMediaType)
	post(`name=X`, "application/x-www-form-urlencoded").problem(t, http.StatusUnsupportedMediaType)
	post(`{"name": "X"}`, "-").problem(t, http.StatusUnsupportedMediaType)
	// A charset parameter is fine.
	assert.Equal(t, http.StatusCreated, post(`{"name": "With charset"}`, "application/json; charset=utf-8").Status)

	// Over 1 MiB, sent without a length so the body reader itself stops it.
	big := `{"name": "X", "pad": "` + strings.Repeat("a", maxBody) + `"}`
	req := a.newRequest(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret})
	req.Body = io.NopCloser(strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readBody(t, resp)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, body)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))

	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1`, f.ID))
}

func TestAPIPartnerPagination(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	_, secret := h.createToken(f.ID, "BI", auth.RoleViewer)
	ctx := context.Background()

	// 70 partners in one transaction share created_at (now() is the
	// transaction's start), so only the id orders them; 50 more each in
	// their own transaction.
	want := map[string]bool{}
	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) error {
		for i := range 70 {
			p, err := partner.Create(ctx, tx, f.ID, partner.Input{Name: fmt.Sprintf("Batch %02d", i), Type: "referral"})
			if err != nil {
				return err
			}
			want[p.ID.String()] = true
		}
		return nil
	}))
	for i := range 50 {
		p := h.createPartner(f.ID, fmt.Sprintf("Single %02d", i))
		want[p.ID.String()] = true
	}
	h.createPartner(other.ID, "Not ours")

	seen := map[string]bool{}
	var order []string
	cursor, pages := "", 0
	for {
		path := "/partners?limit=50"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		resp := a.get(t, secret, path)
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
		var page partnerPageJSON
		resp.decode(t, &page)
		pages++
		for _, p := range page.Data {
			require.False(t, seen[p.ID], "partner %s on two pages", p.ID)
			seen[p.ID] = true
			order = append(order, p.CreatedAt+"|"+p.ID)
		}
		if page.NextCursor == nil {
			require.Len(t, page.Data, 20, "the last page")
			break
		}
		require.Len(t, page.Data, 50)
		cursor = *page.NextCursor
		require.Less(t, pages, 5, "pagination does not end")
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, want, seen, "every partner exactly once")
	assert.Len(t, order, 120)

	// Defaults and bounds.
	var page partnerPageJSON
	a.get(t, secret, "/partners").decode(t, &page)
	assert.Len(t, page.Data, 50)
	a.get(t, secret, "/partners?limit=200").decode(t, &page)
	assert.Len(t, page.Data, 120)
	assert.Nil(t, page.NextCursor)
	for _, bad := range []string{"limit=0", "limit=201", "limit=ten", "cursor=garbage", "cursor=" + strings.Repeat("A", 34),
		"status=dormant", "type=franchise", "updated_since=yesterday"} {
		resp := a.do(t, apiReq{Method: http.MethodGet, Path: "/partners?" + bad, Token: secret, Invalid: true})
		errs := resp.fieldErrors(t)
		assert.Len(t, errs, 1, bad)
	}

	// Filters.
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	_, err := h.owner.Exec(ctx, `UPDATE partners SET status = 'active', type = 'channel', updated_at = '2030-06-01T00:00:00Z'
		WHERE id = ANY($1::uuid[])`, ids[:3])
	require.NoError(t, err)
	a.get(t, secret, "/partners?status=active").decode(t, &page)
	assert.Len(t, page.Data, 3)
	a.get(t, secret, "/partners?type=channel&status=active&limit=2").decode(t, &page)
	assert.Len(t, page.Data, 2)
	require.NotNil(t, page.NextCursor)
	a.get(t, secret, "/partners?type=channel&status=active&limit=2&cursor="+*page.NextCursor).decode(t, &page)
	assert.Len(t, page.Data, 1)
	assert.Nil(t, page.NextCursor)
	a.get(t, secret, "/partners?updated_since=2030-05-31T23:59:59Z").decode(t, &page)
	assert.Len(t, page.Data, 3)
	a.get(t, secret, "/partners?updated_since=2030-06-01T00:00:01Z").decode(t, &page)
	assert.Empty(t, page.Data)
	assert.Equal(t, "[]", jsonField(t, a.get(t, secret, "/partners?status=ended").Body, "data"))
	// An offset whose "+" arrived unescaped (as a space) still reads right.
	resp := a.do(t, apiReq{Method: http.MethodGet, Path: "/partners?updated_since=2030-06-01T01:59:59+02:00", Token: secret, Invalid: true})
	resp.decode(t, &page)
	assert.Len(t, page.Data, 3)
}

func TestAPIPartnerIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	_, otherSecret := h.createToken(other.ID, "CRM", auth.RoleManager)
	count := func(id uuid.UUID) int {
		return h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1`, id)
	}
	key := map[string]string{"Idempotency-Key": "create-brightline-1"}

	first := a.post(t, secret, "/partners", map[string]any{"name": "Brightline", "type": "alliance"}, key)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	assert.Empty(t, first.Header.Get("Idempotent-Replayed"))

	// The same body again — even encoded differently — answers the first
	// response and creates nothing.
	again := a.do(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret, Header: key,
		Body: []byte("{ \"type\":\"alliance\",\n  \"name\":\"Brightline\" }")})
	assert.Equal(t, first.Status, again.Status)
	assert.Equal(t, string(first.Body), string(again.Body))
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, count(f.ID))

	// Another body with the key is a conflict.
	a.post(t, secret, "/partners", map[string]any{"name": "Brightline", "type": "delivery"}, key).problem(t, http.StatusConflict)
	assert.Equal(t, 1, count(f.ID))

	// Keys are per firm: another firm may use the same one.
	assert.Equal(t, http.StatusCreated, a.post(t, otherSecret, "/partners", map[string]any{"name": "Brightline", "type": "alliance"}, key).Status)
	assert.Equal(t, 1, count(other.ID))

	// A failed request stores nothing: fixing the body and retrying with the
	// same key works.
	k2 := map[string]string{"Idempotency-Key": "k2"}
	a.do(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret, Header: k2, Body: []byte(`{"name": ""}`), Invalid: true}).
		problem(t, http.StatusUnprocessableEntity)
	assert.Equal(t, http.StatusCreated, a.post(t, secret, "/partners", map[string]any{"name": "Fixed"}, k2).Status)
	assert.Equal(t, 2, count(f.ID))

	// A malformed key.
	a.do(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret, Header: map[string]string{"Idempotency-Key": "has space"},
		Body: []byte(`{"name": "X"}`), Invalid: true}).problem(t, http.StatusBadRequest)

	// An expired key counts as new.
	_, err := h.owner.Exec(context.Background(), `UPDATE api_idempotency SET created_at = now() - interval '25 hours'
		WHERE tenant_id = $1 AND key = 'k2'`, f.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, a.post(t, secret, "/partners", map[string]any{"name": "Fixed"}, k2).Status)
	assert.Equal(t, 3, count(f.ID))

	// Concurrent requests with one key make exactly one partner, and all
	// answer with it.
	const n = 8
	var wg sync.WaitGroup
	results := make([]apiResp, n)
	body := []byte(`{"name": "Raced", "domain": "raced.example"}`)
	for i := range n {
		wg.Go(func() {
			resp, err := http.DefaultClient.Do(a.newRequest(t, apiReq{Method: http.MethodPost, Path: "/partners", Token: secret,
				Body: body, Header: map[string]string{"Idempotency-Key": "race"}}))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results[i] = apiResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
		})
	}
	wg.Wait()
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		assert.Equal(t, string(results[0].Body), string(r.Body))
	}
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1 AND name = 'Raced'`, f.ID))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.created'
		AND detail->>'name' = 'Raced'`, f.ID))
}

func TestAPIUnknownRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleAdmin)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/nothing", http.StatusNotFound},
		{http.MethodDelete, "/api/v1/me", http.StatusMethodNotAllowed},
	} {
		req, err := http.NewRequest(c.method, h.ts.URL+c.path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body := readBody(t, resp)
		assert.Equal(t, c.status, resp.StatusCode, c.path)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), body)
	}
}
