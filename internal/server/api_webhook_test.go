package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/webhook"
)

func init() {
	// Firm B's webhook: its id must be 404 in firm A's URLs.
	isolationSeeds = append(isolationSeeds, func(t *testing.T, h *harness, b firm, _ uuid.UUID) []string {
		var id uuid.UUID
		require.NoError(t, h.owner.QueryRow(context.Background(), `INSERT INTO webhook_subscriptions (tenant_id, url, events, secret)
			VALUES ($1, 'https://b.example/hook', '{referral.created}', 'whsec_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') RETURNING id`, b.ID).Scan(&id))
		var delivery uuid.UUID
		require.NoError(t, h.owner.QueryRow(context.Background(), `WITH e AS (INSERT INTO webhook_events (tenant_id, type, subject, data)
				VALUES ($1, 'webhook.test', 'test:x', '{}') RETURNING id)
			INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id) SELECT $1, $2, e.id FROM e RETURNING id`, b.ID, id).Scan(&delivery))
		return []string{id.String(), delivery.String()}
	})
}

// allowPrivateWebhooks runs the harness's server with
// ALLYWAY_WEBHOOK_ALLOW_PRIVATE on, so webhooks may point at httptest.
func allowPrivateWebhooks(d *Deps) { d.Config.WebhookAllowPrivate = true }

type apiWebhookJSON struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
	Secret         string   `json:"secret"`
	DisabledReason *string  `json:"disabled_reason"`
}

// TestAPIWebhooks: create (the secret once, idempotent replay), list, get,
// delete; bad URLs (not http(s), private or loopback addresses with the
// setting off) and events answer 422 with field errors; roles; another
// firm's id is 404 — all against the OpenAPI document.
func TestAPIWebhooks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	_, admin := h.createToken(f.ID, "ops", auth.RoleAdmin)
	_, viewer := h.createToken(f.ID, "bi", auth.RoleViewer)
	_, otherAdmin := h.createToken(other.ID, "ops", auth.RoleAdmin)

	for url, want := range map[string]string{
		"ftp://crm.example/hook":                  "http",
		"http://127.0.0.1:8080/hook":              "private",
		"https://10.0.0.7/hook":                   "private",
		"http://169.254.169.254/latest/meta-data": "private",
		"http://[::1]/hook":                       "private",
		"http://localhost:8080/hook":              "private",
	} {
		fe := a.post(t, admin, "/webhooks", map[string]any{"url": url, "events": []string{"referral.created"}}, nil).fieldErrors(t)
		require.Contains(t, fe["url"], want, url)
	}
	fe := a.do(t, apiReq{Method: http.MethodPost, Path: "/webhooks", Token: admin, Invalid: true,
		Body: []byte(`{"url": "https://93.184.215.14/hook", "events": ["referral.deleted"]}`)}).fieldErrors(t)
	require.Contains(t, fe, "events")
	fe = a.do(t, apiReq{Method: http.MethodPost, Path: "/webhooks", Token: admin, Invalid: true, Body: []byte(`{"events": []}`)}).fieldErrors(t)
	require.Contains(t, fe, "url")
	require.Contains(t, fe, "events")
	require.Zero(t, h.countRows(`SELECT count(*) FROM webhook_subscriptions`))

	body := map[string]any{"url": "https://93.184.215.14/hooks/allyway", "events": []string{"referral.status_changed", "referral.created"},
		"description": "CRM sync"}
	a.post(t, viewer, "/webhooks", body, nil).problem(t, http.StatusForbidden)
	key := map[string]string{"Idempotency-Key": "wh-1"}
	resp := a.post(t, admin, "/webhooks", body, key)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var created apiWebhookJSON
	resp.decode(t, &created)
	require.Regexp(t, `^whsec_`, created.Secret)
	require.Equal(t, []string{"referral.created", "referral.status_changed"}, created.Events)
	require.True(t, created.Enabled)
	replay := a.post(t, admin, "/webhooks", body, key)
	require.Equal(t, string(resp.Body), string(replay.Body))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM webhook_subscriptions`))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE action = 'webhook.created'`))

	var got apiWebhookJSON
	a.get(t, viewer, "/webhooks/"+created.ID).decode(t, &got)
	require.Equal(t, created.URL, got.URL)
	require.Empty(t, got.Secret, "the secret is never read back")
	var page struct {
		Data       []apiWebhookJSON `json:"data"`
		NextCursor *string          `json:"next_cursor"`
	}
	a.get(t, viewer, "/webhooks").decode(t, &page)
	require.Len(t, page.Data, 1)
	require.Nil(t, page.NextCursor)
	a.get(t, viewer, "/webhooks?cursor=nope").fieldErrors(t)

	a.get(t, otherAdmin, "/webhooks/"+created.ID).problem(t, http.StatusNotFound)
	a.do(t, apiReq{Method: http.MethodDelete, Path: "/webhooks/" + created.ID, Token: otherAdmin}).problem(t, http.StatusNotFound)
	a.do(t, apiReq{Method: http.MethodDelete, Path: "/webhooks/" + created.ID, Token: viewer}).problem(t, http.StatusForbidden)
	del := a.do(t, apiReq{Method: http.MethodDelete, Path: "/webhooks/" + created.ID, Token: admin})
	require.Equal(t, http.StatusNoContent, del.Status)
	a.get(t, admin, "/webhooks/"+created.ID).problem(t, http.StatusNotFound)
	a.get(t, admin, "/webhooks/not-a-uuid").problem(t, http.StatusNotFound)
}

