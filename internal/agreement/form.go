package agreement

import (
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
)

// The builder form. Fields are named as the JSON error keys where they can
// be (payment_net_days, terms.client_disclosure, …); money is typed in
// dollars and rates in percent, so their fields have their own names:
// rules[i].rate, .amount, .partner_share, .markup, .cap, .min, and the
// tiers of a tiered rule are lines of "range: rate" in rules[i].tiers.
// ParseForm maps every error to the form field to fix.

// MinRuleRows is how many rule rows the builder shows at least (usable
// without JavaScript: a row with no kind is ignored).
const MinRuleRows = 4

// RuleRows is how many rule rows to show for an agreement with n rules.
func RuleRows(n int) int {
	if n+1 > MinRuleRows {
		return min(n+1, MaxRules)
	}
	return MinRuleRows
}

// The text fields of Terms, by form name.
func termText(t *Terms) map[string]*string {
	return map[string]*string{
		"terms.we_refer_to_them":             &t.WeReferToThem,
		"terms.they_refer_to_us":             &t.TheyReferToUs,
		"terms.off_limits":                   &t.OffLimits,
		"terms.involvement":                  &t.Involvement,
		"terms.partner_profession":           &t.PartnerProfession,
		"terms.governance.our_escalation":    &t.Governance.OurEscalation,
		"terms.governance.their_escalation":  &t.Governance.TheirEscalation,
		"terms.governance.client_acceptance": &t.Governance.ClientAcceptance,
		"terms.governance.scope_changes":     &t.Governance.ScopeChanges,
		"terms.confidentiality":              &t.Confidentiality,
		"terms.data_protection":              &t.DataProtection,
		"terms.dispute_resolution":           &t.DisputeResolution,
		"terms.client_disclosure":            &t.ClientDisclosure,
	}
}

// SplitList splits "Tax, Audit" or one value per line into values.
func SplitList(s string) []string {
	return cleanList(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }))
}

var percentRE = regexp.MustCompile(`^\d{1,6}(\.\d{0,2})?$|^\.\d{1,2}$`)

