package agreement

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/allyway/allyway/internal/commission"
)

// The written agreement. Its wording is built once, as sections of
// labelled clauses (FullSections, MOUSections), and drawn three ways: as
// PDF here (MOUPDF, FullPDF), as the print-friendly page and in the
// partner portal. So the PDF a partner downloads says what the page they
// accepted said.

// DocClause is one labelled statement of the agreement: "Payment terms" —
// "Payable when the client pays, within 30 days (net 30)."
type DocClause struct {
	Label string
	Text  string
}

// DocSection is one heading of the agreement with its clauses.
type DocSection struct {
	Heading string
	Clauses []DocClause
}

// AcceptanceText describes the version's acceptance record in one sentence:
// who accepted, when, how and from where — or that it was declined, or is
// not accepted yet.
func AcceptanceText(a Agreement) string {
	switch {
	case a.AcceptedAt != nil:
		name := docOr(a.AcceptedName, "the partner")
		switch a.AcceptedVia {
		case "recorded":
			return fmt.Sprintf("Signed outside Allyway; recorded as accepted by %s on %s.", name, docMoment(*a.AcceptedAt))
		default:
			s := fmt.Sprintf("Accepted by %s on %s in the partner portal", name, docMoment(*a.AcceptedAt))
			if a.AcceptedIP != "" {
				s += " (from IP address " + a.AcceptedIP + ")"
			}
			return s + "."
		}
	case a.DeclinedAt != nil:
		s := "Declined on " + docMoment(*a.DeclinedAt)
		if a.DeclinedReason != "" {
			s += ". Reason given: " + a.DeclinedReason
		}
		return strings.TrimSuffix(s, ".") + "."
	default:
		return "Not yet accepted."
	}
}

// docModel is the partnership model as people name it.
func docModel(model string) string {
	if l, ok := ModelLabels[model]; ok {
		return l
	}
	return model
}

// PaymentText says when commission is payable: "Payable when the client
// pays, within 30 days (net 30)."
func PaymentText(trigger string, netDays int) string {
	when := map[string]string{
		"client_payment": "when the client pays",
		"project_start":  "when the project starts",
		"completion":     "when the project is completed",
		"monthly":        "monthly, for retainers",
	}[trigger]
	if when == "" {
		when = "on " + strings.ReplaceAll(trigger, "_", " ")
	}
	if netDays == 0 {
		return "Payable " + when + ", immediately (net 0)."
	}
	return fmt.Sprintf("Payable %s, within %s (net %d).", when, docPlural(netDays, "day", "days"), netDays)
}

// TermText says how long the version runs, whether it renews and the
// notice to end it.
func TermText(a Agreement) string {
	var b strings.Builder
	if a.EffectiveTo != nil {
		fmt.Fprintf(&b, "From %s to %s", docDate(a.EffectiveFrom), docDate(*a.EffectiveTo))
		if m := TermMonthsOf(a.EffectiveFrom, a.EffectiveTo); m > 0 {
			fmt.Fprintf(&b, " (%s)", docPlural(m, "month", "months"))
		}
		b.WriteString(".")
		if a.AutoRenew {
			fmt.Fprintf(&b, " Renews automatically for %s at a time unless either party gives notice.", docPlural(a.RenewalMonths, "month", "months"))
		} else {
			b.WriteString(" Does not renew automatically.")
		}
	} else {
		fmt.Fprintf(&b, "From %s, with no fixed end.", docDate(a.EffectiveFrom))
	}
	if a.TerminationNoticeDays > 0 {
		notice := docPlural(a.TerminationNoticeDays, "day's", "days'")
		fmt.Fprintf(&b, " Either party may end it with %s written notice.", notice)
	} else {
		b.WriteString(" Either party may end it at any time, without notice.")
	}
	return b.String()
}

// ExclusivityText says whether and how the partnership is exclusive.
func ExclusivityText(a Agreement) string {
	if a.Exclusivity == "" || a.Exclusivity == "none" {
		return "Non-exclusive: both parties may work with others."
	}
	by := map[string]string{"service_category": "service category", "geography": "geography", "industry": "industry"}[a.Exclusivity]
	if by == "" {
		by = a.Exclusivity
	}
	s := "Exclusive by " + by
	if len(a.ExclusivityScope) > 0 {
		s += ": " + strings.Join(a.ExclusivityScope, ", ")
	}
	return s + "."
}

