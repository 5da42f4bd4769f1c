package server

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// TestAPICampaigns: create a campaign (idempotent), read and list it with
// its reach and funnel, patch it, add leads, list and filter them, change
// a lead's owner and status; roles, bad input and another firm's ids —
// every request and response checked against the OpenAPI document.
func TestAPICampaigns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	api := newAPITester(t, h)
	f := h.createFirm("northwind", "Northwind Advisory")
	p1 := h.createPartner(f.ID, "Brightline Tax").ID
	p2 := h.createPartner(f.ID, "Keystone Legal").ID
	_, manager := h.createToken(f.ID, "crm", auth.RoleManager)
	_, viewer := h.createToken(f.ID, "bi", auth.RoleViewer)
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	otherPartner := h.createPartner(other.ID, "Outside Partner").ID
	_, outside := h.createToken(other.ID, "crm", auth.RoleAdmin)

	create := map[string]any{"name": "Year-end tax webinar", "kind": "webinar", "starts_on": "2026-03-10",
		"our_audience": 12000, "overlap_bp": 2500, "lead_rule": "existing_clients_keep",
		"partners":         []map[string]any{{"partner_id": p1.String(), "audience": 8000}},
		"responsibilities": []map[string]any{{"task": "logistics"}, {"task": "promotion", "owner_side": "partner", "partner_id": p1.String(), "note": "Two mailings"}}}

	// Roles and bad input.
	api.post(t, viewer, "/campaigns", create, nil).problem(t, http.StatusForbidden)
	fe := api.post(t, manager, "/campaigns", map[string]any{"name": "X", "kind": "webinar", "starts_on": "2026-03-10",
		"partners": []map[string]any{{"partner_id": otherPartner.String()}}}, nil).fieldErrors(t)
	require.Contains(t, fe, "partners[0].partner_id")
	fe = api.do(t, apiReq{Method: http.MethodPost, Path: "/campaigns", Token: manager, Invalid: true,
		Body: []byte(`{"name": "", "kind": "party", "starts_on": "soon", "overlap_bp": 20000, "partners": []}`)}).fieldErrors(t)
	for _, k := range []string{"name", "kind", "starts_on", "overlap_bp", "partners"} {
		require.Contains(t, fe, k)
	}
	require.Zero(t, h.countRows(`SELECT count(*) FROM campaigns`))

	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	resp := api.post(t, manager, "/campaigns", create, key)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var c apiCampaign
	resp.decode(t, &c)
	require.Equal(t, int64(15000), c.CombinedReach)
	require.Equal(t, "(12,000 + 8,000) × (100% − 25%) = 15,000", c.ReachFormula)
	require.Equal(t, "planned", c.Status)
	require.Len(t, c.Responsibilities, 2)
	require.Equal(t, "partner", c.Responsibilities[1].OwnerSide)
	again := api.post(t, manager, "/campaigns", create, key)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM campaigns`))

	// Patch: a second partner, status active, no end date.
	resp = api.do(t, apiReq{Method: http.MethodPatch, Path: "/campaigns/" + c.ID.String(), Token: manager,
		Body: []byte(`{"status": "active", "ends_on": null, "partners": [{"partner_id": "` + p1.String() + `", "audience": 8000},
			{"partner_id": "` + p2.String() + `", "audience": 4000}]}`)})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &c)
	require.Equal(t, "active", c.Status)
	require.Len(t, c.Partners, 2)
	require.Equal(t, int64(18000), c.CombinedReach)
	require.Equal(t, "Year-end tax webinar", c.Name)
	fe = api.do(t, apiReq{Method: http.MethodPatch, Path: "/campaigns/" + c.ID.String(), Token: manager,
		Body: []byte(`{"ends_on": "2020-01-01"}`)}).fieldErrors(t)
	require.Contains(t, fe, "ends_on")

	// Leads.
	lpath := "/campaigns/" + c.ID.String() + "/leads"
	resp = api.post(t, manager, lpath, map[string]any{"name": "Ada Lovelace", "email": "Ada@Analytical.example", "company": "Analytical",
		"consent": true}, map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var ada apiLead
	resp.decode(t, &ada)
	require.Equal(t, "us", ada.OwnerSide)
	require.Equal(t, "ada@analytical.example", *ada.Email)
	require.Equal(t, "api", ada.Source)
	resp = api.post(t, manager, lpath, map[string]any{"name": "Bo", "owner_partner_id": p2.String(), "status": "contacted"}, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	fe = api.post(t, manager, lpath, map[string]any{"name": "Ada again", "email": "ada@analytical.example", "owner_partner_id": otherPartner.String()}, nil).fieldErrors(t)
	require.Contains(t, fe, "email")
	require.Contains(t, fe, "owner_partner_id")

	var leads struct {
		Data       []apiLead `json:"data"`
		NextCursor *string   `json:"next_cursor"`
	}
	api.get(t, viewer, lpath).decode(t, &leads)
	require.Len(t, leads.Data, 2)
	api.get(t, viewer, lpath+"?owner="+p2.String()).decode(t, &leads)
	require.Len(t, leads.Data, 1)
	require.Equal(t, "Bo", leads.Data[0].Name)
	api.get(t, viewer, lpath+"?owner=us&limit=1").decode(t, &leads)
	require.Len(t, leads.Data, 1)
	require.Nil(t, leads.NextCursor)
	require.Contains(t, api.do(t, apiReq{Method: http.MethodGet, Path: lpath + "?status=lost", Token: viewer, Invalid: true}).fieldErrors(t), "status")

	// Patch a lead: give it to a partner and qualify it; then back to us.
	resp = api.do(t, apiReq{Method: http.MethodPatch, Path: lpath + "/" + ada.ID.String(), Token: manager,
		Body: []byte(`{"owner_partner_id": "` + p1.String() + `", "status": "qualified"}`)})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &ada)
	require.Equal(t, "partner", ada.OwnerSide)
	require.Equal(t, "qualified", ada.Status)
	resp = api.do(t, apiReq{Method: http.MethodPatch, Path: lpath + "/" + ada.ID.String(), Token: manager,
		Body: []byte(`{"owner_partner_id": null}`)})
	resp.decode(t, &ada)
	require.Nil(t, ada.OwnerPartnerID)
	require.Equal(t, "qualified", ada.Status)
	require.Contains(t, api.do(t, apiReq{Method: http.MethodPatch, Path: lpath + "/" + ada.ID.String(), Token: manager, Invalid: true,
		Body: []byte(`{"status": "converted"}`)}).fieldErrors(t), "status")
	api.do(t, apiReq{Method: http.MethodPatch, Path: lpath + "/" + ada.ID.String(), Token: viewer,
		Body: []byte(`{"status": "contacted"}`)}).problem(t, http.StatusForbidden)

	// The funnel counts them.
	var got apiCampaign
	api.get(t, viewer, "/campaigns/"+c.ID.String()).decode(t, &got)
	require.Equal(t, int64(2), got.Funnel.Leads)
	require.Equal(t, int64(1), got.Funnel.Qualified)
	var page struct {
		Data []apiCampaign `json:"data"`
	}
	api.get(t, viewer, "/campaigns?status=active&partner_id="+p2.String()).decode(t, &page)
	require.Len(t, page.Data, 1)
	api.get(t, viewer, "/campaigns?status=completed").decode(t, &page)
	require.Empty(t, page.Data)

	// Another firm: 404 whatever it asks, and its list is empty.
	api.get(t, outside, "/campaigns/"+c.ID.String()).problem(t, http.StatusNotFound)
	api.get(t, outside, lpath).problem(t, http.StatusNotFound)
	api.do(t, apiReq{Method: http.MethodPatch, Path: "/campaigns/" + c.ID.String(), Token: outside, Body: []byte(`{"name": "X"}`)}).problem(t, http.StatusNotFound)
	api.post(t, outside, lpath, map[string]any{"name": "X"}, nil).problem(t, http.StatusNotFound)
	api.do(t, apiReq{Method: http.MethodPatch, Path: lpath + "/" + ada.ID.String(), Token: outside, Body: []byte(`{"status": "new"}`)}).problem(t, http.StatusNotFound)
	api.get(t, outside, "/campaigns").decode(t, &page)
	require.Empty(t, page.Data)
}
