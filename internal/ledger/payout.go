package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// Review before payment and payouts.
//
// A positive we_pay entry (an accrual, a top-up, a positive adjustment) is
// approved or held (with a reason) before it can be paid; no entry_reviews
// row means it awaits review. Deductions (reversals, negative adjustments)
// and we_receive entries need no review.
//
// A payout run takes, per partner, the approved entries due on or before
// its date and every deduction not yet settled (a reversal of a payment
// whose accrual is neither paid nor in the run waits for it), in one
// direction and currency. A partner whose total is not positive, or below
// the firm's minimum payout (we_pay only), is carried forward. The batch
// holds one payout per partner paid and the payout_items naming its
// entries: an entry is in one payout only (the items' primary key).
// Marking a payout paid records one payout entry (payable against cash)
// for its amount; cancelling a batch deletes its items so the entries are
// payable again. Every write takes a per-firm advisory lock, so two runs
// (or a run and a review) never interleave.

// Review statuses of an entry (entry_reviews; no row = ReviewPending).
const (
	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewHeld     = "held"
)

// Payout and batch statuses.
const (
	PayoutPending   = "pending"
	PayoutPaid      = "paid"
	PayoutCancelled = "cancelled"
	BatchOpen       = "open"
	BatchPaid       = "paid"
	BatchCancelled  = "cancelled"
)

// ErrNotImplemented marked the contract's bodies until they were filled
// in; nothing returns it any more.
var ErrNotImplemented = errors.New("ledger: not implemented yet")

// ReviewFilter narrows the review queue.
type ReviewFilter struct {
	PartnerID *uuid.UUID
	Status    string     // "" (pending and held), ReviewPending, ReviewHeld, ReviewApproved
	DueBy     *time.Time // due on or before
	Direction commission.Direction
	Limit     int // ≤ 0: 500
}

// ReviewItem is an entry awaiting (or past) review and not yet in a payout.
type ReviewItem struct {
	Entry          Entry
	PartnerName    string
	ReferralNumber *int64
	ClientCompany  *string
	Status         string // ReviewPending, ReviewApproved, ReviewHeld
	Reason         string
	ReviewedAt     *time.Time
}

// EntryState is an entry's review and payment state.
type EntryState struct {
	Review       string // ReviewPending, ReviewApproved, ReviewHeld ("" for deductions and payouts)
	ReviewReason string
	PayoutID     *uuid.UUID
	PayoutStatus string     // PayoutPending, PayoutPaid ("" when in no payout)
	PaidOn       *time.Time // the payout's paid_on
}

// PayoutRun says what to pay: approved entries due on or before UpTo, in
// one direction and currency, for the partners named (nil: all).
type PayoutRun struct {
	Direction  commission.Direction
	Currency   string
	UpTo       time.Time
	PartnerIDs []uuid.UUID
	Note       string
	// Outbox, when set, emails each partner its invoice when a we_receive
	// batch is created (CreateBatch); BaseURL makes the portal link.
	Outbox  *notify.Outbox
	BaseURL string
}

// PreviewPartner is one partner's line of a payout preview.
type PreviewPartner struct {
	PartnerID   uuid.UUID
	PartnerName string
	Entries     []Entry // what would be paid (deductions included)
	TotalCents  int64
	// CarriedForward is set when the partner is not paid this time: the
	// reason (below the firm's minimum payout, deductions exceed earnings).
	CarriedForward string
	Held           int // approved-but-held entries left out (count)
}

// Preview is what a payout run would pay.
type Preview struct {
	Run         PayoutRun
	Partners    []PreviewPartner // paid and carried-forward partners, by name
	TotalCents  int64            // of the partners paid
	MinPayout   int64
	PaidCount   int
	CarriedOver int
}

// Batch is a payout run.
type Batch struct {
	ID           uuid.UUID
	Number       int32
	Direction    commission.Direction
	Currency     string
	UpTo         time.Time
	Status       string
	Note         string
	CreatedBy    *uuid.UUID
	CreatedAt    time.Time
	PaidOn       *time.Time
	Reference    *string
	PaidAt       *time.Time
	CancelledAt  *time.Time
	CancelReason string
	TotalCents   int64
	Payouts      int
}

