// Package policy keeps the profession policy packs: guardrails a firm gets
// from the profession it states (law, accounting, …), each a rule with a key,
// a short explanation and a firm-level override its counsel can set with a
// reason. The packs are data, not hard-coded law: the agreement and referral
// packages ask Set.Active(key) and apply their own check for the rule.
//
// policy is a leaf package (db, apperr, uuid only) so that both the
// agreement and the referral areas can use it.
package policy

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Rule keys of the profession packs.
const (
	// LawNoExclusiveReciprocal: reciprocal referral agreements may not be exclusive.
	LawNoExclusiveReciprocal = "law.no_exclusive_reciprocal"
	// LawClientDisclosure: the client must be told of the arrangement
	// (agreements: the disclosure text is filled; referrals: the fee
	// disclosure is recorded before accept/won).
	LawClientDisclosure = "law.client_disclosure"
	// LawAnnualReview: the agreement is reviewed yearly (a term of at most
	// 12 months, or annual review set).
	LawAnnualReview = "law.annual_review"
	// LawNoFeeToNonLawyer: no referral fee (a we_pay money rule) to a
	// partner whose profession is not law.
	LawNoFeeToNonLawyer = "law.no_fee_to_non_lawyer"
	// LawConflictsCheck: referrals record "conflicts cleared" before accept/won.
	LawConflictsCheck = "law.conflicts_check"
	// AcctNoCommissionAttest: no commission on referrals involving attest clients.
	AcctNoCommissionAttest = "accounting.no_commission_attest"
	// AcctFeeDisclosure: any permitted fee is disclosed to the client.
	AcctFeeDisclosure = "accounting.fee_disclosure"
)

// Professions a firm can state, in the order the settings page shows them.
var Professions = []string{"law", "accounting", "consulting", "marketing_agency", "other"}

// ProfessionLabels are how people name the professions.
var ProfessionLabels = map[string]string{
	"law":              "Law firm",
	"accounting":       "Accounting firm",
	"consulting":       "Consulting firm",
	"marketing_agency": "Marketing agency",
	"other":            "Other professional services",
}

// Where a rule is enforced.
const (
	AppliesToAgreement = "agreement"
	AppliesToReferral  = "referral"
)

// Rule is one guardrail of a profession pack.
type Rule struct {
	Key        string
	Profession string
	// Title names the rule in a few words.
	Title string
	// Explanation says in plain words what the rule asks and why; it is the
	// message a refused action shows.
	Explanation string
	// AppliesTo says where the rule is checked: AppliesToAgreement (when an
	// agreement is sent, recorded or activated) or AppliesToReferral (when a
	// referral is accepted, won or accrues commission).
	AppliesTo string
}

var packs = map[string][]Rule{
	"law": {
		{Key: LawNoExclusiveReciprocal, Profession: "law", AppliesTo: AppliesToAgreement,
			Title:       "Reciprocal referral agreements are not exclusive",
			Explanation: "Lawyers may agree to refer clients to each other only if the arrangement is not exclusive: a reciprocal agreement must set exclusivity to none."},
		{Key: LawClientDisclosure, Profession: "law", AppliesTo: AppliesToAgreement,
			Title:       "The client is told of the arrangement",
			Explanation: "Clients must be told that a referral arrangement exists: the agreement must say how the client is informed (client disclosure), and each referral records the disclosure before it is accepted or won."},
		{Key: LawAnnualReview, Profession: "law", AppliesTo: AppliesToAgreement,
			Title:       "The agreement is reviewed every year",
			Explanation: "Referral arrangements are reviewed at least yearly: give the agreement a term of 12 months or less, or commit to an annual review."},
		{Key: LawNoFeeToNonLawyer, Profession: "law", AppliesTo: AppliesToAgreement,
			Title:       "No referral fee to a non-lawyer",
			Explanation: "A law firm may not pay a fee for a referral to someone who is not a lawyer: a partner whose profession is not law can have no money rule in which we pay them."},
		{Key: LawConflictsCheck, Profession: "law", AppliesTo: AppliesToReferral,
			Title:       "Conflicts are cleared before taking a referral",
			Explanation: "A referred matter is checked for conflicts of interest: each referral records \"conflicts cleared\" before it is accepted or won."},
	},
	"accounting": {
		{Key: AcctNoCommissionAttest, Profession: "accounting", AppliesTo: AppliesToReferral,
			Title:       "No commission on attest clients",
			Explanation: "Independence rules forbid commissions on referrals involving clients for whom the firm performs attest work (audits, reviews, examinations): such referrals earn no commission."},
		{Key: AcctFeeDisclosure, Profession: "accounting", AppliesTo: AppliesToAgreement,
			Title:       "Permitted fees are disclosed to the client",
			Explanation: "Where a referral fee or commission is permitted, the client must be told of it: an agreement with a money rule must say how the fee is disclosed to the client (client disclosure)."},
	},
}

