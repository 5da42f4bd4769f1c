package tenant

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
)

// InviteTTL is how long an invitation link works.
const InviteTTL = 7 * 24 * time.Hour

// Invitation asks a person to join a firm's staff or a partner's portal team.
type Invitation struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Email       string
	Kind        string // "staff" or "portal"
	Role        auth.Role
	PartnerID   uuid.UUID // portal invitations only
	PartnerName string
	InvitedBy   string // inviter's name
	ExpiresAt   time.Time
	AcceptedAt  *time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
}

// ErrInviteInvalid is the one answer for an invitation link that is unknown,
// used, revoked or expired.
var ErrInviteInvalid = &apperr.Error{Code: apperr.EInvalid,
	Message: "This invitation link is invalid or has expired. Ask the person who invited you for a new one."}

// NewInvitation is what an inviter fills in.
type NewInvitation struct {
	Email     string
	Kind      string
	Role      auth.Role
	PartnerID uuid.UUID
	InvitedBy uuid.UUID
}

// CreateInvitation stores an invitation and returns the secret token for the
// link (only its hash is kept). Open invitations for the same email to the
// same place (staff, or the same partner's portal) are revoked, so the
// newest link is the only one that works.
func CreateInvitation(ctx context.Context, q db.Querier, tenantID uuid.UUID, in NewInvitation) (Invitation, string, error) {
	token := auth.NewToken()
	if _, err := q.Exec(ctx, `UPDATE invitations SET revoked_at = now()
		WHERE tenant_id = $1 AND email = $2 AND kind = $3 AND partner_id IS NOT DISTINCT FROM $4
		AND accepted_at IS NULL AND revoked_at IS NULL`,
		tenantID, in.Email, in.Kind, nullID(in.PartnerID)); err != nil {
		return Invitation{}, "", err
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO invitations (tenant_id, email, kind, role, partner_id, token_hash, invited_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tenantID, in.Email, in.Kind, in.Role, nullID(in.PartnerID), auth.HashToken(token), nullID(in.InvitedBy),
		time.Now().Add(InviteTTL)).Scan(&id)
	if err != nil {
		return Invitation{}, "", err
	}
	inv, err := invitationWhere(ctx, q, `i.tenant_id = $1 AND i.id = $2`, tenantID, id)
	return inv, token, err
}

const invitationSelect = `SELECT i.id, i.tenant_id, i.email, i.kind, i.role, coalesce(i.partner_id, '00000000-0000-0000-0000-000000000000'),
		coalesce(p.name, ''), coalesce(u.name, ''), i.expires_at, i.accepted_at, i.revoked_at, i.created_at
	FROM invitations i
	LEFT JOIN partners p ON p.tenant_id = i.tenant_id AND p.id = i.partner_id
	LEFT JOIN users u ON u.id = i.invited_by WHERE `

func scanInvitation(row interface{ Scan(...any) error }) (Invitation, error) {
	var i Invitation
	err := row.Scan(&i.ID, &i.TenantID, &i.Email, &i.Kind, &i.Role, &i.PartnerID, &i.PartnerName, &i.InvitedBy,
		&i.ExpiresAt, &i.AcceptedAt, &i.RevokedAt, &i.CreatedAt)
	return i, err
}

func invitationWhere(ctx context.Context, q db.Querier, where string, args ...any) (Invitation, error) {
	inv, err := scanInvitation(q.QueryRow(ctx, invitationSelect+where, args...))
	if db.IsNoRows(err) {
		return Invitation{}, apperr.NotFound("Invitation")
	}
	return inv, err
}

// InvitationByToken returns the open invitation a link is for, or ErrInviteInvalid.
func InvitationByToken(ctx context.Context, q db.Querier, tenantID uuid.UUID, token string) (Invitation, error) {
	inv, err := invitationWhere(ctx, q, `i.tenant_id = $1 AND i.token_hash = $2
		AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`, tenantID, auth.HashToken(token))
	if apperr.Code(err) == apperr.ENotFound {
		return Invitation{}, ErrInviteInvalid
	}
	return inv, err
}

// AcceptInvitation spends the invitation (once) and gives the person the
// membership it promised.
func AcceptInvitation(ctx context.Context, q db.Querier, tenantID uuid.UUID, token string, userID uuid.UUID) (Invitation, error) {
	inv, err := InvitationByToken(ctx, q, tenantID, token)
	if err != nil {
		return Invitation{}, err
	}
	tag, err := q.Exec(ctx, `UPDATE invitations SET accepted_at = now()
		WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`, tenantID, inv.ID)
	if err != nil {
		return Invitation{}, err
	}
	if tag.RowsAffected() != 1 {
		return Invitation{}, ErrInviteInvalid
	}
	if inv.Kind == "staff" {
		err = AddStaff(ctx, q, tenantID, userID, inv.Role)
	} else {
		err = AddPortal(ctx, q, tenantID, userID, inv.PartnerID, inv.Role)
	}
	return inv, err
}

// ListInvitations returns a firm's open invitations (of one partner when set).
func ListInvitations(ctx context.Context, q db.Querier, tenantID uuid.UUID, kind string, partnerID uuid.UUID) ([]Invitation, error) {
	rows, err := q.Query(ctx, invitationSelect+`i.tenant_id = $1 AND i.kind = $2 AND ($3::uuid IS NULL OR i.partner_id = $3)
		AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
		ORDER BY i.created_at DESC`, tenantID, kind, nullID(partnerID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// RevokeInvitation stops an open invitation from working (of one partner's
// team when partnerID is set). ENotFound when there is no such open one.
func RevokeInvitation(ctx context.Context, q db.Querier, tenantID, id, partnerID uuid.UUID) (Invitation, error) {
	inv, err := invitationWhere(ctx, q, `i.tenant_id = $1 AND i.id = $2 AND ($3::uuid IS NULL OR i.partner_id = $3)
		AND i.accepted_at IS NULL AND i.revoked_at IS NULL`, tenantID, id, nullID(partnerID))
	if err != nil {
		return Invitation{}, err
	}
	_, err = q.Exec(ctx, `UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return inv, err
}
