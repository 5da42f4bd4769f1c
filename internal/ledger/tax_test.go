package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/ledger"
)

func TestMaskTaxID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"12-3456789":      "••-•••6789",
		"123-45-6789":     "•••-••-6789",
		"123456789":       "•••••6789",
		"DE 123 456 789":  "•• ••• ••6 789",
		"GB123456789":     "•••••••6789",
		"AB12":            "••12",
		"ABCDE":           "•••DE",
		"A1B2C3":          "•••2C3",
		"12.34/5678-90":   "••.••/••78-90",
		"ÄÖÜ-ßÉ":          "•••-ßÉ",
		"":                "",
		"9876543210ABCDE": "•••••••••••BCDE",
	} {
		require.Equal(t, want, ledger.MaskTaxID(in), in)
		require.Equal(t, len([]rune(in)), len([]rune(ledger.MaskTaxID(in))), "same shape: %s", in)
	}
}

// taxIn is a valid US individual's input for the partner.
func taxIn(partnerID uuid.UUID) ledger.TaxInput {
	return ledger.TaxInput{PartnerID: partnerID, LegalName: "Brightline Advisory LLC", Classification: ledger.ClassLLC,
		Country: "US", TaxIDKind: ledger.TaxIDEIN, TaxID: "12-3456789", Address: "1 Main St\nSpringfield, IL", FormOnFile: ledger.FormW9}
}

func (m *firm) saveTax(in ledger.TaxInput) (ledger.TaxDetails, error) {
	var d ledger.TaxDetails
	err := m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		d, err = ledger.SaveTaxDetails(context.Background(), tx, m.id, in)
		return err
	})
	return d, err
}

func (m *firm) storedTaxID(partnerID uuid.UUID) string {
	m.f.t.Helper()
	var s string
	require.NoError(m.f.t, m.f.owner.QueryRow(context.Background(),
		`SELECT tax_id FROM partner_tax_details WHERE tenant_id = $1 AND partner_id = $2`, m.id, partnerID).Scan(&s))
	return s
}

func TestTaxDetailsValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := f.firm()
	p := m.partner("Brightline Advisory")

	cases := []struct {
		name  string
		edit  func(*ledger.TaxInput)
		field string
	}{
		{"no legal name", func(in *ledger.TaxInput) { in.LegalName = "  " }, "legal_name"},
		{"long legal name", func(in *ledger.TaxInput) { in.LegalName = strings.Repeat("é", 201) }, "legal_name"},
		{"bad classification", func(in *ledger.TaxInput) { in.Classification = "trust" }, "classification"},
		{"no country", func(in *ledger.TaxInput) { in.Country = "" }, "country"},
		{"3-letter country", func(in *ledger.TaxInput) { in.Country = "USA" }, "country"},
		{"unknown country", func(in *ledger.TaxInput) { in.Country = "ZZ" }, "country"},
		{"bad kind", func(in *ledger.TaxInput) { in.TaxIDKind = "passport" }, "tax_id_kind"},
		{"no tax id", func(in *ledger.TaxInput) { in.TaxID = "" }, "tax_id"},
		{"EIN of 8 digits", func(in *ledger.TaxInput) { in.TaxID = "12-345678" }, "tax_id"},
		{"EIN with letters", func(in *ledger.TaxInput) { in.TaxID = "12-34567AB" }, "tax_id"},
		{"SSN 000", func(in *ledger.TaxInput) {
			in.Classification, in.TaxIDKind, in.TaxID = ledger.ClassIndividual, ledger.TaxIDSSN, "000-12-3456"
		}, "tax_id"},
		{"SSN starting with 9", func(in *ledger.TaxInput) {
			in.Classification, in.TaxIDKind, in.TaxID = ledger.ClassIndividual, ledger.TaxIDSSN, "912-34-5678"
		}, "tax_id"},
		{"ITIN not starting with 9", func(in *ledger.TaxInput) {
			in.Classification, in.TaxIDKind, in.TaxID = ledger.ClassIndividual, ledger.TaxIDITIN, "123-45-6789"
		}, "tax_id"},
		{"VAT too short", func(in *ledger.TaxInput) {
			in.Country, in.Classification, in.TaxIDKind, in.TaxID, in.FormOnFile = "DE", ledger.ClassNonUS, ledger.TaxIDVAT, "DE1", ledger.FormW8BENE
		}, "tax_id"},
		{"VAT too long", func(in *ledger.TaxInput) {
			in.Country, in.Classification, in.TaxIDKind, in.TaxID, in.FormOnFile = "DE", ledger.ClassNonUS, ledger.TaxIDVAT, strings.Repeat("1", 41), ledger.FormW8BENE
		}, "tax_id"},
		{"VAT with a formula", func(in *ledger.TaxInput) {
			in.Country, in.Classification, in.TaxIDKind, in.TaxID, in.FormOnFile = "DE", ledger.ClassNonUS, ledger.TaxIDVAT, "=HYPERLINK(1)", ledger.FormW8BENE
		}, "tax_id"},
		{"long address", func(in *ledger.TaxInput) { in.Address = strings.Repeat("a", 501) }, "address"},
		{"bad form", func(in *ledger.TaxInput) { in.FormOnFile = "1099" }, "form_on_file"},
		{"US person with a W-8", func(in *ledger.TaxInput) { in.FormOnFile = ledger.FormW8BEN }, "form_on_file"},
		{"US person with a W-8BEN-E", func(in *ledger.TaxInput) { in.FormOnFile = ledger.FormW8BENE }, "form_on_file"},
		{"US person with a VAT id", func(in *ledger.TaxInput) { in.TaxIDKind, in.TaxID = ledger.TaxIDVAT, "US123456" }, "tax_id_kind"},
		{"US person classified non-US", func(in *ledger.TaxInput) { in.Classification = ledger.ClassNonUS }, "classification"},
		{"corporation with an SSN", func(in *ledger.TaxInput) {
			in.Classification, in.TaxIDKind, in.TaxID = ledger.ClassCCorporation, ledger.TaxIDSSN, "123-45-6789"
		}, "tax_id_kind"},
		{"non-US with a W-9", func(in *ledger.TaxInput) {
			in.Country, in.Classification, in.TaxIDKind, in.TaxID = "GB", ledger.ClassNonUS, ledger.TaxIDVAT, "GB123456789"
		}, "form_on_file"},
	}
	for _, c := range cases {
		in := taxIn(p)
		c.edit(&in)
		_, err := m.saveTax(in)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "%s: %v", c.name, err)
		require.Contains(t, apperr.FieldErrors(err), c.field, c.name)
	}
	require.Equal(t, 0, m.count(`SELECT count(*) FROM partner_tax_details WHERE tenant_id = $1`), "nothing half-written")
	require.Equal(t, 0, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'tax.details.save'`))

	// Accepted and formatted.
	for _, c := range []struct {
		kind, typed, stored, country, class, form string
	}{
		{ledger.TaxIDEIN, "123456789", "12-3456789", "US", ledger.ClassLLC, ledger.FormW9},
		{ledger.TaxIDEIN, " 12 3456789 ", "12-3456789", "us", ledger.ClassCCorporation, ledger.FormW9},
		{ledger.TaxIDSSN, "123456789", "123-45-6789", "US", ledger.ClassIndividual, ledger.FormNone},
		{ledger.TaxIDITIN, "912-70-1234", "912-70-1234", "US", ledger.ClassSoleProprietor, ledger.FormW9},
		{ledger.TaxIDVAT, "gb 123 456 789", "GB 123 456 789", "GB", ledger.ClassNonUS, ledger.FormW8BENE},
		{ledger.TaxIDOther, "AB-12/34.5", "AB-12/34.5", "CA", ledger.ClassOther, ledger.FormW8BEN},
	} {
		in := taxIn(p)
		in.TaxIDKind, in.TaxID, in.Country, in.Classification, in.FormOnFile = c.kind, c.typed, c.country, c.class, c.form
		d, err := m.saveTax(in)
		require.NoError(t, err, c.typed)
		require.Equal(t, c.stored, m.storedTaxID(p))
		require.Equal(t, ledger.MaskTaxID(c.stored), d.MaskedTaxID, "the database masks as Go does")
		require.Equal(t, strings.ToUpper(strings.TrimSpace(c.country)), d.Country)
	}
}

func TestTaxDetailsSave(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, other := f.firm(), f.firm()
	p := m.partner("Brightline Advisory")
	q := m.partner("Quarry Partners")
	op := other.partner("Elsewhere")
	ctx := context.Background()

	_, err := m.saveTax(taxIn(op))
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "another firm's partner")
	err = m.f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
		_, err := ledger.GetTaxDetails(ctx, tx, m.id, p)
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "no details yet")

	in := taxIn(p)
	in.By = m.staff
	d, err := m.saveTax(in)
	require.NoError(t, err)
	require.Equal(t, "••-•••6789", d.MaskedTaxID)
	require.Equal(t, "Brightline Advisory LLC", d.LegalName)
	require.Equal(t, &m.staff, d.UpdatedBy)
	require.Empty(t, d.Warnings())
	require.True(t, d.USPerson())

	// Blank keeps the stored id; a new kind needs the id again.
	in.TaxID, in.LegalName = "", "Brightline Advisory, LLC"
	d, err = m.saveTax(in)
	require.NoError(t, err)
	require.Equal(t, "12-3456789", m.storedTaxID(p))
	require.Equal(t, "Brightline Advisory, LLC", d.LegalName)
	in.Classification, in.TaxIDKind = ledger.ClassIndividual, ledger.TaxIDSSN
	_, err = m.saveTax(in)
	require.Contains(t, apperr.FieldErrors(err), "tax_id")
	in.TaxID = "123-45-6789"
	d, err = m.saveTax(in)
	require.NoError(t, err)
	require.Equal(t, "•••-••-6789", d.MaskedTaxID)

	// A US person abroad (SSN, France): allowed, with a warning, and a US payee.
	in.Country = "FR"
	d, err = m.saveTax(in)
	require.NoError(t, err)
	require.True(t, d.USPerson())
	require.Len(t, d.Warnings(), 1)
	require.Contains(t, d.Warnings()[0], "non-US country (FR)")

	// The audit log never holds the tax id.
	var details []string
	rows, err := f.owner.Query(ctx, `SELECT detail::text FROM audit_log WHERE tenant_id = $1 AND action = 'tax.details.save' ORDER BY id`, m.id)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		details = append(details, s)
	}
	require.NoError(t, rows.Err())
	require.Len(t, details, 4)
	for _, s := range details {
		require.NotContains(t, s, "6789")
		require.NotContains(t, s, "Main St")
	}
	require.Contains(t, details[0], `"tax_id_changed": true`)
	require.Contains(t, details[1], `"tax_id_changed": false`)

	// The portal: a partner reads and writes its own row only.
	err = f.db.InPortal(ctx, m.id, q, func(tx pgx.Tx) error {
		_, err := ledger.GetTaxDetails(ctx, tx, m.id, p)
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "another partner's details")
	err = f.db.InPortal(ctx, m.id, q, func(tx pgx.Tx) error {
		_, err := ledger.SaveTaxDetails(ctx, tx, m.id, taxIn(p))
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "another partner's details")
	require.Equal(t, "123-45-6789", m.storedTaxID(p))
	err = f.db.InPortal(ctx, m.id, q, func(tx pgx.Tx) error {
		d, err := ledger.SaveTaxDetails(ctx, tx, m.id, taxIn(q))
		if err != nil {
			return err
		}
		require.Equal(t, "••-•••6789", d.MaskedTaxID)
		_, err = ledger.GetTaxDetails(ctx, tx, m.id, q)
		return err
	})
	require.NoError(t, err)
}

// paidPayout inserts a paid (or pending) payout of a partner in a batch of
// its own.
func (m *firm) paidPayout(partnerID uuid.UUID, direction, currency string, cents int64, paidOn string, status string) {
	m.f.t.Helper()
	var n int
	require.NoError(m.f.t, m.f.owner.QueryRow(context.Background(),
		`SELECT coalesce(max(number), 0) + 1 FROM payout_batches WHERE tenant_id = $1`, m.id).Scan(&n))
	var paid any
	batchStatus := ledger.BatchOpen
	if status == ledger.PayoutPaid {
		paid, batchStatus = date(paidOn), ledger.BatchPaid
	}
	batch := m.f.id(`INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to, status, paid_on, reference, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7::date IS NULL THEN NULL ELSE 'BANK-1' END,
			CASE WHEN $7::date IS NULL THEN NULL ELSE now() END) RETURNING id`,
		m.id, n, direction, currency, date(paidOn), batchStatus, paid)
	m.f.exec(`INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents, status, paid_on, reference)
		VALUES ($1, $2, (SELECT number FROM payout_batches b WHERE b.tenant_id = $1 AND b.id = $2), $3, $4, $5, $6, $7, $8, CASE WHEN $8::date IS NULL THEN NULL ELSE 'BANK-1' END)`,
		m.id, batch, partnerID, direction, currency, cents, status, paid)
}

func TestTaxYearSummary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, other := f.firm(), f.firm()
	ctx := context.Background()
	pay := func(p uuid.UUID, cents int64, on string) {
		m.paidPayout(p, "we_pay", "USD", cents, on, ledger.PayoutPaid)
	}
	details := func(p uuid.UUID, edit func(*ledger.TaxInput)) {
		in := taxIn(p)
		if edit != nil {
			edit(&in)
		}
		_, err := m.saveTax(in)
		require.NoError(t, err)
	}

	at600 := m.partner("Aster (600.00)")
	pay(at600, 30000, "2026-01-01")
	pay(at600, 30000, "2026-12-31")
	details(at600, func(in *ledger.TaxInput) {
		in.Classification, in.TaxIDKind, in.TaxID = ledger.ClassIndividual, ledger.TaxIDSSN, "123-45-6789"
	})
	under := m.partner("Birch (599.99)")
	pay(under, 59999, "2026-06-01")
	pay(under, 50000, "2025-12-31") // last year
	pay(under, 50000, "2027-01-01") // next year
	m.paidPayout(under, "we_pay", "USD", 50000, "2026-06-02", ledger.PayoutPending)
	m.paidPayout(under, "we_receive", "USD", 50000, "2026-06-03", ledger.PayoutPaid)
	details(under, nil)
	missing := m.partner("Cedar (no details)")
	pay(missing, 60000, "2026-03-01")
	corp := m.partner("Dogwood Corp")
	pay(corp, 1_000_000, "2026-03-01")
	details(corp, func(in *ledger.TaxInput) { in.Classification = ledger.ClassCCorporation })
	scorp := m.partner("Elm S-Corp")
	pay(scorp, 1_000_000, "2026-03-01")
	details(scorp, func(in *ledger.TaxInput) { in.Classification = ledger.ClassSCorporation })
	foreign := m.partner("Fir Ltd (GB)")
	pay(foreign, 500_000, "2026-03-01")
	details(foreign, func(in *ledger.TaxInput) {
		in.Country, in.Classification, in.TaxIDKind, in.TaxID, in.FormOnFile = "GB", ledger.ClassNonUS, ledger.TaxIDVAT, "GB123456789", ledger.FormW8BENE
	})
	abroad := m.partner("Gum (US person in France)")
	pay(abroad, 70000, "2026-03-01")
	details(abroad, func(in *ledger.TaxInput) {
		in.Country, in.Classification, in.TaxIDKind, in.TaxID, in.FormOnFile = "FR", ledger.ClassIndividual, ledger.TaxIDSSN, "123-45-6789", ledger.FormNone
	})
	euros := m.partner("Hazel (EUR)")
	m.paidPayout(euros, "we_pay", "EUR", 900_000, "2026-03-01", ledger.PayoutPaid)
	pay(euros, 100, "2026-03-02")
	m.partner("Ivy (never paid)")
	op := other.partner("Elsewhere")
	other.paidPayout(op, "we_pay", "USD", 900_000, "2026-03-01", ledger.PayoutPaid)

	var ty ledger.TaxYear
	require.NoError(t, f.db.InTenant(ctx, m.id, func(tx pgx.Tx) (err error) {
		ty, err = ledger.YearSummary(ctx, tx, m.id, 2026)
		return err
	}))
	require.Equal(t, 2026, ty.Year)
	byName := map[string]ledger.TaxYearRow{}
	var names []string
	for _, r := range ty.Rows {
		byName[r.PartnerName] = r
		names = append(names, r.PartnerName)
	}
	require.Equal(t, []string{"Aster (600.00)", "Birch (599.99)", "Cedar (no details)", "Dogwood Corp", "Elm S-Corp",
		"Fir Ltd (GB)", "Gum (US person in France)", "Hazel (EUR)"}, names, "paid partners of this firm, by name")

	r := byName["Aster (600.00)"]
	require.Equal(t, int64(60000), r.USDCents)
	require.Equal(t, 2, r.Payouts)
	require.True(t, r.File1099, "$600.00 is flagged")
	require.Equal(t, "US payee, W-9 on file", r.Reason)
	require.Equal(t, "•••-••-6789", r.Details.MaskedTaxID)

	r = byName["Birch (599.99)"]
	require.Equal(t, int64(59999), r.USDCents, "only paid we_pay payouts of the year")
	require.Equal(t, 1, r.Payouts)
	require.False(t, r.File1099, "$599.99 is not flagged")
	require.Equal(t, "Under $600.00 paid", r.Reason)

	r = byName["Cedar (no details)"]
	require.True(t, r.File1099)
	require.Nil(t, r.Details)
	require.Equal(t, "Details missing — request a W-9", r.Reason)

	for _, n := range []string{"Dogwood Corp", "Elm S-Corp"} {
		require.False(t, byName[n].File1099, n)
		require.Equal(t, "Corporation — exempt", byName[n].Reason, n)
	}
	r = byName["Fir Ltd (GB)"]
	require.False(t, r.File1099)
	require.Equal(t, "Non-US payee (W-8BEN-E on file)", r.Reason)
	r = byName["Gum (US person in France)"]
	require.True(t, r.File1099, "a US person abroad")
	require.Equal(t, "US payee — no W-9 on file, request one", r.Reason)
	r = byName["Hazel (EUR)"]
	require.False(t, r.File1099, "euros don't count toward the USD threshold")
	require.Equal(t, []ledger.TaxTotal{{Currency: "EUR", Cents: 900_000}, {Currency: "USD", Cents: 100}}, r.Totals)

	require.Equal(t, 3, ty.ToFile)
	require.Equal(t, 2, ty.MissingDetails)

	// Bad years.
	for _, y := range []int{0, 1969, 10000} {
		err := f.db.InTenant(ctx, m.id, func(tx pgx.Tx) error {
			_, err := ledger.YearSummary(ctx, tx, m.id, y)
			return err
		})
		require.Contains(t, apperr.FieldErrors(err), "year")
	}

	// The export is the one place with the full ids, and it is audited.
	var buf bytes.Buffer
	var n int
	require.NoError(t, f.db.InTenant(ctx, m.id, func(tx pgx.Tx) (err error) {
		n, err = ledger.ExportTaxYear(ctx, tx, m.id, 2026, &buf)
		return err
	}))
	require.Equal(t, 8, n)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 9)
	require.Equal(t, "Tax id", recs[0][5])
	require.Equal(t, []string{"Aster (600.00)", "Brightline Advisory LLC", "Individual", "US", "SSN", "123-45-6789",
		"1 Main St\nSpringfield, IL", "W-9", "2026", "600.00", "2", "", "yes", "US payee, W-9 on file"}, recs[1])
	require.Equal(t, "599.99", recs[2][9])
	require.Equal(t, "", recs[3][5], "no details, no id")
	require.Equal(t, "GB123456789", recs[6][5])
	require.Equal(t, "9000.00 EUR", recs[8][11])
	require.NotContains(t, buf.String(), "Elsewhere")
	var detail string
	require.NoError(t, f.owner.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE tenant_id = $1 AND action = 'tax.export'`, m.id).Scan(&detail))
	require.Contains(t, detail, `"rows": 8`)
	require.Contains(t, detail, `"year": 2026`)
	require.NotContains(t, detail, "6789")
}
