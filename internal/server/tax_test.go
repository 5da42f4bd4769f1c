package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// taxNow is the tests' clock: the last evening of 2026 in UTC, already
// 2027 in New Zealand.
var taxNow = time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)

func withTaxClock() harnessOption {
	return func(d *Deps) { d.Now = func() time.Time { return taxNow } }
}

// The full tax ids of the tests, and how they may never appear in a page.
const (
	taxEIN = "27-3141592"
	taxSSN = "271-82-8182"
)

func requireNoFullID(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{taxEIN, taxSSN, "273141592", "271828182", "3141592", "82-8182"} {
		require.NotContains(t, body, s, "a full tax id in the page")
	}
}

// taxPayout records a paid we_pay payout of cents to a partner on paidOn.
func (h *harness) taxPayout(tenantID, partnerID uuid.UUID, cents int64, paidOn string) {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT coalesce(max(number), 0) + 1 FROM payout_batches WHERE tenant_id = $1`, tenantID).Scan(&n))
	batch := h.commID(`INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to, status, paid_on, reference, paid_at)
		VALUES ($1, $2, 'we_pay', 'USD', $3, 'paid', $3, 'BANK-1', now()) RETURNING id`, tenantID, n, paidOn)
	h.commExec(`INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents, status, paid_on, reference)
		VALUES ($1, $2, (SELECT number FROM payout_batches b WHERE b.tenant_id = $1 AND b.id = $2), $3, 'we_pay', 'USD', $4, 'paid', $5, 'BANK-1')`, tenantID, batch, partnerID, cents, paidOn)
}

// taxDetailsRow stores a partner's tax details directly.
func (h *harness) taxDetailsRow(tenantID, partnerID uuid.UUID, legal, class, country, kind, id, form string) {
	h.commExec(`INSERT INTO partner_tax_details (tenant_id, partner_id, legal_name, classification, country, tax_id_kind, tax_id, form_on_file)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenantID, partnerID, legal, class, country, kind, id, form)
}

func taxForm(legal, class, country, kind, id, form string) url.Values {
	return url.Values{"legal_name": {legal}, "classification": {class}, "country": {country}, "tax_id_kind": {kind},
		"tax_id": {id}, "address": {"1 Main St\nSpringfield, IL"}, "form_on_file": {form}}
}

func TestTaxYearPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withTaxClock())
	f := h.createFirm("northwind", "Northwind Advisory")
	fin := h.staffUser(f, "finance@northwind.test", auth.RoleFinance)
	viewer := h.staffUser(f, "viewer@northwind.test", auth.RoleViewer)
	a := h.createPartner(f.ID, "Aster Advisory")
	b := h.createPartner(f.ID, "Birch Partners")
	c := h.createPartner(f.ID, "Cedar Corp")
	h.taxPayout(f.ID, a.ID, 30000, "2026-01-15")
	h.taxPayout(f.ID, a.ID, 30000, "2026-12-31")
	h.taxPayout(f.ID, b.ID, 59999, "2026-05-01")
	h.taxPayout(f.ID, c.ID, 1_000_000, "2026-05-01")
	h.taxPayout(f.ID, c.ID, 1_000_000, "2025-05-01")
	h.taxDetailsRow(f.ID, a.ID, "Aster Advisory LLC", "llc", "US", "ein", taxEIN, "w9")
	h.taxDetailsRow(f.ID, c.ID, "Cedar Corporation", "c_corporation", "US", "ssn", taxSSN, "w9")
	base := "/t/northwind/commissions/tax"

	// Viewers read the summary (masked), without the export.
	cv := h.loggedIn(viewer.Email)
	resp, body := h.get(cv, base)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Tax summary for 2026", "the current year by default")
	require.Contains(t, body, `aria-current="page">Tax summary`)
	require.Contains(t, body, "••-•••1592")
	require.Contains(t, body, "•••-••-8182")
	require.Contains(t, body, "Aster Advisory LLC")
	require.Contains(t, body, "$600.00 USD")
	require.Contains(t, body, "$599.99 USD")
	require.Contains(t, body, "US payee, W-9 on file")
	require.Contains(t, body, "Under $600.00 paid")
	require.Contains(t, body, "Corporation — exempt")
	require.Contains(t, body, `<caption class="sr-only">Partners paid in 2026`)
	require.Contains(t, body, `<span class="stat-value" id="to-file">1</span>`)
	require.Contains(t, body, `<span class="stat-value" id="missing-details">1</span>`)
	require.Contains(t, body, "/partners/"+a.ID.String()+"/tax")
	require.NotContains(t, body, "Export CSV")
	requireNoFullID(t, body)
	resp, body = h.post(cv, base+"/export", url.Values{"year": {"2026"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	requireNoFullID(t, body)

	// Another year; bad and future years get a message, not a 500.
	resp, body = h.get(cv, base+"?year=2025")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "$10,000.00 USD")
	require.NotContains(t, body, "Aster Advisory")
	for q, msg := range map[string]string{
		"2027":         "2027 hasn&#39;t started yet: choose 2026 or earlier.",
		"20x6":         "Enter a year like 2026.",
		"99999":        "Enter a year like 2026.",
		"-2026":        "Enter a year like 2026.",
		"1066":         "Choose a year from 1970 on.",
		"2026%00":      "Enter a year like 2026.",
		"%3Cscript%3E": "Enter a year like 2026.",
	} {
		resp, body = h.get(cv, base+"?year="+q)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, q)
		require.Contains(t, body, msg, q)
		require.Contains(t, body, `aria-invalid="true"`, q)
		require.NotContains(t, body, "<script>", q)
	}
	resp, body = h.get(cv, base+"?year=1999")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Nobody was paid in 1999")

	// Finance exports the full ids; the export is audited.
	cf := h.loggedIn(fin.Email)
	resp, body = h.get(cf, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Export CSV (with full tax ids)")
	requireNoFullID(t, body)
	resp, body = h.post(cf, base+"/export", url.Values{"year": {"2026"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "tax-summary-2026-2026-12-31.csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, []string{"Aster Advisory", "Aster Advisory LLC", "LLC", "US", "EIN", taxEIN}, recs[1][:6])
	require.Equal(t, "600.00", recs[1][9])
	require.Equal(t, "yes", recs[1][12])
	require.Equal(t, "no", recs[2][12])
	require.Equal(t, taxSSN, recs[3][5])
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE tenant_id = $1
		AND action = 'tax.export' AND detail->>'year' = '2026' AND detail->>'rows' = '3'`, f.ID).Scan(&n))
	require.Equal(t, 1, n)

	// A bad year to export: the page with the message, nothing audited.
	resp, body = h.post(cf, base+"/export", url.Values{"year": {"2030"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "2030 hasn&#39;t started yet")
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE tenant_id = $1
		AND action = 'tax.export'`, f.ID).Scan(&n))
	require.Equal(t, 1, n)

	// The current year is the firm's: in New Zealand 2027 has begun.
	h.commExec(`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, 'Pacific/Auckland')
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone`, f.ID)
	resp, body = h.get(cf, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Tax summary for 2027")
	require.Contains(t, body, "Nobody was paid in 2027")

	// Another firm's staff: not found.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	co := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(co, base)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = h.post(co, base+"/export", url.Values{"year": {"2026"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	requireNoFullID(t, body)
}

func TestPartnerTaxPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withTaxClock())
	f := h.createFirm("northwind", "Northwind Advisory")
	fin := h.staffUser(f, "finance@northwind.test", auth.RoleFinance)
	manager := h.staffUser(f, "manager@northwind.test", auth.RoleManager)
	p := h.createPartner(f.ID, "Brightline Advisory")
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	op := h.createPartner(other.ID, "Elsewhere Partner")
	h.taxDetailsRow(other.ID, op.ID, "Elsewhere Partner Inc", "c_corporation", "US", "ein", "98-7654321", "w9")
	page := "/t/northwind/partners/" + p.ID.String() + "/tax"

	cf := h.loggedIn(fin.Email)
	resp, body := h.get(cf, page)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "No tax details yet")
	require.Contains(t, body, "Enter tax details")
	require.Contains(t, body, `<label for="f-tax_id">Tax id</label>`)

	// Bad input: 422, errors next to the fields, input kept — but not the tax id.
	bad := taxForm("Brightline Advisory LLC", "llc", "US", "ein", taxEIN, "w8ben")
	resp, body = h.post(cf, page, bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "A US person gives a W-9, not a W-8.")
	require.Contains(t, body, `value="Brightline Advisory LLC"`)
	require.Contains(t, body, "Enter it again")
	requireNoFullID(t, body)
	resp, body = h.post(cf, page, taxForm("", "trust", "Narnia", "ein", "12-34", "none"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	for _, msg := range []string{"Required: the name on the tax form.", "Choose a classification.",
		"Use a two-letter ISO country code", "Enter the 9 digits, like 12-3456789."} {
		require.Contains(t, body, msg)
	}
	require.Contains(t, body, `value="Narnia"`)
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM partner_tax_details WHERE tenant_id = $1`, f.ID).Scan(&n))
	require.Zero(t, n, "nothing written")

	// Saved, then shown masked; the edit form keeps the id unless retyped.
	resp, body = h.post(cf, page, taxForm("Brightline Advisory LLC", "llc", "us", "ein", "273141592", "w9"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, page, resp.Header.Get("Location"))
	resp, body = h.get(cf, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Tax details saved.")
	require.Contains(t, body, "••-•••1592")
	require.Contains(t, body, "Leave blank to keep ••-•••1592.")
	require.Contains(t, body, "Update tax details")
	requireNoFullID(t, body)
	var stored string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT tax_id FROM partner_tax_details WHERE partner_id = $1`, p.ID).Scan(&stored))
	require.Equal(t, taxEIN, stored)

	resp, body = h.post(cf, page, taxForm("Brightline Advisory, LLC", "llc", "US", "ein", "", "w9"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT tax_id FROM partner_tax_details WHERE partner_id = $1`, p.ID).Scan(&stored))
	require.Equal(t, taxEIN, stored, "blank keeps the id")

	// A US person abroad: saved with a warning.
	resp, _ = h.post(cf, page, taxForm("Pat Doe", "individual", "FR", "ssn", taxSSN, "none"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(cf, page)
	require.Contains(t, body, "treated as a US person for the 1099-NEC")
	require.Contains(t, body, "•••-••-8182")
	requireNoFullID(t, body)

	// Managers read but don't edit.
	cm := h.loggedIn(manager.Email)
	resp, body = h.get(cm, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "•••-••-8182")
	require.NotContains(t, body, `id="tax-form"`)
	requireNoFullID(t, body)
	resp, _ = h.post(cm, page, taxForm("Mallory", "individual", "US", "ssn", "234-56-7890", "w9"))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Another firm's partner, a malformed id: not found, nothing changed.
	for _, path := range []string{"/t/northwind/partners/" + op.ID.String() + "/tax", "/t/northwind/partners/nope/tax"} {
		resp, body = h.get(cf, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.NotContains(t, body, "Elsewhere Partner Inc")
		resp, _ = h.post(cf, path, taxForm("Mallory", "individual", "US", "ssn", "234-56-7890", "w9"))
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT tax_id FROM partner_tax_details WHERE partner_id = $1`, op.ID).Scan(&stored))
	require.Equal(t, "98-7654321", stored)
}

