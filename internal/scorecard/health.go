package scorecard

import (
	"fmt"
	"strconv"

	"github.com/allyway/allyway/internal/commission"
)

// The health score's components and their weights (they sum to 100).
const (
	WeightConversion     = 30
	WeightVolume         = 20
	WeightResponsiveness = 15
	WeightSatisfaction   = 15
	WeightReciprocity    = 10
	WeightEngagement     = 10
)

// Conversion counts quality over volume ("ten referrals that close at 50%
// are better than fifty that close at 2%"), but one won of one decided is
// not 100%: the closing rate is shrunk toward ConversionPriorBP as if
// ConversionPriorDecided more referrals had been decided at that rate, and
// ConversionFullBP earns full points. With no decided referral the shrunk
// rate is the prior, which earns exactly half the points (neutral).
const (
	ConversionPriorBP      = 2500
	ConversionPriorDecided = 10
	ConversionFullBP       = 5000
)

// Engagement's two halves: attendance of the reviews held, and the
// quarters of the year with a referral either way.
const (
	engagementAttendanceWeight = WeightEngagement / 2
	engagementActivityWeight   = WeightEngagement - engagementAttendanceWeight
)

// HealthFormula states the score in words (Health.Formula).
const HealthFormula = "Health (0–100) = conversion 30 + volume 20 + responsiveness 15 + client satisfaction 15 + reciprocity 10 + engagement 10, " +
	"each over the last 4 quarters. Conversion: their referrals' closing rate counted as if 10 more had been decided at 25% — " +
	"(won + 2.5) ÷ (decided + 10) — with 50% earning full points, so quality beats volume and a small sample stays near the middle. " +
	"Volume: won referrals against what the partner's tier expects a year. " +
	"Responsiveness: the share of our referrals they answered within the SLA (their breaches, not ours). " +
	"Client satisfaction: the average score of referred clients, 1 earning nothing and 5 full points. " +
	"Reciprocity: referrals they sent us for each one we sent them, full points at 1:1 or better. " +
	"Engagement: half for the share of held reviews they attended, half for the quarters with a referral either way. " +
	"A component without data earns half its points."

// HealthInputs are a partner's figures over the year (the 4 quarters
// ending with the scorecard's) that the health score reads.
type HealthInputs struct {
	Won, Lost       int64 // their referrals decided (lost includes declined)
	Received, Sent  int64 // referrals submitted each way
	TheirBreaches   int64 // SLA breaches of their answers to our referrals
	CSATSum         int64 // client satisfaction, 1–5 each
	CSATCount       int64
	ReviewsHeld     int64
	ReviewsAttended int64 // held reviews with someone from the partner
	ActiveQuarters  int64 // quarters with a referral either way
	Quarters        int64 // how many quarters the year has (4)

	ExpectedWon int64  // won referrals a year the partner's tier expects (VolumeLevel)
	TierName    string // "" when the partner is in no tier
}

// ComputeHealth is the partner's health score: the sum of six components'
// points, each from 0 to its weight (see HealthFormula).
//
//	conversion     = 30 × min(1, ((won + 10 × 25%) ÷ (decided + 10)) ÷ 50%)
//	volume         = 20 × min(1, won ÷ tier's expected won a year)
//	responsiveness = 15 × (our referrals − their SLA breaches) ÷ our referrals
//	satisfaction   = 15 × (average CSAT − 1) ÷ 4
//	reciprocity    = 10 × min(1, received ÷ sent)
//	engagement     =  5 × attended ÷ held reviews + 5 × active quarters ÷ 4
//
// A component without data (no decided referral, none sent, no survey
// answer, no referral either way, no review held) earns half its points
// (rounded up), and its Explain says so. Pure: no database.
func ComputeHealth(in HealthInputs) Health {
	h := Health{Formula: HealthFormula}
	for _, c := range []Component{
		conversionComponent(in), volumeComponent(in), responsivenessComponent(in),
		satisfactionComponent(in), reciprocityComponent(in), engagementComponent(in),
	} {
		h.Components = append(h.Components, c)
		h.Score += c.Points
	}
	return h
}

// neutral is half a weight, rounded up.
func neutral(w int) int { return (w + 1) / 2 }

// points is w × num ÷ den rounded half up and kept within 0…w; den > 0.
func points(w int, num, den int64) int {
	if num <= 0 {
		return 0
	}
	p := (2*int64(w)*num + den) / (2 * den)
	return int(min(p, int64(w)))
}

// roundDiv is num ÷ den rounded half up (num ≥ 0, den > 0).
func roundDiv(num, den int64) int64 { return (2*num + den) / (2 * den) }

func noData(w int) string {
	return "No data yet: half the points (" + strconv.Itoa(neutral(w)) + " of " + strconv.Itoa(w) + ")."
}

func outOf(p, w int) string { return strconv.Itoa(p) + " of " + strconv.Itoa(w) }

