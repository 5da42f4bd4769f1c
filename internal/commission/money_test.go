package commission

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

func TestApplyRate(t *testing.T) {
	cases := []struct {
		name         string
		amount, rate int64
		want         int64
	}{
		{"0.45 rounds down", 3, 1500, 0},
		{"0.75 rounds up", 5, 1500, 1},
		{"1.5 rounds to even 2", 10, 1500, 2},
		{"2.5 rounds to even 2", 25, 1000, 2},
		{"0.5 rounds to even 0", 5, 1000, 0},
		{"3.5 rounds to even 4", 35, 1000, 4},
		{"-2.5 rounds to even -2", -25, 1000, -2},
		{"-1.5 rounds to even -2", -10, 1500, -2},
		{"-0.75", -5, 1500, -1},
		{"20% of $20,000", 2_000_000, 2000, 400_000},
		{"20% of $30,000", 3_000_000, 2000, 600_000},
		{"10% of $5,000", 500_000, 1000, 50_000},
		{"zero rate", 123_456, 0, 0},
		{"100%", 123_456, 10_000, 123_456},
		{"max amount at 100%", MaxAmountCents, 10_000, MaxAmountCents},
		{"max amount at 15%", MaxAmountCents, 1500, 150_000_000_000_000},
		{"-max amount at 33.33%", -MaxAmountCents, 3333, -333_300_000_000_000},
		{"max amount at 0.01% + 1", MaxAmountCents + 5000, 1, 100_000_000_000}, // 100000000000.5 → even
		{"huge rate, result fits", MaxAmountCents, 9_000_000, 900_000_000_000_000_000},
		{"overflow clamps up", math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"overflow clamps down", math.MinInt64, math.MaxInt64, math.MinInt64},
		{"min int at 100%", math.MinInt64, 10_000, math.MinInt64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ApplyRate(c.amount, c.rate); got != c.want {
				t.Fatalf("ApplyRate(%d, %d) = %d, want %d", c.amount, c.rate, got, c.want)
			}
		})
	}
}

// exactRate is amount × rate / 10,000 as an exact rational.
func exactRate(amount, rate int64) *big.Rat {
	return new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(amount), big.NewInt(rate)), big.NewInt(BPScale))
}

// checkHalfEven fails unless got is the half-even rounding of the exact value.
func checkHalfEven(t *testing.T, amount, rate, got int64) {
	t.Helper()
	exact := exactRate(amount, rate)
	diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(got))
	half := big.NewRat(1, 2)
	switch c := new(big.Rat).Abs(diff).Cmp(half); {
	case c > 0:
		t.Fatalf("ApplyRate(%d, %d) = %d, more than half a cent from %s", amount, rate, got, exact.FloatString(4))
	case c == 0 && got%2 != 0:
		t.Fatalf("ApplyRate(%d, %d) = %d, a tie not rounded to even", amount, rate, got)
	}
}

func TestApplyRateMatchesExactRational(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 10_000 {
		amount := rng.Int63n(2*MaxAmountCents+1) - MaxAmountCents
		if rng.Intn(3) == 0 {
			amount = rng.Int63n(2001) - 1000
		}
		rate := rng.Int63n(20_001) - 10_000
		got := ApplyRate(amount, rate)
		checkHalfEven(t, amount, rate, got)
		if neg := ApplyRate(-amount, rate); neg != -got {
			t.Fatalf("ApplyRate not symmetric: %d vs %d", neg, got)
		}
	}
}

func FuzzApplyRate(f *testing.F) {
	for _, s := range [][2]int64{{3, 1500}, {5, 1500}, {10, 1500}, {25, 1000}, {-25, 1000}, {MaxAmountCents, 10_000},
		{-MaxAmountCents, 1}, {math.MaxInt64, math.MaxInt64}, {math.MinInt64, math.MinInt64}, {math.MinInt64, -1}, {0, 0}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, amount, rate int64) {
		got := ApplyRate(amount, rate) // must not panic
		exact := exactRate(amount, rate)
		// Beyond the int64 range ApplyRate clamps; otherwise it is the
		// half-even rounding of the exact value (within half a cent).
		if got == math.MaxInt64 && exact.Cmp(new(big.Rat).SetInt64(math.MaxInt64)) >= 0 ||
			got == math.MinInt64 && exact.Cmp(new(big.Rat).SetInt64(math.MinInt64)) <= 0 {
			return
		}
		checkHalfEven(t, amount, rate, got)
	})
}

