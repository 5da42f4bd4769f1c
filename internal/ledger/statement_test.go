package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/ledger"
)

func TestParseQuarter(t *testing.T) {
	t.Parallel()
	q, err := ledger.ParseQuarter("2026-Q3")
	require.NoError(t, err)
	require.Equal(t, ledger.Quarter{Year: 2026, Q: 3}, q)
	require.Equal(t, "2026-Q3", q.String())
	require.Equal(t, "Q3 2026", q.Label())
	require.Equal(t, date("2026-07-01"), q.Start())
	require.Equal(t, date("2026-09-30"), q.End())
	require.Equal(t, "1 Jul – 30 Sep 2026", q.Period())
	require.Equal(t, ledger.Quarter{Year: 2027, Q: 1}, ledger.Quarter{Year: 2026, Q: 4}.Next())
	require.Equal(t, ledger.Quarter{Year: 2025, Q: 4}, ledger.Quarter{Year: 2026, Q: 1}.Prev())
	require.Equal(t, date("2024-03-31"), ledger.Quarter{Year: 2024, Q: 1}.End())
	require.Equal(t, ledger.Quarter{Year: 2026, Q: 4}, ledger.QuarterOf(date("2026-12-31")))
	require.Equal(t, ledger.Quarter{Year: 2026, Q: 1}, ledger.QuarterOf(date("2026-01-01")))
	q, err = ledger.ParseQuarter("2026-q1")
	require.NoError(t, err)
	require.Equal(t, 1, q.Q)

	for _, bad := range []string{"", "2026-Q5", "2026-Q0", "2026Q3", "26-Q3", "2026-Q3 ", "2026-Q3.pdf", "Q3 2026", "1899-Q4", "२०२६-Q1"} {
		_, err := ledger.ParseQuarter(bad)
		require.Error(t, err, bad)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), bad)
		require.NotEmpty(t, apperr.Message(err))
	}

	require.NoError(t, ledger.CheckQuarter(stmtQuarter(t, "2026-Q4"), date("2026-11-27")), "the current quarter, to date")
	require.NoError(t, ledger.CheckQuarter(stmtQuarter(t, "2026-Q4"), date("2026-10-01")))
	require.ErrorIs(t, ledger.CheckQuarter(stmtQuarter(t, "2027-Q1"), date("2026-12-31")), ledger.ErrFutureQuarter)
	require.Contains(t, apperr.Message(ledger.ErrFutureQuarter), "That quarter hasn't started")
	require.Equal(t, "northwind-advisory_muller-son_2026-Q3_statement.pdf",
		ledger.StatementFileName("Northwind Advisory", "Müller & Søn", stmtQuarter(t, "2026-Q3"), "pdf"))
	require.Equal(t, "firm_partner_2026-Q3_statement.csv", ledger.StatementFileName("«»", "", stmtQuarter(t, "2026-Q3"), "csv"))
}

// stmtWorld is the worked data set: 20% of a $50,000 first project paid
// $20,000 and $30,000 in Q1 2026; $10,000 of the second refunded in Q2; the
// first $4,000 paid out in Q2; a $150 adjustment in Q2.
type stmtWorld struct {
	m            *firm
	p            uuid.UUID
	acc1, acc2   uuid.UUID
	reversal     uuid.UUID
	payout       uuid.UUID
	pay1, refund ledger.RevenueEvent
}