// TerritoriesText lists the territories and markets, or says there are none.
func TerritoriesText(a Agreement) string {
	if len(a.Territories) == 0 {
		return "No territorial limits."
	}
	return strings.Join(a.Territories, ", ") + "."
}

// RuleInWords says one commission rule as a sentence, naming who pays
// whom: "Northwind pays Brightline 10% of client payments on the first
// project."
func RuleInWords(r commission.Rule, firmName, partnerName string) string {
	payer, payee := firmName, partnerName
	if r.Direction == commission.WeReceive {
		payer, payee = partnerName, firmName
	}
	pct := commission.FormatBP
	var s string
	switch r.Kind {
	case commission.PercentFirstProject:
		s = fmt.Sprintf("%s pays %s %s of client payments on the first project", payer, payee, pct(r.RateBP))
	case commission.PercentOngoing:
		if r.Months > 0 {
			s = fmt.Sprintf("%s pays %s %s of every client payment for %s from the start of the first project",
				payer, payee, pct(r.RateBP), docPlural(r.Months, "month", "months"))
		} else {
			s = fmt.Sprintf("%s pays %s %s of every client payment for as long as the client stays active", payer, payee, pct(r.RateBP))
		}
	case commission.FlatFee:
		s = fmt.Sprintf("%s pays %s a flat fee of %s for each won referral", payer, payee, commission.FormatCents(r.AmountCents))
	case commission.TieredVolume:
		period := "in the calendar year"
		if r.Period == commission.Trailing12Months {
			period = "in the last 12 months"
		}
		tiers := docSortedTiers(r.Tiers, func(t commission.Tier) int64 { return t.MinReferrals })
		steps := make([]string, len(tiers))
		for i, t := range tiers {
			steps[i] = fmt.Sprintf("%s from the %s", pct(t.RateBP), commission.Ordinal(t.MinReferrals))
			if i == 0 {
				steps[i] += " won referral"
			}
		}
		s = fmt.Sprintf("%s pays %s a share of client payments that grows with the referrals won %s: %s",
			payer, payee, period, strings.Join(steps, ", "))
		if r.Mode == commission.Retroactive {
			s += "; the rate reached applies to every referral of the period"
		} else {
			s += "; each rate applies from the referral that reaches it"
		}
	case commission.TieredConversion:
		tiers := docSortedTiers(r.Tiers, func(t commission.Tier) int64 { return t.MinConversionBP })
		steps := make([]string, len(tiers))
		for i, t := range tiers {
			steps[i] = fmt.Sprintf("%s from a %s conversion rate", pct(t.RateBP), pct(t.MinConversionBP))
		}
		s = fmt.Sprintf("%s pays %s a share of client payments set by %s's conversion rate over the last %s: %s",
			payer, payee, partnerName, docPlural(r.WindowMonths, "month", "months"), strings.Join(steps, ", "))
	case commission.CoDeliverySplit:
		s = fmt.Sprintf("Co-delivered work: %s receives %s of the engagement's revenue and %s keeps %s",
			payee, pct(r.PartnerShareBP), payer, pct(commission.BPScale-r.PartnerShareBP))
		if r.MarkupBP > 0 {
			s += fmt.Sprintf(", and %s keeps a %s markup out of %s's share", payer, pct(r.MarkupBP), payee)
		}
	case commission.ReciprocityOnly:
		s = "No money changes hands; each referral counts towards reciprocity"
	default:
		s = "A rule of kind " + string(r.Kind)
	}
	var bounds []string
	if r.CapCents != nil {
		bounds = append(bounds, "at most "+commission.FormatCents(*r.CapCents))
	}
	if r.MinCents != nil && *r.MinCents > 0 {
		bounds = append(bounds, "at least "+commission.FormatCents(*r.MinCents))
	}
	if len(bounds) > 0 {
		s += " (" + strings.Join(bounds, " and ") + " per payment)"
	}
	return s + "."
}

