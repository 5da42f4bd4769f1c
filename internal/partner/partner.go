// Package partner keeps a firm's partner firms. This is the foundation's
// minimal partner: name, domain, partnership model and lifecycle status; the
// partners issue grows it into the directory.
package partner

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Types are the five partnership models.
var Types = []string{"referral", "delivery", "alliance", "technology", "channel"}

// TypeLabels are how people name the models.
var TypeLabels = map[string]string{
	"referral":   "Referral",
	"delivery":   "Subcontracting / delivery",
	"alliance":   "Strategic alliance / JV",
	"technology": "Technology / platform",
	"channel":    "Channel / reseller",
}

// Statuses are the lifecycle states, in order.
var Statuses = []string{"prospect", "qualifying", "onboarding", "active", "paused", "inactive", "ended"}

// Partner is a partner firm.
type Partner struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Name     string
	Domain   string
	Type     string
	Status   string
	// Profile.
	Website     string
	Positioning string // premium, mid_market, value or ""
	Focus       string // specialist, generalist or ""
	Industries  []string
	ClientSizes []string
	Stages      []string
	Regions     []string
	OwnerUserID *uuid.UUID // who on our side owns the relationship
	OwnerName   string
	TierID      *uuid.UUID
	TierName    string
	Notes       string
	// ServicesText lists the names of the services the partner covers (for search).
	ServicesText    string
	StatusChangedAt time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Input is what a person fills in to add a partner.
type Input struct {
	Name   string
	Domain string
	Type   string
}

// Validate trims the input and checks it; EInvalid with per-field messages.
func (in *Input) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Domain = NormalizeDomain(in.Domain)
	in.Type = strings.TrimSpace(in.Type)
	errs := map[string]string{}
	if in.Name == "" {
		errs["name"] = "Enter the partner firm's name."
	} else if len(in.Name) > 200 {
		errs["name"] = "Keep the name under 200 characters."
	}
	if in.Domain != "" && (!strings.Contains(in.Domain, ".") || strings.ContainsAny(in.Domain, " /@")) {
		errs["domain"] = "Enter a web domain like partnerfirm.com."
	}
	if in.Type == "" {
		in.Type = "referral"
	}
	if _, ok := TypeLabels[in.Type]; !ok {
		errs["type"] = "Choose one of the five partnership models."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// NormalizeDomain turns "https://www.Firm.com/about" into "firm.com".
func NormalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil {
			s = strings.ToLower(u.Host) // %-escapes in the host may decode to capitals
		}
	}
	s, _, _ = strings.Cut(s, "/")
	// Until nothing changes, so that a result normalises to itself
	// ("www.www.firm.com", "firm.com /about").
	for {
		t := strings.TrimSpace(strings.TrimPrefix(s, "www."))
		if t == s {
			return s
		}
		s = t
	}
}

// cols selects a partner from "partners p" with its owner and tier names;
// use it with fromPartners.
const cols = `p.id, p.tenant_id, p.name, coalesce(p.domain, ''), p.type, p.status,
	coalesce(p.website, ''), coalesce(p.positioning, ''), coalesce(p.focus, ''),
	p.industries, p.client_sizes, p.stages, p.regions,
	p.owner_user_id, coalesce(ou.name, ''), p.tier_id, coalesce(t.name, ''), p.notes, p.services_text,
	p.status_changed_at, p.created_at, p.updated_at`

// fromPartners is the FROM clause that cols needs.
const fromPartners = ` FROM partners p
	LEFT JOIN users ou ON ou.id = p.owner_user_id
	LEFT JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id `

func scan(row interface{ Scan(...any) error }) (Partner, error) {
	var p Partner
	err := row.Scan(&p.ID, &p.TenantID, &p.Name, &p.Domain, &p.Type, &p.Status,
		&p.Website, &p.Positioning, &p.Focus, &p.Industries, &p.ClientSizes, &p.Stages, &p.Regions,
		&p.OwnerUserID, &p.OwnerName, &p.TierID, &p.TierName, &p.Notes, &p.ServicesText,
		&p.StatusChangedAt, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// queryPartners runs a query selecting cols+fromPartners and scans every row.
func queryPartners(ctx context.Context, q db.Querier, sql string, args ...any) ([]Partner, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Partner, error) { return scan(row) })
}

// Create adds a partner in the prospect status and starts its lifecycle
// history. It does not look for a duplicate domain: callers warn about one
// first (DuplicateDomain) and let the person save anyway.
func Create(ctx context.Context, q db.Querier, tenantID uuid.UUID, in Input) (Partner, error) {
	if err := in.Validate(); err != nil {
		return Partner{}, err
	}
	var domain *string
	if in.Domain != "" {
		domain = &in.Domain
	}
	var id uuid.UUID
	if err := q.QueryRow(ctx, `INSERT INTO partners (tenant_id, name, domain, type) VALUES ($1, $2, $3, $4)
		RETURNING id`, tenantID, in.Name, domain, in.Type).Scan(&id); err != nil {
		return Partner{}, err
	}
	// The history starts with "(created) → prospect", by whoever is acting.
	if _, err := recordStatus(ctx, q, tenantID, id, "", "prospect", "", audit.ActorFrom(ctx).UserID); err != nil {
		return Partner{}, err
	}
	return Get(ctx, q, tenantID, id)
}

// Get returns one partner of the firm; ENotFound for another firm's id.
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Partner, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return Partner{}, apperr.NotFound("Partner")
	}
	return p, err
}

// List returns the firm's partners by name.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Partner, error) {
	return queryPartners(ctx, q, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1 ORDER BY lower(p.name), p.id`, tenantID)
}

// SetStatus puts a partner in a status without checking the allowed moves
// (for the demo seed and imports, which set a firm's existing situation),
// and records the change in the history like MoveStatus does. People and
// the API go through MoveStatus.
func SetStatus(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, status string) error {
	var from string
	err := q.QueryRow(ctx, `SELECT status FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&from)
	if db.IsNoRows(err) {
		return apperr.NotFound("Partner")
	}
	if err != nil || from == status {
		return err
	}
	if _, err := q.Exec(ctx, `UPDATE partners SET status = $3, status_changed_at = now(), updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, status); err != nil {
		return err
	}
	_, err = recordStatus(ctx, q, tenantID, id, from, status, "", audit.ActorFrom(ctx).UserID)
	return err
}
