package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// For random sequences of payments, refunds, credit notes and payout runs
// (review, batch, mark paid), with accrual run at random points: the
// balance equals accruals − reversals − payouts, paid equals the paid
// payouts, the balance is what no paid payout settled, no payment is reversed
// beyond what it earned, the ongoing rule's net equals an independent
// model, reconciliation finds nothing and accruing again adds nothing.
func TestPropertyPaymentsAndRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seen := map[string]int{} // entry kinds over every sequence
	runs := 0                // payout runs that paid
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			m := f.firm()
			p := m.partner("Brightline Advisory")
			const ongoingBP = 1250
			m.agreement(p, "2024-01-01", 30,
				commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: ongoingBP},
				commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
			r := m.referral(p, "Acme", "2024-06-01")
			engs := []uuid.UUID{
				m.engagement(r, p, "project", 10_000_000, "2025-01-01"),
				m.engagement(r, p, "retainer", 10_000_000, "2025-02-01"),
			}
			type payment struct {
				id      uuid.UUID
				eng     int
				left    int64 // not yet refunded
				ongoing int64 // model: what the ongoing rule still holds on it
			}
			w := &payWorld{t: t, m: m}
			var pays []*payment
			var unlinked []int64 // credit notes not tied to a payment, in order
			day := date("2025-01-01")
			ctx := context.Background()
			for step := 0; step < 40; step++ {
				day = day.AddDate(0, 0, 1+rng.IntN(5))
				on := day.Format(time.DateOnly)
				switch op := rng.IntN(10); {
				case op < 5:
					amt := 1 + rng.Int64N(2_000_000)
					e := rng.IntN(2)
					ev := m.mustPay(engs[e], amt, on)
					pays = append(pays, &payment{id: ev.ID, eng: e, left: amt, ongoing: commission.ApplyRate(amt, ongoingBP)})
				case op < 7 && len(pays) > 0:
					pp := pays[rng.IntN(len(pays))]
					if pp.left == 0 {
						continue
					}
					amt := 1 + rng.Int64N(pp.left)
					if rng.IntN(3) == 0 {
						amt = pp.left
					}
					_, err := m.pay(ledger.RevenueInput{EngagementID: engs[pp.eng], AmountCents: -amt, PaidOn: day, RefundOfID: pp.id})
					require.NoError(t, err)
					pp.left -= amt
					pp.ongoing -= min(commission.ApplyRate(amt, ongoingBP), pp.ongoing)
				case op < 8:
					amt := 1 + rng.Int64N(500_000)
					m.mustPay(engs[rng.IntN(2)], -amt, on)
					unlinked = append(unlinked, amt)
				case op < 9:
					m.accrue()
				default:
					// A payout run: some of what awaits review is approved,
					// then what is approved and due by the day is paid.
					m.accrue()
					var ids []uuid.UUID
					for _, it := range w.queue(ledger.ReviewFilter{}) {
						if rng.IntN(3) > 0 {
							ids = append(ids, it.Entry.ID)
						}
					}
					if len(ids) > 0 {
						w.mustApprove(ids...)
					}
					b, err := w.create(payRun(on))
					if apperr.Code(err) == apperr.EConflict {
						continue // nothing payable (or deductions exceed it)
					}
					require.NoError(t, err)
					require.Positive(t, b.TotalCents)
					w.mustMarkPaid(b.ID, on, "PAY-"+on)
					runs++
				}
			}
			m.accrue()

			es := m.entries(p)
			var acc, rev, paid int64
			perPayment := map[uuid.UUID]int64{}
			var ongoingNet int64
			for _, e := range es {
				seen[e.Kind]++
				switch e.Kind {
				case ledger.KindAccrual:
					acc += e.AmountCents
				case ledger.KindReversal:
					rev -= e.AmountCents
				case ledger.KindPayout:
					paid -= e.AmountCents
				default:
					t.Fatalf("unexpected entry %s", e.Kind)
				}
				if e.RuleIndex != nil && *e.RuleIndex == 0 {
					ongoingNet += e.AmountCents
				}
				if e.RevenueEventID != nil {
					perPayment[*e.RevenueEventID] += e.AmountCents
				}
			}
			bal := m.payable(p)
			require.Equal(t, acc-rev-paid, bal)
			// Paid is what the paid payouts paid, and the balance is what
			// no paid payout settled (a clawback after a payout may take
			// it below zero until the next one).
			var payouts []ledger.Payout
			require.NoError(t, w.in(func(tx pgx.Tx) (err error) {
				payouts, err = ledger.ListPayouts(ctx, tx, m.id, ledger.PayoutFilter{PartnerID: &p, Status: ledger.PayoutPaid}, ledger.PagePos{}, 1000)
				return err
			}))
			var paidOut int64
			for _, po := range payouts {
				paidOut += po.AmountCents
			}
			require.Equal(t, paid, paidOut)
			ids := make([]uuid.UUID, len(es))
			for i, e := range es {
				ids[i] = e.ID
			}
			states := w.states(ids...)
			var unsettled int64
			for _, e := range es {
				if e.Kind != ledger.KindPayout && states[e.ID].PayoutStatus != ledger.PayoutPaid {
					unsettled += e.AmountCents
				}
			}
			require.Equal(t, unsettled, bal)

			// The model of the ongoing rule: each payment's commission less
			// its refunds (capped at what it earned), then the credit notes,
			// each capped at what the rule still holds on the referral.
			var model int64
			for _, pp := range pays {
				model += pp.ongoing
			}
			// Credit notes are applied in payment order among the rest, so
			// the model only bounds them: the ledger is between the model
			// less every credit note and the model.
			var credits int64
			for _, c := range unlinked {
				credits += commission.ApplyRate(c, ongoingBP)
			}
			require.LessOrEqual(t, ongoingNet, model)
			require.GreaterOrEqual(t, ongoingNet, max(0, model-credits))
			if len(unlinked) == 0 {
				require.Equal(t, model, ongoingNet)
			}
			require.Empty(t, m.reconcile())

			before := len(es)
			require.Equal(t, ledger.Stats{}, m.accrue())
			require.Len(t, m.entries(p), before)
			require.Zero(t, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1 AND accrual_status = 'pending'`))
		})
	}
	// The sequences did exercise every kind of entry.
	require.Positive(t, seen[ledger.KindAccrual], "%v", seen)
	require.Positive(t, seen[ledger.KindReversal], "%v", seen)
	require.Positive(t, seen[ledger.KindPayout], "%v", seen)
	require.Positive(t, runs)
}

// snapshot renders a firm's ledger independently of ids and times.
func snapshot(t *testing.T, m *firm) []string {
	t.Helper()
	rows, err := m.f.owner.Query(context.Background(), `SELECT ev.external_ref, je.rule_index, je.kind, je.amount_cents,
			je.due_on, je.rate_bp, je.explanation,
			(SELECT string_agg(l.line_no || ':' || l.account || ':' || l.amount_cents, ' ' ORDER BY l.line_no)
			 FROM journal_lines l WHERE l.tenant_id = je.tenant_id AND l.entry_id = je.id)
		FROM journal_entries je JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
		WHERE je.tenant_id = $1`, m.id)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var ref, kind, expl, lines string
		var idx int
		var amt, rate int64
		var due time.Time
		require.NoError(t, rows.Scan(&ref, &idx, &kind, &amt, &due, &rate, &expl, &lines))
		out = append(out, fmt.Sprintf("%s r%d %s %d due %s @%d %q [%s]", ref, idx, kind, amt, due.Format(time.DateOnly), rate, expl, lines))
	}
	require.NoError(t, rows.Err())
	rows, err = m.f.owner.Query(context.Background(), `SELECT external_ref, accrual_status, accrual_note FROM revenue_events WHERE tenant_id = $1`, m.id)
	require.NoError(t, err)
	for rows.Next() {
		var ref, st, note string
		require.NoError(t, rows.Scan(&ref, &st, &note))
		out = append(out, fmt.Sprintf("event %s %s %q", ref, st, note))
	}
	require.NoError(t, rows.Err())
	sort.Strings(out)
	return out
}

// The accrual job killed midway (one batch committed, the next rolled back
// after it had written entries) and run again gives exactly the ledger of
// an uninterrupted run.
func TestAccrualKilledMidwayThenRerun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	build := func() *firm {
		m := f.firm()
		p := m.partner("Brightline Advisory")
		m.agreement(p, "2024-01-01", 15,
			commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1000, Months: 6},
			commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 500})
		q := m.partner("No Agreement LLP")
		r := m.referral(p, "Acme", "2024-06-01")
		g1 := m.engagement(r, p, "project", 10_000_000, "2025-01-10")
		g2 := m.engagement(r, p, "retainer", 10_000_000, "2025-02-10")
		gq := m.engagement(m.referral(q, "Globex", "2024-06-01"), q, "project", 1_000_000, "2025-01-10")
		var last uuid.UUID
		for i := range 10 {
			on := date("2025-01-15").AddDate(0, i, 0)
			ev, err := m.pay(ledger.RevenueInput{EngagementID: []uuid.UUID{g1, g2}[i%2], AmountCents: int64(100_000 * (i + 1)), PaidOn: on, ExternalRef: fmt.Sprintf("INV-%02d", i)})
			require.NoError(t, err)
			if i == 4 {
				last = ev.ID
			}
		}
		_, err := m.pay(ledger.RevenueInput{EngagementID: g1, AmountCents: -250_000, PaidOn: date("2025-07-01"), RefundOfID: last, ExternalRef: "CN-1"})
		require.NoError(t, err)
		_, err = m.pay(ledger.RevenueInput{EngagementID: gq, AmountCents: 500_000, PaidOn: date("2025-03-01"), ExternalRef: "INV-Q"})
		require.NoError(t, err)
		return m
	}
	whole, killed := build(), build()
	whole.accrue()
	want := snapshot(t, whole)
	require.Len(t, want, 12+13) // 12 events, 13 entries

	ctx := context.Background()
	// A first batch commits.
	require.NoError(t, f.db.InTenant(ctx, killed.id, func(tx pgx.Tx) error {
		st, err := ledger.AccrueBatch(ctx, tx, killed.id, 3, accrueNow)
		require.Equal(t, 3, st.Events)
		return err
	}))
	// The next one is killed after writing its entries.
	errKilled := errors.New("killed")
	err := f.db.InTenant(ctx, killed.id, func(tx pgx.Tx) error {
		st, err := ledger.AccrueBatch(ctx, tx, killed.id, 4, accrueNow)
		require.NoError(t, err)
		require.Positive(t, st.Entries)
		return errKilled
	})
	require.ErrorIs(t, err, errKilled)
	// A cancelled context mid-run leaves nothing half-done either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ledger.AccruePending(cctx, f.db, killed.id, 2, accrueNow)
	require.Error(t, err)
	require.NotEqual(t, want, snapshot(t, killed))

	// The job runs again.
	w := ledger.NewAccrueWorker(f.app, nil)
	w.Batch = 2
	w.Now = func() time.Time { return accrueNow }
	require.NoError(t, w.Work(ctx, &river.Job[ledger.AccrueArgs]{Args: ledger.AccrueArgs{TenantID: killed.id}}))
	require.Equal(t, want, snapshot(t, killed))
	require.Empty(t, killed.reconcile())
	require.NoError(t, w.Work(ctx, &river.Job[ledger.AccrueArgs]{Args: ledger.AccrueArgs{TenantID: killed.id}}))
	require.Equal(t, want, snapshot(t, killed))
}
