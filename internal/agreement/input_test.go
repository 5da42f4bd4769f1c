package agreement

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dayPtr(s string) *time.Time { t := day(s); return &t }

func goodInput() Input {
	in := DefaultInput("referral", day("2026-01-01"))
	in.TermMonths = 12
	in.Rules = []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}
	return in
}

func TestInputValidate(t *testing.T) {
	in := goodInput()
	require.NoError(t, in.Validate())
	assert.Equal(t, dayPtr("2026-12-31"), in.End(), "12 months from 1 Jan end on 31 Dec")

	cases := []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"unknown model", func(in *Input) { in.Model = "franchise" }, "model"},
		{"no effective date", func(in *Input) { in.EffectiveFrom = time.Time{} }, "effective_from"},
		{"end before start", func(in *Input) { in.TermMonths = 0; in.EffectiveTo = dayPtr("2025-12-31") }, "effective_to"},
		{"end date and months", func(in *Input) { in.EffectiveTo = dayPtr("2026-06-30") }, "term_months"},
		{"term 121 months", func(in *Input) { in.TermMonths = 121 }, "term_months"},
		{"net days 366", func(in *Input) { in.PaymentNetDays = 366 }, "payment_net_days"},
		{"net days negative", func(in *Input) { in.PaymentNetDays = -1 }, "payment_net_days"},
		{"unknown trigger", func(in *Input) { in.PaymentTrigger = "whenever" }, "payment_trigger"},
		{"notice 400 days", func(in *Input) { in.TerminationNoticeDays = 400 }, "termination_notice_days"},
		{"renewal 0 is default, 200 is not", func(in *Input) { in.RenewalMonths = 200 }, "renewal_months"},
		{"unknown exclusivity", func(in *Input) { in.Exclusivity = "total" }, "exclusivity"},
		{"exclusive without scope", func(in *Input) { in.Exclusivity = "geography" }, "exclusivity_scope"},
		{"scope without exclusivity", func(in *Input) { in.ExclusivityScope = []string{"Tax"} }, "exclusivity_scope"},
		{"rate over 100%", func(in *Input) { in.Rules[0].RateBP = 10001 }, "rules[0].rate_bp"},
		{"negative rate", func(in *Input) { in.Rules[0].RateBP = -5 }, "rules[0].rate_bp"},
		{"rule without direction", func(in *Input) { in.Rules[0].Direction = "" }, "rules[0].direction"},
		{"tiers overlap", func(in *Input) {
			in.Rules[0] = commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay, Period: commission.CalendarYear,
				Mode: commission.FromThreshold, Tiers: []commission.Tier{{MinReferrals: 1, RateBP: 1000}, {MinReferrals: 1, RateBP: 1500}}}
		}, "rules[0].tiers[1].min_referrals"},
		{"unknown involvement", func(in *Input) { in.Terms.Involvement = "very" }, "terms.involvement"},
		{"cadence 800", func(in *Input) { in.Terms.Governance.CheckinCadenceDays = 800 }, "terms.governance.checkin_cadence_days"},
		{"unknown profession", func(in *Input) { in.Terms.PartnerProfession = "wizard" }, "terms.partner_profession"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodInput()
			c.edit(&in)
			err := in.Validate()
			require.Equal(t, apperr.EInvalid, apperr.Code(err))
			assert.Contains(t, apperr.FieldErrors(err), c.field, "%v", apperr.FieldErrors(err))
		})
	}
}

func TestInputValidateCleansLists(t *testing.T) {
	in := goodInput()
	in.Exclusivity = "geography"
	in.ExclusivityScope = []string{" Northeast ", "northeast", "", "West  Coast"}
	in.Territories = []string{"US", " us", "Canada"}
	require.NoError(t, in.Validate())
	assert.Equal(t, []string{"Northeast", "West Coast"}, in.ExclusivityScope)
	assert.Equal(t, []string{"US", "Canada"}, in.Territories)
}

func TestInvolvementWarnings(t *testing.T) {
	in := goodInput()
	assert.Empty(t, in.Warnings(), "no level stated: no warning")
	in.Terms.Involvement = "standard"
	assert.Empty(t, in.Warnings(), "10% is within standard 10–15%")
	in.Terms.Involvement = "high"
	w := in.Warnings()
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "10% is outside the usual 20%–25% for high involvement")
	require.NoError(t, in.Validate(), "a warning never stops saving")
	in.Terms.Involvement = "passive"
	in.Rules[0].RateBP = 500
	assert.Empty(t, in.Warnings(), "5% is the passive lower bound")
}

func TestTermMonthsAndAddMonths(t *testing.T) {
	assert.Equal(t, day("2026-02-28"), AddMonths(day("2026-01-31"), 1))
	assert.Equal(t, 12, TermMonthsOf(day("2026-01-01"), dayPtr("2026-12-31")))
	assert.Equal(t, 0, TermMonthsOf(day("2026-01-01"), dayPtr("2026-12-30")))
	assert.Equal(t, 0, TermMonthsOf(day("2026-01-01"), nil))
}

func TestInForceOn(t *testing.T) {
	a := Agreement{Status: StatusSuperseded, EffectiveFrom: day("2026-01-01"), EffectiveTo: dayPtr("2026-06-30")}
	assert.False(t, a.InForceOn(day("2025-12-31")))
	assert.True(t, a.InForceOn(day("2026-01-01")))
	assert.True(t, a.InForceOn(time.Date(2026, 6, 30, 23, 59, 0, 0, time.UTC)))
	assert.False(t, a.InForceOn(day("2026-07-01")))
	a.Status = StatusDraft
	assert.False(t, a.InForceOn(day("2026-03-01")), "a draft was never in force")
	a = Agreement{Status: StatusActive, EffectiveFrom: day("2026-01-01")}
	assert.True(t, a.InForceOn(day("2030-01-01")), "open-ended")
}
