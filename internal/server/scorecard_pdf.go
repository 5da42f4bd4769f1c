package server

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/scorecard"
	"github.com/allyway/allyway/web/view"
)

// The scorecard as a PDF for the review meeting, in the statements' house
// style (internal/ledger/statement_pdf.go): the partner and quarter, the
// health score with its components and formula, the tier recommendation,
// the key figures against the previous quarter, the 8-quarter trend as a
// table with bars, the balance of trade and the open action items. Core
// Helvetica (Windows-1252): every string goes through scPDF.text.

// scorecardPDFInput is what the PDF shows.
type scorecardPDFInput struct {
	FirmName  string
	Card      scorecard.Scorecard
	Today     time.Time // the firm's day (for "to date")
	Actions   []view.ScorecardActionRow
	Generated time.Time
}

const (
	scpMargin = 18.0
	scpWidth  = 210.0 - 2*scpMargin
	scpLine   = 4.6
)

type scPDF struct {
	*fpdf.Fpdf
	tr func(string) string
}

// scpCol is a table column: title, width (mm), alignment.
type scpCol struct {
	title string
	w     float64
	align string
}

// scpRow is a table row; a group row spans the table in bold.
type scpRow struct {
	cells []string
	group bool
	bold  bool
}

// text makes s safe for a core font (see ledger's statement PDF).
func (d *scPDF) text(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.NewReplacer("→", "->", "←", "<-", "≤", "<=", "≥", ">=", "≠", "!=", "−", "-", "▲", "+", "▼", "-",
		"\u00a0", " ", "\u2009", " ", "\u202f", " ").Replace(s)
	return d.tr(s)
}

