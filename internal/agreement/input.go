package agreement

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
)

// Involvement is a preset of how involved the referring partner is in
// winning the work, with the usual commission range and a default rate.
type Involvement struct {
	Key       string
	Label     string
	MinBP     int64
	MaxBP     int64
	DefaultBP int64
}

// Involvements are the levels: passive 5–10%, standard 10–15%, high
// 20–25%. Picking one pre-fills the default rate in the builder; a rate
// outside the level's range is a warning, not an error.
var Involvements = []Involvement{
	{Key: "passive", Label: "Passive — an introduction only", MinBP: 500, MaxBP: 1000, DefaultBP: 750},
	{Key: "standard", Label: "Standard — introduces and supports the sale", MinBP: 1000, MaxBP: 1500, DefaultBP: 1250},
	{Key: "high", Label: "High — actively sells alongside us", MinBP: 2000, MaxBP: 2500, DefaultBP: 2250},
}

// InvolvementByKey finds a level.
func InvolvementByKey(key string) (Involvement, bool) {
	for _, l := range Involvements {
		if l.Key == key {
			return l, true
		}
	}
	return Involvement{}, false
}

// Limits of an agreement's fields.
const (
	MaxTitle      = 200
	MaxText       = 5000
	MaxShortText  = 500
	MaxListItems  = 50
	MaxListItem   = 100
	MaxRules      = 20
	MaxTermMonths = 120
	MaxChangeNote = 1000
)

// Input is an agreement version as a person (builder) or an API client sets
// it. Field errors use these JSON names: model, title, effective_from,
// effective_to, term_months, auto_renew, renewal_months,
// termination_notice_days, payment_trigger, payment_net_days, exclusivity,
// exclusivity_scope, territories, terms.<name>, rules[i].<name>,
// change_note.
type Input struct {
	Model      string
	Title      string
	TemplateID *uuid.UUID
	// EffectiveFrom is required. The term is EffectiveTo, or TermMonths
	// from EffectiveFrom (EffectiveTo = from + months − 1 day) when
	// EffectiveTo is nil; neither means open-ended.
	EffectiveFrom         time.Time
	EffectiveTo           *time.Time
	TermMonths            int
	AutoRenew             bool
	RenewalMonths         int
	TerminationNoticeDays int
	PaymentTrigger        string
	PaymentNetDays        int
	Exclusivity           string
	ExclusivityScope      []string
	Territories           []string
	Terms                 Terms
	Rules                 []commission.Rule
	ChangeNote            string
}

// DefaultInput is a blank agreement of a model from a day: payment when the
// client pays, net 30, 30 days' notice, renewing for 12 months.
func DefaultInput(model string, from time.Time) Input {
	return Input{Model: model, EffectiveFrom: Day(from), RenewalMonths: 12, TerminationNoticeDays: 30,
		PaymentTrigger: "client_payment", PaymentNetDays: 30, Exclusivity: "none",
		ExclusivityScope: []string{}, Territories: []string{}, Rules: []commission.Rule{}}
}

// InputFrom copies a version's terms into an input (for "Change terms",
// which drafts the next version).
func InputFrom(a Agreement) Input {
	in := Input{Model: a.Model, Title: a.Title, TemplateID: a.TemplateID, EffectiveFrom: a.EffectiveFrom,
		AutoRenew: a.AutoRenew, RenewalMonths: a.RenewalMonths, TerminationNoticeDays: a.TerminationNoticeDays,
		PaymentTrigger: a.PaymentTrigger, PaymentNetDays: a.PaymentNetDays, Exclusivity: a.Exclusivity,
		ExclusivityScope: append([]string{}, a.ExclusivityScope...), Territories: append([]string{}, a.Territories...),
		Terms: a.Terms, Rules: append([]commission.Rule{}, a.Rules...), ChangeNote: a.ChangeNote}
	if a.EffectiveTo != nil {
		t := *a.EffectiveTo
		in.EffectiveTo = &t
	}
	return in
}

// End returns the last day in force the input asks for (nil: open-ended).
func (in Input) End() *time.Time {
	if in.EffectiveTo != nil {
		t := Day(*in.EffectiveTo)
		return &t
	}
	if in.TermMonths > 0 && !in.EffectiveFrom.IsZero() {
		t := AddMonths(Day(in.EffectiveFrom), in.TermMonths).AddDate(0, 0, -1)
		return &t
	}
	return nil
}

