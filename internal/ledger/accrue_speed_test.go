package ledger_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// The guarantees migrations/00010 checks differently: an entry written
// with its lines in one statement (lines_in_statement) is checked at the
// end of that statement, and refused there when it doesn't balance, has
// fewer than two lines or misnumbers them.
func TestEntryCheckedAtEndOfStatement(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	ctx := context.Background()
	type line struct {
		no       int
		account  string
		cents    int64
		currency string
	}
	// write inserts an adjustment and its lines in one statement, as the
	// ledger does, and then runs later (in the same transaction).
	write := func(lines []line, later ...string) error {
		return m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
			id := uuid.New()
			var nos []int16
			var accounts, currencies []string
			var partners []*uuid.UUID
			var cents []int64
			for _, l := range lines {
				var pid *uuid.UUID
				if l.account == ledger.AccountPartnerPayable {
					pid = &p
				}
				nos, accounts, partners = append(nos, int16(l.no)), append(accounts, l.account), append(partners, pid)
				cents, currencies = append(cents, l.cents), append(currencies, l.currency)
			}
			if _, err := tx.Exec(ctx, `WITH e AS (
					INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency, reason, lines_in_statement)
					VALUES ($1, $2, 'adjustment', $3, 'we_pay', 100, 'USD', 'test', true) RETURNING tenant_id, id)
				INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
				SELECT e.tenant_id, e.id, l.* FROM e, unnest($4::smallint[], $5::text[], $6::uuid[], $7::bigint[], $8::text[]) AS l`,
				m.id, id, p, nos, accounts, partners, cents, currencies); err != nil {
				return err
			}
			for _, sql := range later {
				if _, err := tx.Exec(ctx, sql, m.id, id); err != nil {
					return err
				}
			}
			return nil
		})
	}
	usd := func(no int, account string, cents int64) line { return line{no, account, cents, "USD"} }
	refused := func(err error, message string) {
		t.Helper()
		require.True(t, isPgCode(err, "23514"), "%v", err)
		require.ErrorContains(t, err, message)
	}

	refused(write([]line{usd(1, ledger.AccountPartnerPayable, -100), usd(2, ledger.AccountCommissionExpense, 99)}), "does not balance")
	refused(write(nil), "0 line(s)")
	refused(write([]line{usd(1, ledger.AccountPartnerPayable, -100)}), "1 line(s)")
	refused(write([]line{usd(1, ledger.AccountPartnerPayable, -100), usd(3, ledger.AccountCommissionExpense, 100)}), "numbered up to 3")
	// Zero in all but not per currency.
	refused(write([]line{usd(1, ledger.AccountPartnerPayable, -100), {2, ledger.AccountCommissionExpense, 100, "EUR"}}), "does not balance")
	// Lines in a later statement don't count for an entry marked
	// lines_in_statement: it is refused at the end of its own statement.
	refused(write(nil, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		SELECT $1, $2, 1, 'partner_payable', partner_id, -100, 'USD' FROM journal_entries WHERE tenant_id = $1 AND id = $2
		UNION ALL SELECT $1, $2, 2, 'commission_expense', NULL, 100, 'USD'`), "0 line(s)")
	require.Zero(t, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))

	require.NoError(t, write([]line{usd(1, ledger.AccountPartnerPayable, -100), usd(2, ledger.AccountCommissionExpense, 100)}))
	// Balanced in each of two currencies.
	require.NoError(t, write([]line{usd(1, ledger.AccountPartnerPayable, -100), usd(2, ledger.AccountCommissionExpense, 100),
		{3, ledger.AccountCash, 7, "EUR"}, {4, ledger.AccountCommissionExpense, -7, "EUR"}}))
	// A line added by a later statement is checked at commit (00006).
	refused(write([]line{usd(1, ledger.AccountPartnerPayable, -100), usd(2, ledger.AccountCommissionExpense, 100)},
		`INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, amount_cents, currency) VALUES ($1, $2, 3, 'cash', 5, 'USD')`),
		"does not balance")
	require.Equal(t, 2, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))

	// Every path of the ledger writes its entries that way.
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	m.mustPay(m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-10")
	m.accrue()
	require.NoError(t, m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
		_, err := ledger.Adjust(ctx, tx, m.id, ledger.AdjustInput{PartnerID: p, Direction: commission.WePay, AmountCents: 500,
			Currency: "USD", Reason: "Goodwill", CreatedBy: m.staff})
		return err
	}))
	require.Equal(t, 4, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))
	require.Zero(t, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1 AND NOT lines_in_statement`))
}

