package referral

import (
	"strings"
)

// maxValueCents bounds typed amounts ($10 trillion).
const maxValueCents = 1_000_000_000_000_000

// ParseMoney reads a dollar amount as typed — "25,000", "25000.50",
// "$1,200", "1200.5" — into cents. Commas must group thousands; at most two
// decimals; no sign. "" is (0, false, "") — no amount. A bad amount returns
// a message for the field.
func ParseMoney(s string) (cents int64, ok bool, msg string) {
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
		if v > maxValueCents/100 {
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
	if v > maxValueCents {
		return 0, false, "That amount is too large."
	}
	return v, true, ""
}

// FormatMoney renders cents for a form field ("25000.50", "1200").
func FormatMoney(c int64) string {
	s := formatInt(c / 100)
	if r := c % 100; r != 0 {
		s += "." + string(rune('0'+r/10)) + string(rune('0'+r%10))
	}
	return s
}

func formatInt(v int64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}
