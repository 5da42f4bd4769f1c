package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

func TestRecordRevenueBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, other := f.firm(), f.firm()
	p := m.partner("Brightline Advisory")
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	op := other.partner("Elsewhere")
	og := other.engagement(other.referral(op, "Globex", "2025-02-01"), op, "project", 1_000_000, "2025-03-01")

	fields := func(in ledger.RevenueInput) map[string]string {
		t.Helper()
		_, err := m.pay(in)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "%v", err)
		return apperr.FieldErrors(err)
	}
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, PaidOn: date("2025-03-01")}), "amount_cents")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: 100}), "paid_on")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: 100, PaidOn: accrueNow.AddDate(0, 0, 2), Today: accrueNow}), "paid_on")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: 100, PaidOn: date("2025-03-01"), Currency: "EUR"}), "currency")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: commission.MaxAmountCents + 1, PaidOn: date("2025-03-01")}), "amount_cents")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: 100, PaidOn: date("2025-03-01"), Source: "fax"}), "source")

	// Another firm's engagement is not found (nothing recorded).
	_, err := m.pay(ledger.RevenueInput{EngagementID: og, AmountCents: 100, PaidOn: date("2025-03-01")})
	require.Equal(t, apperr.ENotFound, apperr.Code(err))

	// A duplicate external reference is a conflict; the first stays.
	first, err := m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: 100, PaidOn: date("2025-03-01"), ExternalRef: " INV-1001 "})
	require.NoError(t, err)
	require.Equal(t, "INV-1001", *first.ExternalRef)
	_, err = m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: 200, PaidOn: date("2025-03-02"), ExternalRef: "INV-1001"})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	// … but another firm may use the same reference.
	_, err = other.pay(ledger.RevenueInput{EngagementID: og, AmountCents: 100, PaidOn: date("2025-03-01"), ExternalRef: "INV-1001"})
	require.NoError(t, err)
	require.Equal(t, 1, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'revenue.record'`))

	// A refund must be of a payment of the same engagement.
	g2 := m.engagement(m.referral(p, "Initech", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g2, AmountCents: -50, PaidOn: date("2025-03-05"), RefundOfID: first.ID}), "refund_of_id")
	require.Contains(t, fields(ledger.RevenueInput{EngagementID: g, AmountCents: -50, PaidOn: date("2025-02-05"), RefundOfID: first.ID}), "paid_on")
}

// A payment on a referral with no agreement in force is recorded and
// flagged, accrues nothing, and stays flagged when accrual runs again.
func TestNoAgreementInForce(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	// The agreement starts after the referral was submitted.
	m.agreement(p, "2025-06-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	ev := m.mustPay(g, 1_000_000, "2025-07-01")
	require.Equal(t, ledger.Stats{Events: 1, NoAgreement: 1}, m.accrue())
	got := m.event(ev.ID)
	require.Equal(t, ledger.StatusNoAgreement, got.AccrualStatus)
	require.Contains(t, got.AccrualNote, "No agreement in force")
	require.Empty(t, m.entries(p))
	require.Equal(t, ledger.Stats{}, m.accrue())
	require.Empty(t, m.reconcile())
}

// Accrue on one event accrues the referral's earlier pending payments first
// and is a no-op the second time.
func TestAccrueOneEvent(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1000})
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "retainer", 1_000_000, "2025-03-01")
	pay := m.mustPay(g, 100_000, "2025-03-01")
	refund, err := m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -100_000, PaidOn: date("2025-03-05"), RefundOfID: pay.ID})
	require.NoError(t, err)
	later := m.mustPay(g, 300_000, "2025-04-01")
	run := func() ledger.Stats {
		var st ledger.Stats
		require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
			st, err = ledger.Accrue(context.Background(), tx, m.id, refund.ID, accrueNow)
			return err
		}))
		return st
	}
	require.Equal(t, ledger.Stats{Events: 2, Entries: 2}, run())
	require.Equal(t, ledger.Stats{}, run())
	require.Equal(t, []int64{10_000}, amounts(m.entries(p), ledger.KindAccrual))
	require.Equal(t, []int64{-10_000}, amounts(m.entries(p), ledger.KindReversal))
	require.Equal(t, ledger.StatusPending, m.event(later.ID).AccrualStatus)
	require.Empty(t, m.reconcile())
}

func TestAdjustAndPayout(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	m.mustPay(g, 1_000_000, "2025-03-10")
	m.accrue()
	require.Equal(t, int64(200_000), m.payable(p))

	in := func(fn func(tx pgx.Tx) error) error { return m.f.db.InTenant(context.Background(), m.id, fn) }
	err := in(func(tx pgx.Tx) error {
		_, err := ledger.Adjust(context.Background(), tx, m.id, ledger.AdjustInput{PartnerID: p, Direction: commission.WePay, AmountCents: 1000, Currency: "USD", Reason: "  "})
		return err
	})
	require.Contains(t, apperr.FieldErrors(err), "reason")
	err = in(func(tx pgx.Tx) error {
		_, err := ledger.Adjust(context.Background(), tx, m.id, ledger.AdjustInput{PartnerID: uuid.New(), Direction: commission.WePay, AmountCents: 1000, Currency: "USD", Reason: "x"})
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
	require.NoError(t, in(func(tx pgx.Tx) error {
		e, err := ledger.Adjust(context.Background(), tx, m.id, ledger.AdjustInput{PartnerID: p, Direction: commission.WePay,
			AmountCents: -2_500, Currency: "USD", Reason: "Agreed discount on the Acme fee", CreatedBy: m.staff})
		require.Equal(t, ledger.KindAdjustment, e.Kind)
		return err
	}))
	require.Equal(t, int64(197_500), m.payable(p))

	// Paid through the real flow: approved, in a batch, marked paid. The
	// negative adjustment is deducted; paying again is refused.
	w := &payWorld{t: t, m: m}
	w.mustApprove(w.ids(p, ledger.KindAccrual)...)
	bt := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(197_500), bt.TotalCents)
	w.mustMarkPaid(bt.ID, "2025-07-01", "ACH-2025-07")
	require.Equal(t, int64(0), m.payable(p))
	_, err = w.create(payRun("2025-12-31"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	_, err = w.markPaid(bt.ID, "2025-07-02", "ACH-2025-07b")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	es := m.entries(p)
	last := es[len(es)-1]
	require.Equal(t, ledger.KindPayout, last.Kind)
	require.Equal(t, []ledger.Line{
		{LineNo: 1, Account: ledger.AccountPartnerPayable, PartnerID: &p, AmountCents: 197_500, Currency: "USD"},
		{LineNo: 2, Account: ledger.AccountCash, AmountCents: -197_500, Currency: "USD"},
	}, last.Lines)
	require.Empty(t, m.reconcile())
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'ledger.adjust'`))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'ledger.payout'`))
}

func isPgCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// The app role can neither change nor delete ledger rows or payment
// facts; the owner is refused by the triggers too.
func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	ev := m.mustPay(g, 1_000_000, "2025-03-10")
	m.accrue()
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE journal_entries SET amount_cents = 1 WHERE tenant_id = $1`,
		`DELETE FROM journal_entries WHERE tenant_id = $1`,
		`UPDATE journal_lines SET amount_cents = 1 WHERE tenant_id = $1`,
		`DELETE FROM journal_lines WHERE tenant_id = $1`,
		`UPDATE revenue_events SET amount_cents = 1 WHERE tenant_id = $1`,
		`DELETE FROM revenue_events WHERE tenant_id = $1`,
	} {
		err := m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql, m.id)
			return err
		})
		require.True(t, isPgCode(err, "42501"), "app role: %s: %v", sql, err)
		_, err = m.f.owner.Exec(ctx, sql, m.id)
		require.True(t, isPgCode(err, "42501"), "owner: %s: %v", sql, err)
	}
	// The bookkeeping columns are the app's to update.
	require.NoError(t, m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE revenue_events SET accrual_note = 'checked' WHERE tenant_id = $1 AND id = $2`, m.id, ev.ID)
		return err
	}))
	require.Len(t, m.entries(p), 1)
}

// An entry whose lines don't sum to zero, or that has fewer than two
// lines, is refused at commit.
func TestUnbalancedEntryRefusedAtCommit(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	ctx := context.Background()
	post := func(lines [][2]any) error {
		return m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
			var id uuid.UUID
			if err := tx.QueryRow(ctx, `INSERT INTO journal_entries (tenant_id, kind, partner_id, direction, amount_cents, currency, reason)
				VALUES ($1, 'adjustment', $2, 'we_pay', 100, 'USD', 'test') RETURNING id`, m.id, p).Scan(&id); err != nil {
				return err
			}
			for i, l := range lines {
				var pid *uuid.UUID
				if l[0] == ledger.AccountPartnerPayable {
					pid = &p
				}
				if _, err := tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
					VALUES ($1, $2, $3, $4, $5, $6, 'USD')`, m.id, id, i+1, l[0], pid, l[1]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := post([][2]any{{ledger.AccountPartnerPayable, -100}, {ledger.AccountCommissionExpense, 99}})
	require.True(t, isPgCode(err, "23514"), "%v", err)
	require.ErrorContains(t, err, "does not balance")
	err = post(nil)
	require.True(t, isPgCode(err, "23514"), "%v", err)
	require.True(t, isPgCode(post([][2]any{{ledger.AccountPartnerPayable, -100}}), "23514"))
	require.NoError(t, post([][2]any{{ledger.AccountPartnerPayable, -100}, {ledger.AccountCommissionExpense, 100}}))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))
	require.Empty(t, m.reconcile())

	// Lines added later to a committed entry are refused too.
	err = m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, amount_cents, currency)
			SELECT tenant_id, id, 3, 'cash', 5, 'USD' FROM journal_entries WHERE tenant_id = $1`, m.id)
		return err
	})
	require.True(t, isPgCode(err, "23514"), "%v", err)
}

// Reconcile reports what is wrong; the owner can break the ledger by
// disabling triggers, the reconciliation catches it.
func TestReconcileFindsDiscrepancies(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	m.mustPay(g, 1_000_000, "2025-03-10")
	m.accrue()
	require.Empty(t, m.reconcile())
	ctx := context.Background()
	tx, err := m.f.owner.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SET LOCAL session_replication_role = replica`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE journal_lines SET amount_cents = amount_cents - 1 WHERE tenant_id = $1 AND account = 'partner_payable'`, m.id)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SET LOCAL session_replication_role = origin`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT set_config('app.tenant_id', $1, true)`, m.id.String())
	require.NoError(t, err)
	ds, err := ledger.Reconcile(ctx, tx, m.id)
	require.NoError(t, err)
	checks := map[string]bool{}
	for _, d := range ds {
		checks[d.Check] = true
	}
	require.Equal(t, map[string]bool{"unbalanced": true, "entry_lines": true, "balance": true}, checks, "%v", ds)
}

// Another firm sees none of the ledger; a partner in the portal sees only
// its own payments and entries, and no lines.
func TestLedgerIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, other := f.firm(), f.firm()
	p := m.partner("Brightline Advisory")
	q := m.partner("Harbor Legal")
	for _, x := range []uuid.UUID{p, q} {
		m.agreement(x, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
		m.mustPay(m.engagement(m.referral(x, "Acme", "2025-02-01"), x, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-10")
	}
	m.accrue()
	ctx := context.Background()
	count := func(fn func(func(pgx.Tx) error) error, table string) int {
		var n int
		require.NoError(t, fn(func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
		}))
		return n
	}
	asOther := func(fn func(pgx.Tx) error) error { return f.db.InTenant(ctx, other.id, fn) }
	asPortal := func(fn func(pgx.Tx) error) error { return f.db.InPortal(ctx, m.id, p, fn) }
	asNobody := func(fn func(pgx.Tx) error) error { return f.db.Global(ctx, fn) }
	for _, table := range []string{"revenue_events", "journal_entries", "journal_lines"} {
		require.Zero(t, count(asOther, table), table)
		require.Zero(t, count(asNobody, table), table)
	}
	require.Equal(t, 1, count(asPortal, "revenue_events"))
	require.Equal(t, 1, count(asPortal, "journal_entries"))
	require.Zero(t, count(asPortal, "journal_lines")) // the portal shows entries, not lines
	var ds []ledger.Discrepancy
	require.NoError(t, asOther(func(tx pgx.Tx) (err error) {
		bal, err := ledger.Balances(ctx, tx, m.id, p)
		require.Empty(t, bal)
		return err
	}))
	require.NoError(t, asOther(func(tx pgx.Tx) (err error) {
		ds, err = ledger.Reconcile(ctx, tx, m.id)
		return err
	}))
	require.Empty(t, ds)
	// The portal may not write ledger rows.
	err := asPortal(func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, kind, partner_id, direction, amount_cents, currency, reason)
			VALUES ($1, 'adjustment', $2, 'we_pay', 100, 'USD', 'mine')`, m.id, p)
		return err
	})
	require.True(t, isPgCode(err, "42501"), "%v", err)
}
