// Package rollup keeps the per-partner, per-month figures that scorecards
// and the program dashboard read instead of raw history (partner_months and
// partner_month_money; see migrations/00009_rollups.sql), and their sums
// over partners per month (firm_months, firm_month_money; 00015).
//
// Triggers mark the partners a change touched (rollup_dirty); Refresh
// recomputes those partners' months from raw data, Rebuild every partner's.
// Both run the same statement (recompute), so a rebuild can only differ
// from the incremental rollups when a change was not marked — which is what
// TestRebuildEqualsIncremental checks.
//
// It is a base package: any area and the server may read rollups.
package rollup

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
)

// Refresh recomputes the firm's partners marked dirty and clears their
// marks, returning how many partners it recomputed. A mark added by a
// change that commits after Refresh read the marks stays for the next run.
// It waits for any other refresh of the firm to finish first (lock).
// Staff scope (a portal transaction may mark but not clear).
func Refresh(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (int, error) {
	if _, err := lock(ctx, tx, tenantID, true); err != nil {
		return 0, err
	}
	return refresh(ctx, tx, tenantID)
}

func refresh(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (int, error) {
	rows, err := tx.Query(ctx, `DELETE FROM rollup_dirty WHERE tenant_id = $1 RETURNING partner_id`, tenantID)
	if err != nil {
		return 0, fmt.Errorf("rollup: read marks: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("rollup: read marks: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return len(ids), recompute(ctx, tx, tenantID, ids)
}

// lock takes the firm's rollup lock until the transaction ends: one
// refresh (or rebuild) of a firm at a time, so two never rewrite its
// months at once. wait false only tries, reporting whether it got it.
func lock(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wait bool) (bool, error) {
	key := "rollup/" + tenantID.String()
	got := true
	var err error
	if wait {
		err = db.XactLock(ctx, tx, key)
	} else {
		got, err = db.TryXactLock(ctx, tx, key)
	}
	if err != nil {
		return false, fmt.Errorf("rollup: lock: %w", err)
	}
	return got, nil
}

// Dirty reports whether any of the firm's partners await a refresh.
func Dirty(ctx context.Context, q db.Querier, tenantID uuid.UUID) (bool, error) {
	var dirty bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rollup_dirty WHERE tenant_id = $1)`, tenantID).Scan(&dirty)
	if err != nil {
		return false, fmt.Errorf("rollup: dirty: %w", err)
	}
	return dirty, nil
}

// Fresh refreshes the firm's rollups if anything is marked: what a staff
// page calls before reading, so a figure doesn't lag the change a user
// just made. One index probe when nothing changed. When another
// transaction is refreshing the firm already, Fresh doesn't wait for it:
// the page reads the rollups as they were (at most that refresh behind).
// Waiting made every page of the firm queue behind one refresh: at a
// million referrals, recomputing a busy partner after an SLA breach took
// 60–200 ms, and at 300 requests/s the pages queued behind it set the p99.
func Fresh(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	dirty, err := Dirty(ctx, tx, tenantID)
	if err != nil || !dirty {
		return err
	}
	if got, err := lock(ctx, tx, tenantID, false); err != nil || !got {
		return err
	}
	_, err = refresh(ctx, tx, tenantID)
	return err
}

// Rebuild recomputes every partner of the firm from raw data and clears
// the marks: the nightly job's repair, and what a time zone change needs.
func Rebuild(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	if _, err := lock(ctx, tx, tenantID, true); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM rollup_dirty WHERE tenant_id = $1`, tenantID); err != nil {
		return fmt.Errorf("rollup: clear marks: %w", err)
	}
	return recompute(ctx, tx, tenantID, nil)
}

// recompute replaces the months of the partners (nil: all the firm's).
func recompute(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners []uuid.UUID) error {
	for _, sql := range []string{
		`DELETE FROM partner_months WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR partner_id = ANY ($2))`,
		`DELETE FROM partner_month_money WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR partner_id = ANY ($2))`,
		countsSQL,
		moneySQL,
	} {
		if _, err := tx.Exec(ctx, sql, tenantID, partners); err != nil {
			return fmt.Errorf("rollup: recompute: %w", err)
		}
	}
	return SumFirm(ctx, tx, tenantID)
}

// SumFirm rewrites the firm's months (firm_months, firm_month_money) as its
// partner months summed: whole (a few dozen rows), after any partner's
// months change. recompute calls it; so do tests that write partner
// months directly.
func SumFirm(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	for _, sql := range []string{
		`DELETE FROM firm_months WHERE tenant_id = $1`,
		firmCountsSQL,
		`DELETE FROM firm_month_money WHERE tenant_id = $1`,
		firmMoneySQL,
	} {
		if _, err := tx.Exec(ctx, sql, tenantID); err != nil {
			return fmt.Errorf("rollup: sum the firm's months: %w", err)
		}
	}
	return nil
}

// Months are calendar months in the firm's time zone; a date column (a
// client payment's) is its own month.
const tzSQL = `tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)`

const countsSQL = `WITH ` + tzSQL + `,
r AS (
	SELECT r.id, r.tenant_id, r.partner_id, r.direction, r.status, r.fit, r.submitted_at, r.closed_at,
		r.contacted_at, r.meeting_at, r.first_responded_at, (SELECT zone FROM tz) AS zone
	FROM referrals r
	WHERE r.tenant_id = $1 AND ($2::uuid[] IS NULL OR r.partner_id = ANY ($2))),
submitted AS (
	SELECT partner_id, date_trunc('month', submitted_at AT TIME ZONE zone)::date AS month,
		count(*) FILTER (WHERE direction = 'inbound') AS received,
		count(*) FILTER (WHERE direction = 'outbound') AS sent,
		count(*) FILTER (WHERE status = 'submitted') AS open_submitted,
		count(*) FILTER (WHERE status = 'acknowledged') AS open_acknowledged,
		count(*) FILTER (WHERE status = 'contacted') AS open_contacted,
		count(*) FILTER (WHERE status = 'meeting') AS open_meeting,
		count(*) FILTER (WHERE status = 'proposal') AS open_proposal,
		count(*) FILTER (WHERE direction = 'inbound' AND (contacted_at IS NOT NULL OR meeting_at IS NOT NULL
			OR status IN ('contacted', 'meeting', 'proposal', 'won'))) AS reached_contacted,
		count(*) FILTER (WHERE direction = 'inbound' AND (meeting_at IS NOT NULL OR status IN ('meeting', 'proposal', 'won'))) AS reached_meeting,
		count(*) FILTER (WHERE direction = 'inbound' AND (status IN ('proposal', 'won')
			OR (status IN ('lost', 'declined') AND EXISTS (SELECT 1 FROM referral_events e
				WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id AND e.kind = 'status' AND e.to_status = 'proposal'))))
			AS reached_proposal,
		count(*) FILTER (WHERE direction = 'inbound' AND status = 'won') AS reached_won
	FROM r GROUP BY 1, 2),
closed AS (
	SELECT partner_id, date_trunc('month', closed_at AT TIME ZONE zone)::date AS month,
		count(*) FILTER (WHERE direction = 'inbound' AND status = 'won') AS won_received,
		count(*) FILTER (WHERE direction = 'inbound' AND status IN ('lost', 'declined')) AS lost_received,
		count(*) FILTER (WHERE direction = 'outbound' AND status = 'won') AS won_sent,
		count(*) FILTER (WHERE direction = 'outbound' AND status IN ('lost', 'declined')) AS lost_sent,
		count(*) FILTER (WHERE direction = 'inbound' AND fit = 'good') AS fit_good,
		count(*) FILTER (WHERE direction = 'inbound' AND fit = 'poor') AS fit_poor
	FROM r WHERE closed_at IS NOT NULL GROUP BY 1, 2),
responded AS (
	SELECT partner_id, date_trunc('month', first_responded_at AT TIME ZONE zone)::date AS month,
		array_agg(greatest(0, round(extract(epoch FROM first_responded_at - submitted_at) / 60))::integer
			ORDER BY first_responded_at - submitted_at, id) AS response_minutes
	FROM r WHERE direction = 'inbound' AND first_responded_at IS NOT NULL GROUP BY 1, 2),
sla AS (
	SELECT b.partner_id, date_trunc('month', b.breached_at AT TIME ZONE (SELECT zone FROM tz))::date AS month,
		count(*) FILTER (WHERE b.clock <> 'partner_response') AS sla_ours,
		count(*) FILTER (WHERE b.clock = 'partner_response') AS sla_theirs
	FROM sla_breaches b
	WHERE b.tenant_id = $1 AND ($2::uuid[] IS NULL OR b.partner_id = ANY ($2)) GROUP BY 1, 2),
csat AS (
	SELECT s.partner_id, date_trunc('month', s.answered_at AT TIME ZONE (SELECT zone FROM tz))::date AS month,
		sum(s.score) AS csat_sum, count(*) AS csat_count
	FROM client_surveys s
	WHERE s.tenant_id = $1 AND s.answered_at IS NOT NULL AND ($2::uuid[] IS NULL OR s.partner_id = ANY ($2)) GROUP BY 1, 2),
k AS (
	SELECT partner_id, month FROM submitted UNION SELECT partner_id, month FROM closed
	UNION SELECT partner_id, month FROM responded UNION SELECT partner_id, month FROM sla
	UNION SELECT partner_id, month FROM csat)
INSERT INTO partner_months (tenant_id, partner_id, month, received, sent,
	open_submitted, open_acknowledged, open_contacted, open_meeting, open_proposal,
	reached_contacted, reached_meeting, reached_proposal, reached_won,
	won_received, lost_received, won_sent, lost_sent, fit_good, fit_poor,
	response_minutes, sla_ours, sla_theirs, csat_sum, csat_count)
SELECT $1, k.partner_id, k.month, coalesce(s.received, 0), coalesce(s.sent, 0),
	coalesce(s.open_submitted, 0), coalesce(s.open_acknowledged, 0), coalesce(s.open_contacted, 0),
	coalesce(s.open_meeting, 0), coalesce(s.open_proposal, 0),
	coalesce(s.reached_contacted, 0), coalesce(s.reached_meeting, 0), coalesce(s.reached_proposal, 0), coalesce(s.reached_won, 0),
	coalesce(c.won_received, 0), coalesce(c.lost_received, 0), coalesce(c.won_sent, 0), coalesce(c.lost_sent, 0),
	coalesce(c.fit_good, 0), coalesce(c.fit_poor, 0),
	coalesce(rs.response_minutes, '{}'), coalesce(b.sla_ours, 0), coalesce(b.sla_theirs, 0),
	coalesce(v.csat_sum, 0), coalesce(v.csat_count, 0)
FROM k
LEFT JOIN submitted s USING (partner_id, month)
LEFT JOIN closed c USING (partner_id, month)
LEFT JOIN responded rs USING (partner_id, month)
LEFT JOIN sla b USING (partner_id, month)
LEFT JOIN csat v USING (partner_id, month)`

// moneySQL dates ledger entries as statements do (ledger's onDaySQL): an
// accrual or clawback by its client payment, a payout by its paid date,
// anything else by when it was made, in the firm's zone.
const moneySQL = `WITH ` + tzSQL + `,
rev AS (
	SELECT ev.partner_id, date_trunc('month', ev.paid_on)::date AS month, ev.currency,
		sum(ev.amount_cents) FILTER (WHERE r.direction = 'inbound') AS revenue_received_cents,
		sum(ev.amount_cents) FILTER (WHERE r.direction = 'outbound') AS revenue_sent_cents
	FROM revenue_events ev
	JOIN referrals r ON r.tenant_id = ev.tenant_id AND r.id = ev.referral_id
	WHERE ev.tenant_id = $1 AND ($2::uuid[] IS NULL OR ev.partner_id = ANY ($2))
	GROUP BY 1, 2, 3),
led AS (
	SELECT je.partner_id, je.currency, je.direction, je.kind, je.amount_cents,
		date_trunc('month', CASE
			WHEN je.kind IN ('accrual', 'reversal') AND je.top_up_bp = 0 AND ev.paid_on IS NOT NULL THEN ev.paid_on
			WHEN je.kind = 'payout' AND po.paid_on IS NOT NULL THEN po.paid_on
			ELSE (je.created_at AT TIME ZONE (SELECT zone FROM tz))::date END)::date AS month
	FROM journal_entries je
	LEFT JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
	LEFT JOIN payouts po ON po.tenant_id = je.tenant_id AND po.id = je.payout_id
	WHERE je.tenant_id = $1 AND ($2::uuid[] IS NULL OR je.partner_id = ANY ($2))),
ledm AS (
	SELECT partner_id, month, currency,
		sum(amount_cents) FILTER (WHERE direction = 'we_pay' AND kind <> 'payout') AS commission_earned_cents,
		-sum(amount_cents) FILTER (WHERE direction = 'we_pay' AND kind = 'payout') AS commission_paid_cents,
		sum(amount_cents) FILTER (WHERE direction = 'we_receive' AND kind <> 'payout') AS fee_earned_cents,
		-sum(amount_cents) FILTER (WHERE direction = 'we_receive' AND kind = 'payout') AS fee_received_cents
	FROM led GROUP BY 1, 2, 3),
k AS (SELECT partner_id, month, currency FROM rev UNION SELECT partner_id, month, currency FROM ledm)
INSERT INTO partner_month_money (tenant_id, partner_id, month, currency,
	revenue_received_cents, revenue_sent_cents, commission_earned_cents, commission_paid_cents,
	fee_earned_cents, fee_received_cents)
SELECT $1, k.partner_id, k.month, k.currency,
	coalesce(rev.revenue_received_cents, 0), coalesce(rev.revenue_sent_cents, 0),
	coalesce(l.commission_earned_cents, 0), coalesce(l.commission_paid_cents, 0),
	coalesce(l.fee_earned_cents, 0), coalesce(l.fee_received_cents, 0)
FROM k
LEFT JOIN rev USING (partner_id, month, currency)
LEFT JOIN ledm l USING (partner_id, month, currency)`

const firmCountsSQL = `INSERT INTO firm_months (tenant_id, month, received, reached_contacted, reached_meeting,
		reached_proposal, reached_won, open_submitted, open_acknowledged, open_contacted, open_meeting, open_proposal)
	SELECT tenant_id, month, sum(received), sum(reached_contacted), sum(reached_meeting), sum(reached_proposal),
		sum(reached_won), sum(open_submitted), sum(open_acknowledged), sum(open_contacted), sum(open_meeting),
		sum(open_proposal)
	FROM partner_months WHERE tenant_id = $1 GROUP BY tenant_id, month`

const firmMoneySQL = `INSERT INTO firm_month_money (tenant_id, month, currency, revenue_received_cents, commission_earned_cents)
	SELECT tenant_id, month, currency, sum(revenue_received_cents), sum(commission_earned_cents)
	FROM partner_month_money WHERE tenant_id = $1 GROUP BY tenant_id, month, currency`
