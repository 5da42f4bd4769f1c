package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// commWorld is a firm with a partner whose 20% percent_first_project
// agreement (net 30) is in force, and a won referral with an engagement.
type commWorld struct {
	h       *harness
	f       firm
	p       uuid.UUID
	eng     uuid.UUID
	ref     uuid.UUID
	refNo   int64
	today   time.Time
	base    string
	finance string
}

func (h *harness) commExec(sql string, args ...any) {
	h.t.Helper()
	_, err := h.owner.Exec(context.Background(), sql, args...)
	require.NoError(h.t, err, sql)
}

func (h *harness) commID(sql string, args ...any) uuid.UUID {
	h.t.Helper()
	var id uuid.UUID
	require.NoError(h.t, h.owner.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

// commAgreement gives a partner an active 20% first-project agreement in force.
func (h *harness) commAgreement(tenantID, partnerID uuid.UUID) {
	h.commExec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at,
			accepted_via, payment_net_days, rules)
		VALUES ($1, $2, 1, 'active', 'referral', current_date - 90, now(), 'recorded', 30,
			'[{"kind":"percent_first_project","direction":"we_pay","rate_bp":2000}]')`, tenantID, partnerID)
}

// commEngagement adds a won referral of the partner (submitted 20 days
// ago) and its project engagement; it returns the engagement, the
// referral and its number.
func (h *harness) commEngagement(tenantID, partnerID uuid.UUID, company string) (uuid.UUID, uuid.UUID, int64) {
	h.t.Helper()
	prospect := h.commID(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, tenantID, partnerID)
	ref := h.commID(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		VALUES ($1, 'inbound', $2, $3, $4, lower($4), 'won', now() - interval '20 days', now() - interval '10 days', now())
		RETURNING id`, tenantID, partnerID, prospect, company)
	eng := h.commID(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', $4, 5000000, current_date - 10) RETURNING id`, tenantID, ref, partnerID, company+" audit")
	var n int64
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT number FROM referrals WHERE id = $1`, ref).Scan(&n))
	return eng, ref, n
}

func newCommWorld(t *testing.T) *commWorld {
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Advisory")
	h.commExec(`UPDATE partners SET status = 'active' WHERE id = $1`, p.ID)
	h.commAgreement(f.ID, p.ID)
	eng, ref, n := h.commEngagement(f.ID, p.ID, "Acme Dental")
	fin := h.staffUser(f, "finance@northwind.test", auth.RoleFinance)
	var today time.Time
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT current_date`).Scan(&today))
	return &commWorld{h: h, f: f, p: p.ID, eng: eng, ref: ref, refNo: n, today: today,
		base: "/t/northwind/partners/" + p.ID.String() + "/commissions", finance: fin.Email}
}

func (w *commWorld) day(offset int) string {
	return w.today.AddDate(0, 0, offset).Format(time.DateOnly)
}

func (w *commWorld) payForm(amount, paidOn, ref string, refund bool) url.Values {
	v := url.Values{"engagement_id": {w.eng.String()}, "amount": {amount}, "paid_on": {paidOn}, "external_ref": {ref}, "note": {"Invoice paid"}}
	if refund {
		v.Set("refund", "on")
	}
	return v
}

