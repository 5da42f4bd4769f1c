package view

// PortalCommissionProps is the partner's commissions in the portal: its
// balance and each entry with the rule, the client payment it came from,
// the due date and the status.
type PortalCommissionProps struct {
	FirmName    string
	PartnerName string
	Balances    []BalanceRow
	Entries     []PortalCommissionRow
}

// PortalCommissionRow is one commission (or reversal, adjustment, payout).
type PortalCommissionRow struct {
	ID          string
	Kind        string // Commission, Reversal (refund), Adjustment, Payout
	Amount      string
	Status      string // accrued, due, paid
	DueOn       string
	Rule        string // the agreement rule in words
	Agreement   string // "version 2"
	Payment     string // "Client payment of $20,000.00 on 2 Nov 2026 (INV-1)"
	Referral    string // "R-1042 · Acme Dental"
	Explanation string
	Reason      string // an adjustment's reason
}
