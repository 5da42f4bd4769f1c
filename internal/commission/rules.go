// Package commission holds the pure commission rules engine: given an
// agreement rule, a revenue event and the facts the caller looked up, it
// computes what the event earns, in cents, with a human explanation. It
// touches no database and imports no other internal package; the ledger
// feeds it and records its results.
package commission

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind names a commission rule kind, as in API.md "Agreement rules".
type Kind string

// The rule kinds.
const (
	PercentFirstProject Kind = "percent_first_project"
	PercentOngoing      Kind = "percent_ongoing"
	FlatFee             Kind = "flat_fee"
	TieredVolume        Kind = "tiered_volume"
	TieredConversion    Kind = "tiered_conversion"
	CoDeliverySplit     Kind = "co_delivery_split"
	ReciprocityOnly     Kind = "reciprocity_only"
)

// Direction says who pays whom.
type Direction string

const (
	// WePay: we pay the partner for what they refer.
	WePay Direction = "we_pay"
	// WeReceive: the partner pays us for what we refer.
	WeReceive Direction = "we_receive"
)

// Period is the window in which tiered_volume counts won referrals.
type Period string

// The volume periods.
const (
	CalendarYear     Period = "calendar_year"
	Trailing12Months Period = "trailing_12_months"
)

// Mode says from when a volume tier's rate applies.
type Mode string

const (
	// FromThreshold: the tier's rate applies from the referral that reaches it.
	FromThreshold Mode = "from_threshold"
	// Retroactive: the tier's rate applies to all the period's referrals;
	// RetroactiveTopUp computes what is owed on the earlier ones.
	Retroactive Mode = "retroactive"
)

// MaxMarkupBP bounds co_delivery_split markups (1000%).
const MaxMarkupBP = 100_000

// Tier is one step of a tiered rule. tiered_volume tiers use MinReferrals
// (≥ 1), tiered_conversion tiers use MinConversionBP (0..10,000); the other
// field stays zero (and is omitted from JSON, so a first conversion tier
// from 0% marshals as just {"rate_bp": …}).
type Tier struct {
	MinReferrals    int64 `json:"min_referrals,omitempty"`
	MinConversionBP int64 `json:"min_conversion_bp,omitempty"`
	RateBP          int64 `json:"rate_bp"`
}

// DefaultVolumeTiers are the default volume tiers: 1–3 won
// referrals a year 10%, 4–10 15%, 11+ 20%.
func DefaultVolumeTiers() []Tier {
	return []Tier{{MinReferrals: 1, RateBP: 1000}, {MinReferrals: 4, RateBP: 1500}, {MinReferrals: 11, RateBP: 2000}}
}

// Rule is one entry of an agreement's rules[]. Only the fields of its Kind
// are used; the others are ignored. CapCents and MinCents, when set, bound
// each entry (one revenue event under this rule), not a total.
type Rule struct {
	Kind      Kind      `json:"kind"`
	Direction Direction `json:"direction"`
	// RateBP: percent_first_project, percent_ongoing.
	RateBP int64 `json:"rate_bp,omitempty"`
	// Months: percent_ongoing; 0 (or null/absent in JSON) means while the
	// client is active.
	Months int `json:"months,omitempty"`
	// AmountCents: flat_fee.
	AmountCents int64 `json:"amount_cents,omitempty"`
	// Period, Mode, Tiers: tiered_volume; WindowMonths, Tiers: tiered_conversion.
	Period       Period `json:"period,omitempty"`
	Mode         Mode   `json:"mode,omitempty"`
	Tiers        []Tier `json:"tiers,omitempty"`
	WindowMonths int    `json:"window_months,omitempty"`
	// PartnerShareBP, MarkupBP: co_delivery_split.
	PartnerShareBP int64 `json:"partner_share_bp,omitempty"`
	MarkupBP       int64 `json:"markup_bp,omitempty"`
	// CapCents and MinCents bound each entry's magnitude.
	CapCents *int64 `json:"cap_cents,omitempty"`
	MinCents *int64 `json:"min_cents,omitempty"`
}

// FieldErrors maps a rule's JSON field (e.g. "rate_bp", "tiers[1].min_referrals")
// to what is wrong with it. It is the error Validate returns; callers can
// prefix the fields (e.g. "rules[0].") for an API 422.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + fe[k]
	}
	return "commission: invalid rule: " + strings.Join(parts, "; ")
}

