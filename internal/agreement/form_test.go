package agreement

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
)

func TestParseTiers(t *testing.T) {
	tiers, msg := ParseTiers(commission.TieredVolume, "1-3: 10%\n4-10: 15\n\n11+: 20%")
	require.Empty(t, msg)
	assert.Equal(t, commission.DefaultVolumeTiers(), tiers)
	assert.Equal(t, "1-3: 10%\n4-10: 15%\n11+: 20%", FormatTiers(commission.TieredVolume, tiers))

	tiers, msg = ParseTiers(commission.TieredConversion, "0-25: 10%\n25-50%: 12.5%\n50+: 15%")
	require.Empty(t, msg)
	assert.Equal(t, []commission.Tier{{MinConversionBP: 0, RateBP: 1000}, {MinConversionBP: 2500, RateBP: 1250}, {MinConversionBP: 5000, RateBP: 1500}}, tiers)
	back, msg := ParseTiers(commission.TieredConversion, FormatTiers(commission.TieredConversion, tiers))
	require.Empty(t, msg)
	assert.Equal(t, tiers, back)

	bad := map[string]string{
		"1-3: 10%\n5-10: 15%": "gap",
		"1-5: 10%\n4-10: 15%": "overlap",
		"1-3: 10%\n2+: 15%":   "overlap",
		"4: 10%\n2: 15%":      "overlap",
		"1+: 10%\n5-8: 15%":   "only the last tier",
		"3-1: 10%":            "ends before it starts",
		"one: 10%":            "range must look like",
		"1-3 10%":             "range: rate",
		"1-3: ten":            "percentage",
		"":                    "at least one tier",
		"0-20: 10%\n30+: 15%": "gap",
		"1.5-3: 10%":          "whole numbers",
	}
	for text, want := range bad {
		kind := commission.TieredVolume
		if text == "0-20: 10%\n30+: 15%" {
			kind = commission.TieredConversion
		}
		_, msg := ParseTiers(kind, text)
		assert.Contains(t, msg, want, "%q", text)
	}
}

func TestParsePercentAndDollars(t *testing.T) {
	for in, want := range map[string]int64{"10": 1000, "12.5%": 1250, " 15 % ": 1500, "0.01": 1, "150": 15000, ".5": 50} {
		got, ok := ParsePercent(in)
		require.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "abc", "1.234", "-5", "1e3"} {
		_, ok := ParsePercent(in)
		assert.False(t, ok, in)
	}
	for in, want := range map[string]int64{"1500": 150000, "$1,500.50": 150050, "0.5": 50} {
		got, ok, _ := commission.ParseDollars(in)
		require.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "1.234", "ten"} {
		_, ok, _ := commission.ParseDollars(in)
		assert.False(t, ok, in)
	}
}

func TestParseFormRoundTrip(t *testing.T) {
	in := goodInput()
	in.Title = "Referral terms"
	in.Exclusivity = "industry"
	in.ExclusivityScope = []string{"Healthcare", "Fintech"}
	in.Territories = []string{"Northeast"}
	in.Terms = Terms{WeReferToThem: "Estate planning", Involvement: "standard", Reciprocal: true, AnnualReview: true,
		Governance: Governance{CheckinCadenceDays: 90, OurEscalation: "Dana"}, ClientDisclosure: "In writing."}
	cap := int64(500000)
	in.Rules = []commission.Rule{
		{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1250, CapCents: &cap},
		{Kind: commission.TieredVolume, Direction: commission.WeReceive, Period: commission.CalendarYear, Mode: commission.Retroactive,
			Tiers: commission.DefaultVolumeTiers()},
		{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000, MarkupBP: 1000},
		{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 150050},
		{Kind: commission.ReciprocityOnly, Direction: commission.WePay},
	}
	require.NoError(t, in.Validate())
	v := url.Values{}
	for k, s := range FormValues(in) {
		v.Set(k, s)
	}
	got, err := ParseForm(v)
	require.NoError(t, err)
	in.TermMonths, got.TermMonths = 0, 0
	in.EffectiveTo, got.EffectiveTo = in.End(), got.End()
	assert.Equal(t, in, got)
}

func TestParseFormErrorsNameTheRow(t *testing.T) {
	v := url.Values{"model": {"referral"}, "effective_from": {"2026-01-01"}, "payment_net_days": {"abc"},
		"rules[0].kind": {""}, // an empty row is skipped
		"rules[1].kind": {"percent_first_project"}, "rules[1].direction": {"we_pay"}, "rules[1].rate": {"150"},
		"rules[2].kind": {"tiered_volume"}, "rules[2].direction": {"we_pay"}, "rules[2].period": {"calendar_year"},
		"rules[2].mode": {"from_threshold"}, "rules[2].tiers": {"1-3: 10%\n5+: 15%"},
		"title": {"kept"}}
	_, err := ParseForm(v)
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	fe := apperr.FieldErrors(err)
	assert.Equal(t, "Enter a whole number.", fe["payment_net_days"])
	assert.Contains(t, fe["rules[1].rate"], "10000 (100%)")
	assert.Contains(t, fe["rules[2].tiers"], "gap")
	assert.NotContains(t, fe, "rules[0].rate", "errors stay on their row")
	assert.Len(t, fe, 3, "%v", fe)
}
