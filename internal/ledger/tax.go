package ledger

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/db"
)

// Partners' tax details and the yearly tax summary (US 1099-NEC).
//
// The tax id is sensitive: it is stored in full but leaves the database
// only through ExportTaxYear (the finance export). Every other read asks
// PostgreSQL for the id's shape and its last characters, never the id, and
// TaxDetails has no field that could carry it.

// Tax classifications (as on a W-9; non_us for foreign payees).
const (
	ClassIndividual     = "individual"
	ClassSoleProprietor = "sole_proprietor"
	ClassPartnership    = "partnership"
	ClassCCorporation   = "c_corporation"
	ClassSCorporation   = "s_corporation"
	ClassLLC            = "llc"
	ClassNonUS          = "non_us"
	ClassOther          = "other"
)

// Tax id kinds.
const (
	TaxIDSSN   = "ssn"
	TaxIDEIN   = "ein"
	TaxIDITIN  = "itin"
	TaxIDVAT   = "vat"
	TaxIDOther = "other"
)

// Tax forms on file.
const (
	FormNone   = "none"
	FormW9     = "w9"
	FormW8BEN  = "w8ben"
	FormW8BENE = "w8bene"
)

// Threshold1099 is the yearly amount paid (USD cents) from which a US
// payee gets a 1099-NEC.
const Threshold1099 = 60000

// TaxChoice is one value of a tax field with its label.
type TaxChoice struct{ Value, Label string }

// TaxClassifications, TaxIDKinds and TaxForms are the choices, in the
// order forms offer them.
var (
	TaxClassifications = []TaxChoice{
		{ClassIndividual, "Individual"},
		{ClassSoleProprietor, "Sole proprietor"},
		{ClassPartnership, "Partnership"},
		{ClassCCorporation, "C corporation"},
		{ClassSCorporation, "S corporation"},
		{ClassLLC, "LLC"},
		{ClassNonUS, "Non-US entity or person"},
		{ClassOther, "Other"},
	}
	TaxIDKinds = []TaxChoice{
		{TaxIDEIN, "EIN (US employer identification number)"},
		{TaxIDSSN, "SSN (US social security number)"},
		{TaxIDITIN, "ITIN (US individual taxpayer identification number)"},
		{TaxIDVAT, "VAT number"},
		{TaxIDOther, "Other tax number"},
	}
	TaxForms = []TaxChoice{
		{FormNone, "None yet"},
		{FormW9, "W-9"},
		{FormW8BEN, "W-8BEN"},
		{FormW8BENE, "W-8BEN-E"},
	}
)

// TaxLabel returns the label of a classification, tax id kind or form
// ("" stays "").
func TaxLabel(value string) string {
	for _, list := range [][]TaxChoice{TaxClassifications, TaxIDKinds, TaxForms} {
		for _, c := range list {
			if c.Value == value {
				if list[0].Value == TaxIDEIN { // kinds: the short name
					l, _, _ := strings.Cut(c.Label, " (")
					return l
				}
				return c.Label
			}
		}
	}
	return value
}

func isChoice(list []TaxChoice, v string) bool {
	return slices.ContainsFunc(list, func(c TaxChoice) bool { return c.Value == v })
}

// TaxDetails are a partner's tax details as anyone but the export sees
// them: the tax id only masked.
type TaxDetails struct {
	PartnerID      uuid.UUID
	LegalName      string
	Classification string
	Country        string // ISO 3166-1 alpha-2, upper case
	TaxIDKind      string
	MaskedTaxID    string // "••-•••6789"
	Address        string
	FormOnFile     string
	UpdatedBy      *uuid.UUID
	UpdatedAt      time.Time
}

// USPerson reports whether the payee is a US person for the 1099-NEC: a
// US country, or (living abroad) a US taxpayer id or a W-9, unless it
// says it is a non-US entity.
func (d TaxDetails) USPerson() bool {
	if d.Country == "US" {
		return true
	}
	if d.Classification == ClassNonUS {
		return false
	}
	return d.FormOnFile == FormW9 || usKind(d.TaxIDKind)
}

