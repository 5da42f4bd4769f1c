package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/notify"
)

// payWorld is a firm with an outbox, for the review and payout tests.
type payWorld struct {
	t  *testing.T
	m  *firm
	ob *notify.Outbox
}

const payBaseURL = "https://allyway.example"

func newPayWorld(t *testing.T, f *fixture) *payWorld {
	t.Helper()
	inserter, err := jobs.NewClient(jobs.Deps{Pool: f.app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	return &payWorld{t: t, m: f.firm(), ob: notify.NewOutbox(inserter)}
}

func (w *payWorld) in(fn func(tx pgx.Tx) error) error {
	return w.m.f.db.InTenant(context.Background(), w.m.id, fn)
}

// ids returns the ids of the partner's entries of a kind, oldest first.
func (w *payWorld) ids(partnerID uuid.UUID, kind string) []uuid.UUID {
	var out []uuid.UUID
	for _, e := range w.m.entries(partnerID) {
		if e.Kind == kind {
			out = append(out, e.ID)
		}
	}
	return out
}

func (w *payWorld) approve(ids ...uuid.UUID) (int, error) {
	var n int
	err := w.in(func(tx pgx.Tx) (err error) {
		n, err = ledger.Approve(context.Background(), tx, w.m.id, ids, w.m.staff)
		return err
	})
	return n, err
}

func (w *payWorld) hold(reason string, ids ...uuid.UUID) (int, error) {
	var n int
	err := w.in(func(tx pgx.Tx) (err error) {
		n, err = ledger.Hold(context.Background(), tx, w.m.id, ids, reason, w.m.staff)
		return err
	})
	return n, err
}

func (w *payWorld) mustApprove(ids ...uuid.UUID) {
	w.t.Helper()
	_, err := w.approve(ids...)
	require.NoError(w.t, err)
}

func payRun(upTo string) ledger.PayoutRun {
	return ledger.PayoutRun{Direction: commission.WePay, Currency: "USD", UpTo: date(upTo)}
}

func (w *payWorld) preview(run ledger.PayoutRun) ledger.Preview {
	w.t.Helper()
	var pv ledger.Preview
	require.NoError(w.t, w.in(func(tx pgx.Tx) (err error) {
		pv, err = ledger.PreviewPayouts(context.Background(), tx, w.m.id, run)
		return err
	}))
	return pv
}

func (w *payWorld) create(run ledger.PayoutRun) (ledger.Batch, error) {
	var b ledger.Batch
	err := w.in(func(tx pgx.Tx) (err error) {
		b, err = ledger.CreateBatch(context.Background(), tx, w.m.id, run, w.m.staff)
		return err
	})
	return b, err
}

func (w *payWorld) mustCreate(run ledger.PayoutRun) ledger.Batch {
	w.t.Helper()
	b, err := w.create(run)
	require.NoError(w.t, err)
	return b
}

func (w *payWorld) paidInput(on, ref string) ledger.PaidInput {
	return ledger.PaidInput{PaidOn: date(on), Reference: ref, By: w.m.staff, Today: date(on),
		Outbox: w.ob, BaseURL: payBaseURL}
}

func (w *payWorld) markPaid(batchID uuid.UUID, on, ref string) (ledger.Batch, error) {
	var b ledger.Batch
	err := w.in(func(tx pgx.Tx) (err error) {
		b, err = ledger.MarkBatchPaid(context.Background(), tx, w.m.id, batchID, w.paidInput(on, ref))
		return err
	})
	return b, err
}

func (w *payWorld) mustMarkPaid(batchID uuid.UUID, on, ref string) ledger.Batch {
	w.t.Helper()
	b, err := w.markPaid(batchID, on, ref)
	require.NoError(w.t, err)
	return b
}

func (w *payWorld) payouts(batchID uuid.UUID) []ledger.Payout {
	w.t.Helper()
	var ps []ledger.Payout
	require.NoError(w.t, w.in(func(tx pgx.Tx) (err error) {
		ps, err = ledger.BatchPayouts(context.Background(), tx, w.m.id, batchID)
		return err
	}))
	return ps
}

func (w *payWorld) states(ids ...uuid.UUID) map[uuid.UUID]ledger.EntryState {
	w.t.Helper()
	var out map[uuid.UUID]ledger.EntryState
	require.NoError(w.t, w.in(func(tx pgx.Tx) (err error) {
		out, err = ledger.EntryReviews(context.Background(), tx, w.m.id, ids)
		return err
	}))
	return out
}

func (w *payWorld) queue(f ledger.ReviewFilter) []ledger.ReviewItem {
	w.t.Helper()
	var out []ledger.ReviewItem
	require.NoError(w.t, w.in(func(tx pgx.Tx) (err error) {
		out, err = ledger.ReviewQueue(context.Background(), tx, w.m.id, f)
		return err
	}))
	return out
}

// portalUser adds a portal user of the partner.
func (w *payWorld) portalUser(partnerID uuid.UUID, email, name, role string) {
	u := w.m.f.id(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, email, name)
	w.m.f.exec(`INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role) VALUES ($1, $2, $3, $4)`, w.m.id, u, partnerID, role)
}

// emails returns the outbox messages to the address.
func (w *payWorld) emails(to string) []notify.OutboxMessage {
	w.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), w.m.f.owner, 1000)
	require.NoError(w.t, err)
	var out []notify.OutboxMessage
	for _, m := range msgs {
		if strings.Contains(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}

func (w *payWorld) slug() string {
	var s string
	require.NoError(w.t, w.m.f.owner.QueryRow(context.Background(), `SELECT slug FROM tenants WHERE id = $1`, w.m.id).Scan(&s))
	return s
}

// twentyPercent sets up a partner on 20% of the first project, net 30,
// with one engagement, and returns the partner and engagement.
func (w *payWorld) twentyPercent(name string) (uuid.UUID, uuid.UUID) {
	p := w.m.partner(name)
	w.m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	g := w.m.engagement(w.m.referral(p, "Acme", "2025-02-01"), p, "project", 5_000_000_00, "2025-03-01")
	return p, g
}

// The worked example: 20% of $20,000 + $30,000, net 30. Paid up to the
// first due date: $4,000; the partner is told; the rest later, net of a
// refund made after the first payout. Paying again is refused.
func TestPayoutWorkedExample(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	w.portalUser(p, "pat@brightline.example", "Pat Partner", "partner_admin")
	w.portalUser(p, "mo@brightline.example", "Mo Member", "partner_member")
	ev1 := w.m.mustPay(g, 2_000_000, "2025-03-10")
	w.m.mustPay(g, 3_000_000, "2025-05-10")
	w.m.accrue()
	acc := w.ids(p, ledger.KindAccrual)
	require.Len(t, acc, 2)

	// Nothing is approved yet: nothing to pay.
	require.Empty(t, w.preview(payRun("2025-12-31")).Partners)
	_, err := w.create(payRun("2025-12-31"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Contains(t, apperr.Message(err), "Nothing is approved and due")

	n, err := w.approve(acc...)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, 1, w.m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'commission.approve' AND detail->>'count' = '2'`))

	pv := w.preview(payRun("2025-04-09"))
	require.Len(t, pv.Partners, 1)
	require.Equal(t, int64(400_000), pv.TotalCents)
	require.Equal(t, 1, pv.PaidCount)
	require.Equal(t, "Brightline Advisory", pv.Partners[0].PartnerName)
	require.Len(t, pv.Partners[0].Entries, 1)
	require.Equal(t, acc[0], pv.Partners[0].Entries[0].ID)

	b := w.mustCreate(payRun("2025-04-09"))
	require.Equal(t, int32(1), b.Number)
	require.Equal(t, ledger.BatchOpen, b.Status)
	require.Equal(t, int64(400_000), b.TotalCents)
	require.Equal(t, 1, b.Payouts)
	ps := w.payouts(b.ID)
	require.Len(t, ps, 1)
	require.Equal(t, ledger.Payout{ID: ps[0].ID, BatchID: b.ID, BatchNumber: 1, PartnerID: p, PartnerName: "Brightline Advisory",
		Direction: commission.WePay, Currency: "USD", AmountCents: 400_000, Status: ledger.PayoutPending, CreatedAt: ps[0].CreatedAt,
		Entries: 1}, ps[0])
	st := w.states(acc...)
	require.Equal(t, ledger.ReviewApproved, st[acc[0]].Review)
	require.Equal(t, ledger.PayoutPending, st[acc[0]].PayoutStatus)
	require.Equal(t, ps[0].ID, *st[acc[0]].PayoutID)
	require.Nil(t, st[acc[1]].PayoutID)
	// An entry in a payout can't be reviewed again.
	_, err = w.approve(acc[0])
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["entries"], "is in payout #1")
	_, err = w.hold("second thoughts", acc[0])
	require.Equal(t, apperr.EInvalid, apperr.Code(err))

	// Bad payment records change nothing.
	_, err = w.markPaid(b.ID, "2025-04-10", "  ")
	require.Contains(t, apperr.FieldErrors(err), "reference")
	err = w.in(func(tx pgx.Tx) error {
		in := w.paidInput("2025-04-12", "ACH-1")
		in.Today = date("2025-04-10")
		_, err := ledger.MarkBatchPaid(context.Background(), tx, w.m.id, b.ID, in)
		return err
	})
	require.Contains(t, apperr.FieldErrors(err), "paid_on")

	b = w.mustMarkPaid(b.ID, "2025-04-10", "ACH-1")
	require.Equal(t, ledger.BatchPaid, b.Status)
	require.Equal(t, date("2025-04-10"), *b.PaidOn)
	require.Equal(t, "ACH-1", *b.Reference)
	require.Equal(t, int64(600_000), w.m.payable(p))
	es := w.m.entries(p)
	last := es[len(es)-1]
	require.Equal(t, ledger.KindPayout, last.Kind)
	require.Equal(t, int64(-400_000), last.AmountCents)
	require.Equal(t, ps[0].ID, *last.PayoutID)
	require.Equal(t, "Payout #1 of $4,000.00, reference ACH-1", last.Explanation)
	require.Equal(t, []ledger.Line{
		{LineNo: 1, Account: ledger.AccountPartnerPayable, PartnerID: &p, AmountCents: 400_000, Currency: "USD"},
		{LineNo: 2, Account: ledger.AccountCash, AmountCents: -400_000, Currency: "USD"},
	}, last.Lines)
	st = w.states(acc[0], last.ID)
	require.Equal(t, ledger.PayoutPaid, st[acc[0]].PayoutStatus)
	require.Equal(t, date("2025-04-10"), *st[acc[0]].PaidOn)
	require.Equal(t, ledger.EntryPaid, ledger.EntryStatusOf(es[0], st[acc[0]], date("2025-04-10")))
	require.Equal(t, ps[0].ID, *st[last.ID].PayoutID)
	require.Equal(t, "", st[last.ID].Review)

	// Both portal users are told, with the amount, reference, date and link.
	for _, to := range []string{"pat@brightline.example", "mo@brightline.example"} {
		ms := w.emails(to)
		require.Len(t, ms, 1, to)
		require.Equal(t, "Northwind Advisory paid you $4,000.00", ms[0].Subject)
		for _, s := range []string{"$4,000.00", "ACH-1", "10 April 2025", payBaseURL + "/p/" + w.slug() + "/commissions"} {
			require.Contains(t, ms[0].Text, s)
		}
	}

	// Paying again is refused and writes nothing.
	before := w.m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`)
	_, err = w.markPaid(b.ID, "2025-04-11", "ACH-2")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Equal(t, before, w.m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))
	err = w.in(func(tx pgx.Tx) error {
		_, err := ledger.MarkPayoutPaid(context.Background(), tx, w.m.id, ps[0].ID, w.paidInput("2025-04-11", "ACH-2"))
		return err
	})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Len(t, w.emails("pat@brightline.example"), 1)

	// A refund of half the first payment, after it was paid, nets against
	// the next payout: $6,000 − $2,000.
	_, err = w.m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -1_000_000, PaidOn: date("2025-04-20"), RefundOfID: ev1.ID})
	require.NoError(t, err)
	w.m.accrue()
	require.Equal(t, []int64{-200_000}, amounts(w.m.entries(p), ledger.KindReversal))
	pv = w.preview(payRun("2025-06-08")) // the reversal alone: carried forward
	require.Len(t, pv.Partners[0].Entries, 1)
	require.Equal(t, "Deductions exceed what is due — carried forward", pv.Partners[0].CarriedForward)
	pv = w.preview(payRun("2025-06-09"))
	require.Equal(t, int64(400_000), pv.TotalCents)
	require.Len(t, pv.Partners[0].Entries, 2)
	b2 := w.mustCreate(payRun("2025-06-09"))
	require.Equal(t, int32(2), b2.Number)
	w.mustMarkPaid(b2.ID, "2025-06-10", "ACH-2")
	require.Equal(t, int64(0), w.m.payable(p))

	// Everything is paid: nothing is left to pay, ever.
	_, err = w.create(payRun("2030-01-01"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	var all []ledger.Payout
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		all, err = ledger.ListPayouts(context.Background(), tx, w.m.id, ledger.PayoutFilter{PartnerID: &p, Status: ledger.PayoutPaid}, ledger.PagePos{}, 10)
		return err
	}))
	require.Len(t, all, 2)
	require.Equal(t, []int64{400_000, 400_000}, []int64{all[0].AmountCents, all[1].AmountCents})
	require.Equal(t, 2, all[1].Entries)
	require.Empty(t, w.m.reconcile())
}

