package ledger

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Balance is a partner's position in one currency: what we owe it
// (−Σ partner_payable lines) and what it owes us (Σ partner_receivable lines).
type Balance struct {
	Currency        string
	PayableCents    int64
	ReceivableCents int64
}

// Balances returns the partner's balances per currency, by currency, from
// its lines.
func Balances(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Balance, error) {
	rows, err := q.Query(ctx, `SELECT currency,
			coalesce(-sum(amount_cents) FILTER (WHERE account = 'partner_payable'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE account = 'partner_receivable'), 0)
		FROM journal_lines WHERE tenant_id = $1 AND partner_id = $2
		GROUP BY currency ORDER BY currency`, tenantID, partnerID)
	return collectBalances(rows, err)
}

// collectBalances reads (currency, payable, receivable) rows.
func collectBalances(rows pgx.Rows, err error) ([]Balance, error) {
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Balance, error) {
		var b Balance
		return b, row.Scan(&b.Currency, &b.PayableCents, &b.ReceivableCents)
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// Payable returns what we owe the partner in the currency: the sum of its
// partner_payable lines, negated (credits are negative).
func Payable(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, currency string) (int64, error) {
	var v int64
	if err := q.QueryRow(ctx, `SELECT coalesce(-sum(amount_cents), 0) FROM journal_lines
		WHERE tenant_id = $1 AND partner_id = $2 AND account = 'partner_payable' AND currency = $3`,
		tenantID, partnerID, currency).Scan(&v); err != nil {
		return 0, apperr.Internal(err)
	}
	return v, nil
}

// Discrepancy is one thing Reconcile found wrong.
type Discrepancy struct {
	Check  string // which check failed
	Detail string
}

func (d Discrepancy) String() string { return d.Check + ": " + d.Detail }

// Reconcile checks the firm's ledger at zero tolerance and returns every
// discrepancy (none: an empty slice):
//
//   - unbalanced: an entry whose lines don't sum to zero in a currency, or
//     that has fewer than two lines;
//   - entry_lines: an entry whose partner line isn't its amount (−A on
//     partner_payable for we_pay, +A on partner_receivable for we_receive)
//     or whose lines are in another currency;
//   - balance: a partner's balance from its lines differs from the sum of
//     its entries' amounts, per direction and currency;
//   - duplicate_accrual: more than one accrual (or reversal) for one revenue
//     event and rule;
//   - event_status: a revenue event accrued without entries, or with
//     entries while pending, flagged or marked nothing due;
//   - payout_entry: a paid payout without exactly one payout entry of −its
//     amount for its partner, direction and currency;
//   - payout_entry_unpaid: a payout entry that records no paid payout;
//   - payout_items: a pending or paid payout whose items don't sum to its
//     amount, or an item whose entry is of another partner, direction or
//     currency, or of another amount;
//   - empty_payout: a pending or paid payout without items;
//   - batch_status: a paid batch with a pending payout, or a cancelled one
//     with a pending or paid payout.
func Reconcile(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Discrepancy, error) {
	out := []Discrepancy{}
	checks := []struct {
		name, sql string
	}{
		{"unbalanced", `SELECT je.id::text || coalesce(' ' || l.currency, '') || ': lines sum to ' || coalesce(sum(l.amount_cents), 0)
				|| ' over ' || count(l.line_no) || ' line(s)'
			FROM journal_entries je LEFT JOIN journal_lines l ON l.tenant_id = je.tenant_id AND l.entry_id = je.id
			WHERE je.tenant_id = $1 GROUP BY je.id, l.currency
			HAVING coalesce(sum(l.amount_cents), 0) <> 0 OR count(l.line_no) < 2`},
		{"entry_lines", `SELECT je.id::text || ': amount ' || je.amount_cents || ' ' || je.currency || ', partner lines '
				|| coalesce(sum(CASE WHEN l.account = 'partner_payable' THEN -l.amount_cents WHEN l.account = 'partner_receivable' THEN l.amount_cents END), 0)
			FROM journal_entries je JOIN journal_lines l ON l.tenant_id = je.tenant_id AND l.entry_id = je.id
			WHERE je.tenant_id = $1 GROUP BY je.tenant_id, je.id
			HAVING coalesce(sum(CASE WHEN je.direction = 'we_pay' AND l.account = 'partner_payable' AND l.partner_id = je.partner_id THEN -l.amount_cents
			                         WHEN je.direction = 'we_receive' AND l.account = 'partner_receivable' AND l.partner_id = je.partner_id THEN l.amount_cents END), 0) <> je.amount_cents
			    OR count(*) FILTER (WHERE l.currency <> je.currency) > 0
			    OR count(*) FILTER (WHERE l.account IN ('partner_payable', 'partner_receivable') AND l.partner_id <> je.partner_id) > 0`},
		{"balance", `WITH by_entries AS (
				SELECT partner_id, direction, currency, sum(amount_cents) AS v FROM journal_entries
				WHERE tenant_id = $1 GROUP BY 1, 2, 3),
			by_lines AS (
				SELECT partner_id, CASE account WHEN 'partner_payable' THEN 'we_pay' ELSE 'we_receive' END AS direction, currency,
					sum(CASE account WHEN 'partner_payable' THEN -amount_cents ELSE amount_cents END) AS v
				FROM journal_lines WHERE tenant_id = $1 AND account IN ('partner_payable', 'partner_receivable') GROUP BY 1, 2, 3)
			SELECT coalesce(e.partner_id, l.partner_id)::text || ' ' || coalesce(e.direction, l.direction) || ' ' || coalesce(e.currency, l.currency)
				|| ': entries ' || coalesce(e.v, 0) || ', lines ' || coalesce(l.v, 0)
			FROM by_entries e FULL JOIN by_lines l USING (partner_id, direction, currency)
			WHERE coalesce(e.v, 0) <> coalesce(l.v, 0)`},
		{"duplicate_accrual", `SELECT revenue_event_id::text || ' rule ' || rule_index || ' ' || kind || ' top-up ' || top_up_bp || ': ' || count(*) || ' entries'
			FROM journal_entries WHERE tenant_id = $1 AND kind IN ('accrual', 'reversal')
			GROUP BY revenue_event_id, rule_index, kind, top_up_bp HAVING count(*) > 1`},
		{"event_status", `SELECT e.id::text || ': ' || e.accrual_status || ' with ' || coalesce(je.n, 0) || ' entries'
			FROM revenue_events e
			LEFT JOIN (SELECT revenue_event_id, count(*) AS n FROM journal_entries
				WHERE tenant_id = $1 AND revenue_event_id IS NOT NULL GROUP BY revenue_event_id) je ON je.revenue_event_id = e.id
			WHERE e.tenant_id = $1 AND (e.accrual_status = 'accrued') <> (coalesce(je.n, 0) > 0)`},
		{"payout_entry", `SELECT p.id::text || ': paid ' || p.amount_cents || ' ' || p.currency || ' with ' || count(je.id) || ' payout entries'
				|| coalesce(' of ' || string_agg(je.amount_cents::text, ', '), '')
			FROM payouts p LEFT JOIN journal_entries je ON je.tenant_id = p.tenant_id AND je.payout_id = p.id
			WHERE p.tenant_id = $1 AND p.status = 'paid' GROUP BY p.tenant_id, p.id
			HAVING count(je.id) <> 1
			    OR bool_or(je.kind <> 'payout' OR je.amount_cents <> -p.amount_cents OR je.partner_id <> p.partner_id
			               OR je.direction <> p.direction OR je.currency <> p.currency)`},
		{"payout_entry_unpaid", `SELECT je.id::text || ': payout entry of ' || je.amount_cents || ' for payout '
				|| coalesce(je.payout_id::text, 'none') || coalesce(' (' || p.status || ')', ' (missing)')
			FROM journal_entries je LEFT JOIN payouts p ON p.tenant_id = je.tenant_id AND p.id = je.payout_id
			WHERE je.tenant_id = $1 AND je.kind = 'payout' AND (p.id IS NULL OR p.status <> 'paid')`},
		{"payout_items", `SELECT p.id::text || ': amount ' || p.amount_cents || ', items ' || coalesce(sum(i.amount_cents), 0)
				|| ', mismatched items ' || count(*) FILTER (WHERE je.id IS NULL OR i.amount_cents <> je.amount_cents
				   OR i.partner_id <> p.partner_id OR je.partner_id <> p.partner_id OR je.direction <> p.direction
				   OR je.currency <> p.currency OR je.kind = 'payout')
			FROM payouts p JOIN payout_items i ON i.tenant_id = p.tenant_id AND i.payout_id = p.id
			LEFT JOIN journal_entries je ON je.tenant_id = i.tenant_id AND je.id = i.entry_id
			WHERE p.tenant_id = $1 AND p.status IN ('pending', 'paid') GROUP BY p.tenant_id, p.id
			HAVING coalesce(sum(i.amount_cents), 0) <> p.amount_cents
			    OR count(*) FILTER (WHERE je.id IS NULL OR i.amount_cents <> je.amount_cents
			       OR i.partner_id <> p.partner_id OR je.partner_id <> p.partner_id OR je.direction <> p.direction
			       OR je.currency <> p.currency OR je.kind = 'payout') > 0`},
		{"empty_payout", `SELECT p.id::text || ': ' || p.status || ' payout of ' || p.amount_cents || ' without items'
			FROM payouts p WHERE p.tenant_id = $1 AND p.status IN ('pending', 'paid')
			  AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.tenant_id = p.tenant_id AND i.payout_id = p.id)`},
		{"batch_status", `SELECT b.id::text || ' #' || b.number || ': ' || b.status || ' with ' || count(*) || ' ' || p.status || ' payout(s)'
			FROM payout_batches b JOIN payouts p ON p.tenant_id = b.tenant_id AND p.batch_id = b.id
			WHERE b.tenant_id = $1 AND ((b.status = 'paid' AND p.status = 'pending')
			    OR (b.status = 'cancelled' AND p.status IN ('pending', 'paid')))
			GROUP BY b.id, b.number, b.status, p.status`},
	}
	for _, c := range checks {
		rows, err := q.Query(ctx, c.sql, tenantID)
		if err != nil {
			return nil, apperr.Internal(fmt.Errorf("ledger: reconcile %s: %w", c.name, err))
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, apperr.Internal(err)
			}
			out = append(out, Discrepancy{Check: c.name, Detail: d})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return out, nil
}
