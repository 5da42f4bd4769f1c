package view

// CommissionProps is a partner's Commissions tab: the balance per
// currency, the engagements of its won referrals with their client
// payments (and a form to record one), and its ledger entries.
type CommissionProps struct {
	Header PartnerHeaderProps
	// PaymentURL is where the record-a-payment forms post.
	PaymentURL  string
	CanRecord   bool // the role manages money
	Balances    []BalanceRow
	Engagements []CommissionEngagement
	Entries     []CommissionEntryRow
}

// BalanceRow is the partner's position in one currency.
type BalanceRow struct {
	Currency  string
	WeOwe     string // "$4,000.00"
	TheyOweUs string
}

// CommissionEngagement is one engagement with its payments and the form
// to record another.
type CommissionEngagement struct {
	ID       string
	Name     string
	Kind     string // Project, Retainer
	Referral string // R-1042
	Client   string
	Value    string
	Started  string
	Payments []PaymentRow
	Form     PaymentForm
}

// PaymentRow is one recorded client payment (or refund).
type PaymentRow struct {
	PaidOn  string
	Amount  string
	Refund  bool
	Ref     string
	Note    string
	Status  string // accrual status in words
	Tone    string // badge tone
	Comment string // why nothing accrued
}

// PaymentForm is the record-a-payment form of one engagement, with the
// user's input when it is re-shown.
type PaymentForm struct {
	Form
	Amount      string
	Refund      bool
	PaidOn      string
	ExternalRef string
	Note        string
}

// CommissionEntryRow is one ledger entry.
type CommissionEntryRow struct {
	Date        string
	Kind        string // Accrual, Reversal, …
	Amount      string
	DueOn       string
	Status      string // accrued, due, paid
	Explanation string
	Referral    string // R-1042 or ""
	Agreement   string // "v1" or ""
}

// paymentFieldID is a field's id inside one engagement's form.
func paymentFieldID(engagementID, name string) string { return "pay-" + engagementID + "-" + name }

// entryTone is the badge tone of an entry status.
func entryTone(status string) string {
	switch status {
	case "due":
		return "warning"
	case "paid":
		return "success"
	default:
		return "info"
	}
}
