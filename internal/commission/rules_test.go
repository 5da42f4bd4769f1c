package commission

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func cents(v int64) *int64 { return &v }

func mustCompute(t *testing.T, r Rule, ev Event, ctx Context) Result {
	t.Helper()
	res, err := Compute(r, ev, ctx)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return res
}

// Worked example: 20% on a $50,000 first project paid as $20,000 + $30,000.
func TestFirstProjectTwoInvoices(t *testing.T) {
	r := Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: 2000}
	var total int64
	for _, c := range []struct{ paid, want int64 }{{2_000_000, 400_000}, {3_000_000, 600_000}} {
		res := mustCompute(t, r, Event{AmountCents: c.paid, PaidOn: day("2026-03-01"), FirstEngagement: true}, Context{})
		if res.AmountCents != c.want || res.RateBP != 2000 || res.Reason != "" {
			t.Fatalf("got %+v, want %d", res, c.want)
		}
		total += res.AmountCents
	}
	if total != 1_000_000 {
		t.Fatalf("total %d, want $10,000.00", total)
	}
	res := mustCompute(t, r, Event{AmountCents: 2_000_000, FirstEngagement: true}, Context{})
	if want := "20% of $20,000.00: first project of the referral"; res.Explanation != want {
		t.Fatalf("explanation %q, want %q", res.Explanation, want)
	}
	res = mustCompute(t, r, Event{AmountCents: 2_000_000, FirstEngagement: false}, Context{})
	if res.AmountCents != 0 || res.Reason != ReasonNotFirstProject {
		t.Fatalf("second engagement: %+v", res)
	}
}

// Worked example: tiers 1–3 10%, 4–10 15%, 11+ 20% from the threshold.
func TestVolumeTiersFromThreshold(t *testing.T) {
	r := Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold, Tiers: DefaultVolumeTiers()}
	want := []int64{1000, 1000, 1000, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 2000, 2000}
	for i, rate := range want {
		res := mustCompute(t, r, Event{AmountCents: 2_000_000}, Context{WonReferralOrdinal: int64(i + 1)})
		if res.RateBP != rate || res.AmountCents != ApplyRate(2_000_000, rate) {
			t.Fatalf("referral %d: %+v, want rate %d", i+1, res, rate)
		}
	}
	res := mustCompute(t, r, Event{AmountCents: 2_000_000}, Context{WonReferralOrdinal: 4})
	if want := "15% of $20,000.00: 4th won referral this year (tier 4–10)"; res.Explanation != want {
		t.Fatalf("explanation %q, want %q", res.Explanation, want)
	}
	res = mustCompute(t, r, Event{AmountCents: 2_000_000}, Context{WonReferralOrdinal: 11})
	if want := "20% of $20,000.00: 11th won referral this year (tier 11+)"; res.Explanation != want {
		t.Fatalf("explanation %q, want %q", res.Explanation, want)
	}
	if _, err := Compute(r, Event{AmountCents: 100}, Context{}); err == nil {
		t.Fatal("missing ordinal accepted")
	}
	r.Tiers = []Tier{{MinReferrals: 3, RateBP: 1000}}
	r.Period = Trailing12Months
	if res := mustCompute(t, r, Event{AmountCents: 100}, Context{WonReferralOrdinal: 2}); res.AmountCents != 0 || res.Reason != ReasonBelowFirstTier {
		t.Fatalf("below first tier: %+v", res)
	}
	if res := mustCompute(t, r, Event{AmountCents: 100}, Context{WonReferralOrdinal: 3}); !strings.Contains(res.Explanation, "3rd won referral in the last 12 months (tier 3+)") {
		t.Fatalf("trailing explanation: %q", res.Explanation)
	}
}

