package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// ReviewQueue lists the firm's positive entries (accruals, top-ups,
// positive adjustments) not in any payout, by due date.
func ReviewQueue(ctx context.Context, q db.Querier, tenantID uuid.UUID, f ReviewFilter) ([]ReviewItem, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	if f.Direction == "" {
		f.Direction = commission.WePay
	}
	switch f.Status {
	case "", ReviewPending, ReviewHeld, ReviewApproved:
	default:
		return nil, apperr.Invalid(map[string]string{"status": "Must be pending, held or approved."})
	}
	var dueBy *time.Time
	if f.DueBy != nil {
		dueBy = ptr(day(*f.DueBy))
	}
	rows, err := q.Query(ctx, `WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)
		SELECT `+entryCols+`, coalesce(pa.name, ''), rf.number, rf.client_company, coalesce(r.status, 'pending'),
			coalesce(r.reason, ''), r.reviewed_at
		FROM journal_entries je CROSS JOIN tz
		LEFT JOIN entry_reviews r ON r.tenant_id = je.tenant_id AND r.entry_id = je.id
		LEFT JOIN partners pa ON pa.tenant_id = je.tenant_id AND pa.id = je.partner_id
		LEFT JOIN referrals rf ON rf.tenant_id = je.tenant_id AND rf.id = je.referral_id
		WHERE je.tenant_id = $1 AND je.kind <> 'payout' AND je.amount_cents > 0 AND je.direction = $2
		  AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.tenant_id = je.tenant_id AND i.entry_id = je.id)
		  AND ($3::uuid IS NULL OR je.partner_id = $3)
		  AND CASE $4 WHEN '' THEN coalesce(r.status, 'pending') <> 'approved' ELSE coalesce(r.status, 'pending') = $4 END
		  AND ($5::date IS NULL OR coalesce(je.due_on,
		        CASE WHEN je.kind = 'adjustment' THEN (je.created_at AT TIME ZONE tz.zone)::date END) <= $5)
		ORDER BY je.due_on NULLS LAST, je.created_at, je.id
		LIMIT $6`, tenantID, string(f.Direction), f.PartnerID, f.Status, dueBy, f.Limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []ReviewItem
	for rows.Next() {
		var it ReviewItem
		var dir string
		e := &it.Entry
		if err := rows.Scan(&e.ID, &e.Kind, &e.PartnerID, &e.ReferralID, &e.EngagementID, &e.RevenueEventID, &e.AgreementID,
			&e.RuleIndex, &e.Rule, &dir, &e.AmountCents, &e.Currency, &e.RateBP, &e.DueOn, &e.Explanation, &e.Reason,
			&e.CreatedBy, &e.CreatedAt, &e.TopUpBP, &e.PayoutID,
			&it.PartnerName, &it.ReferralNumber, &it.ClientCompany, &it.Status, &it.Reason, &it.ReviewedAt); err != nil {
			return nil, apperr.Internal(err)
		}
		e.Direction = commission.Direction(dir)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// Approve marks the entries approved (positive entries not in a payout;
// others are refused with EInvalid naming them). Returns how many changed.
func Approve(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entryIDs []uuid.UUID, by uuid.UUID) (int, error) {
	return review(ctx, tx, tenantID, entryIDs, ReviewApproved, "", by)
}

// Hold marks the entries held with a reason (required).
func Hold(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entryIDs []uuid.UUID, reason string, by uuid.UUID) (int, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return 0, apperr.Invalid(map[string]string{"reason": "Required: say why the commission is on hold."})
	case len(reason) > 2000:
		return 0, apperr.Invalid(map[string]string{"reason": "Must be at most 2000 characters."})
	}
	return review(ctx, tx, tenantID, entryIDs, ReviewHeld, reason, by)
}

// review records one review decision on the entries, all or nothing: an
// unknown entry is ENotFound, an entry that can't be reviewed EInvalid
// (field "entries", naming it).
func review(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entryIDs []uuid.UUID, status, reason string, by uuid.UUID) (int, error) {
	ids := dedupe(entryIDs)
	if len(ids) == 0 {
		return 0, apperr.Invalid(map[string]string{"entries": "Select at least one commission."})
	}
	if len(ids) > 5000 {
		return 0, apperr.Invalid(map[string]string{"entries": "Select at most 5,000 commissions at a time."})
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT je.id, je.kind, je.partner_id, je.direction, je.amount_cents, je.explanation, b.number
		FROM journal_entries je
		LEFT JOIN payout_items i ON i.tenant_id = je.tenant_id AND i.entry_id = je.id
		LEFT JOIN payouts p ON p.tenant_id = i.tenant_id AND p.id = i.payout_id
		LEFT JOIN payout_batches b ON b.tenant_id = p.tenant_id AND b.id = p.batch_id
		WHERE je.tenant_id = $1 AND je.id = ANY($2)`, tenantID, pgUUIDs(ids))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	type row struct {
		id, partner            uuid.UUID
		kind, dir, explanation string
		amount                 int64
		batch                  *int32
	}
	var found []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.kind, &r.partner, &r.dir, &r.amount, &r.explanation, &r.batch); err != nil {
			rows.Close()
			return 0, apperr.Internal(err)
		}
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, apperr.Internal(err)
	}
	if len(found) != len(ids) {
		return 0, apperr.NotFound("Commission")
	}
	var refused []string
	partners := make([]uuid.UUID, len(found))
	for i, r := range found {
		partners[i] = r.partner
		var why string
		switch {
		case r.batch != nil:
			why = fmt.Sprintf("is in payout #%d", *r.batch)
		case r.kind == KindPayout:
			why = "is a payout"
		case r.amount < 0:
			why = "is a deduction, which needs no review"
		case r.dir != string(commission.WePay):
			why = "is owed to us, which needs no review"
		}
		if why != "" {
			refused = append(refused, entryName(r.explanation, r.amount)+" "+why)
		}
	}
	if len(refused) > 0 {
		msg := strings.Join(refused, "; ") + "."
		return 0, &apperr.Error{Code: apperr.EInvalid, Message: "Some of the selected commissions can't be reviewed: " + msg,
			Fields: map[string]string{"entries": msg}}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO entry_reviews (tenant_id, entry_id, partner_id, status, reason, reviewed_by)
		SELECT $1, u.id, u.partner_id, $4, $5, $6 FROM unnest($2::uuid[], $3::uuid[]) AS u(id, partner_id)
		ON CONFLICT (tenant_id, entry_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason,
			reviewed_by = EXCLUDED.reviewed_by, reviewed_at = now()
		WHERE (entry_reviews.status, entry_reviews.reason) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.reason)`,
		tenantID, pgUUIDs(idsOf(found, func(r row) uuid.UUID { return r.id })), pgUUIDs(partners), status, reason, nilIfZero(by))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	n := int(tag.RowsAffected())
	target := ""
	if len(ids) == 1 {
		target = ids[0].String()
	}
	detail := map[string]any{"count": len(ids), "changed": n}
	if reason != "" {
		detail["reason"] = reason
	}
	if len(ids) <= 100 {
		detail["entry_ids"] = ids
	}
	if err := audit.Record(ctx, tx, tenantID, "commission."+map[string]string{ReviewApproved: "approve", ReviewHeld: "hold"}[status],
		"journal_entry", target, detail); err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}

// entryName names an entry in a message: its amount and the start of its
// explanation.
func entryName(explanation string, amount int64) string {
	s := commission.FormatCents(amount)
	if explanation = strings.TrimSpace(explanation); explanation != "" {
		if r := []rune(explanation); len(r) > 60 {
			explanation = string(r[:60]) + "…"
		}
		s += " (" + explanation + ")"
	}
	return s
}

func idsOf[T any](xs []T, f func(T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// EntryReviews returns the review status of each of the entries (absent:
// pending) and the payout each is in, for the partner pages and the API.
// A payout entry is in the payout it records. It works in the portal too
// (RLS then limits it to the partner's entries).
func EntryReviews(ctx context.Context, q db.Querier, tenantID uuid.UUID, entryIDs []uuid.UUID) (map[uuid.UUID]EntryState, error) {
	out := map[uuid.UUID]EntryState{}
	if len(entryIDs) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT je.id,
			CASE WHEN je.kind <> 'payout' AND je.amount_cents > 0 AND je.direction = 'we_pay' THEN coalesce(r.status, 'pending') ELSE '' END,
			coalesce(r.reason, ''), p.id, coalesce(p.status, ''), p.paid_on
		FROM journal_entries je
		LEFT JOIN entry_reviews r ON r.tenant_id = je.tenant_id AND r.entry_id = je.id
		LEFT JOIN payout_items i ON i.tenant_id = je.tenant_id AND i.entry_id = je.id
		LEFT JOIN payouts p ON p.tenant_id = je.tenant_id AND p.id = coalesce(je.payout_id, i.payout_id)
		WHERE je.tenant_id = $1 AND je.id = ANY($2)`, tenantID, pgUUIDs(entryIDs))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var s EntryState
		if err := rows.Scan(&id, &s.Review, &s.ReviewReason, &s.PayoutID, &s.PayoutStatus, &s.PaidOn); err != nil {
			return nil, apperr.Internal(err)
		}
		out[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
