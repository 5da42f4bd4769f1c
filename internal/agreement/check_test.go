package agreement

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/policy"
)

func violations(set policy.Set, a Agreement) []string {
	var out []string
	for _, v := range PolicyViolations(set, a) {
		out = append(out, v.Rule.Key+"@"+v.Field)
	}
	return out
}

func TestPolicyLaw(t *testing.T) {
	law := policy.NewSet("law")
	ok := Agreement{EffectiveFrom: day("2026-01-01"), EffectiveTo: dayPtr("2026-12-31"), Exclusivity: "none",
		Terms: Terms{Reciprocal: true, ClientDisclosure: "Told in the engagement letter.", PartnerProfession: "law"},
		Rules: []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}}
	assert.Empty(t, violations(law, ok), "a compliant law-firm agreement")

	a := ok
	a.Exclusivity, a.ExclusivityScope = "geography", []string{"Boston"}
	assert.Equal(t, []string{policy.LawNoExclusiveReciprocal + "@exclusivity"}, violations(law, a))
	a.Terms.Reciprocal = false
	assert.Empty(t, violations(law, a), "a one-way agreement may be exclusive")

	a = ok
	a.Terms.ClientDisclosure = ""
	assert.Equal(t, []string{policy.LawClientDisclosure + "@terms.client_disclosure"}, violations(law, a))

	a = ok
	a.EffectiveTo = dayPtr("2027-01-01") // 12 months and a day
	assert.Equal(t, []string{policy.LawAnnualReview + "@terms.annual_review"}, violations(law, a))
	a.EffectiveTo = nil
	assert.Equal(t, []string{policy.LawAnnualReview + "@terms.annual_review"}, violations(law, a), "open-ended")
	a.Terms.AnnualReview = true
	assert.Empty(t, violations(law, a), "open-ended with an annual review")

	a = ok
	a.Terms.PartnerProfession = "accounting"
	assert.Equal(t, []string{policy.LawNoFeeToNonLawyer + "@rules"}, violations(law, a))
	a.Terms.PartnerProfession = ""
	assert.Equal(t, []string{policy.LawNoFeeToNonLawyer + "@rules"}, violations(law, a), "unknown profession is not law")
	a.Rules = []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WeReceive, RateBP: 1000},
		{Kind: commission.ReciprocityOnly, Direction: commission.WePay}}
	assert.Empty(t, violations(law, a), "receiving a fee, or reciprocity only, pays no fee to a non-lawyer")

	// The refusal carries the explanation.
	a = ok
	a.Terms.ClientDisclosure = ""
	err := CheckPolicy(law, a)
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	r, _ := policy.RuleByKey(policy.LawClientDisclosure)
	assert.Contains(t, apperr.Message(err), r.Explanation)
	assert.Equal(t, r.Explanation, apperr.FieldErrors(err)["terms.client_disclosure"])

	// The counsel's override switches the rule off.
	over := policy.NewSet("law", policy.Override{Key: policy.LawClientDisclosure, Reason: "Counsel's opinion of 3 March 2026."})
	assert.NoError(t, CheckPolicy(over, a))
}

func TestPolicyAccounting(t *testing.T) {
	acct := policy.NewSet("accounting")
	a := Agreement{EffectiveFrom: day("2026-01-01"), Exclusivity: "geography", ExclusivityScope: []string{"Ohio"},
		Terms: Terms{Reciprocal: true},
		Rules: []commission.Rule{{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 50000}}}
	assert.Equal(t, []string{policy.AcctFeeDisclosure + "@terms.client_disclosure"}, violations(acct, a),
		"a fee needs the client disclosure; law rules don't apply to accountants")
	a.Terms.ClientDisclosure = "Disclosed in the engagement letter."
	assert.Empty(t, violations(acct, a))
	a.Terms.ClientDisclosure = ""
	a.Rules = []commission.Rule{{Kind: commission.ReciprocityOnly, Direction: commission.WePay}}
	assert.Empty(t, violations(acct, a), "no fee, nothing to disclose")

	assert.Empty(t, violations(policy.NewSet("consulting"), Agreement{Exclusivity: "none",
		Rules: []commission.Rule{{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 1}}}), "no pack")
}