// AddMonths adds calendar months, clamping the day to the target month's
// last day (Jan 31 + 1 month = Feb 28/29).
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// TermMonthsOf returns how many whole months a version runs when its end is
// exactly from + N months − 1 day (0 otherwise, or when open-ended).
func TermMonthsOf(from time.Time, to *time.Time) int {
	if to == nil {
		return 0
	}
	for n := 1; n <= MaxTermMonths; n++ {
		end := AddMonths(from, n).AddDate(0, 0, -1)
		if end.Equal(*to) {
			return n
		}
		if end.After(*to) {
			return 0
		}
	}
	return 0
}

func inList(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// cleanList trims, drops empties and case-insensitive duplicates.
func cleanList(vs []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range vs {
		v = strings.Join(strings.Fields(v), " ")
		k := strings.ToLower(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

func checkText(errs map[string]string, field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		errs[field] = fmt.Sprintf("Keep this under %d characters.", max)
	}
}

// Validate trims the input and checks it: EInvalid with a message per field
// (JSON names, see Input). Rules are checked with commission.Rule.Validate
// (rates 0–100%, tiers without gaps or overlaps), their field names
// prefixed "rules[i].".
func (in *Input) Validate() error {
	errs := map[string]string{}
	in.Model = strings.TrimSpace(in.Model)
	in.Title = strings.TrimSpace(in.Title)
	in.ChangeNote = strings.TrimSpace(in.ChangeNote)
	in.PaymentTrigger = strings.TrimSpace(in.PaymentTrigger)
	in.Exclusivity = strings.TrimSpace(in.Exclusivity)
	if in.PaymentTrigger == "" {
		in.PaymentTrigger = "client_payment"
	}
	if in.Exclusivity == "" {
		in.Exclusivity = "none"
	}
	if in.RenewalMonths == 0 {
		in.RenewalMonths = 12
	}
	in.ExclusivityScope = cleanList(in.ExclusivityScope)
	in.Territories = cleanList(in.Territories)
	if in.Rules == nil {
		in.Rules = []commission.Rule{}
	}
	t := &in.Terms
	for _, p := range []*string{&t.WeReferToThem, &t.TheyReferToUs, &t.OffLimits, &t.Involvement, &t.PartnerProfession,
		&t.Governance.OurEscalation, &t.Governance.TheirEscalation, &t.Governance.ClientAcceptance, &t.Governance.ScopeChanges,
		&t.Confidentiality, &t.DataProtection, &t.DisputeResolution, &t.ClientDisclosure} {
		*p = strings.TrimSpace(*p)
	}

	if !inList(in.Model, Models) {
		errs["model"] = "Choose one of the five partnership models."
	}
	checkText(errs, "title", in.Title, MaxTitle)
	checkText(errs, "change_note", in.ChangeNote, MaxChangeNote)
	if in.EffectiveFrom.IsZero() {
		errs["effective_from"] = "Enter the date the agreement takes effect."
	} else {
		in.EffectiveFrom = Day(in.EffectiveFrom)
		if y := in.EffectiveFrom.Year(); y < 2000 || y > 2100 {
			errs["effective_from"] = "Enter a date between 2000 and 2100."
		}
	}
	if in.TermMonths < 0 || in.TermMonths > MaxTermMonths {
		errs["term_months"] = "A term is 1 to 120 months (leave empty for open-ended)."
	}
	if in.EffectiveTo != nil && in.TermMonths > 0 {
		errs["term_months"] = "Give either an end date or a term in months, not both."
	}
	if end := in.End(); end != nil && errs["effective_from"] == "" && !in.EffectiveFrom.IsZero() {
		if end.Before(in.EffectiveFrom) {
			errs["effective_to"] = "The end date must not be before the effective date."
		} else if end.Year() > 2200 {
			errs["effective_to"] = "Enter an end date before 2200."
		}
	}
	if in.RenewalMonths < 1 || in.RenewalMonths > MaxTermMonths {
		errs["renewal_months"] = "Renew for 1 to 120 months."
	}
	if in.TerminationNoticeDays < 0 || in.TerminationNoticeDays > 365 {
		errs["termination_notice_days"] = "Notice is 0 to 365 days."
	}
	if !inList(in.PaymentTrigger, PaymentTriggers) {
		errs["payment_trigger"] = "Choose when a commission becomes payable."
	}
	if in.PaymentNetDays < 0 || in.PaymentNetDays > 365 {
		errs["payment_net_days"] = "Net days are 0 to 365."
	}
	if !inList(in.Exclusivity, Exclusivities) {
		errs["exclusivity"] = "Choose none, service category, geography or industry."
	} else if in.Exclusivity != "none" && len(in.ExclusivityScope) == 0 {
		errs["exclusivity_scope"] = "Name what the exclusivity covers (e.g. the service categories, regions or industries)."
	}
	if in.Exclusivity == "none" && len(in.ExclusivityScope) > 0 {
		errs["exclusivity_scope"] = "A non-exclusive agreement has no exclusivity scope; choose a kind of exclusivity or clear the scope."
	}
	checkList := func(field string, vs []string) {
		if len(vs) > MaxListItems {
			errs[field] = fmt.Sprintf("At most %d entries.", MaxListItems)
		}
		for _, v := range vs {
			if utf8.RuneCountInString(v) > MaxListItem {
				errs[field] = fmt.Sprintf("Keep each entry under %d characters.", MaxListItem)
			}
		}
	}
	checkList("exclusivity_scope", in.ExclusivityScope)
	checkList("territories", in.Territories)

	if t.Involvement != "" {
		if _, ok := InvolvementByKey(t.Involvement); !ok {
			errs["terms.involvement"] = "Choose passive, standard or high."
		}
	}
	if t.PartnerProfession != "" && !inList(t.PartnerProfession, Professions) {
		errs["terms.partner_profession"] = "Choose one of the professions."
	}
	if c := t.Governance.CheckinCadenceDays; c < 0 || c > 730 {
		errs["terms.governance.checkin_cadence_days"] = "A check-in every 1 to 730 days (0: not stated)."
	}
	for field, v := range map[string]string{
		"terms.we_refer_to_them": t.WeReferToThem, "terms.they_refer_to_us": t.TheyReferToUs, "terms.off_limits": t.OffLimits,
		"terms.confidentiality": t.Confidentiality, "terms.data_protection": t.DataProtection,
		"terms.dispute_resolution": t.DisputeResolution, "terms.client_disclosure": t.ClientDisclosure,
	} {
		checkText(errs, field, v, MaxText)
	}
	for field, v := range map[string]string{
		"terms.governance.our_escalation": t.Governance.OurEscalation, "terms.governance.their_escalation": t.Governance.TheirEscalation,
		"terms.governance.client_acceptance": t.Governance.ClientAcceptance, "terms.governance.scope_changes": t.Governance.ScopeChanges,
	} {
		checkText(errs, field, v, MaxShortText)
	}

	if len(in.Rules) > MaxRules {
		errs["rules"] = fmt.Sprintf("At most %d rules.", MaxRules)
	}
	for i, r := range in.Rules {
		if err := r.Validate(); err != nil {
			if fe, ok := err.(commission.FieldErrors); ok {
				for k, v := range fe {
					errs[fmt.Sprintf("rules[%d].%s", i, k)] = v
				}
			} else {
				errs[fmt.Sprintf("rules[%d]", i)] = err.Error()
			}
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// Warnings are things worth a second look that do not stop saving: a
// percentage rate outside the involvement level's usual range.
func (in Input) Warnings() []string {
	var out []string
	lvl, ok := InvolvementByKey(in.Terms.Involvement)
	if !ok {
		return nil
	}
	check := func(i int, what string, bp int64) {
		if bp < lvl.MinBP || bp > lvl.MaxBP {
			out = append(out, fmt.Sprintf("Rule %d: %s %s is outside the usual %s–%s for %s involvement.",
				i+1, what, commission.FormatBP(bp), commission.FormatBP(lvl.MinBP), commission.FormatBP(lvl.MaxBP), lvl.Key))
		}
	}
	for i, r := range in.Rules {
		switch r.Kind {
		case commission.PercentFirstProject, commission.PercentOngoing:
			check(i, "the rate", r.RateBP)
		case commission.TieredVolume, commission.TieredConversion:
			for _, t := range r.Tiers {
				if t.RateBP < lvl.MinBP || t.RateBP > lvl.MaxBP {
					check(i, "a tier rate of", t.RateBP)
					break
				}
			}
		}
	}
	return out
}
