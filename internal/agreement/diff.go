package agreement

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/allyway/allyway/internal/commission"
)

// Change is one difference between two versions, in words.
type Change struct {
	// Field names what changed ("Payment terms", "Rule added").
	Field string
	// From and To are the values in words ("" when a rule was added or removed).
	From, To string
}

// String renders the change: "Payment terms: net 30 → net 45",
// "Rule added: We pay the partner …".
func (c Change) String() string {
	switch {
	case c.From == "":
		return c.Field + ": " + c.To
	case c.To == "":
		return c.Field + ": " + c.From
	}
	return c.Field + ": " + c.From + " → " + c.To
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dateOr(a Agreement) string {
	if a.EffectiveTo == nil {
		return "open-ended"
	}
	return a.EffectiveTo.Format(DateFormat)
}

func listOr(vs []string) string {
	if len(vs) == 0 {
		return "(none)"
	}
	return strings.Join(vs, ", ")
}

func days(n int) string {
	if n == 0 {
		return "not stated"
	}
	return "every " + strconv.Itoa(n) + " days"
}

func labelOr(m map[string]string, k string) string {
	if k == "" {
		return "not stated"
	}
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

// Diff lists what changed from version a to version b, field by field in
// words, then the rules added, removed and changed (rules are paired by
// kind and direction, in order).
func Diff(a, b Agreement) []Change {
	var out []Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, Change{Field: field, From: from, To: to})
		}
	}
	add("Partnership model", labelOr(ModelLabels, a.Model), labelOr(ModelLabels, b.Model))
	add("Title", orNone(a.Title), orNone(b.Title))
	add("Effective from", a.EffectiveFrom.Format(DateFormat), b.EffectiveFrom.Format(DateFormat))
	add("Effective to", dateOr(a), dateOr(b))
	add("Auto-renewal", yesNo(a.AutoRenew), yesNo(b.AutoRenew))
	if a.AutoRenew || b.AutoRenew {
		add("Renewal period", fmt.Sprintf("%d months", a.RenewalMonths), fmt.Sprintf("%d months", b.RenewalMonths))
	}
	add("Termination notice", fmt.Sprintf("%d days", a.TerminationNoticeDays), fmt.Sprintf("%d days", b.TerminationNoticeDays))
	add("Payment trigger", labelOr(PaymentTriggerLabels, a.PaymentTrigger), labelOr(PaymentTriggerLabels, b.PaymentTrigger))
	add("Payment terms", fmt.Sprintf("net %d", a.PaymentNetDays), fmt.Sprintf("net %d", b.PaymentNetDays))
	add("Exclusivity", exclusivityWords(a.Exclusivity, a.ExclusivityScope), exclusivityWords(b.Exclusivity, b.ExclusivityScope))
	add("Territories", listOr(a.Territories), listOr(b.Territories))

	ta, tb := a.Terms, b.Terms
	add("What we refer to them", orNone(ta.WeReferToThem), orNone(tb.WeReferToThem))
	add("What they refer to us", orNone(ta.TheyReferToUs), orNone(tb.TheyReferToUs))
	add("Off limits", orNone(ta.OffLimits), orNone(tb.OffLimits))
	inv := map[string]string{}
	for _, l := range Involvements {
		inv[l.Key] = l.Key
	}
	add("Involvement", labelOr(inv, ta.Involvement), labelOr(inv, tb.Involvement))
	add("Partner's profession", labelOr(ProfessionLabels, ta.PartnerProfession), labelOr(ProfessionLabels, tb.PartnerProfession))
	add("Reciprocal", yesNo(ta.Reciprocal), yesNo(tb.Reciprocal))
	add("Check-ins", days(ta.Governance.CheckinCadenceDays), days(tb.Governance.CheckinCadenceDays))
	add("Our escalation contact", orNone(ta.Governance.OurEscalation), orNone(tb.Governance.OurEscalation))
	add("Their escalation contact", orNone(ta.Governance.TheirEscalation), orNone(tb.Governance.TheirEscalation))
	add("Client acceptance decided by", orNone(ta.Governance.ClientAcceptance), orNone(tb.Governance.ClientAcceptance))
	add("Scope changes decided by", orNone(ta.Governance.ScopeChanges), orNone(tb.Governance.ScopeChanges))
	add("Confidentiality", orNone(ta.Confidentiality), orNone(tb.Confidentiality))
	add("Data protection", orNone(ta.DataProtection), orNone(tb.DataProtection))
	add("Dispute resolution", orNone(ta.DisputeResolution), orNone(tb.DisputeResolution))
	add("Client disclosure", orNone(ta.ClientDisclosure), orNone(tb.ClientDisclosure))
	add("Annual review", yesNo(ta.AnnualReview), yesNo(tb.AnnualReview))

	return append(out, diffRules(a.Rules, b.Rules)...)
}

func diffRules(a, b []commission.Rule) []Change {
	type key struct {
		k commission.Kind
		d commission.Direction
	}
	used := make([]bool, len(b))
	var out []Change
	var removed []commission.Rule
	for _, ra := range a {
		match := -1
		for j, rb := range b {
			if !used[j] && (key{ra.Kind, ra.Direction}) == (key{rb.Kind, rb.Direction}) {
				match = j
				break
			}
		}
		if match < 0 {
			removed = append(removed, ra)
			continue
		}
		used[match] = true
		if da, db := DescribeRule(ra), DescribeRule(b[match]); da != db {
			out = append(out, Change{Field: "Rule changed", From: da, To: db})
		}
	}
	for _, r := range removed {
		out = append(out, Change{Field: "Rule removed", From: DescribeRule(r)})
	}
	for j, rb := range b {
		if !used[j] {
			out = append(out, Change{Field: "Rule added", To: DescribeRule(rb)})
		}
	}
	return out
}
