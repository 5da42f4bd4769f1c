package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/ledger"
)

// TestReviewQueueAndPayoutsExport: the commission review queue export
// has the queue's rows and filters, the payouts export the batches, and
// formulas are neutralised in both.
func TestReviewQueueAndPayoutsExport(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	h, c := w.h, w.fin
	h.commExec(`UPDATE partners SET name = '=HYPERLINK("http://evil.example","x")' WHERE id = $1`, w.p)

	_, page := h.get(c, w.area+"?status=pending")
	require.Contains(t, page, `href="/t/northwind/commissions/export.csv?status=pending" download>Download CSV</a>`)

	resp, body := h.get(c, w.area+"/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, reviewQueueExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Equal(t, `'=HYPERLINK("http://evil.example","x")`, rows[1][0], "formulas neutralised")

	_, body = h.get(c, w.area+"/export.csv?due_by="+w.day(0))
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, []string{"4000.00", "USD", w.day(-10), "Awaiting review"}, rows[1][5:9])
	require.Equal(t, "Acme Dental", rows[1][2])

	resp, body = w.review(c, "approve", "", w.due)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(c, w.area+"/export.csv?status=approved")
	require.Len(t, exportRows(t, body), 2)

	w.createBatch(t)
	_, page = h.get(c, w.area+"/payouts")
	require.Contains(t, page, `href="/t/northwind/commissions/payouts/export.csv" download>Download CSV</a>`)
	resp, body = h.get(c, w.area+"/payouts/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rows = exportRows(t, body)
	require.Equal(t, payoutsExportHeader, rows[0])
	require.Len(t, rows, 2)
	require.Equal(t, []string{"1", rows[1][1], w.day(0), "1", "4000.00", "USD"}, rows[1][:6])
	_, body = h.get(c, w.area+"/payouts/export.csv?status=paid")
	require.Len(t, exportRows(t, body), 1, "the status filter applies")
}

func TestExportAmount(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", -5: "-0.05", 123450: "1234.50", -100: "-1.00",
		-9223372036854775808: "-92233720368547758.08"} {
		require.Equal(t, want, exportAmount(cents))
	}
}

// TestCommissionEntriesExport: a partner's ledger entries export has the
// tab's entries, a kind filter, formulas neutralised, and another firm's
// partner is not found.
func TestCommissionEntriesExport(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t)
	h, c := w.h, w.fin
	h.commExec(`UPDATE referrals SET client_company = '@SUM(A1:A2)' WHERE id = $1`, w.ref)

	_, page := h.get(c, w.base)
	require.Contains(t, page, `href="`+w.base+`/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, w.base+"/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, commissionEntriesExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Equal(t, []string{"Accrual", rows[1][2], referralRef(w.refNo), "'@SUM(A1:A2)", "v1"}, rows[1][1:6], "formulas neutralised")
	require.Equal(t, []string{"4000.00", "USD", w.day(-10)}, rows[1][7:10])
	require.Equal(t, "Awaiting approval", rows[1][11])

	_, body = h.get(c, w.base+"/export.csv?kind=payout")
	require.Len(t, exportRows(t, body), 1, "the filter applies")

	other := h.createFirm("other", "Other Firm")
	op := h.createPartner(other.ID, "Theirs")
	resp, _ = h.get(c, "/t/northwind/partners/"+op.ID.String()+"/commissions/export.csv")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestUnresolvedExport: the unresolved payments export lists them all,
// with a status filter and formulas neutralised.
func TestUnresolvedExport(t *testing.T) {
	t.Parallel()
	w := newCommWorld(t)
	h := w.h
	h.commExec(`UPDATE partners SET name = '=HYPERLINK("http://evil.example","x")' WHERE id = $1`, w.p)
	oldEng, _, oldNo := h.revReferral(w.f.ID, w.p, "Oldco", 200)
	h.revPay(w.f.ID, oldEng, 1_000_000)
	ctx := context.Background()
	require.NoError(t, h.db.InTenant(ctx, w.f.ID, func(tx pgx.Tx) error {
		_, err := ledger.RecordRevenue(ctx, tx, w.f.ID, ledger.RevenueInput{EngagementID: w.eng, AmountCents: 250_050,
			PaidOn: h.srv.now().AddDate(0, 0, -1), Source: ledger.SourceStaff})
		return err
	}))
	c := h.loggedIn(w.f.Owner.Email)

	_, page := h.get(c, "/t/northwind/commissions/unresolved")
	require.Contains(t, page, `href="/t/northwind/commissions/unresolved/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/northwind/commissions/unresolved/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, unresolvedExportHeader, rows[0])
	require.Len(t, rows, 3)
	require.Equal(t, []string{`'=HYPERLINK("http://evil.example","x")`, referralRef(oldNo), "Oldco", "Oldco audit", "10000.00", "USD"},
		rows[1][:6], "formulas neutralised")
	require.Equal(t, "No agreement", rows[1][8])

	_, body = h.get(c, "/t/northwind/commissions/unresolved/export.csv?status=pending")
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, []string{"2500.50", "USD"}, rows[1][4:6])
	require.Equal(t, "Pending", rows[1][8])
}
