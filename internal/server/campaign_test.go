package server

import (
	"bytes"
	"context"
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

func init() {
	// Firm b's campaign and lead: their ids must be 404 in firm A's URLs.
	isolationSeeds = append(isolationSeeds, func(t *testing.T, h *harness, b firm, bPartner uuid.UUID) []string {
		ctx := context.Background()
		var cid, lid uuid.UUID
		require.NoError(t, h.owner.QueryRow(ctx, `INSERT INTO campaigns (tenant_id, name, kind, starts_on)
			VALUES ($1, 'B webinar', 'webinar', current_date) RETURNING id`, b.ID).Scan(&cid))
		_, err := h.owner.Exec(ctx, `INSERT INTO campaign_partners (tenant_id, campaign_id, partner_id) VALUES ($1, $2, $3)`, b.ID, cid, bPartner)
		require.NoError(t, err)
		require.NoError(t, h.owner.QueryRow(ctx, `INSERT INTO campaign_leads (tenant_id, campaign_id, name, owner_partner_id)
			VALUES ($1, $2, 'B lead', $3) RETURNING id`, b.ID, cid, bPartner).Scan(&lid))
		return []string{cid.String(), lid.String()}
	})
}

// postMultipart posts a file upload with fields.
func (h *harness) postMultipart(c *http.Client, path string, fields map[string]string, file string) (*http.Response, string) {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(h.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", "attendees.csv")
	require.NoError(h.t, err)
	_, err = fw.Write([]byte(file))
	require.NoError(h.t, err)
	require.NoError(h.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, &body)
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

// hiddenFields reads a page's hidden inputs.
func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	return v
}

// TestCampaignJourney: a manager creates a webinar with a partner (bad
// input first), imports the attendee list through the preview, adds a lead
// by hand, exports the leads, turns one into a referral (counted on the
// campaign page and the list); the partner's portal user sees the
// campaign and its leads, takes one over and updates it; a viewer reads
// but can't write; another partner sees nothing.
func TestCampaignJourney(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Tax")
	other := h.createPartner(f.ID, "Keystone Legal")
	h.staffUser(f, "manager@northwind.test", auth.RoleManager)
	h.staffUser(f, "viewer@northwind.test", auth.RoleViewer)
	h.portalUser(f.ID, p.ID, "pat@brightline.test", auth.RolePartnerMember)
	h.portalUser(f.ID, other.ID, "kim@keystone.test", auth.RolePartnerAdmin)
	mgr := h.loggedIn("manager@northwind.test")
	base := "/t/northwind/campaigns"

	resp, body := h.get(mgr, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "No campaigns yet")
	resp, body = h.get(mgr, base+"/new")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `name="partner_id"`)

	// Bad input: re-shown with the input and a message per field, nothing written.
	form := url.Values{"name": {"Year-end tax webinar"}, "kind": {"webinar"}, "status": {"planned"}, "starts_on": {"2026-03-10"},
		"ends_on": {"2026-03-10"}, "partner_id": {p.ID.String(), ""}, "partner_audience": {"8,000", ""},
		"our_audience": {"12000"}, "overlap": {"25"}, "lead_rule": {"existing_clients_keep"},
		"resp_task": {"logistics", "promotion", ""}, "resp_owner": {"us", "partner:" + p.ID.String(), "us"}, "resp_note": {"", "Two mailings", ""}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("overlap", "120")
	bad.Set("ends_on", "2026-03-01")
	resp, body = h.post(mgr, base, bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "The end date can")
	require.Contains(t, body, "percentage from 0 to 100")
	require.Contains(t, body, `value="Year-end tax webinar"`)
	require.Zero(t, h.countRows(`SELECT count(*) FROM campaigns`))

	resp, body = h.post(mgr, base, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	cpath := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(cpath, base+"/"))
	resp, body = h.get(mgr, cpath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "(12,000 + 8,000) × (100% − 25%) = 15,000")
	require.Contains(t, body, "Two mailings")
	require.Contains(t, body, "Existing clients stay with their firm")

	// Import: the preview writes nothing; confirm writes every new row.
	csv := "\ufeffName,Email,Company,Job Title,Consent,Notes\n" +
		"Ada Lovelace,ada@analytical.example,Analytical Ltd,CFO,yes,\"Asked about\nR&D credits\"\n" +
		"Bob Byte,bob@bytes.example,Bytes Inc,COO,no,\n" +
		"Broken,not-an-email,,,,\n"
	resp, body = h.postMultipart(mgr, cpath+"/import/preview", map[string]string{"owner": p.ID.String()}, csv)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "2 leads will be added; 1 row with errors will not be imported.")
	require.Zero(t, h.countRows(`SELECT count(*) FROM campaign_leads`))
	require.Contains(t, body, "Import 2 leads (Brightline Tax follows up)")
	hidden := hiddenFields(body)
	require.NotEmpty(t, hidden.Get("batch"))
	require.Equal(t, p.ID.String(), hidden.Get("owner"))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM import_batches WHERE kind LIKE 'leads-%' AND confirmed_at IS NULL`))
	// An owner who is not a partner of the campaign is refused on its field, the choice kept.
	resp, body = h.postMultipart(mgr, cpath+"/import/preview", map[string]string{"owner": other.ID.String()}, csv)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose who follows the new leads up")
	// The batch is the campaign's: under another campaign it is not found, and nothing is written.
	var c2 uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `INSERT INTO campaigns (tenant_id, name, kind, starts_on)
		VALUES ($1, 'Spring seminar', 'webinar', current_date) RETURNING id`, f.ID).Scan(&c2))
	cpath2 := base + "/" + c2.String()
	own := url.Values{"batch": {hidden.Get("batch")}, "hash": {hidden.Get("hash")}, "owner": {"us"}}
	resp, body = h.post(mgr, cpath2+"/import/confirm", own)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "could not be found")
	require.Zero(t, h.countRows(`SELECT count(*) FROM campaign_leads`))
	// Another owner than previewed: the preview is shown again, nothing written.
	changed := url.Values{"batch": {hidden.Get("batch")}, "hash": {hidden.Get("hash")}, "owner": {"us"}}
	resp, body = h.post(mgr, cpath+"/import/confirm", changed)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Import 2 leads (Northwind Advisory follows up)")
	require.Zero(t, h.countRows(`SELECT count(*) FROM campaign_leads`))
	resp, body = h.post(mgr, cpath+"/import/confirm", hidden)
	require.Equal(t, http.StatusConflict, resp.StatusCode, "the hash kept is the last preview's")
	require.Contains(t, body, "Import 2 leads (Brightline Tax follows up)")
	hidden = hiddenFields(body)
	resp, _ = h.post(mgr, cpath+"/import/confirm", hidden)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM campaign_leads WHERE owner_partner_id = $1 AND source = 'import'`, p.ID))
	// Confirming the same preview again adds nothing.
	resp, body = h.post(mgr, cpath+"/import/confirm", hidden)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "imported already")
	require.Equal(t, 2, h.countRows(`SELECT count(*) FROM campaign_leads`))
	// Uploading the same file again: they're leads now, nothing left to import.
	resp, body = h.postMultipart(mgr, cpath+"/import/preview", map[string]string{"owner": p.ID.String()}, csv)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Nothing will be added; 1 row with errors will not be imported; 2 people already on the campaign will be skipped.")
	require.NotContains(t, body, `name="batch"`)
	// A UTF-16 file is refused with a clear message.
	resp, body = h.postMultipart(mgr, cpath+"/import/preview", map[string]string{"owner": "us"}, "\xff\xfeN\x00")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "UTF-16")

	// A lead by hand (bad, then good).
	resp, body = h.post(mgr, cpath+"/leads", url.Values{"name": {""}, "email": {"ada@analytical.example"}, "owner": {"us"}, "status": {"new"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "already a lead of this campaign")
	resp, _ = h.post(mgr, cpath+"/leads", url.Values{"name": {"Cy Young"}, "email": {"cy@young.example"}, "company": {"=HYPERLINK(1)"},
		"owner": {"us"}, "status": {"qualified"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The CSV export: what the page shows, formulas neutralised.
	resp, body = h.get(mgr, cpath+"/leads.csv?owner=us")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, body, "Cy Young")
	require.Contains(t, body, "'=HYPERLINK(1)")
	require.NotContains(t, body, "Ada Lovelace")

	// Turn Ada (Brightline's lead) into an inbound referral from Brightline.
	var ada uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM campaign_leads WHERE email = 'ada@analytical.example'`).Scan(&ada))
	lpath := cpath + "/leads/" + ada.String()
	resp, body = h.get(mgr, lpath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Turn into referral")
	resp, body = h.get(mgr, lpath+"/convert")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "becomes a referral from Brightline Tax")
	require.Contains(t, body, `value="Analytical Ltd"`)
	token := hiddenFields(body).Get("token")
	conv := url.Values{"token": {token}, "partner_id": {p.ID.String()}, "client_company": {"Analytical Ltd"},
		"client_domain": {"analytical.example"}, "contact_name": {"Ada Lovelace"}, "contact_email": {"ada@analytical.example"},
		"challenge": {""}, "context": {"Met at the webinar."}}
	resp, body = h.post(mgr, lpath+"/convert", conv)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Describe the client")
	require.Zero(t, h.countRows(`SELECT count(*) FROM referrals`))
	conv.Set("challenge", "R&D tax credits never claimed.")
	resp, _ = h.post(mgr, lpath+"/convert", conv)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals r JOIN campaign_leads l ON l.referral_id = r.id
		WHERE r.direction = 'inbound' AND r.partner_id = $1 AND r.campaign_id = l.campaign_id AND l.status = 'converted'`, p.ID))
	// Again: nothing new.
	resp, _ = h.post(mgr, lpath+"/convert", conv)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals`))
	resp, body = h.get(mgr, cpath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `data-testid="campaign-referrals">1<`, body)
	require.Contains(t, body, "R-")
	resp, body = h.get(mgr, base+"?status=planned&partner="+p.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Year-end tax webinar")
	_, body = h.get(mgr, base+"?status=completed")
	require.Contains(t, body, "No campaigns match")

	// A viewer reads, writes nothing.
	viewer := h.loggedIn("viewer@northwind.test")
	resp, _ = h.get(viewer, cpath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = h.post(viewer, cpath+"/leads", url.Values{"name": {"Nope"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The partner's portal: the campaign and all its leads.
	pat := h.loggedIn("pat@brightline.test")
	resp, body = h.get(pat, "/p/northwind/campaigns")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Year-end tax webinar")
	ppath := "/p/northwind/campaigns" + strings.TrimPrefix(cpath, base)
	resp, body = h.get(pat, ppath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Cy Young")
	require.Contains(t, body, "Take over Cy Young")
	var cy uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM campaign_leads WHERE email = 'cy@young.example'`).Scan(&cy))
	// Updating our lead without taking it over is refused; taking it over works.
	resp, _ = h.post(pat, ppath+"/leads/"+cy.String(), url.Values{"status": {"contacted"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM campaign_leads WHERE id = $1 AND owner_partner_id IS NULL AND status = 'qualified'`, cy))
	resp, _ = h.post(pat, ppath+"/leads/"+cy.String(), url.Values{"take_over": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(pat, ppath+"/leads/"+cy.String(), url.Values{"status": {"contacted"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM campaign_leads WHERE id = $1 AND owner_partner_id = $2 AND status = 'contacted'`, cy, p.ID))
	resp, _ = h.post(pat, ppath+"/leads", url.Values{"name": {"Dee from Brightline"}, "status": {"new"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM campaign_leads WHERE name = 'Dee from Brightline' AND owner_partner_id = $1 AND source = 'portal'`, p.ID))
	resp, body = h.post(pat, ppath+"/leads", url.Values{"name": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter the person")

	// Another partner of the firm sees nothing of it.
	kim := h.loggedIn("kim@keystone.test")
	_, body = h.get(kim, "/p/northwind/campaigns")
	require.NotContains(t, body, "Year-end tax webinar")
	resp, _ = h.get(kim, ppath)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(kim, ppath+"/leads/"+cy.String(), url.Values{"take_over": {"1"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