// The firm's minimum payout carries a smaller balance forward.
func TestPayoutMinimumCarriesForward(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p := w.m.partner("Brightline Advisory")
	w.m.agreement(p, "2025-01-01", 0, commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1000})
	g := w.m.engagement(w.m.referral(p, "Acme", "2025-02-01"), p, "retainer", 1_000_000, "2025-03-01")

	setMin := func(c int64) error {
		return w.in(func(tx pgx.Tx) error { return ledger.SetMinPayout(context.Background(), tx, w.m.id, c) })
	}
	require.Contains(t, apperr.FieldErrors(setMin(-1)), "min_payout")
	require.Contains(t, apperr.FieldErrors(setMin(ledger.MaxMinPayoutCents+1)), "min_payout")
	require.NoError(t, setMin(5_000))
	var min int64
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		min, err = ledger.MinPayout(context.Background(), tx, w.m.id)
		return err
	}))
	require.Equal(t, int64(5_000), min)
	require.Equal(t, 1, w.m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.min_payout'`))

	w.m.mustPay(g, 30_000, "2025-03-10") // 10%: $30
	w.m.accrue()
	w.mustApprove(w.ids(p, ledger.KindAccrual)...)
	pv := w.preview(payRun("2025-12-31"))
	require.Equal(t, int64(5_000), pv.MinPayout)
	require.Len(t, pv.Partners, 1)
	require.Equal(t, int64(3_000), pv.Partners[0].TotalCents)
	require.Equal(t, "Below the $50.00 minimum payout — carried forward", pv.Partners[0].CarriedForward)
	require.Equal(t, 0, pv.PaidCount)
	require.Equal(t, 1, pv.CarriedOver)
	require.Zero(t, pv.TotalCents)
	_, err := w.create(payRun("2025-12-31"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Contains(t, apperr.Message(err), "minimum payout")
	require.Zero(t, w.m.count(`SELECT count(*) FROM payout_batches WHERE tenant_id = $1`))

	// Another $30 brings it to $60: paid, the carried $30 with it.
	w.m.mustPay(g, 30_000, "2025-04-10")
	w.m.accrue()
	w.mustApprove(w.ids(p, ledger.KindAccrual)[1])
	b := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(6_000), b.TotalCents)
	require.Equal(t, 2, w.payouts(b.ID)[0].Entries)
	w.mustMarkPaid(b.ID, "2026-01-05", "ACH-9")
	require.Zero(t, w.m.payable(p))
	require.Empty(t, w.m.reconcile())
}

// Approve and hold: a reason to hold, held entries left out and counted,
// deductions and unknown entries refused, one audit row per call.
func TestReviewApproveAndHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := newPayWorld(t, f)
	other := newPayWorld(t, f)
	p, g := w.twentyPercent("Brightline Advisory")
	q, gq := w.twentyPercent("Harbor Legal")
	ev := w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.mustPay(g, 500_000, "2025-03-20")
	w.m.mustPay(gq, 1_000_000, "2025-03-10")
	_, err := w.m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -100_000, PaidOn: date("2025-03-25"), RefundOfID: ev.ID})
	require.NoError(t, err)
	w.m.accrue()
	acc := w.ids(p, ledger.KindAccrual)
	rev := w.ids(p, ledger.KindReversal)
	require.Len(t, acc, 2)
	require.Len(t, rev, 1)

	// The queue: positive entries awaiting review, by due date.
	items := w.queue(ledger.ReviewFilter{})
	require.Len(t, items, 3)
	require.Equal(t, ledger.ReviewPending, items[0].Status)
	require.Equal(t, "Acme", *items[0].ClientCompany)
	require.NotNil(t, items[0].ReferralNumber)
	require.Len(t, w.queue(ledger.ReviewFilter{PartnerID: &q}), 1)
	require.Len(t, w.queue(ledger.ReviewFilter{DueBy: ptrTime(date("2025-04-09"))}), 2)
	require.Empty(t, w.queue(ledger.ReviewFilter{Status: ledger.ReviewHeld}))

	// Bad input refuses the whole call.
	_, err = w.hold("   ", acc[0])
	require.Contains(t, apperr.FieldErrors(err), "reason")
	_, err = w.hold(strings.Repeat("x", 2001), acc[0])
	require.Contains(t, apperr.FieldErrors(err), "reason")
	_, err = w.approve()
	require.Contains(t, apperr.FieldErrors(err), "entries")
	_, err = w.approve(acc[0], rev[0])
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["entries"], "-$200.00")
	require.Contains(t, apperr.FieldErrors(err)["entries"], "deduction")
	_, err = w.approve(acc[0], uuid.New())
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
	// Another firm can't review these entries.
	err = other.in(func(tx pgx.Tx) error {
		_, err := ledger.Approve(context.Background(), tx, other.m.id, acc, other.m.staff)
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
	require.Empty(t, w.queue(ledger.ReviewFilter{Status: ledger.ReviewApproved}))
	require.Zero(t, w.m.count(`SELECT count(*) FROM entry_reviews WHERE tenant_id = $1`))

	n, err := w.hold("  Client disputes the invoice  ", acc[0])
	require.NoError(t, err)
	require.Equal(t, 1, n)
	held := w.queue(ledger.ReviewFilter{Status: ledger.ReviewHeld})
	require.Len(t, held, 1)
	require.Equal(t, "Client disputes the invoice", held[0].Reason)
	require.NotNil(t, held[0].ReviewedAt)
	require.Len(t, w.queue(ledger.ReviewFilter{}), 3) // pending and held
	st := w.states(acc[0], acc[1], rev[0])
	require.Equal(t, ledger.EntryState{Review: ledger.ReviewHeld, ReviewReason: "Client disputes the invoice"}, st[acc[0]])
	require.Equal(t, ledger.EntryState{Review: ledger.ReviewPending}, st[acc[1]])
	require.Equal(t, ledger.EntryState{}, st[rev[0]])

	// Held entries are left out and counted; the reversal waits with its accrual.
	w.mustApprove(acc[1])
	pv := w.preview(payRun("2025-12-31"))
	require.Len(t, pv.Partners, 1)
	require.Equal(t, p, pv.Partners[0].PartnerID)
	require.Equal(t, 1, pv.Partners[0].Held)
	require.Equal(t, int64(100_000), pv.Partners[0].TotalCents)
	require.Equal(t, []uuid.UUID{acc[1]}, []uuid.UUID{pv.Partners[0].Entries[0].ID})

	// Held → approved (a change), approved again (none).
	n, err = w.approve(acc[0], acc[1])
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = w.approve(acc[0])
	require.NoError(t, err)
	require.Zero(t, n)
	// An approved entry may still be held until it is in a payout.
	n, err = w.hold("Wait for the engagement letter", acc[1])
	require.NoError(t, err)
	require.Equal(t, 1, n)
	w.mustApprove(acc[1])
	pv = w.preview(payRun("2025-12-31"))
	require.Equal(t, int64(200_000+100_000-20_000), pv.Partners[0].TotalCents)
	require.Len(t, pv.Partners[0].Entries, 3)
	require.Zero(t, pv.Partners[0].Held)

	require.Equal(t, 2, w.m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'commission.hold'`))
	require.Equal(t, 4, w.m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'commission.approve'`))
}

