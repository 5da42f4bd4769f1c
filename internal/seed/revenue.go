package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/ledger"
)

// seedRevenue records client payments on Northwind's engagements
// (a project is paid 40% after three weeks and the rest after eleven; a
// retainer monthly) and one partial refund, each accrued through the ledger
// as finance would, so the Commissions tabs, the portal and the API show
// real entries. Payments after the seed's reference date are left for the
// future.
func seedRevenue(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, _, staff map[string]uuid.UUID) error {
	today := time.Now().UTC()
	if ref := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC); today.After(ref) {
		today = ref
	}
	finance := staff["finance@northwind.example"]
	// Every engagement that started a month ago or more, so each quarter
	// of the history has its client payments (the program dashboard's
	// partner revenue, insights.go's program inputs).
	rows, err := tx.Query(ctx, `SELECT e.id, e.kind, e.value_cents, e.started_on, r.number
		FROM engagements e JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		WHERE e.tenant_id = $1 AND e.started_on <= $2::date - 30
		ORDER BY e.started_on, e.id`, tenantID, today)
	if err != nil {
		return err
	}
	type eng struct {
		id      uuid.UUID
		kind    string
		value   int64
		started time.Time
		number  int64
	}
	engs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (eng, error) {
		var e eng
		return e, r.Scan(&e.id, &e.kind, &e.value, &e.started, &e.number)
	})
	if err != nil {
		return err
	}
	type payment struct {
		on     time.Time
		amount int64
	}
	var refunded bool
	for _, e := range engs {
		var plan []payment
		if e.kind == "retainer" {
			for m := 1; m <= 3; m++ {
				plan = append(plan, payment{e.started.AddDate(0, m, 0), e.value / 12})
			}
		} else {
			first := e.value * 4 / 10
			plan = []payment{{e.started.AddDate(0, 0, 21), first}, {e.started.AddDate(0, 0, 77), e.value - first}}
		}
		for i, p := range plan {
			if p.on.After(today) || p.amount == 0 {
				continue
			}
			ev, err := ledger.RecordRevenue(ctx, tx, tenantID, ledger.RevenueInput{EngagementID: e.id, AmountCents: p.amount,
				PaidOn: p.on, ExternalRef: fmt.Sprintf("INV-%d-%d", e.number, i+1), Source: "staff", CreatedBy: finance, Today: today})
			if err != nil {
				return fmt.Errorf("seed revenue R-%d: %w", e.number, err)
			}
			if _, err := ledger.Accrue(ctx, tx, tenantID, ev.ID, today); err != nil {
				return fmt.Errorf("seed accrual R-%d: %w", e.number, err)
			}
			// One credit note: a quarter of an early project's first invoice.
			if !refunded && e.kind == "project" && i == 0 {
				refunded = true
				cn, err := ledger.RecordRevenue(ctx, tx, tenantID, ledger.RevenueInput{EngagementID: e.id,
					AmountCents: -p.amount / 4, PaidOn: p.on.AddDate(0, 0, 14), RefundOfID: ev.ID,
					ExternalRef: fmt.Sprintf("CN-%d-1", e.number), Note: "Credit note: scope reduced",
					Source: "staff", CreatedBy: finance, Today: today})
				if err != nil {
					return fmt.Errorf("seed credit note R-%d: %w", e.number, err)
				}
				if _, err := ledger.Accrue(ctx, tx, tenantID, cn.ID, today); err != nil {
					return fmt.Errorf("seed reversal R-%d: %w", e.number, err)
				}
			}
		}
	}
	return nil
}