func docSortedTiers(ts []commission.Tier, key func(commission.Tier) int64) []commission.Tier {
	out := append([]commission.Tier(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// MoneyClauses says the version's rules in words, by direction: what the
// firm pays for what the partner refers, and what the partner pays for
// what the firm refers. A direction without rules is said too.
func MoneyClauses(a Agreement, firmName, partnerName string) []DocClause {
	var in, out []string
	for _, r := range a.Rules {
		if r.Direction == commission.WeReceive {
			out = append(out, RuleInWords(r, firmName, partnerName))
		} else {
			in = append(in, RuleInWords(r, firmName, partnerName))
		}
	}
	none := "No money terms: referrals this way are not paid for."
	return []DocClause{
		{Label: "Clients " + partnerName + " refers to " + firmName, Text: docOr(strings.Join(in, "\n"), none)},
		{Label: "Clients " + firmName + " refers to " + partnerName, Text: docOr(strings.Join(out, "\n"), none)},
	}
}

// FullSections is the whole agreement: parties, scope, referral and
// revenue-share terms in both directions, payment terms, exclusivity and
// territories, governance, confidentiality and data protection, term and
// termination, dispute resolution, the acceptance record, and the version
// with its effective dates. Terms left empty say so ("Not stated").
func FullSections(a Agreement, firmName, partnerName string) []DocSection {
	t := a.Terms
	g := t.Governance
	scope := []DocClause{
		{Label: "What " + firmName + " refers to " + partnerName, Text: docNotStated(t.WeReferToThem)},
		{Label: "What " + partnerName + " refers to " + firmName, Text: docNotStated(t.TheyReferToUs)},
		{Label: "Off limits", Text: docNotStated(t.OffLimits)},
	}
	if l, ok := InvolvementByKey(t.Involvement); ok {
		scope = append(scope, DocClause{Label: "Involvement of the referring party", Text: l.Label + "."})
	}
	if t.Reciprocal {
		scope = append(scope, DocClause{Label: "Reciprocity", Text: "Both parties refer clients to each other."})
	}
	cadence := "Not stated"
	if g.CheckinCadenceDays > 0 {
		cadence = "Every " + docPlural(g.CheckinCadenceDays, "day", "days") + "."
	}
	conf := []DocClause{
		{Label: "Confidentiality", Text: docNotStated(t.Confidentiality)},
		{Label: "Data protection", Text: docNotStated(t.DataProtection)},
	}
	if t.ClientDisclosure != "" {
		conf = append(conf, DocClause{Label: "Disclosure to clients", Text: t.ClientDisclosure})
	}
	term := []DocClause{{Label: "Term", Text: TermText(a)}}
	if t.AnnualReview {
		term = append(term, DocClause{Label: "Annual review", Text: "The parties review this agreement every year."})
	}
	version := []DocClause{
		{Label: "Version", Text: strconv.Itoa(a.Version) + " — " + a.Status.Label() + "."},
		{Label: "In force", Text: docInForce(a)},
	}
	if a.ChangeNote != "" {
		version = append(version, DocClause{Label: "What changed", Text: a.ChangeNote})
	}
	if a.SentAt != nil {
		version = append(version, DocClause{Label: "Sent for acceptance", Text: docMoment(*a.SentAt) + "."})
	}
	if a.EndedAt != nil {
		s := "Ended on " + docMoment(*a.EndedAt)
		if a.EndedReason != "" {
			s += ": " + a.EndedReason
		}
		version = append(version, DocClause{Label: "Ended", Text: strings.TrimSuffix(s, ".") + "."})
	}
	return []DocSection{
		{Heading: "1. Parties", Clauses: []DocClause{
			{Label: "The firm", Text: firmName},
			{Label: "The partner", Text: partnerName},
			{Label: "Partnership model", Text: docModel(a.Model)},
		}},
		{Heading: "2. Scope", Clauses: scope},
		{Heading: "3. Referral and revenue-share terms", Clauses: MoneyClauses(a, firmName, partnerName)},
		{Heading: "4. Payment terms", Clauses: []DocClause{{Label: "Payment", Text: PaymentText(a.PaymentTrigger, a.PaymentNetDays)}}},
		{Heading: "5. Exclusivity and territories", Clauses: []DocClause{
			{Label: "Exclusivity", Text: ExclusivityText(a)},
			{Label: "Territories and markets", Text: TerritoriesText(a)},
		}},
		{Heading: "6. Governance", Clauses: []DocClause{
			{Label: "Check-ins", Text: cadence},
			{Label: "Escalation at " + firmName, Text: docNotStated(g.OurEscalation)},
			{Label: "Escalation at " + partnerName, Text: docNotStated(g.TheirEscalation)},
			{Label: "Who decides on accepting a referred client", Text: docNotStated(g.ClientAcceptance)},
			{Label: "Who decides on scope changes", Text: docNotStated(g.ScopeChanges)},
		}},
		{Heading: "7. Confidentiality and data protection", Clauses: conf},
		{Heading: "8. Term and termination", Clauses: term},
		{Heading: "9. Dispute resolution", Clauses: []DocClause{{Label: "Disputes", Text: docNotStated(t.DisputeResolution)}}},
		{Heading: "10. Acceptance", Clauses: []DocClause{{Label: "Record", Text: AcceptanceText(a)}}},
		{Heading: "11. Version and effective dates", Clauses: version},
	}
}

// MOUSections is the one-page memorandum of understanding: parties, model,
// scope, money in words, payment terms, exclusivity and term. The
// acceptance block is drawn separately. Long texts are cut to clip runes
// (0: not cut) and the rules to maxRules, pointing to the full agreement.
func MOUSections(a Agreement, firmName, partnerName string, clip, maxRules int) []DocSection {
	t := a.Terms
	cut := func(s string) string { return docClip(docNotStated(s), clip) }
	money := MoneyClauses(a, firmName, partnerName)
	if maxRules > 0 && len(a.Rules) > maxRules {
		b := a
		b.Rules = a.Rules[:maxRules]
		money = MoneyClauses(b, firmName, partnerName)
		money = append(money, DocClause{Label: "More", Text: docPlural(len(a.Rules)-maxRules, "more rule is", "more rules are") + " in the full agreement."})
	}
	for i := range money {
		money[i].Text = docClipLines(money[i].Text, clip)
	}
	return []DocSection{
		{Heading: "Parties", Clauses: []DocClause{
			{Label: "Between", Text: firmName + " and " + partnerName},
			{Label: "Partnership model", Text: docModel(a.Model)},
		}},
		{Heading: "Scope", Clauses: []DocClause{
			{Label: "What " + firmName + " refers to " + partnerName, Text: cut(t.WeReferToThem)},
			{Label: "What " + partnerName + " refers to " + firmName, Text: cut(t.TheyReferToUs)},
			{Label: "Off limits", Text: cut(t.OffLimits)},
		}},
		{Heading: "Money", Clauses: money},
		{Heading: "Payment, exclusivity and term", Clauses: []DocClause{
			{Label: "Payment terms", Text: PaymentText(a.PaymentTrigger, a.PaymentNetDays)},
			{Label: "Exclusivity", Text: docClip(ExclusivityText(a)+" Territories: "+TerritoriesText(a), clip)},
			{Label: "Term", Text: TermText(a)},
		}},
	}
}

func docInForce(a Agreement) string {
	switch {
	case !a.Status.WasInForce():
		s := "Not in force"
		if a.Status == StatusDraft || a.Status == StatusSent {
			s += "; would take effect on " + docDate(a.EffectiveFrom)
			if a.EffectiveTo != nil {
				s += " and run to " + docDate(*a.EffectiveTo)
			}
		}
		return s + "."
	case a.EffectiveTo != nil:
		return "From " + docDate(a.EffectiveFrom) + " to " + docDate(*a.EffectiveTo) + "."
	default:
		return "From " + docDate(a.EffectiveFrom) + ", with no fixed end."
	}
}

// DocumentTitle is the heading of the full agreement: "Partnership
// agreement between Northwind Advisory and Brightline Tax".
func DocumentTitle(firmName, partnerName string) string {
	return "Partnership agreement between " + firmName + " and " + partnerName
}

// DocumentFileName is a safe download name: "northwind-advisory_brightline-tax_v2_mou.pdf".
// Only ASCII letters, digits and hyphens survive from the names.
func DocumentFileName(firmName, partnerName string, version int, kind string) string {
	slug := func(s string) string {
		var b strings.Builder
		dash := false
		for _, r := range strings.ToLower(docFoldASCII(s)) {
			if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(r)
				dash = false
			} else if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
			if b.Len() >= 40 {
				break
			}
		}
		return docOr(strings.Trim(b.String(), "-"), "agreement")
	}
	return fmt.Sprintf("%s_%s_v%d_%s.pdf", slug(firmName), slug(partnerName), version, slug(kind))
}

// foldASCII turns the accented Latin letters of names into plain ones for
// file names: "Müller & Søn" → "Muller & Son".
func docFoldASCII(s string) string {
	return strings.NewReplacer(
		"ä", "a", "á", "a", "à", "a", "â", "a", "ã", "a", "å", "a", "æ", "ae",
		"Ä", "A", "Á", "A", "À", "A", "Â", "A", "Ã", "A", "Å", "A", "Æ", "AE",
		"ç", "c", "Ç", "C", "é", "e", "è", "e", "ê", "e", "ë", "e", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
		"í", "i", "ì", "i", "î", "i", "ï", "i", "Í", "I", "Ì", "I", "Î", "I", "Ï", "I",
		"ñ", "n", "Ñ", "N", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe",
		"Ó", "O", "Ò", "O", "Ô", "O", "Õ", "O", "Ö", "O", "Ø", "O", "Œ", "OE",
		"ú", "u", "ù", "u", "û", "u", "ü", "u", "Ú", "U", "Ù", "U", "Û", "U", "Ü", "U",
		"ý", "y", "ÿ", "y", "Ý", "Y", "ß", "ss", "&", "and",
	).Replace(s)
}

// ---- PDF -------------------------------------------------------------------

// pdfDoc draws text in the core Helvetica fonts, which are Windows-1252:
// every string goes through tr, which maps what the code page has ("ü",
// "–", "€", "’") and replaces the rest.
type pdfDoc struct {
	*fpdf.Fpdf
	tr   func(string) string
	size float64 // body font size in points
}

const (
	pdfMargin = 20.0 // mm
	pdfWidth  = 210.0 - 2*pdfMargin
)

func newPDFDoc(title, footer string, size float64) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{Fpdf: f, tr: f.UnicodeTranslatorFromDescriptor(""), size: size}
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin)
	f.SetTitle(title, true)
	f.SetCreator("Allyway", true)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-pdfMargin + 6)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(0, 4, d.text(footer+" · Page "+strconv.Itoa(f.PageNo())+" of {nb}"), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return d
}

