package server

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// importUpload posts a CSV as a file to the preview.
func (h *harness) importUpload(c *http.Client, slug, csv string) (*http.Response, string) {
	h.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", "partners.csv")
	require.NoError(h.t, err)
	_, err = fw.Write([]byte(csv))
	require.NoError(h.t, err)
	require.NoError(h.t, mw.WriteField("csv", ""))
	require.NoError(h.t, mw.Close())
	resp, err := c.Post(h.ts.URL+"/t/"+slug+"/partners/import/preview", mw.FormDataContentType(), &b)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

var importHiddenRE = regexp.MustCompile(`name="(batch|hash)" value="([^"]*)"`)

// importConfirmForm picks the confirmation's hidden fields out of a preview.
func importConfirmForm(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range importHiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, v.Get("batch"), "no confirm form in the preview:\n%s", body)
	require.NotEmpty(t, v.Get("hash"))
	return v
}

// importCount counts rows of a table in a firm, as the schema owner.
func (h *harness) importCount(table string, tenantID uuid.UUID) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, tenantID).Scan(&n))
	return n
}

const importCSV = "Name;Domain;Model;Status;Industries;Contact name;Contact email;Contact level\r\n" +
	"Brightline Tax;brightline.example;Referral;active;Healthcare, Retail;Dana Reyes;dana@brightline.example;executive sponsor\r\n" +
	"Brightline Tax;brightline.example;;;;Sam Ito;sam@brightline.example;account manager\r\n" +
	"Keystone Legal;keystonelegal.example;Strategic alliance / JV;qualifying;;;;\r\n" +
	"Bad Model Ltd;badmodel.example;partnership;;;;;\r\n" +
	";noname.example;referral;;;;;\r\n" +
	"Old Friend;oldfriend.example;channel;;;Ann;ann@oldfriend.example;\r\n"

