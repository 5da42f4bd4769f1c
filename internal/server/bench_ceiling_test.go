package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// withBenchRoutes runs the server as make bench does (ALLYWAY_BENCH_ROUTES=1).
func withBenchRoutes(d *Deps) { d.Config.BenchRoutes = true }

// TestBenchCeiling: the ceiling page exists only with the bench routes on,
// needs a signed-in member of the firm (any role), counts the firm's own
// referrals of the last 90 days by status and nobody else's, and another
// firm's slug is not found.
func TestBenchCeiling(t *testing.T) {
	t.Parallel()
	off := newHarness(t)
	f := off.createFirm("ceiling-off", "Ceiling Off")
	resp, _ := off.get(off.loggedIn(f.Owner.Email), "/t/ceiling-off/bench/ceiling")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "not mounted without ALLYWAY_BENCH_ROUTES")

	h := newHarness(t, withBenchRoutes)
	a := h.createFirm("ceiling-a", "Ceiling A")
	b := h.createFirm("ceiling-b", "Ceiling B")
	pa, pb := h.createPartner(a.ID, "Alpha Tax"), h.createPartner(b.ID, "Beta Legal")
	now := time.Now()
	add := func(tenant, partner any, status string, submitted time.Time) {
		t.Helper()
		closed := any(nil)
		if status == "won" || status == "lost" || status == "declined" {
			closed = submitted.Add(time.Hour)
		}
		reason := any(nil)
		if status == "lost" {
			reason = "budget"
		}
		_, err := h.owner.Exec(t.Context(), `WITH pr AS (INSERT INTO referral_prospects (tenant_id, partner_id, contact_name)
				VALUES ($1, $2, 'Pat') RETURNING tenant_id, partner_id, id)
			INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, status,
				submitted_at, status_changed_at, closed_at, close_reason)
			SELECT tenant_id, 'inbound', partner_id, id, 'Client', 'client', $3, $4, $4, $5, $6 FROM pr`,
			tenant, partner, status, submitted, closed, reason)
		require.NoError(t, err)
	}
	add(a.ID, pa.ID, "submitted", now.Add(-time.Hour))
	add(a.ID, pa.ID, "submitted", now.AddDate(0, 0, -10))
	add(a.ID, pa.ID, "won", now.AddDate(0, 0, -80))
	add(a.ID, pa.ID, "lost", now.AddDate(0, 0, -100)) // before the 90 days
	add(b.ID, pb.ID, "won", now.AddDate(0, 0, -5))    // another firm's

	viewer := h.staffUser(a, "viewer@ceiling-a.test", auth.RoleViewer)
	c := h.loggedIn(viewer.Email)
	resp, body := h.get(c, "/t/ceiling-a/bench/ceiling")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	require.Contains(t, doc.Find("caption").Text(), "Referrals submitted since")
	count := func(status string) string {
		return strings.TrimSpace(doc.Find(`tr[data-status="` + status + `"] td`).Text())
	}
	require.Equal(t, "2", count("submitted"))
	require.Equal(t, "1", count("won"))
	require.Equal(t, "0", count("lost"))
	require.Equal(t, "3", strings.TrimSpace(doc.Find(`[data-testid="total"]`).Text()))

	resp, _ = h.get(c, "/t/ceiling-b/bench/ceiling")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another firm's page")
	resp, _ = h.get(h.client(), "/t/ceiling-a/bench/ceiling")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out: to the sign-in page")
	require.Contains(t, resp.Header.Get("Location"), "/login")
}