// Payout is one partner's part of a batch (the API's payout).
type Payout struct {
	ID          uuid.UUID
	BatchID     uuid.UUID
	BatchNumber int32
	PartnerID   uuid.UUID
	PartnerName string
	Direction   commission.Direction
	Currency    string
	AmountCents int64
	Status      string
	PaidOn      *time.Time
	Reference   *string
	CreatedAt   time.Time
	Entries     int
}

// PaidInput records a payment made (or received) outside Allyway.
type PaidInput struct {
	PaidOn    time.Time
	Reference string
	By        uuid.UUID
	// Today is the firm's today (zero: the clock's day in UTC); PaidOn may
	// be at most a day after it.
	Today time.Time
	// Outbox, when set, emails the partners paid (we_pay) in the same
	// transaction; BaseURL makes the link to their portal commissions page.
	// Without an Outbox nothing is emailed.
	Outbox  *notify.Outbox
	BaseURL string
}

// PayoutFilter narrows ListPayouts.
type PayoutFilter struct {
	PartnerID *uuid.UUID
	Status    string
	BatchID   *uuid.UUID
}

// Receivable is what one partner owes us in one currency, by stage.
type Receivable struct {
	PartnerID     uuid.UUID
	PartnerName   string
	Currency      string
	ExpectedCents int64 // accrued, not yet invoiced
	InvoicedCents int64 // in a pending we_receive payout
	ReceivedCents int64 // paid we_receive payouts, all time
}