func ptrTime(t time.Time) *time.Time { return &t }

// A reversal of a payment whose accrual is not paid waits for it; once
// paid, a later clawback is deducted from the next payout, and deductions
// that exceed what is due carry forward.
func TestPayoutReversalWaitsForItsAccrual(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	ev1 := w.m.mustPay(g, 1_000_000, "2025-03-10") // A1 $2,000
	w.m.mustPay(g, 500_000, "2025-03-12")          // A2 $1,000
	_, err := w.m.pay(ledger.RevenueInput{EngagementID: g, AmountCents: -500_000, PaidOn: date("2025-03-15"), RefundOfID: ev1.ID})
	require.NoError(t, err) // R −$1,000
	w.m.accrue()
	acc := w.ids(p, ledger.KindAccrual)
	w.mustApprove(acc[1])
	b := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(100_000), b.TotalCents)
	w.mustMarkPaid(b.ID, "2025-05-01", "ACH-1")

	w.mustApprove(acc[0])
	b = w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(200_000-100_000), b.TotalCents)
	require.Equal(t, 2, w.payouts(b.ID)[0].Entries)
	w.mustMarkPaid(b.ID, "2025-05-02", "ACH-2")
	require.Zero(t, w.m.payable(p))

	// A credit note not tied to a payment: a deduction on its own.
	w.m.mustPay(g, -100_000, "2025-06-01")
	w.m.accrue()
	pv := w.preview(payRun("2025-12-31"))
	require.Equal(t, "Deductions exceed what is due — carried forward", pv.Partners[0].CarriedForward)
	require.Equal(t, int64(-20_000), pv.Partners[0].TotalCents)
	_, err = w.create(payRun("2025-12-31"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Contains(t, apperr.Message(err), "Deductions exceed")
	require.Equal(t, int64(-20_000), w.m.payable(p))

	w.m.mustPay(g, 500_000, "2025-06-10") // $1,000 more
	w.m.accrue()
	w.mustApprove(w.ids(p, ledger.KindAccrual)[2])
	b = w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(80_000), b.TotalCents)
	w.mustMarkPaid(b.ID, "2025-08-01", "ACH-3")
	require.Zero(t, w.m.payable(p))
	require.Empty(t, w.m.reconcile())
}

