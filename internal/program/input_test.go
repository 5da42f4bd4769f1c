package program_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// The store tests run against a real PostgreSQL (see internal/testdb).
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func q(s string) period.Quarter {
	qq, err := period.ParseQuarter(s)
	if err != nil {
		panic(err)
	}
	return qq
}

type world struct {
	t     *testing.T
	owner *pgxpool.Pool
	db    *db.DB
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return &world{t: t, owner: owner, db: db.New(app)}
}

// firm makes a tenant with a finance user; it returns both ids.
func (w *world) firm(slug string) (uuid.UUID, uuid.UUID) {
	w.t.Helper()
	ctx := context.Background()
	id := uuid.New()
	_, err := w.owner.Exec(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, 'Northwind')`, id, slug)
	require.NoError(w.t, err)
	var u uuid.UUID
	require.NoError(w.t, w.owner.QueryRow(ctx, `INSERT INTO users (email, name) VALUES ($1, 'Fin Ance') RETURNING id`,
		"fin@"+slug+".test").Scan(&u))
	return id, u
}

func (w *world) save(tenantID, user uuid.UUID, in program.QuarterInputs) (program.QuarterInputs, error) {
	ctx := audit.WithActor(context.Background(), audit.Actor{UserID: user})
	var out program.QuarterInputs
	err := w.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		out, err = program.Save(ctx, tx, tenantID, in, today)
		return err
	})
	return out, err
}

func TestInputsSaveAndRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	a, fin := w.firm("alpha")
	b, _ := w.firm("beta")

	// Never entered: zeros.
	require.NoError(t, w.db.InTenant(ctx, a, func(tx pgx.Tx) error {
		in, err := program.Inputs(ctx, tx, a, q("2026-Q3"))
		require.NoError(t, err)
		require.Equal(t, program.QuarterInputs{Quarter: q("2026-Q3")}, in)
		require.False(t, in.Entered())
		return nil
	}))

	in := program.QuarterInputs{Quarter: q("2026-Q3"), TotalNewRevenueCents: 250_000_000, ManagementCostCents: 3_000_000,
		MarketingCostCents: 1_500_050, SystemsCostCents: 400_000, OtherCostCents: 0}
	got, err := w.save(a, fin, in)
	require.NoError(t, err)
	require.True(t, got.Entered())
	require.Equal(t, fin, *got.UpdatedBy)
	require.Equal(t, "Fin Ance", got.UpdatedByName)
	require.Equal(t, int64(4_900_050), got.CostCents())
	require.Equal(t, in.TotalNewRevenueCents, got.TotalNewRevenueCents)

	// Saving again replaces (one row per quarter), with an audit entry each time.
	in.ManagementCostCents = 3_500_000
	_, err = w.save(a, fin, in)
	require.NoError(t, err)
	_, err = w.save(a, fin, program.QuarterInputs{Quarter: q("2026-Q1"), OtherCostCents: 100})
	require.NoError(t, err)
	var rows, audits int
	require.NoError(t, w.owner.QueryRow(ctx, `SELECT count(*) FROM program_inputs WHERE tenant_id = $1`, a).Scan(&rows))
	require.NoError(t, w.owner.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1
		AND action = 'program_inputs.updated' AND actor_user_id = $2`, a, fin).Scan(&audits))
	require.Equal(t, 2, rows)
	require.Equal(t, 3, audits)

	require.NoError(t, w.db.InTenant(ctx, a, func(tx pgx.Tx) error {
		r, err := program.InputsRange(ctx, tx, a, q("2025-Q4"), q("2026-Q4"))
		require.NoError(t, err)
		require.Len(t, r, 5)
		var qs []string
		for _, x := range r {
			qs = append(qs, x.Quarter.String())
		}
		require.Equal(t, []string{"2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}, qs)
		require.Equal(t, int64(100), r[1].OtherCostCents)
		require.False(t, r[2].Entered())
		require.Equal(t, int64(3_500_000), r[3].ManagementCostCents)
		empty, err := program.InputsRange(ctx, tx, a, q("2026-Q4"), q("2026-Q3"))
		require.NoError(t, err)
		require.Empty(t, empty)
		return nil
	}))

	// Another firm sees none of it, even asking by Alpha's id.
	require.NoError(t, w.db.InTenant(ctx, b, func(tx pgx.Tx) error {
		in, err := program.Inputs(ctx, tx, a, q("2026-Q3"))
		require.NoError(t, err)
		require.False(t, in.Entered())
		in, err = program.Inputs(ctx, tx, b, q("2026-Q3"))
		require.NoError(t, err)
		require.False(t, in.Entered())
		return nil
	}))
}

func TestInputsValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, fin := w.firm("alpha")
	for _, c := range []struct {
		name  string
		in    program.QuarterInputs
		field string
	}{
		{"negative", program.QuarterInputs{Quarter: q("2026-Q3"), MarketingCostCents: -1}, program.FieldMarketingCost},
		{"too large", program.QuarterInputs{Quarter: q("2026-Q3"), TotalNewRevenueCents: program.MaxCents + 1}, program.FieldTotalNewRevenue},
		{"too far ahead", program.QuarterInputs{Quarter: q("2028-Q1")}, program.FieldQuarter},
		{"too long ago", program.QuarterInputs{Quarter: period.Quarter{Year: 1999, Q: 4}}, program.FieldQuarter},
	} {
		_, err := w.save(a, fin, c.in)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), c.name)
		require.Contains(t, apperr.FieldErrors(err), c.field, c.name)
	}
	// A year ahead is fine; nothing invalid was written.
	_, err := w.save(a, fin, program.QuarterInputs{Quarter: q("2027-Q4"), SystemsCostCents: program.MaxCents})
	require.NoError(t, err)
	var n int
	require.NoError(t, w.owner.QueryRow(context.Background(), `SELECT count(*) FROM program_inputs`).Scan(&n))
	require.Equal(t, 1, n)
	require.Equal(t, "Enter figures at most a year ahead, up to Q4 2027.",
		apperr.Message(program.CheckQuarter(q("2028-Q1"), today)))
}
