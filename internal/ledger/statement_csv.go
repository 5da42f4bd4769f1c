package ledger

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
)

// StatementCSVHeader is the header of a statement's CSV: one row per entry
// of the quarter, then a blank row and the summary block (one row per
// account, its "date" column saying "summary").
var StatementCSVHeader = []string{"date", "kind", "direction", "referral", "client", "explanation", "client_payment",
	"client_payment_on", "agreement_version", "due_on", "status", "amount", "currency", "entry_id"}

// StatementSummaryHeader heads the summary block.
var StatementSummaryHeader = []string{"summary", "account", "direction", "currency", "opening", "earned", "clawbacks",
	"adjustments", "paid", "closing"}

// WriteStatementCSV writes the statement's entries and summary for a
// spreadsheet: UTF-8 with a byte order mark, and every text cell
// neutralised (csvout.Neutralise) so none runs as a formula. Amounts are
// plain dollar numbers ("4000.00", "-2000.00"): they are written by us from
// integers, so a leading minus is a sign, not a formula, and is left as is.
func WriteStatementCSV(w io.Writer, s Statement) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	text := func(cells ...string) []string {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = csvout.Neutralise(c)
		}
		return out
	}
	if err := cw.Write(text(StatementCSVHeader...)); err != nil {
		return err
	}
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return csvAmount(*p)
	}
	for _, e := range s.Entries {
		var ref, client, version, payOn, due string
		if e.ReferralNumber != nil {
			ref = "R-" + strconv.FormatInt(*e.ReferralNumber, 10)
		}
		if e.ClientCompany != nil {
			client = *e.ClientCompany
		}
		if e.AgreementVersion != nil {
			version = strconv.Itoa(int(*e.AgreementVersion))
		}
		if e.PaymentOn != nil {
			payOn = e.PaymentOn.Format("2006-01-02")
		}
		if e.DueOn != nil {
			due = e.DueOn.Format("2006-01-02")
		}
		explanation := e.Explanation
		if e.Kind == KindAdjustment && e.Reason != "" && !strings.Contains(explanation, e.Reason) {
			explanation += " Reason: " + e.Reason
		}
		row := text(e.On.Format("2006-01-02"), EntryKindLabel(e), string(e.Direction), ref, client, explanation)
		row = append(row, opt(e.PaymentCents))
		row = append(row, text(payOn, version, due, e.Status)...)
		row = append(row, csvAmount(e.AmountCents))
		row = append(row, text(e.Currency, e.ID.String())...)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	if err := cw.Write([]string{}); err != nil {
		return err
	}
	if err := cw.Write(text(StatementSummaryHeader...)); err != nil {
		return err
	}
	for _, a := range s.Accounts {
		row := text(s.Quarter.String(), AccountTitle(a.Direction, a.Currency), string(a.Direction), a.Currency)
		for _, c := range []int64{a.OpeningCents, a.EarnedCents, a.ClawbackCents, a.AdjustmentCents, a.PaidCents, a.ClosingCents} {
			row = append(row, csvAmount(c))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	revenue := func(label, value string) error { return cw.Write(text(s.Quarter.String(), label, "", "", value)) }
	if err := revenue("Referrals sent in the quarter", strconv.Itoa(s.ReferralsSubmitted)); err != nil {
		return err
	}
	if err := revenue("Referrals won in the quarter", strconv.Itoa(s.ReferralsWon)); err != nil {
		return err
	}
	for _, r := range s.Revenue {
		if err := cw.Write(append(text(s.Quarter.String(), "Revenue from referred clients", "", r.Currency), csvAmount(r.AmountCents))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvAmount writes cents as a plain dollar number with two decimals:
// -200000 → "-2000.00".
func csvAmount(c int64) string {
	s := commission.FormatDollars(c)
	if !strings.Contains(s, ".") {
		s += ".00"
	}
	return s
}
