package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/policy"
)

func TestAgreementTemplatesSettings(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	base := "/t/northwind/settings/agreement-templates"

	resp, body := h.get(w.staff, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Referral partner — standard terms")
	assert.Contains(t, body, "We pay the partner a co-delivery split: the partner&#39;s share is 60%")

	resp, body = h.get(w.staff, base+"/new")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `name="tier_id"`)

	// Bad input keeps what was typed, with a message per field.
	v := url.Values{"name": {"Gold referral"}, "model": {"referral"}, "payment_trigger": {"client_payment"},
		"payment_net_days": {"400"}, "term_months": {"12"}, "terms.off_limits": {"Audit work"},
		"rules[0].kind": {"tiered_volume"}, "rules[0].direction": {"we_pay"}, "rules[0].period": {"calendar_year"},
		"rules[0].mode": {"from_threshold"}, "rules[0].tiers": {"1-5: 10%\n4+: 20%"}}
	resp, body = h.post(w.staff, base+"/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Net days are 0 to 365.")
	assert.Contains(t, html.UnescapeString(body), `Tiers overlap: "1-5: 10%" and "4+: 20%" both cover 4.`)
	assert.Contains(t, body, "Audit work")
	assert.Contains(t, body, `value="Gold referral"`)

	// A taken name (any case) is refused.
	v.Set("payment_net_days", "30")
	v.Set("rules[0].tiers", "1-3: 10%\n4+: 20%")
	v.Set("name", "REFERRAL PARTNER — standard terms")
	resp, body = h.post(w.staff, base+"/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Another template already has this name.")

	// For a tier.
	var tierID string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM tiers WHERE tenant_id = $1 AND rank = 1`, w.f.ID).Scan(&tierID))
	v.Set("name", "Gold referral")
	v.Set("tier_id", tierID)
	resp, _ = h.post(w.staff, base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var ts []agreement.Template
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		ts, err = agreement.ListTemplates(ctx, tx, w.f.ID)
		return err
	})
	var gold agreement.Template
	for _, tpl := range ts {
		if tpl.Name == "Gold referral" {
			gold = tpl
		}
	}
	require.Equal(t, "Gold referral", gold.Name)
	assert.Equal(t, "Tier 1 – Strategic", gold.TierName)
	assert.Equal(t, "Audit work", gold.Terms.OffLimits)
	assert.Equal(t, int64(2000), gold.Rules[0].Tiers[1].RateBP)

	// Edit, then delete.
	resp, body = h.get(w.staff, base+"/"+gold.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "1-3: 10%")
	v.Set("payment_net_days", "15")
	resp, _ = h.post(w.staff, base+"/"+gold.ID.String(), v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		got, err := agreement.GetTemplate(ctx, tx, w.f.ID, gold.ID)
		assert.Equal(t, 15, got.PaymentNetDays)
		return err
	})
	resp, _ = h.post(w.staff, base+"/"+gold.ID.String()+"/delete", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.get(w.staff, base+"/"+gold.ID.String())
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Managers don't manage settings.
	h.staffUser(w.f, "manager@northwind.test", auth.RoleManager)
	resp, _ = h.get(h.loggedIn("manager@northwind.test"), base)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestPolicySettings(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	base := "/t/northwind/settings/policy"

	resp, body := h.get(w.staff, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No profession rules apply to this kind of firm.")

	resp, _ = h.post(w.staff, base, url.Values{"profession": {"astrology"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp, _ = h.post(w.staff, base, url.Values{"profession": {"accounting"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(w.staff, base)
	assert.Contains(t, body, "No commission on attest clients")
	assert.Contains(t, body, "Checked on each referral")
	assert.Contains(t, body, "Permitted fees are disclosed to the client")

	// An override needs a reason; the form comes back on that rule.
	resp, body = h.post(w.staff, base+"/override", url.Values{"key": {policy.AcctFeeDisclosure}, "reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Say why the rule does not apply to the firm")
	resp, _ = h.post(w.staff, base+"/override", url.Values{"key": {"law.made_up"}, "reason": {"x"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, _ = h.post(w.staff, base+"/override", url.Values{"key": {policy.AcctFeeDisclosure}, "reason": {"Counsel's memo of 2 March 2026."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(w.staff, base)
	assert.Contains(t, body, "Switched off")
	assert.Contains(t, html.UnescapeString(body), "Counsel's memo of 2 March 2026.")
	assert.Contains(t, body, "Owner of Northwind")
	var set policy.Set
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		set, err = policy.Load(ctx, tx, w.f.ID)
		return err
	})
	assert.False(t, set.Active(policy.AcctFeeDisclosure))
	assert.True(t, set.Active(policy.AcctNoCommissionAttest))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE action = 'policy.overridden'`))

	resp, _ = h.post(w.staff, base+"/clear", url.Values{"key": {policy.AcctFeeDisclosure}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(w.staff, base+"/clear", url.Values{"key": {policy.AcctFeeDisclosure}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "nothing to clear")
}
