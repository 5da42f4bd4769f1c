package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

func TestFirmProfile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/acme/settings/firm")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `name="recruit_goal_min" value="5"`)
	assert.Contains(t, body, `name="recruit_goal_max" value="10"`)
	assert.Contains(t, body, "Series A")

	good := url.Values{"positioning": {"premium"}, "icp_industries": {" FinTech, healthcare,fintech "},
		"icp_client_sizes": {"enterprise", "mid_market"}, "icp_stages": {"series_a", "series_b"},
		"icp_regions": {"UK, DACH"}, "recruit_goal_min": {"4"}, "recruit_goal_max": {"8"}}

	// Bad input: 422, the input kept, nothing saved.
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("recruit_goal_min", "9")
	bad["icp_stages"] = []string{"series_a", "series_z"}
	resp, body = h.post(c, "/t/acme/settings/firm", bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "can&#39;t be fewer")
	assert.Contains(t, body, "Choose from the options shown")
	assert.Contains(t, body, `value=" FinTech, healthcare,fintech "`)
	assert.Contains(t, body, `value="9"`)
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM tenant_settings WHERE tenant_id = $1`, f.ID))
	resp, _ = h.post(c, "/t/acme/settings/firm", url.Values{"recruit_goal_min": {"x"}, "recruit_goal_max": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	resp, body = h.post(c, "/t/acme/settings/firm", good)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	var st tenant.Settings
	ctx := context.Background()
	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
		st, err = tenant.GetSettings(ctx, tx, f.ID)
		return err
	}))
	assert.Equal(t, "premium", st.Positioning)
	assert.Equal(t, []string{"fintech", "healthcare"}, st.ICPIndustries)
	assert.Equal(t, []string{"mid_market", "enterprise"}, st.ICPClientSizes)
	assert.Equal(t, []string{"series_a", "series_b"}, st.ICPStages)
	assert.Equal(t, []string{"uk", "dach"}, st.ICPRegions)
	assert.Equal(t, [2]int{4, 8}, [2]int{st.RecruitGoalMin, st.RecruitGoalMax})
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.updated'`, f.ID))

	_, body = h.get(c, "/t/acme/settings/firm")
	assert.Contains(t, body, `value="fintech, healthcare"`)
	assert.Contains(t, body, `value="series_a" checked`)
	_, body = h.get(c, "/t/acme/recruiting")
	assert.Contains(t, body, "of 4–8 new partners this year")

	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	m := h.loggedIn("manager@acme.test")
	resp, _ = h.get(m, "/t/acme/settings/firm")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(m, "/t/acme/settings/firm", good)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
