package scorecard_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/scorecard"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

// BenchmarkBuild builds one demo partner's scorecard (the busiest of the
// demo firm) in a tenant transaction, as a page does.
func BenchmarkBuild(b *testing.B) {
	ctx := context.Background()
	tdb := testdb.New(b, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(b, err)
	b.Cleanup(app.Close)
	d := db.New(app)
	_, err = seed.Demo(ctx, d, auth.NewHasher(1), "http://x")
	require.NoError(b, err)
	var firm, partner uuid.UUID
	require.NoError(b, d.Global(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'northwind'`).Scan(&firm)
	}))
	require.NoError(b, d.InTenant(ctx, firm, func(tx pgx.Tx) error {
		if err := rollup.Rebuild(ctx, tx, firm); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT partner_id FROM partner_months WHERE tenant_id = $1
			GROUP BY 1 ORDER BY sum(received + sent) DESC LIMIT 1`, firm).Scan(&partner)
	}))
	now := period.Today(time.Now(), time.UTC)
	qt := period.QuarterOf(now).Prev()
	b.ResetTimer()
	for b.Loop() {
		require.NoError(b, d.InTenant(ctx, firm, func(tx pgx.Tx) error {
			_, err := scorecard.Build(ctx, tx, firm, partner, qt, now)
			return err
		}))
	}
}
