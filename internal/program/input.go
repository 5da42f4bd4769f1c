// Package program keeps what finance enters about the partner program each
// quarter: the firm's total new revenue (what partner-sourced revenue is a
// share of) and the program's costs besides commissions — management time,
// marketing, systems and other. The program dashboard adds the quarter's
// commissions to these for the program cost and the ROI.
//
// It is a base package (it builds on plumbing only), so the dashboard, in
// whichever area it lives, can read the inputs.
package program

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// MaxCents bounds each amount ($10 trillion; the table's check).
const MaxCents = 1_000_000_000_000_000

// AheadQuarters is how far ahead of the current quarter inputs may be
// entered: a year's budget. Revenue is only known afterwards, but costs are
// planned.
const AheadQuarters = 4

// QuarterInputs are one quarter's figures, in cents (USD). A quarter never
// entered has zeros and a nil UpdatedAt.
type QuarterInputs struct {
	Quarter              period.Quarter
	TotalNewRevenueCents int64
	ManagementCostCents  int64
	MarketingCostCents   int64
	SystemsCostCents     int64
	OtherCostCents       int64
	UpdatedBy            *uuid.UUID
	UpdatedByName        string
	UpdatedAt            *time.Time
}

// CostCents is the costs entered (the program cost without commissions).
func (in QuarterInputs) CostCents() int64 {
	return in.ManagementCostCents + in.MarketingCostCents + in.SystemsCostCents + in.OtherCostCents
}

// Entered reports whether the quarter's figures were ever saved.
func (in QuarterInputs) Entered() bool { return in.UpdatedAt != nil }

// Field names (form and JSON) of the amounts.
const (
	FieldTotalNewRevenue = "total_new_revenue_cents"
	FieldManagementCost  = "management_cost_cents"
	FieldMarketingCost   = "marketing_cost_cents"
	FieldSystemsCost     = "systems_cost_cents"
	FieldOtherCost       = "other_cost_cents"
	FieldQuarter         = "quarter"
)

