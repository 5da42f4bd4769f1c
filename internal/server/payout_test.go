package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/notify"
)

// payWorld is commWorld with two client payments recorded for Brightline:
// $20,000 paid 40 days ago (a $4,000 accrual due 10 days ago) and $5,000
// paid 2 days ago (a $1,000 accrual due in 28 days), a portal user of
// Brightline, and a finance client.
type payWorld struct {
	*commWorld
	fin       *http.Client
	due       uuid.UUID // the $4,000 accrual, due
	notDue    uuid.UUID // the $1,000 accrual, not yet due
	area      string    // /t/northwind/commissions
	portalKey string    // the portal user's address
}

func newPayWorld(t *testing.T) *payWorld {
	w := &payWorld{commWorld: newCommWorld(t), area: "/t/northwind/commissions"}
	h := w.h
	w.fin = h.loggedIn(w.finance)
	for _, pay := range []url.Values{w.payForm("20,000", w.day(-40), "INV-1", false), w.payForm("5,000", w.day(-2), "INV-2", false)} {
		resp, body := h.post(w.fin, w.base+"/payments", pay)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	}
	w.due = w.accrual(400_000)
	w.notDue = w.accrual(100_000)
	h.portalUser(w.f.ID, w.p, "partner@brightline.test", auth.RolePartnerMember)
	w.portalKey = "partner@brightline.test"
	return w
}

// accrual is the partner's accrual of that amount.
func (w *payWorld) accrual(cents int64) uuid.UUID {
	return w.h.commID(`SELECT id FROM journal_entries WHERE tenant_id = $1 AND partner_id = $2 AND kind = 'accrual' AND amount_cents = $3`,
		w.f.ID, w.p, cents)
}

func (w *payWorld) review(c *http.Client, action, reason string, ids ...uuid.UUID) (*http.Response, string) {
	v := url.Values{"action": {action}, "reason": {reason}, "f_status": {""}}
	for _, id := range ids {
		v.Add("entry", id.String())
	}
	return w.h.post(c, w.area+"/review", v)
}

func (w *payWorld) run(upTo string) url.Values {
	return url.Values{"direction": {"we_pay"}, "currency": {"USD"}, "up_to": {upTo}}
}

// createBatch creates a we_pay batch up to today and returns its id.
func (w *payWorld) createBatch(t *testing.T) uuid.UUID {
	resp, body := w.h.post(w.fin, w.area+"/payouts", w.run(w.day(0)))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, w.area+"/payouts/"), loc)
	id, err := uuid.Parse(strings.TrimPrefix(loc, w.area+"/payouts/"))
	require.NoError(t, err)
	return id
}

// lastEmail is the newest email to the partner's portal user (with or
// without a display name).
func (w *payWorld) lastEmail(t *testing.T) notify.OutboxMessage {
	msgs, err := notify.ListOutbox(context.Background(), w.h.owner, 500)
	require.NoError(t, err)
	for _, m := range msgs {
		if m.To == w.portalKey || strings.HasSuffix(m.To, "<"+w.portalKey+">") {
			return m
		}
	}
	t.Fatalf("no email to %s in the outbox (%d messages)", w.portalKey, len(msgs))
	return notify.OutboxMessage{}
}

// payCells is the text of the cells of the rows, squashed, joined by " | ".
func payCells(rows *goquery.Selection) string {
	var cells []string
	rows.Find("td, th").Each(func(_ int, c *goquery.Selection) { cells = append(cells, squash(c.Text())) })
	return strings.Join(cells, " | ")
}

func (w *payWorld) reconcile(t *testing.T) {
	var ds []ledger.Discrepancy
	require.NoError(t, w.h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) (err error) {
		ds, err = ledger.Reconcile(context.Background(), tx, w.f.ID)
		return err
	}))
	require.Empty(t, ds)
}