// Pack returns the rules of a profession (none for consulting, marketing
// agencies and other), in a stable order. The slice is a copy.
func Pack(profession string) []Rule {
	return append([]Rule(nil), packs[profession]...)
}

// RuleByKey finds a rule of any pack.
func RuleByKey(key string) (Rule, bool) {
	for _, p := range packs {
		for _, r := range p {
			if r.Key == key {
				return r, true
			}
		}
	}
	return Rule{}, false
}

// Override is a rule the firm's counsel switched off, with why.
type Override struct {
	Key    string
	Reason string
	SetBy  *uuid.UUID
	// SetByName is the name of the person who set it ("" if gone).
	SetByName string
	SetAt     time.Time
}

// Set is a firm's policy: its profession, the pack's rules and the overrides.
type Set struct {
	Profession string
	Rules      []Rule
	Overrides  map[string]Override
}

// NewSet builds a set for a profession with the given overrides (for tests
// and callers that already know both).
func NewSet(profession string, overrides ...Override) Set {
	s := Set{Profession: profession, Rules: Pack(profession), Overrides: map[string]Override{}}
	for _, o := range overrides {
		s.Overrides[o.Key] = o
	}
	return s
}

// Has reports whether the pack contains the rule (overridden or not).
func (s Set) Has(key string) bool {
	for _, r := range s.Rules {
		if r.Key == key {
			return true
		}
	}
	return false
}

// Active reports whether the rule is in the firm's pack and not overridden.
func (s Set) Active(key string) bool {
	if !s.Has(key) {
		return false
	}
	_, over := s.Overrides[key]
	return !over
}

// Rule returns the pack's rule by key.
func (s Set) Rule(key string) (Rule, bool) {
	for _, r := range s.Rules {
		if r.Key == key {
			return r, true
		}
	}
	return Rule{}, false
}

// ValidProfession reports whether p is one of Professions.
func ValidProfession(p string) bool {
	_, ok := ProfessionLabels[p]
	return ok
}

// Load returns the firm's policy: tenant_settings.profession ("other" when
// the firm has no settings row) and its overrides. Overrides of rules that
// are not in the current pack are kept in Overrides (they come back into
// force only if cleared) but do not matter to Active.
func Load(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Set, error) {
	profession := "other"
	err := q.QueryRow(ctx, `SELECT profession FROM tenant_settings WHERE tenant_id = $1`, tenantID).Scan(&profession)
	if err != nil && !db.IsNoRows(err) {
		return Set{}, err
	}
	s := NewSet(profession)
	rows, err := q.Query(ctx, `SELECT o.rule_key, o.reason, o.set_by, coalesce(u.name, ''), o.set_at
		FROM policy_overrides o LEFT JOIN users u ON u.id = o.set_by
		WHERE o.tenant_id = $1 ORDER BY o.rule_key`, tenantID)
	if err != nil {
		return Set{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var o Override
		if err := rows.Scan(&o.Key, &o.Reason, &o.SetBy, &o.SetByName, &o.SetAt); err != nil {
			return Set{}, err
		}
		s.Overrides[o.Key] = o
	}
	return s, rows.Err()
}

// SetProfession states the firm's profession; EInvalid for an unknown one.
func SetProfession(ctx context.Context, q db.Querier, tenantID uuid.UUID, profession string) error {
	profession = strings.TrimSpace(profession)
	if !ValidProfession(profession) {
		return apperr.Invalid(map[string]string{"profession": "Choose one of the professions."})
	}
	_, err := q.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, profession) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET profession = EXCLUDED.profession, updated_at = now()`, tenantID, profession)
	return err
}

// MaxReasonLen bounds an override's reason (the schema's check).
const MaxReasonLen = 2000

// SetOverride switches a rule off for the firm, with the counsel's reason
// (required). EInvalid for an unknown rule key or a missing reason; setting
// it again replaces the reason.
func SetOverride(ctx context.Context, q db.Querier, tenantID uuid.UUID, key, reason string, by uuid.UUID) error {
	reason = strings.TrimSpace(reason)
	errs := map[string]string{}
	if _, ok := RuleByKey(key); !ok {
		errs["key"] = "Unknown policy rule."
	}
	switch {
	case reason == "":
		errs["reason"] = "Say why the rule does not apply to the firm (for example, counsel's advice and its date)."
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		errs["reason"] = "Keep the reason under 2000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	var setBy *uuid.UUID
	if by != uuid.Nil {
		setBy = &by
	}
	_, err := q.Exec(ctx, `INSERT INTO policy_overrides (tenant_id, rule_key, reason, set_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, rule_key) DO UPDATE SET reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, set_at = now()`,
		tenantID, key, reason, setBy)
	return err
}

// ClearOverride puts a rule back in force; ENotFound when it was not overridden.
func ClearOverride(ctx context.Context, q db.Querier, tenantID uuid.UUID, key string) error {
	tag, err := q.Exec(ctx, `DELETE FROM policy_overrides WHERE tenant_id = $1 AND rule_key = $2`, tenantID, key)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Override")
	}
	return nil
}
