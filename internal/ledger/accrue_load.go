package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
)

// Loading a batch: which events, locked, with the facts accrual needs.
//
// The queries are shaped so that the planner can't misjudge them. Under
// row-level security it estimates every filtered table at a fraction of
// a percent of its rows (the policies' app_partner_id() tests), so with
// the batch's events joined to their facts in one statement it read the
// whole revenue_events table per batch, or looked a referral's facts up
// once per payment, or once per payment and referral pair. Here every
// lookup is driven by a list of keys (unnest, whose size the planner
// knows) one key at a time, and the facts of a referral are read once per
// batch, in their own query, and joined in Go.

// pickSQL reads the next pending events of the firm (of a share of its
// partners) in payment order, from accrual_queue (the pending events,
// kept by triggers: see migrations/00010). Nothing is locked yet:
// eventsSQL locks the events themselves.
const pickSQL = `SELECT q.revenue_event_id FROM accrual_queue q
	WHERE q.tenant_id = $1 %s
	ORDER BY q.paid_on, q.created_at, q.revenue_event_id
	LIMIT $2`

// lockReferralSQL locks the pending events of a referral up to one
// payment (Accrue), in payment order.
const lockReferralSQL = `SELECT e.id FROM revenue_events e
	WHERE e.tenant_id = $1 AND e.referral_id = $2 AND e.accrual_status = 'pending'
	  AND (e.paid_on, e.created_at, e.id) <= ($3::date, $4::timestamptz, $5::uuid)
	ORDER BY e.paid_on, e.created_at, e.id
	FOR UPDATE SKIP LOCKED`

// eventsSQL locks the batch's events that are still pending, skipping
// those another transaction holds (Reaccrue locks events too), and reads
// them with their engagement, client and refunded payment, in payment
// order.
const eventsSQL = `
WITH ev AS MATERIALIZED (SELECT e.* FROM unnest($2::uuid[]) AS b(id)
	CROSS JOIN LATERAL (SELECT * FROM revenue_events e
		WHERE e.tenant_id = $1 AND e.id = b.id AND e.accrual_status = 'pending'
		FOR UPDATE SKIP LOCKED) e)
SELECT e.id, e.engagement_id, e.referral_id, e.partner_id, e.amount_cents, e.currency, e.paid_on,
	e.refund_of_id, o.paid_on, g.started_on, g.ended_on,
	coalesce(c.active, true) AND (g.ended_on IS NULL OR g.ended_on >= e.paid_on)
FROM ev e
JOIN engagements g ON g.tenant_id = e.tenant_id AND g.id = e.engagement_id
LEFT JOIN clients c ON c.tenant_id = g.tenant_id AND c.id = g.client_id
LEFT JOIN revenue_events o ON o.tenant_id = e.tenant_id AND o.id = e.refund_of_id
ORDER BY e.paid_on, e.created_at, e.id`

// referralFactsSQL reads the facts of each referral and credited partner
// of a batch: the referral's direction and anchor (won, else submitted,
// time), its first engagement and the agreement version in force (the
// referral's own when it belongs to the partner, else the partner's
// version in force on the submission day, firm time zone).
const referralFactsSQL = `
WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)
SELECT x.referral_id, x.partner_id, r.direction, coalesce(r.closed_at, r.submitted_at),
	f.id, f.started_on, a.id, a.rules, a.payment_trigger, a.payment_net_days
FROM unnest($2::uuid[], $3::uuid[]) AS x(referral_id, partner_id)
JOIN referrals r ON r.tenant_id = $1 AND r.id = x.referral_id
CROSS JOIN LATERAL (SELECT f.id, f.started_on FROM engagements f
	WHERE f.tenant_id = $1 AND f.referral_id = x.referral_id
	ORDER BY f.started_on, f.created_at, f.id LIMIT 1) f
LEFT JOIN LATERAL (SELECT a.id, a.rules, a.payment_trigger, a.payment_net_days FROM agreements a, tz
	WHERE a.tenant_id = $1 AND a.partner_id = x.partner_id
	  AND (a.id = r.agreement_id
	       OR (a.status IN ('active', 'superseded', 'expired', 'terminated')
	           AND a.effective_from <= (r.submitted_at AT TIME ZONE tz.zone)::date
	           AND (a.effective_to IS NULL OR a.effective_to >= (r.submitted_at AT TIME ZONE tz.zone)::date)))
	ORDER BY a.id = r.agreement_id DESC, a.version DESC LIMIT 1) a ON true`