func newStmtWorld(t *testing.T) *stmtWorld {
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-12-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	r := m.referral(p, "Acme Dental", "2026-01-10")
	g := m.engagement(r, p, "project", 5_000_000, "2026-01-15")
	w := &stmtWorld{m: m, p: p}
	w.pay1 = m.mustPay(g, 2_000_000, "2026-02-01")
	pay2 := m.mustPay(g, 3_000_000, "2026-03-15")
	m.accrue()
	refund, err := m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -1_000_000, PaidOn: date("2026-05-10"), RefundOfID: pay2.ID})
	require.NoError(t, err)
	w.refund = refund
	m.accrue()
	for _, e := range m.entries(p) {
		switch {
		case e.Kind == ledger.KindAccrual && *e.RevenueEventID == w.pay1.ID:
			w.acc1 = e.ID
		case e.Kind == ledger.KindAccrual:
			w.acc2 = e.ID
		case e.Kind == ledger.KindReversal:
			w.reversal = e.ID
		}
	}
	require.NotEqual(t, uuid.Nil, w.reversal)
	w.payout = m.stmtPaidPayout(p, "2026-05-20", w.acc1)
	m.stmtAdjustmentAt(p, 15_000, "2026-06-05T12:00:00Z", "Onboarding bonus")
	return w
}