func TestPortalTax(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withTaxClock())
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Advisory")
	q := h.createPartner(f.ID, "Quarry Partners")
	admin := h.portalUser(f.ID, p.ID, "admin@brightline.test", auth.RolePartnerAdmin)
	member := h.portalUser(f.ID, p.ID, "member@brightline.test", auth.RolePartnerMember)
	qadmin := h.portalUser(f.ID, q.ID, "admin@quarry.test", auth.RolePartnerAdmin)
	page := "/p/northwind/tax"

	ca := h.loggedIn(admin.Email)
	resp, body := h.get(ca, page)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Why Northwind Advisory asks")
	require.Contains(t, body, "1099-NEC")
	require.Contains(t, body, "Enter your tax details")
	require.Contains(t, body, `name="viewport"`)

	resp, body = h.post(ca, page, taxForm("Brightline Advisory LLC", "llc", "US", "vat", "US1234", "w9"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "A US payee&#39;s tax id is an EIN, SSN or ITIN.")
	requireNoFullID(t, body)
	resp, body = h.post(ca, page, taxForm("Brightline Advisory LLC", "llc", "US", "ein", taxEIN, "w9"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, page, resp.Header.Get("Location"))
	_, body = h.get(ca, page)
	require.Contains(t, body, "Tax details saved.")
	require.Contains(t, body, "••-•••1592")
	require.Contains(t, body, "Leave blank to keep ••-•••1592.")
	requireNoFullID(t, body)
	var by uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT updated_by FROM partner_tax_details WHERE partner_id = $1`, p.ID).Scan(&by))
	require.Equal(t, admin.ID, by)

	// Members read the masked view only.
	cm := h.loggedIn(member.Email)
	resp, body = h.get(cm, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "••-•••1592")
	require.Contains(t, body, "Only your firm's portal admin can enter or change these details.")
	require.NotContains(t, body, `id="tax-form"`)
	requireNoFullID(t, body)
	resp, _ = h.post(cm, page, taxForm("Mallory", "individual", "US", "ssn", "234-56-7890", "w9"))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Another partner's admin sees (and saves) its own details only.
	cq := h.loggedIn(qadmin.Email)
	resp, body = h.get(cq, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Nothing entered yet.")
	require.NotContains(t, body, "Brightline Advisory LLC")
	require.NotContains(t, body, "1592")
	resp, _ = h.post(cq, page, taxForm("Quarry Partners LP", "partnership", "US", "ein", "98-7654321", "w9"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var legal string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT legal_name FROM partner_tax_details WHERE partner_id = $1`, p.ID).Scan(&legal))
	require.Equal(t, "Brightline Advisory LLC", legal)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT legal_name FROM partner_tax_details WHERE partner_id = $1`, q.ID).Scan(&legal))
	require.Equal(t, "Quarry Partners LP", legal)

	// Staff see what the partner entered, masked.
	cf := h.loggedIn(f.Owner.Email)
	_, body = h.get(cf, "/t/northwind/partners/"+p.ID.String()+"/tax")
	require.Contains(t, body, "Brightline Advisory LLC")
	require.Contains(t, body, "••-•••1592")
	requireNoFullID(t, body)

	// Not a portal user of this firm: not found.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	co := h.loggedIn(other.Owner.Email)
	resp, _ = h.get(co, page)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