// Adjustments are due from the day they were made; an accrual without a
// due date (its trigger not reached) is never due.
func TestPayoutDueDates(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p := w.m.partner("Brightline Advisory")
	var adj ledger.Entry
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		adj, err = ledger.Adjust(context.Background(), tx, w.m.id, ledger.AdjustInput{PartnerID: p, Direction: commission.WePay,
			AmountCents: 12_345, Currency: "USD", Reason: "Bonus for the Acme introduction", CreatedBy: w.m.staff})
		return err
	}))
	// An accrual without a due date, written as the ledger would for a
	// completion trigger not yet reached.
	r := w.m.referral(p, "Acme", "2025-02-01")
	g := w.m.engagement(r, p, "project", 1_000_000, "2025-03-01")
	agr := w.m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000})
	ev := w.m.mustPay(g, 1_000_000, "2025-03-10")
	nodue := uuid.New()
	w.m.f.exec(`UPDATE revenue_events SET accrual_status = 'accrued', accrued_at = now() WHERE tenant_id = $1 AND id = $2`, w.m.id, ev.ID)
	w.m.f.exec(`WITH e AS (INSERT INTO journal_entries (tenant_id, id, kind, partner_id, referral_id, engagement_id, revenue_event_id,
			agreement_id, rule_index, rule, direction, amount_cents, currency, explanation)
		VALUES ($1, $2, 'accrual', $3, $4, $5, $6, $7, 0, '{"kind":"percent_first_project"}', 'we_pay', 100000, 'USD', 'on completion')
		RETURNING tenant_id, id)
		INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		SELECT e.tenant_id, e.id, l.n, l.account, l.partner, l.amount, 'USD' FROM e,
			(VALUES (1::smallint, 'partner_payable', $3::uuid, -100000::bigint), (2, 'commission_expense', NULL, 100000)) AS l(n, account, partner, amount)`,
		w.m.id, nodue, p, r, g, ev.ID, agr)
	w.mustApprove(adj.ID, nodue)

	today := adj.CreatedAt.UTC()
	require.Empty(t, w.preview(ledger.PayoutRun{Direction: commission.WePay, Currency: "USD", UpTo: today.AddDate(0, 0, -1)}).Partners)
	pv := w.preview(ledger.PayoutRun{Direction: commission.WePay, Currency: "USD", UpTo: today.AddDate(1, 0, 0)})
	require.Len(t, pv.Partners, 1)
	require.Len(t, pv.Partners[0].Entries, 1)
	require.Equal(t, adj.ID, pv.Partners[0].Entries[0].ID)
	require.Equal(t, int64(12_345), pv.TotalCents)
	// Other currencies and directions are other runs.
	require.Empty(t, w.preview(ledger.PayoutRun{Direction: commission.WePay, Currency: "EUR", UpTo: today.AddDate(1, 0, 0)}).Partners)
	require.Empty(t, w.preview(ledger.PayoutRun{Direction: commission.WeReceive, Currency: "USD", UpTo: today.AddDate(1, 0, 0)}).Partners)

	// Bad runs.
	for _, run := range []ledger.PayoutRun{
		{Direction: "sideways", Currency: "USD", UpTo: today},
		{Direction: commission.WePay, Currency: "usd", UpTo: today},
		{Direction: commission.WePay, Currency: "USD"},
	} {
		_, err := w.create(run)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "%+v", run)
	}
}

