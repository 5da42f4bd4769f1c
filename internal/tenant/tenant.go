// Package tenant keeps firms and who belongs to them: staff memberships with
// a role, partner-portal memberships tied to one partner firm, invitations
// and API tokens.
package tenant

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Tenant is a firm.
type Tenant struct {
	ID              uuid.UUID
	Slug            string
	Name            string
	RequireAdmin2FA bool
	CreatedAt       time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// reservedSlugs would shadow pages or confuse people.
var reservedSlugs = map[string]bool{"admin": true, "api": true, "static": true, "login": true, "signup": true,
	"new": true, "www": true, "app": true, "dev": true, "home": true}

// ValidateSlug checks a firm's URL name: 1–40 lower-case letters, digits
// and inner hyphens.
func ValidateSlug(s string) error {
	if !slugRE.MatchString(s) {
		return apperr.Invalid(map[string]string{"slug": "Use 1–40 lower-case letters, digits and hyphens (not at the start or end)."})
	}
	if reservedSlugs[s] {
		return apperr.Invalid(map[string]string{"slug": "This address is reserved; choose another."})
	}
	return nil
}

// SlugFrom suggests a slug from a firm's name.
func SlugFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

const tenantCols = `id, slug, name, require_admin_2fa, created_at`

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.RequireAdmin2FA, &t.CreatedAt)
	return t, err
}

// BySlug finds a firm by its URL name. ENotFound when none.
func BySlug(ctx context.Context, q db.Querier, slug string) (Tenant, error) {
	t, err := scanTenant(q.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, slug))
	if db.IsNoRows(err) {
		return Tenant{}, apperr.NotFound("Firm")
	}
	return t, err
}

// ByID finds a firm by id. ENotFound when none.
func ByID(ctx context.Context, q db.Querier, id uuid.UUID) (Tenant, error) {
	t, err := scanTenant(q.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if db.IsNoRows(err) {
		return Tenant{}, apperr.NotFound("Firm")
	}
	return t, err
}

// Create inserts a firm with the given id (the caller scopes its transaction
// to that id first, so the owner's membership can be written in the same
// transaction). A taken slug is EConflict on "slug".
func Create(ctx context.Context, q db.Querier, id uuid.UUID, slug, name string) (Tenant, error) {
	if err := ValidateSlug(slug); err != nil {
		return Tenant{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Tenant{}, apperr.Invalid(map[string]string{"firm_name": "Enter your firm's name (up to 200 characters)."})
	}
	t, err := scanTenant(q.QueryRow(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3) RETURNING `+tenantCols, id, slug, name))
	if db.IsUniqueViolation(err, "tenants_slug_key") {
		return Tenant{}, &apperr.Error{Code: apperr.EConflict, Message: "That address is taken.",
			Fields: map[string]string{"slug": "That address is taken; choose another."}}
	}
	return t, err
}

// SetRequireAdmin2FA turns on or off the rule that owners and admins must use
// two-factor sign-in.
func SetRequireAdmin2FA(ctx context.Context, q db.Querier, tenantID uuid.UUID, on bool) error {
	_, err := q.Exec(ctx, `UPDATE tenants SET require_admin_2fa = $2 WHERE id = $1`, tenantID, on)
	return err
}