// TestPayoutJourney: finance holds (a reason is required) and approves
// commissions in the review queue, previews a run, creates the batch,
// downloads its CSV (formulas neutralised), marks it paid (bad input kept,
// the partner emailed, paying twice refused), and the partner sees the
// commission paid in the portal — and nothing of another partner's.
func TestPayoutJourney(t *testing.T) {
	w := newPayWorld(t)
	h := w.h
	// A second partner whose name a spreadsheet would run as a formula.
	evil := h.createPartner(w.f.ID, "=SUM(A1) Partners")
	h.commExec(`UPDATE partners SET status = 'active' WHERE id = $1`, evil.ID)
	h.commAgreement(w.f.ID, evil.ID)
	evilEng, _, _ := h.commEngagement(w.f.ID, evil.ID, "Secret Client")
	form := w.payForm("7,770", w.day(-35), "INV-9", false)
	form.Set("engagement_id", evilEng.String())
	resp, body := h.post(w.fin, "/t/northwind/partners/"+evil.ID.String()+"/commissions/payments", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	evilEntry := h.commID(`SELECT id FROM journal_entries WHERE tenant_id = $1 AND partner_id = $2`, w.f.ID, evil.ID)

	// The queue: three awaiting review, nothing approved yet.
	resp, body = h.get(w.fin, w.area)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	require.Equal(t, "3 entries awaiting review, 0 entries on hold, $0.00 approved and due.", squash(doc.Find("#review-summary").Text()))
	require.Equal(t, 3, doc.Find("table.review-table tbody tr").Length())
	row := squash(doc.Find("#entry-" + w.due.String()).Text())
	require.Contains(t, row, "Brightline Advisory")
	require.Contains(t, row, referralRef(w.refNo)+" Acme Dental")
	require.Contains(t, row, "$4,000.00 USD")
	require.Contains(t, row, w.today.AddDate(0, 0, -10).Format(dayFormat))
	require.Contains(t, row, "Awaiting review")
	require.Equal(t, "Select Commission of $4,000.00 USD for Brightline Advisory, "+referralRef(w.refNo),
		doc.Find("label[for=sel-"+w.due.String()+"]").Text())
	require.Contains(t, body, "Approve selected")

	// Hold without a reason: a field error, the selection kept, nothing held.
	resp, body = w.review(w.fin, "hold", "  ", w.due, w.notDue)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Contains(t, doc.Find(".field__error").Text(), "Say why you hold them")
	_, checked := doc.Find("#sel-" + w.due.String()).Attr("checked")
	require.True(t, checked, "the selection is kept")
	_, checked = doc.Find("#sel-" + evilEntry.String()).Attr("checked")
	require.False(t, checked)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM entry_reviews WHERE tenant_id = $1`, w.f.ID))
	// Nothing selected.
	resp, body = w.review(w.fin, "approve", "")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Select at least one commission.")

	// Hold with a reason: the partner sees it in the portal.
	resp, body = w.review(w.fin, "hold", "Waiting for the signed MOU", w.due)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(w.fin, w.area+"?status=held")
	require.Contains(t, body, "1 commission on hold: Waiting for the signed MOU")
	doc = staffRefDoc(t, body)
	require.Equal(t, 1, doc.Find("table.review-table tbody tr").Length())
	require.Contains(t, squash(doc.Find("#entry-"+w.due.String()).Text()), "On hold Reason: Waiting for the signed MOU")
	pcl := h.loggedIn("partner@brightline.test")
	_, body = h.get(pcl, "/p/northwind/commissions")
	text := squash(staffRefDoc(t, body).Find("#entry-" + w.due.String()).Text())
	require.Contains(t, text, "StatusOn hold")
	require.Contains(t, text, "Waiting for the signed MOU")

	// Approve both of Brightline's and the other partner's.
	resp, body = w.review(w.fin, "approve", "", w.due, w.notDue, evilEntry)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, w.area, resp.Header.Get("Location"))
	_, body = h.get(w.fin, w.area)
	require.Contains(t, body, "3 commissions approved")
	require.Equal(t, "0 entries awaiting review, 0 entries on hold, $5,554.00 approved and due.",
		squash(staffRefDoc(t, body).Find("#review-summary").Text()))
	require.Contains(t, body, "Nothing to review")

	// A bad run re-shows the form with what was typed.
	resp, body = h.get(w.fin, w.area+"/payouts/new?direction=we_pay&currency=dollars&up_to=soon")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Equal(t, "DOLLARS", doc.Find("#f-currency").AttrOr("value", ""))
	require.Equal(t, "soon", doc.Find("#f-up_to").AttrOr("value", ""))
	require.Contains(t, body, "Use a three-letter code like USD.")

	// The preview: both partners, only what is due.
	resp, body = h.get(w.fin, w.area+"/payouts/new?"+w.run(w.day(0)).Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc = staffRefDoc(t, body)
	rows := doc.Find("table.preview tbody tr")
	require.Equal(t, 2, rows.Length())
	require.Equal(t, "=SUM(A1) Partners | 1 | $1,554.00 USD | Paid in this batch | 0", payCells(rows.Eq(0)))
	require.Equal(t, "Brightline Advisory | 1 | $4,000.00 USD | Paid in this batch | 0", payCells(rows.Eq(1)))
	require.Contains(t, squash(doc.Find(".lead").Text()), "2 partners paid $5,554.00 USD")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM payout_batches WHERE tenant_id = $1`, w.f.ID), "a preview writes nothing")

	// Create the batch.
	batch := w.createBatch(t)
	batchURL := w.area + "/payouts/" + batch.String()
	resp, body = h.get(w.fin, batchURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Payout batch #1 created: 2 partners, $5,554.00 USD.")
	doc = staffRefDoc(t, body)
	require.Equal(t, "$5,554.00 USD", doc.Find("#batch-total").Text())
	require.Equal(t, "Brightline Advisory | 1 | $4,000.00 USD | Pending |  | ", payCells(doc.Find("table.batch-payouts tbody tr").Eq(1)))
	require.Equal(t, 1, doc.Find("form#mark-paid").Length())
	// Nothing is left to pay: a second run is refused and writes nothing.
	resp, body = h.post(w.fin, w.area+"/payouts", w.run(w.day(0)))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Nothing is approved and due up to")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM payout_batches WHERE tenant_id = $1`, w.f.ID))
	// The list.
	_, body = h.get(w.fin, w.area+"/payouts")
	require.Equal(t, "Batch #1 | We pay partners | "+w.today.Format(dayFormat)+" | 2 | $5,554.00 USD | Open |  | ",
		payCells(staffRefDoc(t, body).Find("table.batches tbody tr")))

	// The CSV for the bank: an attachment, the formula neutralised.
	resp, body = h.get(w.fin, batchURL+"/csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	require.Contains(t, resp.Header.Get("Content-Disposition"), "northwind-payout-batch-1-")
	require.Contains(t, body, "Brightline Advisory,4000.00,USD")
	require.Contains(t, body, "'=SUM(A1) Partners,1554.00,USD")
	require.NotContains(t, body, "\n=SUM")

	// Mark paid: bad input is kept with its errors; nothing is paid.
	resp, body = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {"yesterday"}, "reference": {"ACH-1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Equal(t, "yesterday", doc.Find("#paid-paid_on").AttrOr("value", ""))
	require.Equal(t, "ACH-1", doc.Find("#paid-reference").AttrOr("value", ""))
	require.Contains(t, body, "Use a date like")
	resp, body = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {w.day(0)}, "reference": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Required: the bank")
	resp, _ = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {w.day(3)}, "reference": {"ACH-1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1 AND kind = 'payout'`, w.f.ID))

	resp, body = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {w.day(0)}, "reference": {"ACH-1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(w.fin, batchURL)
	paidOn := w.today.Format(dayFormat)
	require.Contains(t, body, "Batch #1 marked paid on "+paidOn+" (ref ACH-1); 2 partners were emailed.")
	require.Equal(t, 0, staffRefDoc(t, body).Find("form#mark-paid").Length())
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1 AND kind = 'payout'`, w.f.ID))
	mail := w.lastEmail(t)
	require.Equal(t, "Northwind Advisory paid you $4,000.00", mail.Subject)
	require.Contains(t, mail.Text, "Payment reference: ACH-1")
	// Paying twice is refused.
	resp, body = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {w.day(0)}, "reference": {"ACH-2"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already marked paid")
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1 AND kind = 'payout'`, w.f.ID))

	// The partner's tab: the entry paid, the payout listed.
	_, body = h.get(w.fin, w.base)
	doc = staffRefDoc(t, body)
	require.Contains(t, squash(doc.Find("#entry-"+w.due.String()).Text()), "Paid "+paidOn+" (ref ACH-1)")
	require.Contains(t, squash(doc.Find("#entry-"+w.notDue.String()).Text()), "Approved")
	require.Equal(t, "Batch #1 | We pay partners | 1 | $4,000.00 USD | Paid | "+paidOn+" | ACH-1",
		payCells(doc.Find("table.partner-payouts tbody tr")))
	require.Equal(t, "$1,000.00", doc.Find("#balance dd").First().Text())

	// The portal: paid, with the reference; the payout; no other partner.
	resp, body = h.get(pcl, "/p/northwind/commissions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Contains(t, squash(doc.Find("#entry-"+w.due.String()).Text()), "StatusPaid "+paidOn+" (ref ACH-1)")
	require.Contains(t, squash(doc.Find("#entry-"+w.notDue.String()).Text()), "StatusApproved")
	require.Contains(t, payCells(doc.Find("table.portal-payouts tbody tr")), "$4,000.00 USD | 1 | Paid | "+paidOn+" | ACH-1")
	require.Equal(t, 1, doc.Find("table.portal-payouts tbody tr").Length())
	require.Equal(t, "/p/northwind/statements", doc.Find("a:contains('Statements')").AttrOr("href", ""))
	require.Equal(t, "/p/northwind/tax", doc.Find("a:contains('Tax details')").AttrOr("href", ""))
	require.NotContains(t, body, "SUM(A1)")
	require.NotContains(t, body, "1,554.00")
	require.NotContains(t, body, "Secret Client")

	w.reconcile(t)
}

// TestPayoutCancelAndCarryForward: a batch cancelled (a reason required)
// frees its entries for a new run; the firm's minimum payout carries a
// smaller balance forward; an invoice run bills what a partner owes us.
func TestPayoutCancelAndCarryForward(t *testing.T) {
	w := newPayWorld(t)
	h := w.h
	resp, body := w.review(w.fin, "approve", "", w.due, w.notDue)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	batch := w.createBatch(t)
	batchURL := w.area + "/payouts/" + batch.String()

	resp, body = h.post(w.fin, batchURL+"/cancel", url.Values{"reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Say why the batch is cancelled.")
	resp, body = h.post(w.fin, batchURL+"/cancel", url.Values{"reason": {"Wrong bank account"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(w.fin, batchURL)
	require.Contains(t, body, "Batch #1 cancelled; its commissions can be paid in a new run.")
	require.Contains(t, body, "Wrong bank account")
	resp, _ = h.post(w.fin, batchURL+"/cancel", url.Values{"reason": {"Again"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = h.post(w.fin, batchURL+"/paid", url.Values{"paid_on": {w.day(0)}, "reference": {"ACH-1"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)

	// Payable again — unless below the firm's minimum.
	h.commExec(`INSERT INTO tenant_settings (tenant_id, min_payout_cents) VALUES ($1, 500000)
		ON CONFLICT (tenant_id) DO UPDATE SET min_payout_cents = 500000`, w.f.ID)
	_, body = h.get(w.fin, w.area+"/payouts/new?"+w.run(w.day(0)).Encode())
	doc := staffRefDoc(t, body)
	require.Equal(t, "Brightline Advisory | 1 | $4,000.00 USD | Carried forward Below the $5,000.00 minimum payout — carried forward | 0",
		payCells(doc.Find("table.preview tbody tr")))
	require.Contains(t, squash(doc.Find(".lead").Text()), "The firm's minimum payout is $5,000.00.")
	require.Equal(t, 0, doc.Find("form#create-batch").Length())
	h.commExec(`UPDATE tenant_settings SET min_payout_cents = 0 WHERE tenant_id = $1`, w.f.ID)
	second := w.createBatch(t)
	require.NotEqual(t, batch, second)
	_, body = h.get(w.fin, w.area+"/payouts/"+second.String())
	require.Contains(t, body, "Payout batch #2 created: 1 partner, $4,000.00 USD.")
	_, body = h.get(w.fin, w.base)
	require.Contains(t, squash(staffRefDoc(t, body).Find("#entry-"+w.due.String()).Text()), "In payout #2")
	_, body = h.get(h.loggedIn("partner@brightline.test"), "/p/northwind/commissions")
	require.Contains(t, squash(staffRefDoc(t, body).Find("#entry-"+w.due.String()).Text()), "StatusIn payout #2", "the portal shows the batch number too")
	require.Contains(t, payCells(staffRefDoc(t, body).Find("table.portal-payouts tbody tr")), "$4,000.00 USD | 1 | Pending")

	// What partners owe us: an entry in the other direction, then an invoice run.
	_, body = h.get(w.fin, w.area+"/receivables")
	require.Contains(t, body, "Nothing owed to us")
	require.NoError(t, h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) error {
		_, err := ledger.Adjust(context.Background(), tx, w.f.ID, ledger.AdjustInput{PartnerID: w.p, Direction: commission.WeReceive,
			AmountCents: 75_000, Currency: "USD", Reason: "Our share of the Zenith referral"})
		return err
	}))
	_, body = h.get(w.fin, w.area+"/receivables")
	doc = staffRefDoc(t, body)
	require.Equal(t, "Brightline Advisory | USD | $750.00 | $0.00 | $0.00", payCells(doc.Find("table.receivables tbody tr")))
	require.Equal(t, "we_receive", doc.Find("#invoice-run input[name=direction]").AttrOr("value", ""))
	resp, body = h.get(w.fin, w.area+"/payouts/new?direction=we_receive&currency=usd&up_to="+w.day(0))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "Brightline Advisory | 1 | $750.00 USD | Paid in this batch | 0", payCells(staffRefDoc(t, body).Find("table.preview tbody tr")))
	resp, body = h.post(w.fin, w.area+"/payouts", url.Values{"direction": {"we_receive"}, "currency": {"USD"}, "up_to": {w.day(0)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(w.fin, resp.Header.Get("Location"))
	require.Contains(t, body, "Invoice batch #3 created: 1 partner, $750.00 USD.")
	require.Contains(t, w.lastEmail(t).Subject, "Invoice from Northwind Advisory: $750.00")
	_, body = h.get(w.fin, w.area+"/receivables")
	require.Equal(t, "Brightline Advisory | USD | $0.00 | $750.00 | $0.00",
		payCells(staffRefDoc(t, body).Find("table.receivables tbody tr")))
	w.reconcile(t)
}

// TestPayoutRolesAndIsolation: a viewer reads the area but every action is
// refused; another firm's batch (and a made-up id) is not found.
func TestPayoutRolesAndIsolation(t *testing.T) {
	w := newPayWorld(t)
	h := w.h
	resp, body := w.review(w.fin, "approve", "", w.due)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	batch := w.createBatch(t)
	batchURL := w.area + "/payouts/" + batch.String()

	viewer := h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	vc := h.loggedIn(viewer.Email)
	for _, path := range []string{w.area, w.area + "/payouts", batchURL, w.area + "/receivables",
		w.area + "/payouts/new?" + w.run(w.day(0)).Encode()} {
		resp, body := h.get(vc, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.NotContains(t, body, "Approve selected", path)
		require.NotContains(t, body, "Mark paid", path)
		require.NotContains(t, body, "Create payout batch", path)
	}
	_, body = h.get(vc, w.area)
	require.Contains(t, body, "Brightline Advisory", "a viewer reads the queue")
	for path, form := range map[string]url.Values{
		w.area + "/review":                  {"action": {"approve"}, "entry": {w.notDue.String()}},
		w.area + "/payouts":                 w.run(w.day(0)),
		batchURL + "/paid":                  {"paid_on": {w.day(0)}, "reference": {"X"}},
		batchURL + "/cancel":                {"reason": {"X"}},
		w.base + "/review":                  {"action": {"approve"}, "entry": {w.notDue.String()}},
		"/t/northwind/settings/commissions": {"min_payout": {"10"}},
	} {
		resp, _ := h.post(vc, path, form)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM entry_reviews WHERE tenant_id = $1`, w.f.ID))
	_, body = h.get(vc, w.base)
	require.NotContains(t, body, ">Approve<")

	// Not found: a made-up or malformed id, and another firm's batch.
	for _, path := range []string{w.area + "/payouts/" + uuid.NewString(), w.area + "/payouts/nope", w.area + "/payouts/" + uuid.NewString() + "/csv"} {
		resp, _ := h.get(w.fin, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	b := h.createFirm("other", "Other Firm")
	oc := h.loggedIn(b.Owner.Email)
	for _, path := range []string{"/t/other/commissions/payouts/" + batch.String(), "/t/other/commissions/payouts/" + batch.String() + "/csv"} {
		resp, _ := h.get(oc, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	for _, path := range []string{"/t/other/commissions/payouts/" + batch.String() + "/paid", "/t/other/commissions/payouts/" + batch.String() + "/cancel"} {
		resp, _ := h.post(oc, path, url.Values{"paid_on": {w.day(0)}, "reference": {"X"}, "reason": {"X"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	resp, _ = h.post(oc, "/t/other/commissions/review", url.Values{"action": {"approve"}, "entry": {w.notDue.String()}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another firm's entry")
	resp, _ = h.get(oc, batchURL)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another firm's area")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM entry_reviews WHERE tenant_id = $1`, w.f.ID))
	require.Equal(t, "open", func() string {
		var st string
		require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT status FROM payout_batches WHERE id = $1`, batch).Scan(&st))
		return st
	}())
}

// TestPartnerTabReview: the partner's Commissions tab shows each entry's
// review state with Approve and Hold (a reason required) for finance, the
// links to statements and tax details; another partner's entry is not
// found there.
func TestPartnerTabReview(t *testing.T) {
	w := newPayWorld(t)
	h := w.h
	resp, body := h.get(w.fin, w.base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	row := doc.Find("#entry-" + w.due.String())
	require.Contains(t, squash(row.Text()), "Awaiting approval")
	require.Equal(t, 1, row.Find("button:contains('Approve')").Length())
	require.Equal(t, 1, row.Find("button:contains('Hold')").Length())
	require.Equal(t, "/t/northwind/partners/"+w.p.String()+"/statements", doc.Find("a:contains('Statements')").AttrOr("href", ""))
	require.Equal(t, "/t/northwind/partners/"+w.p.String()+"/tax", doc.Find("a:contains('Tax details')").AttrOr("href", ""))
	require.Contains(t, body, "No payouts yet")

	// Hold without a reason: the error next to that entry's field.
	resp, body = h.post(w.fin, w.base+"/review", url.Values{"entry": {w.due.String()}, "action": {"hold"}, "reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Contains(t, doc.Find("#hold-"+w.due.String()+" .field__error").Text(), "Say why you hold them")
	require.Equal(t, 0, doc.Find("#hold-"+w.notDue.String()+" .field__error").Length())

	resp, body = h.post(w.fin, w.base+"/review", url.Values{"entry": {w.due.String()}, "action": {"hold"}, "reason": {"Client disputes the invoice"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, w.base+"#entries", resp.Header.Get("Location"))
	_, body = h.get(w.fin, w.base)
	row = staffRefDoc(t, body).Find("#entry-" + w.due.String())
	require.Contains(t, squash(row.Text()), "On hold Reason: Client disputes the invoice")
	require.Equal(t, 0, row.Find("button:contains('Hold')").Length())

	resp, body = h.post(w.fin, w.base+"/review", url.Values{"entry": {w.due.String()}, "action": {"approve"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(w.fin, w.base)
	row = staffRefDoc(t, body).Find("#entry-" + w.due.String())
	require.Contains(t, squash(row.Text()), "Approved")
	require.Equal(t, 0, row.Find("button:contains('Approve')").Length())

	// Another partner's entry on this partner's tab: not found, unchanged.
	other := h.createPartner(w.f.ID, "Other Partner")
	h.commExec(`UPDATE partners SET status = 'active' WHERE id = $1`, other.ID)
	resp, _ = h.post(w.fin, "/t/northwind/partners/"+other.ID.String()+"/commissions/review",
		url.Values{"entry": {w.notDue.String()}, "action": {"approve"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM entry_reviews WHERE tenant_id = $1`, w.f.ID))
}

// TestCommissionSettingsMinPayout: the minimum payout round-trips; a bad
// amount is refused with the input kept; finance can't change settings.
func TestCommissionSettingsMinPayout(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.f.Owner.Email)
	path := "/t/northwind/settings/commissions"
	resp, body := h.get(c, path)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "0", staffRefDoc(t, body).Find("#f-min_payout").AttrOr("value", ""))
	require.Contains(t, body, "carries forward")

	for typed, msg := range map[string]string{
		"fifty":              "Enter an amount in dollars",
		"-5":                 "can&#39;t be negative",
		"":                   "Enter an amount: 0 pays every balance.",
		"1.234":              "at most two decimals",
		"100,000,000,000.01": "At most $100,000,000,000.00.",
	} {
		resp, body = h.post(c, path, url.Values{"min_payout": {typed}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, typed)
		require.Contains(t, body, msg, typed)
		require.Equal(t, typed, staffRefDoc(t, body).Find("#f-min_payout").AttrOr("value", ""), typed)
	}
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM tenant_settings WHERE tenant_id = $1 AND min_payout_cents <> 0`, w.f.ID))

	resp, body = h.post(c, path, url.Values{"min_payout": {"$1,250.50"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(c, path)
	require.Contains(t, body, "Minimum payout saved: $1,250.50.")
	require.Equal(t, "1250.50", staffRefDoc(t, body).Find("#f-min_payout").AttrOr("value", ""))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM tenant_settings WHERE tenant_id = $1 AND min_payout_cents = 125050`, w.f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.min_payout'`, w.f.ID))

	fc := h.loggedIn(w.finance)
	resp, _ = h.get(fc, path)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
