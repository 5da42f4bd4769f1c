package campaign

import (
	"strconv"
	"strings"
)

// Reach is what the campaign's audiences add up to: our audience and each
// partner's, less the share of people on more than one list.
type Reach struct {
	Ours      int64
	Partners  []int64
	OverlapBP int64 // 0..10000
}

// Gross is the sum of the audiences.
func (r Reach) Gross() int64 {
	sum := r.Ours
	for _, p := range r.Partners {
		sum += p
	}
	return sum
}

// Net is the combined reach net of overlap: gross × (10000 − overlap) /
// 10000, rounded down to whole people (integer maths, no floats).
func (r Reach) Net() int64 {
	bp := min(max(r.OverlapBP, 0), 10000)
	return r.Gross() * (10000 - bp) / 10000
}

// Formula shows how Net is worked out, e.g.
// "(12,000 + 8,000) × (100% − 25%) = 15,000".
func (r Reach) Formula() string {
	parts := []string{Thousands(r.Ours)}
	for _, p := range r.Partners {
		parts = append(parts, Thousands(p))
	}
	sum := parts[0]
	if len(parts) > 1 {
		sum = "(" + strings.Join(parts, " + ") + ")"
	}
	return sum + " × (100% − " + PercentText(r.OverlapBP) + "%) = " + Thousands(r.Net())
}

// Thousands writes n with comma separators: 12000 → "12,000".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
