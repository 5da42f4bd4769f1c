package seed_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

// TestDemoCampaigns: Northwind's demo has a completed webinar with
// Brightline Tax (40 leads, three converted into demo referrals, one of
// them won with client payments), an active guide with two partners and a
// planned event.
func TestDemoCampaigns(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	_, err = seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://x")
	require.NoError(t, err)

	count := func(sql string) int {
		t.Helper()
		var n int
		require.NoError(t, owner.QueryRow(ctx, sql).Scan(&n))
		return n
	}
	web := `(SELECT id FROM campaigns WHERE kind = 'webinar' AND status = 'completed')`
	require.Equal(t, 3, count(`SELECT count(*) FROM campaigns`))
	require.Equal(t, 40, count(`SELECT count(*) FROM campaign_leads WHERE campaign_id = `+web))
	require.Equal(t, 3, count(`SELECT count(*) FROM campaign_leads WHERE status = 'converted' AND campaign_id = `+web))
	require.GreaterOrEqual(t, count(`SELECT count(*) FROM campaign_leads WHERE status = 'qualified' AND campaign_id = `+web), 3)
	require.Equal(t, 3, count(`SELECT count(*) FROM referrals WHERE campaign_id = `+web))
	require.GreaterOrEqual(t, count(`SELECT count(*) FROM referrals WHERE status = 'won' AND campaign_id = `+web), 1)
	require.Greater(t, count(`SELECT count(*) FROM revenue_events e JOIN referrals r ON r.id = e.referral_id WHERE r.campaign_id = `+web), 0)
	require.Equal(t, 2, count(`SELECT count(*) FROM campaign_partners WHERE campaign_id = (SELECT id FROM campaigns WHERE kind = 'co_content')`))
	require.Equal(t, 1, count(`SELECT count(*) FROM campaigns WHERE status = 'planned' AND kind = 'event'`))
}
