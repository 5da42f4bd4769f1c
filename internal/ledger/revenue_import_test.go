package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

func parseRev(t *testing.T, csv string) ledger.RevenueImportPlan {
	t.Helper()
	plan, err := ledger.ParseRevenueCSV(strings.NewReader(csv), ledger.RevenueImportOptions{})
	require.NoError(t, err)
	return plan
}

func issues(plan ledger.RevenueImportPlan) []string {
	var out []string
	for _, i := range plan.Issues() {
		out = append(out, i.Error())
	}
	return out
}

func TestParseRevenueCSV(t *testing.T) {
	t.Parallel()
	plan := parseRev(t, "\xef\xbb\xbfReferral;Amount paid;Payment date;Invoice;Memo;Whatever\r\n"+
		"R-1024;20.000,00;2025-03-10;INV-1;;x\r\n"+
		"#1025;\"$1,250.50\";10 Mar 2025;INV-2;\"two\nlines\";\r\n"+
		"1026;-10000;2 january 2025;INV-3;;\r\n"+
		"r 1027;(75);2025-02-30;INV-2;;\r\n"+
		";;;;;\r\n"+
		"R-x;0;03/04/2025;;;\r\n")
	require.Equal(t, ';', plan.Delimiter)
	require.Equal(t, []string{"referral", "amount", "paid_on", "external_ref", "note"}, plan.Columns)
	require.Equal(t, []string{"Whatever"}, plan.Ignored)
	require.Len(t, plan.Rows, 5, "the blank row is skipped")

	r := plan.Rows
	require.Equal(t, int64(1024), r[0].ReferralNumber)
	require.Contains(t, issues(plan), "line 2, amount: '20.000,00': use at most two decimals (cents)")
	require.Equal(t, 3, r[1].Line)
	require.Equal(t, int64(1025), r[1].ReferralNumber)
	require.Equal(t, int64(125050), r[1].AmountCents)
	require.Equal(t, "2025-03-10", r[1].PaidOn.Format(time.DateOnly))
	require.Equal(t, "two\nlines", r[1].Note, "a quoted newline stays in the note")
	require.Empty(t, r[1].Errors)
	require.Equal(t, 5, r[2].Line, "lines count the quoted newline")
	require.Equal(t, int64(-1_000_000), r[2].AmountCents)
	require.Equal(t, "2025-01-02", r[2].PaidOn.Format(time.DateOnly))
	require.Empty(t, r[2].Errors)
	require.Equal(t, int64(1027), r[3].ReferralNumber)
	require.Equal(t, int64(-7500), r[3].AmountCents)
	require.Contains(t, issues(plan), "line 6, paid_on: '2025-02-30' is not a date like 2025-03-10 or 10 Mar 2025")
	require.Contains(t, issues(plan), "line 6, external_ref: “INV-2” is also on line 3; each payment's reference must be unique")
	require.Contains(t, issues(plan), "line 8, referral: 'R-x' is not a referral number like R-1024 or 1024")
	require.Contains(t, issues(plan), "line 8, amount: '0': must not be zero (negative for a refund or credit note)")
	require.Contains(t, issues(plan), "line 8, paid_on: '03/04/2025' could be read two ways (day/month or month/day); write it as 2025-03-10 (year-month-day) or 10 Mar 2025")
	require.Equal(t, 3, plan.ErrorRows())
}

