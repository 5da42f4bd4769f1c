package server

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"rsc.io/pdf"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// stmtNow is the statement tests' clock: 27 Nov 2026 (Q4), noon UTC.
var stmtNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// stmtWorld is a firm whose partner Brightline earned 20% of $20,000 and
// $30,000 paid in Q1 2026 ($4,000 + $6,000), had $10,000 of the second
// refunded in Q2 (−$2,000) and was paid the first $4,000 in Q2; its
// portal user is Ada. A second partner, Quiet, has a portal user and
// nothing else.
type stmtWorld struct {
	h        *harness
	f        firm
	p, quiet uuid.UUID
	refNo    int64
	finance  string
	ada      string
	quietie  string
	staff    string // /t/northwind/partners/<p>/statements
}

func newStmtWorld(t *testing.T) *stmtWorld {
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return stmtNow } })
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Advisory")
	h.commExec(`UPDATE partners SET status = 'active' WHERE id = $1`, p.ID)
	h.commExec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at,
			accepted_via, payment_net_days, rules)
		VALUES ($1, $2, 1, 'active', 'referral', '2025-12-01', now(), 'recorded', 30,
			'[{"kind":"percent_first_project","direction":"we_pay","rate_bp":2000}]')`, f.ID, p.ID)
	prospect := h.commID(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, f.ID, p.ID)
	ref := h.commID(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, status_changed_at)
		VALUES ($1, 'inbound', $2, $3, 'Acme Dental', 'acme dental', 'won', '2026-01-10 10:00Z', '2026-01-12 10:00Z', '2026-01-12 10:00Z')
		RETURNING id`, f.ID, p.ID, prospect)
	eng := h.commID(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', 'Acme audit', 5000000, '2026-01-15') RETURNING id`, f.ID, ref, p.ID)
	var refNo int64
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT number FROM referrals WHERE id = $1`, ref).Scan(&refNo))

	ctx := context.Background()
	pay := func(cents int64, on string, refundOf uuid.UUID) ledger.RevenueEvent {
		var ev ledger.RevenueEvent
		require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
			ev, err = ledger.RecordRevenue(ctx, tx, f.ID, ledger.RevenueInput{EngagementID: eng, AmountCents: cents,
				PaidOn: stmtDate(on), RefundOfID: refundOf, Source: ledger.SourceStaff, CreatedBy: f.Owner.ID, Today: stmtNow})
			return err
		}))
		return ev
	}
	p1 := pay(2_000_000, "2026-02-01", uuid.Nil)
	p2 := pay(3_000_000, "2026-03-15", uuid.Nil)
	_, err := ledger.AccruePending(ctx, h.db, f.ID, 0, stmtNow)
	require.NoError(t, err)
	pay(-1_000_000, "2026-05-10", p2.ID)
	_, err = ledger.AccruePending(ctx, h.db, f.ID, 0, stmtNow)
	require.NoError(t, err)
	acc1 := h.commID(`SELECT id FROM journal_entries WHERE tenant_id = $1 AND revenue_event_id = $2 AND kind = 'accrual'`, f.ID, p1.ID)
	h.stmtPaidPayout(f.ID, p.ID, "2026-05-20", acc1)

	quiet := h.createPartner(f.ID, "Quiet Partner")
	ada := h.portalUser(f.ID, p.ID, "ada@brightline.test", auth.RolePartnerMember)
	qu := h.portalUser(f.ID, quiet.ID, "quinn@quiet.test", auth.RolePartnerAdmin)
	fin := h.staffUser(f, "finance@northwind.test", auth.RoleFinance)
	return &stmtWorld{h: h, f: f, p: p.ID, quiet: quiet.ID, refNo: refNo, finance: fin.Email, ada: ada.Email, quietie: qu.Email,
		staff: "/t/northwind/partners/" + p.ID.String() + "/statements"}
}

func stmtDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// stmtPaidPayout records a paid payout of the entries with its payout
// entry and lines, as the payouts work would.
func (h *harness) stmtPaidPayout(tenantID, partnerID uuid.UUID, paidOn string, entryIDs ...uuid.UUID) {
	h.t.Helper()
	ctx := context.Background()
	tx, err := h.owner.Begin(ctx)
	require.NoError(h.t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var total int64
	require.NoError(h.t, tx.QueryRow(ctx, `SELECT sum(amount_cents) FROM journal_entries WHERE tenant_id = $1 AND id = ANY($2)`,
		tenantID, entryIDs).Scan(&total))
	var batch, payout uuid.UUID
	require.NoError(h.t, tx.QueryRow(ctx, `INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to, status, paid_on, reference, paid_at)
		VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM payout_batches WHERE tenant_id = $1), 'we_pay', 'USD', $2, 'paid', $2, 'ACH-9', now())
		RETURNING id`, tenantID, paidOn).Scan(&batch))
	require.NoError(h.t, tx.QueryRow(ctx, `INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents, status, paid_on, reference)
		VALUES ($1, $2, (SELECT number FROM payout_batches b WHERE b.tenant_id = $1 AND b.id = $2), $3, 'we_pay', 'USD', $4, 'paid', $5, 'ACH-9') RETURNING id`, tenantID, batch, partnerID, total, paidOn).Scan(&payout))
	_, err = tx.Exec(ctx, `INSERT INTO payout_items (tenant_id, entry_id, payout_id, partner_id, amount_cents)
		SELECT tenant_id, id, $2, partner_id, amount_cents FROM journal_entries WHERE tenant_id = $1 AND id = ANY($3)`, tenantID, payout, entryIDs)
	require.NoError(h.t, err)
	entry := uuid.New()
	_, err = tx.Exec(ctx, `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency, explanation, reason, payout_id)
		VALUES ($1, $2, 'payout', $3, 'we_pay', $4, 'USD', 'Payout, reference ACH-9', 'ACH-9', $5)`, tenantID, entry, partnerID, -total, payout)
	require.NoError(h.t, err)
	_, err = tx.Exec(ctx, `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_payable', $3, $4, 'USD'), ($1, $2, 2, 'cash', NULL, $5, 'USD')`, tenantID, entry, partnerID, total, -total)
	require.NoError(h.t, err)
	require.NoError(h.t, tx.Commit(ctx))
}

func stmtDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	return doc
}

// stmtLine is an account's summary line on a statement page.
func stmtLine(doc *goquery.Document, account int, key string) string {
	return strings.TrimSpace(doc.Find("#account-" + string(rune('0'+account)) + ` tr[data-line="` + key + `"] td`).Text())
}

func stmtPDFText(t *testing.T, b []byte) string {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("%PDF-")), "not a PDF")
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		for _, c := range r.Page(i).Content().Text {
			sb.WriteString(c.S)
		}
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, sb.String())
}

// TestStatementsArea: the firm's statements by quarter; finance issues and
// emails a past quarter once; the current and future quarters are refused;
// viewers read but can't issue.
func TestStatementsArea(t *testing.T) {
	w := newStmtWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)

	// Default: the last completed quarter, Q3 2026: Brightline's balance carried.
	resp, body := h.get(c, "/t/northwind/commissions/statements")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := stmtDoc(t, body)
	require.Equal(t, "page", doc.Find(`nav[aria-label="Commissions"] a[href="/t/northwind/commissions/statements"]`).AttrOr("aria-current", ""))
	require.Contains(t, doc.Find("#quarter-heading").Text(), "Statements Q3 2026")
	require.Equal(t, "2026-Q3", doc.Find("#f-quarter option[selected]").AttrOr("value", ""))
	rows := doc.Find("table.statements tbody tr")
	require.Equal(t, 1, rows.Length(), "only Brightline has a balance")
	cells := rows.First().Find("td")
	require.Contains(t, rows.First().Find("th").Text(), "Brightline Advisory")
	require.Equal(t, "$4,000.00", strings.TrimSpace(cells.Eq(1).Text()), "opening")
	require.Equal(t, "$4,000.00", strings.TrimSpace(cells.Eq(4).Text()), "closing")
	require.Contains(t, cells.Eq(5).Text(), "Not issued")
	require.Equal(t, w.staff+"/2026-Q3", rows.First().Find("th a").AttrOr("href", ""))
	require.Contains(t, doc.Find("#generate button").Text(), "Generate and email statements for Q3 2026")
	require.NotEmpty(t, doc.Find("table.statements caption").Text())

	// Q2: the movements.
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q2")
	cells = stmtDoc(t, body).Find("table.statements tbody tr").First().Find("td")
	require.Equal(t, []string{"We owe (USD)", "$10,000.00", "$0.00", "-$4,000.00", "$4,000.00"},
		[]string{strings.TrimSpace(cells.Eq(0).Text()), strings.TrimSpace(cells.Eq(1).Text()), strings.TrimSpace(cells.Eq(2).Text()),
			strings.TrimSpace(cells.Eq(3).Text()), strings.TrimSpace(cells.Eq(4).Text())})

	// The current quarter: to date, not issuable yet.
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q4")
	doc = stmtDoc(t, body)
	require.Zero(t, doc.Find("#generate").Length())
	require.Contains(t, doc.Find("#not-over").Text(), "once the quarter ends on 31 Dec 2026")

	// A future quarter: 400 with a clear message; a malformed one: 404.
	resp, body = h.get(c, "/t/northwind/commissions/statements?quarter=2027-Q1")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "That quarter hasn&#39;t started")
	resp, _ = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q7")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Issue Q2: one statement, Ada emailed with a link that works for her.
	resp, body = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q2"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, "/t/northwind/commissions/statements?quarter=2026-Q2", resp.Header.Get("Location"))
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q2")
	require.Contains(t, body, "Issued 1 statement for Q2 2026 and emailed 1 portal user.")
	require.Contains(t, stmtDoc(t, body).Find("table.statements tbody tr").First().Text(), "Issued 27 Nov 2026 · emailed")
	require.Zero(t, stmtDoc(t, body).Find("#generate").Length(), "all issued")
	m := h.lastEmail(w.ada)
	require.Equal(t, "Your Q2 2026 statement from Northwind Advisory is ready", m.Subject)
	link := h.linkIn(m.Text, "/p/northwind/statements/2026-Q2")
	ac := h.loggedIn(w.ada)
	resp, body = h.get(ac, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "$4,000.00", stmtLine(stmtDoc(t, body), 0, "closing"))

	// Again: nothing new.
	resp, _ = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q2"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q2")
	require.Contains(t, body, "All statements for Q2 2026 were already issued; nothing new was sent.")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM statements WHERE tenant_id = $1`, w.f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM email_outbox WHERE subject LIKE 'Your Q2 2026 statement%'`))

	// A quarter without activity: nothing to issue.
	resp, _ = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2025-Q3"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2025-Q3")
	require.Contains(t, body, "No partner had activity or a balance in Q3 2025: there was nothing to issue.")
	require.Contains(t, body, "No statements for Q3 2025")

	// The current and a future quarter can't be issued; a bad one is refused.
	resp, body = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q4"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "isn&#39;t over yet")
	resp, _ = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2027-Q1"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"nope"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM statements WHERE tenant_id = $1`, w.f.ID))

	// A viewer reads, but can't issue.
	viewer := h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	vc := h.loggedIn(viewer.Email)
	resp, body = h.get(vc, "/t/northwind/commissions/statements")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Zero(t, stmtDoc(t, body).Find("#generate").Length())
	resp, _ = h.post(vc, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q3"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM statements WHERE tenant_id = $1`, w.f.ID))
}