// Corporation reports whether the payee is a C or S corporation (exempt
// from the 1099-NEC).
func (d TaxDetails) Corporation() bool {
	return d.Classification == ClassCCorporation || d.Classification == ClassSCorporation
}

// Warnings are what is odd but allowed about the details: a US taxpayer
// id (or W-9) with a non-US country — a US person abroad is still a US
// payee, so it is kept and treated as one — and a missing form.
func (d TaxDetails) Warnings() []string {
	var out []string
	if d.Country != "US" && d.Classification != ClassNonUS && (usKind(d.TaxIDKind) || d.FormOnFile == FormW9) {
		out = append(out, "A US taxpayer id or W-9 with a non-US country ("+d.Country+"): this payee is treated as a US person for the 1099-NEC. Check the country.")
	}
	switch {
	case d.FormOnFile == FormNone && d.USPerson():
		out = append(out, "No W-9 on file yet: request one.")
	case d.FormOnFile == FormNone:
		out = append(out, "No W-8BEN (or W-8BEN-E) on file yet: request one.")
	}
	return out
}

func usKind(kind string) bool {
	return kind == TaxIDSSN || kind == TaxIDEIN || kind == TaxIDITIN
}

// taxIDSeparators are the characters a masked id keeps as they are.
const taxIDSeparators = "-./ "

// MaskTaxID hides all of a tax id but its last four characters, keeping
// its shape: "12-3456789" → "••-•••6789", "123-45-6789" → "•••-••-6789".
// A short id shows at most half of its characters.
func MaskTaxID(id string) string {
	var sig []rune
	var shape strings.Builder
	for _, r := range id {
		if strings.ContainsRune(taxIDSeparators, r) {
			shape.WriteRune(r)
			continue
		}
		sig = append(sig, r)
		shape.WriteRune('•')
	}
	return maskShape(shape.String(), string(sig[len(sig)-min(4, len(sig)/2):]))
}

// maskShape puts tail into the last bullets of shape.
func maskShape(shape, tail string) string {
	s, t := []rune(shape), []rune(tail)
	for i := len(s) - 1; i >= 0 && len(t) > 0; i-- {
		if s[i] == '•' {
			s[i], t = t[len(t)-1], t[:len(t)-1]
		}
	}
	return string(s)
}

// maskSQL reads a stored tax id (column expression c) as its shape and
// visible tail only — what MaskTaxID keeps — so the id itself never
// leaves PostgreSQL. Both are NULL when c is.
func maskSQL(c string) (shape, tail string) {
	sig := `regexp_replace(` + c + `, '[-./ ]', '', 'g')`
	return `regexp_replace(` + c + `, '[^-./ ]', '•', 'g')`, `right(` + sig + `, least(4, length(` + sig + `) / 2))`
}

var (
	maskShapeSQL, maskTailSQL = maskSQL("t.tax_id")
	taxSelect                 = `SELECT t.partner_id, t.legal_name, t.classification, t.country, t.tax_id_kind, ` +
		maskShapeSQL + `, ` + maskTailSQL + `, t.address, t.form_on_file, t.updated_by, t.updated_at FROM partner_tax_details t`
)

func scanTax(row pgx.Row) (TaxDetails, error) {
	var d TaxDetails
	var shape, tail string
	err := row.Scan(&d.PartnerID, &d.LegalName, &d.Classification, &d.Country, &d.TaxIDKind, &shape, &tail,
		&d.Address, &d.FormOnFile, &d.UpdatedBy, &d.UpdatedAt)
	d.MaskedTaxID = maskShape(shape, tail)
	return d, err
}