// accrual_queue lists exactly the firm's pending revenue events, whatever
// changes their status, and only to the firm's staff-side work.
func TestAccrualQueueIsThePendingEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, other := f.firm(), f.firm()
	p := m.partner("Brightline Advisory")
	q := m.partner("Quiet Partner") // no agreement
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	gp := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	gq := m.engagement(m.referral(q, "Nopact", "2025-02-01"), q, "project", 1_000_000, "2025-03-01")
	ctx := context.Background()
	same := func() {
		t.Helper()
		require.Zero(t, m.count(`SELECT count(*) FROM (
			(SELECT tenant_id, id, paid_on, created_at, partner_id FROM revenue_events WHERE tenant_id = $1 AND accrual_status = 'pending'
			 EXCEPT ALL SELECT tenant_id, revenue_event_id, paid_on, created_at, partner_id FROM accrual_queue WHERE tenant_id = $1)
			UNION ALL
			(SELECT tenant_id, revenue_event_id, paid_on, created_at, partner_id FROM accrual_queue WHERE tenant_id = $1
			 EXCEPT ALL SELECT tenant_id, id, paid_on, created_at, partner_id FROM revenue_events WHERE tenant_id = $1 AND accrual_status = 'pending')) d`))
	}
	queued := func() int { return m.count(`SELECT count(*) FROM accrual_queue WHERE tenant_id = $1`) }
	pending := func() bool {
		var yes bool
		require.NoError(t, m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) (err error) {
			yes, err = ledger.HasPending(ctx, tx, m.id)
			return err
		}))
		return yes
	}

	require.False(t, pending())
	ep := m.mustPay(gp, 1_000_000, "2025-03-10")
	eq := m.mustPay(gq, 500_000, "2025-03-11")
	m.mustPay(gp, 200_000, "2025-03-12")
	same()
	require.Equal(t, 3, queued())
	require.True(t, pending())

	// The portal and other firms see none of it.
	require.NoError(t, f.db.InPortal(ctx, m.id, p, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM accrual_queue`).Scan(&n))
		require.Zero(t, n)
		return nil
	}))
	require.NoError(t, f.db.InTenant(ctx, other.id, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM accrual_queue`).Scan(&n))
		require.Zero(t, n)
		return nil
	}))

	// Accruing one event takes it (and its referral's earlier ones) out.
	require.NoError(t, m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
		_, err := ledger.Accrue(ctx, tx, m.id, ep.ID, accrueNow)
		return err
	}))
	same()
	require.Equal(t, 2, queued())

	// Accruing the rest, in small batches: the flagged one leaves the
	// queue too; set back to pending by Reaccrue, it joins it again.
	st, err := ledger.AccruePending(ctx, m.f.db, m.id, 1, accrueNow)
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{Events: 2, Entries: 1, NoAgreement: 1}, st)
	same()
	require.Zero(t, queued())
	require.False(t, pending())
	require.Equal(t, ledger.StatusNoAgreement, m.event(eq.ID).AccrualStatus)
	m.f.exec(`UPDATE revenue_events SET accrual_status = 'pending', accrual_note = '', accrued_at = NULL WHERE tenant_id = $1 AND id = $2`, m.id, eq.ID)
	same()
	require.Equal(t, 1, queued())
	m.f.exec(`UPDATE revenue_events SET accrual_note = 'checked' WHERE tenant_id = $1`, m.id)
	same()
	m.agreement(q, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000})
	require.Equal(t, ledger.Stats{Events: 1, Entries: 1}, m.accrue())
	same()
	require.Zero(t, queued())
	require.Equal(t, ledger.Stats{}, m.accrue())
	require.Empty(t, m.reconcile())
}

// Accrual's status update stays on the row's page (a HOT update): no index
// of revenue_events may cover the accrual bookkeeping columns, even in a
// predicate.
func TestNoIndexOnAccrualBookkeeping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rows, err := f.owner.Query(context.Background(), `SELECT indexrelid::regclass::text FROM pg_index
		WHERE indrelid = 'revenue_events'::regclass
		  AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = indrelid AND a.attnum = ANY(indkey::int2[])
		               AND a.attname IN ('accrual_status', 'accrual_note', 'accrued_at'))
		       OR pg_get_expr(indpred, indrelid) ~ 'accrual_status|accrual_note|accrued_at'
		       OR pg_get_expr(indexprs, indrelid) ~ 'accrual_status|accrual_note|accrued_at')`)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, names)
}