func TestParseRevenueCSVCells(t *testing.T) {
	t.Parallel()
	head := "referral,engagement_id,engagement,amount,paid_on,currency,external_ref,refund_of,note\n"
	for _, c := range []struct{ row, want string }{
		{",,,100,2025-01-01,,,,", "line 2, referral: say which referral the payment is for (like R-1024), or give the engagement_id"},
		{",not-a-uuid,,100,2025-01-01,,,,", "line 2, engagement_id: 'not-a-uuid' is not an engagement id (a UUID like 0b6c…)"},
		{"1024,,,,2025-01-01,,,,", "line 2, amount: enter the amount paid (negative for a refund or credit note)"},
		{"1024,,,twenty,2025-01-01,,,,", "line 2, amount: 'twenty': enter an amount in dollars, like 25,000 or 25000.50"},
		{"1024,,,1.234,2025-01-01,,,,", "line 2, amount: '1.234': use at most two decimals (cents)"},
		{"1024,,,(-5),2025-01-01,,,,", "line 2, amount: '(-5)': use either parentheses or a minus sign"},
		{"1024,,,99999999999999999,2025-01-01,,,,", "line 2, amount: '99999999999999999': that amount is too large"},
		{"1024,,,100,,,,,", "line 2, paid_on: enter the day the client paid, like 2025-03-10"},
		{"1024,,,100,1999-12-31,,,,", "line 2, paid_on: '1999-12-31' is not a real payment date"},
		{"1024,,,100,2025-01-01,US$,,,", "line 2, currency: 'US$' is not a 3-letter currency code like USD"},
		{"1024,,,100,2025-01-01,,,INV-1,", "line 2, refund_of: a refund must have a negative amount"},
		{"1024,,,-100,2025-01-01,,INV-1,INV-1,", "line 2, refund_of: a payment can't refund itself"},
		{"1024,,,100,2025-01-01,,\"a\x01b\",,", "line 2, external_ref: contains a control character"},
		{"1024,,,100,2025-01-01,,," + strings.Repeat("x", 201) + ",", "line 2, refund_of: keep it under 200 characters"},
		{"1024,,,100,2025-01-01,,,," + strings.Repeat("x", 2001), "line 2, note: keep it under 2000 characters"},
		{"1024,,,100,2025-01-01,,,,,extra", "line 2: the row has 10 cells but the header 9; put every value under a named column"},
		{"1024,,,\"100,2025-01-01", "line 2: the row can't be read: a quoted cell is not closed, or has a stray quote after it"},
	} {
		plan := parseRev(t, head+c.row+"\n")
		require.Contains(t, issues(plan), c.want, c.row)
	}
	// Good cells.
	plan := parseRev(t, head+"R-1024,,Audit,\"-$1,250.50\",10-Mar-2025,usd,CN-1,INV-1,Partial credit\n"+
		",0b6c3a9e-7a55-4d5f-9a43-2d5b8c1e8f10,,$75,2025-03-10,,,,\n")
	require.Empty(t, issues(plan))
	require.Equal(t, "Audit", plan.Rows[0].Engagement)
	require.Equal(t, int64(-125050), plan.Rows[0].AmountCents)
	require.Equal(t, "USD", plan.Rows[0].Currency)
	require.Equal(t, "INV-1", plan.Rows[0].RefundOf)
	require.Equal(t, uuid.MustParse("0b6c3a9e-7a55-4d5f-9a43-2d5b8c1e8f10"), plan.Rows[1].EngagementID)
}

