package tenant

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
)

// Member is a person on a firm's staff.
type Member struct {
	UserID    uuid.UUID
	Email     string
	Name      string
	Role      auth.Role
	Disabled  bool
	Has2FA    bool
	CreatedAt time.Time
}

// StaffRole returns a person's role in a firm; ENotFound when they are not
// on its staff (or are disabled).
func StaffRole(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID) (auth.Role, error) {
	var role auth.Role
	err := q.QueryRow(ctx, `SELECT m.role FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.user_id = $2 AND u.disabled_at IS NULL`, tenantID, userID).Scan(&role)
	if db.IsNoRows(err) {
		return "", apperr.NotFound("Membership")
	}
	return role, err
}

// AddStaff puts a person on a firm's staff with a role, or changes the role
// of one who already is.
func AddStaff(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID, role auth.Role) error {
	_, err := q.Exec(ctx, `INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()`, tenantID, userID, role)
	return err
}

// ListStaff returns a firm's staff, owners first.
func ListStaff(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Member, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.email, u.name, m.role, u.disabled_at IS NOT NULL,
			u.totp_enabled_at IS NOT NULL, m.created_at
		FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1
		ORDER BY array_position(ARRAY['owner','admin','manager','finance','viewer'], m.role), lower(u.name)`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &m.Role, &m.Disabled, &m.Has2FA, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ErrLastOwner keeps a firm from losing its last owner.
var ErrLastOwner = &apperr.Error{Code: apperr.EConflict,
	Message: "A firm needs at least one owner. Make someone else an owner first."}

func lockOwners(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID) (current auth.Role, activeOwners int, err error) {
	// Lock the firm's owner rows so two admins can't demote the last two
	// owners at once. Only owners who can still sign in count: a disabled
	// owner can't run the firm.
	if err := q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE u.disabled_at IS NULL) FROM (
			SELECT user_id FROM staff_memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE
		) o JOIN users u ON u.id = o.user_id`, tenantID).Scan(&activeOwners); err != nil {
		return "", 0, err
	}
	// The member may be disabled: they must still be removable.
	err = q.QueryRow(ctx, `SELECT role FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&current)
	if db.IsNoRows(err) {
		return "", 0, apperr.NotFound("Team member")
	}
	return current, activeOwners, err
}

// SetStaffRole changes a member's role. Only an owner may make or unmake
// owners (the caller checks); the last owner can't be demoted.
func SetStaffRole(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID, role auth.Role) error {
	current, owners, err := lockOwners(ctx, q, tenantID, userID)
	if err != nil {
		return err
	}
	if current == auth.RoleOwner && role != auth.RoleOwner && owners <= 1 {
		return ErrLastOwner
	}
	_, err = q.Exec(ctx, `UPDATE staff_memberships SET role = $3, updated_at = now() WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID, role)
	return err
}

// RemoveStaff takes a person off a firm's staff; the last owner can't go.
func RemoveStaff(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID) error {
	current, owners, err := lockOwners(ctx, q, tenantID, userID)
	if err != nil {
		return err
	}
	if current == auth.RoleOwner && owners <= 1 {
		return ErrLastOwner
	}
	_, err = q.Exec(ctx, `DELETE FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	return err
}

// PortalMember is a partner firm's user in a firm's portal.
type PortalMember struct {
	UserID      uuid.UUID
	Email       string
	Name        string
	PartnerID   uuid.UUID
	PartnerName string
	Role        auth.Role
	CreatedAt   time.Time
}

// PortalMembership returns a person's portal membership in a firm; ENotFound
// when they have none (or are disabled).
func PortalMembership(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID) (PortalMember, error) {
	var m PortalMember
	err := q.QueryRow(ctx, `SELECT u.id, u.email, u.name, p.id, p.name, m.role, m.created_at
		FROM portal_memberships m JOIN users u ON u.id = m.user_id
		JOIN partners p ON p.tenant_id = m.tenant_id AND p.id = m.partner_id
		WHERE m.tenant_id = $1 AND m.user_id = $2 AND u.disabled_at IS NULL`, tenantID, userID).
		Scan(&m.UserID, &m.Email, &m.Name, &m.PartnerID, &m.PartnerName, &m.Role, &m.CreatedAt)
	if db.IsNoRows(err) {
		return PortalMember{}, apperr.NotFound("Membership")
	}
	return m, err
}

// ErrOtherPartner: a person is a portal user of at most one partner per firm.
var ErrOtherPartner = &apperr.Error{Code: apperr.EConflict,
	Message: "This person already uses the portal for another partner firm.",
	Fields:  map[string]string{"email": "This person already uses the portal for another partner firm."}}

// AddPortal gives a person portal access for one partner of a firm.
func AddPortal(ctx context.Context, q db.Querier, tenantID, userID, partnerID uuid.UUID, role auth.Role) error {
	tag, err := q.Exec(ctx, `INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role
		WHERE portal_memberships.partner_id = EXCLUDED.partner_id`, tenantID, userID, partnerID, role)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrOtherPartner
	}
	return nil
}

// ListPortal returns the portal users of a firm, of one partner when
// partnerID is set.
func ListPortal(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]PortalMember, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.email, u.name, p.id, p.name, m.role, m.created_at
		FROM portal_memberships m JOIN users u ON u.id = m.user_id
		JOIN partners p ON p.tenant_id = m.tenant_id AND p.id = m.partner_id
		WHERE m.tenant_id = $1 AND ($2::uuid IS NULL OR m.partner_id = $2)
		ORDER BY lower(p.name), m.role, lower(u.name)`, tenantID, nullID(partnerID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PortalMember
	for rows.Next() {
		var m PortalMember
		if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &m.PartnerID, &m.PartnerName, &m.Role, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RemovePortal takes a person's portal access away (of one partner when
// partnerID is set). ENotFound when there was none.
func RemovePortal(ctx context.Context, q db.Querier, tenantID, userID, partnerID uuid.UUID) error {
	tag, err := q.Exec(ctx, `DELETE FROM portal_memberships WHERE tenant_id = $1 AND user_id = $2
		AND ($3::uuid IS NULL OR partner_id = $3)`, tenantID, userID, nullID(partnerID))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Portal user")
	}
	return nil
}

// Workplace is somewhere a person can go after signing in.
type Workplace struct {
	Kind       string // "staff" or "portal"
	TenantSlug string
	TenantName string
	Role       auth.Role
}

// URL is where the workplace lives.
func (w Workplace) URL() string {
	if w.Kind == "portal" {
		return "/p/" + w.TenantSlug
	}
	return "/t/" + w.TenantSlug
}

// Workplaces lists a person's memberships across firms. It must run in an
// AsUser-scoped transaction (RLS shows a person their own memberships only).
func Workplaces(ctx context.Context, q db.Querier, userID uuid.UUID) ([]Workplace, error) {
	rows, err := q.Query(ctx, `SELECT 'staff', t.slug, t.name, m.role FROM staff_memberships m JOIN tenants t ON t.id = m.tenant_id
			WHERE m.user_id = $1
		UNION ALL
		SELECT 'portal', t.slug, t.name, m.role FROM portal_memberships m JOIN tenants t ON t.id = m.tenant_id
			WHERE m.user_id = $1
		ORDER BY 1 DESC, 3`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Workplace
	for rows.Next() {
		var w Workplace
		if err := rows.Scan(&w.Kind, &w.TenantSlug, &w.TenantName, &w.Role); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