// TestStatementFigures: the worked data set, quarter by quarter, to the cent.
func TestStatementFigures(t *testing.T) {
	t.Parallel()
	w := newStmtWorld(t)
	m := w.m

	q1 := m.statement(w.p, "2026-Q1")
	require.Equal(t, "Brightline Advisory", q1.PartnerName)
	require.Equal(t, "Northwind Advisory", q1.FirmName)
	require.False(t, q1.ToDate)
	require.Len(t, q1.Accounts, 1, "no we_receive account: the partner has none")
	require.Equal(t, ledger.StatementAccount{Direction: commission.WePay, Currency: "USD",
		EarnedCents: 1_000_000, ClosingCents: 1_000_000}, stmtAccount(t, q1, commission.WePay))
	require.Equal(t, 1, q1.ReferralsSubmitted)
	require.Equal(t, 1, q1.ReferralsWon)
	require.Len(t, q1.Referrals, 1)
	require.Equal(t, "Acme Dental", q1.Referrals[0].Client)
	require.Equal(t, []ledger.StatementRevenue{{Currency: "USD", AmountCents: 5_000_000}}, q1.Revenue)
	require.Len(t, q1.Entries, 2)
	e := q1.Entries[0]
	require.Equal(t, w.acc1, e.ID)
	require.Equal(t, date("2026-02-01"), e.On, "an accrual counts on its client payment's date")
	require.Equal(t, int64(400_000), e.AmountCents)
	require.Equal(t, ledger.EntryPaid, e.Status, "in a paid payout")
	require.Equal(t, int32(1), *e.AgreementVersion)
	require.Equal(t, "Acme Dental", *e.ClientCompany)
	require.Equal(t, commission.PercentFirstProject, e.Rule.Kind)
	require.Equal(t, int64(2_000_000), *e.PaymentCents)
	require.Equal(t, "Commission", ledger.EntryKindLabel(e))
	require.Contains(t, ledger.EntryTrace(e), "Client payment of $20,000.00 on 1 Feb 2026")
	require.Contains(t, ledger.EntryTrace(e), "agreement version 1")
	require.Contains(t, ledger.EntryReferral(e), "Acme Dental")
	require.Equal(t, int64(600_000), q1.Entries[1].AmountCents)
	require.Equal(t, ledger.EntryDue, q1.Entries[1].Status)

	q2 := m.statement(w.p, "2026-Q2")
	require.Equal(t, ledger.StatementAccount{Direction: commission.WePay, Currency: "USD", OpeningCents: 1_000_000,
		ClawbackCents: -200_000, AdjustmentCents: 15_000, PaidCents: -400_000, ClosingCents: 415_000}, stmtAccount(t, q2, commission.WePay))
	require.Zero(t, q2.ReferralsSubmitted)
	require.Zero(t, q2.ReferralsWon)
	require.Equal(t, []ledger.StatementRevenue{{Currency: "USD", AmountCents: -1_000_000}}, q2.Revenue)
	require.Len(t, q2.Entries, 3)
	require.Equal(t, []string{ledger.KindReversal, ledger.KindPayout, ledger.KindAdjustment},
		[]string{q2.Entries[0].Kind, q2.Entries[1].Kind, q2.Entries[2].Kind})
	require.Equal(t, date("2026-05-10"), q2.Entries[0].On)
	require.Equal(t, "Clawback", ledger.EntryKindLabel(q2.Entries[0]))
	require.Contains(t, ledger.EntryTrace(q2.Entries[0]), "Client refund of -$10,000.00 on 10 May 2026")
	require.Equal(t, date("2026-05-20"), q2.Entries[1].On, "a payout counts on the day it was paid")
	require.Equal(t, ledger.EntryPaid, q2.Entries[1].Status)
	require.Equal(t, date("2026-06-05"), q2.Entries[2].On)
	require.Equal(t, "Adjustment of $150.00: Onboarding bonus", q2.Entries[2].Explanation)
	require.Empty(t, ledger.EntryTrace(q2.Entries[2]), "the reason is in the explanation already")
	q2.Entries[2].Explanation = "Manual"
	require.Equal(t, "reason: Onboarding bonus", ledger.EntryTrace(q2.Entries[2]))

	q3 := m.statement(w.p, "2026-Q3")
	require.Equal(t, ledger.StatementAccount{Direction: commission.WePay, Currency: "USD", OpeningCents: 415_000,
		ClosingCents: 415_000}, stmtAccount(t, q3, commission.WePay))
	require.Empty(t, q3.Entries)
	require.Empty(t, q3.Revenue)

	// The current quarter, to date: its closing balance is the ledger's balance.
	q4 := m.statement(w.p, "2026-Q4")
	require.True(t, q4.ToDate)
	require.Equal(t, date("2026-11-27"), q4.Today)
	require.Contains(t, q4.PeriodNote(), "to date (27 Nov 2026)")
	var bs []ledger.Balance
	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		bs, err = ledger.Balances(context.Background(), tx, m.id, w.p)
		return err
	}))
	require.Len(t, bs, 1)
	require.Equal(t, bs[0].PayableCents, stmtAccount(t, q4, commission.WePay).ClosingCents)
	require.Equal(t, int64(415_000), bs[0].PayableCents)

	// Each quarter opens where the last closed.
	require.Equal(t, stmtAccount(t, q1, commission.WePay).ClosingCents, stmtAccount(t, q2, commission.WePay).OpeningCents)
	require.Equal(t, stmtAccount(t, q2, commission.WePay).ClosingCents, stmtAccount(t, q3, commission.WePay).OpeningCents)
	require.Equal(t, stmtAccount(t, q3, commission.WePay).ClosingCents, stmtAccount(t, q4, commission.WePay).OpeningCents)

	// Before anything: a zero statement in USD.
	q0 := m.statement(w.p, "2025-Q4")
	require.Equal(t, []ledger.StatementAccount{{Direction: commission.WePay, Currency: "USD"}}, q0.Accounts)

	// A future quarter is refused; another firm's partner is not found.
	err := m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) error {
		_, err := ledger.PartnerStatement(context.Background(), tx, m.id, w.p, stmtQuarter(t, "2027-Q1"), stmtNow)
		return err
	})
	require.ErrorIs(t, err, ledger.ErrFutureQuarter)
	other := m.f.firm()
	err = m.f.db.InTenant(context.Background(), other.id, func(tx pgx.Tx) error {
		_, err := ledger.PartnerStatement(context.Background(), tx, other.id, w.p, stmtQuarter(t, "2026-Q2"), stmtNow)
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
}

// TestStatementBothDirectionsAndTopUpDates: a partner who also owes us
// gets a "You owe us" account; a top-up counts on the day it was written
// and an adjustment on its day in the firm's time zone.
func TestStatementBothDirectionsAndTopUpDates(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	m.f.exec(`UPDATE tenant_settings SET time_zone = 'America/New_York' WHERE tenant_id = $1`, m.id)
	p := m.partner("Harbor Law")
	m.agreement(p, "2025-12-01", 30,
		commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000})
	r := m.referral(p, "Beacon Labs", "2026-02-01")
	g := m.engagement(r, p, "project", 1_000_000, "2026-02-02")
	m.mustPay(g, 1_000_000, "2026-03-01")
	m.accrue()
	// 02:00 UTC on 1 July is still 30 June in New York: Q2.
	m.stmtAdjustmentAt(p, 2_500, "2026-07-01T02:00:00Z", "Late fee waived")
	// A we_receive adjustment: the partner owes us $300.
	id := uuid.New()
	ctx := context.Background()
	tx, err := m.f.owner.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency, explanation, reason, created_at)
		VALUES ($1, $2, 'adjustment', $3, 'we_receive', 30000, 'USD', 'Adjustment of $300.00: desk rental', 'desk rental', '2026-05-02T15:00:00Z')`, m.id, id, p)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_receivable', $3, 30000, 'USD'), ($1, $2, 2, 'commission_income', NULL, -30000, 'USD')`, m.id, id, p)
	require.NoError(t, err)
	// A top-up (accrual with top_up_bp) written on 3 July UTC for the March payment: Q3.
	topUp := uuid.New()
	_, err = tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, referral_id, engagement_id, revenue_event_id,
			agreement_id, rule_index, rule, direction, amount_cents, currency, rate_bp, explanation, top_up_bp, created_at)
		SELECT tenant_id, $2, 'accrual', partner_id, referral_id, engagement_id, revenue_event_id, agreement_id, rule_index, rule,
			direction, 5000, currency, 1500, 'Top-up to 15%', 1500, '2026-07-03T15:00:00Z'
		FROM journal_entries WHERE tenant_id = $1 AND partner_id = $3 AND kind = 'accrual'`, m.id, topUp, p)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_payable', $3, -5000, 'USD'), ($1, $2, 2, 'commission_expense', NULL, 5000, 'USD')`, m.id, topUp, p)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	q1 := m.statement(p, "2026-Q1")
	require.Equal(t, int64(100_000), stmtAccount(t, q1, commission.WePay).EarnedCents)
	_, ok := q1.Account(commission.WeReceive, "USD")
	require.False(t, ok, "nothing owed to us yet in Q1")

	q2 := m.statement(p, "2026-Q2")
	require.Equal(t, ledger.StatementAccount{Direction: commission.WePay, Currency: "USD", OpeningCents: 100_000,
		AdjustmentCents: 2_500, ClosingCents: 102_500}, stmtAccount(t, q2, commission.WePay))
	require.Equal(t, ledger.StatementAccount{Direction: commission.WeReceive, Currency: "USD",
		AdjustmentCents: 30_000, ClosingCents: 30_000}, stmtAccount(t, q2, commission.WeReceive))

	q3 := m.statement(p, "2026-Q3")
	require.Equal(t, ledger.StatementAccount{Direction: commission.WePay, Currency: "USD", OpeningCents: 102_500,
		EarnedCents: 5_000, ClosingCents: 107_500}, stmtAccount(t, q3, commission.WePay))
	require.Len(t, q3.Entries, 1)
	require.Equal(t, "Top-up to 15%", ledger.EntryKindLabel(q3.Entries[0]))
	require.Equal(t, date("2026-07-03"), q3.Entries[0].On)
	require.Equal(t, ledger.StatementAccount{Direction: commission.WeReceive, Currency: "USD", OpeningCents: 30_000,
		ClosingCents: 30_000}, stmtAccount(t, q3, commission.WeReceive))
	require.Empty(t, m.reconcile())
}

