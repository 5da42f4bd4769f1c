package programdash

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/partner"
)

// The rollups are read with sums of only the columns the dashboard shows
// (not rollup.Sum, which also takes response-time percentiles over every
// month it reads: at a million referrals that sort was most of the cost).

// readGoals reads the firm's goals; the defaults when it has no settings.
func readGoals(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Goals, error) {
	g := DefaultGoals
	var roiX10 int64
	err := q.QueryRow(ctx, `SELECT revenue_goal_min_bp, revenue_goal_max_bp, roi_goal_x10, recruit_goal_min, recruit_goal_max
		FROM tenant_settings WHERE tenant_id = $1`, tenantID).
		Scan(&g.RevenueShareMinBP, &g.RevenueShareMaxBP, &roiX10, &g.RecruitMin, &g.RecruitMax)
	if db.IsNoRows(err) {
		return DefaultGoals, nil
	}
	if err != nil {
		return g, fmt.Errorf("programdash: goals: %w", err)
	}
	g.ROIX100 = roiX10 * 10
	return g, nil
}

// readMonths reads the firm's months in [from, to) (the rollups summed over
// partners): the funnel of each month (Currency "") and each currency's
// money.
func readMonths(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to time.Time) ([]monthRow, error) {
	rows, err := q.Query(ctx, `SELECT month, '', received, reached_contacted, reached_meeting, reached_proposal, reached_won,
			0::bigint, 0::bigint
		FROM firm_months WHERE tenant_id = $1 AND month >= $2::date AND month < $3::date
		UNION ALL
		SELECT month, currency, 0, 0, 0, 0, 0, revenue_received_cents, commission_earned_cents
		FROM firm_month_money WHERE tenant_id = $1 AND month >= $2::date AND month < $3::date`,
		tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("programdash: months: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (monthRow, error) {
		var m monthRow
		err := r.Scan(&m.Month, &m.Currency, &m.Funnel.Received, &m.Funnel.Contacted, &m.Funnel.Meeting,
			&m.Funnel.Proposal, &m.Funnel.Won, &m.Revenue, &m.Commission)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("programdash: months: %w", err)
	}
	return out, nil
}

// OpenByStage counts today's open referrals (both directions) by stage
// from the rollups (each partner-month keeps how many of its referrals are
// in each open status now). What the firm's front page shows; any staff
// scope, after rollup.Fresh.
func OpenByStage(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Open, error) {
	var o Open
	err := q.QueryRow(ctx, `SELECT coalesce(sum(open_submitted), 0)::bigint, coalesce(sum(open_acknowledged), 0)::bigint,
			coalesce(sum(open_contacted), 0)::bigint, coalesce(sum(open_meeting), 0)::bigint, coalesce(sum(open_proposal), 0)::bigint
		FROM firm_months WHERE tenant_id = $1`, tenantID).
		Scan(&o.Submitted, &o.Acknowledged, &o.Contacted, &o.Meeting, &o.Proposal)
	if err != nil {
		return o, fmt.Errorf("programdash: open referrals: %w", err)
	}
	return o, nil
}

// readPartners counts the firm's partners by status, and those in the
// program by model and tier (every tier listed, empty ones too).
func readPartners(ctx context.Context, q db.Querier, tenantID uuid.UUID, d *Dashboard) error {
	type tier struct {
		id   uuid.UUID
		name string
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM tiers WHERE tenant_id = $1 ORDER BY rank, id`, tenantID)
	if err != nil {
		return fmt.Errorf("programdash: tiers: %w", err)
	}
	tiers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tier, error) {
		var t tier
		err := r.Scan(&t.id, &t.name)
		return t, err
	})
	if err != nil {
		return fmt.Errorf("programdash: tiers: %w", err)
	}
	byType, byStatus, byTier := map[string]int64{}, map[string]int64{}, map[uuid.UUID]int64{}
	var noTier int64
	rows, err = q.Query(ctx, `SELECT type, status, tier_id, count(*) FROM partners WHERE tenant_id = $1
		GROUP BY type, status, tier_id`, tenantID)
	if err != nil {
		return fmt.Errorf("programdash: partners: %w", err)
	}
	var typ, status string
	var tierID *uuid.UUID
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&typ, &status, &tierID, &n}, func() error {
		byStatus[status] += n
		if !slices.Contains(ProgramStatuses, status) {
			return nil
		}
		d.InProgram += n
		byType[typ] += n
		if tierID == nil {
			noTier += n
		} else {
			byTier[*tierID] += n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("programdash: partners: %w", err)
	}
	d.ActivePartners = byStatus["active"]
	for _, t := range partner.Types {
		d.PartnersByType = append(d.PartnersByType, Stage{Key: t, Label: partner.TypeLabels[t], N: byType[t]})
	}
	for _, s := range partner.Statuses {
		d.PartnersByStatus = append(d.PartnersByStatus, Stage{Key: s, Label: statusLabel(s), N: byStatus[s]})
	}
	for _, t := range tiers {
		id := t.id
		d.PartnersByTier = append(d.PartnersByTier, TierCount{TierID: &id, Name: t.name, N: byTier[t.id]})
	}
	d.PartnersByTier = append(d.PartnersByTier, TierCount{Name: "No tier", N: noTier})
	return nil
}

// statusLabel is how a lifecycle status is written ("onboarding" → "Onboarding").
func statusLabel(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// readChanges reads the partners added (first move to active) and lost
// (a move from a live status to inactive or ended) on days in [from, to)
// of the firm's time zone. A partner's first activation before from is no
// addition in the window, whatever came later.
func readChanges(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to time.Time) ([]change, error) {
	rows, err := q.Query(ctx, `WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone),
		h AS (SELECT partner_id, from_status, to_status, (at AT TIME ZONE (SELECT zone FROM tz))::date AS day
			FROM partner_status_history WHERE tenant_id = $1)
		SELECT partner_id, true, min(day) FROM h WHERE to_status = 'active'
			GROUP BY partner_id HAVING min(day) >= $2::date AND min(day) < $3::date
		UNION ALL
		SELECT partner_id, false, day FROM h
			WHERE to_status IN ('inactive', 'ended') AND from_status IS NOT NULL AND from_status NOT IN ('inactive', 'ended')
			AND day >= $2::date AND day < $3::date`, tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("programdash: partner changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var c change
		err := r.Scan(&c.PartnerID, &c.Added, &c.Day)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("programdash: partner changes: %w", err)
	}
	return out, nil
}

// readPartnerRevenue is each partner's revenue in Currency over months in
// [from, to), with its name.
func readPartnerRevenue(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to time.Time) ([]PartnerRevenue, error) {
	// Sum first, then name the (at most a few hundred) partners: joining
	// before summing made the planner re-aggregate once per partner.
	rows, err := q.Query(ctx, `SELECT m.partner_id, coalesce((SELECT p.name FROM partners p
				WHERE p.tenant_id = $1 AND p.id = m.partner_id), ''), m.cents
		FROM (SELECT partner_id, sum(revenue_received_cents)::bigint AS cents FROM partner_month_money
			WHERE tenant_id = $1 AND currency = $2 AND month >= $3::date AND month < $4::date
			GROUP BY partner_id) m`, tenantID, Currency, from, to)
	if err != nil {
		return nil, fmt.Errorf("programdash: partner revenue: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PartnerRevenue, error) {
		var p PartnerRevenue
		err := r.Scan(&p.PartnerID, &p.Name, &p.RevenueCents)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("programdash: partner revenue: %w", err)
	}
	return out, nil
}
