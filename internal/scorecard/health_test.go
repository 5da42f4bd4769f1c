package scorecard

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func component(h Health, key string) Component {
	for _, c := range h.Components {
		if c.Key == key {
			return c
		}
	}
	panic("no component " + key)
}

// TestHealthQualityBeatsVolume is the field guide's worked example: ten
// referrals closing at 50% are better than fifty closing at 2% — on the
// conversion component, and on the total when the rest is equal.
func TestHealthQualityBeatsVolume(t *testing.T) {
	t.Parallel()
	rest := HealthInputs{Received: 60, Sent: 30, TheirBreaches: 3, CSATSum: 16, CSATCount: 4,
		ReviewsHeld: 2, ReviewsAttended: 1, ActiveQuarters: 4, Quarters: 4, ExpectedWon: 4, TierName: "Tier 2"}
	ten := rest
	ten.Won, ten.Lost = 5, 5
	fifty := rest
	fifty.Won, fifty.Lost = 1, 49

	hq, hv := ComputeHealth(ten), ComputeHealth(fifty)
	cq, cv := component(hq, "conversion"), component(hv, "conversion")
	// (5 + 2.5) ÷ (10 + 10) = 37.5% → 30 × 37.5 ÷ 50 = 22.5 → 23;
	// (1 + 2.5) ÷ (50 + 10) = 5.83% → 30 × 5.83 ÷ 50 = 3.5 → 4.
	require.Equal(t, 23, cq.Points, cq.Explain)
	require.Equal(t, 4, cv.Points, cv.Explain)
	require.Equal(t, "50% of 10 decided (5 won)", cq.Value)
	require.Equal(t, "2% of 50 decided (1 won)", cv.Value)
	require.Contains(t, cq.Explain, "37.5%")
	require.Greater(t, hq.Score, hv.Score)

	// Even with the volume component equal (both at the tier's level),
	// quality wins on the total.
	ten.ExpectedWon, fifty.ExpectedWon = 1, 1
	require.Greater(t, ComputeHealth(ten).Score, ComputeHealth(fifty).Score)
}

// TestHealthSmallSample: one won of one decided is not 100%.
func TestHealthSmallSample(t *testing.T) {
	t.Parallel()
	c := component(ComputeHealth(HealthInputs{Won: 1, Quarters: 4}), "conversion")
	// (1 + 2.5) ÷ 11 = 31.8% → 30 × 31.8 ÷ 50 = 19.09 → 19.
	require.Equal(t, 19, c.Points)
	c = component(ComputeHealth(HealthInputs{Won: 40, Lost: 0, Quarters: 4}), "conversion")
	require.Equal(t, 30, c.Points, "a long record of closing earns full points")
}

// TestHealthComponents checks each component on hand-worked figures.
func TestHealthComponents(t *testing.T) {
	t.Parallel()
	h := ComputeHealth(HealthInputs{Won: 4, Lost: 1, Received: 6, Sent: 4, TheirBreaches: 1, CSATSum: 4, CSATCount: 1,
		ReviewsHeld: 2, ReviewsAttended: 1, ActiveQuarters: 3, Quarters: 4, ExpectedWon: 4, TierName: "Tier 2 – Active"})
	want := map[string]int{
		"conversion":     26, // (4 + 2.5) ÷ 15 = 43.3% → 30 × 43.3 ÷ 50 = 26
		"volume":         20, // 4 of the 4 expected
		"responsiveness": 11, // 3 of 4 on time → 11.25
		"satisfaction":   11, // (4 − 1) ÷ 4 → 11.25
		"reciprocity":    10, // they sent more than we did
		"engagement":     7,  // attendance 1 of 2 → 2.5 → 3; activity 3 of 4 → 3.75 → 4
	}
	total := 0
	for _, c := range h.Components {
		require.Equal(t, want[c.Key], c.Points, "%s: %s", c.Key, c.Explain)
		require.LessOrEqual(t, c.Points, c.Weight)
		total += c.Weight
	}
	require.Equal(t, 100, total, "the weights sum to 100")
	require.Equal(t, 85, h.Score)
	require.Equal(t, HealthFormula, h.Formula)
	require.Equal(t, "Tier 2 – Active expects 4 won referrals a year: 20 of 20.", component(h, "volume").Explain)
	require.Equal(t, "3 of our 4 referrals answered within the SLA (1 breach)", component(h, "responsiveness").Value)
	require.Equal(t, "4 of 5 from 1 answer", component(h, "satisfaction").Value)

	// Reciprocity: 2 back for 12 sent → 10 × 2 ÷ 12 = 1.67 → 2.
	require.Equal(t, 2, component(ComputeHealth(HealthInputs{Received: 2, Sent: 12}), "reciprocity").Points)
	// Client satisfaction: 5 is full, 1 is nothing.
	require.Equal(t, 15, component(ComputeHealth(HealthInputs{CSATSum: 10, CSATCount: 2}), "satisfaction").Points)
	require.Equal(t, 0, component(ComputeHealth(HealthInputs{CSATSum: 2, CSATCount: 2}), "satisfaction").Points)
	// More breaches than referrals can't go below zero.
	require.Equal(t, 0, component(ComputeHealth(HealthInputs{Sent: 2, TheirBreaches: 3}), "responsiveness").Points)
}

