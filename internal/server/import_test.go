package server

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// flowUpload posts a CSV file to a kind's preview.
func (h *harness) flowUpload(c *http.Client, slug, kind, csv string) (*http.Response, string) {
	h.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", kind+".csv")
	require.NoError(h.t, err)
	_, err = fw.Write([]byte(csv))
	require.NoError(h.t, err)
	require.NoError(h.t, mw.Close())
	resp, err := c.Post(h.ts.URL+"/t/"+slug+"/imports/"+kind+"/preview", mw.FormDataContentType(), &b)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

// TestImportReferrals: a referrals file through the flow — the preview
// lists every row with its problems and writes nothing; the confirmation
// writes the good rows together; a duplicate is reported on its row, not
// refused; confirming twice imports once.
func TestImportReferrals(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("ri", "Referral Import Firm")
	p := h.createPartner(f.ID, "Brightline Tax")
	h.createPartner(f.ID, "Keystone Legal")
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/ri/imports/referrals")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<label for="f-file">CSV file</label>`)
	require.Contains(t, body, `href="/t/ri/imports/referrals/template.csv"`)
	require.Contains(t, body, "client_company")
	resp, tmpl := h.get(c, "/t/ri/imports/referrals/template.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(tmpl, "direction,partner,client_company,"))

	// A BOM, semicolons, a quoted newline, headers in other words.
	csv := "\ufeffPartner;Company;Contact;E-mail;Submitted;Estimated value;Status;Need\r\n" +
		"brightline tax;Acme Dental;Pat Lee;pat@acme.example;2025-01-15;25,000;submitted;\"Two lines\r\nof need\"\r\n" +
		p.ID.String() + ";Birch Clinic;Bo Birch;bo@birch.example;;;;Audit\r\n" +
		"Nobody Partners;Cedar Ltd;Cy;cy@cedar.example;;;;Tax\r\n" +
		"Keystone Legal;Birch Clinic;Bo Birch;bo@birch.example;;;;Tax\r\n" +
		"Keystone Legal;Dune Co;Di;di@dune.example;;;won;Tax\r\n" +
		"Keystone Legal;Elm Co;El;;;;;Tax\r\n" +
		"Keystone Legal;Fig Co;Fi;fi@fig.example;2999-01-01;;;Tax\r\n"
	resp, body = h.flowUpload(c, "ri", "referrals", csv)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	text := html.UnescapeString(body)
	require.Contains(t, text, "3 rows ready, 4 with errors.", squash(staffRefDoc(t, body).Find("main").Text()))
	require.Contains(t, text, "Import the 3 good rows")
	rows := squash(staffRefDoc(t, body).Find("#import-rows").Text())
	require.Contains(t, rows, "no partner of yours is called “Nobody Partners”")
	require.Contains(t, rows, "status: only new referrals (submitted) are imported")
	require.Contains(t, rows, "Give an email address or a phone number")
	require.Contains(t, rows, "submitted: can't be in the future")
	require.Contains(t, rows, "New, with a conflict to resolve", "the same client from another partner")
	require.Contains(t, rows, "introduced this client first")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID), "the preview writes nothing")

	form := importConfirmForm(t, body)
	resp, body = h.post(c, "/t/ri/imports/referrals/confirm", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, "/t/ri/referrals", resp.Header.Get("Location"))
	require.Equal(t, 3, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1 AND source = 'import'`, f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1 AND conflict_status = 'open'`, f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1 AND client_company = 'Acme Dental'
		AND submitted_at = '2025-01-15 00:00:00 UTC' AND estimated_value_cents = 2500000 AND challenge = E'Two lines\nof need'`, f.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral.imported'`, f.ID))
	_, body = h.get(c, "/t/ri/referrals")
	require.Contains(t, body, "Imported 3 referrals. 4 rows with errors were left out.")

	// Twice: nothing more.
	resp, body = h.post(c, "/t/ri/imports/referrals/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "This file was imported already")
	require.Equal(t, 3, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))

	// The data changed since a preview: shown again, not written.
	_, body = h.flowUpload(c, "ri", "referrals", "partner,client_company,contact_name,contact_email,challenge\nBrightline Tax,Gum Co,Gu,gu@gum.example,Tax\n")
	form = importConfirmForm(t, body)
	h.commExec(`UPDATE partners SET status = 'ended' WHERE tenant_id = $1 AND id = $2`, f.ID, p.ID)
	resp, body = h.post(c, "/t/ri/imports/referrals/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "There is nothing left to import")
	require.Contains(t, html.UnescapeString(body), "partnership has ended")
	require.Equal(t, 3, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))
}

