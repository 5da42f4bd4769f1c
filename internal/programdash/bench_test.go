package programdash_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/programdash"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// BenchmarkBuild measures the dashboard of a firm the size of the scale
// data set's largest (100 partners, 3 years of rollups: 3,600
// partner-months with 22 response times each) and the front page's open
// referrals. (rollup.Sum over the same months also sorts every response
// time for its percentiles: 0.4 s for the three years, and far more when
// the planner rescans its percentile join, which is why the dashboard
// sums only the columns it shows.)
func BenchmarkBuild(b *testing.B) {
	ctx := context.Background()
	tdb := testdb.New(b, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(b, err)
	b.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(b, err)
	b.Cleanup(app.Close)
	d := db.New(app)
	tid := uuid.New()
	for _, sql := range []string{
		`INSERT INTO tenants (id, slug, name) VALUES ($1, 'scale', 'Scale')`,
		`INSERT INTO partners (tenant_id, id, name, type, status)
			SELECT $1, gen_random_uuid(), 'Partner ' || i, 'referral', 'active' FROM generate_series(1, 100) i`,
		`INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, at)
			SELECT $1, id, 'onboarding', 'active', now() - interval '400 days' FROM partners WHERE tenant_id = $1`,
		`INSERT INTO partner_months (tenant_id, partner_id, month, received, sent, open_submitted, reached_contacted,
				reached_meeting, reached_proposal, reached_won, response_minutes)
			SELECT $1, p.id, (date '2023-12-01' + make_interval(months => m))::date, 11, 11, 1, 9, 6, 4, 3,
				(SELECT array_agg((x * 137 + m * 31) % 3000 ORDER BY (x * 137 + m * 31) % 3000) FROM generate_series(1, 22) x)
			FROM partners p, generate_series(0, 35) m WHERE p.tenant_id = $1`,
		`INSERT INTO partner_month_money (tenant_id, partner_id, month, currency, revenue_received_cents, commission_earned_cents)
			SELECT $1, p.id, (date '2023-12-01' + make_interval(months => m))::date, 'USD', 1000000, 100000
			FROM partners p, generate_series(0, 35) m WHERE p.tenant_id = $1`,
	} {
		_, err := owner.Exec(ctx, sql, tid)
		require.NoError(b, err, sql)
	}
	require.NoError(b, pgx.BeginFunc(ctx, owner, func(tx pgx.Tx) error { return rollup.SumFirm(ctx, tx, tid) }))
	_, err = owner.Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	q3 := period.Quarter{Year: 2026, Q: 3}
	run := func(b *testing.B, fn func(tx pgx.Tx) error) {
		for b.Loop() {
			require.NoError(b, d.InTenant(ctx, tid, fn))
		}
	}
	b.Run("Build", func(b *testing.B) {
		run(b, func(tx pgx.Tx) error {
			_, err := programdash.Build(ctx, tx, tid, q3, today)
			return err
		})
	})
	b.Run("OpenByStage", func(b *testing.B) {
		run(b, func(tx pgx.Tx) error {
			_, err := programdash.OpenByStage(ctx, tx, tid)
			return err
		})
	})
}