// TestHealthMissingDataIsNeutral: without data a component earns half its
// points and says so; volume is a fact (nothing won), not missing.
func TestHealthMissingDataIsNeutral(t *testing.T) {
	t.Parallel()
	h := ComputeHealth(HealthInputs{Quarters: 4, ExpectedWon: 1})
	want := map[string]int{"conversion": 15, "volume": 0, "responsiveness": 8, "satisfaction": 8, "reciprocity": 5, "engagement": 3}
	for _, c := range h.Components {
		require.Equal(t, want[c.Key], c.Points, c.Key)
		if c.Key != "volume" && c.Key != "engagement" {
			require.Contains(t, c.Explain, "No data yet: half the points", c.Key)
		}
	}
	require.Contains(t, component(h, "engagement").Explain, "no review held")
	require.Equal(t, 39, h.Score)
}

// TestReciprocitySentence is the review's wording, as the alert's.
func TestReciprocitySentence(t *testing.T) {
	t.Parallel()
	r := ReciprocityOf(2, 12, Figures{RevenueReceivedCents: 100, CommissionsEarnedCents: 7})
	require.Equal(t, "We've referred 12 opportunities to you this year and received 2.", r.Sentence)
	require.Equal(t, "us", r.Leaning)
	require.EqualValues(t, 60, *r.RatioX10)
	require.EqualValues(t, 100, r.RevenueReceivedCents)
	require.EqualValues(t, 7, r.CommissionsPaidToThemCents)

	r = ReciprocityOf(6, 4, Figures{})
	require.Equal(t, "You've referred 6 opportunities to us this year and we've sent you 4.", r.Sentence)
	require.Equal(t, "them", r.Leaning)
	require.EqualValues(t, 15, *r.RatioX10)

	r = ReciprocityOf(0, 1, Figures{})
	require.Equal(t, "We've referred 1 opportunity to you this year and received 0.", r.Sentence)
	require.Nil(t, r.RatioX10, "no ratio to none")

	r = ReciprocityOf(0, 0, Figures{})
	require.Equal(t, "even", r.Leaning)
	require.Equal(t, "No referrals either way in the last 12 months.", r.Sentence)
}

func TestVolumeLevel(t *testing.T) {
	t.Parallel()
	// Three tiers: the guide's bands from the bottom up.
	require.EqualValues(t, 11, VolumeLevel(0, 3))
	require.EqualValues(t, 4, VolumeLevel(1, 3))
	require.EqualValues(t, 1, VolumeLevel(2, 3))
	// Five tiers: 10 more for each above the third.
	require.EqualValues(t, 31, VolumeLevel(0, 5))
	require.EqualValues(t, 21, VolumeLevel(1, 5))
	require.EqualValues(t, 11, VolumeLevel(2, 5))
	require.EqualValues(t, 1, VolumeLevel(0, 1))
}