// text makes s safe for a core font: line endings normalised, tabs and
// other control characters turned into spaces, common symbols outside
// Windows-1252 spelled out, then translated to the code page.
func (d *pdfDoc) text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.NewReplacer("→", "->", "←", "<-", "≤", "<=", "≥", ">=", "≠", "!=", "✓", "v", "−", "-",
		"\u00a0", " ", "\u2009", " ", "\u202f", " ").Replace(s)
	return d.tr(s)
}

func (d *pdfDoc) heading(s string, size float64) {
	d.SetFont("Helvetica", "B", size)
	d.MultiCell(pdfWidth, size*0.5, d.text(s), "", "L", false)
}

func (d *pdfDoc) section(s DocSection) {
	d.Ln(d.size * 0.3)
	d.SetFont("Helvetica", "B", d.size+1.5)
	d.SetTextColor(30, 60, 110)
	d.MultiCell(pdfWidth, (d.size+1.5)*0.5, d.text(s.Heading), "", "L", false)
	d.SetTextColor(0, 0, 0)
	d.Ln(d.size * 0.1)
	for _, c := range s.Clauses {
		d.clause(c)
	}
}

func (d *pdfDoc) clause(c DocClause) {
	lh := d.size * 0.45
	d.SetFont("Helvetica", "B", d.size)
	d.MultiCell(pdfWidth, lh, d.text(c.Label), "", "L", false)
	d.SetFont("Helvetica", "", d.size)
	d.MultiCell(pdfWidth, lh, d.text(c.Text), "", "L", false)
	d.Ln(lh * 0.35)
}

