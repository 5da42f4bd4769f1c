package server

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	xhtml "golang.org/x/net/html"

	"github.com/allyway/allyway/internal/auth"
)

// alertNow is the clock of the alert and program input tests: Friday 27
// Nov 2026, in Q4 2026.
var alertNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// alertWorld is a firm whose partner Brightline Tax got 12 referrals from
// us and sent 2 in the last months, and another partner with no alert.
type alertWorld struct {
	t        *testing.T
	h        *harness
	f        firm
	p, quiet uuid.UUID
}

func newAlertWorld(t *testing.T) *alertWorld {
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return alertNow } })
	w := &alertWorld{t: t, h: h, f: h.createFirm("northwind", "Northwind Advisory")}
	w.p = h.createPartner(w.f.ID, "Brightline Tax").ID
	w.quiet = h.createPartner(w.f.ID, "Harbor Legal").ID
	w.exec(`UPDATE partners SET status = 'active', status_changed_at = '2026-10-01' WHERE tenant_id = $1`, w.f.ID)
	w.referrals(w.p, "outbound", 12)
	w.referrals(w.p, "inbound", 2)
	return w
}

func (w *alertWorld) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.h.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.t, err, sql)
}

// referrals adds n referrals with the partner, a day apart from 1 Oct 2026.
func (w *alertWorld) referrals(partnerID uuid.UUID, direction string, n int) {
	w.t.Helper()
	for i := range n {
		w.exec(`WITH p AS (INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id)
			INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, submitted_at)
			SELECT $1, $3, $2, p.id, 'Acme', 'acme', $4 FROM p`,
			w.f.ID, partnerID, direction, time.Date(2026, 10, 1+i, 12, 0, 0, 0, time.UTC))
	}
}

// pageText is the text of a page's <main> (see selText).
func pageText(t *testing.T, body string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	return selText(doc.Find("main"))
}

// selText is the text of a selection, each text node apart (so table
// cells don't run together), entities decoded, spaces squashed.
func selText(sel *goquery.Selection) string {
	var parts []string
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			parts = append(parts, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range sel.Nodes {
		walk(n)
	}
	return strings.Join(strings.Fields(html.UnescapeString(strings.Join(parts, " "))), " ")
}

const workedExample = "We've referred 12 opportunities to you this year and received 2"

// TestAlertPages: the checks raise the worked example's alert, which the
// alerts page and the dashboard show; filters, the resolved history,
// roles and another firm.
func TestAlertPages(t *testing.T) {
	t.Parallel()
	w := newAlertWorld(t)
	h := w.h
	owner := h.loggedIn(w.f.Owner.Email)
	base := "/t/" + w.f.Slug

	resp, body := h.get(owner, base+"/alerts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, pageText(t, body), "No open alerts")

	// Run the checks by hand (the daily job does the same).
	resp, _ = h.post(owner, base+"/alerts/scan", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, base+"/alerts", resp.Header.Get("Location"))
	resp, body = h.get(owner, base+"/alerts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	txt := pageText(t, body)
	require.Contains(t, txt, "The checks ran: 1 new alert, 0 alerts updated, 0 resolved.")
	require.Contains(t, txt, "Uneven flow Brightline Tax "+workedExample+" 27 Nov 2026")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, 1, doc.Find(`[data-testid=alerts] tbody tr`).Length())
	require.Equal(t, 1, doc.Find(`table caption`).Length())
	link, _ := doc.Find(`[data-testid=alerts] tbody a`).Attr("href")
	require.Equal(t, base+"/partners/"+w.p.String(), link)

	// The dashboard's card.
	resp, body = h.get(owner, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	card := selText(doc.Find(`[data-testid=dash-alerts]`))
	require.Contains(t, card, "Uneven flow Brightline Tax · "+workedExample+" · since 27 Nov 2026")

	// Filters.
	for _, c := range []struct {
		query string
		rows  int
	}{
		{"?kind=uneven_flow", 1},
		{"?kind=silent_partner", 0},
		{"?partner=" + w.p.String(), 1},
		{"?partner=" + w.quiet.String(), 0},
		{"?view=resolved", 0},
	} {
		resp, body = h.get(owner, base+"/alerts"+c.query)
		require.Equal(t, http.StatusOK, resp.StatusCode, c.query)
		doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
		require.NoError(t, err)
		require.Equal(t, c.rows, doc.Find(`[data-testid=alerts] tbody tr`).Length(), c.query)
	}
	// A filter that can't be: 422 with the message on its field, no 500.
	resp, body = h.get(owner, base+"/alerts?kind=%3Cscript%3E&partner=nope&page=-3")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	txt = pageText(t, body)
	require.Contains(t, txt, "Choose a kind from the list.")
	require.Contains(t, txt, "Choose a partner from the list.")
	require.NotContains(t, body, "<script>")

	// The flow evens out: resolved, in the history.
	w.referrals(w.p, "inbound", 3)
	h.post(owner, base+"/alerts/scan", nil)
	_, body = h.get(owner, base+"/alerts")
	require.Contains(t, pageText(t, body), "The checks ran: 0 new alerts, 0 alerts updated, 1 resolved.")
	require.Contains(t, pageText(t, body), "No open alerts")
	resp, body = h.get(owner, base+"/alerts?view=resolved")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, pageText(t, body), workedExample)

	// A viewer reads, but may not run the checks.
	h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	viewer := h.loggedIn("viewer@northwind.test")
	resp, body = h.get(viewer, base+"/alerts?view=resolved")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Run the checks now")
	resp, _ = h.post(viewer, base+"/alerts/scan", nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Another firm's staff: 404, on the page and the action.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	outsider := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(outsider, base+"/alerts")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(outsider, base+"/alerts/scan", url.Values{})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = h.get(outsider, "/t/"+other.Slug+"/alerts?view=resolved")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Brightline")
}

// TestAlertPagination: 50 alerts a page, the last page when past it.
func TestAlertPagination(t *testing.T) {
	t.Parallel()
	w := newAlertWorld(t)
	h := w.h
	for i := range 55 {
		w.exec(`INSERT INTO alerts (tenant_id, kind, partner_id, key, message, created_at) VALUES ($1, 'silent_partner', $2, $3, $4, $5)`,
			w.f.ID, w.quiet, fmt.Sprintf("k%d", i), fmt.Sprintf("Message %d", i), alertNow.Add(-time.Duration(i)*time.Hour))
	}
	owner := h.loggedIn(w.f.Owner.Email)
	base := "/t/" + w.f.Slug + "/alerts"
	_, body := h.get(owner, base)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, 50, doc.Find(`[data-testid=alerts] tbody tr`).Length())
	require.Contains(t, pageText(t, body), "Showing 1–50 of 55")
	next, ok := doc.Find(`a[rel=next]`).Attr("href")
	require.True(t, ok)
	require.Equal(t, base+"?page=2", next)
	_, body = h.get(owner, base+"?page=9")
	require.Contains(t, pageText(t, body), "Showing 51–55 of 55")
}
