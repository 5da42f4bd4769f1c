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
	// ExpiringAgreements end within 30 days; LapsedAgreements ran out
	// with nothing after them.
	ExpiringAgreements []DashAgreement
	LapsedAgreements   []DashAgreement
	// Referrals that need someone: open ones (by stage), those not yet
	// answered, those whose SLA clock is breached or due soon, and open
	// attribution conflicts.
	OpenReferrals    int
	AwaitingResponse int
	AtRisk           int
	Conflicts        int
	ReferralsByStage []Count
	// Alerts are the most pressing open alerts (alert.templ's card);
	// OpenAlerts counts every open one.
	Alerts     []AlertRow
	OpenAlerts int
	// Program is the last complete quarter's ROI and revenue share
	// (dashboard.templ's program card).
	Program DashProgram
}

// DashAgreement is one agreement on the dashboard's renewals card.
type DashAgreement struct {
	Partner string
	URL     string // the partner's Agreements tab
	Version int
	When    string // "ends 15 Dec 2026 (in 18 days)", "expired 20 Nov 2026"
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