// Validate checks the amounts (0 … MaxCents each) and that the quarter is
// not more than AheadQuarters after today's. EInvalid with a message per field.
func (in QuarterInputs) Validate(today time.Time) error {
	errs := map[string]string{}
	for f, v := range map[string]int64{
		FieldTotalNewRevenue: in.TotalNewRevenueCents, FieldManagementCost: in.ManagementCostCents,
		FieldMarketingCost: in.MarketingCostCents, FieldSystemsCost: in.SystemsCostCents, FieldOtherCost: in.OtherCostCents,
	} {
		switch {
		case v < 0:
			errs[f] = "The amount can't be negative."
		case v > MaxCents:
			errs[f] = "That amount is too large."
		}
	}
	if err := CheckQuarter(in.Quarter, today); err != nil {
		errs[FieldQuarter] = apperr.Message(err)
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// CheckQuarter says whether inputs may be entered for q on the day today:
// any quarter from 2000 up to AheadQuarters after today's.
func CheckQuarter(q period.Quarter, today time.Time) error {
	last := period.QuarterOf(today)
	for range AheadQuarters {
		last = last.Next()
	}
	switch {
	case q.Q < 1 || q.Q > 4 || q.Year < 2000:
		return apperr.Errorf(apperr.EInvalid, "Choose a quarter from 2000-Q1 on.")
	case last.Before(q):
		return apperr.Errorf(apperr.EInvalid, "Enter figures at most a year ahead, up to %s.", last.Label())
	}
	return nil
}

const selectInputs = `SELECT i.quarter, i.total_new_revenue_cents, i.management_cost_cents, i.marketing_cost_cents,
	i.systems_cost_cents, i.other_cost_cents, i.updated_by, coalesce(u.name, ''), i.updated_at
FROM program_inputs i LEFT JOIN users u ON u.id = i.updated_by`

func scanInputs(rows pgx.Rows) ([]QuarterInputs, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (QuarterInputs, error) {
		var in QuarterInputs
		var q string
		var at time.Time
		if err := r.Scan(&q, &in.TotalNewRevenueCents, &in.ManagementCostCents, &in.MarketingCostCents,
			&in.SystemsCostCents, &in.OtherCostCents, &in.UpdatedBy, &in.UpdatedByName, &at); err != nil {
			return in, err
		}
		in.UpdatedAt = &at
		var err error
		in.Quarter, err = period.ParseQuarter(q)
		return in, err
	})
}

// Inputs returns the firm's figures for quarter q; zeros (not entered)
// when finance never saved any.
func Inputs(ctx context.Context, q db.Querier, tenantID uuid.UUID, quarter period.Quarter) (QuarterInputs, error) {
	rows, err := q.Query(ctx, selectInputs+` WHERE i.tenant_id = $1 AND i.quarter = $2`, tenantID, quarter.String())
	if err != nil {
		return QuarterInputs{}, fmt.Errorf("program: inputs: %w", err)
	}
	ins, err := scanInputs(rows)
	if err != nil {
		return QuarterInputs{}, fmt.Errorf("program: inputs: %w", err)
	}
	if len(ins) == 0 {
		return QuarterInputs{Quarter: quarter}, nil
	}
	return ins[0], nil
}

// InputsRange returns the figures of every quarter from..to (inclusive),
// oldest first, one per quarter: zeros for the quarters never entered. An
// empty range (to before from) is empty.
func InputsRange(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to period.Quarter) ([]QuarterInputs, error) {
	if to.Before(from) {
		return []QuarterInputs{}, nil
	}
	// Quarters written "2026-Q3" sort as text in time order.
	rows, err := q.Query(ctx, selectInputs+` WHERE i.tenant_id = $1 AND i.quarter BETWEEN $2 AND $3`,
		tenantID, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("program: inputs: %w", err)
	}
	ins, err := scanInputs(rows)
	if err != nil {
		return nil, fmt.Errorf("program: inputs: %w", err)
	}
	byQ := make(map[period.Quarter]QuarterInputs, len(ins))
	for _, in := range ins {
		byQ[in.Quarter] = in
	}
	var out []QuarterInputs
	for qq := from; !to.Before(qq); qq = qq.Next() {
		in, ok := byQ[qq]
		if !ok {
			in = QuarterInputs{Quarter: qq}
		}
		out = append(out, in)
	}
	return out, nil
}

// Save stores a quarter's figures as entered by the actor in ctx, replacing
// what was there (saving the same figures again changes nothing but who
// and when), with an audit entry (program_inputs.updated) in the same
// transaction. EInvalid when Validate fails.
func Save(ctx context.Context, q db.Querier, tenantID uuid.UUID, in QuarterInputs, today time.Time) (QuarterInputs, error) {
	if err := in.Validate(today); err != nil {
		return QuarterInputs{}, err
	}
	var by *uuid.UUID
	if a := audit.ActorFrom(ctx); a.UserID != uuid.Nil {
		by = &a.UserID
	}
	if _, err := q.Exec(ctx, `INSERT INTO program_inputs (tenant_id, quarter, total_new_revenue_cents, management_cost_cents,
			marketing_cost_cents, systems_cost_cents, other_cost_cents, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
		ON CONFLICT (tenant_id, quarter) DO UPDATE SET total_new_revenue_cents = EXCLUDED.total_new_revenue_cents,
			management_cost_cents = EXCLUDED.management_cost_cents, marketing_cost_cents = EXCLUDED.marketing_cost_cents,
			systems_cost_cents = EXCLUDED.systems_cost_cents, other_cost_cents = EXCLUDED.other_cost_cents,
			updated_by = EXCLUDED.updated_by, updated_at = now()`,
		tenantID, in.Quarter.String(), in.TotalNewRevenueCents, in.ManagementCostCents, in.MarketingCostCents,
		in.SystemsCostCents, in.OtherCostCents, by); err != nil {
		return QuarterInputs{}, fmt.Errorf("program: save inputs: %w", err)
	}
	if err := audit.Record(ctx, q, tenantID, "program_inputs.updated", "program_inputs", in.Quarter.String(), map[string]any{
		FieldTotalNewRevenue: in.TotalNewRevenueCents, FieldManagementCost: in.ManagementCostCents,
		FieldMarketingCost: in.MarketingCostCents, FieldSystemsCost: in.SystemsCostCents, FieldOtherCost: in.OtherCostCents,
	}); err != nil {
		return QuarterInputs{}, err
	}
	return Inputs(ctx, q, tenantID, in.Quarter)
}