func TestParseRevenueCSVFile(t *testing.T) {
	t.Parallel()
	fileErr := func(data []byte, opt ledger.RevenueImportOptions) string {
		_, err := ledger.ParseRevenueCSV(bytes.NewReader(data), opt)
		var fe *ledger.RevenueImportFileError
		require.True(t, errors.As(err, &fe), "%v", err)
		return fe.Error()
	}
	require.Equal(t, "line 1: the file is empty; it needs a header row and a row per payment", fileErr([]byte(" \n"), ledger.RevenueImportOptions{}))
	require.Equal(t, "line 2: the file is not UTF-8 text; save the file as UTF-8 (“CSV UTF-8” in Excel) and upload it again",
		fileErr([]byte("referral,amount,paid_on\n1024,100,2025-01-01,caf\xe9\n"), ledger.RevenueImportOptions{}))
	require.Contains(t, fileErr([]byte{0xff, 0xfe, 'r', 0}, ledger.RevenueImportOptions{}), "UTF-16")
	require.Equal(t, "line 1: the header row has no “amount” column; the first row must name the columns, e.g. referral, amount, paid_on, external_ref",
		fileErr([]byte("referral,paid_on\n1024,2025-01-01\n"), ledger.RevenueImportOptions{}))
	require.Contains(t, fileErr([]byte("amount,paid_on\n100,2025-01-01\n"), ledger.RevenueImportOptions{}),
		"no “referral” (like R-1024) or “engagement_id” column")
	require.Equal(t, "line 1: the file has a header row but no payments below it",
		fileErr([]byte("referral,amount,paid_on\n,,\n"), ledger.RevenueImportOptions{}))

	var b bytes.Buffer
	b.WriteString("referral,amount,paid_on\n")
	for i := range 4 {
		fmt.Fprintf(&b, "%d,100,2025-01-01\n", 1000+i)
	}
	require.Equal(t, "line 5: the file has more than 3 payments; split it into smaller files and import them one after the other",
		fileErr(b.Bytes(), ledger.RevenueImportOptions{MaxRows: 3}))
	_, err := ledger.ParseRevenueCSV(bytes.NewReader(b.Bytes()), ledger.RevenueImportOptions{MaxRows: 4})
	require.NoError(t, err, "exactly the limit is fine")
	require.Equal(t, "line 2: the file is over 40 bytes; split it into smaller files and import them one after the other",
		fileErr(b.Bytes(), ledger.RevenueImportOptions{MaxBytes: 40}))

	// The defaults: 50,000 payments fit, one more doesn't.
	b.Reset()
	b.WriteString("referral,amount,paid_on\n")
	for range ledger.RevenueImportMaxRows {
		b.WriteString("1,1,2025-01-01\n")
	}
	plan, err := ledger.ParseRevenueCSV(bytes.NewReader(b.Bytes()), ledger.RevenueImportOptions{})
	require.NoError(t, err)
	require.Len(t, plan.Rows, ledger.RevenueImportMaxRows)
	b.WriteString("1,1,2025-01-01\n")
	require.Contains(t, fileErr(b.Bytes(), ledger.RevenueImportOptions{}), "more than 50,000 payments")

	// The template parses cleanly.
	plan, err = ledger.ParseRevenueCSV(bytes.NewReader(ledger.RevenueTemplateCSV()), ledger.RevenueImportOptions{})
	require.NoError(t, err)
	require.Empty(t, issues(plan))
	require.Len(t, plan.Rows, 3)
}

func TestParseSignedAmountAndPaidOn(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"20,000.00": 2_000_000, "-10000": -1_000_000, "$1,250.50": 125_050,
		"-$75": -7500, "$-75.5": -7550, "(1,250.00)": -125_000, "−3": -300, " 42 ": 4200} {
		got, msg := ledger.ParseSignedAmount(in)
		require.Empty(t, msg, in)
		require.Equal(t, want, got, in)
	}
	for in, want := range map[string]string{"2025-03-10": "2025-03-10", "10 Mar 2025": "2025-03-10", "10  march 2025": "2025-03-10",
		"1-Feb-2026": "2026-02-01"} {
		got, msg := ledger.ParsePaidOn(in)
		require.Empty(t, msg, in)
		require.Equal(t, want, got.Format(time.DateOnly), in)
	}
	for _, in := range []string{"2025/03/10", "10.03.2025", "March 10, 2025", "2025-3-10", "45000"} {
		_, msg := ledger.ParsePaidOn(in)
		require.NotEmpty(t, msg, in)
	}
}