// TestPartnerStatementPages: the partner's quarters and a statement as a
// page, PDF and CSV, traced to payments, rules and agreement versions;
// revised after issue; bad quarters and other firms' partners refused.
func TestPartnerStatementPages(t *testing.T) {
	w := newStmtWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)

	resp, body := h.get(c, w.staff)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := stmtDoc(t, body)
	require.Equal(t, "page", doc.Find(`nav[aria-label="Partner sections"] a[aria-current]`).AttrOr("aria-current", ""))
	var links []string
	doc.Find("ul.statement-quarters a").Each(func(_ int, s *goquery.Selection) { links = append(links, s.AttrOr("href", "")) })
	require.Equal(t, []string{w.staff + "/2026-Q4", w.staff + "/2026-Q2", w.staff + "/2026-Q1"}, links)

	resp, body = h.get(c, w.staff+"/2026-Q1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find("#account-0 h2").Text(), "We owe the partner (USD)")
	require.Equal(t, "$0.00", stmtLine(doc, 0, "opening"))
	require.Equal(t, "$10,000.00", stmtLine(doc, 0, "earned"))
	require.Equal(t, "$10,000.00", stmtLine(doc, 0, "closing"))
	require.Equal(t, "1", strings.TrimSpace(doc.Find(`[data-testid="submitted"]`).Text()))
	require.Equal(t, "1", strings.TrimSpace(doc.Find(`[data-testid="won"]`).Text()))
	require.Equal(t, "$50,000.00 USD", strings.TrimSpace(doc.Find(`[data-testid="revenue"]`).Text()))
	entries := squash(doc.Find("#entries").Text())
	require.Contains(t, entries, "$4,000.00 USD")
	require.Contains(t, entries, "$6,000.00 USD")
	require.Contains(t, entries, referralRef(w.refNo)+" · Acme Dental")
	require.Contains(t, entries, "Client payment of $20,000.00 on 1 Feb 2026, agreement version 1")
	require.Contains(t, entries, "Rule:")
	require.Contains(t, entries, "paid")
	require.Equal(t, 3, doc.Find("table caption").Length(), "every table has a caption")
	require.Contains(t, doc.Find("#issued").Text(), "Not issued yet")
	require.Equal(t, w.staff+"/2026-Q1.pdf", doc.Find(`#downloads a`).First().AttrOr("href", ""))
	require.Equal(t, w.staff+"/2025-Q4", doc.Find(`a[rel="prev"]`).AttrOr("href", ""))
	require.Equal(t, w.staff+"/2026-Q2", doc.Find(`a[rel="next"]`).AttrOr("href", ""))

	// The current quarter has no "next".
	_, body = h.get(c, w.staff+"/2026-Q4")
	doc = stmtDoc(t, body)
	require.Zero(t, doc.Find(`a[rel="next"]`).Length())
	require.Contains(t, doc.Find(".lead").Text(), "to date (27 Nov 2026)")

	// PDF: the right totals.
	resp, body = h.get(c, w.staff+"/2026-Q2.pdf")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "northwind-advisory_brightline-advisory_2026-Q2_statement.pdf")
	text := stmtPDFText(t, []byte(body))
	for _, want := range []string{"Openingbalance$10,000.00", "Clawbacks(clientrefunds)-$2,000.00", "Paidtoyou-$4,000.00",
		"Closingbalance$4,000.00", "BrightlineAdvisory", "Q22026", "Generated27Nov2026"} {
		require.Contains(t, text, want)
	}

	// CSV.
	resp, body = h.get(c, w.staff+"/2026-Q2.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "2026-Q2_statement.csv")
	require.Contains(t, body, "2026-Q2,We owe you (USD),we_pay,USD,10000.00,0.00,-2000.00,0.00,-4000.00,4000.00")

	// Issued, then revised by a late adjustment dated in Q2.
	resp, _ = h.post(c, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q2"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, w.staff+"/2026-Q2")
	require.Contains(t, stmtDoc(t, body).Find("#issued").Text(), "Issued on 27 Nov 2026 and emailed on 27 Nov 2026.")
	require.Zero(t, stmtDoc(t, body).Find("#revised").Length())
	id := uuid.New()
	tx, err := h.owner.Begin(context.Background())
	require.NoError(t, err)
	_, err = tx.Exec(context.Background(), `INSERT INTO journal_entries (tenant_id, id, kind, partner_id, direction, amount_cents, currency,
			explanation, reason, created_at)
		VALUES ($1, $2, 'adjustment', $3, 'we_pay', -2500, 'USD', 'Adjustment of -$25.00: bank fee', 'bank fee', '2026-06-30 12:00Z')`, w.f.ID, id, w.p)
	require.NoError(t, err)
	_, err = tx.Exec(context.Background(), `INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		VALUES ($1, $2, 1, 'partner_payable', $3, 2500, 'USD'), ($1, $2, 2, 'commission_expense', NULL, -2500, 'USD')`, w.f.ID, id, w.p)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(context.Background()))
	_, body = h.get(c, w.staff+"/2026-Q2")
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find("#revised").Text(), "Revised since it was issued on 27 Nov 2026")
	require.Equal(t, "$3,975.00", stmtLine(doc, 0, "closing"))
	_, body = h.get(c, "/t/northwind/commissions/statements?quarter=2026-Q2")
	require.Contains(t, body, "Revised since")

	// Bad quarters.
	for path, status := range map[string]int{
		w.staff + "/2027-Q1":      http.StatusBadRequest,
		w.staff + "/2027-Q1.pdf":  http.StatusBadRequest,
		w.staff + "/2026-Q9":      http.StatusNotFound,
		w.staff + "/2026-Q1.doc":  http.StatusNotFound,
		w.staff + "/Q1-2026.csv":  http.StatusNotFound,
		w.staff + "/2026-Q1.pdf/": http.StatusNotFound,
	} {
		resp, body := h.get(c, path)
		require.Equal(t, status, resp.StatusCode, path)
		if status == http.StatusBadRequest {
			require.Contains(t, body, "That quarter hasn&#39;t started", path)
		}
	}

	// Another firm: its partner isn't found here; this firm isn't there.
	other := h.createFirm("contoso", "Contoso")
	op := h.createPartner(other.ID, "Contoso Partner")
	for _, path := range []string{"/t/northwind/partners/" + op.ID.String() + "/statements",
		"/t/northwind/partners/" + op.ID.String() + "/statements/2026-Q1",
		"/t/northwind/partners/" + op.ID.String() + "/statements/2026-Q1.pdf",
		"/t/northwind/partners/" + op.ID.String() + "/statements/2026-Q1.csv",
		"/t/northwind/partners/not-a-uuid/statements/2026-Q1"} {
		resp, _ := h.get(c, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	oc := h.loggedIn(other.Owner.Email)
	for _, path := range []string{w.staff + "/2026-Q1", w.staff + "/2026-Q1.pdf", "/t/northwind/commissions/statements"} {
		resp, body := h.get(oc, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.NotContains(t, body, "Brightline")
	}
	resp, _ = h.post(oc, "/t/northwind/commissions/statements/generate", url.Values{"quarter": {"2026-Q3"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestPortalStatements: the partner reads its own statements (page, PDF,
// CSV) on its phone; another partner of the firm sees only its own; other
// firms' portals are not found.
func TestPortalStatements(t *testing.T) {
	w := newStmtWorld(t)
	h := w.h
	ac := h.loggedIn(w.ada)

	resp, body := h.get(ac, "/p/northwind/statements")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := stmtDoc(t, body)
	var links []string
	doc.Find("ul.statement-quarters a").Each(func(_ int, s *goquery.Selection) { links = append(links, s.AttrOr("href", "")) })
	require.Equal(t, []string{"/p/northwind/statements/2026-Q4", "/p/northwind/statements/2026-Q2", "/p/northwind/statements/2026-Q1"}, links)

	resp, body = h.get(ac, "/p/northwind/statements/2026-Q2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find("#account-0 h2").Text(), "We owe you (USD)")
	require.Equal(t, "$10,000.00", stmtLine(doc, 0, "opening"))
	require.Equal(t, "-$2,000.00", stmtLine(doc, 0, "clawbacks"))
	require.Equal(t, "-$4,000.00", stmtLine(doc, 0, "paid"))
	require.Equal(t, "$4,000.00", stmtLine(doc, 0, "closing"))
	require.Equal(t, 2, doc.Find("#entries li.card").Length(), "entries as cards on a phone")
	require.Contains(t, squash(doc.Find("#entries").Text()), "Client refund of -$10,000.00 on 10 May 2026")
	require.Zero(t, doc.Find("#issued").Length(), "partners aren't told about statements not issued")
	require.Contains(t, body, `name="viewport"`)

	resp, body = h.get(ac, "/p/northwind/statements/2026-Q2.pdf")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, stmtPDFText(t, []byte(body)), "Closingbalance$4,000.00")
	resp, body = h.get(ac, "/p/northwind/statements/2026-Q1.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "4000.00")
	require.Contains(t, body, "6000.00")

	resp, body = h.get(ac, "/p/northwind/statements/2027-Q1")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "That quarter hasn&#39;t started")
	resp, _ = h.get(ac, "/p/northwind/statements/2026-Q5")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Quinn, of another partner of the firm, sees Quiet's statement: nothing of Brightline's.
	qc := h.loggedIn(w.quietie)
	resp, body = h.get(qc, "/p/northwind/statements/2026-Q2")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "$0.00", stmtLine(stmtDoc(t, body), 0, "closing"))
	require.NotContains(t, body, "Acme Dental")
	require.NotContains(t, body, "Brightline")
	_, body = h.get(qc, "/p/northwind/statements/2026-Q2.csv")
	require.NotContains(t, body, "Acme Dental")
	_, body = h.get(qc, "/p/northwind/statements")
	require.Zero(t, stmtDoc(t, body).Find("ul.statement-quarters a").Length())
	require.Contains(t, body, "No statements yet")

	// Another firm's portal, and the staff pages, are not for partners.
	other := h.createFirm("contoso", "Contoso")
	_ = other
	for _, path := range []string{"/p/contoso/statements", "/p/contoso/statements/2026-Q2", w.staff + "/2026-Q2",
		"/t/northwind/commissions/statements"} {
		resp, body := h.get(ac, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.NotContains(t, body, "$4,000.00")
	}
}
