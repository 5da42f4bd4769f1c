package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/webhook"
)

// TestWebhookSettingsPages: an admin adds a webhook (bad input re-shown
// with messages and the input kept), sees its secret once, sends a test
// event that reaches the receiver, reads the delivery log, redelivers,
// disables, enables and deletes it — each audited. Other roles may not.
func TestWebhookSettingsPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, allowPrivateWebhooks)
	f := h.createFirm("acme", "Acme")
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	hits := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(recv.Close)
	c := h.loggedIn(f.Owner.Email)
	base := "/t/acme/settings/webhooks"

	resp, body := h.get(c, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "No webhooks yet")

	resp, body = h.post(c, base, url.Values{"url": {"ftp://crm.example/x"}, "description": {"Kept input"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Use an http:// or https:// URL.")
	require.Contains(t, body, "Choose at least one event.")
	require.Contains(t, body, `value="ftp://crm.example/x"`)
	require.Contains(t, body, `value="Kept input"`)
	require.Zero(t, h.countRows(`SELECT count(*) FROM webhook_subscriptions`))

	resp, _ = h.post(c, base, url.Values{"url": {recv.URL + "/hook"}, "events": {"referral.created", "payout.paid"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.Contains(t, body, `data-testid="new-webhook-secret"`)
	require.Contains(t, body, "whsec_")
	_, body = h.get(c, base)
	require.NotContains(t, body, "whsec_", "the secret is shown once")
	require.Contains(t, body, recv.URL+"/hook")

	var id uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM webhook_subscriptions`).Scan(&id))
	page := base + "/" + id.String()
	resp, _ = h.post(c, page+"/test", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver'`))
	d := &webhook.Deliverer{DB: h.db, Outbox: h.srv.Outbox, Guard: webhook.Guard{AllowPrivate: true}}
	_, err := d.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, hits)
	resp, body = h.get(c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "webhook.test")
	require.Contains(t, body, "HTTP 200")
	require.Equal(t, 1, strings.Count(body, `data-testid="delivery-row"`))

	var delivery uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM webhook_deliveries`).Scan(&delivery))
	resp, _ = h.post(c, page+"/deliveries/"+delivery.String()+"/redeliver", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, err = d.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, hits)

	resp, _ = h.post(c, page+"/disable", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, page)
	require.Contains(t, body, "Disabled by")
	resp, _ = h.post(c, page+"/test", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, page)
	require.Contains(t, body, "enable it first")
	resp, _ = h.post(c, page+"/enable", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM webhook_subscriptions WHERE enabled`))

	m := h.loggedIn("manager@acme.test")
	resp, _ = h.get(m, base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(m, page+"/delete", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, _ = h.post(c, page+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Zero(t, h.countRows(`SELECT count(*) FROM webhook_subscriptions`))
	resp, _ = h.get(c, page)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	for _, action := range []string{"webhook.created", "webhook.test_sent", "webhook.redelivered", "webhook.disabled", "webhook.enabled", "webhook.deleted"} {
		require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE action = $1`, action), action)
	}
}
