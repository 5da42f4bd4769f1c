package view

import "strconv"

// payoutCount is "1 entry", "3 entries".
func payoutCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// payoutRefSuffix is ", R-1042" after a label, or nothing.
func payoutRefSuffix(ref string) string {
	if ref == "" {
		return ""
	}
	return ", " + ref
}
