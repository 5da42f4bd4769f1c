package server

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// upload posts a multipart form with one file to path.
func (h *harness) upload(c *http.Client, path, filename string, data []byte) (*http.Response, string) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	require.NoError(h.t, err)
	_, err = fw.Write(data)
	require.NoError(h.t, err)
	require.NoError(h.t, mw.Close())
	resp, err := c.Post(h.ts.URL+path, mw.FormDataContentType(), &buf)
	require.NoError(h.t, err)
	return resp, readBody(h.t, resp)
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// createItem adds a library item through the form and returns its id.
func (h *harness) createItem(c *http.Client, slug string, form url.Values) string {
	h.t.Helper()
	resp, body := h.post(c, "/t/"+slug+"/library", form)
	require.Equal(h.t, http.StatusSeeOther, resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	_, err := uuid.Parse(id)
	require.NoError(h.t, err, loc)
	return id
}

func TestLibraryItemsAndSanitising(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	c := h.loggedIn(f.Owner.Email)
	tiers := h.tierIDs(f.ID)

	// Bad input: 422 with every message and the input kept; nothing written.
	resp, body := h.post(c, "/t/acme/library", url.Values{"kind": {"poster"}, "title": {""}, "link_url": {"javascript:alert(1)"},
		"body_md": {"Keep **this**"}, "tier_ids": {tiers[1].String(), "not-a-uuid"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Keep **this**")
	require.Zero(t, h.count(`SELECT count(*) FROM enablement_items`))
	resp, body = h.post(c, "/t/acme/library", url.Values{"kind": {"faq"}, "title": {"FAQ"}, "link_url": {"javascript:alert(1)"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter a full web address starting with https:// or http://.")
	require.Zero(t, h.count(`SELECT count(*) FROM enablement_items`))

	// Preview renders the Markdown (sanitised) and saves nothing.
	nasty := "# Hello\n\n**bold** <script>alert('x')</script> <img src=x onerror=alert(1)> [click](javascript:alert(2)) [ok](https://example.com)"
	resp, body = h.post(c, "/t/acme/library", url.Values{"kind": {"faq"}, "title": {"FAQ"}, "body_md": {nasty}, "preview": {"1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "<strong>bold</strong>")
	require.Zero(t, h.count(`SELECT count(*) FROM enablement_items`))

	id := h.createItem(c, "acme", url.Values{"kind": {"faq"}, "title": {"Client FAQ"}, "body_md": {nasty},
		"tier_ids": {tiers[1].String()}, "published": {"on"}})
	resp, body = h.get(c, "/t/acme/library/"+id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := strings.ToLower(body)
	require.Contains(t, body, "<h2>Hello</h2>")
	require.Contains(t, body, `<a href="https://example.com" rel="nofollow noopener" target="_blank">ok</a>`)
	require.NotContains(t, page, "alert(")
	require.NotContains(t, page, "onerror")
	require.NotContains(t, page, "javascript:")
	require.Contains(t, body, "Tier 1 – Strategic")

	// An email template shows the placeholders filled with example values.
	tpl := h.createItem(c, "acme", url.Values{"kind": {"email_template"}, "title": {"Intro email"}, "published": {"on"},
		"body_md": {"Hi {{client_name}},\n\nMeet {{partner_name}}; {{our_firm}} ({{contact_name}}) will call."}})
	_, body = h.get(c, "/t/acme/library/"+tpl)
	require.Contains(t, body, "Hi Alex Morgan,")
	require.Contains(t, body, "Meet Brightline Advisory; Acme Advisors (Sam Patel) will call.")
	require.Contains(t, body, "{{client_name}}", "the template as written is shown too")

	// The list filters by kind and words.
	_, body = h.get(c, "/t/acme/library?kind=email_template")
	require.Contains(t, body, "Intro email")
	require.NotContains(t, body, "Client FAQ")
	_, body = h.get(c, "/t/acme/library?q=hello")
	require.Contains(t, body, "Client FAQ")
	require.NotContains(t, body, "Intro email")

	// Edit, then delete.
	resp, _ = h.post(c, "/t/acme/library/"+id, url.Values{"kind": {"checklist"}, "title": {"If the client says…"},
		"body_md": {"- “We're moving to the cloud”"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/acme/library/"+id)
	require.Contains(t, body, "Not published")
	require.Contains(t, body, "All tiers")
	resp, _ = h.post(c, "/t/acme/library/"+id+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.get(c, "/t/acme/library/"+id)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A viewer reads but doesn't write.
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	v := h.loggedIn("viewer@acme.test")
	resp, body = h.get(v, "/t/acme/library/"+tpl)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Delete item")
	resp, _ = h.post(v, "/t/acme/library", url.Values{"kind": {"faq"}, "title": {"x"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestLibraryAttachments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	c := h.loggedIn(f.Owner.Email)
	id := h.createItem(c, "acme", url.Values{"kind": {"one_pager"}, "title": {"One-pager"}, "published": {"on"}})
	up := "/t/acme/library/" + id + "/attachments"
	files := func() int { return h.count(`SELECT count(*) FROM enablement_files`) }

	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"big.txt", bytes.Repeat([]byte("a"), 5<<20+1), "The file is over 5 MB."},
		{"setup.exe", []byte("MZ\x90\x00"), "Files of this type can&#39;t be attached."},
		{"page.html", []byte("<script>alert(1)</script>"), "Files of this type can&#39;t be attached."},
		{"report.pdf", []byte("<html><script>alert(1)</script>"), "The file is named .pdf but its content isn&#39;t a PDF."},
		{"empty.txt", nil, "The file is empty."},
	} {
		resp, body := h.upload(c, up, tc.name, tc.data)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		require.Contains(t, body, tc.msg, tc.name)
		require.Zero(t, files(), tc.name)
	}
	// A body over the server's upload limit (6 MiB) is refused before it is read.
	resp, _ := h.upload(c, up, "huge.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("a"), 7<<20)...))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Zero(t, files())
	// No file at all.
	var body string
	resp, body = h.post(c, up, url.Values{})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose a file to attach.")

	content := []byte("# Referral checklist\n\n- Moving offices\n")
	resp, _ = h.upload(c, up, `..\..\checklist "final".md`, content)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, files())
	var fileID string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id, filename FROM enablement_files`).Scan(&fileID, new(string)))
	_, body = h.get(c, "/t/acme/library/"+id)
	require.Contains(t, body, "checklist final.md")

	resp, got := h.get(c, up+"/"+fileID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, string(content), got)
	require.Equal(t, "text/markdown; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="checklist final.md"`, resp.Header.Get("Content-Disposition"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	// The file is only reachable through its own item.
	other := h.createItem(c, "acme", url.Values{"kind": {"faq"}, "title": {"Other"}})
	resp, _ = h.get(c, "/t/acme/library/"+other+"/attachments/"+fileID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, _ = h.post(c, up+"/"+fileID+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Zero(t, files())
}

// TestHotProfileEmailOnce: this month's profile is emailed to the portal
// users of active partners when sent, and never a second time.
func TestHotProfileEmailOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	c := h.loggedIn(f.Owner.Email)
	active := h.createPartner(f.ID, "Active Partner")
	h.setPartnerState(f.ID, active.ID, "active", h.srv.now(), true)
	h.portalUser(f.ID, active.ID, "pat@active.test", auth.RolePartnerAdmin)
	paused := h.createPartner(f.ID, "Paused Partner")
	h.setPartnerState(f.ID, paused.ID, "paused", h.srv.now(), true)
	h.portalUser(f.ID, paused.ID, "sam@paused.test", auth.RolePartnerAdmin)

	month := h.srv.now().UTC().Format("2006-01")
	resp, body := h.post(c, "/t/acme/library/hot", url.Values{"month": {month}, "title": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter a title")
	resp, body = h.post(c, "/t/acme/library/hot", url.Values{"month": {"2020-01"}, "title": {"Old"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "past months are kept as they were")
	resp, _ = h.post(c, "/t/acme/library/hot", url.Values{"month": {month}, "title": {"Founders planning an exit"},
		"body_md": {"Owners **3–5 years** from selling. <script>alert(1)</script>"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var hotID string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM hot_profiles WHERE tenant_id = $1`, f.ID).Scan(&hotID))

	_, body = h.get(c, "/t/acme/library/hot")
	require.Contains(t, body, "Send to active partners")
	require.Contains(t, body, "1 person on the portal of active partners")

	resp, _ = h.post(c, "/t/acme/library/hot/"+hotID+"/send", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	m := h.lastEmail("\"pat\" <pat@active.test>")
	require.Contains(t, m.Subject, "Founders planning an exit")
	require.Contains(t, m.Text, h.ts.URL+"/p/acme")
	require.Contains(t, m.HTML, "<strong>3–5 years</strong>")
	require.NotContains(t, m.HTML, "<script")
	require.Equal(t, 1, h.count(`SELECT count(*) FROM email_outbox`), "only the active partner's portal user")

	// Again: refused with the reason, no second email.
	resp, _ = h.post(c, "/t/acme/library/hot/"+hotID+"/send", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, "/t/acme/library/hot")
	require.Contains(t, body, "already emailed to active partners")
	require.NotContains(t, body, "Send to active partners</button>")
	require.Equal(t, 1, h.count(`SELECT count(*) FROM email_outbox`))

	// The portal home shows it, sanitised.
	pc := h.loggedIn("pat@active.test")
	resp, body = h.get(pc, "/p/acme")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Founders planning an exit")
	require.Contains(t, body, "<strong>3–5 years</strong>")
	require.NotContains(t, body, "alert(1)")
}
