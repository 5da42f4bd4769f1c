package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// TestProgramInputsPage: finance enters a quarter's figures in dollars;
// bad amounts come back with their messages and the typed values, nothing
// written; other roles read them; another firm gets 404.
func TestProgramInputsPage(t *testing.T) {
	t.Parallel()
	w := newAlertWorld(t)
	h := w.h
	h.staffUser(w.f, "fin@northwind.test", auth.RoleFinance)
	h.staffUser(w.f, "max@northwind.test", auth.RoleManager)
	fin := h.loggedIn("fin@northwind.test")
	page := "/t/" + w.f.Slug + "/program/inputs"

	// The current quarter by default; nothing entered.
	resp, body := h.get(fin, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	txt := pageText(t, body)
	require.Contains(t, txt, "Nothing entered for Q4 2026 yet.")
	require.Contains(t, body, `name="total_new_revenue"`)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	for _, name := range []string{"total_new_revenue", "management_cost", "marketing_cost", "systems_cost", "other_cost"} {
		id, ok := doc.Find(`input[name=` + name + `]`).Attr("id")
		require.True(t, ok, name)
		require.Equal(t, 1, doc.Find(`label[for=`+id+`]`).Length(), "a label for %s", name)
	}

	// Bad amounts: 422, messages by the fields, input kept, nothing saved.
	bad := url.Values{"quarter": {"2026-Q3"}, "total_new_revenue": {"1,000,000"}, "management_cost": {"-5"},
		"marketing_cost": {"lots"}, "systems_cost": {"12.345"}}
	resp, body = h.post(fin, page, bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	txt = pageText(t, body)
	require.Contains(t, txt, "The amount can't be negative.")
	require.Contains(t, txt, "Enter an amount in dollars, like 25,000 or 25000.50.")
	require.Contains(t, txt, "Use at most two decimals (cents).")
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	v, _ := doc.Find(`input[name=marketing_cost]`).Attr("value")
	require.Equal(t, "lots", v)
	v, _ = doc.Find(`input[name=total_new_revenue]`).Attr("value")
	require.Equal(t, "1,000,000", v)
	require.Equal(t, "true", doc.Find(`input[name=management_cost]`).AttrOr("aria-invalid", ""))
	require.Zero(t, h.countRows(`SELECT count(*) FROM program_inputs`))

	// A quarter too far ahead: 422, said at the top.
	resp, body = h.post(fin, page, url.Values{"quarter": {"2028-Q1"}, "total_new_revenue": {"5"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, pageText(t, body), "Enter figures at most a year ahead, up to Q4 2027.")
	resp, _ = h.post(fin, page, url.Values{"quarter": {"next year"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Zero(t, h.countRows(`SELECT count(*) FROM program_inputs`))

	// Saved; shown back as typed amounts, in the history, audited.
	good := url.Values{"quarter": {"2026-Q3"}, "total_new_revenue": {"$1,000,000"}, "management_cost": {"50000.50"},
		"marketing_cost": {"12,000"}, "systems_cost": {""}, "other_cost": {"0"}}
	resp, _ = h.post(fin, page, good)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, page+"?quarter=2026-Q3", resp.Header.Get("Location"))
	var rev, mgmt, mkt, sys int64
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT total_new_revenue_cents, management_cost_cents,
		marketing_cost_cents, systems_cost_cents FROM program_inputs WHERE tenant_id = $1 AND quarter = '2026-Q3'`, w.f.ID).
		Scan(&rev, &mgmt, &mkt, &sys))
	require.Equal(t, []int64{100_000_000, 5_000_050, 1_200_000, 0}, []int64{rev, mgmt, mkt, sys})
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE action = 'program_inputs.updated'`))
	resp, body = h.get(fin, page+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	txt = pageText(t, body)
	require.Contains(t, txt, "The program inputs for Q3 2026 were saved.")
	require.Regexp(t, `Last saved \d+ \w+ \d{4} by fin\. Costs besides commissions: \$62,000\.50\.`, txt)
	require.Contains(t, txt, "Q3 2026 $1,000,000.00 $62,000.50")
	require.Contains(t, txt, "Q2 2026 Not entered")
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	v, _ = doc.Find(`input[name=management_cost]`).Attr("value")
	require.Equal(t, "50000.50", v)

	// A manager and a viewer read; they may not save.
	max := h.loggedIn("max@northwind.test")
	resp, body = h.get(max, page+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, `name="total_new_revenue"`)
	require.Contains(t, pageText(t, body), "Total new revenue $1,000,000.00")
	resp, _ = h.post(max, page, good)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A picker value that can't be shown: the current quarter, with why.
	resp, body = h.get(fin, page+"?quarter=2031-Q1")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, pageText(t, body), "Enter figures at most a year ahead")
	resp, _ = h.get(fin, page+"?quarter=%00")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	// Another firm: 404; its own page shows none of this firm's figures.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	outsider := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(outsider, page)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(outsider, page, good)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = h.get(outsider, "/t/"+other.Slug+"/program/inputs?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, pageText(t, body), "Nothing entered for Q3 2026 yet.")
}