// FuzzParseRevenueCSV: whatever the bytes, the parser answers a plan or a
// file error, never panics, and what it accepts is what RecordRevenue can
// be given.
func FuzzParseRevenueCSV(f *testing.F) {
	f.Add([]byte("referral,amount,paid_on,external_ref,note\nR-1024,\"20,000.00\",2025-03-10,INV-1,\"a\nb\"\n"))
	f.Add([]byte("\xef\xbb\xbfReferral;Betrag;Date\n#1;-5;1 Jan 2025\n"))
	f.Add([]byte("engagement_id\tamount\tpaid_on\n0b6c3a9e-7a55-4d5f-9a43-2d5b8c1e8f10\t(1.00)\t2025-01-01\n"))
	f.Add(ledger.RevenueTemplateCSV())
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := ledger.ParseRevenueCSV(bytes.NewReader(data), ledger.RevenueImportOptions{MaxRows: 200})
		if err != nil {
			var fe *ledger.RevenueImportFileError
			if !errors.As(err, &fe) {
				t.Fatalf("not a file error: %v", err)
			}
			if fe.Line < 0 || fe.Message == "" {
				t.Fatalf("bad file error %+v", fe)
			}
			return
		}
		if len(plan.Rows) == 0 || len(plan.Rows) > 200 {
			t.Fatalf("%d rows", len(plan.Rows))
		}
		if h := plan.Hash(); h != plan.Hash() {
			t.Fatal("hash not stable")
		}
		refs := map[string]bool{}
		for _, r := range plan.Rows {
			if r.Line < 1 {
				t.Fatalf("line %d", r.Line)
			}
			for _, is := range r.Errors {
				if is.Message == "" || is.Line != r.Line {
					t.Fatalf("bad issue %+v on line %d", is, r.Line)
				}
			}
			if len(r.Errors) > 0 {
				continue
			}
			if r.AmountCents == 0 || r.AmountCents > commission.MaxAmountCents || r.AmountCents < -commission.MaxAmountCents {
				t.Fatalf("amount %d accepted", r.AmountCents)
			}
			if r.PaidOn.IsZero() || r.PaidOn.Year() < 2000 {
				t.Fatalf("paid on %v accepted", r.PaidOn)
			}
			if r.ReferralNumber <= 0 && r.ReferralID == uuid.Nil && r.EngagementID == uuid.Nil {
				t.Fatal("a row names no referral or engagement")
			}
			if r.ExternalRef != "" {
				if refs[r.ExternalRef] {
					t.Fatalf("duplicate reference %q accepted", r.ExternalRef)
				}
				refs[r.ExternalRef] = true
			}
			if len(r.ExternalRef) > 200 || len(r.Note) > 2000 || !utf8.ValidString(r.Note) {
				t.Fatal("a cell over its limit accepted")
			}
			if r.RefundOf != "" && r.AmountCents > 0 {
				t.Fatal("a positive refund accepted")
			}
		}
	})
}

// impWorld is a firm whose partner has a 20% first-project agreement
// (net 30) and a won referral with one project engagement.
type impWorld struct {
	m     *firm
	p     uuid.UUID
	ref   uuid.UUID
	refNo int64
	eng   uuid.UUID
}

func newImpWorld(t *testing.T) *impWorld {
	m := newFixture(t).firm()
	p := m.partner("Brightline Advisory")
	m.agreement(p, "2025-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	ref := m.referral(p, "Acme", "2025-02-01")
	eng := m.engagement(ref, p, "project", 5_000_000, "2025-03-01")
	return &impWorld{m: m, p: p, ref: ref, refNo: m.refNumber(ref), eng: eng}
}

func (m *firm) refNumber(id uuid.UUID) int64 {
	m.f.t.Helper()
	var n int64
	require.NoError(m.f.t, m.f.owner.QueryRow(context.Background(), `SELECT number FROM referrals WHERE id = $1`, id).Scan(&n))
	return n
}

// importCSV previews (preview true) or imports csv as the firm's staff.
func (m *firm) importCSV(csv string, preview bool, hash string) (ledger.RevenueImportPlan, ledger.RevenueImportResult, error) {
	m.f.t.Helper()
	plan, err := ledger.ParseRevenueCSV(strings.NewReader(csv), ledger.RevenueImportOptions{})
	require.NoError(m.f.t, err)
	var res ledger.RevenueImportResult
	err = m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) (err error) {
		in := ledger.RevenueImportInput{CreatedBy: m.staff, Now: accrueNow, Hash: hash}
		if preview {
			res, err = ledger.PreviewRevenueImport(context.Background(), tx, m.id, &plan, in)
		} else {
			res, err = ledger.ImportRevenue(context.Background(), tx, m.id, &plan, in)
		}
		return err
	})
	return plan, res, err
}

