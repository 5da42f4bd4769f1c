package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// 20% on a $50,000 first project paid $20,000 then $30,000: $4,000 and
// $6,000, each due 30 days after its client payment, with balanced lines.
func TestWorkedFirstProjectTwoInvoices(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	agr := m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	r := m.referral(p, "Acme", "2025-02-01")
	g := m.engagement(r, p, "project", 5_000_000_00, "2025-03-01")
	e1 := m.mustPay(g, 2_000_000, "2025-03-10")
	e2 := m.mustPay(g, 3_000_000, "2025-05-10")
	require.Equal(t, ledger.StatusPending, e1.AccrualStatus)

	st := m.accrue()
	require.Equal(t, ledger.Stats{Events: 2, Entries: 2}, st)
	es := m.entries(p)
	require.Len(t, es, 2)
	require.Equal(t, []int64{400_000, 600_000}, amounts(es, ledger.KindAccrual))
	require.Equal(t, date("2025-04-09"), *es[0].DueOn)
	require.Equal(t, date("2025-06-09"), *es[1].DueOn)
	for i, e := range es {
		require.Equal(t, agr, *e.AgreementID)
		require.Equal(t, int32(0), *e.RuleIndex)
		require.Equal(t, commission.PercentFirstProject, e.Rule.Kind)
		require.Equal(t, []ledger.Line{
			{LineNo: 1, Account: ledger.AccountPartnerPayable, PartnerID: &p, AmountCents: -e.AmountCents, Currency: "USD"},
			{LineNo: 2, Account: ledger.AccountCommissionExpense, AmountCents: e.AmountCents, Currency: "USD"},
		}, e.Lines, "entry %d", i)
	}
	require.Equal(t, e1.ID, *es[0].RevenueEventID)
	require.Equal(t, e2.ID, *es[1].RevenueEventID)
	require.Contains(t, es[0].Explanation, "20% of $20,000.00")
	require.Equal(t, int64(1_000_000), m.payable(p))
	require.Equal(t, ledger.StatusAccrued, m.event(e1.ID).AccrualStatus)
	require.Empty(t, m.reconcile())

	// Running accrual again adds nothing.
	require.Equal(t, ledger.Stats{}, m.accrue())
	require.Len(t, m.entries(p), 2)
}

// 10% ongoing on a $5,000/month retainer for 12 months: twelve $500
// accruals, none in the 13th month.
func TestWorkedRetainerTwelveMonths(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2024-01-01", 30, commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1000, Months: 12})
	r := m.referral(p, "Acme", "2024-12-01")
	g := m.engagement(r, p, "retainer", 6_000_000, "2025-01-15")
	start := date("2025-01-15")
	var last ledger.RevenueEvent
	for i := range 13 {
		last = m.mustPay(g, 500_000, start.AddDate(0, i, 0).Format(time.DateOnly))
	}
	st := m.accrue()
	require.Equal(t, 13, st.Events)
	require.Equal(t, 12, st.Entries)
	require.Equal(t, 1, st.NothingDue)
	es := m.entries(p)
	require.Len(t, es, 12)
	for i, e := range es {
		require.Equal(t, int64(50_000), e.AmountCents, "month %d", i+1)
		require.Equal(t, start.AddDate(0, i, 30), *e.DueOn)
	}
	require.Contains(t, es[11].Explanation, "month 12 of 12")
	thirteenth := m.event(last.ID)
	require.Equal(t, ledger.StatusNothingDue, thirteenth.AccrualStatus)
	require.Contains(t, thirteenth.AccrualNote, commission.ReasonAfterOngoing(12))
	require.Equal(t, int64(600_000), m.payable(p))
	require.Empty(t, m.reconcile())
}

