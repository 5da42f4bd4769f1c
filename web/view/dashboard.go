package view

import "strconv"

// Count is one labelled number (a bar in a small chart).
type Count struct {
	Key   string
	Label string
	N     int
}

// DashboardProps is the firm's front page.
type DashboardProps struct {
	Base            string
	Partners        int
	ActivePartners  int
	Staff           int
	PortalUsers     int
	OpenInvitations int
	LiveTokens      int
	ByStatus        []Count
	CanAdmin        bool
	CanPartners     bool
}

var statusLabels = map[string]string{
	"prospect": "Prospect", "qualifying": "Qualifying", "onboarding": "Onboarding", "active": "Active",
	"paused": "Paused", "inactive": "Inactive", "ended": "Ended",
}

// StatusLabel is how a partner's lifecycle status is shown.
func StatusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return s
}

// barWidth is a bar's length in a 0–100 SVG viewBox, relative to the max.
func barWidth(n, max int) string {
	if max <= 0 || n <= 0 {
		return "0"
	}
	return strconv.Itoa(n * 100 / max)
}

func maxCount(cs []Count) int {
	m := 0
	for _, c := range cs {
		if c.N > m {
			m = c.N
		}
	}
	return m
}