// TestCommissionRecordPayment: finance records a $20,000 payment on the
// tab and sees the $4,000 accrual due 30 days later; a refund reverses it;
// bad input keeps what was typed; a duplicate reference is refused.
func TestCommissionRecordPayment(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)

	resp, body := h.get(c, w.base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Acme Dental audit")
	require.Contains(t, body, "Record a client payment")
	require.Contains(t, body, "No entries yet")

	paidOn := w.day(-5)
	resp, body = h.post(c, w.base+"/payments", w.payForm("20,000", paidOn, "INV-1001", false))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, w.base, resp.Header.Get("Location"))

	var amount int64
	var due time.Time
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT amount_cents, due_on FROM journal_entries
		WHERE tenant_id = $1 AND partner_id = $2 AND kind = 'accrual'`, w.f.ID, w.p).Scan(&amount, &due))
	require.Equal(t, int64(400_000), amount)
	require.Equal(t, w.day(25), due.Format(time.DateOnly), "due 30 days after the client payment")

	_, body = h.get(c, w.base)
	require.Contains(t, body, "and accrued: 1 ledger entry")
	entries := squash(staffRefDoc(t, body).Find("#entries").Text())
	require.Contains(t, entries, "$4,000.00 USD")
	require.Contains(t, entries, w.today.AddDate(0, 0, 25).Format("2 Jan 2006"))
	require.Contains(t, entries, referralRef(w.refNo))
	require.Contains(t, entries, "v1")
	require.Contains(t, entries, "accrued")
	require.Equal(t, "$4,000.00", staffRefDoc(t, body).Find("#balance dd").First().Text())
	require.Contains(t, body, "INV-1001")

	// Bad amount: 422, the input kept.
	resp, body = h.post(c, w.base+"/payments", w.payForm("twenty", w.day(-1), "INV-1002", false))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc := staffRefDoc(t, body)
	require.Equal(t, "twenty", doc.Find("#pay-"+w.eng.String()+"-amount").AttrOr("value", ""))
	require.Equal(t, "INV-1002", doc.Find("#pay-"+w.eng.String()+"-external_ref").AttrOr("value", ""))
	require.Contains(t, body, "Enter an amount in dollars")
	// A future date is refused by the ledger, with the field named.
	resp, body = h.post(c, w.base+"/payments", w.payForm("100", w.day(3), "", false))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Can&#39;t be in the future.")

	// A duplicate external reference: a clear message, nothing recorded.
	resp, body = h.post(c, w.base+"/payments", w.payForm("500", w.day(-1), "INV-1001", false))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "A payment with reference “INV-1001” is already recorded.")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))

	// The refund, entered as a positive amount with the box ticked, reverses the accrual.
	resp, body = h.post(c, w.base+"/payments", w.payForm("20,000", w.day(-1), "CN-1", true))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT amount_cents FROM journal_entries
		WHERE tenant_id = $1 AND partner_id = $2 AND kind = 'reversal'`, w.f.ID, w.p).Scan(&amount))
	require.Equal(t, int64(-400_000), amount)
	_, body = h.get(c, w.base)
	require.Contains(t, body, "Refund of -$20,000.00 recorded and accrued")
	require.Equal(t, "$0.00", staffRefDoc(t, body).Find("#balance dd").First().Text())
	require.Contains(t, squash(staffRefDoc(t, body).Find("#entries").Text()), "-$4,000.00 USD")

	var ds []ledger.Discrepancy
	require.NoError(t, h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) (err error) {
		ds, err = ledger.Reconcile(context.Background(), tx, w.f.ID)
		return err
	}))
	require.Empty(t, ds)
}