// lockPayouts serialises the firm's review and payout writes for the rest
// of tx.
func lockPayouts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	if err := db.XactLock(ctx, tx, "payouts:"+tenantID.String()); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// CreateBatch creates the batch and its payouts and items as previewed in
// tx (EConflict if nothing is payable). Entries already in a payout are
// never taken twice (the payout_items key).
func CreateBatch(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, run PayoutRun, by uuid.UUID) (Batch, error) {
	if err := checkRun(run); err != nil {
		return Batch{}, err
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return Batch{}, err
	}
	pv, err := PreviewPayouts(ctx, tx, tenantID, run)
	if err != nil {
		return Batch{}, err
	}
	if pv.PaidCount == 0 {
		return Batch{}, nothingPayable(pv)
	}
	var number int32
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(number), 0) + 1 FROM payout_batches WHERE tenant_id = $1`, tenantID).Scan(&number); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	batchID := uuid.New()
	if _, err := tx.Exec(ctx, `INSERT INTO payout_batches (tenant_id, id, number, direction, currency, up_to, note, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenantID, batchID, number, string(run.Direction), run.Currency, day(run.UpTo),
		strings.TrimSpace(run.Note), nilIfZero(by)); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	var payIDs, payPartners, itemEntries, itemPayouts, itemPartners []uuid.UUID
	var payAmounts, itemAmounts []int64
	for _, p := range pv.Partners {
		if p.CarriedForward != "" {
			continue
		}
		id := uuid.New()
		payIDs, payPartners, payAmounts = append(payIDs, id), append(payPartners, p.PartnerID), append(payAmounts, p.TotalCents)
		for _, e := range p.Entries {
			itemEntries, itemPayouts, itemPartners = append(itemEntries, e.ID), append(itemPayouts, id), append(itemPartners, p.PartnerID)
			itemAmounts = append(itemAmounts, e.AmountCents)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payouts (tenant_id, id, batch_id, batch_number, partner_id, direction, currency, amount_cents)
		SELECT $1, u.id, $2, b.number, u.partner_id, $3, $4, u.amount
		FROM unnest($5::uuid[], $6::uuid[], $7::bigint[]) AS u(id, partner_id, amount)
		JOIN payout_batches b ON b.tenant_id = $1 AND b.id = $2`,
		tenantID, batchID, string(run.Direction), run.Currency, pgUUIDs(payIDs), pgUUIDs(payPartners), payAmounts); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payout_items (tenant_id, entry_id, payout_id, partner_id, amount_cents)
		SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bigint[])`,
		tenantID, pgUUIDs(itemEntries), pgUUIDs(itemPayouts), pgUUIDs(itemPartners), itemAmounts); err != nil {
		if db.IsUniqueViolation(err, "") {
			return Batch{}, apperr.Errorf(apperr.EConflict, "Some of these commissions are already in a payout. Nothing was created.")
		}
		return Batch{}, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "payout.batch_create", "payout_batch", batchID.String(), map[string]any{
		"number": number, "direction": run.Direction, "currency": run.Currency, "up_to": day(run.UpTo).Format(time.DateOnly),
		"payouts": len(payIDs), "entries": len(itemEntries), "total_cents": pv.TotalCents,
	}); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	b, err := GetBatch(ctx, tx, tenantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	if run.Direction == commission.WeReceive && run.Outbox != nil {
		if err := emailInvoices(ctx, tx, tenantID, b, run.Outbox, run.BaseURL); err != nil {
			return Batch{}, err
		}
	}
	return b, nil
}

// nothingPayable explains why a run pays no one.
func nothingPayable(pv Preview) error {
	what := "approved and due"
	if pv.Run.Direction == commission.WeReceive {
		what = "due from partners"
	}
	msg := fmt.Sprintf("Nothing is %s up to %s in %s.", what, day(pv.Run.UpTo).Format("2 January 2006"), pv.Run.Currency)
	for _, p := range pv.Partners {
		if p.CarriedForward != "" {
			msg += " " + p.PartnerName + ": " + p.CarriedForward + "."
		}
	}
	return &apperr.Error{Code: apperr.EConflict, Message: msg, Err: ErrNothingToPay}
}

// ErrNothingToPay is the cause (errors.Is) of CreateBatch's EConflict when
// no partner is paid: nothing approved and due, or every partner carried
// forward (the message says why).
var ErrNothingToPay = errors.New("ledger: nothing to pay")

func checkRun(run PayoutRun) error {
	fe := map[string]string{}
	if run.Direction != commission.WePay && run.Direction != commission.WeReceive {
		fe["direction"] = "Must be we_pay or we_receive."
	}
	if !currencyRE.MatchString(run.Currency) {
		fe["currency"] = "Must be a 3-letter currency code."
	}
	if run.UpTo.IsZero() {
		fe["up_to"] = "Required."
	}
	if len(run.Note) > 2000 {
		fe["note"] = "Must be at most 2000 characters."
	}
	if len(fe) > 0 {
		return apperr.Invalid(fe)
	}
	return nil
}

const batchSQL = `SELECT b.id, b.number, b.direction, b.currency, b.up_to, b.status, b.note, b.created_by, b.created_at,
	b.paid_on, b.reference, b.paid_at, b.cancelled_at, b.cancel_reason,
	coalesce(sum(p.amount_cents) FILTER (WHERE p.status <> 'cancelled' OR b.status = 'cancelled'), 0),
	count(p.id) FILTER (WHERE p.status <> 'cancelled' OR b.status = 'cancelled')
FROM payout_batches b LEFT JOIN payouts p ON p.tenant_id = b.tenant_id AND p.batch_id = b.id
WHERE b.tenant_id = $1`

func scanBatches(rows pgx.Rows, err error) ([]Batch, error) {
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Batch, error) {
		var b Batch
		var dir string
		err := row.Scan(&b.ID, &b.Number, &dir, &b.Currency, &b.UpTo, &b.Status, &b.Note, &b.CreatedBy, &b.CreatedAt,
			&b.PaidOn, &b.Reference, &b.PaidAt, &b.CancelledAt, &b.CancelReason, &b.TotalCents, &b.Payouts)
		b.Direction = commission.Direction(dir)
		return b, err
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// GetBatch returns one batch (ENotFound).
func GetBatch(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID) (Batch, error) {
	bs, err := scanBatches(q.Query(ctx, batchSQL+` AND b.id = $2 GROUP BY b.tenant_id, b.id`, tenantID, batchID))
	if err != nil {
		return Batch{}, err
	}
	if len(bs) == 0 {
		return Batch{}, apperr.NotFound("Payout batch")
	}
	return bs[0], nil
}

// ListBatches returns the firm's batches, newest first.
func ListBatches(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]Batch, error) {
	if limit <= 0 {
		limit = 100
	}
	return scanBatches(q.Query(ctx, batchSQL+` GROUP BY b.tenant_id, b.id ORDER BY b.number DESC LIMIT $2`, tenantID, limit))
}

const payoutSQL = `SELECT p.id, p.batch_id, p.batch_number, p.partner_id, coalesce(pa.name, ''), p.direction, p.currency,
	p.amount_cents, p.status, p.paid_on, p.reference, p.created_at,
	(SELECT count(*) FROM payout_items i WHERE i.tenant_id = p.tenant_id AND i.payout_id = p.id)
FROM payouts p
LEFT JOIN partners pa ON pa.tenant_id = p.tenant_id AND pa.id = p.partner_id
WHERE p.tenant_id = $1`

func scanPayouts(rows pgx.Rows, err error) ([]Payout, error) {
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Payout, error) {
		var p Payout
		var dir string
		err := row.Scan(&p.ID, &p.BatchID, &p.BatchNumber, &p.PartnerID, &p.PartnerName, &dir, &p.Currency, &p.AmountCents,
			&p.Status, &p.PaidOn, &p.Reference, &p.CreatedAt, &p.Entries)
		p.Direction = commission.Direction(dir)
		return p, err
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// BatchPayouts returns a batch's payouts by partner name.
func BatchPayouts(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID) ([]Payout, error) {
	return scanPayouts(q.Query(ctx, payoutSQL+` AND p.batch_id = $2 ORDER BY lower(pa.name), p.id`, tenantID, batchID))
}

// ListPayouts pages the firm's payouts in (created_at, id) order.
func ListPayouts(ctx context.Context, q db.Querier, tenantID uuid.UUID, f PayoutFilter, after PagePos, limit int) ([]Payout, error) {
	if limit <= 0 {
		limit = 100
	}
	return scanPayouts(q.Query(ctx, payoutSQL+` AND ($2::uuid IS NULL OR p.partner_id = $2) AND ($3 = '' OR p.status = $3)
		AND ($4::uuid IS NULL OR p.batch_id = $4) AND ($5::uuid IS NULL OR (p.created_at, p.id) > ($6, $5))
		ORDER BY p.created_at, p.id LIMIT $7`, tenantID, f.PartnerID, f.Status, f.BatchID, after.afterID(), after.CreatedAt, limit))
}

// GetPayout returns one payout (ENotFound).
func GetPayout(ctx context.Context, q db.Querier, tenantID, payoutID uuid.UUID) (Payout, error) {
	ps, err := scanPayouts(q.Query(ctx, payoutSQL+` AND p.id = $2`, tenantID, payoutID))
	if err != nil {
		return Payout{}, err
	}
	if len(ps) == 0 {
		return Payout{}, apperr.NotFound("Payout")
	}
	return ps[0], nil
}

// PartnerPayouts returns the partner's payouts, newest first (portal and
// the partner's tab).
func PartnerPayouts(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Payout, error) {
	return scanPayouts(q.Query(ctx, payoutSQL+` AND p.partner_id = $2 ORDER BY p.created_at DESC, p.id DESC`, tenantID, partnerID))
}

// WriteBatchCSV writes the batch for the bank or accounts payable: one row
// per payout (cancelled ones left out), amounts in dollars with cents.
func WriteBatchCSV(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID, w io.Writer) error {
	b, err := GetBatch(ctx, q, tenantID, batchID)
	if err != nil {
		return err
	}
	ps, err := BatchPayouts(ctx, q, tenantID, batchID)
	if err != nil {
		return err
	}
	cw, err := csvout.NewWriter(w, "Batch", "Partner", "Amount", "Currency", "Reference", "Entries")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Status == PayoutCancelled && b.Status != BatchCancelled {
			continue
		}
		ref := ""
		if p.Reference != nil {
			ref = *p.Reference
		} else if b.Reference != nil {
			ref = *b.Reference
		}
		if err := cw.Write(fmt.Sprint(b.Number), p.PartnerName, plainDollars(p.AmountCents), p.Currency, ref, fmt.Sprint(p.Entries)); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// plainDollars renders cents for a bank file: 123456 → "1234.56".
func plainDollars(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// checkPaid validates a payment record.
func checkPaid(in PaidInput) (string, error) {
	fe := map[string]string{}
	ref := strings.TrimSpace(in.Reference)
	switch {
	case ref == "":
		fe["reference"] = "Required: the bank or accounts payable reference."
	case len(ref) > 200:
		fe["reference"] = "Must be at most 200 characters."
	}
	today := in.Today
	if today.IsZero() {
		today = time.Now().UTC()
	}
	switch {
	case in.PaidOn.IsZero():
		fe["paid_on"] = "Required."
	case day(in.PaidOn).After(day(today).AddDate(0, 0, 1)):
		fe["paid_on"] = "Can't be in the future."
	case in.PaidOn.Year() < 2000:
		fe["paid_on"] = "Use a date from 2000 on."
	}
	if len(fe) > 0 {
		return "", apperr.Invalid(fe)
	}
	return ref, nil
}

// MarkBatchPaid marks every pending payout of the batch paid: one payout
// entry each, the partners notified. Paying a paid batch: EConflict.
func MarkBatchPaid(ctx context.Context, tx pgx.Tx, tenantID, batchID uuid.UUID, in PaidInput) (Batch, error) {
	ref, err := checkPaid(in)
	if err != nil {
		return Batch{}, err
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return Batch{}, err
	}
	b, err := GetBatch(ctx, tx, tenantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	if err := batchOpen(b); err != nil {
		return Batch{}, err
	}
	ps, err := BatchPayouts(ctx, tx, tenantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	var paid []Payout
	for _, p := range ps {
		if p.Status != PayoutPending {
			continue
		}
		if err := payPayout(ctx, tx, tenantID, p, b.Number, ref, in); err != nil {
			return Batch{}, err
		}
		paid = append(paid, p)
	}
	if _, err := tx.Exec(ctx, `UPDATE payout_batches SET status = 'paid', paid_on = $3, reference = $4, paid_by = $5, paid_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, batchID, day(in.PaidOn), ref, nilIfZero(in.By)); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "payout.batch_paid", "payout_batch", batchID.String(), map[string]any{
		"number": b.Number, "paid_on": day(in.PaidOn).Format(time.DateOnly), "reference": ref, "payouts": len(paid),
	}); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	if in.Outbox != nil {
		for _, p := range paid {
			p.Status, p.PaidOn, p.Reference = PayoutPaid, ptr(day(in.PaidOn)), &ref
			if err := emailPaid(ctx, tx, tenantID, p, in.Outbox, in.BaseURL); err != nil {
				return Batch{}, err
			}
		}
	}
	return GetBatch(ctx, tx, tenantID, batchID)
}

// batchOpen refuses a paid or cancelled batch.
func batchOpen(b Batch) error {
	switch b.Status {
	case BatchPaid:
		on := ""
		if b.PaidOn != nil {
			on = " on " + b.PaidOn.Format("2 January 2006")
		}
		return apperr.Errorf(apperr.EConflict, "Payout batch #%d was already marked paid%s.", b.Number, on)
	case BatchCancelled:
		return apperr.Errorf(apperr.EConflict, "Payout batch #%d was cancelled.", b.Number)
	}
	return nil
}

// payPayout marks a pending payout paid and records its payout entry.
func payPayout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, p Payout, batchNumber int32, ref string, in PaidInput) error {
	tag, err := tx.Exec(ctx, `UPDATE payouts SET status = 'paid', paid_on = $3, reference = $4
		WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`, tenantID, p.ID, day(in.PaidOn), ref)
	if err != nil {
		return apperr.Internal(err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.Errorf(apperr.EConflict, "This payout is no longer pending.")
	}
	_, err = postPayout(ctx, tx, tenantID, payoutInput{PartnerID: p.PartnerID, Direction: p.Direction, AmountCents: p.AmountCents,
		Currency: p.Currency, Reference: ref, CreatedBy: in.By, PayoutID: p.ID, BatchNumber: batchNumber})
	return err
}

// MarkPayoutPaid marks one payout paid (its batch is paid when all its
// payouts are).
func MarkPayoutPaid(ctx context.Context, tx pgx.Tx, tenantID, payoutID uuid.UUID, in PaidInput) (Payout, error) {
	ref, err := checkPaid(in)
	if err != nil {
		return Payout{}, err
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return Payout{}, err
	}
	p, err := GetPayout(ctx, tx, tenantID, payoutID)
	if err != nil {
		return Payout{}, err
	}
	switch p.Status {
	case PayoutPaid:
		return Payout{}, apperr.Errorf(apperr.EConflict, "This payout was already marked paid on %s.", p.PaidOn.Format("2 January 2006"))
	case PayoutCancelled:
		return Payout{}, apperr.Errorf(apperr.EConflict, "This payout was cancelled.")
	}
	if err := payPayout(ctx, tx, tenantID, p, p.BatchNumber, ref, in); err != nil {
		return Payout{}, err
	}
	if err := settleBatch(ctx, tx, tenantID, p.BatchID, in.By); err != nil {
		return Payout{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "payout.paid", "payout", p.ID.String(), map[string]any{
		"batch": p.BatchNumber, "partner_id": p.PartnerID, "amount_cents": p.AmountCents,
		"paid_on": day(in.PaidOn).Format(time.DateOnly), "reference": ref,
	}); err != nil {
		return Payout{}, apperr.Internal(err)
	}
	if p, err = GetPayout(ctx, tx, tenantID, payoutID); err != nil {
		return Payout{}, err
	}
	if in.Outbox != nil {
		if err := emailPaid(ctx, tx, tenantID, p, in.Outbox, in.BaseURL); err != nil {
			return Payout{}, err
		}
	}
	return p, nil
}

// settleBatch closes an open batch with no pending payout left: paid (as
// its latest paid payout) when any is paid, else cancelled.
func settleBatch(ctx context.Context, tx pgx.Tx, tenantID, batchID, by uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE payout_batches b SET
			status = CASE WHEN l.paid_on IS NULL THEN 'cancelled' ELSE 'paid' END,
			paid_on = l.paid_on, reference = l.reference,
			paid_by = CASE WHEN l.paid_on IS NOT NULL THEN $3::uuid END,
			paid_at = CASE WHEN l.paid_on IS NOT NULL THEN now() END,
			cancelled_at = CASE WHEN l.paid_on IS NULL THEN now() END,
			cancel_reason = CASE WHEN l.paid_on IS NULL AND b.cancel_reason = '' THEN 'Every payout of the batch was cancelled.'
				ELSE b.cancel_reason END
		FROM (SELECT 1) AS one
		LEFT JOIN LATERAL (SELECT paid_on, reference FROM payouts WHERE tenant_id = $1 AND batch_id = $2 AND status = 'paid'
			ORDER BY paid_on DESC, id DESC LIMIT 1) l ON true
		WHERE b.tenant_id = $1 AND b.id = $2 AND b.status = 'open'
		  AND NOT EXISTS (SELECT 1 FROM payouts WHERE tenant_id = $1 AND batch_id = $2 AND status = 'pending')`,
		tenantID, batchID, nilIfZero(by))
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// CancelBatch cancels an open batch; its entries become payable again.
// Payouts of it already marked paid (one by one) stand, and the batch is
// then closed as paid.
func CancelBatch(ctx context.Context, tx pgx.Tx, tenantID, batchID uuid.UUID, reason string, by uuid.UUID) (Batch, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Batch{}, err
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return Batch{}, err
	}
	b, err := GetBatch(ctx, tx, tenantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	if err := batchOpen(b); err != nil {
		return Batch{}, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM payout_items i USING payouts p
		WHERE i.tenant_id = $1 AND p.tenant_id = $1 AND p.batch_id = $2 AND p.status = 'pending' AND i.payout_id = p.id`,
		tenantID, batchID); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	tag, err := tx.Exec(ctx, `UPDATE payouts SET status = 'cancelled' WHERE tenant_id = $1 AND batch_id = $2 AND status = 'pending'`,
		tenantID, batchID)
	if err != nil {
		return Batch{}, apperr.Internal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE payout_batches SET cancel_reason = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, batchID, reason); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	if err := settleBatch(ctx, tx, tenantID, batchID, by); err != nil {
		return Batch{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "payout.batch_cancel", "payout_batch", batchID.String(), map[string]any{
		"number": b.Number, "reason": reason, "payouts": tag.RowsAffected(),
	}); err != nil {
		return Batch{}, apperr.Internal(err)
	}
	return GetBatch(ctx, tx, tenantID, batchID)
}

// CancelPayout cancels one pending payout of a batch (the API's PATCH
// status=cancelled): its items are deleted, so its entries are payable
// again; the batch stays open for its other payouts (and is closed when
// none is pending).
func CancelPayout(ctx context.Context, tx pgx.Tx, tenantID, payoutID uuid.UUID, reason string, by uuid.UUID) (Payout, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Payout{}, err
	}
	if err := lockPayouts(ctx, tx, tenantID); err != nil {
		return Payout{}, err
	}
	p, err := GetPayout(ctx, tx, tenantID, payoutID)
	if err != nil {
		return Payout{}, err
	}
	switch p.Status {
	case PayoutPaid:
		return Payout{}, apperr.Errorf(apperr.EConflict, "This payout was marked paid; it can't be cancelled. Record an adjustment instead.")
	case PayoutCancelled:
		return Payout{}, apperr.Errorf(apperr.EConflict, "This payout was already cancelled.")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM payout_items WHERE tenant_id = $1 AND payout_id = $2`, tenantID, payoutID); err != nil {
		return Payout{}, apperr.Internal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE payouts SET status = 'cancelled' WHERE tenant_id = $1 AND id = $2`, tenantID, payoutID); err != nil {
		return Payout{}, apperr.Internal(err)
	}
	if err := settleBatch(ctx, tx, tenantID, p.BatchID, by); err != nil {
		return Payout{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "payout.cancel", "payout", p.ID.String(), map[string]any{
		"batch": p.BatchNumber, "partner_id": p.PartnerID, "amount_cents": p.AmountCents, "reason": reason,
	}); err != nil {
		return Payout{}, apperr.Internal(err)
	}
	return GetPayout(ctx, tx, tenantID, payoutID)
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", apperr.Invalid(map[string]string{"reason": "Required: say why."})
	case len(reason) > 2000:
		return "", apperr.Invalid(map[string]string{"reason": "Must be at most 2000 characters."})
	}
	return reason, nil
}

// MaxMinPayoutCents bounds the firm's minimum payout ($100 billion).
const MaxMinPayoutCents = 10_000_000_000_000

// MinPayout returns the firm's minimum payout in cents.
func MinPayout(ctx context.Context, q db.Querier, tenantID uuid.UUID) (int64, error) {
	var v int64
	if err := q.QueryRow(ctx, `SELECT coalesce((SELECT min_payout_cents FROM tenant_settings WHERE tenant_id = $1), 0)`,
		tenantID).Scan(&v); err != nil {
		return 0, apperr.Internal(err)
	}
	return v, nil
}

// SetMinPayout sets it (0..10^13 cents), audited.
func SetMinPayout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, cents int64) error {
	if cents < 0 || cents > MaxMinPayoutCents {
		return apperr.Invalid(map[string]string{"min_payout": "Must be between $0 and " + commission.FormatCents(MaxMinPayoutCents) + "."})
	}
	old, err := MinPayout(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, min_payout_cents) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET min_payout_cents = EXCLUDED.min_payout_cents`, tenantID, cents); err != nil {
		return apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "settings.min_payout", "tenant_settings", tenantID.String(),
		map[string]any{"from_cents": old, "to_cents": cents}); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// Receivables lists, per partner and currency, what partners owe us.
func Receivables(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Receivable, error) {
	rows, err := q.Query(ctx, `WITH x AS (
			SELECT je.partner_id, je.currency, je.amount_cents AS expected, 0::bigint AS invoiced, 0::bigint AS received
			FROM journal_entries je
			WHERE je.tenant_id = $1 AND je.direction = 'we_receive' AND je.kind <> 'payout'
			  AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.tenant_id = je.tenant_id AND i.entry_id = je.id)
			UNION ALL
			SELECT p.partner_id, p.currency, 0, CASE WHEN p.status = 'pending' THEN p.amount_cents ELSE 0 END,
				CASE WHEN p.status = 'paid' THEN p.amount_cents ELSE 0 END
			FROM payouts p WHERE p.tenant_id = $1 AND p.direction = 'we_receive' AND p.status IN ('pending', 'paid'))
		SELECT x.partner_id, pa.name, x.currency, sum(x.expected), sum(x.invoiced), sum(x.received)
		FROM x JOIN partners pa ON pa.tenant_id = $1 AND pa.id = x.partner_id
		GROUP BY x.partner_id, pa.name, x.currency
		HAVING sum(x.expected) <> 0 OR sum(x.invoiced) <> 0 OR sum(x.received) <> 0
		ORDER BY lower(pa.name), x.partner_id, x.currency`, tenantID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Receivable, error) {
		var r Receivable
		return r, row.Scan(&r.PartnerID, &r.PartnerName, &r.Currency, &r.ExpectedCents, &r.InvoicedCents, &r.ReceivedCents)
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