// The worked example through an import: 20% of a $50,000 first project
// paid $20,000 then $30,000 → $4,000 and $6,000, each due 30 days after its
// payment. The preview shows it and writes nothing; the import writes it.
func TestImportRevenueWorkedExample(t *testing.T) {
	t.Parallel()
	w := newImpWorld(t)
	m := w.m
	csv := fmt.Sprintf("Referral,Amount,Paid on,Reference,Note\nR-%d,\"20,000.00\",2025-03-10,INV-1,First invoice\n#%d,$30000,10 May 2025,INV-2,\n", w.refNo, w.refNo)

	plan, res, err := m.importCSV(csv, true, "")
	require.NoError(t, err)
	require.Equal(t, 2, res.Payments)
	require.Equal(t, []ledger.RevenueAmount{{Currency: "USD", AmountCents: 5_000_000}}, res.Totals)
	require.Equal(t, []ledger.RevenueAmount{{Currency: "USD", AmountCents: 1_000_000}}, res.AccruedTotals)
	require.Equal(t, int64(400_000), plan.Rows[0].AccruedCents)
	require.Equal(t, "2025-04-09", plan.Rows[0].DueOn.Format(time.DateOnly))
	require.Equal(t, int64(600_000), plan.Rows[1].AccruedCents)
	require.Equal(t, "2025-06-09", plan.Rows[1].DueOn.Format(time.DateOnly))
	require.Equal(t, "Brightline Advisory", plan.Rows[0].PartnerName)
	require.Equal(t, "Acme", plan.Rows[0].ClientCompany)
	require.Equal(t, w.eng, plan.Rows[1].Resolved)
	require.Equal(t, 0, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`), "the preview writes nothing")
	require.Equal(t, 0, m.count(`SELECT count(*) FROM journal_entries WHERE tenant_id = $1`))
	hash := plan.Hash()

	plan, res, err = m.importCSV(csv, false, hash)
	require.NoError(t, err)
	require.Equal(t, ledger.Stats{Events: 2, Entries: 2}, res.Accrual)
	es := m.entries(w.p)
	require.Equal(t, []int64{400_000, 600_000}, amounts(es, ledger.KindAccrual))
	require.Equal(t, date("2025-04-09"), *es[0].DueOn)
	require.Equal(t, date("2025-06-09"), *es[1].DueOn)
	ev := m.event(plan.Rows[0].EventID)
	require.Equal(t, ledger.SourceImport, ev.Source)
	require.Equal(t, "INV-1", *ev.ExternalRef)
	require.Equal(t, "First invoice", ev.Note)
	require.Equal(t, ledger.StatusAccrued, ev.AccrualStatus)
	require.Equal(t, 1, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'revenue.imported'`))
	require.Empty(t, m.reconcile())

	// The same file again: every reference is already recorded; nothing more is written.
	plan, _, err = m.importCSV(csv, false, "")
	require.ErrorIs(t, err, ledger.ErrRevenueImportRows)
	require.Contains(t, issues(plan), "line 2, external_ref: a payment with reference “INV-1” is already recorded")
	require.Equal(t, 2, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))
}