// A $10,000 payment refunded in full: its accrual is reversed and the
// balance returns to what it was before the payment.
func TestWorkedRefundInFull(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1500})
	r := m.referral(p, "Acme", "2025-02-01")
	g := m.engagement(r, p, "retainer", 10_000_000, "2025-03-01")
	m.mustPay(g, 333_333, "2025-03-01")
	m.accrue()
	before := m.payable(p)
	require.Equal(t, int64(50_000), before) // 15% of $3,333.33 = $499.9995 → $500.00

	pay := m.mustPay(g, 1_000_000, "2025-04-01")
	m.accrue()
	require.Equal(t, before+150_000, m.payable(p))

	refund, err := m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -1_000_000, PaidOn: date("2025-04-20"), RefundOfID: pay.ID, Note: "credit note CN-7"})
	require.NoError(t, err)
	m.accrue()
	require.Equal(t, before, m.payable(p))
	es := m.entries(p)
	require.Equal(t, []int64{-150_000}, amounts(es, ledger.KindReversal))
	rev := es[len(es)-1]
	require.Equal(t, refund.ID, *rev.RevenueEventID)
	require.Equal(t, int64(-150_000), rev.Lines[1].AmountCents) // expense credited
	require.Contains(t, rev.Explanation, "Refund")
	require.Empty(t, m.reconcile())

	// Nothing more can be refunded of that payment.
	_, err = m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -1, PaidOn: date("2025-04-21"), RefundOfID: pay.ID})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["amount_cents"], "Can't refund more than the $0.00 left")
	// A credit note not tied to a payment never claws back more than the
	// rule earned on the referral ($500.00 left).
	m.mustPay(g, -100_000_000, "2025-05-01")
	m.accrue()
	require.Equal(t, int64(0), m.payable(p))
	require.Empty(t, m.reconcile())
}

// Co-delivery 60/40 on $100,000: the partner's part is $60,000 (we owe it)
// and, where we deliver 60% for a partner's client, ours is $40,000 (it owes us).
func TestWorkedCoDelivery6040(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	q := m.partner("Harbor Legal")
	m.agreement(p, "2025-01-01", 45, commission.Rule{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000})
	m.agreement(q, "2025-01-01", 30, commission.Rule{Kind: commission.CoDeliverySplit, Direction: commission.WeReceive, PartnerShareBP: 6000})
	gp := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 10_000_000, "2025-03-01")
	gq := m.engagement(m.referral(q, "Globex", "2025-02-01"), q, "project", 10_000_000, "2025-03-01")
	m.mustPay(gp, 10_000_000, "2025-06-30")
	m.mustPay(gq, 10_000_000, "2025-06-30")
	m.accrue()

	ep := m.entries(p)
	require.Len(t, ep, 1)
	require.Equal(t, int64(6_000_000), ep[0].AmountCents)
	require.Equal(t, date("2025-08-14"), *ep[0].DueOn)
	require.Equal(t, int64(6_000_000), m.payable(p))

	eq := m.entries(q)
	require.Len(t, eq, 1)
	require.Equal(t, commission.WeReceive, eq[0].Direction)
	require.Equal(t, int64(4_000_000), eq[0].AmountCents)
	require.Equal(t, []ledger.Line{
		{LineNo: 1, Account: ledger.AccountPartnerReceivable, PartnerID: &q, AmountCents: 4_000_000, Currency: "USD"},
		{LineNo: 2, Account: ledger.AccountCommissionIncome, AmountCents: -4_000_000, Currency: "USD"},
	}, eq[0].Lines)
	require.Equal(t, int64(0), m.payable(q))
	require.Empty(t, m.reconcile())
}

