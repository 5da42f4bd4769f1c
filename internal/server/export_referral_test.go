package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

// TestReferralExportReimports: the referral list's export carries the
// referral import's columns (contact name and email, direction, partner,
// client company, status, submitted, estimated value), keeps the list's
// filters, neutralises formulas, and imports into another firm as the
// same referrals.
func TestReferralExportReimports(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.createFirm("rfx-a", "Referral Export A")
	b := h.createFirm("rfx-b", "Referral Export B")
	const evil = `=HYPERLINK("http://evil.example","x")`
	pa := h.staffRefPartner(a.ID, evil, "active")
	qa := h.staffRefPartner(a.ID, "Quiet Partners", "active")
	h.staffRefPartner(b.ID, evil, "active")
	h.staffRefPartner(b.ID, "Quiet Partners", "active")
	h.staffRefSubmit(a.ID, referral.SubmitInput{PartnerID: pa.ID, ClientCompany: "Acme Dental", ClientDomain: "acmedental.example",
		ContactName: "Pat Lee", ContactEmail: "pat@acmedental.example", Urgency: "high", EstimatedValue: "25,000.50",
		Challenge: "Needs a new practice-management system"})
	h.staffRefSubmit(a.ID, referral.SubmitInput{PartnerID: qa.ID, ClientCompany: "Globex", ContactName: "Sam Roe",
		ContactPhone: "+1 555 0100", Urgency: "low"})
	ca, cb := h.loggedIn(a.Owner.Email), h.loggedIn(b.Owner.Email)

	_, page := h.get(ca, "/t/rfx-a/referrals?partner="+qa.ID.String())
	require.Contains(t, page, `href="/t/rfx-a/referrals/export.csv?partner=`+qa.ID.String()+`"`)

	resp, first := h.get(ca, "/t/rfx-a/referrals/export.csv?sort=company")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, first)
	require.Equal(t, referralExportHeader, rows[0])
	require.Len(t, rows, 3)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	acme := rows[1]
	require.Equal(t, "Acme Dental", acme[col["client company"]])
	require.Equal(t, `'`+evil, acme[col["partner"]], "formulas neutralised")
	require.Equal(t, "inbound", acme[col["direction"]])
	require.Equal(t, "submitted", acme[col["status"]])
	require.Equal(t, "25000.50", acme[col["estimated value"]])
	require.Equal(t, "Pat Lee", acme[col["contact name"]])
	require.Equal(t, "pat@acmedental.example", acme[col["contact email"]])
	require.NotEmpty(t, acme[col["submitted"]])

	_, body := h.get(ca, "/t/rfx-a/referrals/export.csv?partner="+qa.ID.String())
	rows = exportRows(t, body)
	require.Len(t, rows, 2, "the filter applies")
	require.Equal(t, "Globex", rows[1][col["client company"]])
	require.Equal(t, "'+1 555 0100", rows[1][col["contact phone"]], "a phone number starting with + is neutralised too")

	// The export imports into firm B as the same referrals.
	resp, body = h.flowUpload(cb, "rfx-b", "referrals", first)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = h.post(cb, "/t/rfx-b/imports/referrals/confirm", importConfirmForm(t, body))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, second := h.get(cb, "/t/rfx-b/referrals/export.csv?sort=company")
	again := exportRows(t, second)
	require.Len(t, again, 3)
	for _, name := range []string{"client company", "client domain", "partner", "direction", "status", "estimated value",
		"currency", "urgency", "submitted", "contact name", "contact email", "contact phone", "challenge"} {
		for i := 1; i < 3; i++ {
			require.Equal(t, exportRows(t, first)[i][col[name]], again[i][col[name]], "%s, row %d", name, i)
		}
	}
}
