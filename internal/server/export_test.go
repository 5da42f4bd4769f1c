package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAlertExport: the alerts export has the list's columns, its rows,
// its filters, and formulas neutralised.
func TestAlertExport(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("ax", "Alert Export Firm")
	p := h.createPartner(f.ID, "=Evil Partners")
	q := h.createPartner(f.ID, "Quiet Partners")
	h.commExec(`INSERT INTO alerts (tenant_id, kind, partner_id, key, message) VALUES
		($1, 'silent_partner', $2, 'k1', '-Nothing heard for 120 days'),
		($1, 'uneven_flow', $3, 'k2', 'We referred 12, received 2')`, f.ID, p.ID, q.ID)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/ax/alerts?kind=silent_partner")
	require.Contains(t, page, `href="/t/ax/alerts/export.csv?kind=silent_partner" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/ax/alerts/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, alertExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Contains(t, body, "'=Evil Partners,'-Nothing heard for 120 days", "formulas neutralised")

	_, body = h.get(c, "/t/ax/alerts/export.csv?kind=uneven_flow")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, "Quiet Partners", rows[1][1])
	require.True(t, strings.HasPrefix(rows[1][0], "Uneven") || rows[1][0] != "", rows[1][0])

	_, body = h.get(c, "/t/ax/alerts/export.csv?view=resolved")
	require.Len(t, exportRows(t, body), 1, "no resolved alerts: the header alone")
}
