package server

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// revUpload posts a CSV to the payments import preview, as a file or pasted.
func (h *harness) revUpload(c *http.Client, slug, csv string, pasted bool) (*http.Response, string) {
	h.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if pasted {
		require.NoError(h.t, mw.WriteField("csv", csv))
	} else {
		fw, err := mw.CreateFormFile("file", "payments.csv")
		require.NoError(h.t, err)
		_, err = fw.Write([]byte(csv))
		require.NoError(h.t, err)
		require.NoError(h.t, mw.WriteField("csv", ""))
	}
	require.NoError(h.t, mw.Close())
	resp, err := c.Post(h.ts.URL+"/t/"+slug+"/commissions/import/preview", mw.FormDataContentType(), &b)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

// revReferral adds a won referral of the partner submitted daysAgo, with a
// project engagement; it returns the engagement, the referral and its number.
func (h *harness) revReferral(tenantID, partnerID uuid.UUID, company string, daysAgo int) (uuid.UUID, uuid.UUID, int64) {
	h.t.Helper()
	prospect := h.commID(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, tenantID, partnerID)
	ref := h.commID(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		VALUES ($1, 'inbound', $2, $3, $4, lower($4), 'won', now() - make_interval(days => $5), now() - make_interval(days => $5 - 1), now())
		RETURNING id`, tenantID, partnerID, prospect, company, daysAgo)
	eng := h.commID(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', $4, 5000000, current_date - 10) RETURNING id`, tenantID, ref, partnerID, company+" audit")
	var n int64
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT number FROM referrals WHERE id = $1`, ref).Scan(&n))
	return eng, ref, n
}

// TestRevenueImportPreviewAndConfirm: the worked example through the
// page — 20% of $20,000 and $30,000 accrue $4,000 and $6,000, each due 30
// days after its payment; the preview writes nothing; a second
// confirmation of the same file records nothing twice.
func TestRevenueImportPreviewAndConfirm(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)

	resp, body := h.get(c, "/t/northwind/commissions/import")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<label for="f-file">CSV file</label>`)
	require.Contains(t, body, `<label for="f-csv">Or paste CSV</label>`)
	require.Contains(t, body, `href="/t/northwind/imports/payments/template.csv"`)
	require.Contains(t, body, `href="/t/northwind/commissions/unresolved"`)
	require.Contains(t, body, `aria-current="page">Import payments</a>`)

	resp, body = h.get(c, "/t/northwind/commissions/import/template.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(body, "referral,engagement,amount,paid_on,currency,external_ref,refund_of,note,engagement_id\n"))

	csv := fmt.Sprintf("Referral,Amount,Paid on,Invoice,Note\nR-%d,\"20,000.00\",%s,INV-1,First invoice\n#%d,$30000,%s,INV-2,\n",
		w.refNo, w.day(-5), w.refNo, w.day(-2))
	resp, body = h.revUpload(c, "northwind", csv, false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	text := html.UnescapeString(body)
	require.Contains(t, text, "2 payments ($50,000.00 USD) will be recorded, accruing $10,000.00 USD of commission.")
	rows := squash(staffRefDoc(t, body).Find("#import-rows").Text())
	require.Contains(t, rows, "$4,000.00 USD, due "+w.today.AddDate(0, 0, 25).Format("2 Jan 2006"))
	require.Contains(t, rows, "$6,000.00 USD, due "+w.today.AddDate(0, 0, 28).Format("2 Jan 2006"))
	require.Contains(t, rows, "Brightline Advisory · Acme Dental")
	require.Equal(t, 2, staffRefDoc(t, body).Find(`#import-rows a[href="/t/northwind/referrals/`+w.ref.String()+`"]`).Length())
	require.Contains(t, text, "Import 2 payments")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID), "the preview writes nothing")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`, w.f.ID))

	form := importConfirmForm(t, body)
	resp, body = h.post(c, "/t/northwind/commissions/import/confirm", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, "/t/northwind/commissions/import", resp.Header.Get("Location"))
	_, body = h.get(c, "/t/northwind/commissions/import")
	require.Contains(t, html.UnescapeString(body), "Imported 2 payments ($50,000.00 USD): 2 ledger entries, $10,000.00 USD of commission.")
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1 AND source = 'import' AND accrual_status = 'accrued'`, w.f.ID))
	var amounts []int64
	var dues []time.Time
	rs, err := h.owner.Query(context.Background(), `SELECT amount_cents, due_on FROM journal_entries WHERE tenant_id = $1 AND kind = 'accrual' ORDER BY due_on`, w.f.ID)
	require.NoError(t, err)
	for rs.Next() {
		var a int64
		var d time.Time
		require.NoError(t, rs.Scan(&a, &d))
		amounts, dues = append(amounts, a), append(dues, d)
	}
	require.Equal(t, []int64{400_000, 600_000}, amounts)
	require.Equal(t, []string{w.day(25), w.day(28)}, []string{dues[0].Format(time.DateOnly), dues[1].Format(time.DateOnly)})
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'revenue.imported'`, w.f.ID))

	// The same confirmation again (a double click, a back button): every
	// reference is recorded already; nothing is written twice.
	resp, body = h.post(c, "/t/northwind/commissions/import/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "This file was imported already")
	require.Contains(t, html.UnescapeString(body), "line 2, external_ref: a payment with reference “INV-1” is already recorded")
	require.NotContains(t, body, `name="batch"`, "no confirm button")
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))
}

// TestRevenueImportBadInput: bad rows are each explained and nothing is
// written; a bad file, an empty form and a tampered confirmation are
// answered clearly.
func TestRevenueImportBadInput(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)
	other := h.createFirm("other", "Other Firm")
	op := h.createPartner(other.ID, "Elsewhere")
	_, _, otherNo := h.commEngagement(other.ID, op.ID, "Initech")
	twoEng, twoRef, twoNo := h.revReferral(w.f.ID, w.p, "Globex", 20)
	h.commExec(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'retainer', 'Globex support', 100, current_date - 5)`, w.f.ID, twoRef, w.p)
	_ = twoEng

	csv := fmt.Sprintf("referral,amount,paid_on,external_ref\n"+
		"R-%[1]d,100,%[4]s,OK-1\n"+
		"R-%[2]d,100,%[4]s,\n"+
		"R-%[1]d,twenty,%[4]s,\n"+
		"R-%[1]d,100,03/04/2025,\n"+
		"R-%[1]d,100,%[4]s,OK-1\n"+
		"R-%[3]d,100,%[4]s,\n"+
		"R-%[1]d,100,%[5]s,\n",
		w.refNo, otherNo, twoNo, w.day(-1), w.day(3))
	resp, body := h.revUpload(c, "northwind", csv, true)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	text := html.UnescapeString(body)
	require.Contains(t, text, "6 rows have errors. A file is imported whole or not at all")
	for _, want := range []string{
		fmt.Sprintf("line 3, referral: there is no referral R-%d", otherNo),
		"line 4, amount: 'twenty': enter an amount in dollars",
		"line 5, paid_on: '03/04/2025' could be read two ways",
		"line 6, external_ref: “OK-1” is also on line 2",
		fmt.Sprintf("line 7, engagement: R-%d has 2 engagements (“Globex audit”, “Globex support”)", twoNo),
		"line 8, paid_on: can't be in the future",
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, body, `name="batch"`)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, other.ID))

	// A file that isn't UTF-8, a header without the needed columns, nothing at all.
	resp, body = h.revUpload(c, "northwind", "referral,amount,paid_on\n1,1,caf\xe9\n", false)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "Line 2: the file is not UTF-8 text; save the file as UTF-8")
	resp, body = h.revUpload(c, "northwind", "client,total\nAcme,1\n", true)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "the header row has no “referral” (like R-1024) or “engagement_id” and no “paid_on” column")
	require.Contains(t, body, "client,total", "the pasted text is kept")
	resp, body = h.revUpload(c, "northwind", "", true)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose a CSV file, or paste CSV below.")

	// A confirmation whose plan no longer matches, or whose data is garbage.
	good := fmt.Sprintf("referral,amount,paid_on\nR-%d,100,%s\n", w.refNo, w.day(-1))
	_, body = h.revUpload(c, "northwind", good, false)
	form := importConfirmForm(t, body)
	form.Set("hash", strings.Repeat("0", 64))
	resp, body = h.post(c, "/t/northwind/commissions/import/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "changed since the preview")
	resp, _ = h.post(c, "/t/northwind/commissions/import/confirm", url.Values{"batch": {"not-an-id!"}, "hash": {"x"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))

	// Over the 5 MB limit (within the upload body limit): the page says so.
	big := "referral,amount,paid_on,note\n" + strings.Repeat(fmt.Sprintf("R-%d,1,%s,%s\n", w.refNo, w.day(-1), strings.Repeat("x", 500)), 10_500)
	resp, body = h.revUpload(c, "northwind", big, false)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Contains(t, body, "The file is over 5 MB. Split it into smaller files")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))
}