func TestVolumeTiersRetroactive(t *testing.T) {
	r := Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: Retroactive, Tiers: DefaultVolumeTiers()}
	res := mustCompute(t, r, Event{AmountCents: 1_000_000}, Context{WonReferralOrdinal: 2, WonReferralsInPeriod: 4})
	if res.RateBP != 1500 || res.AmountCents != 150_000 {
		t.Fatalf("retroactive compute: %+v", res)
	}
	if _, err := Compute(r, Event{AmountCents: 1}, Context{WonReferralOrdinal: 1}); err == nil {
		t.Fatal("retroactive without WonReferralsInPeriod accepted")
	}
	// Three referrals earned 10%, one payment refunded; the 4th reaches 15%.
	prior := []PriorAccrual{
		{BaseCents: 1_000_000, RateBP: 1000, EarnedCents: 100_000},
		{BaseCents: 333, RateBP: 1000, EarnedCents: 33},
		{BaseCents: -1_000_000, RateBP: 1000, EarnedCents: -100_000},
		{BaseCents: 500_000, RateBP: 1500, EarnedCents: 75_000},
	}
	top, err := RetroactiveTopUp(r, Context{WonReferralsInPeriod: 4}, prior)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{50_000, 17, -50_000, 0} // 333 × 15% = 49.95 → 50, less 33
	for i, w := range want {
		if top[i].AmountCents != w {
			t.Fatalf("top-up %d = %+v, want %d", i, top[i], w)
		}
	}
	if top[3].Reason == "" {
		t.Fatal("no reason for an entry already at the rate")
	}
	if _, err := RetroactiveTopUp(Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold, Tiers: DefaultVolumeTiers()}, Context{WonReferralsInPeriod: 4}, prior); err == nil {
		t.Fatal("top-up for from_threshold accepted")
	}
}

// Worked example: 10% ongoing on $5,000/month for 12 months.
func TestOngoingTwelveMonths(t *testing.T) {
	r := Rule{Kind: PercentOngoing, Direction: WePay, RateBP: 1000, Months: 12}
	start := day("2026-01-31")
	ctx := Context{FirstEngagementStartedOn: start, ClientActive: true}
	var n int
	for m := range 13 {
		paid := addMonths(start, m)
		res := mustCompute(t, r, Event{AmountCents: 500_000, PaidOn: paid}, ctx)
		if m < 12 {
			if res.AmountCents != 50_000 {
				t.Fatalf("month %d (%s): %+v", m+1, paid.Format(time.DateOnly), res)
			}
			n++
			continue
		}
		if res.AmountCents != 0 || res.Reason != "after the 12 months of the ongoing rule" {
			t.Fatalf("month 13: %+v", res)
		}
	}
	if n != 12 {
		t.Fatalf("%d accruals, want 12", n)
	}
	res := mustCompute(t, r, Event{AmountCents: 500_000, PaidOn: day("2026-03-15")}, ctx)
	if want := "10% of $5,000.00: month 2 of 12 of the ongoing rule"; res.Explanation != want {
		t.Fatalf("explanation %q, want %q", res.Explanation, want)
	}
	// The last day of the 12th month still counts; the start date is taken
	// from the first engagement when the context lacks it.
	res = mustCompute(t, r, Event{AmountCents: 500_000, PaidOn: day("2027-01-30"), FirstEngagement: true, EngagementStartedOn: start}, Context{})
	if res.AmountCents != 50_000 {
		t.Fatalf("last day: %+v", res)
	}
	if _, err := Compute(r, Event{AmountCents: 1, PaidOn: start}, Context{}); err == nil {
		t.Fatal("missing start date accepted")
	}
	// A refund in month 13 of a month-12 payment still claws back.
	res = mustCompute(t, r, Event{AmountCents: -500_000, PaidOn: day("2027-02-10"), RefundedPaidOn: day("2026-12-31")}, Context{FirstEngagementStartedOn: start, EarnedCents: 600_000})
	if res.AmountCents != -50_000 {
		t.Fatalf("late refund: %+v", res)
	}
}

func TestOngoingWhileActive(t *testing.T) {
	r := Rule{Kind: PercentOngoing, Direction: WePay, RateBP: 1000}
	if res := mustCompute(t, r, Event{AmountCents: 500_000, PaidOn: day("2030-01-01")}, Context{ClientActive: true}); res.AmountCents != 50_000 {
		t.Fatalf("active: %+v", res)
	}
	if res := mustCompute(t, r, Event{AmountCents: 500_000}, Context{ClientActive: false}); res.AmountCents != 0 || res.Reason != ReasonClientInactive {
		t.Fatalf("inactive: %+v", res)
	}
}

