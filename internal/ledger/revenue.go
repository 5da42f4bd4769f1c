package ledger

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// RevenueInput is a client payment to record. A negative amount is a
// refund or credit note; RefundOfID names the payment it refunds when known.
type RevenueInput struct {
	EngagementID uuid.UUID
	AmountCents  int64
	// Currency defaults to the engagement's and must equal it.
	Currency    string
	PaidOn      time.Time
	RefundOfID  uuid.UUID
	ExternalRef string
	Note        string
	Source      string
	CreatedBy   uuid.UUID
	// Today bounds PaidOn (a payment can't be recorded before it happens);
	// zero: now.
	Today time.Time
}

// RevenueEvent is a recorded client payment.
type RevenueEvent struct {
	ID            uuid.UUID
	EngagementID  uuid.UUID
	ReferralID    uuid.UUID
	PartnerID     uuid.UUID
	AmountCents   int64
	Currency      string
	PaidOn        time.Time
	RefundOfID    *uuid.UUID
	ExternalRef   *string
	Note          string
	Source        string
	CreatedBy     *uuid.UUID
	CreatedAt     time.Time
	AccrualStatus string
	AccrualNote   string
	AccruedAt     *time.Time
}

const revenueCols = `e.id, e.engagement_id, e.referral_id, e.partner_id, e.amount_cents, e.currency, e.paid_on,
	e.refund_of_id, e.external_ref, e.note, e.source, e.created_by, e.created_at, e.accrual_status, e.accrual_note, e.accrued_at`

func scanRevenue(row pgx.Row) (RevenueEvent, error) {
	var e RevenueEvent
	err := row.Scan(&e.ID, &e.EngagementID, &e.ReferralID, &e.PartnerID, &e.AmountCents, &e.Currency, &e.PaidOn,
		&e.RefundOfID, &e.ExternalRef, &e.Note, &e.Source, &e.CreatedBy, &e.CreatedAt, &e.AccrualStatus, &e.AccrualNote, &e.AccruedAt)
	return e, err
}

