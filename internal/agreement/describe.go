package agreement

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/allyway/allyway/internal/commission"
)

// KindLabels name the rule kinds.
var KindLabels = map[commission.Kind]string{
	commission.PercentFirstProject: "% of the first project",
	commission.PercentOngoing:      "Ongoing %",
	commission.FlatFee:             "Flat fee per won referral",
	commission.TieredVolume:        "Tiers by yearly referral volume",
	commission.TieredConversion:    "Tiers by conversion rate",
	commission.CoDeliverySplit:     "Co-delivery revenue split",
	commission.ReciprocityOnly:     "Reciprocity only (no money)",
}

// Kinds in the order the builder offers them.
var Kinds = []commission.Kind{commission.PercentFirstProject, commission.PercentOngoing, commission.FlatFee,
	commission.TieredVolume, commission.TieredConversion, commission.CoDeliverySplit, commission.ReciprocityOnly}

// DirectionLabels name who pays whom.
var DirectionLabels = map[commission.Direction]string{
	commission.WePay:     "We pay the partner",
	commission.WeReceive: "The partner pays us",
}

// DescribeRule says a rule in words: "We pay the partner 10% of client
// payments on the first project from the referral."
func DescribeRule(r commission.Rule) string {
	if r.Kind == commission.ReciprocityOnly {
		return "Reciprocity only: no money changes hands; referrals count toward the reciprocity balance."
	}
	who := DirectionLabels[r.Direction]
	if who == "" {
		who = "Payable"
	}
	var body string
	switch r.Kind {
	case commission.PercentFirstProject:
		body = commission.FormatBP(r.RateBP) + " of client payments on the first project from each referral"
	case commission.PercentOngoing:
		if r.Months > 0 {
			body = fmt.Sprintf("%s of every payment from the referred client for %d months from the first project's start",
				commission.FormatBP(r.RateBP), r.Months)
		} else {
			body = commission.FormatBP(r.RateBP) + " of every payment from the referred client while the client is active"
		}
	case commission.FlatFee:
		body = "a flat fee of " + commission.FormatCents(r.AmountCents) + " per won referral"
	case commission.TieredVolume:
		period := "calendar year"
		if r.Period == commission.Trailing12Months {
			period = "trailing 12 months"
		}
		mode := "each tier's rate applies from the referral that reaches it"
		if r.Mode == commission.Retroactive {
			mode = "the rate reached applies retroactively to the period's referrals"
		}
		body = fmt.Sprintf("by won referrals per %s: %s (%s)", period,
			tierList(r.Tiers, func(t commission.Tier) int64 { return t.MinReferrals }, true), mode)
	case commission.TieredConversion:
		body = fmt.Sprintf("by the partner's conversion rate over %d months: %s", r.WindowMonths,
			tierList(r.Tiers, func(t commission.Tier) int64 { return t.MinConversionBP }, false))
	case commission.CoDeliverySplit:
		body = "a co-delivery split: the partner's share is " + commission.FormatBP(r.PartnerShareBP) + " of the engagement's revenue"
		if r.MarkupBP > 0 {
			body += ", less our " + commission.FormatBP(r.MarkupBP) + " markup"
		}
	default:
		body = string(r.Kind)
	}
	s := who + " " + body
	if r.MinCents != nil && *r.MinCents > 0 {
		s += "; at least " + commission.FormatCents(*r.MinCents) + " per payment"
	}
	if r.CapCents != nil {
		s += "; at most " + commission.FormatCents(*r.CapCents) + " per payment"
	}
	return s + "."
}

func tierList(tiers []commission.Tier, min func(commission.Tier) int64, counts bool) string {
	parts := make([]string, len(tiers))
	for i, t := range tiers {
		lo := min(t)
		var rng string
		if counts {
			rng = strconv.FormatInt(lo, 10)
			if i+1 < len(tiers) {
				if hi := min(tiers[i+1]) - 1; hi > lo {
					rng += "–" + strconv.FormatInt(hi, 10)
				}
			} else {
				rng += "+"
			}
		} else {
			rng = commission.FormatBP(lo) + "+"
		}
		parts[i] = rng + " → " + commission.FormatBP(t.RateBP)
	}
	return strings.Join(parts, ", ")
}

// exclusivityWords says the exclusivity briefly: "exclusive by geography: Northeast".
func exclusivityWords(kind string, scope []string) string {
	switch kind {
	case "", "none":
		return "non-exclusive"
	}
	by := strings.ReplaceAll(kind, "_", " ")
	if len(scope) == 0 {
		return "exclusive by " + by
	}
	return "exclusive by " + by + ": " + strings.Join(scope, ", ")
}