// Two runs created at the same moment make one batch: the second finds
// nothing left to pay.
func TestPayoutConcurrentCreate(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.accrue()
	w.mustApprove(w.ids(p, ledger.KindAccrual)...)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = w.create(payRun("2025-12-31"))
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.Equal(t, apperr.EConflict, apperr.Code(err), "%v", err)
		}
	}
	require.Equal(t, 1, ok)
	require.Equal(t, 1, w.m.count(`SELECT count(*) FROM payout_batches WHERE tenant_id = $1`))
	require.Equal(t, 1, w.m.count(`SELECT count(*) FROM payout_items WHERE tenant_id = $1`))
}

// An entry is in one payout only — a constraint, not a hope: the database
// refuses a second item for it, and a paid payout's items never change.
func TestPayoutOfPaidEntriesRefused(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.accrue()
	acc := w.ids(p, ledger.KindAccrual)
	w.mustApprove(acc...)
	b := w.mustCreate(payRun("2025-12-31"))
	w.mustMarkPaid(b.ID, "2025-05-01", "ACH-1")
	_, err := w.create(payRun("2025-12-31"))
	require.Equal(t, apperr.EConflict, apperr.Code(err))

	ctx := context.Background()
	err = w.in(func(tx pgx.Tx) error {
		var batch, payout uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to)
			VALUES ($1, 99, 'we_pay', 'USD', '2025-12-31') RETURNING id`, w.m.id).Scan(&batch); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents)
			VALUES ($1, $2, 99, $3, 'we_pay', 'USD', 200000) RETURNING id`, w.m.id, batch, p).Scan(&payout); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO payout_items (tenant_id, entry_id, payout_id, partner_id, amount_cents)
			VALUES ($1, $2, $3, $4, 200000)`, w.m.id, acc[0], payout, p)
		return err
	})
	require.True(t, isPgCode(err, "23505"), "%v", err)
	err = w.in(func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM payout_items WHERE tenant_id = $1`, w.m.id)
		return err
	})
	require.True(t, isPgCode(err, "42501"), "%v", err)
	// Nor can a paid batch be cancelled.
	err = w.in(func(tx pgx.Tx) error {
		_, err := ledger.CancelBatch(ctx, tx, w.m.id, b.ID, "oops", w.m.staff)
		return err
	})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Empty(t, w.m.reconcile())
}