// GetRevenue returns one revenue event of the firm.
func GetRevenue(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (RevenueEvent, error) {
	e, err := scanRevenue(q.QueryRow(ctx, `SELECT `+revenueCols+` FROM revenue_events e WHERE e.tenant_id = $1 AND e.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return e, apperr.NotFound("Revenue event")
	}
	if err != nil {
		return e, apperr.Internal(err)
	}
	return e, nil
}

// RecordRevenue records a client payment on an engagement of the firm, as
// pending accrual. It fails with ENotFound when the engagement (or the
// refunded payment) is not the firm's, EInvalid on bad fields (amount zero
// or out of range, no or future date, another currency, a refund larger
// than what is left of the payment) and EConflict when the external
// reference is already recorded.
func RecordRevenue(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in RevenueInput) (RevenueEvent, error) {
	var referralID, partnerID uuid.UUID
	var engCurrency string
	err := tx.QueryRow(ctx, `SELECT g.referral_id, coalesce(r.credited_partner_id, r.partner_id), g.currency
		FROM engagements g JOIN referrals r ON r.tenant_id = g.tenant_id AND r.id = g.referral_id
		WHERE g.tenant_id = $1 AND g.id = $2`, tenantID, in.EngagementID).Scan(&referralID, &partnerID, &engCurrency)
	if db.IsNoRows(err) {
		return RevenueEvent{}, apperr.NotFound("Engagement")
	}
	if err != nil {
		return RevenueEvent{}, apperr.Internal(err)
	}

	if in.Today.IsZero() {
		in.Today = time.Now()
	}
	var orig *paymentLeft
	var refundOf *uuid.UUID
	if in.RefundOfID != uuid.Nil {
		orig = &paymentLeft{id: in.RefundOfID}
		err := tx.QueryRow(ctx, `SELECT o.engagement_id, o.amount_cents, o.paid_on,
				coalesce((SELECT -sum(x.amount_cents) FROM revenue_events x WHERE x.tenant_id = o.tenant_id AND x.refund_of_id = o.id), 0)
			FROM revenue_events o WHERE o.tenant_id = $1 AND o.id = $2`, tenantID, in.RefundOfID).Scan(&orig.engagementID, &orig.amount, &orig.paidOn, &orig.refunded)
		if db.IsNoRows(err) {
			return RevenueEvent{}, apperr.NotFound("Refunded payment")
		}
		if err != nil {
			return RevenueEvent{}, apperr.Internal(err)
		}
		refundOf = &orig.id
	}
	fe := checkRevenue(in, engCurrency, orig)
	switch in.Source {
	case SourceStaff, SourceAPI, SourceImport:
	default:
		fe["source"] = "Must be staff, api or import."
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" {
		cur = engCurrency
	}
	paid := day(in.PaidOn)
	ref := strings.TrimSpace(in.ExternalRef)
	if len(fe) > 0 {
		return RevenueEvent{}, apperr.Invalid(fe)
	}
	var extRef *string
	if ref != "" {
		extRef = &ref
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revenue_events WHERE tenant_id = $1 AND external_ref = $2)`,
			tenantID, ref).Scan(&exists); err != nil {
			return RevenueEvent{}, apperr.Internal(err)
		}
		if exists {
			return RevenueEvent{}, duplicateRef(ref)
		}
	}
	var createdBy *uuid.UUID
	if in.CreatedBy != uuid.Nil {
		createdBy = &in.CreatedBy
	}
	ev, err := scanRevenue(tx.QueryRow(ctx, `INSERT INTO revenue_events AS e (tenant_id, engagement_id, referral_id, partner_id,
			amount_cents, currency, paid_on, refund_of_id, external_ref, note, source, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+revenueCols,
		tenantID, in.EngagementID, referralID, partnerID, in.AmountCents, cur, paid, refundOf, extRef, in.Note, in.Source, createdBy))
	if db.IsUniqueViolation(err, "revenue_events_external_ref_key") {
		return RevenueEvent{}, duplicateRef(ref)
	}
	if err != nil {
		return RevenueEvent{}, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "revenue.record", "revenue_event", ev.ID.String(), map[string]any{
		"engagement_id": ev.EngagementID, "amount_cents": ev.AmountCents, "currency": ev.Currency,
		"paid_on": ev.PaidOn.Format(time.DateOnly), "external_ref": ref, "source": ev.Source,
	}); err != nil {
		return RevenueEvent{}, apperr.Internal(err)
	}
	return ev, nil
}

func duplicateRef(ref string) error {
	return &apperr.Error{Code: apperr.EConflict, Message: "A payment with reference “" + ref + "” is already recorded.",
		Fields: map[string]string{"external_ref": "Already recorded."}}
}

// paymentLeft is a recorded payment a refund names: its engagement, amount,
// what was refunded of it already, and its date.
type paymentLeft struct {
	id, engagementID uuid.UUID
	amount, refunded int64
	paidOn           time.Time
}

// checkRevenue checks a payment or refund against its engagement's
// currency and, for a refund, the payment it refunds (orig, nil for none):
// the field errors RecordRevenue and the CSV import both give. in.Today
// must be set.
func checkRevenue(in RevenueInput, engCurrency string, orig *paymentLeft) map[string]string {
	fe := map[string]string{}
	switch {
	case in.AmountCents == 0:
		fe["amount_cents"] = "Must not be zero (negative for a refund or credit note)."
	case in.AmountCents > commission.MaxAmountCents || in.AmountCents < -commission.MaxAmountCents:
		fe["amount_cents"] = "Too large."
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" {
		cur = engCurrency
	}
	if !currencyRE.MatchString(cur) {
		fe["currency"] = "Must be a 3-letter currency code."
	} else if cur != engCurrency {
		fe["currency"] = "Must be the engagement's currency (" + engCurrency + ")."
	}
	paid := day(in.PaidOn)
	switch {
	case in.PaidOn.IsZero():
		fe["paid_on"] = "Required."
	case paid.After(day(in.Today)):
		fe["paid_on"] = "Can't be in the future."
	case paid.Year() < 2000:
		fe["paid_on"] = "Must be a real payment date."
	}
	if len(strings.TrimSpace(in.ExternalRef)) > 200 {
		fe["external_ref"] = "Must be at most 200 characters."
	}
	if len(in.Note) > 2000 {
		fe["note"] = "Must be at most 2000 characters."
	}
	if orig != nil {
		switch {
		case orig.engagementID != in.EngagementID:
			fe["refund_of_id"] = "Must be a payment on the same engagement."
		case orig.amount < 0:
			fe["refund_of_id"] = "Must be a payment, not a refund."
		case in.AmountCents > 0:
			fe["amount_cents"] = "A refund must be negative."
		case -in.AmountCents > orig.amount-orig.refunded:
			fe["amount_cents"] = "Can't refund more than the " + commission.FormatCents(orig.amount-orig.refunded) + " left of that payment."
		case !in.PaidOn.IsZero() && paid.Before(day(orig.paidOn)):
			fe["paid_on"] = "Can't be before the refunded payment."
		}
	}
	return fe
}
