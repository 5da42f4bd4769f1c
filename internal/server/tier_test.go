package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// tierIDs returns a firm's tier ids by rank, read as the schema owner.
func (h *harness) tierIDs(tenantID uuid.UUID) map[int]uuid.UUID {
	h.t.Helper()
	rows, err := h.owner.Query(context.Background(), `SELECT rank, id FROM tiers WHERE tenant_id = $1`, tenantID)
	require.NoError(h.t, err)
	defer rows.Close()
	out := map[int]uuid.UUID{}
	for rows.Next() {
		var rank int
		var id uuid.UUID
		require.NoError(h.t, rows.Scan(&rank, &id))
		out[rank] = id
	}
	require.NoError(h.t, rows.Err())
	return out
}

// setPartnerState puts a partner in a status (since at) and, with
// history, records the move to it at that time; as the schema owner.
func (h *harness) setPartnerState(tenantID, partnerID uuid.UUID, status string, at time.Time, history bool) {
	h.t.Helper()
	ctx := context.Background()
	_, err := h.owner.Exec(ctx, `UPDATE partners SET status = $3, status_changed_at = $4 WHERE tenant_id = $1 AND id = $2`,
		tenantID, partnerID, status, at)
	require.NoError(h.t, err)
	if history {
		_, err = h.owner.Exec(ctx, `INSERT INTO partner_status_history (tenant_id, partner_id, to_status, at) VALUES ($1, $2, $3, $4)`,
			tenantID, partnerID, status, at)
		require.NoError(h.t, err)
	}
}

func (h *harness) setPartnerTier(tenantID, partnerID, tierID uuid.UUID) {
	h.t.Helper()
	_, err := h.owner.Exec(context.Background(), `UPDATE partners SET tier_id = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, partnerID, tierID)
	require.NoError(h.t, err)
}

func tierForm(name, rank, min, max, cadence, rate string) url.Values {
	return url.Values{"name": {name}, "rank": {rank}, "target_min": {min}, "target_max": {max},
		"checkin_cadence_days": {cadence}, "rate": {rate}, "benefits": {"Some benefits"}}
}

func TestTierDefaultsAppearOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/acme/settings/tiers")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	for _, s := range []string{"Tier 1 – Strategic", "Tier 2 – Active", "Tier 3 – Referral network", "Every 30 days (monthly)", "Every 90 days (quarterly)",
		"Every 365 days (yearly)", "20%", "15%", "10%", "3–5", "10–20", "Below target", "Add a tier"} {
		assert.Contains(t, body, s)
	}
	resp, _ = h.get(c, "/t/acme/settings/tiers")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 3, h.countRows(`SELECT count(*) FROM tiers WHERE tenant_id = $1`, f.ID))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.defaults_created'`, f.ID))
	assert.Equal(t, 2000, h.countRows(`SELECT default_rate_bp FROM tiers WHERE tenant_id = $1 AND rank = 1`, f.ID))

	// A firm that deleted every tier keeps none.
	ids := h.tierIDs(f.ID)
	for _, id := range ids {
		resp, body := h.post(c, "/t/acme/settings/tiers/"+id.String()+"/delete", nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	}
	resp, body = h.get(c, "/t/acme/settings/tiers")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No tiers")
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM tiers WHERE tenant_id = $1`, f.ID))
	assert.Equal(t, 3, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.deleted'`, f.ID))
}

func TestTierEditAndCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	c := h.loggedIn(f.Owner.Email)
	h.get(c, "/t/acme/settings/tiers")
	ids := h.tierIDs(f.ID)
	path := "/t/acme/settings/tiers/" + ids[1].String()

	resp, body := h.get(c, path)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `value="20"`, "the rate is shown as a percentage")

	// Bad input: 422, the input kept, nothing saved.
	cases := []struct {
		form url.Values
		msg  string
	}{
		{tierForm("Gold", "1", "3", "5", "30", "12.555"), "at most two decimals"},
		{tierForm("Gold", "1", "3", "5", "30", "101"), "from 0 to 100"},
		{tierForm("Gold", "1", "6", "5", "30", "12.5"), "can&#39;t be fewer"},
		{tierForm("Gold", "1", "3", "5", "731", "12.5"), "from 1 to 730"},
		{tierForm("Gold", "2", "3", "5", "30", "12.5"), "Another tier has rank 2"},
		{tierForm("tier 2 – active", "1", "3", "5", "30", "12.5"), "Another tier is called tier 2 – active"},
		{tierForm("", "1", "3", "5", "30", "12.5"), "Enter the tier"},
	}
	for _, tc := range cases {
		resp, body := h.post(c, path, tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%v", tc.form)
		assert.Contains(t, body, tc.msg)
		assert.Contains(t, body, `value="`+tc.form.Get("rate")+`"`, "the typed rate is kept")
	}
	assert.Equal(t, 2000, h.countRows(`SELECT default_rate_bp FROM tiers WHERE id = $1`, ids[1]))
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.updated'`, f.ID))

	resp, body = h.post(c, path, tierForm("Gold", "1", "2", "4", "45", "12.5"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, 1250, h.countRows(`SELECT default_rate_bp FROM tiers WHERE id = $1`, ids[1]))
	assert.Equal(t, 45, h.countRows(`SELECT checkin_cadence_days FROM tiers WHERE id = $1`, ids[1]))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.updated'`, f.ID))

	// Add a tier; a bad one keeps the input on the tiers page.
	resp, body = h.post(c, "/t/acme/settings/tiers", tierForm("Dormant", "5", "9", "1", "365", "5"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, `value="Dormant"`)
	resp, body = h.post(c, "/t/acme/settings/tiers", tierForm("Dormant", "5", "0", "0", "365", "5.25"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, 525, h.countRows(`SELECT default_rate_bp FROM tiers WHERE tenant_id = $1 AND name = 'Dormant'`, f.ID))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.created'`, f.ID))
}

func TestTierDeleteRefusedWithMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	c := h.loggedIn(f.Owner.Email)
	h.get(c, "/t/acme/settings/tiers")
	ids := h.tierIDs(f.ID)
	p := h.createPartner(f.ID, "Brightline Advisory")
	h.setPartnerState(f.ID, p.ID, "active", time.Now(), true)
	h.setPartnerTier(f.ID, p.ID, ids[1])

	resp, body := h.get(c, "/t/acme/settings/tiers")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Brightline Advisory", "members are listed under their tier")
	assert.Contains(t, body, "/t/acme/partners/"+p.ID.String())

	resp, body = h.post(c, "/t/acme/settings/tiers/"+ids[1].String()+"/delete", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "move its partners first")
	assert.Equal(t, 3, h.countRows(`SELECT count(*) FROM tiers WHERE tenant_id = $1`, f.ID))

	// An ended partner doesn't hold the tier: it is left without one.
	h.setPartnerState(f.ID, p.ID, "ended", time.Now(), true)
	resp, body = h.post(c, "/t/acme/settings/tiers/"+ids[1].String()+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND tier_id IS NOT NULL`, p.ID))
}

func TestTierOtherFirmAndRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.createFirm("firm-a", "Firm A")
	b := h.createFirm("firm-b", "Firm B")
	h.get(h.loggedIn(b.Owner.Email), "/t/firm-b/settings/tiers")
	bTier := h.tierIDs(b.ID)[1]
	c := h.loggedIn(a.Owner.Email)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/t/firm-a/settings/tiers/" + bTier.String()},
		{http.MethodPost, "/t/firm-a/settings/tiers/" + bTier.String()},
		{http.MethodPost, "/t/firm-a/settings/tiers/" + bTier.String() + "/delete"},
		{http.MethodGet, "/t/firm-a/settings/tiers/not-a-uuid"},
	} {
		var resp *http.Response
		if tc.method == http.MethodGet {
			resp, _ = h.get(c, tc.path)
		} else {
			resp, _ = h.post(c, tc.path, tierForm("Mine", "1", "0", "0", "30", "10"))
		}
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", tc.method, tc.path)
	}
	assert.Equal(t, 3, h.countRows(`SELECT count(*) FROM tiers WHERE tenant_id = $1`, b.ID))
	assert.Equal(t, 2000, h.countRows(`SELECT default_rate_bp FROM tiers WHERE id = $1`, bTier))

	for _, role := range []auth.Role{auth.RoleManager, auth.RoleViewer} {
		h.staffUser(a, string(role)+"@firm-a.test", role)
		resp, _ := h.get(h.loggedIn(string(role)+"@firm-a.test"), "/t/firm-a/settings/tiers")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", role)
	}
}

// apiTierJSON is a tier as a client decodes it.
type apiTierJSON struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Rank               int    `json:"rank"`
	CheckinCadenceDays int    `json:"checkin_cadence_days"`
	DefaultRateBP      int    `json:"default_rate_bp"`
	TargetMin          int    `json:"target_min"`
	TargetMax          int    `json:"target_max"`
	Benefits           string `json:"benefits"`
	MemberCount        int    `json:"member_count"`
}

func TestAPITiers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme Consulting")
	other := h.createFirm("other", "Other Firm")
	_, viewer := h.createToken(f.ID, "BI", auth.RoleViewer)
	_, manager := h.createToken(f.ID, "CRM", auth.RoleManager)
	_, admin := h.createToken(f.ID, "Admin script", auth.RoleAdmin)
	_, otherAdmin := h.createToken(other.ID, "Other", auth.RoleAdmin)

	// The defaults appear on the first read, with the list envelope.
	resp := a.get(t, viewer, "/tiers")
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var page struct {
		Data       []apiTierJSON    `json:"data"`
		NextCursor *json.RawMessage `json:"next_cursor"`
	}
	resp.decode(t, &page)
	require.Len(t, page.Data, 3)
	assert.Nil(t, page.NextCursor)
	assert.Contains(t, string(resp.Body), `"next_cursor":null`)
	assert.Equal(t, "Tier 1 – Strategic", page.Data[0].Name)
	assert.Equal(t, 1, page.Data[0].Rank)
	assert.Equal(t, 30, page.Data[0].CheckinCadenceDays)
	assert.Equal(t, 2000, page.Data[0].DefaultRateBP)
	assert.Equal(t, [2]int{3, 5}, [2]int{page.Data[0].TargetMin, page.Data[0].TargetMax})
	assert.Equal(t, "Tier 3 – Referral network", page.Data[2].Name)

	// Creating needs ManageSettings.
	body := map[string]any{"name": "Alliance", "rank": 4, "checkin_cadence_days": 60, "default_rate_bp": 1250, "target_min": 1, "target_max": 3}
	a.post(t, manager, "/tiers", body, nil).problem(t, http.StatusForbidden)
	a.post(t, viewer, "/tiers", body, nil).problem(t, http.StatusForbidden)
	resp = a.post(t, admin, "/tiers", body, nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var created apiTierJSON
	resp.decode(t, &created)
	assert.Equal(t, "Alliance", created.Name)
	assert.Equal(t, 1250, created.DefaultRateBP)
	assert.Equal(t, 0, created.MemberCount)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tier.created'`, f.ID))

	// Validation.
	errs := a.do(t, apiReq{Method: http.MethodPost, Path: "/tiers", Token: admin, Invalid: true,
		Body: []byte(`{"name": "Alliance", "rank": 2, "checkin_cadence_days": 0, "default_rate_bp": 10001, "target_min": 5, "target_max": 1}`)}).fieldErrors(t)
	assert.Contains(t, errs, "checkin_cadence_days")
	assert.Contains(t, errs, "default_rate_bp")
	assert.Contains(t, errs, "target_max")
	errs = a.do(t, apiReq{Method: http.MethodPost, Path: "/tiers", Token: admin, Invalid: true, Body: []byte(`{"name": "X"}`)}).fieldErrors(t)
	assert.Contains(t, errs, "rank")
	assert.Contains(t, errs, "default_rate_bp")
	errs = a.post(t, admin, "/tiers", map[string]any{"name": "alliance", "rank": 5, "checkin_cadence_days": 60, "default_rate_bp": 0}, nil).fieldErrors(t)
	assert.Contains(t, errs, "name", "names are unique ignoring case")
	errs = a.post(t, admin, "/tiers", map[string]any{"name": "Other", "rank": 4, "checkin_cadence_days": 60, "default_rate_bp": 0}, nil).fieldErrors(t)
	assert.Contains(t, errs, "rank")
	assert.Equal(t, 4, h.countRows(`SELECT count(*) FROM tiers WHERE tenant_id = $1`, f.ID))

	// Get and patch; another firm's tier is not found.
	resp = a.get(t, viewer, "/tiers/"+created.ID)
	require.Equal(t, http.StatusOK, resp.Status)
	resp = a.do(t, apiReq{Method: http.MethodPatch, Path: "/tiers/" + created.ID, Token: admin, Body: []byte(`{"default_rate_bp": 1300}`)})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var patched apiTierJSON
	resp.decode(t, &patched)
	assert.Equal(t, 1300, patched.DefaultRateBP)
	assert.Equal(t, "Alliance", patched.Name)
	a.do(t, apiReq{Method: http.MethodPatch, Path: "/tiers/" + created.ID, Token: manager, Body: []byte(`{"rank": 9}`)}).problem(t, http.StatusForbidden)

	a.get(t, otherAdmin, "/tiers/"+created.ID).problem(t, http.StatusNotFound)
	a.do(t, apiReq{Method: http.MethodPatch, Path: "/tiers/" + created.ID, Token: otherAdmin, Body: []byte(`{"name": "Mine"}`)}).problem(t, http.StatusNotFound)
	a.get(t, viewer, "/tiers/"+uuid.NewString()).problem(t, http.StatusNotFound)
	resp = a.get(t, otherAdmin, "/tiers")
	var otherPage struct{ Data []apiTierJSON }
	resp.decode(t, &otherPage)
	assert.Len(t, otherPage.Data, 3, "the other firm sees only its own (default) tiers")
}