// Cancelling a batch (reason required) makes its entries payable again;
// a cancelled batch can't be paid. One payout of a batch can be cancelled
// or paid on its own; the batch closes when none is pending.
func TestPayoutCancelAndPartial(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	q, gq := w.twentyPercent("Harbor Legal")
	w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.mustPay(gq, 2_000_000, "2025-03-10")
	w.m.accrue()
	w.mustApprove(append(w.ids(p, ledger.KindAccrual), w.ids(q, ledger.KindAccrual)...)...)
	ctx := context.Background()
	cancel := func(id uuid.UUID, reason string) (ledger.Batch, error) {
		var b ledger.Batch
		err := w.in(func(tx pgx.Tx) (err error) {
			b, err = ledger.CancelBatch(ctx, tx, w.m.id, id, reason, w.m.staff)
			return err
		})
		return b, err
	}
	b1 := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(600_000), b1.TotalCents)
	require.Equal(t, 2, b1.Payouts)
	_, err := cancel(b1.ID, " ")
	require.Contains(t, apperr.FieldErrors(err), "reason")
	b1, err = cancel(b1.ID, "Wrong date")
	require.NoError(t, err)
	require.Equal(t, ledger.BatchCancelled, b1.Status)
	require.Equal(t, "Wrong date", b1.CancelReason)
	require.NotNil(t, b1.CancelledAt)
	for _, po := range w.payouts(b1.ID) {
		require.Equal(t, ledger.PayoutCancelled, po.Status)
		require.Zero(t, po.Entries)
	}
	_, err = w.markPaid(b1.ID, "2025-05-01", "ACH-1")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	_, err = cancel(b1.ID, "again")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Equal(t, int64(600_000), w.preview(payRun("2025-12-31")).TotalCents)

	b2 := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int32(2), b2.Number)
	ps := w.payouts(b2.ID)
	require.Equal(t, []string{"Brightline Advisory", "Harbor Legal"}, []string{ps[0].PartnerName, ps[1].PartnerName})
	// Cancel Harbor's payout alone: the batch stays open.
	var po ledger.Payout
	err = w.in(func(tx pgx.Tx) (err error) {
		po, err = ledger.CancelPayout(ctx, tx, w.m.id, ps[1].ID, "Bank details missing", w.m.staff)
		return err
	})
	require.NoError(t, err)
	require.Equal(t, ledger.PayoutCancelled, po.Status)
	b, err := w.getBatch(b2.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.BatchOpen, b.Status)
	require.Equal(t, int64(200_000), b.TotalCents)
	// Pay Brightline's alone: the batch is then paid.
	err = w.in(func(tx pgx.Tx) (err error) {
		po, err = ledger.MarkPayoutPaid(ctx, tx, w.m.id, ps[0].ID, w.paidInput("2025-05-02", "ACH-7"))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, ledger.PayoutPaid, po.Status)
	b, err = w.getBatch(b2.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.BatchPaid, b.Status)
	require.Equal(t, "ACH-7", *b.Reference)
	require.Equal(t, int64(400_000), w.m.payable(q))
	require.Zero(t, w.m.payable(p))

	// Harbor's entries are payable again, in a batch of their own.
	b3 := w.mustCreate(payRun("2025-12-31"))
	require.Equal(t, int64(400_000), b3.TotalCents)
	err = w.in(func(tx pgx.Tx) (err error) {
		po, err = ledger.MarkPayoutPaid(ctx, tx, w.m.id, w.payouts(b3.ID)[0].ID, w.paidInput("2025-05-03", "ACH-8"))
		return err
	})
	require.NoError(t, err)
	b, err = w.getBatch(b3.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.BatchPaid, b.Status)
	var bs []ledger.Batch
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		bs, err = ledger.ListBatches(ctx, tx, w.m.id, 10)
		return err
	}))
	require.Equal(t, []int32{3, 2, 1}, []int32{bs[0].Number, bs[1].Number, bs[2].Number})
	require.Empty(t, w.m.reconcile())
}

