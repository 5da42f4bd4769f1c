package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

// TestScale seeds a small scale data set (2 firms × 5 partners, 300
// referrals over 3 years) through the app role: the counts add up, every
// firm's ledger reconciles, the admin can sign in with ScalePassword, a
// second run reuses the data set (writes nothing) and a run of another
// size is refused.
func TestScale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	d := db.New(app)

	now := time.Date(2026, 6, 15, 14, 0, 0, 0, time.UTC)
	o := seed.ScaleOptions{Firms: 2, Partners: 5, Referrals: 300, Years: 3, Now: now, Owner: owner, Logf: t.Logf}
	res, err := seed.Scale(ctx, d, auth.NewHasher(1), o)
	require.NoError(t, err)
	require.Equal(t, 2, res.Seeded)
	require.Len(t, res.Firms, 2)
	require.Equal(t, 300, res.Written.Referrals)
	require.Equal(t, 10, res.Written.Partners)
	require.Equal(t, 300, res.Firms[0].Referrals+res.Firms[1].Referrals)
	require.Positive(t, res.Written.Engagements)
	require.Positive(t, res.Written.Payments)
	require.Positive(t, res.Written.Entries)
	largest := res.Largest()
	require.Equal(t, "admin@"+largest.Slug+".scale.example", largest.AdminEmail)

	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, owner.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	require.Equal(t, 2, count(`SELECT count(*) FROM tenants WHERE slug LIKE 'scale-%'`))
	require.Equal(t, 300, count(`SELECT count(*) FROM referrals`))
	require.Equal(t, 300, count(`SELECT count(*) FROM referral_prospects`))
	require.Equal(t, res.Written.Engagements, count(`SELECT count(*) FROM engagements`))
	require.Equal(t, count(`SELECT count(*) FROM referrals WHERE status = 'won'`), count(`SELECT count(*) FROM engagements`),
		"every won referral has its engagement")
	require.Equal(t, res.Written.Payments+res.Written.Refunds, count(`SELECT count(*) FROM revenue_events`))
	require.Zero(t, count(`SELECT count(*) FROM revenue_events WHERE accrual_status = 'pending'`), "every payment accrued")
	require.Zero(t, count(`SELECT count(*) FROM referrals WHERE submitted_at > $1 OR status_changed_at > $1
		OR closed_at > $1 OR first_responded_at < submitted_at`, now), "timelines in order, none in the future")
	require.Zero(t, count(`SELECT count(*) FROM revenue_events WHERE paid_on > $1::date`, now), "no payment in the future")
	require.Equal(t, 6, count(`SELECT count(*) FROM staff_memberships`))
	// A realistic mix: open referrals are recent, many decided ones won.
	require.Positive(t, count(`SELECT count(*) FROM referrals WHERE status = 'won'`))
	require.Positive(t, count(`SELECT count(*) FROM referrals WHERE status IN ('lost', 'declined')`))
	require.Zero(t, count(`SELECT count(*) FROM referrals WHERE status NOT IN ('won', 'lost', 'declined')
		AND submitted_at < $1::timestamptz - interval '400 days'`, now), "open ones are recent")
	require.Positive(t, count(`SELECT count(*) FROM journal_entries WHERE kind = 'accrual'`))

	for _, f := range res.Firms {
		var problems []ledger.Discrepancy
		require.NoError(t, d.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
			problems, err = ledger.Reconcile(ctx, tx, f.ID)
			return err
		}))
		require.Empty(t, problems, f.Slug)
	}

	// The rollups are fresh: nothing marked, and they hold what a rebuild
	// from raw data gives.
	require.Equal(t, 2, res.RolledUp)
	require.Zero(t, count(`SELECT count(*) FROM rollup_dirty`))
	require.Equal(t, 300, count(`SELECT coalesce(sum(received + sent), 0) FROM partner_months`))
	require.Equal(t, count(`SELECT count(*) FROM referrals WHERE status = 'won'`),
		count(`SELECT coalesce(sum(won_received + won_sent), 0) FROM partner_months`))
	require.Equal(t, count(`SELECT coalesce(sum(amount_cents), 0) FROM revenue_events`),
		count(`SELECT coalesce(sum(revenue_received_cents + revenue_sent_cents), 0) FROM partner_month_money`))

	// The admin signs in with the bench password.
	var hash string
	require.NoError(t, owner.QueryRow(ctx, `SELECT password_hash FROM users WHERE email = $1`, largest.AdminEmail).Scan(&hash))
	ok, err := auth.NewHasher(1).Verify(ctx, seed.ScalePassword, hash)
	require.NoError(t, err)
	require.True(t, ok)

	// Again: reused, nothing written.
	rows := count(`SELECT (SELECT count(*) FROM referrals) + (SELECT count(*) FROM journal_entries) + (SELECT count(*) FROM payouts)`)
	again, err := seed.Scale(ctx, d, auth.NewHasher(1), o)
	require.NoError(t, err)
	require.Zero(t, again.Seeded)
	require.Equal(t, seed.ScaleCounts{}, again.Written)
	require.Equal(t, res.Firms, again.Firms)
	require.Equal(t, rows, count(`SELECT (SELECT count(*) FROM referrals) + (SELECT count(*) FROM journal_entries) + (SELECT count(*) FROM payouts)`))
	require.Zero(t, again.RolledUp, "fresh rollups are left alone")

	// A firm left with a partner marked (an interrupted run, or one seeded
	// before rollups existed) gets its rollups rebuilt, and only that.
	months := count(`SELECT count(*) FROM partner_months`)
	_, err = owner.Exec(ctx, `DELETE FROM partner_months WHERE tenant_id = $1`, largest.ID)
	require.NoError(t, err)
	_, err = owner.Exec(ctx, `INSERT INTO rollup_dirty (tenant_id, partner_id) SELECT tenant_id, id FROM partners
		WHERE tenant_id = $1 LIMIT 1`, largest.ID)
	require.NoError(t, err)
	again, err = seed.Scale(ctx, d, auth.NewHasher(1), o)
	require.NoError(t, err)
	require.Equal(t, 1, again.RolledUp)
	require.Equal(t, seed.ScaleCounts{}, again.Written)
	require.Zero(t, count(`SELECT count(*) FROM rollup_dirty`))
	require.Equal(t, months, count(`SELECT count(*) FROM partner_months`))

	// Another size is refused, and so is nonsense.
	bigger := o
	bigger.Referrals = 400
	_, err = seed.Scale(ctx, d, auth.NewHasher(1), bigger)
	require.Equal(t, apperr.EConflict, apperr.Code(err), "%v", err)
	_, err = seed.Scale(ctx, d, auth.NewHasher(1), seed.ScaleOptions{Firms: 0, Partners: 5, Referrals: 10, Years: 3})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Equal(t, 300, count(`SELECT count(*) FROM referrals`))
}
