package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// seedPayouts takes Northwind's accrued commissions through finance's
// routine: a $50 minimum payout; what fell due by the end of each past
// quarter approved and paid in a batch two weeks later (two paid batches);
// one commission held with a reason (a disputed invoice); what is due now
// approved into an open batch waiting for the bank; the partners' tax
// details (one missing, so the 1099 summary asks for it); and last
// quarter's statements issued.
func seedPayouts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners, staff map[string]uuid.UUID) error {
	today := time.Now().UTC()
	if ref := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC); today.After(ref) {
		today = ref
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	finance := staff["finance@northwind.example"]
	if err := ledger.SetMinPayout(ctx, tx, tenantID, 5_000); err != nil {
		return fmt.Errorf("seed min payout: %w", err)
	}

	// Hold the newest due commission: the client disputes its invoice.
	var held uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM journal_entries
		WHERE tenant_id = $1 AND kind = 'accrual' AND direction = 'we_pay' AND due_on <= $2
		ORDER BY due_on DESC, id LIMIT 1`, tenantID, today).Scan(&held)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if held != uuid.Nil {
		if _, err := ledger.Hold(ctx, tx, tenantID, []uuid.UUID{held},
			"The client disputes the invoice this was earned on; waiting for their finance team.", finance); err != nil {
			return fmt.Errorf("seed hold: %w", err)
		}
	}

	this := ledger.QuarterOf(today)
	runs := []struct {
		upTo, paidOn time.Time
		ref          string
	}{
		{this.Prev().Prev().End(), this.Prev().Start().AddDate(0, 0, 14), "ACH-" + this.Prev().Start().Format("2006-01")},
		{this.Prev().End(), this.Start().AddDate(0, 0, 14), "ACH-" + this.Start().Format("2006-01")},
		{today, time.Time{}, ""}, // open: waiting for the bank
	}
	for _, r := range runs {
		var ids []uuid.UUID
		rows, err := tx.Query(ctx, `SELECT je.id FROM journal_entries je
			WHERE je.tenant_id = $1 AND je.direction = 'we_pay' AND je.amount_cents > 0 AND je.kind IN ('accrual', 'adjustment')
			  AND je.due_on <= $2 AND je.id <> $3
			  AND NOT EXISTS (SELECT 1 FROM entry_reviews r WHERE r.tenant_id = je.tenant_id AND r.entry_id = je.id)`,
			tenantID, r.upTo, held)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return err
		}
		if len(ids) > 0 {
			if _, err := ledger.Approve(ctx, tx, tenantID, ids, finance); err != nil {
				return fmt.Errorf("seed approve: %w", err)
			}
		}
		b, err := ledger.CreateBatch(ctx, tx, tenantID, ledger.PayoutRun{Direction: commission.WePay, Currency: "USD",
			UpTo: r.upTo, Note: "Commissions due by " + r.upTo.Format("2 Jan 2006")}, finance)
		if errors.Is(err, ledger.ErrNothingToPay) || apperr.Code(err) == apperr.EConflict {
			continue
		}
		if err != nil {
			return fmt.Errorf("seed payout batch: %w", err)
		}
		if r.ref == "" {
			continue
		}
		if _, err := ledger.MarkBatchPaid(ctx, tx, tenantID, b.ID, ledger.PaidInput{PaidOn: r.paidOn, Reference: r.ref,
			By: finance, Today: today}); err != nil {
			return fmt.Errorf("seed mark paid: %w", err)
		}
	}

	for _, t := range []ledger.TaxInput{
		{PartnerID: partners["Brightline Tax"], LegalName: "Brightline Tax Advisors LLC", Classification: "llc",
			Country: "US", TaxIDKind: "ein", TaxID: "47-2815530", Address: "200 Market St, Suite 400\nPhiladelphia, PA 19106",
			FormOnFile: "w9"},
		{PartnerID: partners["Keystone Legal"], LegalName: "Keystone Legal LLP", Classification: "partnership",
			Country: "US", TaxIDKind: "ein", TaxID: "83-1029384", FormOnFile: "w9"},
	} {
		if t.PartnerID == uuid.Nil {
			continue
		}
		t.By = finance
		if _, err := ledger.SaveTaxDetails(ctx, tx, tenantID, t); err != nil {
			return fmt.Errorf("seed tax details: %w", err)
		}
	}

	if _, err := ledger.GenerateStatements(ctx, tx, tenantID, this.Prev(), ledger.GenerateOptions{Now: today.Add(12 * time.Hour)}); err != nil {
		return fmt.Errorf("seed statements: %w", err)
	}
	return nil
}