func checkBP(fe FieldErrors, field string, v int64) {
	if v < 0 {
		fe[field] = "Must not be negative."
	} else if v > BPScale {
		fe[field] = "Must be at most 10000 (100%)."
	}
}

// Validate reports what is wrong with the rule as FieldErrors, or nil.
// Rates and shares must be 0..10,000 bp; tiers must be non-empty, sorted by
// threshold and non-overlapping (strictly increasing thresholds); amounts
// must not be negative; min_cents must not exceed cap_cents.
func (r Rule) Validate() error {
	fe := FieldErrors{}
	switch r.Direction {
	case WePay, WeReceive:
	case "":
		fe["direction"] = "Required."
	default:
		fe["direction"] = "Must be we_pay or we_receive."
	}
	switch r.Kind {
	case PercentFirstProject:
		checkBP(fe, "rate_bp", r.RateBP)
	case PercentOngoing:
		checkBP(fe, "rate_bp", r.RateBP)
		if r.Months < 0 {
			fe["months"] = "Must not be negative (0 or null: while the client is active)."
		}
	case FlatFee:
		if r.AmountCents <= 0 {
			fe["amount_cents"] = "Must be positive."
		} else if r.AmountCents > MaxAmountCents {
			fe["amount_cents"] = "Too large."
		}
	case TieredVolume:
		if r.Period != CalendarYear && r.Period != Trailing12Months {
			fe["period"] = "Must be calendar_year or trailing_12_months."
		}
		if r.Mode != FromThreshold && r.Mode != Retroactive {
			fe["mode"] = "Must be from_threshold or retroactive."
		}
		validateTiers(fe, r.Tiers, "min_referrals", func(t Tier) int64 { return t.MinReferrals }, 1, -1)
	case TieredConversion:
		if r.WindowMonths < 1 {
			fe["window_months"] = "Must be at least 1."
		}
		validateTiers(fe, r.Tiers, "min_conversion_bp", func(t Tier) int64 { return t.MinConversionBP }, 0, BPScale)
	case CoDeliverySplit:
		checkBP(fe, "partner_share_bp", r.PartnerShareBP)
		if r.MarkupBP < 0 {
			fe["markup_bp"] = "Must not be negative."
		} else if r.MarkupBP > MaxMarkupBP {
			fe["markup_bp"] = "Must be at most 100000 (1000%)."
		}
	case ReciprocityOnly:
		if r.MinCents != nil && *r.MinCents > 0 {
			fe["min_cents"] = "Reciprocity only earns no cash; a minimum does not apply."
		}
	case "":
		fe["kind"] = "Required."
	default:
		fe["kind"] = "Unknown rule kind."
	}
	if r.CapCents != nil && *r.CapCents < 0 {
		fe["cap_cents"] = "Must not be negative."
	}
	if r.MinCents != nil && *r.MinCents < 0 {
		fe["min_cents"] = "Must not be negative."
	}
	if r.CapCents != nil && r.MinCents != nil && *r.MinCents > *r.CapCents {
		if _, ok := fe["min_cents"]; !ok {
			fe["min_cents"] = "Must not exceed cap_cents."
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// validateTiers checks tiers are present, thresholds within [lo, hi] (hi < 0:
// no upper bound) and strictly increasing, and rates 0..10,000.
func validateTiers(fe FieldErrors, tiers []Tier, name string, min func(Tier) int64, lo, hi int64) {
	if len(tiers) == 0 {
		fe["tiers"] = "At least one tier is required."
		return
	}
	for i, t := range tiers {
		f := fmt.Sprintf("tiers[%d].", i)
		m := min(t)
		switch {
		case m < lo:
			fe[f+name] = fmt.Sprintf("Must be at least %d.", lo)
		case hi >= 0 && m > hi:
			fe[f+name] = fmt.Sprintf("Must be at most %d.", hi)
		case i > 0 && m <= min(tiers[i-1]):
			fe[f+name] = "Tiers must be sorted by " + name + " without overlaps (each threshold above the previous one)."
		}
		checkBP(fe, f+"rate_bp", t.RateBP)
	}
}

// Event is one client payment (negative: a refund or credit note) on an
// engagement. Dates are compared by calendar day in their own location.
type Event struct {
	AmountCents int64
	PaidOn      time.Time
	// FirstEngagement is true when the engagement is the referral's first.
	FirstEngagement bool
	// EngagementStartedOn is the engagement's start date.
	EngagementStartedOn time.Time
	// RefundedPaidOn, for a refund, is the date of the payment it reverses
	// when the caller knows it; percent_ongoing windows are judged on it so
	// a refund after the window still claws back a payment made inside it.
	RefundedPaidOn time.Time
}

// Context carries the facts a rule needs that the caller looked up.
type Context struct {
	// WonReferralOrdinal (tiered_volume, from_threshold): this referral's
	// position among the partner's won referrals in the rule's period, 1-based
	// ("the 4th won referral of the year" is 4).
	WonReferralOrdinal int64
	// WonReferralsInPeriod (tiered_volume, retroactive): how many referrals
	// the partner has won in the period so far, this one included.
	WonReferralsInPeriod int64
	// ConversionBP (tiered_conversion): the partner's conversion rate over
	// the rule's window, 0..10,000.
	ConversionBP int64
	// ClientActive (percent_ongoing with months 0): whether the client is
	// still active.
	ClientActive bool
	// FirstEngagementStartedOn (percent_ongoing with months > 0): when the
	// referral's first engagement started. If zero and the event is on the
	// first engagement, its EngagementStartedOn is used.
	FirstEngagementStartedOn time.Time
	// FlatFeePaid (flat_fee): a flat fee was already accrued for this referral.
	FlatFeePaid bool
	// EarnedCents: what this rule has earned so far, net, on this referral
	// (accruals minus reversals). A refund never claws back more than this,
	// so the caller must set it for refunds: zero means nothing to reverse.
	EarnedCents int64
}

// Split shows how a co_delivery_split divides the revenue. PartnerCents +
// OurCents is the event amount; MarkupCents is included in OurCents.
type Split struct {
	PartnerCents int64 `json:"partner_cents"`
	OurCents     int64 `json:"our_cents"`
	MarkupCents  int64 `json:"markup_cents"`
}

// Result is what one revenue event earns under one rule: one ledger entry.
type Result struct {
	// AmountCents is signed: positive accrues in the rule's direction,
	// negative is a clawback.
	AmountCents int64 `json:"amount_cents"`
	// RateBP is the rate used (0 for flat fees and when nothing is earned).
	RateBP int64 `json:"rate_bp"`
	// Explanation says how the amount came about, for staff and partners.
	Explanation string `json:"explanation"`
	// Reason says why nothing is earned; empty when something is.
	Reason string `json:"reason,omitempty"`
	// Split is set for co_delivery_split.
	Split *Split `json:"split,omitempty"`
}

// Reasons for earning nothing.
const (
	ReasonReciprocity      = "reciprocity only — no cash"
	ReasonNotFirstProject  = "not the first project"
	ReasonFlatFeePaid      = "flat fee already paid for this referral"
	ReasonFlatFeeNoRefund  = "a refund does not claw back a flat fee"
	ReasonClientInactive   = "the client is no longer active"
	ReasonBelowFirstTier   = "below the first tier"
	ReasonNoRevenue        = "no revenue"
	ReasonNothingToReverse = "nothing earned to reverse"
	ReasonZeroShare        = "no share for this party"
	// ReasonOnlyInbound and ReasonOnlyOutbound: a rule of one direction on
	// a referral of the other (AppliesTo).
	ReasonOnlyInbound  = "this rule pays on referrals the partner sends us, not on ones we send"
	ReasonOnlyOutbound = "this rule pays on referrals we send the partner, not on ones they send us"
)

// The directions of a referral, as stored on it.
const (
	// Inbound: the partner referred the client to us.
	Inbound = "inbound"
	// Outbound: we referred the client to the partner.
	Outbound = "outbound"
)

// AppliesTo says whether the rule earns on revenue of a referral of the
// given direction, and if not, why. We pay partners for what they refer
// to us (we_pay rules apply to inbound referrals) and partners pay us for
// what we refer to them (we_receive rules apply to outbound ones). A
// co-delivery split divides a jointly delivered engagement whoever
// brought the client, and reciprocity pays nothing either way: both apply
// to every referral.
func (r Rule) AppliesTo(referralDirection string) (bool, string) {
	if r.Kind == CoDeliverySplit || r.Kind == ReciprocityOnly {
		return true, ""
	}
	switch {
	case r.Direction == WePay && referralDirection != Inbound:
		return false, ReasonOnlyInbound
	case r.Direction == WeReceive && referralDirection != Outbound:
		return false, ReasonOnlyOutbound
	}
	return true, ""
}

// ReasonAfterOngoing is the reason for a payment after an ongoing rule's
// months ("after the 12 months of the ongoing rule").
func ReasonAfterOngoing(months int) string {
	return fmt.Sprintf("after the %d months of the ongoing rule", months)
}

func nothing(rate int64, reason string) Result {
	return Result{RateBP: rate, Reason: reason, Explanation: "Nothing earned: " + reason}
}

// Compute returns what the revenue event earns under the rule.
//
// The amount is computed on the magnitude of the event and rounded
// half-even to the cent once (see ApplyRate); then the per-entry minimum
// (raise to min_cents) and cap (lower to cap_cents) apply to that
// magnitude; a refund (negative amount) gets the negation — the clawback —
// so a full refund reverses its accrual exactly, caps and minimums
// included. A clawback is never larger than ctx.EarnedCents. Flat fees are
// not clawed back by refunds.
//
// For co_delivery_split the amount is the partner's part of the revenue
// (its share less our markup) under we_pay, and our part (the rest,
// markup included) under we_receive, split with Allocate.
//
// It fails on an invalid rule, an amount beyond ±MaxAmountCents, or when
// the context lacks what the rule needs (a volume ordinal, a conversion
// rate in range, a first-engagement start date, a negative EarnedCents).
func Compute(rule Rule, ev Event, ctx Context) (Result, error) {
	if err := rule.Validate(); err != nil {
		return Result{}, err
	}
	if ev.AmountCents > MaxAmountCents || ev.AmountCents < -MaxAmountCents {
		return Result{}, errors.New("commission: event amount beyond ±10^15 cents")
	}
	if ctx.EarnedCents < 0 {
		return Result{}, errors.New("commission: context EarnedCents must not be negative")
	}
	if rule.Kind == ReciprocityOnly {
		r := nothing(0, ReasonReciprocity)
		r.Explanation = "Reciprocity only: the referral counts for reciprocity, no cash."
		return r, nil
	}
	if ev.AmountCents == 0 {
		return nothing(0, ReasonNoRevenue), nil
	}
	refund := ev.AmountCents < 0
	mag := ev.AmountCents
	if refund {
		mag = -mag
	}

	var (
		gross int64 // magnitude before caps and minimums
		rate  int64
		why   string // what follows "15% of $20,000.00: "
		split *Split
	)
	switch rule.Kind {
	case PercentFirstProject:
		if !ev.FirstEngagement {
			return nothing(rule.RateBP, ReasonNotFirstProject), nil
		}
		rate, why = rule.RateBP, "first project of the referral"
	case PercentOngoing:
		rate = rule.RateBP
		if rule.Months == 0 {
			if !ctx.ClientActive && !refund {
				return nothing(rate, ReasonClientInactive), nil
			}
			why = "ongoing while the client is active"
			break
		}
		start := ctx.FirstEngagementStartedOn
		if start.IsZero() && ev.FirstEngagement {
			start = ev.EngagementStartedOn
		}
		if start.IsZero() {
			return Result{}, errors.New("commission: percent_ongoing needs the first engagement's start date")
		}
		on := ev.PaidOn
		if refund && !ev.RefundedPaidOn.IsZero() {
			on = ev.RefundedPaidOn
		}
		if !dayBefore(on, addMonths(start, rule.Months)) {
			return nothing(rate, ReasonAfterOngoing(rule.Months)), nil
		}
		why = fmt.Sprintf("month %d of %d of the ongoing rule", monthIndex(start, on), rule.Months)
	case FlatFee:
		if refund {
			return nothing(0, ReasonFlatFeeNoRefund), nil
		}
		if ctx.FlatFeePaid {
			return nothing(0, ReasonFlatFeePaid), nil
		}
		gross = rule.AmountCents
	case TieredVolume:
		var err error
		rate, why, err = volumeRate(rule, ctx)
		if err != nil {
			return Result{}, err
		}
		if why == "" {
			return nothing(0, ReasonBelowFirstTier), nil
		}
	case TieredConversion:
		if ctx.ConversionBP < 0 || ctx.ConversionBP > BPScale {
			return Result{}, errors.New("commission: tiered_conversion needs a conversion rate of 0..10000 bp")
		}
		t, ok := tierFor(rule.Tiers, ctx.ConversionBP, func(t Tier) int64 { return t.MinConversionBP })
		if !ok {
			return nothing(0, ReasonBelowFirstTier), nil
		}
		rate = rule.Tiers[t].RateBP
		why = fmt.Sprintf("%s conversion over the last %d months (tier %s)", FormatBP(ctx.ConversionBP), rule.WindowMonths,
			tierLabel(rule.Tiers, t, func(t Tier) int64 { return t.MinConversionBP }, FormatBP, false))
	case CoDeliverySplit:
		s, err := coDelivery(rule, mag)
		if err != nil {
			return Result{}, err
		}
		split = &s
		gross = s.PartnerCents
		why = fmt.Sprintf("partner share %s of %s = %s", FormatBP(rule.PartnerShareBP), FormatCents(mag), FormatCents(s.PartnerCents+s.MarkupCents))
		if rule.MarkupBP > 0 {
			why += fmt.Sprintf(", less our %s markup (%s) = %s", FormatBP(rule.MarkupBP), FormatCents(s.MarkupCents), FormatCents(s.PartnerCents))
		}
		if rule.Direction == WeReceive {
			gross = s.OurCents
			why += fmt.Sprintf("; our part %s", FormatCents(s.OurCents))
		}
		if refund {
			split = &Split{PartnerCents: -s.PartnerCents, OurCents: -s.OurCents, MarkupCents: -s.MarkupCents}
		}
	}

	var expl string
	switch rule.Kind {
	case FlatFee:
		expl = "Flat fee of " + FormatCents(gross) + " for the won referral"
	case CoDeliverySplit:
		expl = "Co-delivery: " + why
	default:
		gross = ApplyRate(mag, rate)
		shown := mag
		if refund {
			shown = -mag
		}
		expl = fmt.Sprintf("%s of %s: %s", FormatBP(rate), FormatCents(shown), why)
	}
	if refund {
		expl = "Refund — " + expl
	}

	amount, note := bound(rule, gross)
	expl += note
	if refund {
		amount = -amount
		if amount < -ctx.EarnedCents {
			amount = -ctx.EarnedCents
			expl += "; clawback limited to the " + FormatCents(ctx.EarnedCents) + " earned"
		}
		if amount == 0 {
			r := nothing(rate, ReasonNothingToReverse)
			r.Split = split
			return r, nil
		}
	} else if amount == 0 && rule.Kind == CoDeliverySplit {
		r := nothing(0, ReasonZeroShare)
		r.Split = split
		return r, nil
	}
	return Result{AmountCents: amount, RateBP: rate, Explanation: expl, Split: split}, nil
}

// bound applies the per-entry minimum then cap to a non-negative amount and
// says what it did.
func bound(rule Rule, v int64) (int64, string) {
	note := ""
	if rule.MinCents != nil && v < *rule.MinCents {
		v = *rule.MinCents
		note = "; raised to the " + FormatCents(v) + " minimum per entry"
	}
	if rule.CapCents != nil && v > *rule.CapCents {
		v = *rule.CapCents
		note = "; capped at " + FormatCents(v) + " per entry"
	}
	return v, note
}

// coDelivery splits a non-negative amount: the partner's share by
// Allocate, then our markup taken out of it so that partner × (1 + markup)
// = the partner's share of the price, rounded half-even.
func coDelivery(rule Rule, mag int64) (Split, error) {
	parts, err := Allocate(mag, []int64{rule.PartnerShareBP, BPScale - rule.PartnerShareBP})
	if err != nil {
		return Split{}, err
	}
	share := parts[0]
	net := share
	if rule.MarkupBP > 0 {
		q, _ := mulDivHalfEven(uint64(share), BPScale, uint64(BPScale+rule.MarkupBP))
		net = int64(q)
	}
	return Split{PartnerCents: net, OurCents: mag - net, MarkupCents: share - net}, nil
}

// volumeRate picks the tiered_volume rate from the context. An empty why
// means below the first tier.
func volumeRate(rule Rule, ctx Context) (rate int64, why string, err error) {
	n := ctx.WonReferralOrdinal
	if rule.Mode == Retroactive {
		n = ctx.WonReferralsInPeriod
	}
	if n < 1 {
		if rule.Mode == Retroactive {
			return 0, "", errors.New("commission: retroactive tiered_volume needs WonReferralsInPeriod ≥ 1")
		}
		return 0, "", errors.New("commission: tiered_volume needs WonReferralOrdinal ≥ 1")
	}
	minRef := func(t Tier) int64 { return t.MinReferrals }
	t, ok := tierFor(rule.Tiers, n, minRef)
	if !ok {
		return 0, "", nil
	}
	period := "this year"
	if rule.Period == Trailing12Months {
		period = "in the last 12 months"
	}
	label := tierLabel(rule.Tiers, t, minRef, func(v int64) string { return strconv.FormatInt(v, 10) }, true)
	if rule.Mode == Retroactive {
		return rule.Tiers[t].RateBP, fmt.Sprintf("%d won referrals %s (tier %s, retroactive)", n, period, label), nil
	}
	return rule.Tiers[t].RateBP, fmt.Sprintf("%s won referral %s (tier %s)", Ordinal(n), period, label), nil
}

// tierFor returns the index of the last tier whose threshold is ≤ v.
func tierFor(tiers []Tier, v int64, min func(Tier) int64) (int, bool) {
	idx := -1
	for i, t := range tiers {
		if min(t) <= v {
			idx = i
		}
	}
	return idx, idx >= 0
}

// tierLabel renders a tier's range: "4–10", "11+" for referral counts,
// "50%+" for conversion rates.
// Counts (inclusive) show the last count of the tier; rates show where the
// next tier starts.
func tierLabel(tiers []Tier, i int, min func(Tier) int64, format func(int64) string, counts bool) string {
	lo := min(tiers[i])
	if i+1 == len(tiers) {
		return format(lo) + "+"
	}
	hi := min(tiers[i+1])
	if counts {
		hi--
		if hi == lo {
			return format(lo)
		}
	}
	return format(lo) + "–" + format(hi)
}

// Ordinal writes n as "1st", "2nd", "11th", "23rd".
func Ordinal(n int64) string {
	suffix := "th"
	switch n % 100 {
	case 11, 12, 13:
	default:
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.FormatInt(n, 10) + suffix
}

// PriorAccrual is an entry already recorded under a retroactive
// tiered_volume rule in the current period: the revenue it was computed on
// (signed), the rate used and the amount recorded (signed).
type PriorAccrual struct {
	BaseCents   int64
	RateBP      int64
	EarnedCents int64
}

// RetroactiveTopUp computes, for a tiered_volume rule in retroactive mode,
// what is owed on the period's earlier entries now that the partner has won
// ctx.WonReferralsInPeriod referrals: one Result per prior entry (same
// order), each the entry recomputed at the new tier's rate — rounded and
// bounded per entry exactly as Compute would — minus what it earned. Rates
// are never lowered retroactively: an entry already at or above the new
// rate gets zero. A prior refund entry gets a negative top-up, so a refunded
// payment stays net zero. The caller records non-zero results as new
// entries; it fails on a rule that is not retroactive tiered_volume.
func RetroactiveTopUp(rule Rule, ctx Context, prior []PriorAccrual) ([]Result, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	if rule.Kind != TieredVolume || rule.Mode != Retroactive {
		return nil, errors.New("commission: RetroactiveTopUp needs a tiered_volume rule in retroactive mode")
	}
	rate, why, err := volumeRate(rule, ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(prior))
	for i, p := range prior {
		if p.BaseCents > MaxAmountCents || p.BaseCents < -MaxAmountCents {
			return nil, errors.New("commission: prior accrual amount beyond ±10^15 cents")
		}
		if why == "" || rate <= p.RateBP {
			out[i] = nothing(rate, "already at or above this tier's rate")
			continue
		}
		mag := p.BaseCents
		if mag < 0 {
			mag = -mag
		}
		target, note := bound(rule, ApplyRate(mag, rate))
		if p.BaseCents < 0 {
			target = -target
		}
		out[i] = Result{
			AmountCents: target - p.EarnedCents,
			RateBP:      rate,
			Explanation: fmt.Sprintf("Retroactive top-up from %s to %s of %s: %s%s", FormatBP(p.RateBP), FormatBP(rate), FormatCents(p.BaseCents), why, note),
		}
	}
	return out, nil
}

// addMonths adds n calendar months to a date, clamping the day to the
// target month's last day (Jan 31 + 1 month = Feb 28/29).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, t.Location())
}

// dayBefore reports whether a's calendar day is before b's.
func dayBefore(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	if ay != by {
		return ay < by
	}
	if am != bm {
		return am < bm
	}
	return ad < bd
}

// monthIndex is the 1-based month of the ongoing period that on falls in.
func monthIndex(start, on time.Time) int {
	k := 1
	for k < 100_000 && !dayBefore(on, addMonths(start, k)) {
		k++
	}
	return k
}
