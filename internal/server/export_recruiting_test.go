package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecruitingExport: the recruiting export has one row per candidate
// with its stage, a stage filter, and formulas neutralised.
func TestRecruitingExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("rcx", "Recruiting Export Firm")
	p := h.createPartner(f.ID, `=HYPERLINK("http://evil.example","x")`)
	q := h.createPartner(f.ID, "Quiet Partners")
	h.commExec(`UPDATE partners SET status = 'prospect' WHERE id = $1`, p.ID)
	h.commExec(`UPDATE partners SET status = 'qualifying' WHERE id = $1`, q.ID)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/rcx/recruiting")
	require.Contains(t, page, `href="/t/rcx/recruiting/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/rcx/recruiting/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, recruitingExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Equal(t, `'=HYPERLINK("http://evil.example","x")`, rows[1][0], "formulas neutralised")
	require.Equal(t, "prospect", rows[1][1])

	_, body = h.get(c, "/t/rcx/recruiting/export.csv?stage=qualifying")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, []string{"Quiet Partners", "qualifying"}, rows[1][:2])
}
