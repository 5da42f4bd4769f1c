package ledger

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Unresolved payments: revenue events accrual could not place (no
// agreement in force on the referral's day) and those still waiting to be
// accrued. Once the agreement is recorded, Reaccrue sets them back to
// pending and accrues them; the periodic job does the same by itself for
// the events whose partner now has an agreement in force on that day.

// UnresolvedPayment is a payment with no agreement in force, or pending.
type UnresolvedPayment struct {
	Event          RevenueEvent
	PartnerName    string
	ReferralNumber int64
	ClientCompany  string
	EngagementName string
	// ReferralDay is the day the referral was made (firm time zone): the
	// day an agreement must have been in force.
	ReferralDay time.Time
}

// UnresolvedPayments lists the firm's no_agreement events, then its
// pending ones, by payment date, up to limit (≤ 0: 500), and how many there
// are in all.
func UnresolvedPayments(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]UnresolvedPayment, int, error) {
	if limit <= 0 {
		limit = 500
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM revenue_events
		WHERE tenant_id = $1 AND accrual_status IN ('no_agreement', 'pending')`, tenantID).Scan(&total); err != nil {
		return nil, 0, apperr.Internal(err)
	}
	rows, err := q.Query(ctx, `SELECT `+revenueCols+`, p.name, r.number, r.client_company, g.name,
			(r.submitted_at AT TIME ZONE coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC'))::date
		FROM revenue_events e
		JOIN partners p ON p.tenant_id = e.tenant_id AND p.id = e.partner_id
		JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		JOIN engagements g ON g.tenant_id = e.tenant_id AND g.id = e.engagement_id
		WHERE e.tenant_id = $1 AND e.accrual_status IN ('no_agreement', 'pending')
		ORDER BY e.accrual_status = 'pending', e.paid_on, e.created_at, e.id
		LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, 0, apperr.Internal(err)
	}
	defer rows.Close()
	var out []UnresolvedPayment
	for rows.Next() {
		var u UnresolvedPayment
		e := &u.Event
		if err := rows.Scan(&e.ID, &e.EngagementID, &e.ReferralID, &e.PartnerID, &e.AmountCents, &e.Currency, &e.PaidOn,
			&e.RefundOfID, &e.ExternalRef, &e.Note, &e.Source, &e.CreatedBy, &e.CreatedAt, &e.AccrualStatus, &e.AccrualNote,
			&e.AccruedAt, &u.PartnerName, &u.ReferralNumber, &u.ClientCompany, &u.EngagementName, &u.ReferralDay); err != nil {
			return nil, 0, apperr.Internal(err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, apperr.Internal(err)
	}
	return out, total, nil
}

// ReaccrueResult says what Reaccrue did.
type ReaccrueResult struct {
	Retried int   // events set back from no_agreement to pending
	Accrual Stats // what accruing them (and the pending ones) did
	// StillUnresolved counts the events still without an agreement in force.
	StillUnresolved int
}

// Reaccrue accrues the firm's revenue events again: those with no
// agreement in force go back to pending (a bookkeeping update; the
// payment's facts never change) and, with those already pending, are
// accrued in tx, each referral's earlier pending payments first. Events
// still without an agreement in force stay flagged and are counted;
// events already accrued are left alone. It fails with EInvalid when no
// event is named and ENotFound when one is not the firm's.
func Reaccrue(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, eventIDs []uuid.UUID, now time.Time) (ReaccrueResult, error) {
	var res ReaccrueResult
	seen := map[uuid.UUID]bool{}
	ids := make([]uuid.UUID, 0, len(eventIDs))
	for _, id := range eventIDs {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return res, apperr.Invalid(map[string]string{"id": "Choose the payments to accrue again."})
	}
	// Lock the events (in id order: two callers never deadlock), latest
	// payment first: accruing a referral's latest pending payment accrues
	// its earlier ones too.
	rows, err := tx.Query(ctx, `SELECT id, accrual_status, paid_on, created_at FROM revenue_events
		WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, tenantID, pgUUIDs(ids))
	if err != nil {
		return res, apperr.Internal(err)
	}
	type ev struct {
		id      uuid.UUID
		status  string
		paidOn  time.Time
		created time.Time
	}
	var evs []ev
	for rows.Next() {
		var e ev
		var id pgtype.UUID
		if err := rows.Scan(&id, &e.status, &e.paidOn, &e.created); err != nil {
			rows.Close()
			return res, apperr.Internal(err)
		}
		e.id = id.Bytes
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, apperr.Internal(err)
	}
	if len(evs) < len(ids) {
		return res, apperr.NotFound("Revenue event")
	}
	tag, err := tx.Exec(ctx, `UPDATE revenue_events SET accrual_status = 'pending', accrual_note = '', accrued_at = NULL
		WHERE tenant_id = $1 AND id = ANY($2) AND accrual_status = 'no_agreement'`, tenantID, pgUUIDs(ids))
	if err != nil {
		return res, apperr.Internal(err)
	}
	res.Retried = int(tag.RowsAffected())
	// Latest first (see above).
	slices.SortFunc(evs, func(a, b ev) int {
		if c := b.paidOn.Compare(a.paidOn); c != 0 {
			return c
		}
		return b.created.Compare(a.created)
	})
	for _, e := range evs {
		if e.status != StatusNoAgreement && e.status != StatusPending {
			continue
		}
		st, err := Accrue(ctx, tx, tenantID, e.id, now)
		if err != nil {
			return res, err
		}
		res.Accrual.add(st)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM revenue_events
		WHERE tenant_id = $1 AND id = ANY($2) AND accrual_status = 'no_agreement'`, tenantID, pgUUIDs(ids)).Scan(&res.StillUnresolved); err != nil {
		return res, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "ledger.reaccrue", "revenue_event", ids[0].String(), map[string]any{
		"events": len(ids), "retried": res.Retried, "accrued": res.Accrual.Events, "entries": res.Accrual.Entries,
		"still_unresolved": res.StillUnresolved,
	}); err != nil {
		return res, apperr.Internal(err)
	}
	return res, nil
}

// RetryableNoAgreement returns up to limit (≤ 0: 1000) of the firm's
// no_agreement events whose partner now has an agreement version in force
// on the referral's day — found the way accrual finds it — oldest payment
// first. Reaccrue will place them.
func RetryableNoAgreement(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]uuid.UUID, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := q.Query(ctx, `
		WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)
		SELECT e.id FROM revenue_events e
		JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		CROSS JOIN tz
		WHERE e.tenant_id = $1 AND e.accrual_status = 'no_agreement'
		  AND EXISTS (SELECT 1 FROM agreements a
			WHERE a.tenant_id = e.tenant_id AND a.partner_id = e.partner_id
			  AND (a.id = r.agreement_id
			       OR (a.status IN ('active', 'superseded', 'expired', 'terminated')
			           AND a.effective_from <= (r.submitted_at AT TIME ZONE tz.zone)::date
			           AND (a.effective_to IS NULL OR a.effective_to >= (r.submitted_at AT TIME ZONE tz.zone)::date))))
		ORDER BY e.paid_on, e.created_at, e.id
		LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
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

// HasPending reports whether the firm has revenue events waiting to be
// accrued (a probe of the accrual queue).
func HasPending(ctx context.Context, q db.Querier, tenantID uuid.UUID) (bool, error) {
	var yes bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accrual_queue q
			JOIN revenue_events e ON e.tenant_id = q.tenant_id AND e.id = q.revenue_event_id
			WHERE q.tenant_id = $1 AND e.accrual_status = 'pending')`,
		tenantID).Scan(&yes); err != nil {
		return false, apperr.Internal(err)
	}
	return yes, nil
}
