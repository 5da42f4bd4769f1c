package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// RevenueFilter narrows ListRevenueWhere; zero fields don't filter.
type RevenueFilter struct {
	EngagementID *uuid.UUID
	ReferralID   *uuid.UUID
	PartnerID    *uuid.UUID
	ExternalRef  string // the accounting system's reference, exactly
}

// ListRevenueWhere is ListRevenue with every filter of the API's
// /revenue-events list.
func ListRevenueWhere(ctx context.Context, q db.Querier, tenantID uuid.UUID, f RevenueFilter, after PagePos, limit int) ([]RevenueEvent, error) {
	rows, err := q.Query(ctx, `SELECT `+revenueCols+` FROM revenue_events e
		WHERE e.tenant_id = $1 AND ($2::uuid IS NULL OR e.engagement_id = $2)
		  AND ($3::uuid IS NULL OR e.referral_id = $3) AND ($4::uuid IS NULL OR e.partner_id = $4)
		  AND ($5 = '' OR e.external_ref = $5)
		  AND ($6::uuid IS NULL OR (e.created_at, e.id) > ($7, $6))
		ORDER BY e.created_at, e.id LIMIT $8`,
		tenantID, f.EngagementID, f.ReferralID, f.PartnerID, f.ExternalRef, after.afterID(), after.CreatedAt, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return collectRevenue(rows)
}

// EntryFilter narrows ListEntriesWhere; zero fields don't filter.
type EntryFilter struct {
	PartnerID      *uuid.UUID
	ReferralID     *uuid.UUID
	RevenueEventID *uuid.UUID
	Kind           string // accrual, reversal, adjustment, payout
	Direction      string // we_pay, we_receive
}

// ListEntriesWhere is ListEntries with every filter of the API's
// /commission-entries list.
func ListEntriesWhere(ctx context.Context, q db.Querier, tenantID uuid.UUID, f EntryFilter, after PagePos, limit int) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryCols+` FROM journal_entries je
		WHERE je.tenant_id = $1 AND ($2::uuid IS NULL OR je.partner_id = $2)
		  AND ($3::uuid IS NULL OR je.referral_id = $3) AND ($4::uuid IS NULL OR je.revenue_event_id = $4)
		  AND ($5 = '' OR je.kind = $5) AND ($6 = '' OR je.direction = $6)
		  AND ($7::uuid IS NULL OR (je.created_at, je.id) > ($8, $7))
		ORDER BY je.created_at, je.id LIMIT $9`,
		tenantID, f.PartnerID, f.ReferralID, f.RevenueEventID, f.Kind, f.Direction, after.afterID(), after.CreatedAt, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
