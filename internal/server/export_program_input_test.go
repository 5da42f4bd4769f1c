package server

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// TestProgramInputsExport: one row per quarter, newest first (the page's
// recent quarters by default, from/to otherwise), in dollars and cents,
// formulas neutralised.
func TestProgramInputsExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) } })
	f := h.createFirm("pix", "Program Export Firm")
	u := h.createUser("fin@pix.test", `=HYPERLINK("http://evil.example","Fin")`)
	h.addStaff(f.ID, u.ID, auth.RoleFinance)
	c := h.loggedIn("fin@pix.test")
	resp, body := h.post(c, "/t/pix/program/inputs", url.Values{"quarter": {"2026-Q3"}, "total_new_revenue": {"1,000,000.50"},
		"management_cost": {"25,000"}, "marketing_cost": {"5000"}, "systems_cost": {""}, "other_cost": {"0.05"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)

	_, page := h.get(c, "/t/pix/program/inputs")
	require.Contains(t, page, `href="/t/pix/program/inputs/export.csv" download>Download CSV</a>`)

	resp, body = h.get(c, "/t/pix/program/inputs/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, programInputsExportHeader, rows[0])
	require.Len(t, rows, 9, "the page's eight recent quarters, this one included")
	require.Equal(t, []string{"2026-Q4", "no", "0.00"}, rows[1][:3])
	require.Equal(t, []string{"2026-Q3", "yes", "1000000.50", "25000.00", "5000.00", "0.00", "0.05", "30000.05",
		`'=HYPERLINK("http://evil.example","Fin")`}, rows[2][:9], "formulas neutralised")
	require.Equal(t, "2025-Q1", rows[8][0])

	_, body = h.get(c, "/t/pix/program/inputs/export.csv?from=2026-Q2&to=2026-Q3")
	rows = exportRows(t, body)
	require.Len(t, rows, 3, "the filter applies")
	require.Equal(t, "2026-Q3", rows[1][0])
	require.Equal(t, "2026-Q2", rows[2][0])
}
