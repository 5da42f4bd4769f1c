package commission

import (
	"errors"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Money in this package is int64 cents and rates are int64 basis points
// (1500 bp = 15%). No floating point is used anywhere.
//
// Rounding rule: a commission is rounded half-even to the cent, once per
// entry. Each ledger entry (one revenue event under one rule) is computed
// from its exact rational value and rounded exactly once; totals are sums of
// rounded entries and are never re-rounded. Splits of one amount into parts
// use Allocate (largest remainder) so the parts always sum to the whole.
const (
	// BPScale is the number of basis points in 100%.
	BPScale = 10_000
	// MaxAmountCents is the largest magnitude of an amount the rules accept
	// (10^15 cents = $10 trillion). ApplyRate is exact well beyond it.
	MaxAmountCents = 1_000_000_000_000_000
)

// absU returns |v| as a uint64; it is correct for math.MinInt64 too.
func absU(v int64) uint64 {
	if v < 0 {
		return uint64(^v) + 1
	}
	return uint64(v)
}

// mulDivHalfEven returns a×b/d rounded half-even, computed with a 128-bit
// intermediate product. ok is false when the quotient does not fit in a
// uint64. d must not be zero.
func mulDivHalfEven(a, b, d uint64) (q uint64, ok bool) {
	hi, lo := bits.Mul64(a, b)
	if hi >= d {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, d)
	// Compare 2r with d without overflowing: r > d-r means above the half.
	if half := d - r; r > half || (r == half && q&1 == 1) {
		q++
		if q == 0 {
			return 0, false
		}
	}
	return q, true
}

// signed turns a magnitude and a sign into an int64, clamping to the int64
// range when the magnitude does not fit.
func signed(mag uint64, neg bool) int64 {
	if neg {
		if mag > 1<<63 {
			return math.MinInt64
		}
		return int64(^mag + 1)
	}
	if mag > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(mag)
}

// ApplyRate returns amountCents × rateBP / 10,000 rounded half-even to the
// cent ("banker's rounding": 0.5 → 0, 1.5 → 2, 2.5 → 2, -2.5 → -2).
//
// The result is exact for every pair whose rounded result fits in an int64,
// which covers any amount up to ±MaxAmountCents at any rate up to
// ±92,233,720 bp. Rounding is symmetric, so ApplyRate(-a, r) is always
// -ApplyRate(a, r): a full refund reverses its accrual to the cent. A result
// outside the int64 range (unreachable from Compute, whose inputs are
// validated) is clamped to math.MinInt64 / math.MaxInt64; it never panics.
func ApplyRate(amountCents, rateBP int64) int64 {
	neg := (amountCents < 0) != (rateBP < 0)
	q, ok := mulDivHalfEven(absU(amountCents), absU(rateBP), BPScale)
	if !ok {
		q = math.MaxUint64
	}
	return signed(q, neg)
}

// Allocate splits total into parts proportional to weights by the largest
// remainder method: each part gets the floor of its exact share, and the
// cents left over go one each to the parts with the largest remainders
// (ties go to the earlier part). The parts always sum exactly to total and
// each is within one cent of its exact share; a zero weight gets zero.
// A negative total is allocated as its absolute value and negated, so
// Allocate(-t, w) is the exact negation of Allocate(t, w).
//
// It fails when weights is empty, a weight is negative, all weights are
// zero, or the weights sum beyond math.MaxInt64.
func Allocate(total int64, weights []int64) ([]int64, error) {
	if len(weights) == 0 {
		return nil, errors.New("commission: allocate needs at least one weight")
	}
	var sum uint64
	for i, w := range weights {
		if w < 0 {
			return nil, errors.New("commission: allocate weight " + strconv.Itoa(i) + " is negative")
		}
		sum += uint64(w)
		if sum > math.MaxInt64 {
			return nil, errors.New("commission: allocate weights sum beyond int64")
		}
	}
	if sum == 0 {
		return nil, errors.New("commission: allocate weights are all zero")
	}
	t := absU(total)
	parts := make([]uint64, len(weights))
	rems := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		// t×w < 2^64 × sum, so the high word is below sum and Div64 is safe.
		hi, lo := bits.Mul64(t, uint64(w))
		parts[i], rems[i] = bits.Div64(hi, lo, sum)
		given += parts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	// The leftover is below the number of non-zero remainders, so a zero
	// weight (remainder 0) never receives a cent.
	for k := uint64(0); k < t-given; k++ {
		parts[order[k]]++
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		out[i] = signed(p, total < 0)
	}
	return out, nil
}

// FormatCents renders cents as dollars for explanations: 2000000 →
// "$20,000.00", -150 → "-$1.50".
func FormatCents(c int64) string {
	u := absU(c)
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	if c < 0 {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, ch := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	cents := u % 100
	b.WriteByte('.')
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}

// FormatBP renders basis points as a percentage without trailing zeros:
// 1500 → "15%", 1250 → "12.5%", 1234 → "12.34%".
func FormatBP(bp int64) string {
	u := absU(bp)
	s := strconv.FormatUint(u/100, 10)
	if frac := u % 100; frac != 0 {
		f := strconv.FormatUint(frac+100, 10)[1:]
		s += "." + strings.TrimRight(f, "0")
	}
	if bp < 0 {
		s = "-" + s
	}
	return s + "%"
}

// maxDollarCents bounds typed amounts ($10 trillion).
const maxDollarCents = 1_000_000_000_000_000

// ParseDollars reads a dollar amount as typed — "25,000", "25000.50",
// "$1,200", "1200.5" — into cents. Commas must group thousands; at most two
// decimals; no sign. "" is (0, false, "") — no amount. A bad amount returns
// a message for the field.
func ParseDollars(s string) (cents int64, ok bool, msg string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, ""
	}
	const bad = "Enter an amount in dollars, like 25,000 or 25000.50."
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "$-") || strings.HasPrefix(s, "-$") {
		return 0, false, "The amount can't be negative."
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (len(frac) == 0 || len(frac) > 2)) {
		if hasDot && len(frac) > 2 {
			return 0, false, "Use at most two decimals (cents)."
		}
		return 0, false, bad
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, false, bad
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false, bad
			}
		}
		whole = strings.Join(groups, "")
	}
	var v int64
	for _, r := range whole {
		if r < '0' || r > '9' {
			return 0, false, bad
		}
		v = v*10 + int64(r-'0')
		if v > maxDollarCents/100 {
			return 0, false, "That amount is too large."
		}
	}
	v *= 100
	if hasDot {
		for i, r := range frac {
			if r < '0' || r > '9' {
				return 0, false, bad
			}
			if i == 0 {
				v += int64(r-'0') * 10
			} else {
				v += int64(r - '0')
			}
		}
	}
	if v > maxDollarCents {
		return 0, false, "That amount is too large."
	}
	return v, true, ""
}

// FormatDollars renders cents for a form field, as ParseDollars reads it
// back: 2500050 → "25000.50", 120000 → "1200", -5 → "-0.05".
func FormatDollars(c int64) string {
	u := absU(c)
	s := strconv.FormatUint(u/100, 10)
	if r := u % 100; r != 0 {
		s += "." + strconv.FormatUint(100+r, 10)[1:]
	}
	if c < 0 {
		s = "-" + s
	}
	return s
}