func (w *payWorld) getBatch(id uuid.UUID) (ledger.Batch, error) {
	var b ledger.Batch
	err := w.in(func(tx pgx.Tx) (err error) {
		b, err = ledger.GetBatch(context.Background(), tx, w.m.id, id)
		return err
	})
	return b, err
}

// The CSV for the bank: one row per payout, dollars with cents, formula
// cells neutralised, no tax details.
func TestPayoutBatchCSV(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("=HYPERLINK(\"http://evil\")")
	w.m.mustPay(g, 1_234_567, "2025-03-10") // 20%: $2,469.13 (half-even)
	w.m.accrue()
	w.mustApprove(w.ids(p, ledger.KindAccrual)...)
	b := w.mustCreate(payRun("2025-12-31"))
	var buf bytes.Buffer
	require.NoError(t, w.in(func(tx pgx.Tx) error {
		return ledger.WriteBatchCSV(context.Background(), tx, w.m.id, b.ID, &buf)
	}))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"Batch", "Partner", "Amount", "Currency", "Reference", "Entries"},
		{"1", `'=HYPERLINK("http://evil")`, "2469.13", "USD", "", "1"},
	}, rows)
	w.mustMarkPaid(b.ID, "2025-05-01", "ACH-1")
	buf.Reset()
	require.NoError(t, w.in(func(tx pgx.Tx) error {
		return ledger.WriteBatchCSV(context.Background(), tx, w.m.id, b.ID, &buf)
	}))
	require.Contains(t, buf.String(), "2469.13,USD,ACH-1,1")
}

// What partners owe us: expected, invoiced (an invoice emailed), received;
// no review and no minimum in that direction.
func TestPayoutReceivables(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p := w.m.partner("Brightline Advisory")
	w.portalUser(p, "pat@brightline.example", "Pat Partner", "partner_admin")
	ctx := context.Background()
	require.NoError(t, w.in(func(tx pgx.Tx) error { return ledger.SetMinPayout(ctx, tx, w.m.id, 1_000_000) }))
	var e ledger.Entry
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		e, err = ledger.Adjust(ctx, tx, w.m.id, ledger.AdjustInput{PartnerID: p, Direction: commission.WeReceive, AmountCents: 50_000,
			Currency: "USD", Reason: "Referral fee for Globex, as agreed", CreatedBy: w.m.staff})
		return err
	}))
	recv := func() []ledger.Receivable {
		var rs []ledger.Receivable
		require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
			rs, err = ledger.Receivables(ctx, tx, w.m.id)
			return err
		}))
		return rs
	}
	require.Equal(t, []ledger.Receivable{{PartnerID: p, PartnerName: "Brightline Advisory", Currency: "USD", ExpectedCents: 50_000}}, recv())
	require.Empty(t, w.queue(ledger.ReviewFilter{}))
	_, err := w.approve(e.ID)
	require.Contains(t, apperr.FieldErrors(err)["entries"], "owed to us")

	run := ledger.PayoutRun{Direction: commission.WeReceive, Currency: "USD", UpTo: e.CreatedAt.AddDate(0, 0, 1),
		Outbox: w.ob, BaseURL: payBaseURL}
	pv := w.preview(run)
	require.Zero(t, pv.MinPayout)
	require.Equal(t, int64(50_000), pv.TotalCents)
	b := w.mustCreate(run)
	require.Equal(t, commission.WeReceive, b.Direction)
	require.Equal(t, []ledger.Receivable{{PartnerID: p, PartnerName: "Brightline Advisory", Currency: "USD", InvoicedCents: 50_000}}, recv())
	ms := w.emails("pat@brightline.example")
	require.Len(t, ms, 1)
	require.Equal(t, "Invoice from Northwind Advisory: $500.00", ms[0].Subject)
	require.Contains(t, ms[0].Text, "invoice #1")

	w.mustMarkPaid(b.ID, e.CreatedAt.UTC().Format(time.DateOnly), "WIRE-55")
	require.Equal(t, []ledger.Receivable{{PartnerID: p, PartnerName: "Brightline Advisory", Currency: "USD", ReceivedCents: 50_000}}, recv())
	require.Len(t, w.emails("pat@brightline.example"), 1) // no "paid you" for money received
	var bal []ledger.Balance
	require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
		bal, err = ledger.Balances(ctx, tx, w.m.id, p)
		return err
	}))
	require.Equal(t, []ledger.Balance{{Currency: "USD"}}, bal)
	es := w.m.entries(p)
	require.Equal(t, "Received #1: $500.00, reference WIRE-55", es[len(es)-1].Explanation)
	require.Empty(t, w.m.reconcile())
}