func TestAllocate(t *testing.T) {
	cases := []struct {
		name    string
		total   int64
		weights []int64
		want    []int64
	}{
		{"co-delivery 60/40", 10_000_000, []int64{6000, 4000}, []int64{6_000_000, 4_000_000}},
		{"thirds, tie to the earliest", 100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{"thirds of 2", 2, []int64{1, 1, 1}, []int64{1, 1, 0}},
		{"negative thirds", -100, []int64{1, 1, 1}, []int64{-34, -33, -33}},
		{"largest remainder wins", 10, []int64{1, 2, 4}, []int64{1, 3, 6}}, // 1.43, 2.86, 5.71
		{"zero weight gets zero", 7, []int64{0, 1, 0, 1}, []int64{0, 4, 0, 3}},
		{"zero total", 0, []int64{3, 7}, []int64{0, 0}},
		{"one part", -12345, []int64{9}, []int64{-12345}},
		{"one cent four ways", 1, []int64{1, 1, 1, 1}, []int64{1, 0, 0, 0}},
		{"min int total", math.MinInt64, []int64{1, 1}, []int64{math.MinInt64 / 2, math.MinInt64 / 2}},
		{"max int total", math.MaxInt64, []int64{math.MaxInt64 - 1, 1}, []int64{math.MaxInt64 - 1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Allocate(c.total, c.weights)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, c.want) {
				t.Fatalf("Allocate(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
			}
		})
	}
}

func TestAllocateErrors(t *testing.T) {
	for name, w := range map[string][]int64{
		"no weights":    nil,
		"all zero":      {0, 0},
		"negative":      {5, -1},
		"sum overflows": {math.MaxInt64, 1},
	} {
		if _, err := Allocate(100, w); err == nil {
			t.Errorf("%s: Allocate(100, %v) succeeded", name, w)
		}
	}
}

// TestAllocateProperties: for 10,000 random cases the parts sum to the
// total, each is within one cent of its exact share, and zero weights get
// zero.
func TestAllocateProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for range 10_000 {
		total := rng.Int63n(2*MaxAmountCents+1) - MaxAmountCents
		if rng.Intn(2) == 0 {
			total = rng.Int63n(201) - 100
		}
		weights := make([]int64, 1+rng.Intn(8))
		var sum int64
		for i := range weights {
			if rng.Intn(4) > 0 {
				weights[i] = rng.Int63n(10_001)
				if rng.Intn(5) == 0 {
					weights[i] = rng.Int63n(math.MaxInt64 / 16)
				}
			}
			sum += weights[i]
		}
		if sum == 0 {
			weights[0], sum = 1, 1
		}
		parts, err := Allocate(total, weights)
		if err != nil {
			t.Fatal(err)
		}
		got := new(big.Int)
		for i, p := range parts {
			got.Add(got, big.NewInt(p))
			exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(total), big.NewInt(weights[i])), big.NewInt(sum))
			diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(p))
			if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
				t.Fatalf("Allocate(%d, %v)[%d] = %d, exact %s", total, weights, i, p, exact.FloatString(3))
			}
			if weights[i] == 0 && p != 0 {
				t.Fatalf("Allocate(%d, %v): zero weight got %d", total, weights, p)
			}
		}
		if !got.IsInt64() || got.Int64() != total {
			t.Fatalf("Allocate(%d, %v) = %v sums to %s", total, weights, parts, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for c, want := range map[int64]string{0: "$0.00", 5: "$0.05", 2_000_000: "$20,000.00", -150: "-$1.50",
		100_000_000_00: "$100,000,000.00", math.MinInt64: "-$92,233,720,368,547,758.08"} {
		if got := FormatCents(c); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", c, got, want)
		}
	}
	for bp, want := range map[int64]string{1500: "15%", 1250: "12.5%", 1234: "12.34%", 5: "0.05%", 0: "0%", -1000: "-10%"} {
		if got := FormatBP(bp); got != want {
			t.Errorf("FormatBP(%d) = %q, want %q", bp, got, want)
		}
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