// TestStatementPDF: the PDF statement contains the right totals.
func TestStatementPDF(t *testing.T) {
	t.Parallel()
	w := newStmtWorld(t)
	generated := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

	b, err := ledger.StatementPDF(w.m.statement(w.p, "2026-Q1"), generated)
	require.NoError(t, err)
	pages, text := stmtPDFText(t, b)
	require.Equal(t, 1, pages)
	for _, want := range []string{"Commission statement", "Northwind Advisory", "Brightline Advisory", "Q1 2026: 1 Jan – 31 Mar 2026",
		"We owe you (USD)", "Opening balance$0.00", "Commissions earned$10,000.00", "Closing balance$10,000.00",
		"$4,000.00 USD", "$6,000.00 USD", "Referrals you sent us in the quarter1", "Referrals won in the quarter1",
		"Revenue from your referred clients (USD)$50,000.00", "R-", "Acme Dental", "Generated 27 Nov 2026", "Page 1 of 1"} {
		require.Contains(t, text, stmtSquash(want), "the PDF lacks %q; it says:\n%s", want, text)
	}

	b, err = ledger.StatementPDF(w.m.statement(w.p, "2026-Q2"), generated)
	require.NoError(t, err)
	_, text = stmtPDFText(t, b)
	for _, want := range []string{"Opening balance$10,000.00", "Commissions earned$0.00", "Clawbacks (client refunds)-$2,000.00",
		"Adjustments$150.00", "Paid to you-$4,000.00", "Closing balance$4,150.00", "Revenue from your referred clients (USD)-$10,000.00",
		"Clawback", "Payout", "Onboarding bonus"} {
		require.Contains(t, text, stmtSquash(want), "the PDF lacks %q; it says:\n%s", want, text)
	}

	// Many entries run over pages, with odd characters kept or replaced.
	st := w.m.statement(w.p, "2026-Q2")
	st.PartnerName = "Müller & Søn → “Partners”"
	for i := range 80 {
		e := st.Entries[i%len(st.Entries)]
		e.Explanation = strings.Repeat("A long explanation that wraps ", 3) + "≥ €"
		st.Entries = append(st.Entries, e)
	}
	b, err = ledger.StatementPDF(st, generated)
	require.NoError(t, err)
	pages, text = stmtPDFText(t, b)
	require.Greater(t, pages, 1)
	require.Contains(t, text, stmtSquash("Müller & Søn -> “Partners”"))
}

