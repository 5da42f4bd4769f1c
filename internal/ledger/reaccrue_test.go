package ledger_test

import (
	"context"
	"fmt"
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

// A payment with no agreement in force is imported and flagged; once the
// agreement is recorded, Reaccrue places it.
func TestImportNoAgreementThenReaccrue(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Quiet Partner")
	ref := m.referral(p, "Nopact", "2025-02-01")
	eng := m.engagement(ref, p, "project", 1_000_000, "2025-03-01")
	plan, res, err := m.importCSV(fmt.Sprintf("referral,amount,paid_on\nR-%d,10000,2025-03-10\n", m.refNumber(ref)), false, "")
	require.NoError(t, err)
	require.Equal(t, 1, res.Flagged)
	ev := plan.Rows[0].EventID
	require.Equal(t, ledger.StatusNoAgreement, m.event(ev).AccrualStatus)

	var us []ledger.UnresolvedPayment
	var total int
	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		us, total, err = ledger.UnresolvedPayments(context.Background(), tx, m.id, 0)
		return err
	}))
	require.Equal(t, 1, total)
	require.Equal(t, "Quiet Partner", us[0].PartnerName)
	require.Equal(t, "2025-02-01", us[0].ReferralDay.Format(time.DateOnly))
	require.Equal(t, eng, us[0].Event.EngagementID)

	reaccrue := func(ids ...uuid.UUID) (ledger.ReaccrueResult, error) {
		var r ledger.ReaccrueResult
		err := m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
			r, err = ledger.Reaccrue(context.Background(), tx, m.id, ids, accrueNow)
			return err
		})
		return r, err
	}
	r, err := reaccrue(ev)
	require.NoError(t, err)
	require.Equal(t, ledger.ReaccrueResult{Retried: 1, Accrual: ledger.Stats{Events: 1, NoAgreement: 1}, StillUnresolved: 1}, r)

	m.agreement(p, "2025-01-15", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000})
	r, err = reaccrue(ev, ev)
	require.NoError(t, err)
	require.Equal(t, ledger.ReaccrueResult{Retried: 1, Accrual: ledger.Stats{Events: 1, Entries: 1}}, r)
	require.Equal(t, []int64{100_000}, amounts(m.entries(p), ledger.KindAccrual))
	r, err = reaccrue(ev)
	require.NoError(t, err)
	require.Equal(t, ledger.ReaccrueResult{}, r, "already accrued: left alone")
	require.Empty(t, m.reconcile())

	_, err = reaccrue()
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	_, err = reaccrue(uuid.New())
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
	other := m.f.firm()
	op := other.partner("X")
	oev := other.mustPay(other.engagement(other.referral(op, "Y", "2025-02-01"), op, "project", 100, "2025-03-01"), 100, "2025-03-02")
	_, err = reaccrue(oev.ID)
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "another firm's payment is not found")
	require.Equal(t, ledger.StatusPending, other.event(oev.ID).AccrualStatus)
}

// The periodic accrual retries flagged payments whose partner now has an
// agreement in force, and accrues pending ones; idle, it does nothing.
func TestAccrueFirmPeriodic(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Late Paper")
	g := m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 1_000_000, "2025-03-01")
	q := m.partner("Never Signed")
	h := m.engagement(m.referral(q, "Globex", "2025-02-01"), q, "project", 1_000_000, "2025-03-01")
	flagged := m.mustPay(g, 100_000, "2025-03-10")
	m.mustPay(h, 100_000, "2025-03-10")
	require.Equal(t, ledger.Stats{Events: 2, NoAgreement: 2}, m.accrue())

	run := func() ledger.PeriodicResult {
		res, err := ledger.AccrueFirm(context.Background(), m.f.db, m.id, 0, accrueNow)
		require.NoError(t, err)
		return res
	}
	require.Equal(t, ledger.PeriodicResult{}, run(), "no agreement yet: nothing to retry")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	pending := m.mustPay(g, 50_000, "2025-03-20")
	res := run()
	require.Equal(t, 1, res.Retried)
	require.Equal(t, ledger.Stats{Events: 2, Entries: 2}, res.Accrual)
	require.Equal(t, ledger.StatusAccrued, m.event(flagged.ID).AccrualStatus)
	require.Equal(t, ledger.StatusAccrued, m.event(pending.ID).AccrualStatus)
	require.Equal(t, []int64{20_000, 10_000}, amounts(m.entries(p), ledger.KindAccrual))
	require.Equal(t, ledger.PeriodicResult{}, run(), "a second run changes nothing")
	require.Empty(t, m.reconcile())
}

// The periodic worker registers with River and, run, accrues every firm.
func TestAccruePeriodicWorker(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	require.NoError(t, river.AddWorkerSafely(river.NewWorkers(), ledger.NewAccruePeriodicWorker(f.app, nil)))
	require.NotNil(t, ledger.AccruePeriodicJob())
	require.Equal(t, "ledger_accrue_periodic", ledger.AccruePeriodicArgs{}.Kind())
	var evs []uuid.UUID
	var firms []*firm
	for range 2 {
		m := f.firm()
		p := m.partner("Brightline")
		m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
		evs = append(evs, m.mustPay(m.engagement(m.referral(p, "Acme", "2025-02-01"), p, "project", 100, "2025-03-01"), 100_000, "2025-03-10").ID)
		firms = append(firms, m)
	}
	w := ledger.NewAccruePeriodicWorker(f.app, nil)
	w.Now = func() time.Time { return accrueNow }
	require.NoError(t, w.Work(context.Background(), &river.Job[ledger.AccruePeriodicArgs]{}))
	for i, m := range firms {
		require.Equal(t, ledger.StatusAccrued, m.event(evs[i]).AccrualStatus)
	}
}