// Worked example: a $10,000 payment refunded in full reverses its accrual.
func TestRefundReversesAccrual(t *testing.T) {
	rules := []Rule{
		{Kind: PercentFirstProject, Direction: WePay, RateBP: 1555},
		{Kind: PercentFirstProject, Direction: WePay, RateBP: 2000, CapCents: cents(150_000)},
		{Kind: PercentFirstProject, Direction: WePay, RateBP: 1, MinCents: cents(5_000)},
		{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 3333, MarkupBP: 1700},
		{Kind: TieredConversion, Direction: WeReceive, WindowMonths: 12, Tiers: []Tier{{RateBP: 1000}, {MinConversionBP: 5000, RateBP: 1500}}},
	}
	for _, r := range rules {
		ev := Event{AmountCents: 1_000_000, FirstEngagement: true}
		ctx := Context{ConversionBP: 5000}
		acc := mustCompute(t, r, ev, ctx)
		ev.AmountCents = -1_000_000
		ctx.EarnedCents = acc.AmountCents
		rev := mustCompute(t, r, ev, ctx)
		if acc.AmountCents <= 0 || rev.AmountCents != -acc.AmountCents {
			t.Fatalf("%s: accrual %d, reversal %d", r.Kind, acc.AmountCents, rev.AmountCents)
		}
		if !strings.HasPrefix(rev.Explanation, "Refund") {
			t.Fatalf("%s: refund explanation %q", r.Kind, rev.Explanation)
		}
	}
	r := rules[0]
	// Partial refund: same rate; never more than what was earned.
	res := mustCompute(t, r, Event{AmountCents: -300_000, FirstEngagement: true}, Context{EarnedCents: 155_500})
	if res.AmountCents != -46_650 {
		t.Fatalf("partial refund: %+v", res)
	}
	res = mustCompute(t, r, Event{AmountCents: -1_000_000, FirstEngagement: true}, Context{EarnedCents: 10_000})
	if res.AmountCents != -10_000 || !strings.Contains(res.Explanation, "limited to the $100.00 earned") {
		t.Fatalf("limited refund: %+v", res)
	}
	res = mustCompute(t, r, Event{AmountCents: -1_000_000, FirstEngagement: true}, Context{})
	if res.AmountCents != 0 || res.Reason != ReasonNothingToReverse {
		t.Fatalf("nothing earned: %+v", res)
	}
	if _, err := Compute(r, Event{AmountCents: -1}, Context{EarnedCents: -1}); err == nil {
		t.Fatal("negative EarnedCents accepted")
	}
}

// Worked example: co-delivery 60/40 on $100,000.
func TestCoDelivery(t *testing.T) {
	r := Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 6000}
	res := mustCompute(t, r, Event{AmountCents: 10_000_000}, Context{})
	if res.AmountCents != 6_000_000 || *res.Split != (Split{PartnerCents: 6_000_000, OurCents: 4_000_000}) {
		t.Fatalf("60/40: %+v %+v", res, res.Split)
	}
	r.Direction = WeReceive
	if res := mustCompute(t, r, Event{AmountCents: 10_000_000}, Context{}); res.AmountCents != 4_000_000 {
		t.Fatalf("we_receive: %+v", res)
	}
	// Markup 20%: the partner's $60,000 share of the price is $50,000 of
	// its work plus our $10,000 markup, shown to the partner.
	r = Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 6000, MarkupBP: 2000}
	res = mustCompute(t, r, Event{AmountCents: 10_000_000}, Context{})
	if res.AmountCents != 5_000_000 || *res.Split != (Split{PartnerCents: 5_000_000, OurCents: 5_000_000, MarkupCents: 1_000_000}) {
		t.Fatalf("markup: %+v %+v", res, res.Split)
	}
	if !strings.Contains(res.Explanation, "less our 20% markup ($10,000.00) = $50,000.00") {
		t.Fatalf("markup explanation %q", res.Explanation)
	}
	// Odd cents: parts still sum to the whole.
	r = Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 3333, MarkupBP: 1234}
	res = mustCompute(t, r, Event{AmountCents: 1_000_001}, Context{})
	if s := res.Split; s.PartnerCents+s.OurCents != 1_000_001 || res.AmountCents != s.PartnerCents {
		t.Fatalf("odd split: %+v", s)
	}
}

func TestFlatFeeOnce(t *testing.T) {
	r := Rule{Kind: FlatFee, Direction: WePay, AmountCents: 50_000}
	res := mustCompute(t, r, Event{AmountCents: 1_000}, Context{})
	if res.AmountCents != 50_000 || res.Explanation != "Flat fee of $500.00 for the won referral" {
		t.Fatalf("first: %+v", res)
	}
	res = mustCompute(t, r, Event{AmountCents: 1_000}, Context{FlatFeePaid: true})
	if res.AmountCents != 0 || res.Reason != ReasonFlatFeePaid {
		t.Fatalf("second: %+v", res)
	}
	res = mustCompute(t, r, Event{AmountCents: -1_000}, Context{FlatFeePaid: true, EarnedCents: 50_000})
	if res.AmountCents != 0 || res.Reason != ReasonFlatFeeNoRefund {
		t.Fatalf("refund: %+v", res)
	}
}

