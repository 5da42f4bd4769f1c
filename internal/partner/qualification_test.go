package partner

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
)

func TestWeightedScore(t *testing.T) {
	// Criteria a..f with the default weights 20/20/15/15/15/15.
	def := map[string]int{"a": 20, "b": 20, "c": 15, "d": 15, "e": 15, "f": 15}
	tests := []struct {
		name     string
		scores   map[string]int
		weights  map[string]int
		want     int
		complete bool
	}{
		// 5×20 + 4×20 + 3×15 + 4×15 + 5×15 + 2×15 = 390 over 100 → 3.90.
		{"defaults, all scored", map[string]int{"a": 5, "b": 4, "c": 3, "d": 4, "e": 5, "f": 2}, def, 390, true},
		{"all fives", map[string]int{"a": 5, "b": 5, "c": 5, "d": 5, "e": 5, "f": 5}, def, 500, true},
		{"all ones", map[string]int{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1}, def, 100, true},
		// Weights summing to 90 are normalised: (5×30 + 2×60) / 90 = 3.00.
		{"weights add up to 90", map[string]int{"a": 5, "b": 2}, map[string]int{"a": 30, "b": 60}, 300, true},
		// Same proportions, any total: 1:2 gives the same 3.00.
		{"weights 1 and 2", map[string]int{"a": 5, "b": 2}, map[string]int{"a": 1, "b": 2}, 300, true},
		// A zero-weight criterion changes nothing, scored or not, and is never missing.
		{"zero weight scored", map[string]int{"a": 5, "b": 1}, map[string]int{"a": 50, "b": 0}, 500, true},
		{"zero weight unscored", map[string]int{"a": 4}, map[string]int{"a": 50, "b": 0}, 400, true},
		// Missing scores: the value is over the scored ones and flagged incomplete.
		// (5×20 + 4×20 + 3×15) / 55 = 225/55 = 4.0909… → 4.09.
		{"missing scores", map[string]int{"a": 5, "b": 4, "c": 3}, def, 409, false},
		{"nothing scored", map[string]int{}, def, 0, false},
		{"all weights zero", map[string]int{"a": 3}, map[string]int{"a": 0}, 0, false},
		{"no criteria", map[string]int{"a": 3}, map[string]int{}, 0, false},
		// A score for a criterion not in weights (inactive) is ignored.
		{"score of an inactive criterion", map[string]int{"a": 2, "z": 5}, map[string]int{"a": 10}, 200, true},
		// Out-of-range scores don't count (and make the card incomplete).
		{"out of range", map[string]int{"a": 9, "b": 3}, map[string]int{"a": 10, "b": 10}, 300, false},
		// Rounding once, half to even: 13/3 = 4.333… → 4.33; 14/3 → 4.67.
		{"rounds down", map[string]int{"a": 5, "b": 4, "c": 4}, map[string]int{"a": 1, "b": 1, "c": 1}, 433, true},
		{"rounds up", map[string]int{"a": 5, "b": 5, "c": 4}, map[string]int{"a": 1, "b": 1, "c": 1}, 467, true},
		// (1×3 + 2×5)/8 = 1.625 → exactly half a hundredth: 162.5 → 162 (even).
		{"half to even, down", map[string]int{"a": 1, "b": 2}, map[string]int{"a": 3, "b": 5}, 162, true},
		// (2×3 + 1×5)/8 = 1.375 → 137.5 → 138 (even).
		{"half to even, up", map[string]int{"a": 2, "b": 1}, map[string]int{"a": 3, "b": 5}, 138, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, complete := WeightedScore(tt.scores, tt.weights)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.complete, complete)
		})
	}
}

func TestDefaultCriteriaAddUpTo100(t *testing.T) {
	sum := 0
	for _, c := range DefaultCriteria {
		sum += c.Weight
	}
	require.Equal(t, 100, sum)
	require.Len(t, DefaultCriteria, 6)
}

func TestFormatScore(t *testing.T) {
	require.Equal(t, "3.90", FormatScore(390))
	require.Equal(t, "4.09", FormatScore(409))
	require.Equal(t, "5.00", FormatScore(500))
	require.Equal(t, "0.00", FormatScore(0))
}

func intp(n int) *int { return &n }

func refs(sentiments ...string) []Reference {
	out := make([]Reference, len(sentiments))
	for i, s := range sentiments {
		out[i] = Reference{Who: "R", Sentiment: s}
	}
	return out
}

func kinds(fs []QualFlag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind+":"+f.Severity)
	}
	return out
}

