package agreement

import (
	"strings"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/policy"
)

// Violation is one active policy rule an agreement breaks.
type Violation struct {
	Rule policy.Rule
	// Field is the input field to fix (JSON name, as in Input).
	Field string
}

// hasMoney reports whether a rule moves money (anything but reciprocity only).
func hasMoney(r commission.Rule) bool { return r.Kind != commission.ReciprocityOnly }

// reviewedYearly: a term of at most 12 months, or an annual review.
func reviewedYearly(a Agreement) bool {
	if a.Terms.AnnualReview {
		return true
	}
	return a.EffectiveTo != nil && !a.EffectiveTo.After(AddMonths(a.EffectiveFrom, 12).AddDate(0, 0, -1))
}

// PolicyViolations returns the active rules of the firm's pack the
// agreement breaks (pure). Rules that apply to referrals (conflicts check,
// attest clients) are not checked here.
func PolicyViolations(set policy.Set, a Agreement) []Violation {
	var out []Violation
	add := func(key, field string) {
		if !set.Active(key) {
			return
		}
		r, _ := set.Rule(key)
		out = append(out, Violation{Rule: r, Field: field})
	}
	wePay, money := false, false
	for _, r := range a.Rules {
		if hasMoney(r) {
			money = true
			if r.Direction == commission.WePay {
				wePay = true
			}
		}
	}
	if a.Terms.Reciprocal && a.Exclusivity != "none" && a.Exclusivity != "" {
		add(policy.LawNoExclusiveReciprocal, "exclusivity")
	}
	if a.Terms.ClientDisclosure == "" {
		add(policy.LawClientDisclosure, "terms.client_disclosure")
	}
	if !reviewedYearly(a) {
		add(policy.LawAnnualReview, "terms.annual_review")
	}
	if wePay && a.Terms.PartnerProfession != "law" {
		add(policy.LawNoFeeToNonLawyer, "rules")
	}
	if money && a.Terms.ClientDisclosure == "" {
		add(policy.AcctFeeDisclosure, "terms.client_disclosure")
	}
	return out
}

// CheckPolicy returns nil, or EInvalid naming every broken rule: the
// message gives each rule's title and explanation, and Fields carry the
// explanation on the field to fix.
func CheckPolicy(set policy.Set, a Agreement) error {
	vs := PolicyViolations(set, a)
	if len(vs) == 0 {
		return nil
	}
	fields := map[string]string{}
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Rule.Title + ": " + v.Rule.Explanation
		if prev, ok := fields[v.Field]; ok {
			fields[v.Field] = prev + " " + v.Rule.Explanation
		} else {
			fields[v.Field] = v.Rule.Explanation
		}
	}
	return &apperr.Error{Code: apperr.EInvalid, Fields: fields,
		Message: "Refused by the firm's " + professionName(set.Profession) + " policy. " + strings.Join(msgs, " ")}
}

func professionName(p string) string {
	switch p {
	case "law":
		return "law-firm"
	case "accounting":
		return "accounting-firm"
	}
	return p
}

// Draft returns the agreement the input would make (for checks and
// previews before it is saved).
func (in Input) Draft() Agreement {
	return Agreement{Status: StatusDraft, Model: in.Model, Title: in.Title, TemplateID: in.TemplateID,
		EffectiveFrom: Day(in.EffectiveFrom), EffectiveTo: in.End(), AutoRenew: in.AutoRenew, RenewalMonths: in.RenewalMonths,
		TerminationNoticeDays: in.TerminationNoticeDays, PaymentTrigger: in.PaymentTrigger, PaymentNetDays: in.PaymentNetDays,
		Exclusivity: in.Exclusivity, ExclusivityScope: in.ExclusivityScope, Territories: in.Territories,
		Terms: in.Terms, Rules: in.Rules, ChangeNote: in.ChangeNote}
}
