package programdash

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
)

func ptr(v int64) *int64 { return &v }

func TestRatiosFloorAndNeverDivideByZero(t *testing.T) {
	// The worked examples, in cents.
	require.Equal(t, ptr(500), ROIX100(100_000_000, 20_000_000), "$1,000,000 over $200,000 is 5.00:1")
	require.Equal(t, ptr(7000), ShareBP(70_000_000, 100_000_000), "$700,000 of $1,000,000 is 70.00%")
	// Floored, so never better than it is: 4.999… is 4.99, 2/3 is 66.66%.
	require.Equal(t, ptr(499), ROIX100(99_999_999, 20_000_000))
	require.Equal(t, ptr(6666), ShareBP(2, 3))
	// Refunds can make revenue negative; floored toward minus infinity.
	require.Equal(t, ptr(-50), ShareBP(-1, 200))
	require.Equal(t, ptr(-1), ShareBP(-1, 20_000))
	// Nothing to divide by: no figure at all, never ∞.
	require.Nil(t, ROIX100(100, 0))
	require.Nil(t, ROIX100(100, -5))
	require.Nil(t, ShareBP(100, 0))
	// The largest amounts program inputs allow (10^15 cents) don't overflow.
	require.Equal(t, ptr(10_000), ShareBP(1_000_000_000_000_000, 1_000_000_000_000_000))
	require.Equal(t, ptr(100_000_000_000_000_000), ROIX100(1_000_000_000_000_000, 1))
	// A ratio past int64 is no figure rather than a wrapped one.
	require.Nil(t, ShareBP(math.MaxInt64, 1))
}

func entered(q period.Quarter, revenue, cost int64) program.QuarterInputs {
	in := program.QuarterInputs{Quarter: q, TotalNewRevenueCents: revenue, ManagementCostCents: cost}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	in.UpdatedAt = &at
	return in
}

func TestSpanVerdicts(t *testing.T) {
	g := DefaultGoals
	q3 := period.Quarter{Year: 2026, Q: 3}
	q4 := q3.Next()

	// The worked example over a year: 5.0:1 meets the 5:1 goal.
	s := newSpan([]quarterMoney{{Quarter: q3, Revenue: 100_000_000, Commission: 5_000_000,
		Inputs: entered(q3, 400_000_000, 15_000_000)}}, g)
	require.Equal(t, int64(20_000_000), s.ProgramCostCents)
	require.Equal(t, ptr(500), s.ROIX100)
	require.Equal(t, Met, s.ROIStatus)
	require.Equal(t, ptr(2500), s.RevenueShareBP)
	require.Equal(t, Within, s.ShareStatus)
	require.Equal(t, "Q3 2026", s.Label())

	// A cent short of the goal is not met.
	s = newSpan([]quarterMoney{{Quarter: q3, Revenue: 99_999_999, Commission: 5_000_000,
		Inputs: entered(q3, 1_000_000_000, 15_000_000)}}, g)
	require.Equal(t, ptr(499), s.ROIX100)
	require.Equal(t, NotMet, s.ROIStatus)
	require.Equal(t, Below, s.ShareStatus) // 9.99%

	// Share above the range; the range's edges are within it.
	for _, c := range []struct {
		rev, total int64
		want       string
	}{{41, 100, Above}, {40, 100, Within}, {20, 100, Within}, {19, 100, Below}} {
		s = newSpan([]quarterMoney{{Quarter: q3, Revenue: c.rev, Inputs: entered(q3, c.total, 1)}}, g)
		require.Equal(t, c.want, s.ShareStatus, "%d of %d", c.rev, c.total)
	}

	// A quarter without inputs: neither share nor ROI, and which quarter.
	s = newSpan([]quarterMoney{
		{Quarter: q3, Revenue: 100, Inputs: entered(q3, 1000, 10)},
		{Quarter: q4, Revenue: 100, Commission: 7, Inputs: program.QuarterInputs{Quarter: q4}},
	}, g)
	require.Equal(t, "Q3–Q4 2026", s.Label())
	require.Equal(t, []period.Quarter{q4}, s.Missing)
	require.Nil(t, s.ROIX100)
	require.Nil(t, s.RevenueShareBP)
	require.Equal(t, WhyInputs, s.ROIWhy)
	require.Equal(t, Unknown, s.ROIStatus)
	require.Equal(t, Unknown, s.ShareStatus)
	require.Equal(t, int64(17), s.ProgramCostCents, "the costs known are still summed")

	// Inputs entered as zeros, no commissions: nothing to divide by.
	s = newSpan([]quarterMoney{{Quarter: q3, Revenue: 100, Inputs: entered(q3, 0, 0)}}, g)
	require.Nil(t, s.ROIX100)
	require.Equal(t, WhyNoCost, s.ROIWhy)
	require.Nil(t, s.RevenueShareBP)
	require.Equal(t, WhyNoRevenue, s.ShareWhy)

	require.Equal(t, "Q4 2025 – Q3 2026", Span{From: period.Quarter{Year: 2025, Q: 4}, To: q3}.Label())
}

func TestConcentrationTop3(t *testing.T) {
	q := period.Quarter{Year: 2026, Q: 4}
	var revs []PartnerRevenue
	for i, v := range []int64{60_000, 400_000, 100_000, 200_000, 90_000, 80_000, 70_000, 0, -500} {
		revs = append(revs, PartnerRevenue{Name: string(rune('A' + i)), RevenueCents: v * 100})
	}
	c := concentrate(revs, q.Last(4)[0], q)
	require.Equal(t, int64(100_000_000-50_000), c.TotalCents)
	require.Equal(t, 7, c.Partners)
	require.Len(t, c.Top, TopCount)
	require.Equal(t, []string{"B", "D", "C", "E", "F"}, []string{c.Top[0].Name, c.Top[1].Name, c.Top[2].Name, c.Top[3].Name, c.Top[4].Name})
	require.Equal(t, int64(70_000_000), c.Top3Cents)
	// $700,000 of $999,500 (a $500 refund): 70.03%, floored.
	require.Equal(t, ptr(7003), c.Top3ShareBP)

	// Exactly the worked example.
	c = concentrate(revs[:7], q, q)
	require.Equal(t, ptr(7000), c.Top3ShareBP)
	require.Equal(t, ptr(4000), c.Top[0].ShareBP)

	// No revenue: no share.
	c = concentrate(nil, q, q)
	require.Nil(t, c.Top3ShareBP)
	require.Empty(t, c.Top)
}