// TestCommissionNoAgreementAndRoles: a payment on an engagement with no
// agreement in force is recorded and says so; a viewer reads but can't
// record; another partner's engagement is not found.
func TestCommissionNoAgreementAndRoles(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	q := h.createPartner(w.f.ID, "Quiet Partner")
	qEng, _, _ := h.commEngagement(w.f.ID, q.ID, "Nopact Ltd")
	qBase := "/t/northwind/partners/" + q.ID.String() + "/commissions"
	c := h.loggedIn(w.finance)

	form := w.payForm("1,000", w.day(-2), "", false)
	form.Set("engagement_id", qEng.String())
	resp, body := h.post(c, qBase+"/payments", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(c, qBase)
	require.Contains(t, body, "Payment of $1,000.00 recorded; nothing accrued: no agreement in force on "+
		w.today.AddDate(0, 0, -20).Format("2 Jan 2006"))
	require.Contains(t, body, "No agreement")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`, w.f.ID))

	// Another partner's engagement on this partner's tab: not found, nothing recorded.
	resp, _ = h.post(c, w.base+"/payments", form)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`, w.f.ID))

	viewer := h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	vc := h.loggedIn(viewer.Email)
	resp, body = h.get(vc, w.base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Record a client payment")
	resp, _ = h.post(vc, w.base+"/payments", w.payForm("100", w.day(-1), "", false))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Another firm's partner: 404 on both routes.
	b := h.createFirm("other", "Other Firm")
	pb := h.createPartner(b.ID, "B's partner")
	resp, _ = h.get(c, "/t/northwind/partners/"+pb.ID.String()+"/commissions")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/northwind/partners/"+pb.ID.String()+"/commissions/payments", w.payForm("100", w.day(-1), "", false))
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestPortalCommissions: the partner sees its own commissions with the
// rule, the payment, the due date and status — never another partner's.
func TestPortalCommissions(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	other := h.createPartner(w.f.ID, "Other Partner")
	h.commExec(`UPDATE partners SET status = 'active' WHERE id = $1`, other.ID)
	h.commAgreement(w.f.ID, other.ID)
	oEng, _, _ := h.commEngagement(w.f.ID, other.ID, "Secret Client")
	// A won referral of the partner whose client hasn't paid yet.
	_, _, unpaidNo := h.commEngagement(w.f.ID, w.p, "Birch Clinic")
	c := h.loggedIn(w.finance)
	resp, body := h.post(c, w.base+"/payments", w.payForm("20,000", w.day(-40), "INV-1", false))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	resp, body = h.post(c, w.base+"/payments", w.payForm("5,000", w.day(-2), "INV-2", false))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	form := w.payForm("77,700", w.day(-2), "INV-3", false)
	form.Set("engagement_id", oEng.String())
	resp, body = h.post(c, "/t/northwind/partners/"+other.ID.String()+"/commissions/payments", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)

	h.portalUser(w.f.ID, w.p, "partner@brightline.test", auth.RolePartnerMember)
	pcl := h.loggedIn("partner@brightline.test")
	resp, body = h.get(pcl, "/p/northwind/commissions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	text := squash(doc.Find("main").Text())
	require.Contains(t, text, "Commission: $4,000.00 USD")
	require.Contains(t, text, "Commission: $1,000.00 USD")
	require.Contains(t, text, "20% of client payments on the first project")
	require.Contains(t, text, "Client payment of $20,000.00 on "+w.today.AddDate(0, 0, -40).Format("2 Jan 2006")+" (INV-1)")
	require.Contains(t, text, "Due"+w.today.AddDate(0, 0, -10).Format("2 Jan 2006"))
	require.Contains(t, text, "Due"+w.today.AddDate(0, 0, 28).Format("2 Jan 2006"))
	require.Contains(t, text, referralRef(w.refNo)+" · Acme Dental")
	require.Contains(t, text, "agreement version 1")
	require.Equal(t, "$5,000.00", doc.Find("#balance dd").First().Text(), "the sum of its own entries only")
	require.Equal(t, 2, doc.Find(".commission-list > li").Length())
	require.Equal(t, "due", squash(doc.Find(".commission-list > li").Eq(1).Find(".badge").Text()), "the older one is due")
	require.Equal(t, "accrued", squash(doc.Find(".commission-list > li").Eq(0).Find(".badge").Text()))
	require.NotContains(t, body, "Secret Client")
	require.Equal(t, referralRef(unpaidNo)+" · Birch ClinicThe client hasn't paid yet.", squash(doc.Find("#nothing-yet li").Text()),
		"a won referral that earns nothing says why")
	require.NotContains(t, body, "15,540.00")
	require.NotContains(t, body, "77,700")
}

// TestAPIRevenueEvents: create (accrued in the same transaction),
// idempotent replay, duplicate reference 409, bad input 422, refunds, and
// the lists with their filters and cursors — all against the OpenAPI document.
func TestAPIRevenueEvents(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	api := newAPITester(t, h)
	_, token := h.createToken(w.f.ID, "erp", auth.RoleFinance)
	_, viewer := h.createToken(w.f.ID, "bi", auth.RoleViewer)

	body := map[string]any{"engagement_id": w.eng.String(), "amount_cents": 2_000_000, "paid_on": w.day(-3), "external_ref": "INV-9"}
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	resp := api.post(t, token, "/revenue-events", body, key)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var ev apiRevenueEvent
	resp.decode(t, &ev)
	require.Equal(t, ledger.StatusAccrued, ev.AccrualStatus)
	require.Equal(t, int64(2_000_000), ev.AmountCents)
	require.Equal(t, w.p, ev.PartnerID)
	require.Equal(t, "api", ev.Source)

	again := api.post(t, token, "/revenue-events", body, key)
	require.Equal(t, http.StatusCreated, again.Status)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.JSONEq(t, string(resp.Body), string(again.Body))

	dup := api.post(t, token, "/revenue-events", body, nil)
	p := dup.problem(t, http.StatusConflict)
	require.Contains(t, p.Detail, "INV-9")

	fe := api.post(t, token, "/revenue-events", map[string]any{"engagement_id": uuid.NewString(), "amount_cents": 100, "paid_on": w.day(0)}, nil).fieldErrors(t)
	require.Contains(t, fe["engagement_id"], "no engagement")
	fe = api.do(t, apiReq{Method: http.MethodPost, Path: "/revenue-events", Token: token, Invalid: true,
		Body: []byte(`{"engagement_id": "` + w.eng.String() + `", "amount_cents": 0, "paid_on": "yesterday"}`)}).fieldErrors(t)
	require.NotEmpty(t, fe["amount_cents"])
	require.NotEmpty(t, fe["paid_on"])
	api.post(t, viewer, "/revenue-events", body, nil).problem(t, http.StatusForbidden)

	// A partial refund of that payment reverses its share.
	resp = api.post(t, token, "/revenue-events", map[string]any{"engagement_id": w.eng.String(), "amount_cents": -500_000,
		"paid_on": w.day(-1), "refund_of_id": ev.ID.String()}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)

	// Lists: one per page, in order, filtered.
	var ids []uuid.UUID
	cursor := ""
	for range 5 {
		var page struct {
			Data       []apiRevenueEvent `json:"data"`
			NextCursor *string           `json:"next_cursor"`
		}
		api.get(t, viewer, "/revenue-events?limit=1&engagement_id="+w.eng.String()+cursor).decode(t, &page)
		for _, e := range page.Data {
			ids = append(ids, e.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	require.Len(t, ids, 2)
	require.Equal(t, ev.ID, ids[0])

	var entries struct {
		Data []apiCommissionEntry `json:"data"`
	}
	api.get(t, viewer, "/commission-entries?partner_id="+w.p.String()).decode(t, &entries)
	require.Len(t, entries.Data, 2)
	require.Equal(t, "accrual", entries.Data[0].Kind)
	require.Equal(t, int64(400_000), entries.Data[0].AmountCents)
	require.Equal(t, w.day(27), *entries.Data[0].DueOn)
	require.Equal(t, "accrued", entries.Data[0].Status)
	require.Equal(t, ev.ID, *entries.Data[0].RevenueEventID)
	require.Equal(t, "reversal", entries.Data[1].Kind)
	require.Equal(t, int64(-100_000), entries.Data[1].AmountCents)
	api.get(t, viewer, "/commission-entries?partner_id="+uuid.NewString()).decode(t, &entries)
	require.Empty(t, entries.Data)
	api.do(t, apiReq{Method: http.MethodGet, Path: "/commission-entries?partner_id=nope", Token: viewer, Invalid: true}).fieldErrors(t)
}