func TestReciprocityOnly(t *testing.T) {
	res := mustCompute(t, Rule{Kind: ReciprocityOnly, Direction: WePay}, Event{AmountCents: 10_000_000}, Context{})
	if res.AmountCents != 0 || res.Reason != "reciprocity only — no cash" || res.Explanation == "" {
		t.Fatalf("%+v", res)
	}
}

func TestTieredConversion(t *testing.T) {
	r := Rule{Kind: TieredConversion, Direction: WePay, WindowMonths: 12,
		Tiers: []Tier{{MinConversionBP: 0, RateBP: 1000}, {MinConversionBP: 5000, RateBP: 1500}}}
	for conv, rate := range map[int64]int64{0: 1000, 4999: 1000, 5000: 1500, 10_000: 1500} {
		res := mustCompute(t, r, Event{AmountCents: 2_000_000}, Context{ConversionBP: conv})
		if res.RateBP != rate || res.AmountCents != ApplyRate(2_000_000, rate) {
			t.Fatalf("conversion %d: %+v", conv, res)
		}
	}
	res := mustCompute(t, r, Event{AmountCents: 2_000_000}, Context{ConversionBP: 5500})
	if want := "15% of $20,000.00: 55% conversion over the last 12 months (tier 50%+)"; res.Explanation != want {
		t.Fatalf("explanation %q, want %q", res.Explanation, want)
	}
	if _, err := Compute(r, Event{AmountCents: 1}, Context{ConversionBP: 10_001}); err == nil {
		t.Fatal("conversion above 100% accepted")
	}
}

func TestCapAndMinimum(t *testing.T) {
	r := Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: 1000, CapCents: cents(100_000), MinCents: cents(5_000)}
	for _, c := range []struct {
		paid, want int64
		note       string
	}{
		{2_000_000, 100_000, "capped at $1,000.00 per entry"},
		{1_000_000, 100_000, ""},
		{500_000, 50_000, ""},
		{10_000, 5_000, "raised to the $50.00 minimum per entry"},
	} {
		res := mustCompute(t, r, Event{AmountCents: c.paid, FirstEngagement: true}, Context{})
		if res.AmountCents != c.want || !strings.Contains(res.Explanation, c.note) {
			t.Fatalf("paid %d: %+v, want %d (%s)", c.paid, res, c.want, c.note)
		}
	}
	// Caps apply per entry: two capped payments earn two caps.
	var total int64
	for range 2 {
		total += mustCompute(t, r, Event{AmountCents: 5_000_000, FirstEngagement: true}, Context{}).AmountCents
	}
	if total != 200_000 {
		t.Fatalf("two entries %d", total)
	}
}