func TestQualificationFlags(t *testing.T) {
	tests := []struct {
		name      string
		refs      []Reference
		checklist []RedFlag
		potential Assessment
		want      []string
	}{
		{"nothing", nil, nil, Assessment{}, nil},
		{"positive references only", refs("positive", "neutral", "positive"), nil, Assessment{}, nil},
		{"one negative is a note", refs("negative", "positive"), nil, Assessment{}, []string{"negative_references:note"}},
		{"two negatives are a note", refs("negative", "negative", "positive"), nil, Assessment{}, []string{"negative_references:note"}},
		{"three negatives are a pattern", refs("negative", "negative", "negative"), nil, Assessment{}, []string{"pattern:red"}},
		{"four negatives are a pattern", refs("negative", "negative", "positive", "negative", "negative"), nil, Assessment{}, []string{"pattern:red"}},
		{"each checklist item is a red flag",
			nil, []RedFlag{{Flag: "vague_commitments"}, {Flag: "one_sided_interest", Note: "only asks"}}, Assessment{},
			[]string{"one_sided_interest:red", "vague_commitments:red"}},
		{"all four", nil, []RedFlag{{Flag: "unrealistic_expectations"}, {Flag: "cant_say_what_they_refer"},
			{Flag: "vague_commitments"}, {Flag: "one_sided_interest"}}, Assessment{},
			[]string{"one_sided_interest:red", "vague_commitments:red", "cant_say_what_they_refer:red", "unrealistic_expectations:red"}},
		{"potential 2 a year warns", nil, nil, Assessment{ExpectedIn: intp(2)}, []string{"low_potential:warning"}},
		{"potential 0 warns", nil, nil, Assessment{ExpectedIn: intp(0), ExpectedOut: intp(20)}, []string{"low_potential:warning"}},
		{"potential 3 a year is fine", nil, nil, Assessment{ExpectedIn: intp(3)}, nil},
		{"only outgoing known: no warning yet", nil, nil, Assessment{ExpectedOut: intp(1)}, nil},
		{"everything", refs("negative", "negative", "negative"), []RedFlag{{Flag: "vague_commitments"}},
			Assessment{ExpectedIn: intp(1)}, []string{"pattern:red", "vague_commitments:red", "low_potential:warning"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, kinds(QualificationFlags(tt.refs, tt.checklist, tt.potential)))
		})
	}
	fs := QualificationFlags(refs("negative", "negative", "negative"), []RedFlag{{Flag: "one_sided_interest", Note: "only asks"}}, Assessment{})
	require.Contains(t, fs[0].Message, "three are a trend")
	require.Equal(t, "One-sided interest: only asks", fs[1].Message)
	// The header shows red flags and warnings, not notes.
	require.Equal(t, []string{"Low referral potential"},
		HeaderFlags(QualificationFlags(refs("negative"), nil, Assessment{ExpectedIn: intp(2)})))
}

func TestValidateScores(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	got, err := ValidateScores([]ScoreInput{{CriterionID: a, Score: "5"}, {CriterionID: b, Score: " 1 "}, {CriterionID: c, Score: ""}})
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID]int{a: 5, b: 1}, got)

	for _, bad := range []string{"0", "6", "-1", "3.5", "x"} {
		_, err := ValidateScores([]ScoreInput{{CriterionID: a, Name: "Quality", Score: bad}})
		require.Equal(t, apperr.EInvalid, apperr.Code(err), bad)
		require.Contains(t, apperr.FieldErrors(err)["score."+a.String()], "Quality")
	}
	_, err = ValidateScores([]ScoreInput{{CriterionID: a, Score: "", Note: "why"}})
	require.Contains(t, apperr.FieldErrors(err), "score."+a.String())
	_, err = ValidateScores([]ScoreInput{{CriterionID: a, Score: "3", Note: strings.Repeat("x", 2001)}})
	require.Contains(t, apperr.FieldErrors(err), "note."+a.String())
}

func TestScorePartner(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	cs := []Criterion{{ID: a, Weight: 60, Active: true}, {ID: b, Weight: 30, Active: true}, {ID: c, Weight: 10, Active: false}}
	sc := ScorePartner(cs, map[uuid.UUID]CriterionScore{a: {Score: 5}, c: {Score: 1}})
	require.Equal(t, Scorecard{Hundredths: 500, Complete: false, Scored: 1, Criteria: 2, WeightSum: 90}, sc)
	require.Equal(t, 90, WeightSum(cs))
}

func TestInputsValidate(t *testing.T) {
	r := ReferenceInput{Who: " ", Sentiment: "meh"}
	err := r.Validate()
	require.Equal(t, map[string]string{"who": "Enter who gave the reference.", "sentiment": "Choose positive, neutral or negative."}, apperr.FieldErrors(err))
	r = ReferenceInput{Who: " Ann ", Sentiment: "negative"}
	require.NoError(t, r.Validate())
	require.Equal(t, "Ann", r.Who)

	p := PotentialInput{ExpectedIn: "2", ExpectedOut: "", Clients: "-4"}
	_, _, _, err = p.Parse()
	require.Contains(t, apperr.FieldErrors(err), "clients")
	p = PotentialInput{ExpectedIn: "2", ExpectedOut: "", Clients: "40"}
	in, out, cl, err := p.Parse()
	require.NoError(t, err)
	require.Equal(t, 2, *in)
	require.Nil(t, out)
	require.Equal(t, 40, *cl)

	d := DecisionInput{Decision: "reject"}
	require.Contains(t, apperr.FieldErrors(d.Validate()), "reason")
	d = DecisionInput{Decision: "qualify"}
	require.NoError(t, d.Validate())
	d = DecisionInput{Decision: "maybe", Reason: "x"}
	require.Contains(t, apperr.FieldErrors(d.Validate()), "decision")
	require.True(t, CanDecide("prospect"))
	require.True(t, CanDecide("qualifying"))
	require.False(t, CanDecide("active"))
	require.Equal(t, "onboarding", DecisionTarget("qualify"))
	require.Equal(t, "ended", DecisionTarget("reject"))

	ci := CriterionInput{Name: "", WeightText: "101"}
	errs := map[string]string{}
	ci.validate("", errs)
	require.Len(t, errs, 2)
	ci = CriterionInput{Name: "Speed", WeightText: " 0 "}
	errs = map[string]string{}
	ci.validate("", errs)
	require.Empty(t, errs)
	require.Equal(t, 0, ci.Weight)
}
