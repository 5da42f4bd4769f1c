package tenant

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Stats are the counts on a firm's dashboard.
type Stats struct {
	Partners         int
	ActivePartners   int
	Staff            int
	PortalUsers      int
	OpenInvitations  int
	LiveTokens       int
	PartnersByStatus map[string]int
}

// DashboardStats counts a firm's partners, people and tokens in one query.
func DashboardStats(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Stats, error) {
	st := Stats{PartnersByStatus: map[string]int{}}
	err := q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM partners WHERE tenant_id = $1),
		(SELECT count(*) FROM partners WHERE tenant_id = $1 AND status = 'active'),
		(SELECT count(*) FROM staff_memberships WHERE tenant_id = $1),
		(SELECT count(*) FROM portal_memberships WHERE tenant_id = $1),
		(SELECT count(*) FROM invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()),
		(SELECT count(*) FROM api_tokens WHERE tenant_id = $1 AND revoked_at IS NULL)`, tenantID).
		Scan(&st.Partners, &st.ActivePartners, &st.Staff, &st.PortalUsers, &st.OpenInvitations, &st.LiveTokens)
	if err != nil {
		return st, err
	}
	rows, err := q.Query(ctx, `SELECT status, count(*) FROM partners WHERE tenant_id = $1 GROUP BY status`, tenantID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return st, err
		}
		st.PartnersByStatus[k] = n
	}
	return st, rows.Err()
}