// TestRecommend: promote, keep and demote with their reasons.
func TestRecommend(t *testing.T) {
	t.Parallel()
	tiers := []TierRef{{ID: uuid.New(), Name: "Tier 1", Rank: 1}, {ID: uuid.New(), Name: "Tier 2", Rank: 2}, {ID: uuid.New(), Name: "Tier 3", Rank: 3}}
	t1, t2, t3 := tiers[0].ID, tiers[1].ID, tiers[2].ID
	in := func(tier *uuid.UUID, health int, won, before int64) RecommendInputs {
		return RecommendInputs{Status: "active", Tiers: tiers, CurrentTierID: tier, Health: health,
			WonYear: won, WonYearBefore: before, Established: true}
	}
	cases := []struct {
		name    string
		in      RecommendInputs
		action  string
		target  *uuid.UUID
		reasons []string
		needs   []string
	}{
		{name: "promote: health and the next tier's volume two quarters running", in: in(&t2, 80, 12, 11),
			action: "promote", target: &t1, reasons: []string{"Health 80 is at least 75.",
				"12 won referrals in the last 4 quarters and 11 in the 4 before this quarter: at least the 11 Tier 1 expects, two quarters running."}},
		{name: "keep: the volume only this quarter", in: in(&t2, 80, 12, 9), action: "keep",
			reasons: []string{"Health 80 is at least 75.", "12 won referrals in the last 4 quarters; Tier 2 expects 4."},
			needs:   []string{"11 won referrals over 4 quarters, two quarters running (now 12, and 9 a quarter ago)."}},
		{name: "keep: volume but not health", in: in(&t3, 74, 5, 5), action: "keep",
			reasons: []string{"Health 74 is between 40 and 74.", "5 won referrals in the last 4 quarters; Tier 3 expects 1."},
			needs:   []string{"A health score of 75 or more (now 74)."}},
		{name: "demote: health below 40", in: in(&t2, 39, 3, 3), action: "demote", target: &t3,
			reasons: []string{"Health 39 is below 40."}},
		{name: "demote: nothing won in 4 quarters", in: in(&t1, 60, 0, 2), action: "demote", target: &t2,
			reasons: []string{"No won referral in the last 4 quarters."}},
		{name: "keep: a new partner is not demoted", in: func() RecommendInputs { r := in(&t2, 30, 0, 0); r.Established = false; return r }(),
			action: "keep", reasons: []string{"Health 30 is below 40.", "No won referral in the last 4 quarters.",
				"But the partner has less than 4 quarters of history: no demotion yet."}},
		{name: "keep: already the lowest tier", in: in(&t3, 20, 0, 0), action: "keep",
			reasons: []string{"Health 20 is below 40.", "No won referral in the last 4 quarters.",
				"Already in the lowest tier: consider pausing or ending the partnership instead."}},
		{name: "keep: the top tier", in: in(&t1, 95, 20, 20), action: "keep",
			reasons: []string{"Health 95 is at least 75.", "20 won referrals in the last 4 quarters; Tier 1 expects 11.", "Already in the top tier."}},
		{name: "promote: no tier yet into the lowest", in: in(nil, 80, 2, 1), action: "promote", target: &t3},
		{name: "keep: no tier yet", in: in(nil, 50, 2, 1), action: "keep", reasons: []string{"Not in a tier yet."},
			needs: []string{"A health score of 75 or more (now 50)."}},
		{name: "keep: a prospect", in: func() RecommendInputs { r := in(&t2, 10, 0, 0); r.Status = "prospect"; return r }(),
			action: "keep", reasons: []string{"The partner's status is prospect: tier moves are recommended for active and paused partners only."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := Recommend(c.in)
			require.Equal(t, c.action, rec.Action)
			if c.target == nil {
				require.Nil(t, rec.TargetTier)
			} else {
				require.Equal(t, *c.target, rec.TargetTier.ID)
			}
			if c.reasons != nil {
				require.Equal(t, c.reasons, rec.Reasons)
			}
			if c.needs != nil {
				require.Equal(t, c.needs, rec.NextNeeds)
			}
		})
	}
	// What the next tier takes, and none above the top.
	rec := Recommend(in(&t3, 60, 0, 0))
	require.Equal(t, t2, rec.NextTier.ID)
	require.Equal(t, []string{"A health score of 75 or more (now 60).",
		"4 won referrals over 4 quarters, two quarters running (now 0, and 0 a quarter ago)."}, rec.NextNeeds)
	rec = Recommend(in(&t1, 60, 11, 11))
	require.Nil(t, rec.NextTier)
	require.Empty(t, rec.NextNeeds)
}