// TestWebhookReferralEventsEndToEnd: a firm subscribes a real HTTP
// receiver through the API, submits a referral and moves it through three
// statuses through the API; the delivery run sends referral.created, then
// referral.status_changed three times, in order, each signed with the
// secret the API answered.
func TestWebhookReferralEventsEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, allowPrivateWebhooks)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	_, admin := h.createToken(f.ID, "ops", auth.RoleAdmin)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")

	type hit struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var hits []hit
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)

	var sub apiWebhookJSON
	resp := a.post(t, admin, "/webhooks", map[string]any{"url": recv.URL + "/allyway",
		"events": []string{"referral.created", "referral.status_changed"}}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	resp.decode(t, &sub)

	var ref apiReferralJSON
	a.post(t, admin, "/referrals", referralBody(bright, "Globex"), nil).decode(t, &ref)
	for _, to := range []string{"acknowledged", "contacted", "meeting"} {
		r := a.post(t, admin, "/referrals/"+ref.ID+"/transitions", map[string]any{"to": to}, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", to, r.Body)
	}

	d := &webhook.Deliverer{DB: h.db, Outbox: h.srv.Outbox, Guard: webhook.Guard{AllowPrivate: true}, Timeout: 5 * time.Second}
	res, err := d.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 4, res.Delivered)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, hits, 4)
	wantTo := []string{"", "acknowledged", "contacted", "meeting"}
	for i, g := range hits {
		require.NoError(t, webhook.Verify(sub.Secret, g.header.Get(webhook.HeaderTimestamp), g.body,
			g.header.Get(webhook.HeaderSignature), webhook.DefaultTolerance), "delivery %d", i)
		var env struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Data struct {
				Referral struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"referral"`
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(g.body, &env))
		require.Equal(t, env.ID, g.header.Get(webhook.HeaderID))
		require.Equal(t, ref.ID, env.Data.Referral.ID)
		if i == 0 {
			require.Equal(t, "referral.created", env.Type)
			require.Equal(t, "submitted", env.Data.Referral.Status)
			continue
		}
		require.Equal(t, "referral.status_changed", env.Type)
		require.Equal(t, wantTo[i], env.Data.To)
		require.Equal(t, wantTo[i], env.Data.Referral.Status)
		if i > 1 {
			require.Equal(t, wantTo[i-1], env.Data.From)
		}
	}
}
