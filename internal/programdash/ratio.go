package programdash

import "math/big"

// Rounding: every ratio is floored (rounded toward minus infinity) to its
// integer unit — basis points for shares, hundredths for the ROI — so a
// figure is never shown better than it is: 4.999:1 is 499 (4.99:1), not
// 5:1. Goals are integers in the same units, so comparing the floored
// figure with a goal gives the same answer as comparing the exact ratio
// (floor(x) >= g exactly when x >= g for an integer g).
//
// The products are taken in big integers: cents up to 10^15 (what program
// inputs allow) times 10,000 do not fit in an int64.

// floorRatio is floor(num × scale / den), nil when den ≤ 0 (nothing to
// divide by: no ROI or share rather than ∞).
func floorRatio(num, den, scale int64) *int64 {
	if den <= 0 {
		return nil
	}
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(scale))
	// Div is Euclidean division: with a positive divisor, the floor.
	q := n.Div(n, big.NewInt(den))
	if !q.IsInt64() {
		return nil
	}
	v := q.Int64()
	return &v
}

// ShareBP is part/whole in basis points (7000 = 70.00%), floored; nil when
// whole ≤ 0.
func ShareBP(part, whole int64) *int64 { return floorRatio(part, whole, 10_000) }

// ROIX100 is revenue/cost × 100 (500 = 5.00:1), floored; nil when cost ≤ 0.
func ROIX100(revenue, cost int64) *int64 { return floorRatio(revenue, cost, 100) }