// ParsePercent reads "12.5", "12.5%" or "15 %" as basis points (at most
// two decimals). It does not check a range: the rule's Validate does.
func ParsePercent(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if !percentRE.MatchString(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// FormatPercent renders basis points as a percentage number without the
// sign: 1250 → "12.5".
func FormatPercent(bp int64) string { return strings.TrimSuffix(commission.FormatBP(bp), "%") }

// ParseDate reads a form date (YYYY-MM-DD).
func ParseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return t, err == nil
}

var tierLineRE = regexp.MustCompile(`^(\d+(?:\.\d{1,2})?)\s*%?\s*(?:(\+)|[-–]\s*(\d+(?:\.\d{1,2})?)\s*%?)?$`)

// ParseTiers reads a tiered rule's lines, one tier per line as
// "range: rate%". For tiered_volume a range counts won referrals: "1-3",
// "4-10", "11+" (or a bare threshold "4"); consecutive ranges must meet
// without a gap or an overlap (4 follows 3). For tiered_conversion a range
// is a conversion rate in percent: "0-50", "50+" (or "0", "50"); a range
// starts where the previous one ended. The message says which lines are
// wrong and how.
func ParseTiers(kind commission.Kind, text string) ([]commission.Tier, string) {
	conv := kind == commission.TieredConversion
	var tiers []commission.Tier
	var prevHi int64 = -1
	prevLine := ""
	open := false
	n := 0
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		n++
		rng, rate, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Sprintf("Line %d (%q): write each tier as range: rate, e.g. \"1-3: 10%%\".", n, line)
		}
		m := tierLineRE.FindStringSubmatch(strings.TrimSpace(rng))
		if m == nil {
			return nil, fmt.Sprintf("Line %d (%q): the range must look like \"1-3\", \"11+\" or a single number.", n, line)
		}
		rbp, ok := ParsePercent(rate)
		if !ok {
			return nil, fmt.Sprintf("Line %d (%q): the rate must be a percentage like 10 or 12.5%%.", n, line)
		}
		num := func(s string) (int64, bool) {
			if conv {
				return ParsePercent(s)
			}
			v, err := strconv.ParseInt(s, 10, 64)
			return v, err == nil
		}
		lo, ok := num(m[1])
		if !ok {
			return nil, fmt.Sprintf("Line %d (%q): referral counts are whole numbers.", n, line)
		}
		hi := int64(-1)
		if m[3] != "" {
			if hi, ok = num(m[3]); !ok {
				return nil, fmt.Sprintf("Line %d (%q): referral counts are whole numbers.", n, line)
			}
			if hi < lo {
				return nil, fmt.Sprintf("Line %d (%q): the range ends before it starts.", n, line)
			}
		}
		if open {
			return nil, fmt.Sprintf("Line %d (%q): only the last tier can be open-ended (\"+\"); the tier before it has no end.", n, line)
		}
		open = m[2] != ""
		if prevHi >= 0 {
			want := prevHi + 1
			if conv {
				want = prevHi
			}
			unit := func(v int64) string {
				if conv {
					return commission.FormatBP(v)
				}
				return strconv.FormatInt(v, 10)
			}
			switch {
			case lo > want:
				return nil, fmt.Sprintf("Tiers have a gap: nothing covers %s to %s between %q and %q.",
					unit(want), unit(lo-1+boolInt(conv)), prevLine, line)
			case lo < want:
				return nil, fmt.Sprintf("Tiers overlap: %q and %q both cover %s.", prevLine, line, unit(lo))
			}
		} else if len(tiers) > 0 && lo <= thresholdOf(kind, tiers[len(tiers)-1]) {
			return nil, fmt.Sprintf("Tiers overlap: %q starts at or below the tier before it; list tiers from the lowest up.", line)
		}
		prevHi, prevLine = hi, line
		t := commission.Tier{RateBP: rbp}
		if conv {
			t.MinConversionBP = lo
		} else {
			t.MinReferrals = lo
		}
		tiers = append(tiers, t)
	}
	if len(tiers) == 0 {
		return nil, "Add at least one tier, e.g. \"1-3: 10%\"."
	}
	return tiers, ""
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func thresholdOf(kind commission.Kind, t commission.Tier) int64 {
	if kind == commission.TieredConversion {
		return t.MinConversionBP
	}
	return t.MinReferrals
}

// FormatTiers writes tiers as ParseTiers reads them: ranges up to the next
// threshold, the last one open ("11+: 20%").
func FormatTiers(kind commission.Kind, tiers []commission.Tier) string {
	conv := kind == commission.TieredConversion
	lines := make([]string, len(tiers))
	for i, t := range tiers {
		lo := thresholdOf(kind, t)
		f := func(v int64) string {
			if conv {
				return FormatPercent(v)
			}
			return strconv.FormatInt(v, 10)
		}
		rng := f(lo) + "+"
		if i+1 < len(tiers) {
			hi := thresholdOf(kind, tiers[i+1])
			if !conv {
				hi--
			}
			rng = f(lo) + "-" + f(hi)
			if !conv && hi == lo {
				rng = f(lo) + "-" + f(lo)
			}
		}
		lines[i] = rng + ": " + FormatPercent(t.RateBP) + "%"
	}
	return strings.Join(lines, "\n")
}

// formKey maps a Validate error key to the form field that holds it.
func formKey(k string) string {
	if !strings.HasPrefix(k, "rules[") {
		return k
	}
	i := strings.Index(k, "].")
	if i < 0 {
		return k
	}
	prefix, field := k[:i+2], k[i+2:]
	if strings.HasPrefix(field, "tiers") {
		return prefix + "tiers"
	}
	switch field {
	case "rate_bp":
		return prefix + "rate"
	case "amount_cents":
		return prefix + "amount"
	case "partner_share_bp":
		return prefix + "partner_share"
	case "markup_bp":
		return prefix + "markup"
	case "cap_cents":
		return prefix + "cap"
	case "min_cents":
		return prefix + "min"
	}
	return prefix + field
}

