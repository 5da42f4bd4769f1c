package campaign

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Money is an amount in one currency.
type Money struct {
	Currency string
	Cents    int64
}

// Funnel is what a campaign led to: its leads, the qualified conversations
// (leads qualified or converted), the referrals they became (converted
// leads, and any referral recorded against the campaign), how many of
// those were won, and the client payments on them per currency (refunds
// netted).
type Funnel struct {
	Leads     int64
	Qualified int64
	Referrals int64
	Won       int64
	Revenue   []Money // by currency code
}

// Funnels returns the funnel of each campaign in ids (campaigns without
// leads or referrals get a zero funnel). In the portal the referral and
// revenue figures only count what the partner may see.
func Funnels(ctx context.Context, q db.Querier, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Funnel, error) {
	out := make(map[uuid.UUID]Funnel, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT campaign_id, count(*), count(*) FILTER (WHERE status IN ('qualified', 'converted'))
		FROM campaign_leads WHERE tenant_id = $1 AND campaign_id = ANY($2) GROUP BY campaign_id`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id uuid.UUID
		var f Funnel
		if err := rows.Scan(&id, &f.Leads, &f.Qualified); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT campaign_id, count(*), count(*) FILTER (WHERE status = 'won')
		FROM referrals WHERE tenant_id = $1 AND campaign_id = ANY($2) GROUP BY campaign_id`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id uuid.UUID
		var refs, won int64
		if err := rows.Scan(&id, &refs, &won); err != nil {
			rows.Close()
			return nil, err
		}
		f := out[id]
		f.Referrals, f.Won = refs, won
		out[id] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT r.campaign_id, e.currency, sum(e.amount_cents)::bigint
		FROM revenue_events e JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		WHERE e.tenant_id = $1 AND r.campaign_id = ANY($2)
		GROUP BY r.campaign_id, e.currency ORDER BY r.campaign_id, e.currency`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var m Money
		if err := rows.Scan(&id, &m.Currency, &m.Cents); err != nil {
			return nil, err
		}
		f := out[id]
		f.Revenue = append(f.Revenue, m)
		out[id] = f
	}
	return out, rows.Err()
}

// FunnelOf is Funnels for one campaign.
func FunnelOf(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Funnel, error) {
	fs, err := Funnels(ctx, q, tenantID, []uuid.UUID{id})
	return fs[id], err
}
