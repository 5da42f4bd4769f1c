package partner

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// The profile's fixed choices. Industries and regions are free tags.
var (
	ProfilePositionings = []string{"premium", "mid_market", "value"}
	ProfileFocuses      = []string{"specialist", "generalist"}
	ProfileClientSizes  = []string{"solo", "small", "mid-market", "enterprise"}
	ProfileStages       = []string{"idea", "seed", "series_a", "series_b", "growth", "mature"}
)

// ProfileLabels name the fixed choices for people.
var ProfileLabels = map[string]string{
	"premium": "Premium", "mid_market": "Mid-market", "value": "Value",
	"specialist": "Specialist", "generalist": "Generalist",
	"solo": "Solo", "small": "Small", "mid-market": "Mid-market", "enterprise": "Enterprise",
	"idea": "Idea", "seed": "Seed", "series_a": "Series A", "series_b": "Series B", "growth": "Growth", "mature": "Mature",
}

// MaxTags is how many industries, regions, sizes or stages a profile holds.
const MaxTags = 20

// Profile is what a person edits about a partner firm.
type Profile struct {
	Name        string
	Domain      string
	Website     string
	Type        string
	Positioning string
	Focus       string
	Industries  []string
	ClientSizes []string
	Stages      []string
	Regions     []string
	OwnerUserID *uuid.UUID
	Notes       string
}

// ProfileOf is a partner's current profile.
func ProfileOf(p Partner) Profile {
	return Profile{Name: p.Name, Domain: p.Domain, Website: p.Website, Type: p.Type, Positioning: p.Positioning,
		Focus: p.Focus, Industries: slices.Clone(p.Industries), ClientSizes: slices.Clone(p.ClientSizes),
		Stages: slices.Clone(p.Stages), Regions: slices.Clone(p.Regions), OwnerUserID: p.OwnerUserID, Notes: p.Notes}
}

// SplitTags splits comma-separated text ("Fintech, health care") into tags.
func SplitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
}

