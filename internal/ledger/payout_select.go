package ledger

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// candidateSQL reads the entries a run may take: the firm's entries of the
// direction and currency in no payout, with their review, the day they are
// due (an adjustment without a due date: the day it was made, in the
// firm's time zone; an accrual or reversal without one — a trigger not yet
// reached — never), and for a reversal of a known payment the accrual it
// reverses and whether that one is paid.
const candidateSQL = `WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)
SELECT ` + entryCols + `, coalesce(r.status, ''),
	CASE WHEN je.due_on IS NOT NULL THEN je.due_on
	     WHEN je.kind = 'adjustment' THEN (je.created_at AT TIME ZONE tz.zone)::date END,
	o.id, coalesce(o.paid, false)
FROM journal_entries je CROSS JOIN tz
LEFT JOIN entry_reviews r ON r.tenant_id = je.tenant_id AND r.entry_id = je.id
LEFT JOIN LATERAL (
	SELECT a.id, EXISTS (SELECT 1 FROM payout_items i JOIN payouts p ON p.tenant_id = i.tenant_id AND p.id = i.payout_id
		WHERE i.tenant_id = a.tenant_id AND i.entry_id = a.id AND p.status = 'paid') AS paid
	FROM revenue_events ev JOIN journal_entries a ON a.tenant_id = ev.tenant_id AND a.revenue_event_id = ev.refund_of_id
	WHERE je.kind = 'reversal' AND ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
	  AND a.kind = 'accrual' AND a.top_up_bp = 0 AND a.agreement_id = je.agreement_id AND a.rule_index = je.rule_index
	LIMIT 1) o ON true
WHERE je.tenant_id = $1 AND je.kind <> 'payout' AND je.direction = $2 AND je.currency = $3
  AND ($4::uuid[] IS NULL OR je.partner_id = ANY($4))
  AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.tenant_id = je.tenant_id AND i.entry_id = je.id)
ORDER BY je.partner_id, 22 NULLS LAST, je.created_at, je.id`

type candidate struct {
	e        Entry
	review   string
	due      *time.Time
	orig     *uuid.UUID // a reversal's accrual
	origPaid bool
}

// PreviewPayouts computes a payout run without writing anything.
func PreviewPayouts(ctx context.Context, q db.Querier, tenantID uuid.UUID, run PayoutRun) (Preview, error) {
	if err := checkRun(run); err != nil {
		return Preview{}, err
	}
	run.UpTo = day(run.UpTo)
	pv := Preview{Run: run}
	if run.Direction == commission.WePay {
		min, err := MinPayout(ctx, q, tenantID)
		if err != nil {
			return Preview{}, err
		}
		pv.MinPayout = min
	}
	var partners []pgtype.UUID
	if len(run.PartnerIDs) > 0 {
		partners = pgUUIDs(run.PartnerIDs)
	}
	rows, err := q.Query(ctx, candidateSQL, tenantID, string(run.Direction), run.Currency, partners)
	if err != nil {
		return Preview{}, apperr.Internal(err)
	}
	byPartner := map[uuid.UUID][]candidate{}
	var order []uuid.UUID
	for rows.Next() {
		var c candidate
		var dir string
		e := &c.e
		if err := rows.Scan(&e.ID, &e.Kind, &e.PartnerID, &e.ReferralID, &e.EngagementID, &e.RevenueEventID, &e.AgreementID,
			&e.RuleIndex, &e.Rule, &dir, &e.AmountCents, &e.Currency, &e.RateBP, &e.DueOn, &e.Explanation, &e.Reason,
			&e.CreatedBy, &e.CreatedAt, &e.TopUpBP, &e.PayoutID, &c.review, &c.due, &c.orig, &c.origPaid); err != nil {
			rows.Close()
			return Preview{}, apperr.Internal(err)
		}
		e.Direction = commission.Direction(dir)
		if _, ok := byPartner[e.PartnerID]; !ok {
			order = append(order, e.PartnerID)
		}
		byPartner[e.PartnerID] = append(byPartner[e.PartnerID], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Preview{}, apperr.Internal(err)
	}
	for _, pid := range order {
		pp, ok := selectPartner(run, byPartner[pid], pv.MinPayout)
		if !ok {
			continue
		}
		pp.PartnerID = pid
		pv.Partners = append(pv.Partners, pp)
	}
	if len(pv.Partners) > 0 {
		ids := make([]uuid.UUID, len(pv.Partners))
		for i, p := range pv.Partners {
			ids[i] = p.PartnerID
		}
		names, err := partnerNames(ctx, q, tenantID, ids)
		if err != nil {
			return Preview{}, err
		}
		for i := range pv.Partners {
			pv.Partners[i].PartnerName = names[pv.Partners[i].PartnerID]
		}
	}
	sort.SliceStable(pv.Partners, func(i, j int) bool {
		a, b := strings.ToLower(pv.Partners[i].PartnerName), strings.ToLower(pv.Partners[j].PartnerName)
		if a != b {
			return a < b
		}
		return pv.Partners[i].PartnerID.String() < pv.Partners[j].PartnerID.String()
	})
	for _, p := range pv.Partners {
		if p.CarriedForward == "" {
			pv.PaidCount++
			pv.TotalCents += p.TotalCents
		} else {
			pv.CarriedOver++
		}
	}
	return pv, nil
}

// selectPartner picks one partner's entries for the run: approved (we_pay)
// positive entries due by the run's date, then the deductions — except a
// reversal whose accrual is neither paid nor taken now, which waits for
// it. ok is false when the partner has nothing to show.
func selectPartner(run PayoutRun, cs []candidate, minPayout int64) (PreviewPartner, bool) {
	var pp PreviewPartner
	taken := map[uuid.UUID]bool{}
	for _, c := range cs {
		if c.e.AmountCents <= 0 || c.due == nil || day(*c.due).After(run.UpTo) {
			continue
		}
		if run.Direction == commission.WePay && c.review != ReviewApproved {
			if c.review == ReviewHeld {
				pp.Held++
			}
			continue
		}
		taken[c.e.ID] = true
	}
	for _, c := range cs {
		if c.e.AmountCents < 0 && !(c.orig != nil && !c.origPaid && !taken[*c.orig]) {
			taken[c.e.ID] = true
		}
	}
	for _, c := range cs {
		if taken[c.e.ID] {
			pp.Entries = append(pp.Entries, c.e)
			pp.TotalCents += c.e.AmountCents
		}
	}
	switch {
	case len(pp.Entries) == 0 && pp.Held == 0:
		return pp, false
	case len(pp.Entries) == 0:
		pp.CarriedForward = fmt.Sprintf("%d due %s on hold — carried forward", pp.Held, plural(pp.Held, "commission", "commissions"))
	case pp.TotalCents < 0:
		pp.CarriedForward = "Deductions exceed what is due — carried forward"
	case pp.TotalCents == 0:
		pp.CarriedForward = "Deductions cancel out what is due — carried forward"
	case pp.TotalCents < minPayout:
		pp.CarriedForward = "Below the " + commission.FormatCents(minPayout) + " minimum payout — carried forward"
	}
	return pp, true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// partnerNames returns the names of the firm's partners named.
func partnerNames(ctx context.Context, q db.Querier, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	rows, err := q.Query(ctx, `SELECT id, name FROM partners WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, pgUUIDs(ids))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]string{}
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, apperr.Internal(err)
		}
		out[id] = name
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