// FormErrors maps a domain error's fields to the form's field names.
func FormErrors(err error) map[string]string {
	fe := apperr.FieldErrors(err)
	if fe == nil {
		return nil
	}
	out := make(map[string]string, len(fe))
	for k, v := range fe {
		fk := formKey(k)
		if prev, ok := out[fk]; ok && prev != v {
			v = prev + " " + v
		}
		out[fk] = v
	}
	return out
}

// ParseForm reads the builder form into an input and validates it; the
// error's fields are form field names. Unparseable numbers are reported
// on their field and the rest is still checked.
func ParseForm(v url.Values) (Input, error) {
	errs := map[string]string{}
	in := parseCommon(v, errs)
	if s := strings.TrimSpace(v.Get("effective_from")); s == "" {
		errs["effective_from"] = "Enter the date the agreement takes effect."
	} else if d, ok := ParseDate(s); ok {
		in.EffectiveFrom = d
	} else {
		errs["effective_from"] = "Enter a date like 2026-01-31."
	}
	if s := strings.TrimSpace(v.Get("effective_to")); s != "" {
		if d, ok := ParseDate(s); ok {
			in.EffectiveTo = &d
		} else {
			errs["effective_to"] = "Enter a date like 2026-12-31, or leave it empty."
		}
	}
	in.AutoRenew = v.Get("auto_renew") != ""
	intField(v, errs, "renewal_months", &in.RenewalMonths, 12)
	intField(v, errs, "termination_notice_days", &in.TerminationNoticeDays, 30)
	in.Exclusivity = strings.TrimSpace(v.Get("exclusivity"))
	in.ExclusivityScope = SplitList(v.Get("exclusivity_scope"))
	in.Territories = SplitList(v.Get("territories"))
	in.Title = v.Get("title")
	in.ChangeNote = v.Get("change_note")
	if s := strings.TrimSpace(v.Get("template_id")); s != "" {
		if id, err := uuid.Parse(s); err == nil {
			in.TemplateID = &id
		}
	}
	return in, finish(&in, errs)
}