func conversionComponent(in HealthInputs) Component {
	c := Component{Key: "conversion", Name: "Conversion", Weight: WeightConversion}
	decided := in.Won + in.Lost
	if decided == 0 {
		c.Value = "No referral of theirs decided in the last 4 quarters"
		c.Points = neutral(c.Weight)
		c.Explain = noData(c.Weight)
		return c
	}
	num := in.Won*10000 + ConversionPriorDecided*ConversionPriorBP // bp × referrals
	den := decided + ConversionPriorDecided
	c.Points = points(c.Weight, num, den*ConversionFullBP)
	c.Value = fmt.Sprintf("%s of %d decided (%d won)", commission.FormatBP(roundDiv(in.Won*10000, decided)), decided, in.Won)
	c.Explain = fmt.Sprintf("(%d won + 2.5) ÷ (%d decided + 10) = %s, against %s for full points: %s.",
		in.Won, decided, commission.FormatBP(roundDiv(num, den)), commission.FormatBP(ConversionFullBP), outOf(c.Points, c.Weight))
	return c
}

func volumeComponent(in HealthInputs) Component {
	c := Component{Key: "volume", Name: "Volume", Weight: WeightVolume}
	exp := max(in.ExpectedWon, 1)
	c.Value = plural(in.Won, "won referral", "won referrals") + " in the last 4 quarters"
	c.Points = points(c.Weight, min(in.Won, exp), exp)
	tier := in.TierName
	if tier == "" {
		tier = "Not in a tier; measured against the lowest tier, which"
	}
	c.Explain = fmt.Sprintf("%s expects %s a year: %s.", tier, plural(exp, "won referral", "won referrals"), outOf(c.Points, c.Weight))
	return c
}

func responsivenessComponent(in HealthInputs) Component {
	c := Component{Key: "responsiveness", Name: "Responsiveness", Weight: WeightResponsiveness}
	if in.Sent == 0 {
		c.Value = "We sent them no referral in the last 4 quarters"
		c.Points = neutral(c.Weight)
		c.Explain = noData(c.Weight)
		return c
	}
	onTime := max(in.Sent-in.TheirBreaches, 0)
	c.Points = points(c.Weight, onTime, in.Sent)
	c.Value = fmt.Sprintf("%d of our %d referrals answered within the SLA (%s)", onTime, in.Sent,
		plural(in.TheirBreaches, "breach", "breaches"))
	c.Explain = fmt.Sprintf("%d ÷ %d of the weight: %s.", onTime, in.Sent, outOf(c.Points, c.Weight))
	return c
}

func satisfactionComponent(in HealthInputs) Component {
	c := Component{Key: "satisfaction", Name: "Client satisfaction", Weight: WeightSatisfaction}
	if in.CSATCount == 0 {
		c.Value = "No referred client answered the survey in the last 4 quarters"
		c.Points = neutral(c.Weight)
		c.Explain = noData(c.Weight)
		return c
	}
	c.Points = points(c.Weight, in.CSATSum-in.CSATCount, 4*in.CSATCount)
	c.Value = fmt.Sprintf("%s of 5 from %s", tenths(roundDiv(in.CSATSum*10, in.CSATCount)),
		plural(in.CSATCount, "answer", "answers"))
	c.Explain = fmt.Sprintf("(average − 1) ÷ 4 of the weight, 1 earning nothing and 5 full points: %s.", outOf(c.Points, c.Weight))
	return c
}

func reciprocityComponent(in HealthInputs) Component {
	c := Component{Key: "reciprocity", Name: "Reciprocity", Weight: WeightReciprocity}
	switch {
	case in.Received == 0 && in.Sent == 0:
		c.Value = "No referral either way in the last 4 quarters"
		c.Points = neutral(c.Weight)
		c.Explain = noData(c.Weight)
		return c
	case in.Sent == 0:
		c.Points = c.Weight
	default:
		c.Points = points(c.Weight, min(in.Received, in.Sent), in.Sent)
	}
	c.Value = fmt.Sprintf("%d received from them, %d sent to them", in.Received, in.Sent)
	c.Explain = fmt.Sprintf("Full points when they send us at least as many as we send them: %s.", outOf(c.Points, c.Weight))
	return c
}

func engagementComponent(in HealthInputs) Component {
	c := Component{Key: "engagement", Name: "Engagement", Weight: WeightEngagement}
	var att int
	var attWords string
	if in.ReviewsHeld == 0 {
		att = neutral(engagementAttendanceWeight)
		attWords = "no review held (half of the attendance points)"
	} else {
		att = points(engagementAttendanceWeight, min(in.ReviewsAttended, in.ReviewsHeld), in.ReviewsHeld)
		attWords = fmt.Sprintf("attendance %d of %d", in.ReviewsAttended, in.ReviewsHeld)
	}
	quarters := max(in.Quarters, 1)
	act := points(engagementActivityWeight, min(in.ActiveQuarters, quarters), quarters)
	c.Points = att + act
	c.Value = fmt.Sprintf("Attended %d of %s; referrals in %d of the last %d quarters", in.ReviewsAttended,
		plural(in.ReviewsHeld, "held review", "held reviews"), in.ActiveQuarters, quarters)
	c.Explain = fmt.Sprintf("%s: %s; activity: %s.", attWords, outOf(att, engagementAttendanceWeight),
		outOf(act, engagementActivityWeight))
	return c
}

// tenths writes a value × 10 as a decimal: 43 → "4.3", 40 → "4".
func tenths(x10 int64) string {
	s := strconv.FormatInt(x10/10, 10)
	if f := x10 % 10; f != 0 {
		s += "." + strconv.FormatInt(f, 10)
	}
	return s
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
