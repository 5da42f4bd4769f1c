package agreement

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/allyway/allyway/internal/commission"
)

func TestDiff(t *testing.T) {
	v1 := Agreement{Model: "referral", EffectiveFrom: day("2026-01-01"), EffectiveTo: dayPtr("2026-12-31"), PaymentTrigger: "client_payment",
		PaymentNetDays: 30, TerminationNoticeDays: 30, RenewalMonths: 12, Exclusivity: "none", Territories: []string{"Northeast"},
		Terms: Terms{Confidentiality: "Standard."},
		Rules: []commission.Rule{
			{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000},
			{Kind: commission.FlatFee, Direction: commission.WeReceive, AmountCents: 50000},
		}}
	assert.Empty(t, Diff(v1, v1), "no change, no lines")

	v2 := v1
	v2.EffectiveFrom = day("2026-07-01")
	v2.EffectiveTo = nil
	v2.PaymentNetDays = 45
	v2.Territories = []string{"Northeast", "Midwest"}
	v2.Terms.Confidentiality = ""
	v2.Terms.AnnualReview = true
	v2.Rules = []commission.Rule{
		{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1500},
		{Kind: commission.ReciprocityOnly, Direction: commission.WePay},
	}
	var lines []string
	for _, c := range Diff(v1, v2) {
		lines = append(lines, c.String())
	}
	assert.Equal(t, []string{
		"Effective from: 1 Jan 2026 → 1 Jul 2026",
		"Effective to: 31 Dec 2026 → open-ended",
		"Payment terms: net 30 → net 45",
		"Territories: Northeast → Northeast, Midwest",
		"Confidentiality: Standard. → (none)",
		"Annual review: no → yes",
		"Rule changed: We pay the partner 10% of client payments on the first project from each referral. → " +
			"We pay the partner 15% of client payments on the first project from each referral.",
		"Rule removed: The partner pays us a flat fee of $500.00 per won referral.",
		"Rule added: Reciprocity only: no money changes hands; referrals count toward the reciprocity balance.",
	}, lines)
}

func TestDescribeRule(t *testing.T) {
	cap := int64(100000)
	for want, r := range map[string]commission.Rule{
		"We pay the partner 12.5% of every payment from the referred client for 12 months from the first project's start; at most $1,000.00 per payment.": {
			Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 1250, Months: 12, CapCents: &cap},
		"The partner pays us 10% of every payment from the referred client while the client is active.": {
			Kind: commission.PercentOngoing, Direction: commission.WeReceive, RateBP: 1000},
		"We pay the partner by won referrals per calendar year: 1–3 → 10%, 4–10 → 15%, 11+ → 20% (each tier's rate applies from the referral that reaches it).": {
			Kind: commission.TieredVolume, Direction: commission.WePay, Period: commission.CalendarYear, Mode: commission.FromThreshold,
			Tiers: commission.DefaultVolumeTiers()},
		"We pay the partner a co-delivery split: the partner's share is 60% of the engagement's revenue, less our 10% markup.": {
			Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000, MarkupBP: 1000},
	} {
		assert.Equal(t, want, DescribeRule(r))
	}
}
