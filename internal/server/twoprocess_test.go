package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
)

// peer is a second app process on a harness's database, as a second
// replica behind a load balancer: its own connection pool, River client,
// Server and listener; nothing shared with the harness but PostgreSQL.
type peer struct {
	srv   *Server
	ts    *httptest.Server
	river *river.Client[pgx.Tx]
}

// newPeer starts another app process on h's database. With a mailer its
// River client works jobs (as `allyway serve` does) and sends email
// through mailer; without one it only inserts them.
func (h *harness) newPeer(mailer notify.Mailer, opts ...harnessOption) *peer {
	h.t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, h.app.Config().ConnString())
	require.NoError(h.t, err)
	h.t.Cleanup(pool.Close)
	work := mailer != nil
	rc, err := jobs.NewClient(jobs.Deps{Pool: pool, Mailer: mailer, Logger: slog.New(slog.DiscardHandler)}, work)
	require.NoError(h.t, err)
	if work {
		require.NoError(h.t, rc.Start(ctx))
		h.t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rc.Stop(stopCtx)
		})
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	h.t.Cleanup(ts.Close)
	cfg, err := config.Load(func(k string) string {
		if k == "BASE_URL" {
			return ts.URL
		}
		return ""
	})
	require.NoError(h.t, err)
	d := Deps{Config: cfg, DB: db.New(pool), Logger: testLogger(), Hasher: auth.NewHasher(4), Outbox: notify.NewOutbox(rc)}
	for _, o := range opts {
		o(&d)
	}
	p := &peer{srv: New(d), ts: ts, river: rc}
	ts.Config.Handler = p.srv
	return p
}

// recordingMailer keeps what it sends.
type recordingMailer struct {
	name string
	mu   sync.Mutex
	sent []notify.Email
}

func (m *recordingMailer) Send(_ context.Context, e notify.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

func (m *recordingMailer) Name() string { return m.name }

func (m *recordingMailer) sentTo(addr string) (notify.Email, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.sent {
		if strings.EqualFold(e.To, addr) {
			return e, true
		}
	}
	return notify.Email{}, false
}

// TestTwoProcessesShareSessionsAndJobs: two app processes on one database
// behind a load balancer. A person signs in on process A and carries on, with
// the same session cookie, on process B: B sees the session (dashboard),
// accepts a same-origin form post and refuses a cross-origin one. The
// invitation email B enqueues is sent by A's River worker (B works no jobs).
func TestTwoProcessesShareSessionsAndJobs(t *testing.T) {
	t.Parallel()
	b := newHarness(t) // process B: web only, its River client inserts jobs
	f := b.createFirm("acme", "Acme Advisory")
	mailer := &recordingMailer{name: "process-a"}
	a := b.newPeer(mailer) // process A: web and River workers

	// Sign in on A.
	ca := b.client()
	resp, err := ca.PostForm(a.ts.URL+"/login", url.Values{"email": {f.Owner.Email}, "password": {testPassword}})
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/acme", resp.Header.Get("Location"))
	au, _ := url.Parse(a.ts.URL)
	var session *http.Cookie
	for _, ck := range ca.Jar.Cookies(au) {
		if ck.Name == a.srv.sessions.Cookie.Name {
			session = ck
		}
	}
	require.NotNil(t, session, "process A set no session cookie")

	// The load balancer sends the next requests to B: a browser with only that cookie.
	cb := b.client()
	bu, _ := url.Parse(b.ts.URL)
	cb.Jar.SetCookies(bu, []*http.Cookie{{Name: session.Name, Value: session.Value}})
	resp, body := b.get(cb, "/t/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Acme Advisory")
	resp, body = b.get(cb, "/t/acme/settings/team")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	// A form posted on B from B's own pages (same origin) is accepted…
	post := func(origin, site string) *http.Response {
		form := url.Values{"email": {"newcomer@acme.test"}, "role": {"viewer"}}
		req, err := http.NewRequest(http.MethodPost, b.ts.URL+"/t/acme/settings/team/invitations", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", site)
		resp, err := cb.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		return resp
	}
	// …one from another site is not (the cross-origin check holds on every process).
	require.Equal(t, http.StatusForbidden, post("https://evil.example", "cross-site").StatusCode)
	resp = post(b.ts.URL, "same-origin")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotEmpty(t, b.openInvitationID(f.ID, "newcomer@acme.test"))

	// B only enqueued the email; A's worker sends it.
	require.Eventually(t, func() bool {
		_, ok := mailer.sentTo("newcomer@acme.test")
		return ok
	}, 30*time.Second, 50*time.Millisecond, "process A's River worker never sent the invitation enqueued by process B")
	var transport string
	require.NoError(t, b.owner.QueryRow(context.Background(),
		`SELECT coalesce(transport, '') FROM email_outbox WHERE to_addr = 'newcomer@acme.test' AND sent_at IS NOT NULL`).Scan(&transport))
	require.Equal(t, "process-a", transport)

	// Signing out on B ends the session on A too.
	req, err := http.NewRequest(http.MethodPost, b.ts.URL+"/logout", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", b.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = cb.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, err = ca.Get(a.ts.URL + "/t/acme")
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the session signed out on B still works on A")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"), resp.Header.Get("Location"))
}
