// Package scorecard computes a partner's quarterly scorecard from the
// rollups (internal/rollup), never from raw history: the quarter's figures,
// an 8-quarter trend, reciprocity in counts and money, a health score whose
// formula is shown, and a tier recommendation with its reasons.
//
// Counted from the firm's side: received = referrals the partner sent us
// (inbound), sent = referrals we sent the partner (outbound).
package scorecard

import (
	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/period"
)

// TrendQuarters is how many quarters the trend shows (the current one last).
const TrendQuarters = 8

// Figures are one quarter's figures of a partner. Money is in the
// scorecard's currency (Scorecard.Currency), in cents. A rate is nil when
// there is nothing to divide (no closed referral, no survey answer, …).
type Figures struct {
	Quarter period.Quarter

	ReferralsReceived int64 // submitted by the partner in the quarter
	ReferralsSent     int64 // submitted by us to the partner
	WonReceived       int64 // closed in the quarter
	LostReceived      int64 // lost or declined
	WonSent           int64
	LostSent          int64
	ConversionBP      *int64 // WonReceived / (WonReceived + LostReceived)
	SentConversionBP  *int64 // WonSent / (WonSent + LostSent)

	RevenueReceivedCents   int64 // client payments on referrals the partner sent us
	RevenueSentCents       int64 // … on referrals we sent the partner (as reported)
	CommissionsEarnedCents int64 // we pay the partner: accrued less clawbacks, adjustments
	CommissionsPaidCents   int64
	FeesEarnedCents        int64 // the partner pays us
	FeesReceivedCents      int64

	Responded         int64  // received referrals first answered in the quarter
	ResponseP50Hours  *int64 // median time to our first response, hours (rounded up from minutes)
	ResponseP90Hours  *int64
	SLABreachesOurs   int64 // our clocks on received referrals
	SLABreachesTheirs int64 // the partner's answers to our referrals

	CSATCount int64  // client satisfaction answers (1–5)
	CSATX10   *int64 // average × 10 (4.3 → 43)
	FitGood   int64
	FitPoor   int64
	FitRateBP *int64 // good / (good + poor)
}

// Reciprocity is the balance of trade over the trailing 12 months ending
// with the quarter: counts, won revenue and fees each way.
type Reciprocity struct {
	Received, Sent             int64
	RatioX10                   *int64 // the larger over the smaller × 10 (12 vs 2 → 60); nil when either side is 0 (no ratio to none)
	Leaning                    string // "us" (we send more), "them" (they send more) or "even"
	RevenueReceivedCents       int64
	RevenueSentCents           int64
	CommissionsPaidToThemCents int64  // commissions earned by the partner
	FeesPaidToUsCents          int64  // fees earned by us
	Sentence                   string // "We've referred 12 opportunities to you this year and received 2."
}

// Component is one term of the health score: its weight, the measured
// value in words, and the points it earned (0…Weight).
type Component struct {
	Key     string // "conversion", "volume", "responsiveness", "satisfaction", "reciprocity", "engagement"
	Name    string
	Weight  int
	Value   string // e.g. "50% of 10 closed"
	Points  int
	Explain string // how the points follow from the value
}

// Health is the partner's health score (0–100) = the sum of its
// components' points; Formula states it in words for the page.
type Health struct {
	Score      int
	Components []Component
	Formula    string
}

// Recommendation is promote, keep or demote, with the reasons and what
// the partner needs for the next tier.
type Recommendation struct {
	Action      string // "promote", "keep", "demote"
	CurrentTier *TierRef
	TargetTier  *TierRef // the tier to move to (promote/demote); nil for keep
	Reasons     []string
	NextTier    *TierRef
	NextNeeds   []string // what it takes to reach NextTier ("2 more won referrals this year", …)
}

// TierRef names a tier.
type TierRef struct {
	ID   uuid.UUID
	Name string
	Rank int
}

// YearScore is a year's partner satisfaction (0–10) from its portal users.
type YearScore struct {
	Year    int
	Answers int64
	AvgX10  int64 // average × 10
}

// Attendance counts the partner's quarterly reviews over the trailing year.
type Attendance struct {
	Scheduled       int64 // reviews due (held, cancelled or missed)
	Held            int64
	Cancelled       int64
	PartnerAttended int64 // held reviews with someone from the partner's side
}

// Scorecard is one partner's quarter.
type Scorecard struct {
	PartnerID   uuid.UUID
	PartnerName string
	PartnerType string
	Status      string
	Quarter     period.Quarter
	Currency    string

	Current        Figures
	Trend          []Figures // TrendQuarters quarters, oldest first, the current one last
	Reciprocity    Reciprocity
	Health         Health
	Recommendation Recommendation
	Satisfaction   []YearScore // partner satisfaction by year, oldest first
	Attendance     Attendance
	OpenAlerts     []string // the partner's open alerts' messages
	OpenActions    int64    // open review action items
}
