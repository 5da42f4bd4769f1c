package ledger

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/allyway/allyway/internal/commission"
)

// The statement as PDF: the firm and partner, the quarter, the summary of
// each account, the referrals and revenue of the quarter and the entries
// table, with a footer saying when it was generated. It is drawn in the
// core Helvetica fonts, which are Windows-1252: every string goes through
// the document's translator (see statementPDF.text).

// Display helpers shared by the PDF, the CSV and the pages.

// EntryKindLabel names an entry on a statement: Commission, Top-up,
// Clawback, Adjustment, Payout (Received, for what the partner owes us).
func EntryKindLabel(e StatementEntry) string {
	switch {
	case e.Kind == KindAccrual && e.TopUpBP > 0:
		return "Top-up to " + commission.FormatBP(e.TopUpBP)
	case e.Kind == KindAccrual:
		return "Commission"
	case e.Kind == KindReversal:
		return "Clawback"
	case e.Kind == KindAdjustment:
		return "Adjustment"
	case e.Kind == KindPayout && e.Direction == commission.WeReceive:
		return "Received"
	case e.Kind == KindPayout:
		return "Payout"
	}
	return e.Kind
}

// EntryReferral is "R-1042 · Acme Dental", or "" when the entry has no referral.
func EntryReferral(e StatementEntry) string {
	if e.ReferralNumber == nil {
		return ""
	}
	s := "R-" + strconv.FormatInt(*e.ReferralNumber, 10)
	if e.ClientCompany != nil && *e.ClientCompany != "" {
		s += " · " + *e.ClientCompany
	}
	return s
}

// EntryTrace says what an entry comes from: the client payment and the
// agreement version ("Client payment of $20,000.00 on 1 Feb 2026 (INV-1),
// agreement version 1"), or an adjustment's reason.
func EntryTrace(e StatementEntry) string {
	var parts []string
	if e.PaymentCents != nil && e.PaymentOn != nil {
		what := "Client payment"
		if *e.PaymentCents < 0 {
			what = "Client refund"
		}
		p := what + " of " + commission.FormatCents(*e.PaymentCents) + " on " + e.PaymentOn.Format(statementDay)
		if e.PaymentRef != nil && *e.PaymentRef != "" {
			p += " (" + *e.PaymentRef + ")"
		}
		parts = append(parts, p)
	}
	if e.AgreementVersion != nil {
		parts = append(parts, "agreement version "+strconv.Itoa(int(*e.AgreementVersion)))
	}
	if e.Reason != "" && e.Kind == KindAdjustment && !strings.Contains(e.Explanation, e.Reason) {
		parts = append(parts, "reason: "+e.Reason)
	}
	return strings.Join(parts, ", ")
}

// Money is an amount with its currency: "$4,000.00 USD".
func Money(cents int64, currency string) string {
	return commission.FormatCents(cents) + " " + currency
}

// statementDay is how statements write a day.
const statementDay = "2 Jan 2006"

// RevisedNote says when the live figures differ from the issued ones, "" otherwise.
func (s Statement) RevisedNote() string {
	if !s.Revised || s.Issued == nil {
		return ""
	}
	return "Revised since it was issued on " + s.Issued.GeneratedAt.Format(statementDay) +
		": an entry dated in this quarter was recorded or corrected after that."
}

// PeriodNote is "Q3 2026: 1 Jul – 30 Sep 2026", with "to date (27 Nov 2026)"
// while the quarter is the current one.
func (s Statement) PeriodNote() string {
	n := s.Quarter.Label() + ": " + s.Quarter.Period()
	if s.ToDate {
		n += ", to date (" + s.Today.Format(statementDay) + ")"
	}
	return n
}

const (
	spMargin = 18.0
	spWidth  = 210.0 - 2*spMargin
	spLine   = 4.6 // body line height, mm
)

type statementPDF struct {
	*fpdf.Fpdf
	tr func(string) string
}

// text makes s safe for a core font: control characters become spaces,
// common symbols outside Windows-1252 are spelled out, then it is
// translated to the code page.
func (d *statementPDF) text(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.NewReplacer("→", "->", "←", "<-", "≤", "<=", "≥", ">=", "≠", "!=", "−", "-",
		"\u00a0", " ", "\u2009", " ", "\u202f", " ").Replace(s)
	return d.tr(s)
}

