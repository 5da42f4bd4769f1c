package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAgreementExport: the agreements export has the list's columns, its
// rows, its filters (renewals due included) and formulas neutralised.
func TestAgreementExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("agx", "Agreement Export Firm")
	p := h.createPartner(f.ID, `=HYPERLINK("http://evil.example","x")`)
	q := h.createPartner(f.ID, "Quiet Partners")
	h.commExec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, title, effective_from, effective_to,
			accepted_at, accepted_via)
		VALUES ($1, $2, 1, 'active', 'referral', 'Referral terms', current_date - 300, current_date + 10, now(), 'recorded')`, f.ID, p.ID)
	h.commExec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from)
		VALUES ($1, $2, 1, 'draft', 'referral', current_date)`, f.ID, q.ID)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/agx/agreements?status=draft")
	require.Contains(t, page, `href="/t/agx/agreements/export.csv?status=draft" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/agx/agreements/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, agreementExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Contains(t, body, `'=HYPERLINK(`, "formulas neutralised")

	_, body = h.get(c, "/t/agx/agreements/export.csv?status=draft")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, "Quiet Partners", rows[1][0])
	require.Equal(t, "1", rows[1][1])

	_, body = h.get(c, "/t/agx/agreements/export.csv?expiring=1")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "renewals due: ending in 30 days")
	require.Equal(t, "Referral terms", rows[1][4])
	require.True(t, rows[1][0][0] == '\'', rows[1][0])
}