// TestRevenueImportRolesAndIsolation: only money roles import; another
// firm's staff can't reach the page.
func TestRevenueImportRolesAndIsolation(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	good := fmt.Sprintf("referral,amount,paid_on\nR-%d,100,%s\n", w.refNo, w.day(-1))
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleManager} {
		u := h.staffUser(w.f, string(role)+"@northwind.test", role)
		c := h.loggedIn(u.Email)
		resp, _ := h.get(c, "/t/northwind/commissions/import")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, role)
		resp, _ = h.revUpload(c, "northwind", good, true)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, role)
		resp, _ = h.post(c, "/t/northwind/commissions/import/confirm", url.Values{"data": {"x"}, "hash": {"y"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, role)
	}
	admin := h.staffUser(w.f, "admin@northwind.test", auth.RoleAdmin)
	resp, _ := h.get(h.loggedIn(admin.Email), "/t/northwind/commissions/import")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	other := h.createFirm("other", "Other Firm")
	oc := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(oc, "/t/northwind/commissions/import")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.revUpload(oc, "northwind", good, true)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// In its own firm, northwind's referral number is unknown.
	resp, body := h.revUpload(oc, "other", good, true)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, fmt.Sprintf("there is no referral R-%d", w.refNo))
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM revenue_events`))
}

// TestRevenueImportLargeEnqueuesAccrual: an import over
// ledger.AccrueInlineMaxRows is recorded whole and its accrual job is
// enqueued in the same transaction.
func TestRevenueImportLargeEnqueuesAccrual(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)
	var b strings.Builder
	b.WriteString("referral,amount,paid_on,external_ref\n")
	n := ledger.AccrueInlineMaxRows + 1
	for i := range n {
		fmt.Fprintf(&b, "%d,1,%s,I%d\n", w.refNo, w.day(-1), i)
	}
	resp, body := h.revUpload(c, "northwind", b.String(), false)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "their commissions are calculated right after the import")
	resp, _ = h.post(c, "/t/northwind/commissions/import/confirm", importConfirmForm(t, body))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/northwind/commissions/import")
	require.Contains(t, html.UnescapeString(body), fmt.Sprintf("Imported %s payments ($%s.00 USD); their commissions are being calculated", commissionThousands(n), commissionThousands(n)))
	require.Equal(t, n, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1 AND accrual_status = 'pending'`, w.f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM river_job WHERE kind = 'ledger_accrue' AND args->>'tenant_id' = $1`, w.f.ID.String()))
}
