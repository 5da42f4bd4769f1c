package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"rsc.io/pdf"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/notify"
)

// Statement fixtures: payouts and dated adjustments written with SQL (as
// the owner), and the statement calls made as the app role.

// stmtPaidPayout records a paid we_pay payout of the entries on paidOn:
// a batch, the payout, its items and the payout entry with its two lines,
// in one transaction. It returns the payout's id.
func (m *firm) stmtPaidPayout(partnerID uuid.UUID, paidOn string, entryIDs ...uuid.UUID) uuid.UUID {
	m.f.t.Helper()
	ctx := context.Background()
	tx, err := m.f.owner.Begin(ctx)
	require.NoError(m.f.t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var total int64
	require.NoError(m.f.t, tx.QueryRow(ctx, `SELECT coalesce(sum(amount_cents), 0) FROM journal_entries
		WHERE tenant_id = $1 AND id = ANY($2)`, m.id, entryIDs).Scan(&total))
	require.Positive(m.f.t, total)
	on := date(paidOn)
	ref := fmt.Sprintf("ACH-%d", seq.Add(1))
	var batch, payout uuid.UUID
	require.NoError(m.f.t, tx.QueryRow(ctx, `INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to, status,
			paid_on, reference, paid_at)
		VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM payout_batches WHERE tenant_id = $1), 'we_pay', 'USD', $2, 'paid',
			$2, $3, $2::date + time '12:00') RETURNING id`, m.id, on, ref).Scan(&batch))
	require.NoError(m.f.t, tx.QueryRow(ctx, `INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents,
			status, paid_on, reference, created_at)
		VALUES ($1, $2, (SELECT number FROM payout_batches b WHERE b.tenant_id = $1 AND b.id = $2), $3, 'we_pay', 'USD', $4, 'paid', $5, $6, $5::date + time '09:00') RETURNING id`,
		m.id, batch, partnerID, total, on, ref).Scan(&payout))
	_, err = tx.Exec(ctx, `INSERT INTO payout_items (tenant_id, entry_id, payout_id, partner_id, amount_cents)
		SELECT tenant_id, id, $2, partner_id, amount_cents FROM journal_entries WHERE tenant_id = $1 AND id = ANY($3)`,
		m.id, payout, entryIDs)
	require.NoError(m.f.t, err)
	entry := uuid.New()
	_, err = tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency,
			explanation, reason, payout_id, created_at)
		VALUES ($1, $2, 'payout', $3, 'we_pay', $4, 'USD', $5, $6, $7, $8::date + time '12:00')`,
		m.id, entry, partnerID, -total, "Payout of "+commission.FormatCents(total)+", reference "+ref, ref, payout, on)
	require.NoError(m.f.t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_payable', $3, $4, 'USD'), ($1, $2, 2, 'cash', NULL, $5, 'USD')`,
		m.id, entry, partnerID, total, -total)
	require.NoError(m.f.t, err)
	require.NoError(m.f.t, tx.Commit(ctx))
	return payout
}

// stmtAdjustmentAt records a we_pay adjustment written at the moment at
// (RFC 3339), with its lines.
func (m *firm) stmtAdjustmentAt(partnerID uuid.UUID, cents int64, at, reason string) uuid.UUID {
	m.f.t.Helper()
	ctx := context.Background()
	when, err := time.Parse(time.RFC3339, at)
	require.NoError(m.f.t, err)
	tx, err := m.f.owner.Begin(ctx)
	require.NoError(m.f.t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	id := uuid.New()
	_, err = tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency,
			explanation, reason, created_by, created_at)
		VALUES ($1, $2, 'adjustment', $3, 'we_pay', $4, 'USD', $5, $6, $7, $8)`,
		m.id, id, partnerID, cents, "Adjustment of "+commission.FormatCents(cents)+": "+reason, reason, m.staff, when)
	require.NoError(m.f.t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_payable', $3, $4, 'USD'), ($1, $2, 2, 'commission_expense', NULL, $5, 'USD')`,
		m.id, id, partnerID, -cents, cents)
	require.NoError(m.f.t, err)
	require.NoError(m.f.t, tx.Commit(ctx))
	return id
}

// stmtPortalUser gives the partner a portal user.
func (m *firm) stmtPortalUser(partnerID uuid.UUID, email, name string) {
	m.f.t.Helper()
	u := m.f.id(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, email, name)
	m.f.exec(`INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role) VALUES ($1, $2, $3, 'partner_admin')`, m.id, u, partnerID)
}

func stmtQuarter(t testing.TB, s string) ledger.Quarter {
	t.Helper()
	q, err := ledger.ParseQuarter(s)
	require.NoError(t, err)
	return q
}

// stmtNow is the tests' clock: 27 Nov 2026 (Q4), as accrual's.
var stmtNow = accrueNow

// statement returns the partner's statement as staff see it.
func (m *firm) statement(partnerID uuid.UUID, q string) ledger.Statement {
	m.f.t.Helper()
	var st ledger.Statement
	require.NoError(m.f.t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		st, err = ledger.PartnerStatement(context.Background(), tx, m.id, partnerID, stmtQuarter(m.f.t, q), stmtNow)
		return err
	}))
	return st
}

// stmtOutbox is an insert-only job client's outbox on the app pool.
func (f *fixture) stmtOutbox() *notify.Outbox {
	f.t.Helper()
	c, err := jobs.NewClient(jobs.Deps{Pool: f.app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(f.t, err)
	return notify.NewOutbox(c)
}

// generate issues the quarter's statements at now.
func (m *firm) generate(q string, now time.Time) (ledger.GenerateResult, error) {
	var res ledger.GenerateResult
	err := m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		res, err = ledger.GenerateStatements(context.Background(), tx, m.id, stmtQuarter(m.f.t, q),
			ledger.GenerateOptions{Outbox: m.f.stmtOutbox(), BaseURL: "https://allyway.example", Now: now})
		return err
	})
	return res, err
}

// stmtAccount is a statement's account, in the test's order of figures.
func stmtAccount(t testing.TB, st ledger.Statement, dir commission.Direction) ledger.StatementAccount {
	t.Helper()
	a, ok := st.Account(dir, "USD")
	require.True(t, ok, "no %s USD account in %+v", dir, st.Accounts)
	require.True(t, a.Balances(), "the account doesn't add up: %+v", a)
	return a
}

// stmtPDFText reads a PDF with rsc.io/pdf and returns its text without
// whitespace (the core fonts carry no widths, so spaces are lost).
func stmtPDFText(t testing.TB, b []byte) (pages int, text string) {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("%PDF-")), "not a PDF")
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		for _, c := range r.Page(i).Content().Text {
			sb.WriteString(c.S)
		}
	}
	return r.NumPage(), strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, sb.String())
}

func stmtSquash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
