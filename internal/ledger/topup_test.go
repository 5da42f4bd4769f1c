package ledger_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

// Volume tiers applied retroactively to the year: the 1st–3rd won
// referrals' payments accrue at 10%; the 4th referral's payment accrues at
// 15% and tops the three earlier ones up by 5%; the 11th at 20% tops all
// ten earlier payments up to 20% (the first three by 5% more, once each).
// Accruing again adds nothing; a refund of a topped-up payment claws back
// at the topped-up rate.
func TestWorkedVolumeTiersRetroactive(t *testing.T) {
	t.Parallel()
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay,
		Period: commission.CalendarYear, Mode: commission.Retroactive, Tiers: commission.DefaultVolumeTiers()})
	var pays []ledger.RevenueEvent
	for i := 1; i <= 11; i++ {
		on := fmt.Sprintf("2025-%02d-01", i)
		r := m.referral(p, fmt.Sprintf("Client %d", i), on)
		g := m.engagement(r, p, "project", 1_000_000, on)
		pays = append(pays, m.mustPay(g, 1_000_000, fmt.Sprintf("2025-%02d-15", i)))
	}
	m.accrue()
	es := m.entries(p)
	perEvent := map[string]int64{}
	var topUps []int64
	for _, e := range es {
		perEvent[e.RevenueEventID.String()] += e.AmountCents
		if e.TopUpBP != 0 {
			topUps = append(topUps, e.AmountCents)
			require.Contains(t, e.Explanation, "Retroactive top-up")
		}
	}
	// Every payment ends at 20% of $10,000.
	for i, ev := range pays {
		require.Equal(t, int64(200_000), perEvent[ev.ID.String()], "payment %d", i+1)
	}
	// Top-ups: the 1st–3rd to 15% when the 4th is paid (3 × $500), then the
	// 1st–10th to 20% when the 11th is paid (10 × $500).
	var sum int64
	for _, v := range topUps {
		sum += v
	}
	// Accrued at own rate: 3 × $1,000 + 7 × $1,500 + $2,000 = $15,500; total due 11 × $2,000 = $22,000.
	require.Equal(t, int64(2_200_000-1_550_000), sum)
	require.Equal(t, 3+10, len(topUps))
	require.Equal(t, int64(2_200_000), m.payable(p))
	require.Empty(t, m.reconcile())
	require.Equal(t, ledger.Stats{}, m.accrue(), "accruing again adds nothing")

	// A full refund of the first payment claws back all $2,000 it earned.
	refundOf := pays[0].ID
	ev, err := m.pay(ledger.RevenueInput{EngagementID: pays[0].EngagementID, AmountCents: -1_000_000, Currency: "USD",
		PaidOn: date("2025-12-01"), RefundOfID: refundOf})
	require.NoError(t, err)
	m.accrue()
	require.Equal(t, int64(2_000_000), m.payable(p))
	var refunded int64
	for _, e := range m.entries(p) {
		if *e.RevenueEventID == ev.ID {
			refunded += e.AmountCents
		}
	}
	require.Equal(t, int64(-200_000), refunded)
	require.Empty(t, m.reconcile())
}
