package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// AdjustInput is a manual correction by finance: a new entry, signed like
// any entry (positive raises the balance in the direction, negative lowers
// it), with a reason.
type AdjustInput struct {
	PartnerID   uuid.UUID
	ReferralID  uuid.UUID // optional: the referral it concerns
	Direction   commission.Direction
	AmountCents int64
	Currency    string
	Reason      string
	CreatedBy   uuid.UUID
}

// Adjust records an adjustment entry. It fails with ENotFound when the
// partner (or referral) is not the firm's and EInvalid on a zero amount,
// a bad currency or direction, or no reason.
func Adjust(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in AdjustInput) (Entry, error) {
	if err := partnerExists(ctx, tx, tenantID, in.PartnerID); err != nil {
		return Entry{}, err
	}
	var ref *uuid.UUID
	if in.ReferralID != uuid.Nil {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM referrals WHERE tenant_id = $1 AND id = $2
			AND coalesce(credited_partner_id, partner_id) = $3)`, tenantID, in.ReferralID, in.PartnerID).Scan(&ok); err != nil {
			return Entry{}, apperr.Internal(err)
		}
		if !ok {
			return Entry{}, apperr.NotFound("Referral")
		}
		ref = &in.ReferralID
	}
	fe := map[string]string{}
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		fe["reason"] = "Required: say why."
	case len(reason) > 2000:
		fe["reason"] = "Must be at most 2000 characters."
	}
	checkEntryFields(fe, in.Direction, in.AmountCents, in.Currency)
	if in.AmountCents == 0 {
		fe["amount_cents"] = "Must not be zero."
	}
	if len(fe) > 0 {
		return Entry{}, apperr.Invalid(fe)
	}
	e := Entry{ID: newEntryID(), Kind: KindAdjustment, PartnerID: in.PartnerID, ReferralID: ref, Direction: in.Direction,
		AmountCents: in.AmountCents, Currency: in.Currency, Reason: reason, CreatedBy: nilIfZero(in.CreatedBy),
		Explanation: "Adjustment of " + commission.FormatCents(in.AmountCents) + ": " + reason}
	return post(ctx, tx, tenantID, e, "ledger.adjust")
}

// payoutInput records a payout paid (we_pay) or received (we_receive).
type payoutInput struct {
	PartnerID   uuid.UUID
	Direction   commission.Direction
	AmountCents int64 // positive: what is paid or received
	Currency    string
	Reference   string // the bank or AP reference
	CreatedBy   uuid.UUID
	PayoutID    uuid.UUID // the payout it records (required)
	BatchNumber int32
}

// postPayout records the payout entry of a payout being marked paid
// (payable or receivable against cash) for the payout's amount — the sum
// of its items, so what it settles (Reconcile checks both). The balance is
// not the limit: a clawback after a payment may leave it below.
func postPayout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in payoutInput) (Entry, error) {
	fe := map[string]string{}
	checkEntryFields(fe, in.Direction, in.AmountCents, in.Currency)
	if in.AmountCents <= 0 {
		fe["amount_cents"] = "Must be positive."
	}
	ref := strings.TrimSpace(in.Reference)
	if ref == "" || len(ref) > 200 {
		fe["reference"] = "Required (at most 200 characters)."
	}
	if in.PayoutID == uuid.Nil {
		fe["payout_id"] = "Required."
	}
	if len(fe) > 0 {
		return Entry{}, apperr.Invalid(fe)
	}
	num := ""
	if in.BatchNumber > 0 {
		num = fmt.Sprintf(" #%d", in.BatchNumber)
	}
	explanation := "Payout" + num + " of " + commission.FormatCents(in.AmountCents) + ", reference " + ref
	if in.Direction == commission.WeReceive {
		explanation = "Received" + num + ": " + commission.FormatCents(in.AmountCents) + ", reference " + ref
	}
	e := Entry{ID: newEntryID(), Kind: KindPayout, PartnerID: in.PartnerID, Direction: in.Direction,
		AmountCents: -in.AmountCents, Currency: in.Currency, Reason: ref, CreatedBy: nilIfZero(in.CreatedBy), PayoutID: &in.PayoutID,
		Explanation: explanation}
	return post(ctx, tx, tenantID, e, "ledger.payout")
}

func checkEntryFields(fe map[string]string, dir commission.Direction, amount int64, currency string) {
	if dir != commission.WePay && dir != commission.WeReceive {
		fe["direction"] = "Must be we_pay or we_receive."
	}
	if amount > commission.MaxAmountCents || amount < -commission.MaxAmountCents {
		fe["amount_cents"] = "Too large."
	}
	if !currencyRE.MatchString(currency) {
		fe["currency"] = "Must be a 3-letter currency code."
	}
}

func partnerExists(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partners WHERE tenant_id = $1 AND id = $2)`, tenantID, partnerID).Scan(&ok); err != nil {
		return apperr.Internal(err)
	}
	if !ok {
		return apperr.NotFound("Partner")
	}
	return nil
}

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// post writes one entry with its lines and audits it.
func post(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, e Entry, action string) (Entry, error) {
	var b entryBatch
	b.add(e, "")
	if _, err := b.insert(ctx, tx, tenantID); err != nil {
		return Entry{}, err
	}
	got, err := scanEntry(tx.QueryRow(ctx, `SELECT `+entryCols+` FROM journal_entries je WHERE je.tenant_id = $1 AND je.id = $2`, tenantID, e.ID))
	if err != nil {
		return Entry{}, apperr.Internal(err)
	}
	got.Lines = b.lines[e.ID]
	if err := audit.Record(ctx, tx, tenantID, action, "journal_entry", got.ID.String(), map[string]any{
		"partner_id": got.PartnerID, "direction": got.Direction, "amount_cents": got.AmountCents,
		"currency": got.Currency, "reason": got.Reason,
	}); err != nil {
		return Entry{}, apperr.Internal(err)
	}
	return got, nil
}
