package server

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/internal/partner"
)

// exportRows reads an export's CSV without its BOM.
func exportRows(t *testing.T, body string) [][]string {
	t.Helper()
	require.True(t, strings.HasPrefix(body, "\ufeff"), "an export starts with a BOM")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	return rows
}

// TestPartnerExportImportRoundTrip: the directory's export imported into
// another firm, exported again, gives the same file (but for the columns
// that belong to the firm: tier, owner, dates).
func TestPartnerExportImportRoundTrip(t *testing.T) {
	h := newHarness(t)
	a := h.createFirm("rt-a", "Round Trip A")
	b := h.createFirm("rt-b", "Round Trip B")
	ca, cb := h.loggedIn(a.Owner.Email), h.loggedIn(b.Owner.Email)
	src := "name,domain,website,model,status,positioning,focus,industries,regions,client sizes,stages\n" +
		"=Formula & Co,formula.example,https://formula.example,delivery,active,premium,specialist,Healthcare; Retail,UK; Ireland,small; enterprise,seed; growth\n" +
		"\"Comma, Quote \"\"Ltd\"\"\",comma.example,,technology,qualifying,value,generalist,,,,\n" +
		"-Minus Partners,,,channel,prospect,,,Zürich Banking,,,\n"
	resp, body := h.flowUpload(ca, "rt-a", "partners", src)
	require.Equal(t, 200, resp.StatusCode, body)
	resp, _ = h.post(ca, "/t/rt-a/imports/partners/confirm", importConfirmForm(t, body))
	require.Equal(t, 303, resp.StatusCode)
	_, first := h.get(ca, "/t/rt-a/partners/export.csv?sort=name")
	require.Contains(t, first, "'=Formula & Co", "a formula-looking name is neutralised")

	resp, body = h.flowUpload(cb, "rt-b", "partners", first)
	require.Equal(t, 200, resp.StatusCode, body)
	resp, body = h.post(cb, "/t/rt-b/imports/partners/confirm", importConfirmForm(t, body))
	require.Equal(t, 303, resp.StatusCode, body)
	_, second := h.get(cb, "/t/rt-b/partners/export.csv?sort=name")

	x, y := exportRows(t, first), exportRows(t, second)
	require.Len(t, x, 4)
	require.Equal(t, len(x), len(y))
	for i := range x {
		// name … stages and website; not tier (4), owner (5), created, updated.
		keep := func(r []string) []string { return append(append([]string{}, r[:4]...), r[6:13]...) }
		require.Equal(t, keep(x[i]), keep(y[i]), "row %d", i)
	}
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1 AND name = '=Formula & Co'`, b.ID),
		"the import took the export's quote off")
}

// encodeReferralRows writes referral rows with the import's header as an
// export would (csvout).
func encodeReferralRows(t *testing.T, rows [][]string) []byte {
	var b bytes.Buffer
	head := make([]string, len(referralImportColumns))
	for i, c := range referralImportColumns {
		head[i] = c.Name
	}
	w, err := csvout.NewWriter(&b, head...)
	require.NoError(t, err)
	for _, r := range rows {
		require.NoError(t, w.Write(r...))
	}
	require.NoError(t, w.Flush())
	return b.Bytes()
}

// FuzzReferralRoundTrip: a referral written to a referrals file (as an
// export writes it) and read back by the import is the same referral.
func FuzzReferralRoundTrip(f *testing.F) {
	f.Add("inbound", "Brightline Tax", "Acme Dental", "acme.example", "Pat Lee", "pat@acme.example", "+1 555 0100", "2025-01-15T10:00:00Z", "25000.50", "high", "Needs =SUM(A1)")
	f.Add("outbound", "=cmd|' /C calc'!A0", "-Minus Co", "", "@Pat", "", "-555", "", "", "", "line one\nline two")
	f.Add("inbound", "Zürich; Genève", "\"Quoted\", Ltd", "x.example", "Ann", "a@b.example", "", "2024-02-29T23:59:59.123456Z", "1,200", "low", "\t=tab")
	f.Fuzz(func(t *testing.T, dir, partnerName, company, domain, contact, email, phone, submitted, value, urgency, challenge string) {
		in := []string{dir, partnerName, company, domain, contact, email, phone, "submitted", submitted, value, urgency, challenge}
		for _, s := range in {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\ufeff") {
				t.Skip()
			}
		}
		data := encodeReferralRows(t, [][]string{in})
		clean, fe := importflow.Prepare(data, "referral", 10)
		require.Nil(t, fe)
		tab, err := importflow.Parse(clean, referralImportColumns)
		if strings.TrimSpace(partnerName) == "" || strings.TrimSpace(company) == "" || strings.TrimSpace(contact) == "" || strings.TrimSpace(challenge) == "" {
			// Required cells: the row is read (or, blank, skipped) and refused; nothing to compare.
			return
		}
		require.NoError(t, err)
		require.Len(t, tab.Records, 1)
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		row, errs := decodeReferralRow(tab.Records[0], time.UTC, now)
		if len(errs) > 0 {
			return // refused with a message: never imported as something else
		}
		wantDir := strings.ToLower(strings.TrimSpace(dir))
		if wantDir == "" {
			wantDir = "inbound"
		}
		require.Equal(t, wantDir, row.Direction)
		require.Equal(t, strings.TrimSpace(partnerName), row.Partner)
		require.Equal(t, strings.TrimSpace(company), row.Company)
		require.Equal(t, strings.TrimSpace(domain), row.Domain)
		require.Equal(t, strings.TrimSpace(contact), row.Contact)
		require.Equal(t, strings.TrimSpace(email), row.Email)
		require.Equal(t, strings.TrimSpace(phone), row.Phone)
		require.Equal(t, strings.TrimSpace(value), row.Value)
		require.Equal(t, strings.TrimSpace(challenge), row.Challenge)
		if s := strings.TrimSpace(submitted); s != "" {
			want, err := time.Parse(time.RFC3339Nano, s)
			if err == nil {
				require.True(t, want.Truncate(time.Microsecond).Equal(*row.Submitted))
			}
		}
	})
}

// FuzzPartnerRoundTrip: a partner written as the directory export writes
// it and read back by the partner import is the same partner.
func FuzzPartnerRoundTrip(f *testing.F) {
	f.Add("Brightline Tax", "brightline.example", "Healthcare", "Retail")
	f.Add("=HYPERLINK(\"x\")", "", "-Minus", "@At")
	f.Add("\"Quoted\", Ltd", "q.example", "Zürich", "")
	f.Fuzz(func(t *testing.T, name, domain, ind1, ind2 string) {
		for _, s := range []string{name, domain, ind1, ind2} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n\ufeff;,") {
				t.Skip() // list cells split on ; and ,
			}
		}
		var inds []string
		for _, s := range []string{ind1, ind2} {
			s = strings.TrimSpace(s)
			if s != "" && (len(inds) == 0 || !strings.EqualFold(inds[0], s)) { // a list holds a value once
				inds = append(inds, s)
			}
		}
		var b bytes.Buffer
		w, err := csvout.NewWriter(&b, partnerExportHeader...)
		require.NoError(t, err)
		require.NoError(t, w.Write(name, domain, "Referral", "Active", "", "", "", "", csvout.Join(inds), "", "", "", "", "", ""))
		require.NoError(t, w.Flush())
		clean, fe := importflow.Prepare(b.Bytes(), "partner", 10)
		require.Nil(t, fe)
		plan, err := partner.ParseCSV(bytes.NewReader(clean), partner.ImportOptions{})
		if err != nil || len(plan.Partners) != 1 {
			return // refused with a message
		}
		p := plan.Partners[0]
		require.Equal(t, strings.Join(strings.Fields(name), " "), strings.Join(strings.Fields(p.Name), " "))
		require.Equal(t, "referral", p.Type)
		require.Equal(t, "active", p.Status)
		if len(inds) > 0 {
			require.Equal(t, inds, p.Industries)
		}
	})
}
