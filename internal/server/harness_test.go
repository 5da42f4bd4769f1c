package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/internal/testdb"
)

// TestMain runs the tests, then checks that every API operation had a
// response validated against the OpenAPI document (api_coverage_test.go).
func TestMain(m *testing.M) { os.Exit(checkAPICoverage(testdb.Main(m), os.Stderr)) }

// testPassword is every test account's password.
const testPassword = "correct horse battery staple"

// harness is a real server on a fresh, migrated database of its own,
// serving over a real listener. Emails stay in email_outbox (no workers run),
// where tests read them.
type harness struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	db    *db.DB
	owner *pgxpool.Pool // the schema owner (a superuser in tests): for arranging and inspecting
	app   *pgxpool.Pool // the restricted app role
	hash  string        // testPassword, hashed once
}

// harnessOption changes the server's dependencies before it is built.
type harnessOption func(*Deps)

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := db.Connect(ctx, tdb.AppURL, 0)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	river, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	h := &harness{t: t, db: db.New(app), owner: owner, app: app}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	cfg, err := config.Load(func(k string) string {
		if k == "BASE_URL" {
			return ts.URL
		}
		return ""
	})
	require.NoError(t, err)
	d := Deps{
		Config:  cfg,
		DB:      h.db,
		Logger:  testLogger(),
		Hasher:  auth.NewHasher(4),
		Outbox:  notify.NewOutbox(river),
		DevMail: true,
	}
	for _, o := range opts {
		o(&d)
	}
	h.srv = New(d)
	ts.Config.Handler = h.srv
	h.ts = ts
	h.hash, err = d.Hasher.Hash(ctx, testPassword)
	require.NoError(t, err)
	return h
}

// client is a browser: a cookie jar, and redirects are not followed so tests
// can check them.
func (h *harness) client() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get requests path and returns the response with its body read.
func (h *harness) get(c *http.Client, path string) (*http.Response, string) {
	h.t.Helper()
	resp, err := c.Get(h.ts.URL + path)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

// post submits a form to path.
func (h *harness) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	h.t.Helper()
	resp, err := c.PostForm(h.ts.URL+path, form)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return string(b)
}

// login signs c in and checks it worked (a 303 away from /login).
func (h *harness) login(c *http.Client, email, password string) *http.Response {
	h.t.Helper()
	resp, body := h.post(c, "/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(h.t, http.StatusSeeOther, resp.StatusCode, "login as %s: %s", email, body)
	return resp
}

// loggedIn returns a new client signed in as email (with testPassword).
func (h *harness) loggedIn(email string) *http.Client {
	c := h.client()
	h.login(c, email, testPassword)
	return c
}

// firm is an arranged tenant with an owner.
type firm struct {
	tenant.Tenant
	Owner identity.User
}

// createFirm makes a firm with an owner whose email is owner@<slug>.test.
func (h *harness) createFirm(slug, name string) firm {
	h.t.Helper()
	ctx := context.Background()
	id := uuid.New()
	var f firm
	err := h.db.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) error {
		var err error
		if f.Tenant, err = tenant.Create(ctx, tx, id, slug, name); err != nil {
			return err
		}
		return partner.SetUpFirm(ctx, tx, id)
	})
	require.NoError(h.t, err)
	f.Owner = h.createUser("owner@"+slug+".test", "Owner of "+name)
	h.addStaff(f.ID, f.Owner.ID, auth.RoleOwner)
	return f
}

// createUser makes a person with testPassword.
func (h *harness) createUser(email, name string) identity.User {
	h.t.Helper()
	ctx := context.Background()
	var u identity.User
	err := h.db.Global(ctx, func(tx pgx.Tx) (err error) {
		u, err = identity.CreateUser(ctx, tx, strings.ToLower(email), name, h.hash)
		return err
	})
	require.NoError(h.t, err)
	return u
}

// addStaff puts a person on a firm's staff.
func (h *harness) addStaff(tenantID, userID uuid.UUID, role auth.Role) {
	h.t.Helper()
	ctx := context.Background()
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tenant.AddStaff(ctx, tx, tenantID, userID, role)
	}))
}

// staffUser creates a person and adds them to the firm with role.
func (h *harness) staffUser(f firm, email string, role auth.Role) identity.User {
	u := h.createUser(email, strings.Split(email, "@")[0])
	h.addStaff(f.ID, u.ID, role)
	return u
}

// createPartner adds a partner firm to a firm.
func (h *harness) createPartner(tenantID uuid.UUID, name string) partner.Partner {
	h.t.Helper()
	ctx := context.Background()
	var p partner.Partner
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		p, err = partner.Create(ctx, tx, tenantID, partner.Input{Name: name, Type: "referral"})
		return err
	}))
	return p
}

// portalUser creates a person with portal access for a partner.
func (h *harness) portalUser(tenantID, partnerID uuid.UUID, email string, role auth.Role) identity.User {
	h.t.Helper()
	ctx := context.Background()
	u := h.createUser(email, strings.Split(email, "@")[0])
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tenant.AddPortal(ctx, tx, tenantID, u.ID, partnerID, role)
	}))
	return u
}

// lastEmail returns the newest outbox message to address.
func (h *harness) lastEmail(to string) notify.OutboxMessage {
	h.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), h.owner, 500)
	require.NoError(h.t, err)
	for _, m := range msgs {
		if strings.EqualFold(m.To, to) {
			return m
		}
	}
	h.t.Fatalf("no email to %s in the outbox (%d messages)", to, len(msgs))
	return notify.OutboxMessage{}
}

// linkIn returns the first URL in text that starts with the server's base URL + prefix.
func (h *harness) linkIn(text, prefix string) string {
	h.t.Helper()
	start := strings.Index(text, h.ts.URL+prefix)
	require.GreaterOrEqual(h.t, start, 0, "no %s link in:\n%s", prefix, text)
	end := start
	for end < len(text) && !strings.ContainsRune(" \n\r\t<>\"", rune(text[end])) {
		end++
	}
	return strings.TrimPrefix(text[start:end], h.ts.URL)
}

// testLogger discards logs unless TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}