// TestImportFlowBadInput: files the flow refuses whole, with a message
// that says why and what to do; nothing is written.
func TestImportFlowBadInput(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("rb", "Bad Input Firm")
	h.createPartner(f.ID, "Brightline Tax")
	c := h.loggedIn(f.Owner.Email)
	for _, tc := range []struct{ name, csv, want string }{
		{"utf-16", "\xff\xfep\x00a\x00", "Line 1: the file is UTF-16 text"},
		{"latin-1", "partner,client_company,contact_name,contact_email\nBrightline Tax,Caf\xe9,A,a@b.example\n", "Line 2: the file is not UTF-8 text"},
		{"bare quote", "partner,client_company\nBrightline Tax,Acme \"Dental\n", "Line 2: a quote"},
		{"no header", "client,contact\nAcme,A\n", "Line 1: the header row has no “partner”, “challenge” column"},
		{"header only", "partner,client_company,contact_name,challenge\n", "the file has a header row but no rows to import"},
		{"100,000 rows", "partner,client_company,contact_name,contact_email,challenge\n" + strings.Repeat("Brightline Tax,A,B,c@d.example,Tax\n", 100_000),
			"Line 0"},
	} {
		resp, body := h.flowUpload(c, "rb", "referrals", tc.csv)
		text := html.UnescapeString(body)
		if tc.name == "100,000 rows" {
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
			require.Contains(t, text, "The file has more than 2,000 rows, the most one import takes; split it into files of up to 2,000 rows")
			continue
		}
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		require.Contains(t, text, tc.want, tc.name)
	}
	require.Zero(t, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))
	require.Zero(t, h.countRows(`SELECT count(*) FROM import_batches WHERE tenant_id = $1`, f.ID), "a refused file is not kept")

	// Unknown kinds, roles, other firms.
	resp, _ := h.get(c, "/t/rb/imports/nothing")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	h.staffUser(f, "viewer@rb.test", auth.RoleViewer)
	v := h.loggedIn("viewer@rb.test")
	for _, kind := range []string{"partners", "referrals", "payments"} {
		resp, _ := h.get(v, "/t/rb/imports/"+kind)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, kind)
	}
	_, body := h.flowUpload(c, "rb", "referrals", "partner,client_company,contact_name,contact_email,challenge\nBrightline Tax,Acme,A,a@acme.example,Audit\n")
	form := importConfirmForm(t, body)
	resp, _ = h.post(v, "/t/rb/imports/referrals/confirm", form)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	other := h.createFirm("rb-other", "Other Firm")
	h.createPartner(other.ID, "Brightline Tax")
	o := h.loggedIn(other.Owner.Email)
	resp, _ = h.post(o, "/t/rb-other/imports/referrals/confirm", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "another firm's upload is not found")
	resp, _ = h.post(c, "/t/rb/imports/partners/confirm", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "another kind's upload is not found")
	resp, _ = h.post(c, "/t/rb/imports/referrals/confirm", url.Values{"batch": {form.Get("batch")}, "hash": {"forged"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode, "a hash that is not the preview's")
	require.Zero(t, h.countRows(`SELECT count(*) FROM referrals`))
	resp, _ = h.post(c, "/t/rb/imports/referrals/confirm", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))
	require.Zero(t, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, other.ID))
	_ = fmt.Sprint
}
