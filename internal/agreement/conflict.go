package agreement

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Conflict is an overlap of scope with another partner's active agreement:
// a warning, never a refusal.
type Conflict struct {
	PartnerID   uuid.UUID
	PartnerName string
	AgreementID uuid.UUID
	Version     int
	// Kind: "exclusivity" (both exclusive over the same values),
	// "territories" (shared territories), "our_exclusivity" (this
	// agreement's exclusive geography covers their territories) or
	// "their_exclusivity" (their exclusive geography covers our territories).
	Kind string
	// Values are the overlapping values, as this agreement spells them.
	Values []string
}

// Message says the conflict in words, naming the partner and the values.
func (c Conflict) Message() string {
	vals := strings.Join(c.Values, ", ")
	who := fmt.Sprintf("%s's active agreement (version %d)", c.PartnerName, c.Version)
	switch c.Kind {
	case "exclusivity":
		return fmt.Sprintf("Exclusivity overlaps %s, which is exclusive for the same: %s.", who, vals)
	case "our_exclusivity":
		return fmt.Sprintf("This agreement's exclusive geography covers territories of %s: %s.", who, vals)
	case "their_exclusivity":
		return fmt.Sprintf("%s is exclusive in these territories: %s.", capitalize(who), vals)
	default:
		return fmt.Sprintf("Territories overlap %s: %s.", who, vals)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// overlap returns the values of mine that are also in theirs, compared
// case-insensitively and ignoring surrounding space.
func overlap(mine, theirs []string) []string {
	set := map[string]bool{}
	for _, t := range theirs {
		set[strings.ToLower(strings.TrimSpace(t))] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range mine {
		k := strings.ToLower(strings.TrimSpace(m))
		if k != "" && set[k] && !seen[k] {
			seen[k] = true
			out = append(out, strings.TrimSpace(m))
		}
	}
	return out
}

// FindConflicts compares an agreement's exclusivity and territories with
// other partners' active agreements (pure; versions of a's own partner are
// skipped).
func FindConflicts(a Agreement, others []Agreement) []Conflict {
	var out []Conflict
	for _, o := range others {
		if o.PartnerID == a.PartnerID || o.Status != StatusActive {
			continue
		}
		c := Conflict{PartnerID: o.PartnerID, PartnerName: o.PartnerName, AgreementID: o.ID, Version: o.Version}
		addC := func(kind string, vals []string) {
			if len(vals) > 0 {
				c.Kind, c.Values = kind, vals
				out = append(out, c)
			}
		}
		exclusive := a.Exclusivity != "" && a.Exclusivity != "none"
		theirsExclusive := o.Exclusivity != "" && o.Exclusivity != "none"
		if exclusive && o.Exclusivity == a.Exclusivity {
			addC("exclusivity", overlap(a.ExclusivityScope, o.ExclusivityScope))
		}
		addC("territories", overlap(a.Territories, o.Territories))
		if a.Exclusivity == "geography" {
			addC("our_exclusivity", overlap(a.ExclusivityScope, o.Territories))
		}
		if theirsExclusive && o.Exclusivity == "geography" {
			addC("their_exclusivity", overlap(a.Territories, o.ExclusivityScope))
		}
	}
	return out
}

// Conflicts finds the overlaps of an agreement (saved or not; its
// PartnerID must be set) with the active agreements of the firm's other
// partners.
func Conflicts(ctx context.Context, q db.Querier, tenantID uuid.UUID, a Agreement) ([]Conflict, error) {
	if a.Exclusivity == "none" && len(a.Territories) == 0 {
		return nil, nil
	}
	others, err := query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.status = 'active'
			AND a.partner_id <> $2 AND (a.exclusivity <> 'none' OR cardinality(a.territories) > 0)
		ORDER BY lower(p.name), p.id`, tenantID, a.PartnerID)
	if err != nil {
		return nil, err
	}
	return FindConflicts(a, others), nil
}
