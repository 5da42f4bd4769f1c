package seed_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/ledger"
)

// TestDemoRevenue: Northwind's demo has client payments with their accruals,
// a credit note reversed, and a ledger that reconciles to the cent.
func TestDemoRevenue(t *testing.T) {
	ctx := context.Background()
	owner, _ := seededDemo(t)
	var tenantID uuid.UUID
	require.NoError(t, owner.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'northwind'`).Scan(&tenantID))
	var payments, creditNotes, accruals, reversals int
	var problems []ledger.Discrepancy
	require.NoError(t, db.New(owner).InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if err = tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE amount_cents > 0), count(*) FILTER (WHERE amount_cents < 0)
			FROM revenue_events WHERE tenant_id = $1`, tenantID).Scan(&payments, &creditNotes); err != nil {
			return err
		}
		if err = tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'accrual'), count(*) FILTER (WHERE kind = 'reversal')
			FROM journal_entries WHERE tenant_id = $1`, tenantID).Scan(&accruals, &reversals); err != nil {
			return err
		}
		problems, err = ledger.Reconcile(ctx, tx, tenantID)
		return err
	}))
	require.Greater(t, payments, 20)
	require.Equal(t, 1, creditNotes)
	require.Greater(t, accruals, 10)
	require.GreaterOrEqual(t, reversals, 1)
	require.Empty(t, problems)
}

// TestDemoPayouts: the demo has paid and open payout batches, a held
// commission, tax details and last quarter's statements, and still
// reconciles.
func TestDemoPayouts(t *testing.T) {
	ctx := context.Background()
	owner, _ := seededDemo(t)
	var tenantID uuid.UUID
	require.NoError(t, owner.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'northwind'`).Scan(&tenantID))
	var paid, open, held, taxes, statements int
	var problems []ledger.Discrepancy
	require.NoError(t, db.New(owner).InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		if err = tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'paid'), count(*) FILTER (WHERE status = 'open')
			FROM payout_batches WHERE tenant_id = $1`, tenantID).Scan(&paid, &open); err != nil {
			return err
		}
		if err = tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM entry_reviews WHERE tenant_id = $1 AND status = 'held'),
				(SELECT count(*) FROM partner_tax_details WHERE tenant_id = $1),
				(SELECT count(*) FROM statements WHERE tenant_id = $1)`, tenantID).Scan(&held, &taxes, &statements); err != nil {
			return err
		}
		problems, err = ledger.Reconcile(ctx, tx, tenantID)
		return err
	}))
	require.GreaterOrEqual(t, paid, 1)
	require.Equal(t, 1, open)
	require.Equal(t, 1, held)
	require.Equal(t, 2, taxes)
	require.Positive(t, statements)
	require.Empty(t, problems)
}
