// Package ledger records client payments (revenue events) and keeps the
// commission ledger: double-entry and append-only. Every journal entry has
// at least two lines that sum to zero per currency (checked by the
// database at commit); nothing is ever updated or deleted — a correction is
// a new entry. The commission rules engine (internal/commission) decides
// what a payment earns; this package looks up the facts it needs with SQL
// (agreements, referrals and engagements are read as tables, not through
// their packages) and records the results.
//
// Sign convention: line amounts are debit positive, credit negative. An
// entry's AmountCents is its effect on the partner's balance in the
// entry's direction — accrual > 0, reversal < 0, payout < 0, adjustment
// either way:
//
//	we_pay:     commission_expense +A, partner_payable −A   (cash instead of expense for a payout)
//	we_receive: partner_receivable +A, commission_income −A (cash instead of income for a payout)
//
// so what we owe a partner is −Σ partner_payable lines and what a partner
// owes us is Σ partner_receivable lines.
package ledger

import (
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/commission"
)

// Entry kinds.
const (
	KindAccrual    = "accrual"
	KindReversal   = "reversal"
	KindAdjustment = "adjustment"
	KindPayout     = "payout"
)

// Accounts.
const (
	AccountCommissionExpense = "commission_expense"
	AccountPartnerPayable    = "partner_payable"
	AccountCommissionIncome  = "commission_income"
	AccountPartnerReceivable = "partner_receivable"
	AccountCash              = "cash"
)

// Accrual statuses of a revenue event.
const (
	StatusPending     = "pending"
	StatusAccrued     = "accrued"
	StatusNoAgreement = "no_agreement"
	StatusNothingDue  = "nothing_due"
)

// Revenue sources.
const (
	SourceStaff  = "staff"
	SourceAPI    = "api"
	SourceImport = "import"
)

// Entry is one journal entry.
type Entry struct {
	ID             uuid.UUID
	Kind           string
	PartnerID      uuid.UUID
	ReferralID     *uuid.UUID
	EngagementID   *uuid.UUID
	RevenueEventID *uuid.UUID
	AgreementID    *uuid.UUID
	RuleIndex      *int32
	Rule           *commission.Rule
	Direction      commission.Direction
	AmountCents    int64
	Currency       string
	RateBP         *int64
	DueOn          *time.Time
	Explanation    string
	Reason         string
	// TopUpBP is set on a retroactive tier top-up: the rate it tops up to.
	TopUpBP int64
	// PayoutID is set on a payout entry: the payout it records.
	PayoutID  *uuid.UUID
	CreatedBy *uuid.UUID
	CreatedAt time.Time
	Lines     []Line
}

// Line is one line of an entry: debit positive, credit negative.
type Line struct {
	LineNo      int16
	Account     string
	PartnerID   *uuid.UUID
	AmountCents int64
	Currency    string
}

// linesFor returns the two balanced lines of an entry of amount a (signed,
// see the package comment).
func linesFor(kind string, dir commission.Direction, partnerID uuid.UUID, a int64, currency string) []Line {
	p := partnerID
	counter := AccountCommissionExpense
	partnerAcct, partnerAmt := AccountPartnerPayable, -a
	if dir == commission.WeReceive {
		counter = AccountCommissionIncome
		partnerAcct, partnerAmt = AccountPartnerReceivable, a
	}
	if kind == KindPayout {
		counter = AccountCash
	}
	return []Line{
		{LineNo: 1, Account: partnerAcct, PartnerID: &p, AmountCents: partnerAmt, Currency: currency},
		{LineNo: 2, Account: counter, AmountCents: -partnerAmt, Currency: currency},
	}
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// day truncates t to its calendar day at UTC midnight (dates are stored
// as SQL date).
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