func TestComputeRoundsHalfEvenOnce(t *testing.T) {
	r := Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: 1500}
	for paid, want := range map[int64]int64{3: 0, 5: 1, 10: 2, -10: -2, 1: 0} {
		res := mustCompute(t, r, Event{AmountCents: paid, FirstEngagement: true}, Context{EarnedCents: 100})
		if res.AmountCents != want {
			t.Fatalf("15%% of %d cents: %d, want %d", paid, res.AmountCents, want)
		}
	}
	if res := mustCompute(t, r, Event{AmountCents: 0, FirstEngagement: true}, Context{}); res.Reason != ReasonNoRevenue {
		t.Fatalf("zero: %+v", res)
	}
	if _, err := Compute(r, Event{AmountCents: MaxAmountCents + 1}, Context{}); err == nil {
		t.Fatal("huge amount accepted")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		rule  Rule
		field string // "" = valid
	}{
		{"percent ok", Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: 2000}, ""},
		{"negative rate", Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: -1}, "rate_bp"},
		{"rate over 100%", Rule{Kind: PercentOngoing, Direction: WePay, RateBP: 10_001}, "rate_bp"},
		{"negative months", Rule{Kind: PercentOngoing, Direction: WePay, RateBP: 1, Months: -1}, "months"},
		{"no direction", Rule{Kind: ReciprocityOnly}, "direction"},
		{"bad direction", Rule{Kind: ReciprocityOnly, Direction: "both"}, "direction"},
		{"no kind", Rule{Direction: WePay}, "kind"},
		{"unknown kind", Rule{Kind: "bonus", Direction: WePay}, "kind"},
		{"flat fee zero", Rule{Kind: FlatFee, Direction: WePay}, "amount_cents"},
		{"volume ok", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold, Tiers: DefaultVolumeTiers()}, ""},
		{"volume bad period", Rule{Kind: TieredVolume, Direction: WePay, Period: "week", Mode: FromThreshold, Tiers: DefaultVolumeTiers()}, "period"},
		{"volume bad mode", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Tiers: DefaultVolumeTiers()}, "mode"},
		{"volume no tiers", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold}, "tiers"},
		{"volume unsorted", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold,
			Tiers: []Tier{{MinReferrals: 4, RateBP: 1500}, {MinReferrals: 1, RateBP: 1000}}}, "tiers[1].min_referrals"},
		{"volume overlapping", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold,
			Tiers: []Tier{{MinReferrals: 1, RateBP: 1000}, {MinReferrals: 1, RateBP: 1500}}}, "tiers[1].min_referrals"},
		{"volume zero threshold", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold,
			Tiers: []Tier{{MinReferrals: 0, RateBP: 1000}}}, "tiers[0].min_referrals"},
		{"volume negative tier rate", Rule{Kind: TieredVolume, Direction: WePay, Period: CalendarYear, Mode: FromThreshold,
			Tiers: []Tier{{MinReferrals: 1, RateBP: -5}}}, "tiers[0].rate_bp"},
		{"conversion no window", Rule{Kind: TieredConversion, Direction: WePay, Tiers: []Tier{{RateBP: 1}}}, "window_months"},
		{"conversion above 100%", Rule{Kind: TieredConversion, Direction: WePay, WindowMonths: 12, Tiers: []Tier{{MinConversionBP: 10_001, RateBP: 1}}}, "tiers[0].min_conversion_bp"},
		{"share above 100%", Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 10_001}, "partner_share_bp"},
		{"negative share", Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: -1}, "partner_share_bp"},
		{"negative markup", Rule{Kind: CoDeliverySplit, Direction: WePay, PartnerShareBP: 1, MarkupBP: -1}, "markup_bp"},
		{"negative cap", Rule{Kind: PercentFirstProject, Direction: WePay, CapCents: cents(-1)}, "cap_cents"},
		{"min above cap", Rule{Kind: PercentFirstProject, Direction: WePay, CapCents: cents(1), MinCents: cents(2)}, "min_cents"},
		{"reciprocity with minimum", Rule{Kind: ReciprocityOnly, Direction: WePay, MinCents: cents(1)}, "min_cents"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rule.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid rule rejected: %v", err)
				}
				return
			}
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("want FieldErrors on %s, got %v", c.field, err)
			}
			if _, ok := fe[c.field]; !ok || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("want an error on %s, got %v", c.field, err)
			}
		})
	}
	if _, err := Compute(Rule{Kind: PercentFirstProject, Direction: WePay, RateBP: -1}, Event{AmountCents: 1}, Context{}); err == nil {
		t.Fatal("Compute accepted a negative rate")
	}
}

func TestRuleJSON(t *testing.T) {
	in := `[{"kind":"percent_ongoing","direction":"we_pay","rate_bp":1000,"months":null,"cap_cents":500000},
	{"kind":"tiered_volume","direction":"we_receive","period":"calendar_year","mode":"from_threshold",
	 "tiers":[{"min_referrals":1,"rate_bp":1000},{"min_referrals":4,"rate_bp":1500}]},
	{"kind":"co_delivery_split","direction":"we_pay","partner_share_bp":6000,"markup_bp":1500},
	{"kind":"tiered_conversion","direction":"we_pay","window_months":12,"tiers":[{"min_conversion_bp":0,"rate_bp":1000},{"min_conversion_bp":5000,"rate_bp":1500}]}]`
	var rules []Rule
	if err := json.Unmarshal([]byte(in), &rules); err != nil {
		t.Fatal(err)
	}
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
	}
	if rules[0].Months != 0 || *rules[0].CapCents != 500_000 || rules[1].Tiers[1].MinReferrals != 4 || rules[2].MarkupBP != 1500 || rules[3].Tiers[1].MinConversionBP != 5000 {
		t.Fatalf("decoded %+v", rules)
	}
	out, err := json.Marshal(rules[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kind":"percent_ongoing","direction":"we_pay","rate_bp":1000,"cap_cents":500000}`; string(out) != want {
		t.Fatalf("marshal %s, want %s", out, want)
	}
}