// CleanTags trims each tag and collapses its inner spaces, drops empty ones
// and repeats (case-insensitively, the first spelling wins), keeping order.
func CleanTags(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.Join(strings.Fields(t), " ")
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

// Validate normalises the profile (trimmed text, NormalizeDomain, cleaned
// tags; choice lists lower-cased and kept in their canonical order) and
// checks it; EInvalid with a message per field, named like the form fields.
func (pr *Profile) Validate() error {
	errs := map[string]string{}
	in := Input{Name: pr.Name, Domain: pr.Domain, Type: pr.Type}
	if err := in.Validate(); err != nil {
		for k, v := range apperr.FieldErrors(err) {
			errs[k] = v
		}
	}
	pr.Name, pr.Domain, pr.Type = in.Name, in.Domain, in.Type
	pr.Website = strings.TrimSpace(pr.Website)
	if pr.Website != "" {
		if !strings.Contains(pr.Website, "://") {
			pr.Website = "https://" + pr.Website
		}
		u, err := url.Parse(pr.Website)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Host, ".") || len(pr.Website) > 500 {
			errs["website"] = "Enter a web address like https://partnerfirm.com."
		}
	}
	pr.Positioning = strings.TrimSpace(pr.Positioning)
	if pr.Positioning != "" && !slices.Contains(ProfilePositionings, pr.Positioning) {
		errs["positioning"] = "Choose premium, mid-market or value."
	}
	pr.Focus = strings.TrimSpace(pr.Focus)
	if pr.Focus != "" && !slices.Contains(ProfileFocuses, pr.Focus) {
		errs["focus"] = "Choose specialist or generalist."
	}
	pr.Industries = CleanTags(pr.Industries)
	pr.Regions = CleanTags(pr.Regions)
	for field, tags := range map[string][]string{"industries": pr.Industries, "regions": pr.Regions} {
		switch {
		case len(tags) > MaxTags:
			errs[field] = "List at most 20."
		case slices.ContainsFunc(tags, func(t string) bool { return len(t) > 60 }):
			errs[field] = "Keep each one under 60 characters."
		}
	}
	var bad bool
	if pr.ClientSizes, bad = choices(pr.ClientSizes, ProfileClientSizes); bad {
		errs["client_sizes"] = "Choose from: " + strings.Join(ProfileClientSizes, ", ") + "."
	}
	if pr.Stages, bad = choices(pr.Stages, ProfileStages); bad {
		errs["stages"] = "Choose from: " + strings.Join(ProfileStages, ", ") + "."
	}
	pr.Notes = strings.TrimSpace(pr.Notes)
	if len(pr.Notes) > 10000 {
		errs["notes"] = "Keep the notes under 10,000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// choices keeps the values that are in allowed, in allowed's order; bad
// reports whether any value was not.
func choices(vs, allowed []string) (out []string, bad bool) {
	for _, v := range vs {
		v = strings.ToLower(strings.TrimSpace(v))
		if v != "" && !slices.Contains(allowed, v) {
			bad = true
		}
	}
	out = []string{}
	for _, a := range allowed {
		if slices.ContainsFunc(vs, func(v string) bool { return strings.ToLower(strings.TrimSpace(v)) == a }) {
			out = append(out, a)
		}
	}
	return out, bad
}

// UpdateProfile validates pr and saves it as the partner's profile. The
// owner must be on the firm's staff. ENotFound for another firm's partner.
// It does not look for a duplicate domain (DuplicateDomain does, for the
// warning).
func UpdateProfile(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, pr Profile) (Partner, error) {
	if err := pr.Validate(); err != nil {
		return Partner{}, err
	}
	if pr.OwnerUserID != nil {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2)`,
			tenantID, *pr.OwnerUserID).Scan(&ok); err != nil {
			return Partner{}, err
		}
		if !ok {
			return Partner{}, apperr.Invalid(map[string]string{"owner_user_id": "Choose someone on the firm's staff."})
		}
	}
	tag, err := q.Exec(ctx, `UPDATE partners SET name = $3, domain = $4, website = $5, type = $6, positioning = $7,
			focus = $8, industries = $9, client_sizes = $10, stages = $11, regions = $12, owner_user_id = $13,
			notes = $14, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, pr.Name, nullText(pr.Domain), nullText(pr.Website), pr.Type, nullText(pr.Positioning),
		nullText(pr.Focus), pr.Industries, pr.ClientSizes, pr.Stages, pr.Regions, pr.OwnerUserID, pr.Notes)
	if err != nil {
		return Partner{}, err
	}
	if tag.RowsAffected() == 0 {
		return Partner{}, apperr.NotFound("Partner")
	}
	return Get(ctx, q, tenantID, id)
}

func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DuplicateDomain returns another of the firm's partners with the same
// (normalised) domain, other than except; nil when there is none or the
// domain is empty.
func DuplicateDomain(ctx context.Context, q db.Querier, tenantID uuid.UUID, domain string, except uuid.UUID) (*Partner, error) {
	domain = NormalizeDomain(domain)
	if domain == "" {
		return nil, nil
	}
	p, err := scan(q.QueryRow(ctx, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1 AND p.domain = $2 AND p.id <> $3
		ORDER BY p.created_at, p.id LIMIT 1`, tenantID, domain, except))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ErrEndInstead refuses to delete a partner that has a history worth
// keeping.
var ErrEndInstead = &apperr.Error{Code: apperr.EConflict,
	Message: "This partner has a history with the firm; end the partnership instead of deleting it."}

// Delete removes a partner that never got past qualification: one that was
// added by mistake. A partner that has ever been onboarded (its status or
// any history line beyond prospect/qualifying) or that has portal users is
// refused with ErrEndInstead (EConflict, 409): end it instead, so its
// history stays. So is one with any referral (sent, received, credited or
// assisted), an agreement beyond a draft, a client payment or a ledger
// entry: the check is here so every caller (the API's DELETE, any future
// button) refuses a partner with referral or money history.
func Delete(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Partner, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1 AND p.id = $2 FOR UPDATE OF p`, tenantID, id))
	if db.IsNoRows(err) {
		return Partner{}, apperr.NotFound("Partner")
	}
	if err != nil {
		return Partner{}, err
	}
	var history bool
	if err := q.QueryRow(ctx, `SELECT
			$3 NOT IN ('prospect', 'qualifying')
			OR EXISTS (SELECT 1 FROM partner_status_history WHERE tenant_id = $1 AND partner_id = $2
				AND to_status NOT IN ('prospect', 'qualifying'))
			OR EXISTS (SELECT 1 FROM portal_memberships WHERE tenant_id = $1 AND partner_id = $2)
			OR EXISTS (SELECT 1 FROM referrals WHERE tenant_id = $1 AND (partner_id = $2 OR credited_partner_id = $2))
			OR EXISTS (SELECT 1 FROM referral_assists WHERE tenant_id = $1 AND partner_id = $2)
			OR EXISTS (SELECT 1 FROM agreements WHERE tenant_id = $1 AND partner_id = $2 AND status <> 'draft')
			OR EXISTS (SELECT 1 FROM revenue_events WHERE tenant_id = $1 AND partner_id = $2)
			OR EXISTS (SELECT 1 FROM journal_entries WHERE tenant_id = $1 AND partner_id = $2)`,
		tenantID, id, p.Status).Scan(&history); err != nil {
		return Partner{}, err
	}
	if history {
		return Partner{}, ErrEndInstead
	}
	if _, err := q.Exec(ctx, `DELETE FROM partners WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return Partner{}, err
	}
	return p, nil
}

// ChangeTier puts the partner in one of the firm's tiers (nil: none).
// Another firm's or an unknown tier is EInvalid on "tier_id".
func ChangeTier(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, tierID *uuid.UUID) (Partner, error) {
	if tierID != nil {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tiers WHERE tenant_id = $1 AND id = $2)`, tenantID, *tierID).Scan(&ok); err != nil {
			return Partner{}, err
		}
		if !ok {
			return Partner{}, apperr.Invalid(map[string]string{"tier_id": "No such tier in this firm."})
		}
	}
	tag, err := q.Exec(ctx, `UPDATE partners SET tier_id = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id, tierID)
	if err != nil {
		return Partner{}, err
	}
	if tag.RowsAffected() == 0 {
		return Partner{}, apperr.NotFound("Partner")
	}
	return Get(ctx, q, tenantID, id)
}