func TestPartnerImportPreviewAndConfirm(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("imp", "Import Firm")
	other := h.createFirm("imp-other", "Other Firm")
	ctx := context.Background()
	_, err := h.owner.Exec(ctx, `INSERT INTO partners (tenant_id, name, domain) VALUES ($1, 'Old Friend', 'oldfriend.example')`, f.ID)
	require.NoError(t, err)
	// The other firm has Keystone: that's no reason to skip it here.
	_, err = h.owner.Exec(ctx, `INSERT INTO partners (tenant_id, name, domain) VALUES ($1, 'Keystone Legal', 'keystonelegal.example')`, other.ID)
	require.NoError(t, err)
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/imp/partners/import")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<label for="f-file">CSV file</label>`)
	require.Contains(t, body, `<label for="f-csv">Or paste CSV</label>`)
	require.Contains(t, body, "/imports/partners/template.csv")

	resp, body = h.importUpload(c, "imp", importCSV)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	text := html.UnescapeString(body)
	require.Contains(t, text, "2 partners and 2 contacts will be added; 2 rows have errors and will not be imported; 1 partner already exists and is skipped.")
	require.Contains(t, text, "line 5, model: 'partnership' is not one of referral, delivery, alliance, technology, channel")
	require.Contains(t, text, "line 6, name: enter the partner firm's name")
	require.Contains(t, text, "partner exists: Old Friend")
	require.Contains(t, text, "Import 2 partners and 2 contacts (skip 2 rows with errors)")
	require.Equal(t, 1, h.importCount("partners", f.ID), "the preview writes nothing")
	require.Equal(t, 0, h.importCount("partner_contacts", f.ID))

	form := importConfirmForm(t, body)
	resp, _ = h.post(c, "/t/imp/partners/import/confirm", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/imp/partners", resp.Header.Get("Location"))
	_, body = h.get(c, "/t/imp/partners")
	require.Contains(t, body, "Imported 2 partners and 2 contacts.")

	require.Equal(t, 3, h.importCount("partners", f.ID))
	require.Equal(t, 2, h.importCount("partner_contacts", f.ID))
	require.Equal(t, 2, h.importCount("partner_status_history", f.ID))
	require.Equal(t, 1, h.importCount("partners", other.ID), "nothing lands in another firm")
	var typ, status string
	var industries []string
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT type, status, industries FROM partners WHERE tenant_id = $1 AND domain = 'brightline.example'`, f.ID).
		Scan(&typ, &status, &industries))
	require.Equal(t, "referral", typ)
	require.Equal(t, "active", status)
	require.Equal(t, []string{"Healthcare", "Retail"}, industries)
	var primary, level string
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT name, (SELECT level FROM partner_contacts WHERE tenant_id = $1 AND email = 'sam@brightline.example')
		FROM partner_contacts WHERE tenant_id = $1 AND is_primary`, f.ID).Scan(&primary, &level))
	require.Equal(t, "Dana Reyes", primary)
	require.Equal(t, "account_manager", level)
	var detail string
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE tenant_id = $1 AND action = 'partner.imported'`, f.ID).Scan(&detail))
	require.Contains(t, detail, `"partners": 2`)
	require.Contains(t, detail, `"contacts": 2`)

	// Confirming the same preview again (a double submit) adds nothing.
	resp, body = h.post(c, "/t/imp/partners/import/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "This file was imported already")
	require.NotContains(t, body, `name="batch"`, "no confirm button")
	require.Equal(t, 3, h.importCount("partners", f.ID))
}

func TestPartnerImportPastedAndErrors(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("imp", "Import Firm")
	c := h.loggedIn(f.Owner.Email)

	// Pasted text, url-encoded (no file).
	resp, body := h.post(c, "/t/imp/partners/import/preview", url.Values{"csv": {"name\tmodel\nAcme\ttechnology\n"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "1 partner and 0 contacts will be added.")

	// Nothing given.
	resp, body = h.post(c, "/t/imp/partners/import/preview", url.Values{"csv": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose a CSV file, or paste CSV below.")

	// A file-level problem names its line; the pasted text is kept.
	resp, body = h.post(c, "/t/imp/partners/import/preview", url.Values{"csv": {"domain,model\nx.example,referral\n"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	text := html.UnescapeString(body)
	require.Contains(t, text, "Line 1: the header row has no “name” column")
	require.Contains(t, text, "x.example,referral")

	// Too large for a request.
	resp, _ = h.importUpload(c, "imp", "name\n"+strings.Repeat("Some Partner Firm\n", 400_000))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	// Too large for an import, small enough for a request: the upload
	// stops at the limit, and says it.
	resp, body = h.importUpload(c, "imp", "name\n"+strings.Repeat("Some Partner Firm\n", 290_000))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Contains(t, body, "The file is over 5 MB")

	// A tampered confirmation.
	resp, _ = h.post(c, "/t/imp/partners/import/confirm", url.Values{"batch": {"not an id!"}, "hash": {"x"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, body = h.post(c, "/t/imp/partners/import/preview", url.Values{"csv": {"name\nAcme\n"}})
	form := importConfirmForm(t, body)
	form.Set("hash", strings.Repeat("0", 64))
	resp, body = h.post(c, "/t/imp/partners/import/confirm", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Check it and confirm again")
	require.Equal(t, 0, h.importCount("partners", f.ID))
}

func TestPartnerImportAllOrNothing(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("imp", "Import Firm")
	c := h.loggedIn(f.Owner.Email)
	// The database refuses the last contact (something the parser can't
	// know): the partners written before it must go too.
	ctx := context.Background()
	_, err := h.owner.Exec(ctx, `ALTER TABLE partner_contacts ADD CONSTRAINT test_no_boom CHECK (name <> 'Boom')`)
	require.NoError(t, err)
	csv := "name,contact name\nA Firm,Ann\nB Firm,Bo\nC Firm,Boom\n"
	_, body := h.importUpload(c, "imp", csv)
	resp, _ := h.post(c, "/t/imp/partners/import/confirm", importConfirmForm(t, body))
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Equal(t, 0, h.importCount("partners", f.ID))
	require.Equal(t, 0, h.importCount("partner_contacts", f.ID))
	require.Equal(t, 0, h.importCount("partner_status_history", f.ID))
	var n int
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.imported'`, f.ID).Scan(&n))
	require.Zero(t, n)
}

func TestPartnerImportTemplateAndRoles(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("imp", "Import Firm")
	c := h.loggedIn(f.Owner.Email)
	resp, body := h.get(c, "/t/imp/partners/import/template.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	require.True(t, strings.HasPrefix(body, "name,domain,website,model,status,"))

	// The template imports cleanly.
	resp, body = h.importUpload(c, "imp", body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "2 partners and 2 contacts will be added.")

	h.staffUser(f, "viewer@imp.test", auth.RoleViewer)
	v := h.loggedIn("viewer@imp.test")
	for _, path := range []string{"/t/imp/partners/import", "/t/imp/partners/import/template.csv"} {
		resp, _ := h.get(v, path)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	resp, _ = h.importUpload(v, "imp", "name\nAcme\n")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(v, "/t/imp/partners/import/confirm", importConfirmForm(t, body))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, 0, h.importCount("partners", f.ID))

	// Another firm's staff can't reach this firm's import at all.
	other := h.createFirm("imp-other", "Other Firm")
	o := h.loggedIn(other.Owner.Email)
	resp, _ = h.importUpload(o, "imp", "name\nAcme\n")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// …and a preview made here can't be confirmed from their own firm: the
	// upload stays in the firm it was made in.
	resp, _ = h.post(o, "/t/imp-other/partners/import/confirm", importConfirmForm(t, body))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 0, h.importCount("partners", other.ID))
	require.Equal(t, 0, h.importCount("partners", f.ID))
}
