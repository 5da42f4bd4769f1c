package ledger

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// Read models for the commission pages and the API: a partner's
// engagements with their payments, its entries with the facts they can be
// traced to, and the firm's events and entries paged in (created_at, id)
// order.

// Entry statuses as partners and the API see them.
const (
	EntryAccrued = "accrued" // earned, not yet due
	EntryDue     = "due"     // its due date has come
	EntryPaid    = "paid"    // a payout
)

// EntryStatus is an entry's status on the day today from the entry alone:
// a payout is paid; any other entry is due from its due date (an entry
// without one, such as an adjustment, stays accrued). EntryStatusOf also
// knows whether a paid payout settled it.
func EntryStatus(kind string, dueOn *time.Time, today time.Time) string {
	switch {
	case kind == KindPayout:
		return EntryPaid
	case dueOn != nil && !day(*dueOn).After(day(today)):
		return EntryDue
	default:
		return EntryAccrued
	}
}

// EntryStatusOf is EntryStatus knowing the entry's payment state (see
// EntryReviews): an entry settled by a paid payout is paid too.
func EntryStatusOf(e Entry, s EntryState, today time.Time) string {
	if s.PayoutStatus == PayoutPaid {
		return EntryPaid
	}
	return EntryStatus(e.Kind, e.DueOn, today)
}

// Engagement is an engagement of a won referral credited to a partner,
// with what the commission pages show about it.
type Engagement struct {
	ID             uuid.UUID
	ReferralID     uuid.UUID
	ReferralNumber int64
	ClientCompany  string
	Kind           string
	Name           string
	ValueCents     int64
	Currency       string
	StartedOn      time.Time
	EndedOn        *time.Time
}

const engagementSQL = `SELECT g.id, g.referral_id, r.number, r.client_company, g.kind, g.name, g.value_cents, g.currency,
	g.started_on, g.ended_on
FROM engagements g JOIN referrals r ON r.tenant_id = g.tenant_id AND r.id = g.referral_id
WHERE g.tenant_id = $1 AND coalesce(r.credited_partner_id, r.partner_id) = $2 AND r.status = 'won'`

