package server

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
)

// ppPartner adds a partner with a domain.
func (h *harness) ppPartner(tenantID uuid.UUID, name, domain string) partner.Partner {
	h.t.Helper()
	ctx := context.Background()
	var p partner.Partner
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		p, err = partner.Create(ctx, tx, tenantID, partner.Input{Name: name, Domain: domain, Type: "referral"})
		return err
	}))
	return p
}

// ppGet reads a partner as the owner role sees it.
func (h *harness) ppGet(tenantID, id uuid.UUID) partner.Partner {
	h.t.Helper()
	ctx := context.Background()
	var p partner.Partner
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		p, err = partner.Get(ctx, tx, tenantID, id)
		return err
	}))
	return p
}

func (h *harness) ppContacts(tenantID, partnerID uuid.UUID) []partner.Contact {
	h.t.Helper()
	ctx := context.Background()
	var cs []partner.Contact
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		cs, err = partner.ListContacts(ctx, tx, tenantID, partnerID)
		return err
	}))
	return cs
}

// text is a response body with HTML entities decoded, for matching messages.
func ppText(body string) string { return html.UnescapeString(body) }

func TestPartnerProfileEdit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind")
	mgr := h.staffUser(f, "mia@northwind.test", auth.RoleManager)
	other := h.ppPartner(f.ID, "Brightline", "brightline.io")
	p := h.ppPartner(f.ID, "Keystone", "keystone.com")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/northwind/partners/" + p.ID.String()

	resp, body := h.get(c, base+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `value="Keystone"`)
	assert.Contains(t, body, "mia@northwind.test", "the owner select lists the firm's staff")

	// Bad input: 422, input kept, nothing saved.
	form := url.Values{"name": {""}, "domain": {"keystone.com"}, "website": {"ftp://keystone"}, "type": {"delivery"},
		"industries": {"Fintech, Health care"}, "stages": {"series_z"}, "positioning": {"luxury"}}
	resp, body = h.post(c, base+"/edit", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, `value="Fintech, Health care"`)
	assert.Contains(t, body, "Enter the partner firm")
	assert.Contains(t, body, "Enter a web address")
	assert.Contains(t, body, "Choose premium, mid-market or value.")
	assert.Equal(t, "referral", h.ppGet(f.ID, p.ID).Type)

	// A domain another partner has: a warning with a link, nothing saved.
	form = url.Values{"name": {"Keystone Partners"}, "domain": {"https://www.Brightline.io/about"}, "website": {"keystone.com"},
		"type": {"delivery"}, "positioning": {"premium"}, "focus": {"specialist"},
		"industries": {"Fintech, fintech, Health   care"}, "regions": {"UK, Nordics"},
		"client_sizes": {"enterprise", "mid-market"}, "stages": {"series_a", "growth"},
		"owner_user_id": {mgr.ID.String()}, "notes": {"Met at the summit."}}
	resp, body = h.post(c, base+"/edit", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "/t/northwind/partners/"+other.ID.String(), "links to the existing partner")
	assert.Contains(t, ppText(body), "Brightline already has this domain")
	assert.Contains(t, body, `name="save_anyway"`)
	assert.Contains(t, body, `value="Keystone Partners"`)
	assert.Equal(t, "Keystone", h.ppGet(f.ID, p.ID).Name)

	// Save anyway.
	form.Set("save_anyway", "1")
	resp, body = h.post(c, base+"/edit", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	got := h.ppGet(f.ID, p.ID)
	assert.Equal(t, "Keystone Partners", got.Name)
	assert.Equal(t, "brightline.io", got.Domain)
	assert.Equal(t, "https://keystone.com", got.Website)
	assert.Equal(t, "delivery", got.Type)
	assert.Equal(t, []string{"Fintech", "Health care"}, got.Industries)
	assert.Equal(t, []string{"mid-market", "enterprise"}, got.ClientSizes)
	assert.Equal(t, []string{"series_a", "growth"}, got.Stages)
	assert.Equal(t, []string{"UK", "Nordics"}, got.Regions)
	require.NotNil(t, got.OwnerUserID)
	assert.Equal(t, mgr.ID, *got.OwnerUserID)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.updated' AND target_id = $2`,
		f.ID, p.ID.String()))

	// The unchanged (shared) domain is not warned about again.
	form.Del("save_anyway")
	form.Set("notes", "Second meeting.")
	resp, _ = h.post(c, base+"/edit", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The overview shows the profile.
	_, body = h.get(c, base)
	assert.Contains(t, body, "Health care")
	assert.Contains(t, body, "Series A")
	assert.Contains(t, body, "mia")
	assert.Contains(t, body, "Second meeting.")

	// Someone outside the firm's staff can't own it.
	stranger := h.createUser("x@else.test", "Stranger")
	form.Set("owner_user_id", stranger.ID.String())
	resp, body = h.post(c, base+"/edit", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, ppText(body), "Choose someone on the firm's staff.")
	assert.Contains(t, body, `action="`+base+`/edit"`, "the re-shown form still posts to this partner")

	// A viewer can't edit.
	h.staffUser(f, "vic@northwind.test", auth.RoleViewer)
	v := h.loggedIn("vic@northwind.test")
	resp, _ = h.get(v, base+"/edit")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, body = h.get(v, base)
	assert.NotContains(t, body, "Edit profile")
}

