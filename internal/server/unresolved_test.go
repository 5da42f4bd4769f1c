package server

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// revPay records a client payment as the app and accrues it, as the
// Commissions tab does.
func (h *harness) revPay(tenantID, engagementID uuid.UUID, cents int64) uuid.UUID {
	h.t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		ev, err := ledger.RecordRevenue(ctx, tx, tenantID, ledger.RevenueInput{EngagementID: engagementID, AmountCents: cents,
			PaidOn: h.srv.now().AddDate(0, 0, -1), Source: ledger.SourceStaff})
		if err != nil {
			return err
		}
		id = ev.ID
		_, err = ledger.Accrue(ctx, tx, tenantID, ev.ID, h.srv.now())
		return err
	}))
	return id
}

// TestUnresolvedPayments: a payment on a referral made before the
// partner's agreement is listed with what to do; accruing again leaves it
// flagged until the agreement is recorded, then places it. Viewers read;
// bad and foreign ids are refused.
func TestUnresolvedPayments(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	// A referral made 200 days ago: the agreement (from 90 days ago) wasn't in force.
	oldEng, oldRef, oldNo := h.revReferral(w.f.ID, w.p, "Oldco", 200)
	ev := h.revPay(w.f.ID, oldEng, 1_000_000)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM revenue_events WHERE id = $1 AND accrual_status = 'no_agreement'`, ev))
	refDay := w.today.AddDate(0, 0, -200).Format("2 Jan 2006")

	viewer := h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	vc := h.loggedIn(viewer.Email)
	resp, body := h.get(vc, "/t/northwind/commissions/unresolved")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	row := squash(doc.Find("#payment-" + ev.String()).Text())
	require.Contains(t, row, "Brightline Advisory")
	require.Contains(t, row, referralRef(oldNo)+" · Oldco · Oldco audit")
	require.Contains(t, row, "$10,000.00 USD")
	require.Contains(t, row, "No agreement")
	require.Contains(t, row, "Record the agreement in force on "+refDay+" (the referral's date) for Brightline Advisory, then accrue again.")
	require.Equal(t, "/t/northwind/partners/"+w.p.String()+"/agreements", doc.Find("#payment-"+ev.String()+" a").First().AttrOr("href", ""))
	require.Equal(t, 0, doc.Find(`input[type=checkbox]`).Length(), "a viewer can't accrue")
	require.NotContains(t, body, "Accrue selected again")
	resp, _ = h.post(vc, "/t/northwind/commissions/unresolved/accrue", url.Values{"id": {ev.String()}, "scope": {"selected"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	c := h.loggedIn(w.finance)
	_, body = h.get(c, "/t/northwind/commissions/unresolved")
	doc = staffRefDoc(t, body)
	require.Equal(t, "Select the payment of $10,000.00 USD on "+referralRef(oldNo), doc.Find(`label[for="sel-`+ev.String()+`"]`).Text())

	// Nothing chosen: the page again, with a message.
	resp, body = h.post(c, "/t/northwind/commissions/unresolved/accrue", url.Values{"scope": {"selected"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose the payments to accrue again.")
	// A malformed id, another firm's payment: not found.
	resp, _ = h.post(c, "/t/northwind/commissions/unresolved/accrue", url.Values{"id": {"nope"}, "scope": {"selected"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	other := h.createFirm("other", "Other Firm")
	op := h.createPartner(other.ID, "Elsewhere")
	oEng, _, _ := h.commEngagement(other.ID, op.ID, "Initech")
	oev := h.revPay(other.ID, oEng, 100)
	resp, _ = h.post(c, "/t/northwind/commissions/unresolved/accrue", url.Values{"id": {oev.String()}, "scope": {"selected"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, body = h.get(h.loggedIn(other.Owner.Email), "/t/other/commissions/unresolved")
	require.NotContains(t, body, ev.String(), "each firm sees its own")

	// Still no agreement: it stays flagged.
	resp, _ = h.post(c, "/t/northwind/commissions/unresolved/accrue", url.Values{"id": {ev.String()}, "scope": {"selected"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/northwind/commissions/unresolved")
	require.Contains(t, html.UnescapeString(body), "Accrued again: 0 payments placed, 0 ledger entries. 1 still has no agreement in force on the referral's date.")

	// The agreement in force on that day is recorded: "Accrue all again" places it.
	h.commExec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, effective_to, accepted_at,
			accepted_via, payment_net_days, rules)
		VALUES ($1, $2, 2, 'expired', 'referral', current_date - 400, current_date - 91, now(), 'recorded', 30,
			'[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000}]')`, w.f.ID, w.p)
	resp, _ = h.post(c, "/t/northwind/commissions/unresolved/accrue", url.Values{"scope": {"all"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/northwind/commissions/unresolved")
	require.Contains(t, html.UnescapeString(body), "Accrued again: 1 payment placed, 1 ledger entry.")
	require.Contains(t, body, "Nothing unresolved")
	var amount int64
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT amount_cents FROM journal_entries WHERE tenant_id = $1 AND revenue_event_id = $2`,
		w.f.ID, ev).Scan(&amount))
	require.Equal(t, int64(100_000), amount)

	// The referral page no longer says why nothing was earned.
	_, body = h.get(c, "/t/northwind/referrals/"+oldRef.String())
	require.NotContains(t, body, "Nothing earned yet")
}

// TestWhyNothingEarnedPages: a won referral that earns nothing says why,
// on the staff referral page and in the portal.
func TestWhyNothingEarnedPages(t *testing.T) {
	w := newCommWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)
	_, body := h.get(c, "/t/northwind/referrals/"+w.ref.String())
	require.Contains(t, squash(staffRefDoc(t, body).Find("#nothing-earned").Text()), "Nothing earned yet: The client hasn't paid yet.")

	oldEng, oldRef, _ := h.revReferral(w.f.ID, w.p, "Oldco", 200)
	h.revPay(w.f.ID, oldEng, 1_000_000)
	refDay := w.today.AddDate(0, 0, -200).Format("2 Jan 2006")
	_, body = h.get(c, "/t/northwind/referrals/"+oldRef.String())
	doc := staffRefDoc(t, body)
	require.Contains(t, squash(doc.Find("#nothing-earned").Text()),
		fmt.Sprintf("Nothing earned yet: No agreement was in force on %s, the day the referral was made.", refDay))
	require.Equal(t, 1, doc.Find(`#nothing-earned a[href="/t/northwind/commissions/unresolved"]`).Length())

	pu := h.portalUser(w.f.ID, w.p, "pat@brightline.test", auth.RolePartnerAdmin)
	pc := h.loggedIn(pu.Email)
	resp, body := h.get(pc, "/p/northwind/referrals/"+oldRef.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, squash(staffRefDoc(t, body).Find("#nothing-earned").Text()),
		fmt.Sprintf("Nothing earned yet: No agreement was in force on %s, the day the referral was made.", refDay))
	require.NotContains(t, body, "/commissions/unresolved", "the portal has no staff links")

	// Paid and accrued: nothing to explain.
	h.revPay(w.f.ID, w.eng, 1_000_000)
	_, body = h.get(pc, "/p/northwind/referrals/"+w.ref.String())
	require.NotContains(t, body, "Nothing earned yet")
	_, body = h.get(c, "/t/northwind/referrals/"+w.ref.String())
	require.NotContains(t, body, "Nothing earned yet")
}