func scanEngagements(rows pgx.Rows) ([]Engagement, error) {
	defer rows.Close()
	var out []Engagement
	for rows.Next() {
		var g Engagement
		if err := rows.Scan(&g.ID, &g.ReferralID, &g.ReferralNumber, &g.ClientCompany, &g.Kind, &g.Name, &g.ValueCents,
			&g.Currency, &g.StartedOn, &g.EndedOn); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// PartnerEngagements returns the engagements of the won referrals credited
// to the partner, by start date.
func PartnerEngagements(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Engagement, error) {
	rows, err := q.Query(ctx, engagementSQL+` ORDER BY g.started_on, g.created_at, g.id`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return scanEngagements(rows)
}

// PartnerEngagement returns one engagement of a won referral credited to
// the partner; any other engagement is not found.
func PartnerEngagement(ctx context.Context, q db.Querier, tenantID, partnerID, engagementID uuid.UUID) (Engagement, error) {
	rows, err := q.Query(ctx, engagementSQL+` AND g.id = $3`, tenantID, partnerID, engagementID)
	if err != nil {
		return Engagement{}, apperr.Internal(err)
	}
	gs, err := scanEngagements(rows)
	if err != nil {
		return Engagement{}, err
	}
	if len(gs) == 0 {
		return Engagement{}, apperr.NotFound("Engagement")
	}
	return gs[0], nil
}

// PartnerRevenue returns the payments recorded for the partner (credited
// when they were recorded), by payment date.
func PartnerRevenue(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]RevenueEvent, error) {
	rows, err := q.Query(ctx, `SELECT `+revenueCols+` FROM revenue_events e
		WHERE e.tenant_id = $1 AND e.partner_id = $2 ORDER BY e.paid_on, e.created_at, e.id`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return collectRevenue(rows)
}

func collectRevenue(rows pgx.Rows) ([]RevenueEvent, error) {
	defer rows.Close()
	var out []RevenueEvent
	for rows.Next() {
		e, err := scanRevenue(rows)
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

// ReferralDay is the day a referral was submitted in the firm's time zone:
// the day accrual looks for an agreement in force.
func ReferralDay(ctx context.Context, q db.Querier, tenantID, referralID uuid.UUID) (time.Time, error) {
	var d time.Time
	err := q.QueryRow(ctx, `SELECT (r.submitted_at AT TIME ZONE
			coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC'))::date
		FROM referrals r WHERE r.tenant_id = $1 AND r.id = $2`, tenantID, referralID).Scan(&d)
	if db.IsNoRows(err) {
		return d, apperr.NotFound("Referral")
	}
	if err != nil {
		return d, apperr.Internal(err)
	}
	return d, nil
}

// EntryDetail is an entry with what it can be traced to: the referral's
// number and client, the agreement version, and the client payment.
type EntryDetail struct {
	Entry
	ReferralNumber   *int64
	ClientCompany    *string
	AgreementVersion *int32
	PaidOn           *time.Time // the client payment's date
	PaymentCents     *int64
	PaymentRef       *string
}

// PartnerEntryDetails returns the partner's entries (without lines) with
// their traces, oldest first.
func PartnerEntryDetails(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]EntryDetail, error) {
	rows, err := q.Query(ctx, `SELECT je.id, je.kind, je.partner_id, je.referral_id, je.engagement_id, je.revenue_event_id,
			je.agreement_id, je.rule_index, je.rule, je.direction, je.amount_cents, je.currency, je.rate_bp, je.due_on,
			je.explanation, je.reason, je.created_by, je.created_at,
			r.number, r.client_company, a.version, ev.paid_on, ev.amount_cents, ev.external_ref
		FROM journal_entries je
		LEFT JOIN referrals r ON r.tenant_id = je.tenant_id AND r.id = je.referral_id
		LEFT JOIN agreements a ON a.tenant_id = je.tenant_id AND a.id = je.agreement_id
		LEFT JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
		WHERE je.tenant_id = $1 AND je.partner_id = $2
		ORDER BY je.created_at, ev.paid_on, ev.created_at, ev.id, je.rule_index, je.id`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []EntryDetail
	for rows.Next() {
		var d EntryDetail
		var dir string
		if err := rows.Scan(&d.ID, &d.Kind, &d.PartnerID, &d.ReferralID, &d.EngagementID, &d.RevenueEventID,
			&d.AgreementID, &d.RuleIndex, &d.Rule, &dir, &d.AmountCents, &d.Currency, &d.RateBP, &d.DueOn,
			&d.Explanation, &d.Reason, &d.CreatedBy, &d.CreatedAt,
			&d.ReferralNumber, &d.ClientCompany, &d.AgreementVersion, &d.PaidOn, &d.PaymentCents, &d.PaymentRef); err != nil {
			return nil, apperr.Internal(err)
		}
		d.Direction = commission.Direction(dir)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// PagePos is a position in a (created_at, id) ordered list; the zero
// value is the start.
type PagePos struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

func (p PagePos) afterID() *uuid.UUID {
	if p.ID == uuid.Nil {
		return nil
	}
	return &p.ID
}

// ListRevenue returns up to limit of the firm's revenue events after the
// position, in (created_at, id) order, optionally of one engagement.
func ListRevenue(ctx context.Context, q db.Querier, tenantID uuid.UUID, engagementID *uuid.UUID, after PagePos, limit int) ([]RevenueEvent, error) {
	rows, err := q.Query(ctx, `SELECT `+revenueCols+` FROM revenue_events e
		WHERE e.tenant_id = $1 AND ($2::uuid IS NULL OR e.engagement_id = $2)
		  AND ($3::uuid IS NULL OR (e.created_at, e.id) > ($4, $3))
		ORDER BY e.created_at, e.id LIMIT $5`, tenantID, engagementID, after.afterID(), after.CreatedAt, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return collectRevenue(rows)
}

// ListEntries returns up to limit of the firm's entries (without lines)
// after the position, in (created_at, id) order, optionally of one partner.
func ListEntries(ctx context.Context, q db.Querier, tenantID uuid.UUID, partnerID *uuid.UUID, after PagePos, limit int) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryCols+` FROM journal_entries je
		WHERE je.tenant_id = $1 AND ($2::uuid IS NULL OR je.partner_id = $2)
		  AND ($3::uuid IS NULL OR (je.created_at, je.id) > ($4, $3))
		ORDER BY je.created_at, je.id LIMIT $5`, tenantID, partnerID, after.afterID(), after.CreatedAt, limit)
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

// EntryBalances returns the partner's balances per currency as the sum of
// its entries' amounts by direction — the same figures as Balances (the
// reconciliation checks they agree), read without the lines, which a
// portal request can't see.
func EntryBalances(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Balance, error) {
	rows, err := q.Query(ctx, `SELECT currency,
			coalesce(sum(amount_cents) FILTER (WHERE direction = 'we_pay'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE direction = 'we_receive'), 0)
		FROM journal_entries WHERE tenant_id = $1 AND partner_id = $2
		GROUP BY currency ORDER BY currency`, tenantID, partnerID)
	return collectBalances(rows, err)
}