func TestPartnerCreateDuplicateDomain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind")
	existing := h.ppPartner(f.ID, "Brightline", "brightline.io")
	c := h.loggedIn(f.Owner.Email)
	form := url.Values{"name": {"Brightline Consulting"}, "domain": {"www.brightline.io"}, "type": {"referral"}}
	resp, body := h.post(c, "/t/northwind/partners", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "/t/northwind/partners/"+existing.ID.String())
	assert.Contains(t, body, `value="Brightline Consulting"`)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1`, f.ID))

	form.Set("save_anyway", "1")
	resp, _ = h.post(c, "/t/northwind/partners", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 2, h.countRows(`SELECT count(*) FROM partners WHERE tenant_id = $1`, f.ID))
	// The new partner's history starts at its creation.
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_status_history h JOIN partners p ON p.id = h.partner_id
		WHERE p.tenant_id = $1 AND p.name = 'Brightline Consulting' AND h.from_status IS NULL AND h.to_status = 'prospect'
		AND h.actor_user_id = $2`, f.ID, f.Owner.ID))
}

func TestPartnerStatusMoves(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind")
	p := h.createPartner(f.ID, "Keystone")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/northwind/partners/" + p.ID.String()

	_, body := h.get(c, base)
	assert.Contains(t, body, `<option value="qualifying"`)
	assert.NotContains(t, body, `<option value="active"`, "only the allowed moves are offered")
	assert.Contains(t, body, "(created)")

	// Illegal: straight to active.
	resp, body := h.post(c, base+"/status", url.Values{"status": {"active"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, ppText(body), "A prospect can't go straight to active: qualify it first.")
	assert.Equal(t, "prospect", h.ppGet(f.ID, p.ID).Status)

	for _, to := range []string{"qualifying", "onboarding", "active"} {
		resp, body = h.post(c, base+"/status", url.Values{"status": {to}, "reason": {"Step to " + to}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	}
	// Pausing needs a reason; the input is kept.
	resp, body = h.post(c, base+"/status", url.Values{"status": {"paused"}, "reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Say why the partner becomes paused.")
	resp, _ = h.post(c, base+"/status", url.Values{"status": {"paused"}, "reason": {"Their lead is on leave"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// Unknown status: 422, never 500.
	resp, _ = h.post(c, base+"/status", url.Values{"status": {"bogus"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	got := h.ppGet(f.ID, p.ID)
	assert.Equal(t, "paused", got.Status)
	_, body = h.get(c, base)
	assert.Contains(t, body, "Their lead is on leave")
	assert.Contains(t, body, "Owner of Northwind", "the history names who moved it")
	assert.Contains(t, body, "Active → Paused")
	assert.Equal(t, 5, h.countRows(`SELECT count(*) FROM partner_status_history WHERE tenant_id = $1 AND partner_id = $2`, f.ID, p.ID))
	assert.Equal(t, 4, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.status_changed'`, f.ID))

	// Ended is final.
	resp, _ = h.post(c, base+"/status", url.Values{"status": {"ended"}, "reason": {"Merged into a competitor"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.post(c, base+"/status", url.Values{"status": {"active"}, "reason": {"Back"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "final")
}

func TestPartnerContacts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind")
	p := h.createPartner(f.ID, "Keystone")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/northwind/partners/" + p.ID.String()

	_, body := h.get(c, base)
	assert.Contains(t, body, "Relationship at risk", "no contacts: at risk")

	// Bad input keeps the add form's input.
	resp, body := h.post(c, base+"/contacts", url.Values{"name": {""}, "email": {"not-an-email"}, "title": {"CEO"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, `value="not-an-email"`)
	assert.Contains(t, body, "Enter the contact")

	add := func(name, level string, primary bool) {
		t.Helper()
		form := url.Values{"name": {name}, "email": {strings.ToLower(strings.Fields(name)[0]) + "@keystone.test"},
			"title": {"Partner"}, "level": {level}, "phone": {"+44 20 1234 5678"}}
		if primary {
			form.Set("primary", "1")
		}
		resp, body := h.post(c, base+"/contacts", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	}
	add("Ann Sponsor", "executive_sponsor", true)
	add("Dan Delivery", "delivery", false)
	_, body = h.get(c, base)
	assert.NotContains(t, body, "Relationship at risk")
	assert.Contains(t, body, "Ann Sponsor")

	// A new primary takes over.
	add("Amy Account", "account_manager", true)
	cs := h.ppContacts(f.ID, p.ID)
	primaries := map[string]bool{}
	byName := map[string]partner.Contact{}
	for _, ct := range cs {
		byName[ct.Name] = ct
		if ct.IsPrimary {
			primaries[ct.Name] = true
		}
	}
	assert.Equal(t, map[string]bool{"Amy Account": true}, primaries)
	// Make primary switches back.
	resp, _ = h.post(c, base+"/contacts/"+byName["Ann Sponsor"].ID.String()+"/primary", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	for _, ct := range h.ppContacts(f.ID, p.ID) {
		assert.Equal(t, ct.Name == "Ann Sponsor", ct.IsPrimary, ct.Name)
	}

	// Edit a contact.
	annURL := base + "/contacts/" + byName["Ann Sponsor"].ID.String()
	resp, body = h.get(c, annURL+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `value="Ann Sponsor"`)
	resp, _ = h.post(c, annURL+"/edit", url.Values{"name": {"Ann Sponsor-Smith"}, "email": {"ann@keystone.test"},
		"level": {"executive_sponsor"}, "primary": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(c, annURL+"/edit", url.Values{"name": {"Ann"}, "level": {"boss"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	// The sponsor departs: the relationship is at risk, she stays as a former contact.
	resp, body = h.post(c, annURL+"/depart", url.Values{"departed_on": {"2099-01-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, ppText(body), "can't be in the future")
	resp, _ = h.post(c, annURL+"/depart", url.Values{"departed_on": {"2026-03-31"}, "note": {"Joined a client"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	assert.Contains(t, body, "Relationship at risk")
	assert.Contains(t, body, "No active executive sponsor.")
	assert.Contains(t, body, "Former contacts")
	assert.Contains(t, body, "Joined a client")
	ann := h.ppContacts(f.ID, p.ID)
	for _, ct := range ann {
		if ct.ID == byName["Ann Sponsor"].ID {
			require.NotNil(t, ct.DepartedAt)
			assert.False(t, ct.IsPrimary)
		}
	}
	// A former contact can't become primary again; nor depart twice.
	resp, _ = h.post(c, annURL+"/primary", nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = h.post(c, annURL+"/depart", url.Values{"departed_on": {"2026-03-31"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, 6, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action LIKE 'contact.%'`, f.ID))
}

func TestPartnerContactsNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.createFirm("firm-a", "Firm A")
	b := h.createFirm("firm-b", "Firm B")
	pa := h.createPartner(a.ID, "A1")
	pa2 := h.createPartner(a.ID, "A2")
	pb := h.createPartner(b.ID, "B1")
	ctx := context.Background()
	var bContact, a2Contact partner.Contact
	require.NoError(t, h.db.InTenant(ctx, b.ID, func(tx pgx.Tx) (err error) {
		bContact, err = partner.AddContact(ctx, tx, b.ID, pb.ID, partner.ContactInput{Name: "Bea"})
		return err
	}))
	require.NoError(t, h.db.InTenant(ctx, a.ID, func(tx pgx.Tx) (err error) {
		a2Contact, err = partner.AddContact(ctx, tx, a.ID, pa2.ID, partner.ContactInput{Name: "Al"})
		return err
	}))
	c := h.loggedIn(a.Owner.Email)
	base := "/t/firm-a/partners/" + pa.ID.String() + "/contacts/"
	for _, id := range []uuid.UUID{bContact.ID, a2Contact.ID, uuid.New()} {
		resp, _ := h.get(c, base+id.String()+"/edit")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		for _, action := range []string{"/edit", "/depart", "/primary"} {
			resp, _ := h.post(c, base+id.String()+action, url.Values{})
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, action)
		}
	}
	resp, _ := h.post(c, "/t/firm-a/partners/"+pb.ID.String()+"/contacts", url.Values{"name": {"x"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/firm-a/partners/"+pb.ID.String()+"/status", url.Values{"status": {"qualifying"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "prospect", h.ppGet(b.ID, pb.ID).Status)
}

func TestAPIPartnerPatchDeleteContacts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("northwind", "Northwind")
	other := h.createFirm("contoso", "Contoso")
	mgr := h.staffUser(f, "mia@northwind.test", auth.RoleManager)
	_, admin := h.createToken(f.ID, "CRM", auth.RoleAdmin)
	_, viewer := h.createToken(f.ID, "BI", auth.RoleViewer)
	p := h.createPartner(f.ID, "Keystone")
	pb := h.createPartner(other.ID, "Contoso's partner")
	path := "/partners/" + p.ID.String()
	patch := func(token, path string, v any) apiResp {
		t.Helper()
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return a.do(t, apiReq{Method: http.MethodPatch, Path: path, Token: token, Body: b})
	}

	// Profile fields.
	r := patch(admin, path, map[string]any{"website": "keystone.com", "positioning": "premium", "focus": "specialist",
		"industries": []string{"Fintech", "fintech", "Retail"}, "regions": []string{"UK"}, "client_sizes": []string{"enterprise"},
		"stages": []string{"seed"}, "owner_user_id": mgr.ID.String(), "notes": "Good fit", "domain": "https://www.keystone.com/x"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var got apiPartnerJSON
	r.decode(t, &got)
	assert.Equal(t, []string{"Fintech", "Retail"}, got.Industries)
	require.NotNil(t, got.Domain)
	assert.Equal(t, "keystone.com", *got.Domain)
	assert.Equal(t, "Keystone", got.Name, "fields left out stay")
	var full map[string]any
	r.decode(t, &full)
	assert.Equal(t, "https://keystone.com", full["website"])
	assert.Equal(t, mgr.ID.String(), full["owner_user_id"])
	// null clears.
	r = patch(admin, path, map[string]any{"positioning": nil, "owner_user_id": nil})
	require.Equal(t, http.StatusOK, r.Status)
	r.decode(t, &full)
	assert.Nil(t, full["positioning"])
	assert.Nil(t, full["owner_user_id"])

	// Bad fields: 422 per field, nothing saved.
	r = a.do(t, apiReq{Method: http.MethodPatch, Path: path, Token: admin, Body: []byte(`{"name": "", "stages": ["series_z"]}`), Invalid: true})
	errs := r.fieldErrors(t)
	assert.Contains(t, errs, "name")
	assert.Contains(t, errs, "stages")
	r = a.do(t, apiReq{Method: http.MethodPatch, Path: path, Token: admin, Body: []byte(`{"industries": "Fintech"}`), Invalid: true})
	assert.Contains(t, r.fieldErrors(t), "industries")

	// Status: an illegal move is 422 on field status; nothing else is saved.
	r = patch(admin, path, map[string]any{"status": "active", "notes": "changed"})
	errs = r.fieldErrors(t)
	assert.Equal(t, "A prospect can't go straight to active: qualify it first.", errs["status"])
	assert.Equal(t, "Good fit", h.ppGet(f.ID, p.ID).Notes)
	r = patch(admin, path, map[string]any{"status": "qualifying"})
	require.Equal(t, http.StatusOK, r.Status)
	r.decode(t, &got)
	assert.Equal(t, "qualifying", got.Status)
	r = patch(admin, path, map[string]any{"status": "ended"})
	assert.Contains(t, r.fieldErrors(t), "status_reason")
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_status_history WHERE tenant_id = $1 AND partner_id = $2
		AND to_status = 'qualifying' AND actor_user_id IS NULL`, f.ID, p.ID))

	// Roles: a viewer token may read but not change.
	r = patch(viewer, path, map[string]any{"notes": "x"})
	r.problem(t, http.StatusForbidden)

	// Contacts.
	r = a.post(t, admin, path+"/contacts", map[string]any{"name": "Ann", "email": "ann@keystone.com", "level": "executive_sponsor",
		"title": "CEO", "phone": "+1 555", "is_primary": true}, nil)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var ct map[string]any
	r.decode(t, &ct)
	assert.Equal(t, true, ct["is_primary"])
	assert.Nil(t, ct["departed_at"])
	r = a.post(t, admin, path+"/contacts", map[string]any{"name": "Bob", "is_primary": true}, map[string]string{"Idempotency-Key": "k1"})
	require.Equal(t, http.StatusCreated, r.Status)
	r = a.post(t, admin, path+"/contacts", map[string]any{"name": "Bob", "is_primary": true}, map[string]string{"Idempotency-Key": "k1"})
	require.Equal(t, http.StatusCreated, r.Status)
	r = a.do(t, apiReq{Method: http.MethodPost, Path: path + "/contacts", Token: admin, Body: []byte(`{"name": "", "level": "boss"}`), Invalid: true})
	errs = r.fieldErrors(t)
	assert.Contains(t, errs, "name")
	assert.Contains(t, errs, "level")
	r = a.get(t, viewer, path+"/contacts")
	require.Equal(t, http.StatusOK, r.Status)
	var page struct {
		Data []map[string]any `json:"data"`
	}
	r.decode(t, &page)
	require.Len(t, page.Data, 2)
	assert.Equal(t, "Bob", page.Data[0]["name"], "the primary comes first")
	assert.Equal(t, true, page.Data[0]["is_primary"])
	assert.Equal(t, false, page.Data[1]["is_primary"])

	// Another firm's partner: 404 everywhere.
	bpath := "/partners/" + pb.ID.String()
	patch(admin, bpath, map[string]any{"notes": "x"}).problem(t, http.StatusNotFound)
	a.do(t, apiReq{Method: http.MethodDelete, Path: bpath, Token: admin}).problem(t, http.StatusNotFound)
	a.get(t, admin, bpath+"/contacts").problem(t, http.StatusNotFound)
	a.post(t, admin, bpath+"/contacts", map[string]any{"name": "x"}, nil).problem(t, http.StatusNotFound)

	// Delete: refused once onboarded (end it instead); a fresh prospect goes.
	patch(admin, path, map[string]any{"status": "onboarding"})
	p409 := a.do(t, apiReq{Method: http.MethodDelete, Path: path, Token: admin}).problem(t, http.StatusConflict)
	assert.Contains(t, p409.Detail, "end the partnership instead")
	fresh := h.createPartner(f.ID, "Typo Partner")
	r = a.do(t, apiReq{Method: http.MethodDelete, Path: "/partners/" + fresh.ID.String(), Token: admin})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM partners WHERE id = $1`, fresh.ID))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.deleted' AND target_id = $2`,
		f.ID, fresh.ID.String()))
	// A prospect with portal users is kept too.
	withPortal := h.createPartner(f.ID, "Portal Partner")
	h.portalUser(f.ID, withPortal.ID, "pp@portal.test", auth.RolePartnerAdmin)
	a.do(t, apiReq{Method: http.MethodDelete, Path: "/partners/" + withPortal.ID.String(), Token: admin}).problem(t, http.StatusConflict)
	// So is a prospect that already introduced a client: its referral stays.
	withReferral := h.createPartner(f.ID, "Referral Partner")
	resp := a.post(t, admin, "/referrals", referralBody(withReferral, "Acme Widgets"), nil)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	a.do(t, apiReq{Method: http.MethodDelete, Path: "/partners/" + withReferral.ID.String(), Token: admin}).problem(t, http.StatusConflict)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals WHERE partner_id = $1`, withReferral.ID))
}
