package ledger

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// CONTRACT (being implemented): review before payment and payouts.
// Signatures are fixed; bodies are filled in by the payouts work.

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

// ErrNotImplemented marks the contract's bodies until they are filled in.
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

// ReviewQueue lists the firm's positive entries (accruals, top-ups,
// positive adjustments) not in any payout, by due date.
func ReviewQueue(ctx context.Context, q db.Querier, tenantID uuid.UUID, f ReviewFilter) ([]ReviewItem, error) {
	return nil, ErrNotImplemented
}

// Approve marks the entries approved (positive entries not in a payout;
// others are refused with EInvalid naming them). Returns how many changed.
func Approve(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entryIDs []uuid.UUID, by uuid.UUID) (int, error) {
	return 0, ErrNotImplemented
}

// Hold marks the entries held with a reason (required).
func Hold(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, entryIDs []uuid.UUID, reason string, by uuid.UUID) (int, error) {
	return 0, ErrNotImplemented
}

// EntryReviews returns the review status of each of the entries (absent:
// pending) and the payout each is in, for the partner pages and the API.
func EntryReviews(ctx context.Context, q db.Querier, tenantID uuid.UUID, entryIDs []uuid.UUID) (map[uuid.UUID]EntryState, error) {
	return nil, ErrNotImplemented
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

// PreviewPayouts computes a payout run without writing anything.
func PreviewPayouts(ctx context.Context, q db.Querier, tenantID uuid.UUID, run PayoutRun) (Preview, error) {
	return Preview{}, ErrNotImplemented
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

// CreateBatch creates the batch and its payouts and items as previewed in
// tx (EConflict if nothing is payable). Entries already in a payout are
// never taken twice (the payout_items key).
func CreateBatch(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, run PayoutRun, by uuid.UUID) (Batch, error) {
	return Batch{}, ErrNotImplemented
}

// GetBatch returns one batch (ENotFound).
func GetBatch(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID) (Batch, error) {
	return Batch{}, ErrNotImplemented
}

// ListBatches returns the firm's batches, newest first.
func ListBatches(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]Batch, error) {
	return nil, ErrNotImplemented
}

// BatchPayouts returns a batch's payouts by partner name.
func BatchPayouts(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID) ([]Payout, error) {
	return nil, ErrNotImplemented
}

// WriteBatchCSV writes the batch for the bank or accounts payable.
func WriteBatchCSV(ctx context.Context, q db.Querier, tenantID, batchID uuid.UUID, w io.Writer) error {
	return ErrNotImplemented
}

// PaidInput records a payment made (or received) outside Allyway.
type PaidInput struct {
	PaidOn    time.Time
	Reference string
	By        uuid.UUID
}

// MarkBatchPaid marks every pending payout of the batch paid: one payout
// entry each, the partners notified. Paying a paid batch: EConflict.
func MarkBatchPaid(ctx context.Context, tx pgx.Tx, tenantID, batchID uuid.UUID, in PaidInput) (Batch, error) {
	return Batch{}, ErrNotImplemented
}

// CancelBatch cancels an open batch; its entries become payable again.
func CancelBatch(ctx context.Context, tx pgx.Tx, tenantID, batchID uuid.UUID, reason string, by uuid.UUID) (Batch, error) {
	return Batch{}, ErrNotImplemented
}

// PayoutFilter narrows ListPayouts.
type PayoutFilter struct {
	PartnerID *uuid.UUID
	Status    string
	BatchID   *uuid.UUID
}

// ListPayouts pages the firm's payouts in (created_at, id) order.
func ListPayouts(ctx context.Context, q db.Querier, tenantID uuid.UUID, f PayoutFilter, after PagePos, limit int) ([]Payout, error) {
	return nil, ErrNotImplemented
}

// GetPayout returns one payout (ENotFound).
func GetPayout(ctx context.Context, q db.Querier, tenantID, payoutID uuid.UUID) (Payout, error) {
	return Payout{}, ErrNotImplemented
}

// PartnerPayouts returns the partner's payouts, newest first (portal and
// the partner's tab).
func PartnerPayouts(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Payout, error) {
	return nil, ErrNotImplemented
}

// MarkPayoutPaid marks one payout paid (its batch is paid when all its
// payouts are).
func MarkPayoutPaid(ctx context.Context, tx pgx.Tx, tenantID, payoutID uuid.UUID, in PaidInput) (Payout, error) {
	return Payout{}, ErrNotImplemented
}

// MinPayout returns the firm's minimum payout in cents.
func MinPayout(ctx context.Context, q db.Querier, tenantID uuid.UUID) (int64, error) {
	return 0, ErrNotImplemented
}

// SetMinPayout sets it (0..10^13 cents), audited.
func SetMinPayout(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, cents int64) error {
	return ErrNotImplemented
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

// Receivables lists, per partner and currency, what partners owe us.
func Receivables(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Receivable, error) {
	return nil, ErrNotImplemented
}