// acceptanceBlock is the signature and acceptance box: the record (when
// withRecord; the full agreement has it as a section already), and blank
// lines to sign on paper while the version is not accepted.
func (d *pdfDoc) acceptanceBlock(a Agreement, firmName, partnerName string, withRecord bool) {
	if !withRecord && a.AcceptedAt != nil {
		return
	}
	lh := d.size * 0.45
	d.Ln(lh)
	d.SetDrawColor(150, 150, 150)
	d.Line(pdfMargin, d.GetY(), pdfMargin+pdfWidth, d.GetY())
	d.Ln(lh * 0.6)
	d.SetFont("Helvetica", "B", d.size+1.5)
	if withRecord {
		d.MultiCell(pdfWidth, (d.size+1.5)*0.5, d.text("Acceptance"), "", "L", false)
		d.SetFont("Helvetica", "", d.size)
		d.MultiCell(pdfWidth, lh, d.text(AcceptanceText(a)), "", "L", false)
	} else {
		d.MultiCell(pdfWidth, (d.size+1.5)*0.5, d.text("Signatures"), "", "L", false)
	}
	if a.AcceptedAt != nil {
		return
	}
	d.Ln(lh * 2)
	half := pdfWidth/2 - 5
	y := d.GetY()
	for i, who := range []string{firmName, partnerName} {
		x := pdfMargin + float64(i)*(half+10)
		d.Line(x, y, x+half, y)
		d.SetXY(x, y+1)
		d.SetFont("Helvetica", "", d.size-1.5)
		d.MultiCell(half, lh, d.text("For "+who+": name, signature and date"), "", "L", false)
	}
}