// GetTaxDetails returns the partner's tax details, masked. ENotFound when
// it has none (or is not the firm's, or — in the portal — not the
// signed-in partner).
func GetTaxDetails(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (TaxDetails, error) {
	d, err := scanTax(q.QueryRow(ctx, taxSelect+` WHERE t.tenant_id = $1 AND t.partner_id = $2`, tenantID, partnerID))
	if db.IsNoRows(err) {
		return TaxDetails{}, apperr.NotFound("Tax details")
	}
	if err != nil {
		return TaxDetails{}, apperr.Internal(err)
	}
	return d, nil
}

// TaxInput is what a form (staff or the partner's admin) submits. A blank
// TaxID keeps the stored one (forms never show it).
type TaxInput struct {
	PartnerID      uuid.UUID
	LegalName      string
	Classification string
	Country        string
	TaxIDKind      string
	TaxID          string
	Address        string
	FormOnFile     string
	By             uuid.UUID
}

// SaveTaxDetails creates or replaces the partner's tax details and audits
// the change (without the tax id or the address). ENotFound when the
// partner is not the firm's; EInvalid with a message per field (legal_name,
// classification, country, tax_id_kind, tax_id, address, form_on_file).
// A US taxpayer id with a non-US country is allowed (a US person abroad);
// see TaxDetails.Warnings.
func SaveTaxDetails(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in TaxInput) (TaxDetails, error) {
	if err := partnerExists(ctx, tx, tenantID, in.PartnerID); err != nil {
		return TaxDetails{}, err
	}
	var oldKind string
	err := tx.QueryRow(ctx, `SELECT tax_id_kind FROM partner_tax_details WHERE tenant_id = $1 AND partner_id = $2 FOR UPDATE`,
		tenantID, in.PartnerID).Scan(&oldKind)
	exists := err == nil
	if err != nil && !db.IsNoRows(err) {
		return TaxDetails{}, apperr.Internal(err)
	}
	in, fe := normaliseTax(in)
	if in.TaxID == "" && fe["tax_id"] == "" {
		switch {
		case !exists:
			fe["tax_id"] = "Required."
		case oldKind != in.TaxIDKind && fe["tax_id_kind"] == "":
			fe["tax_id"] = "Enter the tax id again: its kind changed."
		}
	}
	if len(fe) > 0 {
		return TaxDetails{}, apperr.Invalid(fe)
	}
	var taxID *string
	if in.TaxID != "" {
		taxID = &in.TaxID
	}
	args := []any{tenantID, in.PartnerID, in.LegalName, in.Classification, in.Country, in.TaxIDKind, taxID, in.Address,
		in.FormOnFile, nilIfZero(in.By)}
	if exists {
		_, err = tx.Exec(ctx, `UPDATE partner_tax_details SET legal_name = $3, classification = $4, country = $5,
				tax_id_kind = $6, tax_id = coalesce($7, tax_id), address = $8, form_on_file = $9, updated_by = $10, updated_at = now()
			WHERE tenant_id = $1 AND partner_id = $2`, args...)
	} else {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, `INSERT INTO partner_tax_details (tenant_id, partner_id, legal_name, classification, country,
				tax_id_kind, tax_id, address, form_on_file, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, partner_id) DO NOTHING`, args...)
		if err == nil && tag.RowsAffected() == 0 {
			return TaxDetails{}, apperr.Errorf(apperr.EConflict, "Someone else saved these tax details at the same time. Reload and try again.")
		}
	}
	if err != nil {
		return TaxDetails{}, apperr.Internal(err)
	}
	d, err := GetTaxDetails(ctx, tx, tenantID, in.PartnerID)
	if err != nil {
		return TaxDetails{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "tax.details.save", "partner", in.PartnerID.String(), map[string]any{
		"legal_name": d.LegalName, "classification": d.Classification, "country": d.Country,
		"tax_id_kind": d.TaxIDKind, "tax_id_changed": taxID != nil, "form_on_file": d.FormOnFile, "created": !exists,
	}); err != nil {
		return TaxDetails{}, apperr.Internal(err)
	}
	return d, nil
}

// normaliseTax trims and formats the input and checks each field.
func normaliseTax(in TaxInput) (TaxInput, map[string]string) {
	fe := map[string]string{}
	in.LegalName = strings.Join(strings.Fields(in.LegalName), " ")
	switch n := utf8.RuneCountInString(in.LegalName); {
	case n == 0:
		fe["legal_name"] = "Required: the name on the tax form."
	case n > 200:
		fe["legal_name"] = "Must be at most 200 characters."
	}
	if !isChoice(TaxClassifications, in.Classification) {
		fe["classification"] = "Choose a classification."
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	switch {
	case in.Country == "":
		fe["country"] = "Required: a two-letter country code, like US or GB."
	case len(in.Country) != 2 || !strings.Contains(isoCountries, " "+in.Country+" "):
		fe["country"] = "Use a two-letter ISO country code, like US, GB or DE."
	}
	if !isChoice(TaxIDKinds, in.TaxIDKind) {
		fe["tax_id_kind"] = "Choose the kind of tax id."
	}
	in.Address = strings.TrimSpace(strings.ReplaceAll(in.Address, "\r\n", "\n"))
	if utf8.RuneCountInString(in.Address) > 500 {
		fe["address"] = "Must be at most 500 characters."
	}
	if !isChoice(TaxForms, in.FormOnFile) {
		fe["form_on_file"] = "Choose the form on file."
	}
	if fe["tax_id_kind"] == "" {
		id, msg := normaliseTaxID(in.TaxIDKind, in.TaxID)
		in.TaxID = id
		if msg != "" {
			fe["tax_id"] = msg
		}
	}

	// The combinations a form would refuse.
	us := in.Country == "US"
	if fe["country"] == "" && fe["tax_id_kind"] == "" && us && !usKind(in.TaxIDKind) {
		fe["tax_id_kind"] = "A US payee's tax id is an EIN, SSN or ITIN."
	}
	if fe["tax_id_kind"] == "" && fe["classification"] == "" && (in.TaxIDKind == TaxIDSSN || in.TaxIDKind == TaxIDITIN) &&
		(in.Classification == ClassCCorporation || in.Classification == ClassSCorporation || in.Classification == ClassPartnership) {
		fe["tax_id_kind"] = "A corporation or partnership has an EIN, not an SSN or ITIN."
	}
	if fe["country"] == "" && fe["classification"] == "" && us && in.Classification == ClassNonUS {
		fe["classification"] = "A payee in the US is not non-US: choose the classification on its W-9."
	}
	if fe["country"] == "" && fe["form_on_file"] == "" && us && (in.FormOnFile == FormW8BEN || in.FormOnFile == FormW8BENE) {
		fe["form_on_file"] = "A US person gives a W-9, not a W-8."
	}
	if fe["classification"] == "" && fe["form_on_file"] == "" && in.Classification == ClassNonUS && in.FormOnFile == FormW9 {
		fe["form_on_file"] = "A non-US payee gives a W-8BEN or W-8BEN-E, not a W-9."
	}
	return in, fe
}

// normaliseTaxID checks and formats a typed tax id of a kind: US ids as
// NNN-NN-NNNN (SSN, ITIN) or NN-NNNNNNN (EIN), typed with or without the
// dashes; others 4–40 letters and digits (with - . / and spaces). "" stays
// "" (keep the stored one).
func normaliseTaxID(kind, raw string) (string, string) {
	raw = strings.Join(strings.Fields(raw), " ")
	if raw == "" {
		return "", ""
	}
	if usKind(kind) {
		digits := strings.Map(func(r rune) rune {
			if r == '-' || r == ' ' {
				return -1
			}
			return r
		}, raw)
		example := "123-45-6789"
		if kind == TaxIDEIN {
			example = "12-3456789"
		}
		if len(digits) != 9 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return raw, "Enter the 9 digits, like " + example + "."
		}
		if kind == TaxIDEIN {
			return digits[:2] + "-" + digits[2:], ""
		}
		area, group, serial := digits[:3], digits[3:5], digits[5:]
		switch {
		case kind == TaxIDITIN && area[0] != '9':
			return raw, "An ITIN starts with 9."
		case kind == TaxIDSSN && area[0] == '9':
			return raw, "An SSN never starts with 9 (that is an ITIN)."
		case kind == TaxIDSSN && (area == "000" || area == "666" || group == "00" || serial == "0000"):
			return raw, "That is not a valid SSN."
		}
		return area + "-" + group + "-" + serial, ""
	}
	sig := 0
	for _, r := range raw {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			sig++
		case strings.ContainsRune(taxIDSeparators, r):
		default:
			return raw, "Use letters and digits (and - . / or spaces) only."
		}
	}
	if sig < 4 || utf8.RuneCountInString(raw) > 40 {
		return raw, "Must be 4 to 40 characters."
	}
	return strings.ToUpper(raw), ""
}

