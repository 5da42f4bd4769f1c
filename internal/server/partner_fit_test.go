package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

// fitSearch returns the names of a firm's partners whose search document matches a tsquery.
func (h *harness) fitSearch(tenantID uuid.UUID, query string) []string {
	h.t.Helper()
	rows, err := h.owner.Query(context.Background(),
		`SELECT name FROM partners WHERE tenant_id = $1 AND search @@ to_tsquery('simple', $2) ORDER BY name`, tenantID, query)
	require.NoError(h.t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(h.t, err)
	return names
}

func (h *harness) fitServicesText(partnerID uuid.UUID) string {
	h.t.Helper()
	var s string
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT services_text FROM partners WHERE id = $1`, partnerID).Scan(&s))
	return s
}

func TestPartnerServicesKeepSearchInStep(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("cover", "Cover Firm")
	p := h.createPartner(f.ID, "Numbers Ltd")
	other := h.createPartner(f.ID, "Other Ltd")
	payroll := h.svcInsert(f.ID, "Payroll", "before")
	legal := h.svcInsert(f.ID, "Legal", "during")
	c := h.loggedIn(f.Owner.Email)
	fit := "/t/cover/partners/" + p.ID.String()

	resp, body := h.get(c, fit+"/fit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="svc-`+payroll.String()+`"`)
	require.Empty(t, h.fitSearch(f.ID, "payroll"))

	resp, _ = h.post(c, fit+"/services", url.Values{"service_id": {payroll.String(), legal.String(), payroll.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "Legal Payroll", h.fitServicesText(p.ID))
	require.Equal(t, []string{"Numbers Ltd"}, h.fitSearch(f.ID, "payroll"))
	require.Equal(t, 1, h.svcAudits(f.ID, "partner.services_updated"))
	_, body = h.get(c, fit+"/fit")
	require.Contains(t, body, `value="`+payroll.String()+`" checked`)
	// The map shows who covers what.
	_, body = h.get(c, "/t/cover/services")
	require.Contains(t, body, "Numbers Ltd")

	// Renaming a service renames it in the partner's search text.
	resp, _ = h.post(c, "/t/cover/services/"+payroll.String(), url.Values{"name": {"Payroll outsourcing"}, "phase": {"before"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "Legal Payroll outsourcing", h.fitServicesText(p.ID))
	require.Equal(t, []string{"Numbers Ltd"}, h.fitSearch(f.ID, "outsourcing"))
	require.Equal(t, "", h.fitServicesText(other.ID))

	// Deleting a service drops it from the search text.
	resp, _ = h.post(c, "/t/cover/services/"+legal.String()+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "Payroll outsourcing", h.fitServicesText(p.ID))
	require.Empty(t, h.fitSearch(f.ID, "legal"))

	// Unticking everything empties it.
	resp, _ = h.post(c, fit+"/services", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "", h.fitServicesText(p.ID))
	require.Empty(t, h.fitSearch(f.ID, "payroll"))

	// A viewer sees the tab, not the form.
	h.staffUser(f, "viewer@cover.test", auth.RoleViewer)
	v := h.loggedIn("viewer@cover.test")
	resp, body = h.get(v, fit+"/fit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Save services")
	resp, _ = h.post(v, fit+"/services", url.Values{"service_id": {payroll.String()}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestPartnerFitTab(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f := h.createFirm("fit", "Fit Firm")
	p := h.createPartner(f.ID, "Value Partners")
	c := h.loggedIn(f.Owner.Email)
	fit := "/t/fit/partners/" + p.ID.String() + "/fit"

	// No ideal client profile yet.
	resp, body := h.get(c, fit)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "no ideal client profile yet")
	require.Contains(t, body, `href="/t/fit/settings/firm"`)
	require.Contains(t, body, `aria-current="page">Fit &amp; services</a>`)

	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) error {
		return tenant.SaveSettings(ctx, tx, tenant.Settings{TenantID: f.ID, Positioning: "premium",
			ICPIndustries: []string{"Fintech", "Healthcare", "Retail"}, ICPClientSizes: []string{"mid-market"},
			ICPRegions: []string{"UK", "EU"}, RecruitGoalMin: 5, RecruitGoalMax: 10})
	}))
	_, err := h.owner.Exec(ctx, `UPDATE partners SET positioning = 'value', industries = '{fintech,healthcare}',
		client_sizes = '{enterprise}', stages = '{seed}', regions = '{US}' WHERE id = $1`, p.ID)
	require.NoError(t, err)

	// (2/3 + 0 + 0) / 3 = 22; stages not counted.
	resp, body = h.get(c, fit)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "no ideal client profile yet")
	require.Contains(t, body, ">22<")
	require.Contains(t, body, "Shared industries: Fintech, Healthcare")
	require.Contains(t, body, "No shared client sizes")
	require.Contains(t, body, "No shared regions")
	require.Contains(t, body, "not counted")
	require.Contains(t, body, "Premium firms and value firms rarely share clients")

	// Another firm's partner is not found.
	other := h.createFirm("fit-b", "B")
	ob := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(ob, "/t/fit-b/partners/"+p.ID.String()+"/fit")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(ob, "/t/fit-b/partners/"+p.ID.String()+"/services", url.Values{})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