func (d *pdfDoc) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		return nil, fmt.Errorf("agreement: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// mouFit is one attempt at fitting the MOU on a page: a body font size, a
// cut for long texts and a most number of rules listed.
type mouFit struct {
	size     float64
	clip     int
	maxRules int
}

var mouFits = []mouFit{{10, 700, 8}, {9, 400, 6}, {8, 240, 4}, {7.5, 140, 3}, {7, 90, 2}}

// MOUPDF renders the one-page memorandum of understanding: parties, model,
// scope, money in words, payment terms, exclusivity, term, and the
// acceptance block ("Accepted by … on …", or "Not yet accepted" with lines
// to sign). Long agreements are set smaller and cut, pointing to the full
// agreement, so it stays on one page.
func MOUPDF(a Agreement, firmName, partnerName string) ([]byte, error) {
	var d *pdfDoc
	for _, fit := range mouFits {
		d = renderMOU(a, firmName, partnerName, fit)
		if d.Err() {
			return nil, fmt.Errorf("agreement: pdf: %w", d.Error())
		}
		if d.PageNo() == 1 {
			break
		}
	}
	return d.bytes()
}

func renderMOU(a Agreement, firmName, partnerName string, fit mouFit) *pdfDoc {
	footer := firmName + " and " + partnerName + " · Memorandum of understanding · Version " + strconv.Itoa(a.Version)
	d := newPDFDoc("Memorandum of understanding: "+firmName+" and "+partnerName, footer, fit.size)
	d.heading("Memorandum of understanding", fit.size+8)
	d.SetFont("Helvetica", "", fit.size+1)
	d.MultiCell(pdfWidth, (fit.size+1)*0.5, d.text(firmName+" and "+partnerName+" · Version "+strconv.Itoa(a.Version)+
		" · "+a.Status.Label()), "", "L", false)
	if a.Title != "" {
		d.MultiCell(pdfWidth, (fit.size+1)*0.5, d.text(docClip(a.Title, fit.clip)), "", "L", false)
	}
	for _, s := range MOUSections(a, firmName, partnerName, fit.clip, fit.maxRules) {
		d.section(s)
	}
	d.acceptanceBlock(a, firmName, partnerName, true)
	return d
}

// FullPDF renders the full agreement, every section of FullSections (the
// acceptance record among them), over as many pages as it takes, with
// lines to sign at the end while it is not accepted.
func FullPDF(a Agreement, firmName, partnerName string) ([]byte, error) {
	footer := firmName + " and " + partnerName + " · Partnership agreement · Version " + strconv.Itoa(a.Version)
	d := newPDFDoc(DocumentTitle(firmName, partnerName), footer, 10)
	d.heading("Partnership agreement", 18)
	d.SetFont("Helvetica", "", 11)
	d.MultiCell(pdfWidth, 5.5, d.text(firmName+" and "+partnerName), "", "L", false)
	sub := "Version " + strconv.Itoa(a.Version) + " · " + a.Status.Label()
	if a.Title != "" {
		sub = a.Title + " · " + sub
	}
	d.MultiCell(pdfWidth, 5.5, d.text(sub), "", "L", false)
	for _, s := range FullSections(a, firmName, partnerName) {
		d.section(s)
	}
	d.acceptanceBlock(a, firmName, partnerName, false)
	if d.Err() {
		return nil, fmt.Errorf("agreement: pdf: %w", d.Error())
	}
	return d.bytes()
}

// ---- words -----------------------------------------------------------------

func docDate(t time.Time) string { return t.Format("2 January 2006") }

func docMoment(t time.Time) string { return t.UTC().Format("2 January 2006 at 15:04 UTC") }

func docPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func docOr(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func docNotStated(s string) string { return docOr(strings.TrimSpace(s), "Not stated.") }

// clipText cuts s to at most n runes at a word boundary, with "…" (n ≤ 0:
// not cut).
func docClip(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n"); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.\n") + "… (see the full agreement)"
}

// clipLines cuts each line of s on its own.
func docClipLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = docClip(l, n)
	}
	return strings.Join(lines, "\n")
}
