package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/auth"
)

type alertPageJSON struct {
	Data       []apiAlert `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

// TestAPIAlerts: GET /alerts with its filters and paging, bad filters, and
// another firm's token — against the OpenAPI document.
func TestAPIAlerts(t *testing.T) {
	t.Parallel()
	w := newAlertWorld(t)
	h := w.h
	api := newAPITester(t, h)
	// A second alert: Harbor Legal's only contact left.
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at)
		VALUES ($1, $2, 'Dana Lee', 'executive_sponsor', '2026-11-02T09:00:00Z')`, w.f.ID, w.quiet)
	require.NoError(t, h.db.InTenant(context.Background(), w.f.ID, func(tx pgx.Tx) error {
		r, err := alert.Scan(context.Background(), tx, w.f.ID, alertNow)
		require.Equal(t, 2, r.Raised)
		return err
	}))
	_, viewer := h.createToken(w.f.ID, "bi", auth.RoleViewer)

	var page alertPageJSON
	api.get(t, viewer, "/alerts").decode(t, &page)
	require.Len(t, page.Data, 2)
	require.Nil(t, page.NextCursor)

	api.get(t, viewer, "/alerts?kind=uneven_flow&resolved=false&partner_id="+w.p.String()).decode(t, &page)
	require.Len(t, page.Data, 1)
	a := page.Data[0]
	require.Equal(t, "uneven_flow", a.Kind)
	require.Equal(t, workedExample, a.Message)
	require.Equal(t, w.p, *a.PartnerID)
	require.Nil(t, a.ResolvedAt)
	require.EqualValues(t, 12, a.Details["sent"])
	require.EqualValues(t, 2, a.Details["received"])

	api.get(t, viewer, "/alerts?resolved=true").decode(t, &page)
	require.Empty(t, page.Data)

	// Paging one at a time.
	api.get(t, viewer, "/alerts?limit=1").decode(t, &page)
	require.Len(t, page.Data, 1)
	require.NotNil(t, page.NextCursor)
	first := page.Data[0].ID
	api.get(t, viewer, "/alerts?limit=1&cursor="+*page.NextCursor).decode(t, &page)
	require.Len(t, page.Data, 1)
	require.NotEqual(t, first, page.Data[0].ID)
	require.Nil(t, page.NextCursor)

	// Bad filters: 422 naming each.
	fe := api.do(t, apiReq{Method: http.MethodGet, Path: "/alerts?kind=nope&resolved=maybe&partner_id=x&limit=0", Token: viewer,
		Invalid: true}).fieldErrors(t)
	require.Contains(t, fe, "limit")
	fe = api.do(t, apiReq{Method: http.MethodGet, Path: "/alerts?kind=nope&resolved=maybe&partner_id=x", Token: viewer,
		Invalid: true}).fieldErrors(t)
	require.Contains(t, fe["kind"], "uneven_flow")
	require.Equal(t, "Use true or false.", fe["resolved"])
	require.NotEmpty(t, fe["partner_id"])

	// Another firm's token sees none of them, even asking by partner.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	_, outside := h.createToken(other.ID, "bi", auth.RoleAdmin)
	api.get(t, outside, "/alerts?partner_id="+w.p.String()).decode(t, &page)
	require.Empty(t, page.Data)
	api.do(t, apiReq{Method: http.MethodGet, Path: "/alerts"}).problem(t, http.StatusUnauthorized)
}

type programInputsJSON struct {
	Quarter              string  `json:"quarter"`
	Currency             string  `json:"currency"`
	TotalNewRevenueCents int64   `json:"total_new_revenue_cents"`
	ManagementCostCents  int64   `json:"management_cost_cents"`
	MarketingCostCents   int64   `json:"marketing_cost_cents"`
	SystemsCostCents     int64   `json:"systems_cost_cents"`
	OtherCostCents       int64   `json:"other_cost_cents"`
	UpdatedAt            *string `json:"updated_at"`
}