// Volume tiers "from the referral that reaches the tier": a partner's
// 1st–3rd won referrals of a year at 10%, 4th–10th at 15%, 11th at 20%.
func TestWorkedVolumeTiersFromThreshold(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2024-01-01", 30, commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay,
		Period: commission.CalendarYear, Mode: commission.FromThreshold, Tiers: commission.DefaultVolumeTiers()})
	// A referral won the year before does not count.
	old := m.referral(p, "Old Co", "2024-12-20")
	m.mustPay(m.engagement(old, p, "project", 1_000_000, "2025-01-02"), 1_000_000, "2025-01-05")
	for i := range 11 {
		r := m.referral(p, "Client", time.Date(2025, 1, 10+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		m.mustPay(m.engagement(r, p, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-02")
	}
	m.accrue()
	es := m.entries(p)
	require.Len(t, es, 12)
	got := map[int64]int{}
	for _, e := range es {
		got[*e.RateBP]++
	}
	// 2024: 1st of its year (10%); 2025: three at 10%, seven at 15%, one at 20%.
	require.Equal(t, map[int64]int{1000: 4, 1500: 7, 2000: 1}, got)
	require.Equal(t, int64(4*100_000+7*150_000+200_000), m.payable(p))
	require.Empty(t, m.reconcile())
}

// Direction: we pay a partner on what it refers to us and it pays us on
// what we refer to it. One agreement with 20% we_pay and 10% we_receive on
// first projects: a $10,000 payment on the partner's referral accrues
// $2,000 we owe; the same on our referral to them accrues $1,000 they owe
// us; neither accrues the other rule. A partner whose agreement only pays
// them earns nothing on our referral, and says why. Volume tiers count
// only referrals of the rule's direction.
func TestWorkedDirections(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30,
		commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000},
		commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WeReceive, RateBP: 1000})
	in := m.referralOf(p, "Acme", "2025-02-01", commission.Inbound)
	out := m.referralOf(p, "Globex", "2025-02-02", commission.Outbound)
	m.mustPay(m.engagement(in, p, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-10")
	m.mustPay(m.engagement(out, p, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-11")
	require.Equal(t, ledger.Stats{Events: 2, Entries: 2}, m.accrue())
	es := m.entries(p)
	require.Len(t, es, 2)
	require.Equal(t, commission.WePay, es[0].Direction)
	require.Equal(t, in, *es[0].ReferralID)
	require.Equal(t, int64(200_000), es[0].AmountCents)
	require.Equal(t, commission.WeReceive, es[1].Direction)
	require.Equal(t, out, *es[1].ReferralID)
	require.Equal(t, int64(100_000), es[1].AmountCents)
	require.Equal(t, int64(200_000), m.payable(p))
	require.Empty(t, m.reconcile())

	// Pays-only agreement: our referral earns nothing, and the reason says
	// which way the rule pays.
	q := m.partner("Harbor Legal")
	m.agreement(q, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	ours := m.referralOf(q, "Initech", "2025-02-03", commission.Outbound)
	ev := m.mustPay(m.engagement(ours, q, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-12")
	require.Equal(t, ledger.Stats{Events: 1, NothingDue: 1}, m.accrue())
	require.Equal(t, ledger.StatusNothingDue, m.event(ev.ID).AccrualStatus)
	require.Empty(t, m.entries(q))
	why := m.why(ours)
	require.Contains(t, why, "This rule pays on referrals the partner sends us, not on ones we send")

	// Volume tiers: three outbound wins don't lift the partner's inbound
	// referral past the first tier (10%).
	v := m.partner("Summit Tax")
	m.agreement(v, "2025-01-01", 30, commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay,
		Period: commission.CalendarYear, Mode: commission.FromThreshold, Tiers: commission.DefaultVolumeTiers()})
	for i := range 3 {
		m.referralOf(v, "Ours", time.Date(2025, 1, 10+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), commission.Outbound)
	}
	theirs := m.referralOf(v, "Theirs", "2025-02-01", commission.Inbound)
	m.mustPay(m.engagement(theirs, v, "project", 1_000_000, "2025-03-01"), 1_000_000, "2025-03-02")
	m.accrue()
	ve := m.entries(v)
	require.Len(t, ve, 1)
	require.Equal(t, int64(1000), *ve[0].RateBP)
	require.Equal(t, int64(100_000), ve[0].AmountCents)
}