// TestStatementCSV: entries, then the summary; amounts are numbers; text is neutralised.
func TestStatementCSV(t *testing.T) {
	t.Parallel()
	w := newStmtWorld(t)
	var buf bytes.Buffer
	require.NoError(t, ledger.WriteStatementCSV(&buf, w.m.statement(w.p, "2026-Q2")))
	require.True(t, strings.HasPrefix(buf.String(), "\ufeff"))
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, ledger.StatementCSVHeader, rows[0])
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	require.Equal(t, "2026-05-10", rows[1][col["date"]])
	require.Equal(t, "Clawback", rows[1][col["kind"]])
	require.Equal(t, "-2000.00", rows[1][col["amount"]], "a negative amount stays a number")
	require.Equal(t, "-10000.00", rows[1][col["client_payment"]])
	require.Equal(t, "Acme Dental", rows[1][col["client"]])
	require.Equal(t, "1", rows[1][col["agreement_version"]])
	require.Equal(t, w.reversal.String(), rows[1][col["entry_id"]])
	require.Equal(t, "-4000.00", rows[2][col["amount"]])
	require.Equal(t, "paid", rows[2][col["status"]])
	require.Equal(t, "150.00", rows[3][col["amount"]])
	require.Equal(t, "Adjustment of $150.00: Onboarding bonus", rows[3][col["explanation"]])
	require.Contains(t, buf.String(), "\n\nsummary,", "a blank line before the summary")
	require.Equal(t, ledger.StatementSummaryHeader, rows[4])
	require.Equal(t, []string{"2026-Q2", "We owe you (USD)", "we_pay", "USD", "10000.00", "0.00", "-2000.00", "150.00", "-4000.00", "4150.00"}, rows[5])
	require.Equal(t, []string{"2026-Q2", "Referrals sent in the quarter", "", "", "0"}, rows[6])
	require.Equal(t, []string{"2026-Q2", "Revenue from referred clients", "", "USD", "-10000.00"}, rows[8])

	// Formula-like text is neutralised.
	buf.Reset()
	client := "=HYPERLINK(\"http://evil\")"
	st := ledger.Statement{Quarter: stmtQuarter(t, "2026-Q1"), StatementFigures: ledger.StatementFigures{
		Entries: []ledger.StatementEntry{{ID: uuid.New(), On: date("2026-01-05"), Kind: ledger.KindAdjustment, Direction: commission.WePay,
			AmountCents: -5, Currency: "USD", ClientCompany: &client, Explanation: "-1+1", Status: "accrued"}}}}
	require.NoError(t, ledger.WriteStatementCSV(&buf, st))
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil { // the summary rows are shorter
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
		r.FieldsPerRecord = -1
		rows, err = r.ReadAll()
	}
	require.NoError(t, err)
	require.Equal(t, "'"+client, rows[1][col["client"]])
	require.Equal(t, "'-1+1", rows[1][col["explanation"]])
	require.Equal(t, "-0.05", rows[1][col["amount"]])
}