// Bad rows: each gets its error and nothing at all is written.
func TestImportRevenueBadRowsWriteNothing(t *testing.T) {
	t.Parallel()
	w := newImpWorld(t)
	m := w.m
	// A second referral with two engagements, and a recorded payment.
	two := m.referral(w.p, "Globex", "2025-02-02")
	m.engagement(two, w.p, "project", 100_000, "2025-03-01")
	m.engagement(two, w.p, "retainer", 100_000, "2025-03-02")
	twoNo := m.refNumber(two)
	m.f.exec(`UPDATE engagements SET name = 'Audit' WHERE referral_id = $1 AND kind = 'project'`, two)
	m.mustPay(w.eng, 100_000, "2025-03-05")
	_, err := m.pay(ledger.RevenueInput{EngagementID: w.eng, AmountCents: 5000, PaidOn: date("2025-03-06"), ExternalRef: "INV-OLD"})
	require.NoError(t, err)
	other := m.f.firm()
	op := other.partner("Elsewhere")
	oref := other.referral(op, "Initech", "2025-02-01")
	oeng := other.engagement(oref, op, "project", 100, "2025-03-01")
	before := m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`)

	csv := fmt.Sprintf("referral,engagement,engagement_id,amount,paid_on,currency,external_ref\n"+
		"R-%[1]d,,,100,2025-04-01,,OK-1\n"+ // 2: fine
		"R-999999,,,100,2025-04-01,,\n"+ // 3: unknown referral
		"R-%[1]d,,,abc,2025-04-01,,\n"+ // 4: bad amount
		"R-%[1]d,,,100,04/01/2025,,\n"+ // 5: bad date
		"R-%[1]d,,,100,2025-04-01,,OK-1\n"+ // 6: duplicate in the file
		"R-%[1]d,,,100,2025-04-01,,INV-OLD\n"+ // 7: duplicate in the database
		"R-%[2]d,,,100,2025-04-01,,\n"+ // 8: which engagement?
		"R-%[2]d,Tax,,100,2025-04-01,,\n"+ // 9: no such engagement
		"R-%[1]d,,,100,2030-01-01,,\n"+ // 10: the future (RecordRevenue)
		"R-%[1]d,,,100,2025-04-01,EUR,\n"+ // 11: another currency (RecordRevenue)
		",,%[3]s,100,2025-04-01,,\n"+ // 12: another firm's engagement
		"R-%[1]d,,,-100000000,2025-04-01,,\n"+ // 13: fine (a credit note, no refund_of)
		"R-%[2]d,audit,,100,2025-04-01,,OK-2\n", // 14: fine (the engagement by name, any case)
		w.refNo, twoNo, oeng)
	plan, _, err := m.importCSV(csv, false, "")
	require.ErrorIs(t, err, ledger.ErrRevenueImportRows)
	got := issues(plan)
	for _, want := range []string{
		"line 3, referral: there is no referral R-999999",
		"line 4, amount: 'abc': enter an amount in dollars, like 25,000 or 25000.50",
		"line 5, paid_on: '04/01/2025' could be read two ways",
		"line 6, external_ref: “OK-1” is also on line 2; each payment's reference must be unique",
		"line 7, external_ref: a payment with reference “INV-OLD” is already recorded",
		fmt.Sprintf("line 8, engagement: R-%d has 2 engagements (“Audit”, “Work”); say which one in the engagement column", twoNo),
		fmt.Sprintf("line 9, engagement: R-%d has no engagement named “Tax” (it has “Audit”, “Work”)", twoNo),
		"line 10, paid_on: can't be in the future",
		"line 11, currency: must be the engagement's currency (USD)",
		"line 12, engagement_id: there is no engagement with the id " + oeng.String(),
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		require.True(t, found, "%q not in\n%s", want, strings.Join(got, "\n"))
	}
	require.Equal(t, 10, plan.ErrorRows())
	require.Empty(t, plan.Rows[0].Errors)
	require.Empty(t, plan.Rows[11].Errors)
	require.Empty(t, plan.Rows[12].Errors)
	require.Equal(t, before, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`), "nothing written")
	require.Equal(t, 0, m.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'revenue.imported'`))
	require.Equal(t, 0, other.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))

	// The other firm's referral number is not found here either.
	plan, _, err = m.importCSV(fmt.Sprintf("referral,amount,paid_on\nR-%d,100,2025-04-01\n", other.refNumber(oref)), true, "")
	require.ErrorIs(t, err, ledger.ErrRevenueImportRows)
	require.Equal(t, []string{fmt.Sprintf("line 2, referral: there is no referral R-%d", other.refNumber(oref))}, issues(plan))
}

// A refund names the payment it refunds by reference — in the database or
// on an earlier line — and reverses its accrual; a changed plan is refused.
func TestImportRevenueRefundsAndChangedPlan(t *testing.T) {
	t.Parallel()
	w := newImpWorld(t)
	m := w.m
	csv := fmt.Sprintf("referral,amount,paid_on,external_ref,refund_of\n%[1]d,10000,2025-03-10,INV-1,\n%[1]d,-10000,2025-03-20,CN-1,INV-1\n", w.refNo)
	plan, _, err := m.importCSV(csv, true, "")
	require.NoError(t, err)
	require.Equal(t, int64(-200_000), plan.Rows[1].AccruedCents)

	// Meanwhile the referral gets a second engagement: the row now resolves differently.
	m.engagement(w.ref, w.p, "project", 100, "2025-03-15")
	plan, _, err = m.importCSV(csv, false, plan.Hash())
	require.ErrorIs(t, err, ledger.ErrRevenueImportChanged)
	require.Contains(t, issues(plan)[0], "has 2 engagements (“Work”, “Work”); say which one")
	require.Equal(t, 0, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))

	csv = fmt.Sprintf("referral,engagement,amount,paid_on,external_ref,refund_of\n%[1]d,Work,10000,2025-03-10,INV-1,\n%[1]d,Work,-10000,2025-03-20,CN-1,INV-1\n", w.refNo)
	plan, _, err = m.importCSV(csv, true, "")
	require.Error(t, err, "two engagements are named Work")
	require.Contains(t, issues(plan)[0], "has 2 engagements named “Work”; give the engagement_id instead")
	csv = fmt.Sprintf("engagement_id,amount,paid_on,external_ref,refund_of\n%[1]s,10000,2025-03-10,INV-1,\n%[1]s,-10000,2025-03-20,CN-1,INV-1\n", w.eng)
	plan, _, err = m.importCSV(csv, true, "")
	require.NoError(t, err)
	_, _, err = m.importCSV(csv, false, "not-the-hash")
	require.ErrorIs(t, err, ledger.ErrRevenueImportChanged)
	require.Equal(t, 0, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1`))
	_, res, err := m.importCSV(csv, false, plan.Hash())
	require.NoError(t, err)
	require.Equal(t, 1, res.Payments)
	require.Equal(t, 1, res.Refunds)
	require.Equal(t, []int64{200_000}, amounts(m.entries(w.p), ledger.KindAccrual))
	require.Equal(t, []int64{-200_000}, amounts(m.entries(w.p), ledger.KindReversal))
	require.Equal(t, int64(0), m.payable(w.p))

	// A refund of a payment that isn't recorded, or of more than is left.
	plan, _, err = m.importCSV(fmt.Sprintf("engagement_id,amount,paid_on,refund_of\n%[1]s,-1,2025-03-21,NOPE\n%[1]s,-1,2025-03-21,INV-1\n", w.eng), true, "")
	require.ErrorIs(t, err, ledger.ErrRevenueImportRows)
	require.Equal(t, []string{"line 2, refund_of: no payment with reference “NOPE” is recorded or on an earlier line",
		"line 3, amount: can't refund more than the $0.00 left of that payment"}, issues(plan))
	require.Empty(t, m.reconcile())
}

