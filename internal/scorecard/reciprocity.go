package scorecard

import (
	"fmt"
	"strconv"
)

// ReciprocityOf is the balance of trade of a year: referrals each way and
// the money of the referrals each way (revenue, and commissions and fees
// earned). Its Sentence is worded as the uneven-flow alert words it, as
// said to the partner at a review. Pure.
func ReciprocityOf(received, sent int64, m Figures) Reciprocity {
	r := Reciprocity{Received: received, Sent: sent,
		RevenueReceivedCents: m.RevenueReceivedCents, RevenueSentCents: m.RevenueSentCents,
		CommissionsPaidToThemCents: m.CommissionsEarnedCents, FeesPaidToUsCents: m.FeesEarnedCents}
	hi, lo := max(received, sent), min(received, sent)
	if lo > 0 {
		x := roundDiv(hi*10, lo)
		r.RatioX10 = &x
	}
	switch {
	case sent > received:
		r.Leaning = "us"
	case received > sent:
		r.Leaning = "them"
	default:
		r.Leaning = "even"
	}
	switch {
	case hi == 0:
		r.Sentence = "No referrals either way in the last 12 months."
	case received > sent:
		r.Sentence = fmt.Sprintf("You've referred %s to us this year and we've sent you %d.", opportunities(received), sent)
	default:
		r.Sentence = fmt.Sprintf("We've referred %s to you this year and received %d.", opportunities(sent), received)
	}
	return r
}

// opportunities is as the alerts write it.
func opportunities(n int64) string {
	if n == 1 {
		return "1 opportunity"
	}
	return strconv.FormatInt(n, 10) + " opportunities"
}
