package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// payoutAPIWorld is a firm whose partner earns 20% of the first project
// (net 30) on a won referral's engagement, with API tokens.
type payoutAPIWorld struct {
	t                        *testing.T
	h                        *harness
	api                      *apiTester
	f                        firm
	p, eng                   uuid.UUID
	today                    time.Time
	finance, viewer, outside string
	outsidePartner           uuid.UUID
}

func (w *payoutAPIWorld) exec(sql string, args ...any) {
	w.h.t.Helper()
	_, err := w.h.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.h.t, err, sql)
}

func (w *payoutAPIWorld) id(sql string, args ...any) uuid.UUID {
	w.h.t.Helper()
	var id uuid.UUID
	require.NoError(w.h.t, w.h.owner.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

func (w *payoutAPIWorld) day(offset int) string {
	return w.today.AddDate(0, 0, offset).Format(time.DateOnly)
}

func newPayoutAPIWorld(t *testing.T) *payoutAPIWorld {
	h := newHarness(t)
	w := &payoutAPIWorld{t: t, h: h, api: newAPITester(t, h)}
	w.f = h.createFirm("northwind", "Northwind Advisory")
	w.p = h.createPartner(w.f.ID, "Brightline Advisory").ID
	w.exec(`UPDATE partners SET status = 'active' WHERE id = $1`, w.p)
	w.exec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at,
			accepted_via, payment_net_days, rules)
		VALUES ($1, $2, 1, 'active', 'referral', current_date - 400, now(), 'recorded', 30,
			'[{"kind":"percent_first_project","direction":"we_pay","rate_bp":2000}]')`, w.f.ID, w.p)
	prospect := w.id(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, w.f.ID, w.p)
	ref := w.id(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		VALUES ($1, 'inbound', $2, $3, 'Acme Dental', 'acme dental', 'won', now() - interval '100 days', now() - interval '90 days', now())
		RETURNING id`, w.f.ID, w.p, prospect)
	w.eng = w.id(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', 'Acme audit', 50000000, current_date - 90) RETURNING id`, w.f.ID, ref, w.p)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT current_date`).Scan(&w.today))
	_, w.finance = h.createToken(w.f.ID, "erp", auth.RoleFinance)
	_, w.viewer = h.createToken(w.f.ID, "bi", auth.RoleViewer)
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	w.outsidePartner = h.createPartner(other.ID, "Outside Partner").ID
	_, w.outside = h.createToken(other.ID, "erp", auth.RoleFinance)
	return w
}

// pay records a client payment through the API (accrued at once).
func (w *payoutAPIWorld) pay(cents int64, paidOn string) {
	w.h.t.Helper()
	resp := w.api.post(w.t, w.finance, "/revenue-events", map[string]any{"engagement_id": w.eng.String(), "amount_cents": cents,
		"paid_on": paidOn}, nil)
	require.Equal(w.h.t, http.StatusCreated, resp.Status, "%s", resp.Body)
}

func (w *payoutAPIWorld) entries() []apiCommissionEntry {
	w.h.t.Helper()
	var page struct {
		Data []apiCommissionEntry `json:"data"`
	}
	w.api.get(w.t, w.viewer, "/commission-entries?partner_id="+w.p.String()).decode(w.t, &page)
	return page.Data
}

func (w *payoutAPIWorld) approve(ids ...uuid.UUID) {
	w.h.t.Helper()
	require.NoError(w.h.t, w.h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) error {
		_, err := ledger.Approve(context.Background(), tx, w.f.ID, ids, uuid.Nil)
		return err
	}))
}

func (w *payoutAPIWorld) patch(token string, id uuid.UUID, body string, invalid bool) apiResp {
	w.h.t.Helper()
	return w.api.do(w.t, apiReq{Method: http.MethodPatch, Path: "/payouts/" + id.String(), Token: token, Body: []byte(body), Invalid: invalid})
}