// The import checks each row as RecordRevenue does: for the checks that
// need the database, both give the same message on the same field.
func TestImportChecksMatchRecordRevenue(t *testing.T) {
	t.Parallel()
	w := newImpWorld(t)
	m := w.m
	second := m.engagement(w.ref, w.p, "project", 100, "2025-03-02")
	paid, err := m.pay(ledger.RevenueInput{EngagementID: w.eng, AmountCents: 50_000, PaidOn: date("2025-03-10"), ExternalRef: "P1"})
	require.NoError(t, err)
	refund, err := m.pay(ledger.RevenueInput{EngagementID: w.eng, AmountCents: -10_000, PaidOn: date("2025-03-11"), ExternalRef: "R1", RefundOfID: paid.ID})
	require.NoError(t, err)

	lowerFirst := func(s string) string { return strings.TrimSuffix(strings.ToLower(s[:1])+s[1:], ".") }
	column := map[string]string{"amount_cents": "amount", "refund_of_id": "refund_of", "currency": "currency", "paid_on": "paid_on"}
	for _, c := range []struct {
		name string
		in   ledger.RevenueInput
		row  string // engagement_id,amount,paid_on,currency,refund_of
	}{
		{"future", ledger.RevenueInput{EngagementID: w.eng, AmountCents: 100, PaidOn: date("2030-01-01")}, w.eng.String() + ",1,2030-01-01,,"},
		{"currency", ledger.RevenueInput{EngagementID: w.eng, AmountCents: 100, PaidOn: date("2025-04-01"), Currency: "EUR"}, w.eng.String() + ",1,2025-04-01,EUR,"},
		{"refund of a refund", ledger.RevenueInput{EngagementID: w.eng, AmountCents: -100, PaidOn: date("2025-04-01"), RefundOfID: refund.ID}, w.eng.String() + ",-1,2025-04-01,,R1"},
		{"other engagement", ledger.RevenueInput{EngagementID: second, AmountCents: -100, PaidOn: date("2025-04-01"), RefundOfID: paid.ID}, second.String() + ",-1,2025-04-01,,P1"},
		{"more than left", ledger.RevenueInput{EngagementID: w.eng, AmountCents: -40_001, PaidOn: date("2025-04-01"), RefundOfID: paid.ID}, w.eng.String() + ",-400.01,2025-04-01,,P1"},
		{"before the payment", ledger.RevenueInput{EngagementID: w.eng, AmountCents: -100, PaidOn: date("2025-03-09"), RefundOfID: paid.ID}, w.eng.String() + ",-1,2025-03-09,,P1"},
	} {
		c.in.Source, c.in.Today = ledger.SourceImport, accrueNow
		var recErr error
		rollBack := errors.New("roll back")
		require.ErrorIs(t, m.f.db.InTenant(context.Background(), m.id, func(tx pgx.Tx) error {
			_, recErr = ledger.RecordRevenue(context.Background(), tx, m.id, c.in)
			return rollBack
		}), rollBack, c.name)
		fe := apperr.FieldErrors(recErr)
		require.Len(t, fe, 1, "%s: %v", c.name, recErr)
		plan, _, err := m.importCSV("engagement_id,amount,paid_on,currency,refund_of\n"+c.row+"\n", true, "")
		require.ErrorIs(t, err, ledger.ErrRevenueImportRows, c.name)
		for k, v := range fe {
			require.Equal(t, []string{"line 2, " + column[k] + ": " + lowerFirst(v)}, issues(plan), c.name)
		}
	}
}

