package tenant

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// LockStaffMember returns one person on a firm's staff (disabled people
// too) and locks the firm's owner rows and that person's membership until
// the transaction ends, so a check made on the role (may the caller change
// an owner?) still holds when SetStaffRole or RemoveStaff writes. Owners are
// locked first, in the same order as those functions, so two changes at
// once wait for each other instead of deadlocking. ENotFound when the person
// is not on this firm's staff — another firm's member included.
func LockStaffMember(ctx context.Context, q db.Querier, tenantID, userID uuid.UUID) (Member, error) {
	if _, err := q.Exec(ctx, `SELECT 1 FROM staff_memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE`, tenantID); err != nil {
		return Member{}, err
	}
	var m Member
	err := q.QueryRow(ctx, `SELECT u.id, u.email, u.name, m.role, u.disabled_at IS NOT NULL,
			u.totp_enabled_at IS NOT NULL, m.created_at
		FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.user_id = $2
		FOR UPDATE OF m`, tenantID, userID).
		Scan(&m.UserID, &m.Email, &m.Name, &m.Role, &m.Disabled, &m.Has2FA, &m.CreatedAt)
	if db.IsNoRows(err) {
		return Member{}, apperr.NotFound("Team member")
	}
	return m, err
}

// PortalUser returns one portal user of a firm (of one partner when
// partnerID is set), disabled people too. ENotFound when there is none —
// another partner's or another firm's user included.
func PortalUser(ctx context.Context, q db.Querier, tenantID, userID, partnerID uuid.UUID) (PortalMember, error) {
	var m PortalMember
	err := q.QueryRow(ctx, `SELECT u.id, u.email, u.name, p.id, p.name, m.role, m.created_at
		FROM portal_memberships m JOIN users u ON u.id = m.user_id
		JOIN partners p ON p.tenant_id = m.tenant_id AND p.id = m.partner_id
		WHERE m.tenant_id = $1 AND m.user_id = $2 AND ($3::uuid IS NULL OR m.partner_id = $3)`,
		tenantID, userID, nullID(partnerID)).
		Scan(&m.UserID, &m.Email, &m.Name, &m.PartnerID, &m.PartnerName, &m.Role, &m.CreatedAt)
	if db.IsNoRows(err) {
		return PortalMember{}, apperr.NotFound("Portal user")
	}
	return m, err
}
