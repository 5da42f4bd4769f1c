package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGapExport: the gap log export has the log's columns and rows, the
// since and service filters, and formulas neutralised.
func TestGapExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("gpx", "Gap Export Firm")
	tax := h.svcInsert(f.ID, "Tax advice", "before")
	it := h.svcInsert(f.ID, "IT setup", "after")
	h.commExec(`INSERT INTO service_gaps (tenant_id, service_id, client_name, noted_on, note) VALUES
		($1, $2, '=HYPERLINK("http://evil.example","x")', '2026-01-10', 'asked twice'),
		($1, $3, 'Acme Dental', '2026-06-01', '')`, f.ID, tax, it)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/gpx/services/gaps")
	require.Contains(t, page, `href="/t/gpx/services/gaps/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/gpx/services/gaps/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, gapExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Equal(t, []string{"2026-06-01", "IT setup", rows[1][2], "Acme Dental", "", ""}, rows[1])
	require.Equal(t, `'=HYPERLINK("http://evil.example","x")`, rows[2][3], "formulas neutralised")

	_, body = h.get(c, "/t/gpx/services/gaps/export.csv?since=2026-03-01")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, "Acme Dental", rows[1][3])

	_, body = h.get(c, "/t/gpx/services/gaps/export.csv?service="+tax.String())
	rows = exportRows(t, body)
	require.Len(t, rows, 2)
	require.Equal(t, "Tax advice", rows[1][1])
}