// An import larger than AccrueInlineMaxRows is written whole and left
// pending for the accrual job, which accrues it exactly.
func TestImportRevenueLargeDefersAccrual(t *testing.T) {
	t.Parallel()
	w := newImpWorld(t)
	m := w.m
	var b strings.Builder
	b.WriteString("referral,amount,paid_on,external_ref\n")
	n := ledger.AccrueInlineMaxRows + 1
	for i := range n {
		fmt.Fprintf(&b, "R-%d,100,2025-04-01,INV-%d\n", w.refNo, i)
	}
	plan, res, err := m.importCSV(b.String(), true, "")
	require.NoError(t, err)
	require.True(t, res.AccrualDeferred)
	require.Empty(t, plan.Rows[0].AccrualStatus, "the preview doesn't compute commissions of a large file")
	_, res, err = m.importCSV(b.String(), false, plan.Hash())
	require.NoError(t, err)
	require.True(t, res.AccrualDeferred)
	require.Equal(t, n, res.Payments)
	require.Equal(t, n, m.count(`SELECT count(*) FROM revenue_events WHERE tenant_id = $1 AND accrual_status = 'pending' AND source = 'import'`))
	require.Equal(t, ledger.Stats{Events: n, Entries: n}, m.accrue())
	require.Equal(t, int64(n)*2000, m.payable(w.p))
	require.Empty(t, m.reconcile())
}
