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

func TestWhyNothingEarned(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	// The firm's day starts 14 hours before UTC's: a referral made at 10:00
	// UTC on 1 Feb was made on 2 Feb there.
	m.f.exec(`UPDATE tenant_settings SET time_zone = 'Pacific/Kiritimati' WHERE tenant_id = $1`, m.id)
	pa := m.partner("Paid Partner")
	m.agreement(pa, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	pb := m.partner("No Paper")
	pc := m.partner("Swap Shop")
	m.agreement(pc, "2025-01-01", 30, commission.Rule{Kind: commission.ReciprocityOnly, Direction: commission.WePay})

	unpaid := m.referral(pa, "Unpaid Co", "2025-02-01")
	earned := m.referral(pa, "Earned Co", "2025-02-01")
	m.mustPay(m.engagement(earned, pa, "project", 100_000, "2025-03-01"), 100_000, "2025-03-10")
	pending := m.referral(pa, "Pending Co", "2025-02-01")
	pendingEng := m.engagement(pending, pa, "project", 100_000, "2025-03-01")
	second := m.referral(pa, "Second Co", "2025-02-01")
	m.engagement(second, pa, "project", 100_000, "2025-03-01")
	m.mustPay(m.engagement(second, pa, "project", 100_000, "2025-04-01"), 100_000, "2025-04-10")
	noPaper := m.referral(pb, "No Paper Co", "2025-02-01")
	m.mustPay(m.engagement(noPaper, pb, "project", 100_000, "2025-03-01"), 100_000, "2025-03-10")
	swap := m.referral(pc, "Swap Co", "2025-02-01")
	m.mustPay(m.engagement(swap, pc, "project", 100_000, "2025-03-01"), 100_000, "2025-03-10")
	lost := m.referral(pa, "Lost Co", "2025-02-01")
	m.f.exec(`UPDATE referrals SET status = 'lost', close_reason = 'budget' WHERE id = $1`, lost)
	credited := m.referral(pa, "Credited Co", "2025-02-01")
	m.f.exec(`UPDATE referrals SET credited_partner_id = $2 WHERE id = $1`, credited, pc)
	m.accrue()
	m.mustPay(pendingEng, 100_000, "2025-03-10")
	other := m.f.firm()
	op := other.partner("Elsewhere")
	otherRef := other.referral(op, "Their Co", "2025-02-01")

	all := []uuid.UUID{unpaid, earned, pending, second, noPaper, swap, lost, credited, otherRef}
	var why map[uuid.UUID]string
	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		why, err = ledger.WhyNothingEarned(context.Background(), tx, m.id, all)
		return err
	}))
	require.Equal(t, map[uuid.UUID]string{
		unpaid:   "The client hasn't paid yet.",
		pending:  "Payment recorded, commission being calculated.",
		second:   "Not the first project.",
		noPaper:  "No agreement was in force on 2 Feb 2025, the day the referral was made.",
		swap:     "Reciprocity only — no cash.",
		credited: ledger.WhyCreditedElsewhere,
	}, why)

	// In the portal, a partner sees its own referrals' reasons.
	require.NoError(t, m.f.db.InPortal(context.Background(), m.id, pb, func(tx pgx.Tx) (err error) {
		why, err = ledger.WhyNothingEarned(context.Background(), tx, m.id, []uuid.UUID{noPaper})
		return err
	}))
	require.Equal(t, "No agreement was in force on 2 Feb 2025, the day the referral was made.", why[noPaper])

	require.NoError(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		why, err = ledger.WhyNothingEarned(context.Background(), tx, m.id, nil)
		return err
	}))
	require.Empty(t, why)
}
