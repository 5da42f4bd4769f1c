package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReviewExport: the reviews export has the page's rows (due within 30
// days, then every scheduled review), and formulas neutralised.
func TestReviewExport(t *testing.T) {
	t.Parallel()
	w := newReviewWorld(t)
	h, c := w.h, w.owner
	h.commExec(`UPDATE partners SET name = '=HYPERLINK("http://evil.example","Brightline")' WHERE id = $1`, w.p.ID)

	_, page := h.get(c, "/t/acme/reviews")
	require.Contains(t, page, `href="/t/acme/reviews/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/acme/reviews/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, reviewExportHeader, rows[0])
	require.Len(t, rows, 2, "Cedar's first review is due in February: not on the page, not in the file")
	require.Equal(t, []string{"overdue", `'=HYPERLINK("http://evil.example","Brightline")`, "Tier 2 – Active", "", "2026-10-30", "", "", "", ""},
		rows[1], "formulas neutralised")

	w.schedule(t, c, w.scheduleForm("2026-11-30", "10:00"))
	_, body = h.get(c, "/t/acme/reviews/export.csv")
	rows = exportRows(t, body)
	require.Len(t, rows, 3)
	require.Equal(t, "scheduled", rows[2][0])
	require.Equal(t, "2026-11-30T10:00:00-05:00", rows[2][5])
	require.Equal(t, "https://meet.example.com/r/1", rows[2][7])
}