// StatementPDF renders the statement; generated is the moment printed in
// the footer.
func StatementPDF(s Statement, generated time.Time) ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	d := &statementPDF{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	title := "Commission statement " + s.Quarter.Label() + ": " + s.FirmName + " and " + s.PartnerName
	f.SetMargins(spMargin, spMargin, spMargin)
	f.SetAutoPageBreak(true, spMargin)
	f.SetTitle(title, true)
	f.SetAuthor(s.FirmName, true)
	f.SetCreator("Allyway", true)
	f.AliasNbPages("{nb}")
	footer := s.FirmName + " · Statement for " + s.PartnerName + ", " + s.Quarter.Label() +
		" · Generated " + generated.Format(statementDay)
	f.SetFooterFunc(func() {
		f.SetY(-spMargin + 6)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(0, 4, d.text(footer+" · Page "+strconv.Itoa(f.PageNo())+" of {nb}"), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	f.SetFont("Helvetica", "B", 18)
	f.MultiCell(spWidth, 8, d.text("Commission statement"), "", "L", false)
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(spWidth, 5.5, d.text("From "+s.FirmName+" to "+s.PartnerName), "", "L", false)
	f.MultiCell(spWidth, 5.5, d.text(s.PeriodNote()), "", "L", false)
	if n := s.RevisedNote(); n != "" {
		f.SetFont("Helvetica", "I", 9.5)
		f.SetTextColor(150, 60, 0)
		f.MultiCell(spWidth, spLine, d.text(n), "", "L", false)
		f.SetTextColor(0, 0, 0)
	}

	for _, a := range s.Accounts {
		d.heading(AccountTitle(a.Direction, a.Currency))
		for _, l := range StatementSummaryLines(a) {
			style, border := "", ""
			if l.Key == "closing" {
				style, border = "B", "T"
			}
			f.SetFont("Helvetica", style, 10)
			f.CellFormat(110, 6, d.text(l.Label), border, 0, "L", false, 0, "")
			f.CellFormat(40, 6, d.text(commission.FormatCents(l.Cents)), border, 1, "R", false, 0, "")
		}
	}

	d.heading("Referrals and revenue")
	f.SetFont("Helvetica", "", 10)
	d.pair("Referrals you sent us in the quarter", strconv.Itoa(s.ReferralsSubmitted))
	d.pair("Referrals won in the quarter", strconv.Itoa(s.ReferralsWon))
	if len(s.Revenue) == 0 {
		d.pair("Revenue from your referred clients", "none")
	}
	for _, r := range s.Revenue {
		d.pair("Revenue from your referred clients ("+r.Currency+")", commission.FormatCents(r.AmountCents))
	}

	d.heading("Entries of the quarter")
	if len(s.Entries) == 0 {
		f.SetFont("Helvetica", "", 10)
		f.MultiCell(spWidth, spLine, d.text("No entries in this quarter."), "", "L", false)
	} else {
		d.entries(s.Entries)
	}
	f.Ln(4)
	f.SetFont("Helvetica", "", 8.5)
	f.SetTextColor(90, 90, 90)
	f.MultiCell(spWidth, 4, d.text("Each commission is counted on its client payment's date, an adjustment or top-up on the day it was "+
		"recorded and a payout on the day it was paid. Amounts are rounded half to even, to the cent, once per entry."), "", "L", false)
	f.SetTextColor(0, 0, 0)

	if f.Err() {
		return nil, fmt.Errorf("ledger: statement pdf: %w", f.Error())
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("ledger: statement pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func (d *statementPDF) heading(s string) {
	d.Ln(4)
	d.SetFont("Helvetica", "B", 12)
	d.SetTextColor(30, 60, 110)
	d.MultiCell(spWidth, 6, d.text(s), "", "L", false)
	d.SetTextColor(0, 0, 0)
	d.Ln(1)
}

func (d *statementPDF) pair(label, value string) {
	d.CellFormat(110, 6, d.text(label), "", 0, "L", false, 0, "")
	d.CellFormat(40, 6, d.text(value), "", 1, "R", false, 0, "")
}

// stmtCols are the entries table's columns: title, width (mm), alignment.
var stmtCols = []struct {
	title string
	w     float64
	align string
}{{"Date", 20, "L"}, {"Kind", 22, "L"}, {"Referral", 32, "L"}, {"Explanation", 58, "L"}, {"Amount", 26, "R"}, {"Status", 16, "L"}}

func (d *statementPDF) entriesHeader() {
	d.SetFont("Helvetica", "B", 8.5)
	d.SetFillColor(235, 239, 245)
	for i, c := range stmtCols {
		ln := 0
		if i == len(stmtCols)-1 {
			ln = 1
		}
		d.CellFormat(c.w, 6, d.text(c.title), "B", ln, c.align, true, 0, "")
	}
}

// entries draws the entries table, a row per entry with wrapped cells,
// repeating the header on each new page.
func (d *statementPDF) entries(es []StatementEntry) {
	d.entriesHeader()
	_, pageH := d.GetPageSize()
	const lh = 3.9
	for _, e := range es {
		explanation := e.Explanation
		if t := EntryTrace(e); t != "" {
			explanation += " (" + t + ")"
		}
		cells := []string{e.On.Format(statementDay), EntryKindLabel(e), EntryReferral(e), explanation,
			Money(e.AmountCents, e.Currency), e.Status}
		d.SetFont("Helvetica", "", 8.5)
		lines := make([][][]byte, len(cells))
		n := 1
		for i, c := range cells {
			lines[i] = d.SplitLines([]byte(d.text(c)), stmtCols[i].w)
			if len(lines[i]) > n {
				n = len(lines[i])
			}
		}
		h := float64(n)*lh + 1.6
		if d.GetY()+h > pageH-spMargin-4 {
			d.AddPage()
			d.entriesHeader()
			d.SetFont("Helvetica", "", 8.5)
		}
		x, y := spMargin, d.GetY()
		for i, c := range stmtCols {
			for j, l := range lines[i] {
				d.SetXY(x, y+0.8+float64(j)*lh)
				d.CellFormat(c.w, lh, string(l), "", 0, c.align, false, 0, "")
			}
			x += c.w
		}
		d.SetDrawColor(210, 210, 210)
		d.Line(spMargin, y+h, spMargin+spWidth, y+h)
		d.SetDrawColor(0, 0, 0)
		d.SetXY(spMargin, y+h)
	}
}