// nextBatch returns the events accrueNext accrues, in payment order: the
// pending events of one's referral up to one, locked, or else the next
// limit events of the share in accrual_queue (locked by loadEvents).
// full says whether limit events were picked (more may be pending).
func nextBatch(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, one *RevenueEvent, limit int, sh share) ([]uuid.UUID, bool, error) {
	// The batch's queries take arrays of thousands of ids. pgx prepares
	// statements, and after five runs PostgreSQL may switch to a generic
	// plan that guesses an array of one element: nested loops over the
	// whole batch for every referral (5 s a batch instead of 50 ms). Plan
	// each with its real parameters.
	if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
		return nil, false, apperr.Internal(err)
	}
	if one != nil {
		// The event and the pending events of its referral before it.
		ids, err := queryIDs(ctx, tx, lockReferralSQL, tenantID, one.ReferralID, one.PaidOn, one.CreatedAt, one.ID)
		return ids, false, err
	}
	pick, args := fmt.Sprintf(pickSQL, ""), []any{tenantID, limit}
	if sh.of > 1 {
		pick = fmt.Sprintf(pickSQL, `AND get_byte(uuid_send(q.partner_id), 15) = ANY($3::int[])`)
		args = append(args, sh.bytes())
	}
	ids, err := queryIDs(ctx, tx, pick, args...)
	return ids, len(ids) == limit, err
}

// bytes lists the values of a partner id's last byte (its hash) in the
// share. As a list (= ANY) the planner estimates the share's part of the
// queue rightly and reads it in payment order up to the batch; a modulo
// is guessed at 0.5% of it, and the whole queue was read and sorted.
func (sh share) bytes() []int32 {
	var out []int32
	for b := sh.part; b < 256; b += sh.of {
		out = append(out, int32(b))
	}
	return out
}

// queryIDs runs a query of one uuid column.
func queryIDs(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	// Scanned as pgtype.UUID: pgx's path for google/uuid goes through text.
	ids, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (uuid.UUID, error) {
		var id pgtype.UUID
		err := row.Scan(&id)
		return id.Bytes, err
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return ids, nil
}

// referralFacts are the facts of a referral and its credited partner.
type referralFacts struct {
	direction      string
	anchor         time.Time
	firstID        uuid.UUID
	firstStartedOn time.Time
	agreementID    *uuid.UUID
	rules          []byte
	trigger        *string
	netDays        *int32
}

type referralPartner struct{ referral, partner uuid.UUID }

// loadEvents locks the batch's events still pending and returns them with
// their facts, in payment order.
func loadEvents(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, batch []uuid.UUID) ([]pendingEvent, error) {
	rows, err := tx.Query(ctx, eventsSQL, tenantID, pgUUIDs(batch))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	var evs []pendingEvent
	for rows.Next() {
		var p pendingEvent
		var id, engagementID, referralID, partnerID, refundOf pgtype.UUID
		if err := rows.Scan(&id, &engagementID, &referralID, &partnerID, &p.amount, &p.currency, &p.paidOn,
			&refundOf, &p.refundedPaidOn, &p.startedOn, &p.endedOn, &p.clientActive); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		p.id, p.engagementID, p.referralID, p.partnerID = id.Bytes, engagementID.Bytes, referralID.Bytes, partnerID.Bytes
		if refundOf.Valid {
			p.refundOf = ptr(uuid.UUID(refundOf.Bytes))
		}
		evs = append(evs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	if len(evs) == 0 {
		return nil, nil
	}

	var refs, partners []uuid.UUID
	seen := map[referralPartner]bool{}
	for _, p := range evs {
		if k := (referralPartner{p.referralID, p.partnerID}); !seen[k] {
			seen[k] = true
			refs, partners = append(refs, p.referralID), append(partners, p.partnerID)
		}
	}
	rows, err = tx.Query(ctx, referralFactsSQL, tenantID, pgUUIDs(refs), pgUUIDs(partners))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	facts := make(map[referralPartner]*referralFacts, len(refs))
	for rows.Next() {
		var f referralFacts
		var referralID, partnerID, firstID, agreementID pgtype.UUID
		if err := rows.Scan(&referralID, &partnerID, &f.direction, &f.anchor, &firstID, &f.firstStartedOn,
			&agreementID, &f.rules, &f.trigger, &f.netDays); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		f.firstID = firstID.Bytes
		if agreementID.Valid {
			f.agreementID = ptr(uuid.UUID(agreementID.Bytes))
		}
		facts[referralPartner{referralID.Bytes, partnerID.Bytes}] = &f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	out := evs[:0]
	for _, p := range evs {
		f := facts[referralPartner{p.referralID, p.partnerID}]
		if f == nil {
			// A referral without engagements (the keys make it
			// impossible): left pending, as the joined query did.
			continue
		}
		p.direction, p.anchor = f.direction, f.anchor
		p.firstEngagement, p.firstStartedOn = p.engagementID == f.firstID, f.firstStartedOn
		p.agreementID, p.rules, p.trigger, p.netDays = f.agreementID, f.rules, f.trigger, f.netDays
		out = append(out, p)
	}
	return out, nil
}
