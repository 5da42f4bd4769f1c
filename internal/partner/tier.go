package partner

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Tier is a level of partnership with its own target count of partners,
// check-in cadence, default commission rate and benefits.
type Tier struct {
	ID                 uuid.UUID
	TenantID           uuid.UUID
	Name               string
	Rank               int // 1 is the most strategic
	TargetMin          int // how many partners the firm wants in the tier
	TargetMax          int
	CheckinCadenceDays int
	DefaultRateBP      int // basis points: 1500 = 15%
	Benefits           string
	// MemberCount is how many live partners (neither inactive nor ended)
	// are in the tier.
	MemberCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TierInput is a tier as a person or an API client sets it.
type TierInput struct {
	Name               string
	Rank               int
	TargetMin          int
	TargetMax          int
	CheckinCadenceDays int
	DefaultRateBP      int
	Benefits           string
}

// Limits of a tier's fields (the schema's checks, and a sane target).
const (
	tierNameMax     = 100
	tierRankMax     = 20
	tierTargetMax   = 10000
	tierCadenceMax  = 730
	tierBenefitsMax = 2000
	maxRateBP       = 10000
)

// DefaultTiers are the field guide's three tiers: a few strategic partners
// with monthly check-ins and the highest rate, an active tier checked in
// quarterly, and a broad referral network seen once a year. The guide gives
// 10/15/20% as volume-based rates; the tiers use them from the bottom up.
func DefaultTiers() []TierInput {
	return []TierInput{
		{Name: "Tier 1 – Strategic", Rank: 1, TargetMin: 3, TargetMax: 5, CheckinCadenceDays: 30, DefaultRateBP: 2000,
			Benefits: "Highest commission rate, dedicated account management, priority access to our team, active co-marketing."},
		{Name: "Tier 2 – Active", Rank: 2, TargetMin: 10, TargetMax: 20, CheckinCadenceDays: 90, DefaultRateBP: 1500,
			Benefits: "Standard commission rate, quarterly check-ins, some co-marketing."},
		{Name: "Tier 3 – Referral network", Rank: 3, TargetMin: 20, TargetMax: 100, CheckinCadenceDays: 365, DefaultRateBP: 1000,
			Benefits: "Lower commission rate, annual check-in, mostly self-service enablement; coverage of niches and regions."},
	}
}

// Validate trims the input and checks it; EInvalid with per-field messages
// (JSON field names, which the forms use too).
func (in *TierInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Benefits = strings.TrimSpace(in.Benefits)
	errs := map[string]string{}
	switch {
	case in.Name == "":
		errs["name"] = "Enter the tier's name."
	case utf8.RuneCountInString(in.Name) > tierNameMax:
		errs["name"] = "Keep the name to 100 characters."
	}
	if in.Rank < 1 || in.Rank > tierRankMax {
		errs["rank"] = "Use a rank from 1 (most strategic) to 20."
	}
	if in.TargetMin < 0 || in.TargetMin > tierTargetMax {
		errs["target_min"] = "Use a whole number from 0 to 10000."
	}
	if in.TargetMax < 0 || in.TargetMax > tierTargetMax {
		errs["target_max"] = "Use a whole number from 0 to 10000."
	} else if _, bad := errs["target_min"]; !bad && in.TargetMax < in.TargetMin {
		errs["target_max"] = "The most partners can't be fewer than the fewest."
	}
	if in.CheckinCadenceDays < 1 || in.CheckinCadenceDays > tierCadenceMax {
		errs["checkin_cadence_days"] = "Use a number of days from 1 to 730."
	}
	if in.DefaultRateBP < 0 || in.DefaultRateBP > maxRateBP {
		errs["default_rate_bp"] = "Use a rate from 0 to 100%."
	}
	if utf8.RuneCountInString(in.Benefits) > tierBenefitsMax {
		errs["benefits"] = "Keep the benefits to 2000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// TierForm is a tier as typed into the settings form: every field a string.
type TierForm struct {
	Name, Rank, TargetMin, TargetMax, Cadence, Rate, Benefits string
}

// Parse turns the form into a checked TierInput. The field names of the
// errors are the form's: name, rank, target_min, target_max,
// checkin_cadence_days, rate (a percentage), benefits.
func (f TierForm) Parse() (TierInput, error) {
	errs := map[string]string{}
	whole := func(field, v, msg string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs[field] = msg
		}
		return n
	}
	in := TierInput{Name: f.Name, Benefits: f.Benefits,
		Rank:               whole("rank", f.Rank, "Use a rank from 1 (most strategic) to 20."),
		TargetMin:          whole("target_min", f.TargetMin, "Use a whole number from 0 to 10000."),
		TargetMax:          whole("target_max", f.TargetMax, "Use a whole number from 0 to 10000."),
		CheckinCadenceDays: whole("checkin_cadence_days", f.Cadence, "Use a number of days from 1 to 730."),
	}
	bp, err := ParseRateBP(f.Rate)
	if err != nil {
		errs["rate"] = apperr.Message(err)
	}
	in.DefaultRateBP = bp
	if err := in.Validate(); err != nil {
		for k, v := range apperr.FieldErrors(err) {
			if k == "default_rate_bp" {
				k = "rate"
			}
			if _, seen := errs[k]; !seen {
				errs[k] = v
			}
		}
	}
	if len(errs) > 0 {
		return in, apperr.Invalid(errs)
	}
	return in, nil
}

// ParseRateBP reads a percentage such as "12.5" or "12.5%" as basis points
// (1250), exactly, without floating point: at most two decimals, 0 to 100.
func ParseRateBP(s string) (int, error) {
	bad := apperr.Errorf(apperr.EInvalid, "Enter a percentage from 0 to 100 with at most two decimals, like 12.5.")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, bad
	}
	if len(frac) > 2 || len(whole) > 3 {
		return 0, bad
	}
	digits := func(t string) bool {
		for _, r := range t {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	if !digits(whole) || !digits(frac) {
		return 0, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	w := 0
	if whole != "" {
		w, _ = strconv.Atoi(whole)
	}
	f, _ := strconv.Atoi(frac)
	bp := w*100 + f
	if bp > maxRateBP {
		return 0, bad
	}
	return bp, nil
}

// FormatRateBP shows basis points as a percentage: 1250 → "12.5", 2000 → "20".
func FormatRateBP(bp int) string {
	s := strconv.Itoa(bp/100) + "." + strconv.Itoa(bp%100/10) + strconv.Itoa(bp%10)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Target statuses of a tier: how its members compare with its target.
const (
	TargetNone  = ""      // no target (0–0)
	TargetBelow = "below" // fewer than the minimum
	TargetAt    = "at"    // within the range
	TargetOver  = "over"  // more than the maximum
)

// TargetStatus compares a member count with a target range.
func TargetStatus(members, min, max int) string {
	switch {
	case min == 0 && max == 0:
		return TargetNone
	case members < min:
		return TargetBelow
	case members > max:
		return TargetOver
	default:
		return TargetAt
	}
}

// EnsureDefaultTiers gives a firm the default tiers the first time its
// tiers are read: when it has none and never had them made (a firm that
// deleted every tier keeps none). Safe under concurrent first reads.
func EnsureDefaultTiers(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	var made bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tiers WHERE tenant_id = $1)
		OR EXISTS (SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = 'tier.defaults_created')`, tenantID).Scan(&made)
	if err != nil || made {
		return err
	}
	n := 0
	for _, t := range DefaultTiers() {
		tag, err := q.Exec(ctx, `INSERT INTO tiers (tenant_id, name, rank, target_min, target_max, checkin_cadence_days,
				default_rate_bp, benefits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			tenantID, t.Name, t.Rank, t.TargetMin, t.TargetMax, t.CheckinCadenceDays, t.DefaultRateBP, t.Benefits)
		if err != nil {
			return err
		}
		n += int(tag.RowsAffected())
	}
	if n == 0 { // another request made them first
		return nil
	}
	return audit.Record(ctx, q, tenantID, "tier.defaults_created", "tier", "", map[string]any{"count": n})
}

const tierCols = `t.id, t.tenant_id, t.name, t.rank, t.target_min, t.target_max, t.checkin_cadence_days,
	t.default_rate_bp, t.benefits, t.created_at, t.updated_at,
	(SELECT count(*) FROM partners p WHERE p.tenant_id = t.tenant_id AND p.tier_id = t.id
		AND p.status NOT IN ('inactive', 'ended'))`

func scanTier(row interface{ Scan(...any) error }) (Tier, error) {
	var t Tier
	err := row.Scan(&t.ID, &t.TenantID, &t.Name, &t.Rank, &t.TargetMin, &t.TargetMax, &t.CheckinCadenceDays,
		&t.DefaultRateBP, &t.Benefits, &t.CreatedAt, &t.UpdatedAt, &t.MemberCount)
	return t, err
}

// ListTiers returns the firm's tiers by rank with their member counts,
// making the defaults first if the firm never had tiers.
func ListTiers(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Tier, error) {
	if err := EnsureDefaultTiers(ctx, q, tenantID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+tierCols+` FROM tiers t WHERE t.tenant_id = $1 ORDER BY t.rank, t.id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Tier{}
	for rows.Next() {
		t, err := scanTier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetTier returns one of the firm's tiers; ENotFound for another firm's id.
func GetTier(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Tier, error) {
	t, err := scanTier(q.QueryRow(ctx, `SELECT `+tierCols+` FROM tiers t WHERE t.tenant_id = $1 AND t.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return Tier{}, apperr.NotFound("Tier")
	}
	return t, err
}

// tierConflict turns a unique violation into the field error it means.
func tierConflict(err error, in TierInput) error {
	switch {
	case db.IsUniqueViolation(err, "tiers_tenant_id_rank_key"):
		return apperr.Invalid(map[string]string{"rank": "Another tier has rank " + strconv.Itoa(in.Rank) + "; give this one another rank."})
	case db.IsUniqueViolation(err, "tiers_name_key"):
		return apperr.Invalid(map[string]string{"name": "Another tier is called " + in.Name + "."})
	}
	return err
}

// CreateTier adds a tier (validate-and-insert; the caller audits).
func CreateTier(ctx context.Context, q db.Querier, tenantID uuid.UUID, in TierInput) (Tier, error) {
	if err := in.Validate(); err != nil {
		return Tier{}, err
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, target_min, target_max, checkin_cadence_days,
			default_rate_bp, benefits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tenantID, in.Name, in.Rank, in.TargetMin, in.TargetMax, in.CheckinCadenceDays, in.DefaultRateBP, in.Benefits).Scan(&id)
	if err != nil {
		return Tier{}, tierConflict(err, in)
	}
	return GetTier(ctx, q, tenantID, id)
}

// UpdateTier changes one of the firm's tiers.
func UpdateTier(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in TierInput) (Tier, error) {
	if err := in.Validate(); err != nil {
		return Tier{}, err
	}
	tag, err := q.Exec(ctx, `UPDATE tiers SET name = $3, rank = $4, target_min = $5, target_max = $6,
			checkin_cadence_days = $7, default_rate_bp = $8, benefits = $9, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, in.Name, in.Rank, in.TargetMin, in.TargetMax, in.CheckinCadenceDays, in.DefaultRateBP, in.Benefits)
	if err != nil {
		return Tier{}, tierConflict(err, in)
	}
	if tag.RowsAffected() == 0 {
		return Tier{}, apperr.NotFound("Tier")
	}
	return GetTier(ctx, q, tenantID, id)
}

// DeleteTier removes a tier that no live partner is in (EConflict
// otherwise); inactive and ended partners in it are left without a tier.
func DeleteTier(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Tier, error) {
	t, err := GetTier(ctx, q, tenantID, id)
	if err != nil {
		return Tier{}, err
	}
	if t.MemberCount > 0 {
		return t, apperr.Errorf(apperr.EConflict, "%s still has partners: move its partners first.", t.Name)
	}
	if _, err := q.Exec(ctx, `DELETE FROM tiers WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return Tier{}, err
	}
	return t, nil
}

// TierMembers returns the firm's live partners that are in a tier, by tier
// id, each list by name.
func TierMembers(ctx context.Context, q db.Querier, tenantID uuid.UUID) (map[uuid.UUID][]Partner, error) {
	ps, err := queryPartners(ctx, q, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1 AND p.tier_id IS NOT NULL
		AND p.status NOT IN ('inactive', 'ended') ORDER BY lower(p.name), p.id`, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]Partner{}
	for _, p := range ps {
		out[*p.TierID] = append(out[*p.TierID], p)
	}
	return out, nil
}

// SetTier puts one of the firm's partners in a tier, or in none (nil). A
// tier id that isn't the firm's is an invalid choice (EInvalid on tier_id).
func SetTier(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, tierID *uuid.UUID) error {
	if tierID != nil {
		if _, err := GetTier(ctx, q, tenantID, *tierID); apperr.Code(err) == apperr.ENotFound {
			return apperr.Invalid(map[string]string{"tier_id": "Choose one of the tiers."})
		} else if err != nil {
			return err
		}
	}
	tag, err := q.Exec(ctx, `UPDATE partners SET tier_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
		tenantID, partnerID, tierID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Partner")
	}
	return nil
}