// Another firm finds none of it; a partner in the portal sees its own
// payouts (without batch numbers: batches span partners) and nothing of
// another partner's.
func TestPayoutIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, other := newPayWorld(t, f), newPayWorld(t, f)
	p, g := w.twentyPercent("Brightline Advisory")
	q, gq := w.twentyPercent("Harbor Legal")
	w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.mustPay(gq, 1_000_000, "2025-03-10")
	w.m.accrue()
	w.mustApprove(append(w.ids(p, ledger.KindAccrual), w.ids(q, ledger.KindAccrual)...)...)
	b := w.mustCreate(payRun("2025-12-31"))
	ps := w.payouts(b.ID)
	ctx := context.Background()

	otherIn := func(fn func(tx pgx.Tx) error) error { return other.in(fn) }
	for name, fn := range map[string]func(tx pgx.Tx) error{
		"get batch":  func(tx pgx.Tx) error { _, err := ledger.GetBatch(ctx, tx, other.m.id, b.ID); return err },
		"get payout": func(tx pgx.Tx) error { _, err := ledger.GetPayout(ctx, tx, other.m.id, ps[0].ID); return err },
		"mark paid": func(tx pgx.Tx) error {
			_, err := ledger.MarkBatchPaid(ctx, tx, other.m.id, b.ID, other.paidInput("2025-05-01", "X"))
			return err
		},
		"pay payout": func(tx pgx.Tx) error {
			_, err := ledger.MarkPayoutPaid(ctx, tx, other.m.id, ps[0].ID, other.paidInput("2025-05-01", "X"))
			return err
		},
		"cancel": func(tx pgx.Tx) error {
			_, err := ledger.CancelBatch(ctx, tx, other.m.id, b.ID, "x", other.m.staff)
			return err
		},
		"cancel payout": func(tx pgx.Tx) error {
			_, err := ledger.CancelPayout(ctx, tx, other.m.id, ps[0].ID, "x", other.m.staff)
			return err
		},
		"csv": func(tx pgx.Tx) error { return ledger.WriteBatchCSV(ctx, tx, other.m.id, b.ID, &bytes.Buffer{}) },
		// The right firm's id in another firm's transaction: RLS hides it.
		"rls": func(tx pgx.Tx) error { _, err := ledger.GetBatch(ctx, tx, w.m.id, b.ID); return err },
	} {
		require.Equal(t, apperr.ENotFound, apperr.Code(otherIn(fn)), name)
	}
	require.NoError(t, otherIn(func(tx pgx.Tx) error {
		bs, err := ledger.ListBatches(ctx, tx, other.m.id, 10)
		require.Empty(t, bs)
		return err
	}))

	asPortal := func(fn func(tx pgx.Tx) error) error { return f.db.InPortal(ctx, w.m.id, p, fn) }
	require.NoError(t, asPortal(func(tx pgx.Tx) error {
		mine, err := ledger.PartnerPayouts(ctx, tx, w.m.id, p)
		require.NoError(t, err)
		require.Len(t, mine, 1)
		require.Equal(t, int64(200_000), mine[0].AmountCents)
		require.Equal(t, "Brightline Advisory", mine[0].PartnerName)
		require.Equal(t, int32(1), mine[0].BatchNumber, "the portal sees the batch's number")
		require.Equal(t, 1, mine[0].Entries)
		theirs, err := ledger.PartnerPayouts(ctx, tx, w.m.id, q)
		require.NoError(t, err)
		require.Empty(t, theirs)
		st, err := ledger.EntryReviews(ctx, tx, w.m.id, append(w.ids(p, ledger.KindAccrual), w.ids(q, ledger.KindAccrual)...))
		require.NoError(t, err)
		require.Len(t, st, 1)
		require.Equal(t, ledger.ReviewApproved, st[w.ids(p, ledger.KindAccrual)[0]].Review)
		bs, err := ledger.ListBatches(ctx, tx, w.m.id, 10)
		require.Empty(t, bs)
		return err
	}))
	// The portal can't review or pay.
	err := asPortal(func(tx pgx.Tx) error {
		_, err := ledger.MarkPayoutPaid(ctx, tx, w.m.id, ps[0].ID, w.paidInput("2025-05-01", "X"))
		return err
	})
	require.Error(t, err)
}

// Reconcile catches payouts out of step with the ledger.
func TestReconcileFindsPayoutDiscrepancies(t *testing.T) {
	t.Parallel()
	w := newPayWorld(t, newFixture(t))
	p, g := w.twentyPercent("Brightline Advisory")
	w.m.mustPay(g, 1_000_000, "2025-03-10")
	w.m.mustPay(g, 1_000_000, "2025-03-11")
	w.m.accrue()
	acc := w.ids(p, ledger.KindAccrual)
	w.mustApprove(acc[0])
	b := w.mustCreate(payRun("2025-12-31"))
	w.mustMarkPaid(b.ID, "2025-05-01", "ACH-1")
	require.Empty(t, w.m.reconcile())
	q := w.m.partner("Harbor Legal")

	ctx := context.Background()
	tx, err := w.m.f.owner.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	exec := func(sql string, args ...any) {
		_, err := tx.Exec(ctx, sql, args...)
		require.NoError(t, err, sql)
	}
	exec(`SET LOCAL session_replication_role = replica`)
	// The paid payout's amount drifts from its entry and its items.
	exec(`UPDATE payouts SET amount_cents = amount_cents + 1 WHERE tenant_id = $1`, w.m.id)
	// An open payout with no items, and a payout entry recording it.
	var empty uuid.UUID
	require.NoError(t, tx.QueryRow(ctx, `INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents)
		VALUES ($1, $2, $3, $4, 'we_pay', 'USD', 5) RETURNING id`, w.m.id, b.ID, b.Number, q).Scan(&empty))
	exec(`INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency, payout_id)
		VALUES ($1, $2, 'payout', $3, 'we_pay', -5, 'USD', $4)`, w.m.id, uuid.New(), q, empty)
	exec(`SET LOCAL session_replication_role = origin`)
	exec(`SELECT set_config('app.tenant_id', $1, true)`, w.m.id.String())
	ds, err := ledger.Reconcile(ctx, tx, w.m.id)
	require.NoError(t, err)
	checks := map[string]bool{}
	for _, d := range ds {
		checks[d.Check] = true
	}
	for _, c := range []string{"payout_entry", "payout_entry_unpaid", "payout_items", "empty_payout", "batch_status"} {
		require.True(t, checks[c], "%s not found in %v", c, ds)
	}
}
