package seed_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// TestDemo seeds the demo twice (the second run changes nothing), quickly,
// through the app role, and gives Northwind its partner network.
func TestDemo(t *testing.T) {
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)

	start := time.Now()
	logins, err := seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://x")
	require.NoError(t, err)
	// How long seeding takes is BenchmarkDemo's to report, not a test's to
	// assert (a loaded CI machine would make it flaky).
	t.Logf("seeded in %s", time.Since(start))
	require.NotEmpty(t, logins)

	count := func(sql string) int {
		t.Helper()
		var n int
		require.NoError(t, owner.QueryRow(ctx, sql).Scan(&n))
		return n
	}
	nw := `(SELECT id FROM tenants WHERE slug = 'northwind')`
	require.Equal(t, 25, count(`SELECT count(*) FROM partners WHERE tenant_id = `+nw))
	require.Equal(t, 5, count(`SELECT count(DISTINCT type) FROM partners WHERE tenant_id = `+nw))
	require.Equal(t, 7, count(`SELECT count(DISTINCT status) FROM partners WHERE tenant_id = `+nw))
	require.Equal(t, 3, count(`SELECT count(DISTINCT tier_id) FROM partners WHERE tenant_id = `+nw))
	require.Equal(t, 12, count(`SELECT count(*) FROM service_gaps WHERE tenant_id = `+nw+` AND noted_on > current_date - 365`))
	require.Equal(t, 1, count(`SELECT count(*) FROM (SELECT partner_id FROM partner_references WHERE tenant_id = `+nw+
		` AND sentiment = 'negative' GROUP BY partner_id HAVING count(*) >= 3) x`))
	require.Equal(t, 3, count(`SELECT count(*) FROM partner_assessments WHERE tenant_id = `+nw+` AND decision IS NOT NULL`))
	require.Greater(t, count(`SELECT count(*) FROM partner_contacts WHERE tenant_id = `+nw+` AND departed_at IS NOT NULL`), 3)
	require.Zero(t, count(`SELECT count(*) FROM partners p WHERE tenant_id = `+nw+` AND NOT EXISTS (
		SELECT 1 FROM partner_status_history h WHERE h.tenant_id = p.tenant_id AND h.partner_id = p.id AND h.to_status = p.status)`),
		"every partner's status has its history")
	require.Greater(t, count(`SELECT count(*) FROM partners WHERE tenant_id = `+nw+` AND services_text <> ''`), 20)
	require.Equal(t, 1, count(`SELECT count(*) FROM partners WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'contoso')`))

	before := count(`SELECT count(*) FROM partner_contacts`)
	_, err = seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://x")
	require.NoError(t, err)
	require.Equal(t, 25, count(`SELECT count(*) FROM partners WHERE tenant_id = `+nw))
	require.Equal(t, before, count(`SELECT count(*) FROM partner_contacts`))
}

// BenchmarkDemo measures `allyway seed demo` (what `make run` waits for on a
// fresh database): both firms, Northwind's partners, agreements, enablement,
// two years of referrals and their payments, each on a fresh database.
func BenchmarkDemo(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		tdb := testdb.New(b, schema.Migrator{AppPassword: testdb.AppPassword})
		app, err := pgxpool.New(ctx, tdb.AppURL)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://x"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		app.Close()
		b.StartTimer()
	}
}
