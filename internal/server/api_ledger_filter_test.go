package server

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestAPILedgerFilters: /revenue-events and /commission-entries filter by
// the fields integrations look things up by (partner, referral, the
// accounting system's reference, the payment that caused an entry, kind,
// direction); a malformed filter is a 422 on it; another firm's ids find
// nothing.
func TestAPILedgerFilters(t *testing.T) {
	t.Parallel()
	w := newPayoutAPIWorld(t)
	ref := w.id(`SELECT referral_id FROM engagements WHERE id = $1`, w.eng)
	resp := w.api.post(t, w.finance, "/revenue-events", map[string]any{"engagement_id": w.eng.String(), "amount_cents": 1_000_000,
		"paid_on": w.day(-40), "external_ref": "INV-1001"}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var created apiRevenueEvent
	resp.decode(t, &created)
	first := created.ID.String()
	w.pay(-200_000, w.day(-10))

	type revPage struct {
		Data []apiRevenueEvent `json:"data"`
	}
	revs := func(token, query string) []apiRevenueEvent {
		t.Helper()
		var p revPage
		r := w.api.get(t, token, "/revenue-events?"+query)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r.decode(t, &p)
		return p.Data
	}
	require.Len(t, revs(w.viewer, "partner_id="+w.p.String()), 2)
	require.Len(t, revs(w.viewer, "referral_id="+ref.String()), 2)
	got := revs(w.viewer, "external_ref=INV-1001")
	require.Len(t, got, 1)
	require.Equal(t, first, got[0].ID.String())
	require.Empty(t, revs(w.viewer, "external_ref=INV-404"))
	require.Empty(t, revs(w.outside, "partner_id="+w.p.String()), "another firm's partner")
	fe := w.api.do(t, apiReq{Method: http.MethodGet, Path: "/revenue-events?partner_id=nope", Token: w.viewer, Invalid: true}).fieldErrors(t)
	require.Contains(t, fe, "partner_id")

	type entryPage struct {
		Data []apiCommissionEntry `json:"data"`
	}
	entries := func(query string) []apiCommissionEntry {
		t.Helper()
		var p entryPage
		r := w.api.get(t, w.viewer, "/commission-entries?"+query)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r.decode(t, &p)
		return p.Data
	}
	all := entries("partner_id=" + w.p.String())
	require.Len(t, all, 2, "an accrual and its reversal")
	acc := entries("kind=accrual&direction=we_pay&referral_id=" + ref.String())
	require.Len(t, acc, 1)
	require.Equal(t, int64(200_000), acc[0].AmountCents, "20% of 1,000,000")
	require.Equal(t, first, acc[0].RevenueEventID.String())
	byPayment := entries("revenue_event_id=" + first)
	require.Len(t, byPayment, 1)
	require.Equal(t, acc[0].ID, byPayment[0].ID)
	require.Len(t, entries("kind=reversal"), 1)
	require.Empty(t, entries("direction=we_receive"))
	require.Empty(t, entries("referral_id="+uuid.NewString()))
	fe = w.api.do(t, apiReq{Method: http.MethodGet, Path: "/commission-entries?kind=bonus&direction=sideways", Token: w.viewer, Invalid: true}).fieldErrors(t)
	require.Contains(t, fe, "kind")
	require.Contains(t, fe, "direction")
}