// TestAPIPayouts: pay one partner what is approved and due (422 when
// nothing is, idempotent replay), mark it paid (the partner emailed, the
// entries paid), refuse paying twice, cancel another; roles, bad input and
// another firm's ids — all against the OpenAPI document.
func TestAPIPayouts(t *testing.T) {
	t.Parallel()
	w := newPayoutAPIWorld(t)
	h, api := w.h, w.api
	h.portalUser(w.f.ID, w.p, "partner@brightline.test", auth.RolePartnerAdmin)
	w.pay(2_000_000, w.day(-40)) // $4,000 due 10 days ago
	w.pay(3_000_000, w.day(-5))  // $6,000 due in 25 days

	es := w.entries()
	require.Len(t, es, 2)
	require.Equal(t, "pending", *es[0].ReviewStatus)
	require.Nil(t, es[0].PayoutID)
	require.Equal(t, "due", es[0].Status)

	// Nothing is approved: 422 saying so.
	create := map[string]any{"partner_id": w.p.String()}
	fe := api.post(t, w.finance, "/payouts", create, nil).fieldErrors(t)
	require.Contains(t, fe["partner_id"], "Nothing is approved and due")

	w.approve(es[0].ID, es[1].ID)
	require.Equal(t, "approved", *w.entries()[0].ReviewStatus)

	// Roles and bad input.
	api.post(t, w.viewer, "/payouts", create, nil).problem(t, http.StatusForbidden)
	fe = api.post(t, w.finance, "/payouts", map[string]any{"partner_id": w.outsidePartner.String()}, nil).fieldErrors(t)
	require.Contains(t, fe["partner_id"], "no partner")
	fe = api.do(t, apiReq{Method: http.MethodPost, Path: "/payouts", Token: w.finance, Invalid: true,
		Body: []byte(`{"partner_id": "nope", "up_to": "soon", "direction": "sideways"}`)}).fieldErrors(t)
	require.NotEmpty(t, fe["partner_id"])
	require.NotEmpty(t, fe["up_to"])
	fe = api.post(t, w.finance, "/payouts", map[string]any{"partner_id": w.p.String(), "direction": "we_receive", "currency": "EUR"}, nil).fieldErrors(t)
	require.Contains(t, fe["partner_id"], "Nothing is due from partners")
	require.Zero(t, h.countRows(`SELECT count(*) FROM payout_batches`))

	// Up to today: the $4,000 only.
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	resp := api.post(t, w.finance, "/payouts", create, key)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var po apiPayout
	resp.decode(t, &po)
	require.Equal(t, w.p, po.PartnerID)
	require.Equal(t, int64(400_000), po.AmountCents)
	require.Equal(t, "pending", po.Status)
	require.Equal(t, "we_pay", po.Direction)
	require.Equal(t, "USD", po.Currency)
	require.Equal(t, int32(1), po.BatchNumber)
	require.Equal(t, 1, po.Entries)
	require.Nil(t, po.PaidOn)
	again := api.post(t, w.finance, "/payouts", create, key)
	require.Equal(t, http.StatusCreated, again.Status)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.JSONEq(t, string(resp.Body), string(again.Body))
	// The same entries are never paid twice.
	fe = api.post(t, w.finance, "/payouts", create, nil).fieldErrors(t)
	require.Contains(t, fe["partner_id"], "Nothing is approved and due")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM payouts`))

	es = w.entries()
	require.Equal(t, po.ID, *es[0].PayoutID)
	require.Nil(t, es[1].PayoutID)

	// Reads.
	var got apiPayout
	api.get(t, w.viewer, "/payouts/"+po.ID.String()).decode(t, &got)
	require.Equal(t, po, got)
	var page struct {
		Data       []apiPayout `json:"data"`
		NextCursor *string     `json:"next_cursor"`
	}
	api.get(t, w.viewer, "/payouts?partner_id="+w.p.String()+"&status=pending").decode(t, &page)
	require.Len(t, page.Data, 1)
	api.get(t, w.viewer, "/payouts?status=paid").decode(t, &page)
	require.Empty(t, page.Data)
	require.Contains(t, api.do(t, apiReq{Method: http.MethodGet, Path: "/payouts?status=lost", Token: w.viewer, Invalid: true}).fieldErrors(t), "status")

	// Another firm: 404 whatever it asks.
	api.get(t, w.outside, "/payouts/"+po.ID.String()).problem(t, http.StatusNotFound)
	w.patch(w.outside, po.ID, `{"status": "paid", "reference": "X"}`, false).problem(t, http.StatusNotFound)
	api.get(t, w.outside, "/payouts").decode(t, &page)
	require.Empty(t, page.Data)

	// Marking paid: bad input first, then the real thing.
	w.patch(w.viewer, po.ID, `{"status": "paid", "reference": "ACH-1"}`, false).problem(t, http.StatusForbidden)
	require.Contains(t, w.patch(w.finance, po.ID, `{"status": "paid", "reference": " "}`, false).fieldErrors(t), "reference")
	require.Contains(t, w.patch(w.finance, po.ID, `{"status": "paid", "reference": "ACH-1", "paid_on": "`+w.day(2)+`"}`, false).fieldErrors(t), "paid_on")
	require.Contains(t, w.patch(w.finance, po.ID, `{"status": "lost"}`, true).fieldErrors(t), "status")
	require.Zero(t, h.countRows(`SELECT count(*) FROM journal_entries WHERE kind = 'payout'`))

	resp = w.patch(w.finance, po.ID, `{"status": "paid", "paid_on": "`+w.day(0)+`", "reference": "ACH-1"}`, false)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &got)
	require.Equal(t, "paid", got.Status)
	require.Equal(t, w.day(0), *got.PaidOn)
	require.Equal(t, "ACH-1", *got.Reference)
	m := h.lastEmail("partner@brightline.test")
	require.Equal(t, "Northwind Advisory paid you $4,000.00", m.Subject)
	require.Contains(t, m.Text, "ACH-1")
	require.Contains(t, m.Text, h.ts.URL+"/p/northwind/commissions")

	// Paid once only: a second PATCH changes nothing.
	w.patch(w.finance, po.ID, `{"status": "paid", "reference": "ACH-2"}`, false).problem(t, http.StatusConflict)
	w.patch(w.finance, po.ID, `{"status": "cancelled", "reason": "oops"}`, false).problem(t, http.StatusConflict)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM journal_entries WHERE kind = 'payout'`))

	es = w.entries()
	require.Len(t, es, 3)
	require.Equal(t, "paid", es[0].Status)
	require.Equal(t, "payout", es[2].Kind)
	require.Equal(t, int64(-400_000), es[2].AmountCents)
	require.Equal(t, po.ID, *es[2].PayoutID)
	require.Nil(t, es[2].ReviewStatus)
	require.Equal(t, "paid", es[2].Status)

	// The $6,000, paid early, then cancelled: payable again.
	resp = api.post(t, w.finance, "/payouts", map[string]any{"partner_id": w.p.String(), "up_to": w.day(30), "note": "early"}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var second apiPayout
	resp.decode(t, &second)
	require.Equal(t, int64(600_000), second.AmountCents)
	require.Equal(t, int32(2), second.BatchNumber)
	require.Contains(t, w.patch(w.finance, second.ID, `{"status": "cancelled"}`, false).fieldErrors(t), "reason")
	resp = w.patch(w.finance, second.ID, `{"status": "cancelled", "reason": "Paid too early"}`, false)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &got)
	require.Equal(t, "cancelled", got.Status)
	require.Zero(t, got.Entries)
	resp = api.post(t, w.finance, "/payouts", map[string]any{"partner_id": w.p.String(), "up_to": w.day(30)}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	resp.decode(t, &got)
	require.Equal(t, int32(3), got.BatchNumber)

	// Pages in creation order.
	var ids []uuid.UUID
	cursor := ""
	for range 5 {
		api.get(t, w.viewer, "/payouts?limit=1"+cursor).decode(t, &page)
		for _, p := range page.Data {
			ids = append(ids, p.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	require.Equal(t, []uuid.UUID{po.ID, second.ID, got.ID}, ids)

	var ds []ledger.Discrepancy
	require.NoError(t, h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) (err error) {
		ds, err = ledger.Reconcile(context.Background(), tx, w.f.ID)
		return err
	}))
	require.Empty(t, ds)
}