// TaxTotal is what was paid to a partner in one currency.
type TaxTotal struct {
	Currency string
	Cents    int64
}

// TaxYearRow is one partner's line of the yearly summary.
type TaxYearRow struct {
	PartnerID   uuid.UUID
	PartnerName string
	Details     *TaxDetails // nil: no details yet
	Totals      []TaxTotal  // by currency
	Payouts     int         // paid payouts in the year
	USDCents    int64
	File1099    bool   // a 1099-NEC is due for the year
	Reason      string // why (or why not)
}

// TaxYear is the firm's yearly tax summary: every partner paid (we_pay
// payouts with status paid, by paid_on) in the calendar year.
type TaxYear struct {
	Year           int
	Rows           []TaxYearRow // by partner name
	ToFile         int          // rows with File1099
	MissingDetails int          // rows without tax details
}

// YearSummary returns the firm's tax summary for a calendar year, tax ids
// masked. A year outside 1970–9999 is EInvalid ("year").
func YearSummary(ctx context.Context, q db.Querier, tenantID uuid.UUID, year int) (TaxYear, error) {
	ty, _, err := taxYear(ctx, q, tenantID, year, false)
	return ty, err
}

// taxYear builds the summary; with full, it also returns each partner's
// full tax id (the export only).
func taxYear(ctx context.Context, q db.Querier, tenantID uuid.UUID, year int, full bool) (TaxYear, map[uuid.UUID]string, error) {
	if year < 1970 || year > 9999 {
		return TaxYear{}, nil, apperr.Invalid(map[string]string{"year": "Use a year like 2026."})
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	rows, err := q.Query(ctx, `WITH paid AS (
			SELECT po.partner_id, po.currency, sum(po.amount_cents)::bigint AS cents, count(*)::int AS n
			FROM payouts po
			WHERE po.tenant_id = $1 AND po.status = 'paid' AND po.direction = 'we_pay'
				AND po.paid_on >= $2 AND po.paid_on < $3
			GROUP BY po.partner_id, po.currency)
		SELECT p.id, p.name, paid.currency, paid.cents, paid.n, t.partner_id IS NOT NULL,
			coalesce(t.legal_name, ''), coalesce(t.classification, ''), coalesce(t.country, ''), coalesce(t.tax_id_kind, ''),
			coalesce(`+maskShapeSQL+`, ''), coalesce(`+maskTailSQL+`, ''),
			CASE WHEN $4 THEN coalesce(t.tax_id, '') ELSE '' END,
			coalesce(t.address, ''), coalesce(t.form_on_file, ''), t.updated_by, t.updated_at
		FROM paid
		JOIN partners p ON p.tenant_id = $1 AND p.id = paid.partner_id
		LEFT JOIN partner_tax_details t ON t.tenant_id = $1 AND t.partner_id = p.id
		ORDER BY lower(p.name), p.id, paid.currency`, tenantID, from, from.AddDate(1, 0, 0), full)
	if err != nil {
		return TaxYear{}, nil, apperr.Internal(err)
	}
	defer rows.Close()
	ty := TaxYear{Year: year}
	ids := map[uuid.UUID]string{}
	for rows.Next() {
		var (
			pid                 uuid.UUID
			name, currency      string
			cents               int64
			n                   int
			has                 bool
			d                   TaxDetails
			shape, tail, fullID string
			updatedAt           *time.Time
		)
		if err := rows.Scan(&pid, &name, &currency, &cents, &n, &has, &d.LegalName, &d.Classification, &d.Country,
			&d.TaxIDKind, &shape, &tail, &fullID, &d.Address, &d.FormOnFile, &d.UpdatedBy, &updatedAt); err != nil {
			return TaxYear{}, nil, apperr.Internal(err)
		}
		if len(ty.Rows) == 0 || ty.Rows[len(ty.Rows)-1].PartnerID != pid {
			r := TaxYearRow{PartnerID: pid, PartnerName: name}
			if has {
				d.PartnerID, d.MaskedTaxID = pid, maskShape(shape, tail)
				if updatedAt != nil {
					d.UpdatedAt = *updatedAt
				}
				r.Details = &d
				if full {
					ids[pid] = fullID
				}
			}
			ty.Rows = append(ty.Rows, r)
		}
		r := &ty.Rows[len(ty.Rows)-1]
		r.Totals = append(r.Totals, TaxTotal{Currency: currency, Cents: cents})
		r.Payouts += n
		if currency == "USD" {
			r.USDCents = cents
		}
	}
	if err := rows.Err(); err != nil {
		return TaxYear{}, nil, apperr.Internal(err)
	}
	for i := range ty.Rows {
		r := &ty.Rows[i]
		r.File1099, r.Reason = flag1099(r.Details, r.USDCents)
		if r.File1099 {
			ty.ToFile++
		}
		if r.Details == nil {
			ty.MissingDetails++
		}
	}
	return ty, ids, nil
}

// flag1099 decides whether a payee paid usd cents in a year gets a
// 1099-NEC, and says why (or why not).
func flag1099(d *TaxDetails, usd int64) (bool, string) {
	switch {
	case usd < Threshold1099 && usd == 0:
		return false, "Nothing paid in USD"
	case usd < Threshold1099:
		return false, "Under " + commission.FormatCents(Threshold1099) + " paid"
	case d == nil:
		return true, "Details missing — request a W-9"
	case !d.USPerson():
		if d.FormOnFile == FormW8BEN || d.FormOnFile == FormW8BENE {
			return false, "Non-US payee (" + TaxLabel(d.FormOnFile) + " on file)"
		}
		return false, "Non-US payee — request a W-8BEN or W-8BEN-E"
	case d.Corporation():
		return false, "Corporation — exempt"
	case d.FormOnFile != FormW9:
		return true, "US payee — no W-9 on file, request one"
	default:
		return true, "US payee, W-9 on file"
	}
}

// ExportTaxYear writes the year's summary as CSV — the one place the full
// tax ids leave the database — and audits the export ("tax.export" with
// the year and the row count). It returns the number of partner rows.
// Callers check the role (finance) first.
func ExportTaxYear(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, year int, w io.Writer) (int, error) {
	ty, ids, err := taxYear(ctx, tx, tenantID, year, true)
	if err != nil {
		return 0, err
	}
	cw, err := csvout.NewWriter(w, "Partner", "Legal name", "Classification", "Country", "Tax id kind", "Tax id", "Address",
		"Form on file", "Year", "Paid (USD)", "Payouts", "Other currencies", "1099-NEC", "Reason")
	if err != nil {
		return 0, apperr.Internal(err)
	}
	y := strconv.Itoa(year)
	for _, r := range ty.Rows {
		var other []string
		for _, t := range r.Totals {
			if t.Currency != "USD" {
				other = append(other, plainAmount(t.Cents)+" "+t.Currency)
			}
		}
		file := "no"
		if r.File1099 {
			file = "yes"
		}
		cells := []string{r.PartnerName, "", "", "", "", "", "", "", y, plainAmount(r.USDCents), strconv.Itoa(r.Payouts),
			strings.Join(other, "; "), file, r.Reason}
		if d := r.Details; d != nil {
			cells[1], cells[2], cells[3], cells[4] = d.LegalName, TaxLabel(d.Classification), d.Country, TaxLabel(d.TaxIDKind)
			cells[5], cells[6], cells[7] = ids[r.PartnerID], d.Address, TaxLabel(d.FormOnFile)
		}
		if err := cw.Write(cells...); err != nil {
			return 0, apperr.Internal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		return 0, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "tax.export", "tax_year", y, map[string]any{
		"year": year, "rows": len(ty.Rows), "to_file": ty.ToFile,
	}); err != nil {
		return 0, apperr.Internal(err)
	}
	return len(ty.Rows), nil
}

// plainAmount renders cents for a spreadsheet: 60000 → "600.00".
func plainAmount(c int64) string {
	s := strings.TrimPrefix(commission.FormatCents(c), "$")
	s = strings.Replace(s, "-$", "-", 1)
	return strings.ReplaceAll(s, ",", "")
}

// isoCountries are the ISO 3166-1 alpha-2 codes, space separated.
const isoCountries = " AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ" +
	" CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR" +
	" GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP" +
	" KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT" +
	" MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW" +
	" SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG" +
	" UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK "
