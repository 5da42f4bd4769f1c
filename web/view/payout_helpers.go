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

// payoutStateTone is the badge tone of an entry's review or payment state
// in words.
func payoutStateTone(state string) string {
	switch {
	case state == "Approved", len(state) >= 4 && state[:4] == "Paid":
		return "success"
	case state == "On hold":
		return "danger"
	case state == "Awaiting approval", state == "Awaiting review":
		return "warning"
	default:
		return "info"
	}
}
