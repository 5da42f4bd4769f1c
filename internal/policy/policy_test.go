package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPacks(t *testing.T) {
	keys := func(rs []Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
			assert.NotEmpty(t, r.Title, r.Key)
			assert.NotEmpty(t, r.Explanation, r.Key)
			assert.Contains(t, []string{AppliesToAgreement, AppliesToReferral}, r.AppliesTo, r.Key)
		}
		return out
	}
	assert.Equal(t, []string{LawNoExclusiveReciprocal, LawClientDisclosure, LawAnnualReview, LawNoFeeToNonLawyer, LawConflictsCheck},
		keys(Pack("law")))
	assert.Equal(t, []string{AcctNoCommissionAttest, AcctFeeDisclosure}, keys(Pack("accounting")))
	for _, p := range []string{"consulting", "marketing_agency", "other", "", "nonsense"} {
		assert.Empty(t, Pack(p), p)
	}
	// Pack returns a copy.
	p := Pack("law")
	p[0].Title = "changed"
	assert.NotEqual(t, "changed", Pack("law")[0].Title)
}

func TestSetActive(t *testing.T) {
	law := NewSet("law")
	assert.True(t, law.Active(LawClientDisclosure))
	assert.False(t, law.Active(AcctFeeDisclosure), "another profession's rule is not in the pack")

	over := NewSet("law", Override{Key: LawAnnualReview, Reason: "Counsel: our bar has no such rule (memo 2026-03)."})
	assert.False(t, over.Active(LawAnnualReview), "overridden")
	assert.True(t, over.Has(LawAnnualReview))
	assert.True(t, over.Active(LawClientDisclosure), "the others stay active")

	other := NewSet("other")
	assert.False(t, other.Active(LawClientDisclosure))
	_, ok := RuleByKey(AcctNoCommissionAttest)
	assert.True(t, ok)
	_, ok = RuleByKey("law.nope")
	assert.False(t, ok)
}