// TestGenerateStatements: issued once per partner and quarter, emailed to
// the partner's portal users, idempotent; the page says when live figures
// differ from what was issued; the current and future quarters are refused.
func TestGenerateStatements(t *testing.T) {
	t.Parallel()
	w := newStmtWorld(t)
	m := w.m
	m.stmtPortalUser(w.p, "ada@brightline.example", "Ada Lovelace")
	m.stmtPortalUser(w.p, "bob@brightline.example", "Bob Byte")
	// A partner who only sent a referral in Q2, one with nothing, one ended long ago with a zero balance.
	quiet := m.partner("Quiet Partner")
	m.referral(quiet, "Zed Corp", "2026-05-05")
	m.partner("Nothing Partner")
	m.stmtPortalUser(quiet, "qa@quiet.example", "Quinn")
	now := time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC)

	var sums []ledger.StatementSummary
	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		sums, err = ledger.QuarterStatements(context.Background(), tx, m.id, stmtQuarter(t, "2026-Q2"), now)
		return err
	}))
	require.Len(t, sums, 2)
	require.Equal(t, "Brightline Advisory", sums[0].PartnerName)
	require.Equal(t, int64(415_000), sums[0].Accounts[0].ClosingCents)
	require.Nil(t, sums[0].Issued)
	require.Equal(t, "Quiet Partner", sums[1].PartnerName)

	res, err := m.generate("2026-Q2", now)
	require.NoError(t, err)
	require.Equal(t, ledger.GenerateResult{Issued: 2, Emails: 3}, res)
	require.Equal(t, 2, m.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-04-01' AND period_end = '2026-06-30' AND emailed_at IS NOT NULL`))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'statement.generated'`))
	var subject, text, to string
	require.NoError(t, m.f.owner.QueryRow(context.Background(), `SELECT subject, text_body, to_addr FROM email_outbox
		WHERE to_addr LIKE '%ada@brightline.example%'`).Scan(&subject, &text, &to))
	require.Equal(t, "Your Q2 2026 statement from Northwind Advisory is ready", subject)
	require.Equal(t, "ada@brightline.example", to)
	require.Contains(t, text, "Hello Ada,")
	require.Contains(t, text, "https://allyway.example/p/northwind-")
	require.Contains(t, text, "/statements/2026-Q2")
	require.Contains(t, text, "Closing balance: $4,150.00")
	require.Equal(t, 3, m.count(`SELECT count(*) FROM email_outbox WHERE subject LIKE 'Your Q2 2026 statement%' AND $1::uuid IS NOT NULL`))

	// Again: nothing written, nobody emailed twice.
	res, err = m.generate("2026-Q2", now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, ledger.GenerateResult{Already: 2}, res)
	require.Equal(t, 3, m.count(`SELECT count(*) FROM email_outbox WHERE subject LIKE 'Your Q2 2026 statement%' AND $1::uuid IS NOT NULL`))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'statement.generated'`))

	st := m.statement(w.p, "2026-Q2")
	require.NotNil(t, st.Issued)
	require.Equal(t, now, st.Issued.GeneratedAt.UTC())
	require.False(t, st.Revised)
	require.Empty(t, st.RevisedNote())
	require.Equal(t, st.Accounts, st.Issued.Figures.Accounts)
	require.Len(t, st.Issued.Figures.Entries, 3)

	// A late adjustment dated in Q2: the live figures differ from the snapshot.
	m.stmtAdjustmentAt(w.p, -1_000, "2026-06-20T12:00:00Z", "Correction")
	st = m.statement(w.p, "2026-Q2")
	require.True(t, st.Revised)
	require.Equal(t, "Revised since it was issued on 2 Jul 2026: an entry dated in this quarter was recorded or corrected after that.", st.RevisedNote())
	require.Equal(t, int64(414_000), stmtAccount(t, st, commission.WePay).ClosingCents)
	require.Equal(t, int64(415_000), st.Issued.Figures.Accounts[0].ClosingCents, "the snapshot is what was sent")

	// The current quarter and a future one are refused; nothing written.
	_, err = m.generate("2026-Q3", now)
	require.ErrorIs(t, err, ledger.ErrQuarterNotOver)
	_, err = m.generate("2026-Q4", now)
	require.ErrorIs(t, err, ledger.ErrFutureQuarter)
	require.Equal(t, 2, m.count(`SELECT count(*) FROM statements WHERE tenant_id = $1`))

	// The partner's quarters: Q1 (payments, referral), Q2 (issued), Q3 (current).
	var qs []ledger.QuarterInfo
	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		qs, err = ledger.PartnerQuarters(context.Background(), tx, m.id, w.p, now)
		return err
	}))
	require.Len(t, qs, 3)
	require.Equal(t, "2026-Q3", qs[0].Quarter.String())
	require.True(t, qs[0].ToDate)
	require.Equal(t, "2026-Q2", qs[1].Quarter.String())
	require.NotNil(t, qs[1].GeneratedAt)
	require.NotNil(t, qs[1].EmailedAt)
	require.Equal(t, "2026-Q1", qs[2].Quarter.String())
	require.Nil(t, qs[2].GeneratedAt)

	// The portal's partner sees its own statement and no other.
	require.NoError(t, m.f.db.InPortal(context.Background(), m.id, w.p, func(tx pgx.Tx) error {
		st, err := ledger.PartnerStatement(context.Background(), tx, m.id, w.p, stmtQuarter(t, "2026-Q2"), stmtNow)
		require.NoError(t, err)
		require.Equal(t, int64(414_000), stmtAccount(t, st, commission.WePay).ClosingCents)
		require.True(t, st.Revised)
		_, err = ledger.PartnerStatement(context.Background(), tx, m.id, quiet, stmtQuarter(t, "2026-Q2"), stmtNow)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		return nil
	}))
}

// TestStatementJob: the quarter-end job issues the previous quarter in each
// firm's time zone, once; interrupted and run again, it ends as an
// uninterrupted run.
func TestStatementJob(t *testing.T) {
	t.Parallel()
	w := newStmtWorld(t)
	m := w.m
	m.stmtPortalUser(w.p, "ada@brightline.example", "Ada Lovelace")
	// A firm in Los Angeles: at 12:00 UTC on 1 October it is 05:00 there, Q4 too.
	la := m.f.firm()
	m.f.exec(`UPDATE tenant_settings SET time_zone = 'America/Los_Angeles' WHERE tenant_id = $1`, la.id)
	lp := la.partner("Pacific Partners")
	la.referral(lp, "Surf Co", "2026-08-01")
	// A firm in Auckland: at 12:00 UTC on 30 September it is already 1 October there.
	nz := m.f.firm()
	m.f.exec(`UPDATE tenant_settings SET time_zone = 'Pacific/Auckland' WHERE tenant_id = $1`, nz.id)
	np := nz.partner("Kiwi Partners")
	nz.referral(np, "Fern Ltd", "2026-08-01")

	out := m.f.stmtOutbox()
	d := db.New(m.f.app)
	ctx := context.Background()
	adaEmails := `SELECT count(*) FROM email_outbox WHERE $1::uuid IS NOT NULL AND to_addr LIKE '%ada@%'`

	// 30 Sep, 12:00 UTC: Auckland is in Q4 and issues Q3; the others are
	// still in Q3 and issue Q2 (the UTC firm's Brightline; nothing in LA).
	run, err := ledger.RunQuarterEnd(ctx, d, out, time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC), "https://allyway.example")
	require.NoError(t, err)
	require.Equal(t, ledger.QuarterEndRun{Firms: 3, Issued: 2, Emails: 1}, run)
	require.Equal(t, 1, nz.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-07-01'`))
	require.Equal(t, 1, m.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-04-01'`))
	require.Zero(t, la.count(`SELECT count(*) FROM statements WHERE tenant_id = $1`))
	require.Equal(t, 1, m.count(adaEmails))

	// Interrupted: a run that dies before it commits leaves nothing.
	jobNow := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	tx, err := m.f.app.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT set_config('app.tenant_id', $1, true)`, m.id.String())
	require.NoError(t, err)
	res, err := ledger.GenerateStatements(ctx, tx, m.id, stmtQuarter(t, "2026-Q3"), ledger.GenerateOptions{Outbox: out, Now: jobNow})
	require.NoError(t, err)
	require.Equal(t, 1, res.Issued)
	require.NoError(t, tx.Rollback(ctx))
	require.Zero(t, m.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-07-01'`))
	require.Equal(t, 1, m.count(adaEmails))

	run, err = ledger.RunQuarterEnd(ctx, d, out, jobNow, "https://allyway.example")
	require.NoError(t, err)
	require.Equal(t, ledger.QuarterEndRun{Firms: 3, Issued: 2, Emails: 1}, run)
	require.Equal(t, 1, m.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-07-01'`))
	require.Equal(t, 1, la.count(`SELECT count(*) FROM statements WHERE tenant_id = $1 AND period_start = '2026-07-01'`))
	require.Equal(t, 2, m.count(adaEmails))
	var raw []byte
	require.NoError(t, m.f.owner.QueryRow(ctx, `SELECT figures FROM statements WHERE tenant_id = $1 AND period_start = '2026-07-01'`, m.id).Scan(&raw))
	require.Contains(t, string(raw), `"closing_cents": 415000`)

	// Every later day of the quarter: nothing more.
	for _, at := range []time.Time{jobNow.Add(24 * time.Hour), jobNow.AddDate(0, 1, 0)} {
		run, err = ledger.RunQuarterEnd(ctx, d, out, at, "https://allyway.example")
		require.NoError(t, err)
		require.Equal(t, ledger.QuarterEndRun{Firms: 3}, run)
	}
	require.Equal(t, 4, m.count(`SELECT count(*) FROM statements WHERE $1::uuid IS NOT NULL`))
	require.Equal(t, 2, m.count(adaEmails))

	// The worker does the same run (here with its outbox and clock given).
	wk := ledger.NewStatementWorker(m.f.app, "https://allyway.example/", nil)
	wk.Outbox, wk.Now = out, func() time.Time { return jobNow.AddDate(0, 0, 2) }
	require.NoError(t, wk.Work(ctx, nil))
	require.Equal(t, 4, m.count(`SELECT count(*) FROM statements WHERE $1::uuid IS NOT NULL`))
	require.NotNil(t, ledger.StatementPeriodicJob())
	require.Equal(t, "ledger_statements", ledger.StatementArgs{}.Kind())
}
