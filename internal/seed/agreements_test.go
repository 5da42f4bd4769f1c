package seed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoAgreements: Northwind's agreements cover the models, the
// versions and the states the demo needs.
func TestDemoAgreements(t *testing.T) {
	ctx := context.Background()
	owner, _ := seededDemo(t)
	states := map[string][]string{}
	rows, err := owner.Query(ctx, `SELECT p.name, a.version::text || ':' || a.status
		FROM agreements a JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
		WHERE a.tenant_id = (SELECT id FROM tenants WHERE slug = 'northwind') ORDER BY p.name, a.version`)
	require.NoError(t, err)
	for rows.Next() {
		var name, st string
		require.NoError(t, rows.Scan(&name, &st))
		states[name] = append(states[name], st)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[string][]string{
		"Brightline Tax":           {"1:superseded", "2:active"},
		"Meridian Change Partners": {"1:active"},
		"Atlas Capital Group":      {"1:active"},
		"Ironbridge Systems":       {"1:active"},
		"Vanguard ERP Consulting":  {"1:active"},
		"Summit Data Partners":     {"1:sent"},
		"Keystone Legal":           {"1:active"},
		"Crestview Accountants":    {"1:expired"},
		"Pinnacle Market Insight":  {"1:declined"},
	}, states)

	one := func(sql string) (s string) {
		t.Helper()
		require.NoError(t, owner.QueryRow(ctx, sql).Scan(&s))
		return s
	}
	of := func(partner string) string {
		return ` FROM agreements WHERE partner_id = (SELECT id FROM partners WHERE name = '` + partner + `')`
	}
	yes := func(sql string) bool {
		t.Helper()
		var b bool
		require.NoError(t, owner.QueryRow(ctx, sql).Scan(&b))
		return b
	}
	// Brightline accepted version 2 in the portal, as Pat Partner; version 1
	// ends the day before version 2 starts.
	require.Equal(t, "Pat Partner|portal|203.0.113.24|partner@brightline.example",
		one(`SELECT accepted_name || '|' || accepted_via || '|' || accepted_ip || '|' || (SELECT email FROM users WHERE id = accepted_by)`+
			of("Brightline Tax")+` AND version = 2`))
	require.True(t, yes(`SELECT max(effective_to) FILTER (WHERE version = 1) = max(effective_from) FILTER (WHERE version = 2) - 1`+
		of("Brightline Tax")))
	require.Equal(t, "co_delivery_split:6000", one(`SELECT (rules->0->>'kind') || ':' || (rules->0->>'partner_share_bp')`+of("Meridian Change Partners")))
	require.Equal(t, "alliance:reciprocity_only", one(`SELECT model || ':' || (rules->0->>'kind')`+of("Atlas Capital Group")))
	require.True(t, yes(`SELECT effective_to BETWEEN current_date AND current_date + 30 AND renewal_reminded_at IS NULL`+of("Keystone Legal")))
	require.Contains(t, one(`SELECT declined_reason`+of("Pinnacle Market Insight")), "10% of the first project")
	require.True(t, yes(`SELECT sent_at IS NOT NULL AND accepted_at IS NULL`+of("Summit Data Partners")))
}