// finish validates the input and merges parse errors (which win) with
// validation errors, as form field names.
func finish(in *Input, errs map[string]string) error {
	if err := in.Validate(); err != nil {
		for k, m := range FormErrors(err) {
			// parseCommon checked each rule under its row's index already.
			if _, ok := errs[k]; !ok && !strings.HasPrefix(k, "rules[") {
				errs[k] = m
			}
		}
		if len(apperr.FieldErrors(err)) == 0 {
			return err
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

func intField(v url.Values, errs map[string]string, name string, dst *int, def int) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		*dst = def
		return
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		errs[name] = "Enter a whole number."
		return
	}
	*dst = n
}

// parseCommon reads what agreements and templates share: model, payment,
// term months, terms and rules.
func parseCommon(v url.Values, errs map[string]string) Input {
	in := Input{Model: strings.TrimSpace(v.Get("model")), PaymentTrigger: strings.TrimSpace(v.Get("payment_trigger"))}
	intField(v, errs, "payment_net_days", &in.PaymentNetDays, 30)
	intField(v, errs, "term_months", &in.TermMonths, 0)
	for name, p := range termText(&in.Terms) {
		*p = v.Get(name)
	}
	in.Terms.Reciprocal = v.Get("terms.reciprocal") != ""
	in.Terms.AnnualReview = v.Get("terms.annual_review") != ""
	intField(v, errs, "terms.governance.checkin_cadence_days", &in.Terms.Governance.CheckinCadenceDays, 0)
	in.Rules = []commission.Rule{}
	// Rows keep their position in error keys; empty rows are skipped, so
	// the index of the rule in Rules can differ from its row: validate each
	// row here and map its errors to the row.
	for i := 0; i < MaxRules; i++ {
		p := fmt.Sprintf("rules[%d].", i)
		kind := strings.TrimSpace(v.Get(p + "kind"))
		if kind == "" {
			continue
		}
		r := commission.Rule{Kind: commission.Kind(kind), Direction: commission.Direction(strings.TrimSpace(v.Get(p + "direction")))}
		rowErrs := map[string]string{}
		pct := func(name string, dst *int64) {
			s := strings.TrimSpace(v.Get(p + name))
			if s == "" {
				rowErrs[p+name] = "Required."
				return
			}
			bp, ok := ParsePercent(s)
			if !ok {
				rowErrs[p+name] = "Enter a percentage like 10 or 12.5."
				return
			}
			*dst = bp
		}
		dollars := func(name string, required bool) *int64 {
			s := strings.TrimSpace(v.Get(p + name))
			if s == "" {
				if required {
					rowErrs[p+name] = "Required."
				}
				return nil
			}
			c, ok, msg := commission.ParseDollars(s)
			if !ok {
				rowErrs[p+name] = msg
				return nil
			}
			return &c
		}
		whole := func(name string, dst *int) {
			s := strings.TrimSpace(v.Get(p + name))
			if s == "" {
				return
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				rowErrs[p+name] = "Enter a whole number."
				return
			}
			*dst = n
		}
		switch r.Kind {
		case commission.PercentFirstProject:
			pct("rate", &r.RateBP)
		case commission.PercentOngoing:
			pct("rate", &r.RateBP)
			whole("months", &r.Months)
		case commission.FlatFee:
			if c := dollars("amount", true); c != nil {
				r.AmountCents = *c
			}
		case commission.TieredVolume, commission.TieredConversion:
			tiers, msg := ParseTiers(r.Kind, v.Get(p+"tiers"))
			if msg != "" {
				rowErrs[p+"tiers"] = msg
			}
			r.Tiers = tiers
			if r.Kind == commission.TieredVolume {
				r.Period = commission.Period(strings.TrimSpace(v.Get(p + "period")))
				r.Mode = commission.Mode(strings.TrimSpace(v.Get(p + "mode")))
			} else {
				whole("window_months", &r.WindowMonths)
			}
		case commission.CoDeliverySplit:
			pct("partner_share", &r.PartnerShareBP)
			if strings.TrimSpace(v.Get(p+"markup")) != "" {
				pct("markup", &r.MarkupBP)
			}
		}
		if r.Kind != commission.ReciprocityOnly {
			r.CapCents = dollars("cap", false)
			r.MinCents = dollars("min", false)
		}
		if err := r.Validate(); err != nil {
			if fe, ok := err.(commission.FieldErrors); ok {
				for k, m := range fe {
					key := formKey(p + k)
					if _, taken := rowErrs[key]; !taken {
						rowErrs[key] = m
					}
				}
			}
		}
		for k, m := range rowErrs {
			errs[k] = m
		}
		in.Rules = append(in.Rules, r)
	}
	return in
}

// ParseTemplateForm reads the template form (name, model, tier_id,
// payment, term months, terms and rules).
func ParseTemplateForm(v url.Values) (TemplateInput, error) {
	errs := map[string]string{}
	c := parseCommon(v, errs)
	in := TemplateInput{Name: v.Get("name"), Model: c.Model, PaymentTrigger: c.PaymentTrigger,
		PaymentNetDays: c.PaymentNetDays, TermMonths: c.TermMonths, Terms: c.Terms, Rules: c.Rules}
	if s := strings.TrimSpace(v.Get("tier_id")); s != "" {
		if id, err := uuid.Parse(s); err == nil {
			in.TierID = &id
		} else {
			errs["tier_id"] = "Choose one of the firm's tiers."
		}
	}
	if err := in.Validate(); err != nil {
		for k, m := range FormErrors(err) {
			// parseCommon checked each rule under its row's index already.
			if _, ok := errs[k]; !ok && !strings.HasPrefix(k, "rules[") {
				errs[k] = m
			}
		}
	}
	if len(errs) > 0 {
		return in, apperr.Invalid(errs)
	}
	return in, nil
}

// FormValues renders an input as the builder's field values (the inverse
// of ParseForm).
func FormValues(in Input) map[string]string {
	v := map[string]string{
		"model": in.Model, "title": in.Title, "payment_trigger": in.PaymentTrigger,
		"payment_net_days":        strconv.Itoa(in.PaymentNetDays),
		"renewal_months":          strconv.Itoa(in.RenewalMonths),
		"termination_notice_days": strconv.Itoa(in.TerminationNoticeDays),
		"exclusivity":             in.Exclusivity,
		"exclusivity_scope":       strings.Join(in.ExclusivityScope, ", "),
		"territories":             strings.Join(in.Territories, ", "),
		"change_note":             in.ChangeNote,
	}
	if !in.EffectiveFrom.IsZero() {
		v["effective_from"] = in.EffectiveFrom.Format(time.DateOnly)
	}
	if in.EffectiveTo != nil {
		v["effective_to"] = in.EffectiveTo.Format(time.DateOnly)
	}
	if in.TermMonths > 0 {
		v["term_months"] = strconv.Itoa(in.TermMonths)
	}
	if in.AutoRenew {
		v["auto_renew"] = "on"
	}
	if in.TemplateID != nil {
		v["template_id"] = in.TemplateID.String()
	}
	t := in.Terms
	for name, p := range termText(&t) {
		v[name] = *p
	}
	if t.Reciprocal {
		v["terms.reciprocal"] = "on"
	}
	if t.AnnualReview {
		v["terms.annual_review"] = "on"
	}
	if t.Governance.CheckinCadenceDays > 0 {
		v["terms.governance.checkin_cadence_days"] = strconv.Itoa(t.Governance.CheckinCadenceDays)
	}
	for i, r := range in.Rules {
		p := fmt.Sprintf("rules[%d].", i)
		v[p+"kind"] = string(r.Kind)
		v[p+"direction"] = string(r.Direction)
		switch r.Kind {
		case commission.PercentFirstProject, commission.PercentOngoing:
			v[p+"rate"] = FormatPercent(r.RateBP)
			if r.Months > 0 {
				v[p+"months"] = strconv.Itoa(r.Months)
			}
		case commission.FlatFee:
			v[p+"amount"] = commission.FormatDollars(r.AmountCents)
		case commission.TieredVolume:
			v[p+"tiers"] = FormatTiers(r.Kind, r.Tiers)
			v[p+"period"], v[p+"mode"] = string(r.Period), string(r.Mode)
		case commission.TieredConversion:
			v[p+"tiers"] = FormatTiers(r.Kind, r.Tiers)
			v[p+"window_months"] = strconv.Itoa(r.WindowMonths)
		case commission.CoDeliverySplit:
			v[p+"partner_share"] = FormatPercent(r.PartnerShareBP)
			if r.MarkupBP > 0 {
				v[p+"markup"] = FormatPercent(r.MarkupBP)
			}
		}
		if r.CapCents != nil {
			v[p+"cap"] = commission.FormatDollars(*r.CapCents)
		}
		if r.MinCents != nil {
			v[p+"min"] = commission.FormatDollars(*r.MinCents)
		}
	}
	return v
}

// TemplateFormValues renders a template as its form's values.
func TemplateFormValues(t TemplateInput) map[string]string {
	v := FormValues(Input{Model: t.Model, PaymentTrigger: t.PaymentTrigger, PaymentNetDays: t.PaymentNetDays,
		TermMonths: t.TermMonths, Terms: t.Terms, Rules: t.Rules, RenewalMonths: 12, TerminationNoticeDays: 30})
	v["name"] = t.Name
	if t.TierID != nil {
		v["tier_id"] = t.TierID.String()
	}
	return v
}

// FormValuesOf returns the submitted form's values as a map (the first
// value of each field), to re-show the user's input.
func FormValuesOf(v url.Values) map[string]string {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}