// scorecardPDF renders the scorecard.
func scorecardPDF(in scorecardPDFInput) ([]byte, error) {
	c := in.Card
	f := fpdf.New("P", "mm", "A4", "")
	d := &scPDF{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	title := "Partner scorecard " + c.Quarter.Label() + ": " + c.PartnerName
	f.SetMargins(scpMargin, scpMargin, scpMargin)
	f.SetAutoPageBreak(true, scpMargin)
	f.SetTitle(title, true)
	f.SetAuthor(in.FirmName, true)
	f.SetCreator("Allyway", true)
	f.AliasNbPages("{nb}")
	footer := in.FirmName + " · Scorecard of " + c.PartnerName + ", " + c.Quarter.Label() + " · Generated " + in.Generated.Format(dayFormat)
	f.SetFooterFunc(func() {
		f.SetY(-scpMargin + 6)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(0, 4, d.text(footer+" · Page "+strconv.Itoa(f.PageNo())+" of {nb}"), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	f.SetFont("Helvetica", "B", 18)
	f.MultiCell(scpWidth, 8, d.text("Partner scorecard"), "", "L", false)
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(scpWidth, 5.5, d.text(c.PartnerName+", a partner of "+in.FirmName), "", "L", false)
	period := c.Quarter.Label() + ": " + c.Quarter.Period()
	if t := scorecardToDate(c.Quarter, in.Today); t != "" {
		period += ", " + t
	}
	f.MultiCell(scpWidth, 5.5, d.text(period+" · money in "+c.Currency), "", "L", false)

	// Health.
	d.heading("Health score: " + strconv.Itoa(c.Health.Score) + " / 100")
	rows := make([]scpRow, 0, len(c.Health.Components)+1)
	weights := 0
	for _, comp := range c.Health.Components {
		value := comp.Value
		if comp.Explain != "" {
			value += " (" + comp.Explain + ")"
		}
		weights += comp.Weight
		rows = append(rows, scpRow{cells: []string{comp.Name, strconv.Itoa(comp.Weight), value, strconv.Itoa(comp.Points)}})
	}
	rows = append(rows, scpRow{cells: []string{"Total", strconv.Itoa(weights), "", strconv.Itoa(c.Health.Score)}, bold: true})
	d.table([]scpCol{{"Component", 38, "L"}, {"Weight", 16, "R"}, {"Value and how the points follow", 104, "L"}, {"Points", 16, "R"}}, rows)
	if c.Health.Formula != "" {
		d.note(c.Health.Formula)
	}

	// Recommendation.
	rec := scorecardRecView(c.Recommendation)
	d.heading("Tier recommendation: " + rec.Headline)
	f.SetFont("Helvetica", "", 10)
	if rec.Current != "" {
		d.para("Current tier: " + rec.Current + ".")
	}
	for _, r := range rec.Reasons {
		d.para("- " + r)
	}
	if rec.NextTier != "" {
		f.SetFont("Helvetica", "B", 10)
		d.para("To reach " + rec.NextTier + ":")
		f.SetFont("Helvetica", "", 10)
		if len(rec.NextNeeds) == 0 {
			d.para("- Already meets what " + rec.NextTier + " asks.")
		}
		for _, n := range rec.NextNeeds {
			d.para("- " + n)
		}
	} else if rec.NoNext != "" {
		d.para(rec.NoNext)
	}

	// Key figures.
	prev, hasPrev := scorecardPrev(c)
	d.heading("Key figures")
	rows = rows[:0]
	for _, g := range scorecardFigureGroups(c, prev, hasPrev, false) {
		rows = append(rows, scpRow{cells: []string{g.Title}, group: true})
		for _, fig := range g.Figures {
			label := fig.Label
			if fig.Note != "" {
				label += " (" + fig.Note + ")"
			}
			change := fig.Change
			if change == "" {
				change = "-"
			}
			rows = append(rows, scpRow{cells: []string{label, fig.Value, fig.Prev, change}})
		}
	}
	d.table([]scpCol{{"Figure", 82, "L"}, {c.Quarter.Label(), 32, "R"}, {prev.Quarter.Label(), 32, "R"}, {"Change", 28, "R"}}, rows)

	// Trend.
	d.heading("Trend over " + strconv.Itoa(len(c.Trend)) + " quarters")
	d.trend(c)

	// Reciprocity.
	r := scorecardReciprocityView(c)
	d.heading("Balance of trade, " + r.Period)
	f.SetFont("Helvetica", "", 10)
	d.para(r.Sentence + " Ratio: " + r.Ratio + ".")
	rows = rows[:0]
	for _, t := range r.Rows {
		rows = append(rows, scpRow{cells: []string{t.Label, t.FromThem, t.ToThem}})
	}
	d.table([]scpCol{{"", 74, "L"}, {"From the partner", 50, "R"}, {"To the partner", 50, "R"}}, rows)

	// Open action items.
	d.heading("Open action items (" + strconv.Itoa(len(in.Actions)) + ")")
	if len(in.Actions) == 0 {
		f.SetFont("Helvetica", "", 10)
		d.para("No open action items.")
	} else {
		rows = rows[:0]
		for _, a := range in.Actions {
			due := a.Due
			if a.Overdue {
				due += " (overdue)"
			}
			rows = append(rows, scpRow{cells: []string{a.Title, a.Owner, due, a.Review}})
		}
		d.table([]scpCol{{"Action item", 74, "L"}, {"Owner", 42, "L"}, {"Due", 30, "L"}, {"From", 28, "L"}}, rows)
	}

	if f.Err() {
		return nil, fmt.Errorf("scorecard pdf: %w", f.Error())
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("scorecard pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func (d *scPDF) heading(s string) {
	d.Ln(4)
	_, pageH := d.GetPageSize()
	if d.GetY()+20 > pageH-scpMargin {
		d.AddPage()
	}
	d.SetFont("Helvetica", "B", 12)
	d.SetTextColor(30, 60, 110)
	d.MultiCell(scpWidth, 6, d.text(s), "", "L", false)
	d.SetTextColor(0, 0, 0)
	d.Ln(1)
}

func (d *scPDF) para(s string) {
	d.MultiCell(scpWidth, scpLine, d.text(s), "", "L", false)
}

func (d *scPDF) note(s string) {
	d.Ln(1.5)
	d.SetFont("Helvetica", "", 8)
	d.SetTextColor(90, 90, 90)
	d.MultiCell(scpWidth, 3.6, d.text(s), "", "L", false)
	d.SetTextColor(0, 0, 0)
}

func (d *scPDF) tableHeader(cols []scpCol) {
	d.SetFont("Helvetica", "B", 8.5)
	d.SetFillColor(235, 239, 245)
	for i, c := range cols {
		ln := 0
		if i == len(cols)-1 {
			ln = 1
		}
		d.CellFormat(c.w, 6, d.text(c.title), "B", ln, c.align, true, 0, "")
	}
}

// table draws rows with wrapped cells, repeating the header on each new
// page.
func (d *scPDF) table(cols []scpCol, rows []scpRow) {
	d.tableHeader(cols)
	_, pageH := d.GetPageSize()
	const lh = 3.9
	for _, r := range rows {
		style := ""
		if r.group || r.bold {
			style = "B"
		}
		d.SetFont("Helvetica", style, 8.5)
		if r.group {
			if d.GetY()+2*lh+3 > pageH-scpMargin-4 {
				d.AddPage()
				d.tableHeader(cols)
				d.SetFont("Helvetica", "B", 8.5)
			}
			d.SetFillColor(246, 248, 251)
			d.CellFormat(scpWidth, lh+2, d.text(r.cells[0]), "", 1, "L", true, 0, "")
			continue
		}
		lines := make([][][]byte, len(cols))
		n := 1
		for i := range cols {
			cell := ""
			if i < len(r.cells) {
				cell = r.cells[i]
			}
			lines[i] = d.SplitLines([]byte(d.text(cell)), cols[i].w-1)
			if len(lines[i]) > n {
				n = len(lines[i])
			}
		}
		h := float64(n)*lh + 1.6
		if d.GetY()+h > pageH-scpMargin-4 {
			d.AddPage()
			d.tableHeader(cols)
			d.SetFont("Helvetica", style, 8.5)
		}
		x, y := scpMargin, d.GetY()
		for i, c := range cols {
			for j, l := range lines[i] {
				d.SetXY(x, y+0.8+float64(j)*lh)
				d.CellFormat(c.w, lh, string(l), "", 0, c.align, false, 0, "")
			}
			x += c.w
		}
		d.SetDrawColor(210, 210, 210)
		d.Line(scpMargin, y+h, scpMargin+scpWidth, y+h)
		d.SetDrawColor(0, 0, 0)
		d.SetXY(scpMargin, y+h)
	}
}

// trend draws the 8 quarters as a table with, per quarter, a bar for the
// referrals received (blue) and one for those sent (grey).
func (d *scPDF) trend(c scorecard.Scorecard) {
	cols := []scpCol{{"Quarter", 20, "L"}, {"Received", 17, "R"}, {"Sent", 14, "R"}, {"Won", 12, "R"}, {"Conversion", 20, "R"},
		{"Revenue from them", 31, "R"}, {"CSAT", 12, "R"}, {"  Received / sent", 48, "L"}}
	d.tableHeader(cols)
	var top int64 = 1
	for _, q := range c.Trend {
		top = max(top, q.ReferralsReceived, q.ReferralsSent)
	}
	const rowH = 6.0
	barMax := cols[len(cols)-1].w - 4
	_, pageH := d.GetPageSize()
	for _, q := range c.Trend {
		if d.GetY()+rowH > pageH-scpMargin-4 {
			d.AddPage()
			d.tableHeader(cols)
		}
		conv, csat := "-", "-"
		if q.ConversionBP != nil {
			conv = chart.BP.Full(*q.ConversionBP)
		}
		if q.CSATX10 != nil {
			csat = chart.Score.Full(*q.CSATX10)
		}
		cells := []string{q.Quarter.Label(), chart.Count.Full(q.ReferralsReceived), chart.Count.Full(q.ReferralsSent),
			chart.Count.Full(q.WonReceived), conv, chart.Cents.Full(q.RevenueReceivedCents), csat}
		d.SetFont("Helvetica", "", 8.5)
		x, y := scpMargin, d.GetY()
		for i, cell := range cells {
			d.SetXY(x, y)
			d.CellFormat(cols[i].w, rowH, d.text(cell), "", 0, cols[i].align, false, 0, "")
			x += cols[i].w
		}
		bx := x + 3
		if w := barMax * float64(q.ReferralsReceived) / float64(top); w > 0 {
			d.SetFillColor(29, 90, 166)
			d.Rect(bx, y+1, w, 1.8, "F")
		}
		if w := barMax * float64(q.ReferralsSent) / float64(top); w > 0 {
			d.SetFillColor(150, 150, 150)
			d.Rect(bx, y+3.2, w, 1.8, "F")
		}
		d.SetDrawColor(210, 210, 210)
		d.Line(scpMargin, y+rowH, scpMargin+scpWidth, y+rowH)
		d.SetDrawColor(0, 0, 0)
		d.SetXY(scpMargin, y+rowH)
	}
	d.note("Bars: referrals received from the partner (blue, upper) and sent to it (grey, lower), against the largest quarter (" +
		strconv.FormatInt(top, 10) + "). Conversion: won of decided referrals from the partner. CSAT: referred clients' average (1-5). " +
		"Revenue in " + c.Currency + ".")
}