// TestAPIProgramInputs: GET (zeros before anything is entered), PUT
// (idempotent), every bad input, roles and another firm.
func TestAPIProgramInputs(t *testing.T) {
	t.Parallel()
	w := newAlertWorld(t)
	h := w.h
	api := newAPITester(t, h)
	_, finance := h.createToken(w.f.ID, "erp", auth.RoleFinance)
	_, manager := h.createToken(w.f.ID, "crm", auth.RoleManager)
	_, viewer := h.createToken(w.f.ID, "bi", auth.RoleViewer)
	put := func(token, quarter, body string, invalid bool) apiResp {
		return api.do(t, apiReq{Method: http.MethodPut, Path: "/program-inputs/" + quarter, Token: token, Body: []byte(body),
			Invalid: invalid})
	}

	var in programInputsJSON
	api.get(t, viewer, "/program-inputs/2026-Q3").decode(t, &in)
	require.Equal(t, programInputsJSON{Quarter: "2026-Q3", Currency: "USD"}, in)

	body := `{"total_new_revenue_cents": 100000000, "management_cost_cents": 5000050, "marketing_cost_cents": 1200000,
		"systems_cost_cents": 0, "other_cost_cents": 25}`
	resp := put(finance, "2026-Q3", body, false)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &in)
	require.Equal(t, int64(100_000_000), in.TotalNewRevenueCents)
	require.Equal(t, int64(5_000_050), in.ManagementCostCents)
	require.Equal(t, int64(25), in.OtherCostCents)
	require.NotNil(t, in.UpdatedAt)
	// Idempotent: the same body again, the same figures, one row.
	require.Equal(t, http.StatusOK, put(finance, "2026-q3", body, false).Status)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM program_inputs`))
	var got programInputsJSON
	api.get(t, viewer, "/program-inputs/2026-Q3").decode(t, &got)
	require.Equal(t, in.TotalNewRevenueCents, got.TotalNewRevenueCents)
	require.Equal(t, in.MarketingCostCents, got.MarketingCostCents)

	// Bad input: 422 naming the fields; nothing changes.
	fe := put(finance, "2026-Q3", `{"total_new_revenue_cents": -1, "management_cost_cents": 1}`, true).fieldErrors(t)
	require.Equal(t, "The amount can't be negative.", fe["total_new_revenue_cents"])
	require.Equal(t, "Required (0 for none).", fe["marketing_cost_cents"])
	require.NotContains(t, fe, "management_cost_cents")
	fe = put(finance, "2026-Q3", `{"total_new_revenue_cents": "lots"}`, true).fieldErrors(t)
	require.Contains(t, fe, "total_new_revenue_cents")
	fe = put(finance, "2026-Q3", `{"total_new_revenue_cents": 1000000000000001, "management_cost_cents": 0,
		"marketing_cost_cents": 0, "systems_cost_cents": 0, "other_cost_cents": 0}`, true).fieldErrors(t)
	require.Equal(t, "That amount is too large.", fe["total_new_revenue_cents"])
	// A year ahead is the limit.
	require.Equal(t, http.StatusOK, put(finance, "2027-Q4", body, false).Status)
	fe = put(finance, "2028-Q1", body, false).fieldErrors(t)
	require.Equal(t, "Enter figures at most a year ahead, up to Q4 2027.", fe["quarter"])
	put(finance, "2026-Q3", `{`, true).problem(t, http.StatusBadRequest)
	api.do(t, apiReq{Method: http.MethodPut, Path: "/program-inputs/2026-Q3", Token: finance, Body: []byte(body),
		ContentType: "text/plain", Invalid: true}).problem(t, http.StatusUnsupportedMediaType)
	put(finance, "Q3", body, true).problem(t, http.StatusNotFound)
	api.do(t, apiReq{Method: http.MethodGet, Path: "/program-inputs/2026-Q5", Token: viewer, Invalid: true}).
		problem(t, http.StatusNotFound)
	api.get(t, viewer, "/program-inputs/2026-Q3").decode(t, &got)
	require.Equal(t, in.TotalNewRevenueCents, got.TotalNewRevenueCents)
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM program_inputs`))

	// Roles: only those who manage money write.
	put(viewer, "2026-Q3", body, false).problem(t, http.StatusForbidden)
	put(manager, "2026-Q3", body, false).problem(t, http.StatusForbidden)

	// Another firm: its own (empty) figures.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	_, outside := h.createToken(other.ID, "erp", auth.RoleFinance)
	api.get(t, outside, "/program-inputs/2026-Q3").decode(t, &got)
	require.Zero(t, got.TotalNewRevenueCents)
	require.Nil(t, got.UpdatedAt)
}
