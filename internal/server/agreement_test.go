package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
)

// agWorld is a firm with its default templates, a partner with a portal
// admin, and its owner signed in.
type agWorld struct {
	h     *harness
	f     firm
	p     partner.Partner
	staff *http.Client
	base  string // the partner's agreements tab
}

func newAgWorld(t *testing.T) *agWorld {
	t.Helper()
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind")
	require.NoError(t, h.db.InTenant(context.Background(), f.ID, func(tx pgx.Tx) error {
		return agreement.SetUpFirm(context.Background(), tx, f.ID)
	}))
	p := h.createPartner(f.ID, "Brightline Advisory")
	h.portalUser(f.ID, p.ID, "admin@brightline.test", auth.RolePartnerAdmin)
	h.portalUser(f.ID, p.ID, "member@brightline.test", auth.RolePartnerMember)
	return &agWorld{h: h, f: f, p: p, staff: h.loggedIn(f.Owner.Email),
		base: "/t/northwind/partners/" + p.ID.String() + "/agreements"}
}

func (w *agWorld) in(fn func(ctx context.Context, tx pgx.Tx) error) {
	w.h.t.Helper()
	ctx := context.Background()
	require.NoError(w.h.t, w.h.db.InTenant(ctx, w.f.ID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func (w *agWorld) template(model string) agreement.Template {
	var t *agreement.Template
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		t, err = agreement.TemplateFor(ctx, tx, w.f.ID, model, nil)
		return err
	})
	require.NotNil(w.h.t, t)
	return *t
}

func (w *agWorld) versions(partnerID uuid.UUID) []agreement.Agreement {
	var as []agreement.Agreement
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		as, err = agreement.ListForPartner(ctx, tx, w.f.ID, partnerID)
		return err
	})
	return as
}

// builderForm is the builder as the template fills it, taking effect on from.
func (w *agWorld) builderForm(model, from string) url.Values {
	in := w.template(model).Input(time.Now())
	d, _ := time.Parse(time.DateOnly, from)
	in.EffectiveFrom = d
	v := url.Values{}
	for k, s := range agreement.FormValues(in) {
		v.Set(k, s)
	}
	return v
}

// record makes an active version for a partner directly.
func (w *agWorld) record(partnerID uuid.UUID, in agreement.Input) agreement.Agreement {
	var a agreement.Agreement
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		if a, err = agreement.CreateDraft(ctx, tx, w.f.ID, partnerID, in, uuid.Nil); err != nil {
			return err
		}
		a, err = agreement.Record(ctx, tx, w.f.ID, a.ID, uuid.Nil, "Pat Signer", time.Now())
		return err
	})
	return a
}

func TestAgreementBuilderDraftAndSend(t *testing.T) {
	w := newAgWorld(t)
	h := w.h

	resp, body := h.get(w.staff, w.base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "No agreement yet")

	// The picker suggests the referral template (the partner's model) first.
	resp, body = h.get(w.staff, w.base+"/new")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tpl := w.template("referral")
	assert.Contains(t, body, "Suggested for this partner")
	assert.Contains(t, body, "?template="+tpl.ID.String())
	assert.Contains(t, body, "10% of client payments on the first project")

	resp, body = h.get(w.staff, w.base+"/new?template="+tpl.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `name="rules[0].rate"`)
	assert.Contains(t, body, `value="10"`, "the template's 10% is filled in")
	assert.Contains(t, body, "Scope")
	assert.Contains(t, body, "Dispute resolution")

	// Bad input: a rate over 100%, tiers with a gap, an end before the
	// start; the form comes back with the input and a message per field.
	v := w.builderForm("referral", "2026-01-01")
	v.Set("title", "Tax referral partnership")
	v.Set("rules[0].rate", "150")
	v.Set("rules[1].kind", "tiered_volume")
	v.Set("rules[1].direction", "we_pay")
	v.Set("rules[1].tiers", "1-3: 10%\n5+: 15%")
	v.Set("term_months", "")
	v.Set("effective_to", "2025-06-30")
	resp, body = h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
	assert.Contains(t, body, `value="Tax referral partnership"`, "input kept")
	assert.Contains(t, body, "Must be at most 10000 (100%).")
	assert.Contains(t, html.UnescapeString(body), "Tiers have a gap: nothing covers 4 to 4")
	assert.Contains(t, body, "The end date must not be before the effective date.")
	assert.Empty(t, w.versions(w.p.ID), "nothing saved")

	// Good input saves a draft.
	v = w.builderForm("referral", "2026-01-01")
	v.Set("title", "Tax referral partnership")
	v.Set("territories", "Northeast, Ohio")
	resp, body = h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	vs := w.versions(w.p.ID)
	require.Len(t, vs, 1)
	d := vs[0]
	assert.Equal(t, agreement.StatusDraft, d.Status)
	assert.Equal(t, "Tax referral partnership", d.Title)
	assert.Equal(t, []string{"Northeast", "Ohio"}, d.Territories)
	assert.Equal(t, int64(1000), d.Rules[0].RateBP)
	assert.Equal(t, tpl.ID, *d.TemplateID)
	require.NotNil(t, d.EffectiveTo)
	assert.Equal(t, "2026-12-31", d.EffectiveTo.Format(time.DateOnly), "the template's 12-month term")

	_, body = h.get(w.staff, w.base)
	assert.Contains(t, body, "Send to the partner for acceptance")
	assert.Contains(t, body, "Edit the draft")

	// Edit the draft: net 45.
	resp, body = h.get(w.staff, w.base+"/"+d.ID.String()+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `value="Tax referral partnership"`)
	v.Set("payment_net_days", "45")
	resp, _ = h.post(w.staff, w.base+"/"+d.ID.String()+"/edit", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 45, w.versions(w.p.ID)[0].PaymentNetDays)

	// Send: the partner's admins are emailed a link to the portal.
	resp, body = h.post(w.staff, w.base+"/"+d.ID.String()+"/send", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, agreement.StatusSent, w.versions(w.p.ID)[0].Status)
	mail := h.lastEmail("admin@brightline.test")
	assert.Contains(t, mail.Subject, "Northwind sent you a partnership agreement")
	assert.Equal(t, "/p/northwind/agreement", h.linkIn(mail.Text, "/p/northwind/agreement"))
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM email_outbox WHERE to_addr = 'member@brightline.test'`),
		"members can't accept, so they aren't asked")
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE action = 'agreement.sent'`))

	// Sent: it can't be edited until withdrawn.
	resp, _ = h.get(w.staff, w.base+"/"+d.ID.String()+"/edit")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.post(w.staff, w.base+"/"+d.ID.String()+"/edit", v)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "withdraw it before changing it")
	resp, _ = h.post(w.staff, w.base+"/"+d.ID.String()+"/withdraw", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, agreement.StatusDraft, w.versions(w.p.ID)[0].Status)
}

func TestAgreementRecordChangeTermsDiffTerminate(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	v := w.builderForm("referral", "2026-01-01")
	resp, _ := h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	v1 := w.versions(w.p.ID)[0]

	// Record as signed needs the signer's name (422, the tab re-shown).
	resp, body := h.post(w.staff, w.base+"/"+v1.ID.String()+"/record", url.Values{"signed_by": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Enter who signed the agreement for the partner.")
	resp, _ = h.post(w.staff, w.base+"/"+v1.ID.String()+"/record", url.Values{"signed_by": {"Robin Brightline"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	v1 = w.versions(w.p.ID)[0]
	assert.Equal(t, agreement.StatusActive, v1.Status)
	assert.Equal(t, "recorded", v1.AcceptedVia)
	assert.Equal(t, "Robin Brightline", v1.AcceptedName)

	_, body = h.get(w.staff, w.base)
	assert.Contains(t, body, "In force: version 1")
	assert.Contains(t, body, "Robin Brightline")
	assert.Contains(t, body, "Change terms (new version)")

	// Change terms: the builder starts from version 1's terms; an effective
	// date on version 1's start is refused with a clear message.
	resp, body = h.get(w.staff, w.base+"/new?from=current")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Changing the terms of version 1")
	v.Set("effective_from", "2026-01-01")
	v.Set("payment_net_days", "45")
	v.Set("change_note", "Net 45 after the annual review")
	resp, body = h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Version 1 takes effect on 1 Jan 2026; a new version must take effect after that date")
	v.Set("effective_from", "2026-07-01")
	v.Set("term_months", "")
	resp, body = h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	v2 := w.versions(w.p.ID)[0]
	assert.Equal(t, 2, v2.Version)
	resp, _ = h.post(w.staff, w.base+"/"+v2.ID.String()+"/record", url.Values{"signed_by": {"Robin Brightline"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	vs := w.versions(w.p.ID)
	assert.Equal(t, agreement.StatusActive, vs[0].Status)
	assert.Equal(t, agreement.StatusSuperseded, vs[1].Status)
	assert.Equal(t, "2026-06-30", vs[1].EffectiveTo.Format(time.DateOnly))

	// The diff in words.
	resp, body = h.get(w.staff, w.base+"/"+v2.ID.String()+"/diff")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	text := html.UnescapeString(body)
	assert.Contains(t, text, "Payment terms")
	assert.Contains(t, text, "net 30")
	assert.Contains(t, text, "net 45")
	assert.Contains(t, text, "Effective from")
	resp, _ = h.get(w.staff, w.base+"/"+v1.ID.String()+"/diff")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "version 1 has nothing before it")
	resp, body = h.get(w.staff, w.base+"/"+v1.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Superseded by version 2.")

	// Terminate: a day before the version took effect is refused, keeping input.
	resp, body = h.post(w.staff, w.base+"/"+v2.ID.String()+"/terminate", url.Values{"ended_on": {"2026-03-01"}, "reason": {"They merged"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "before the version took effect")
	assert.Contains(t, body, "They merged")
	resp, _ = h.post(w.staff, w.base+"/"+v2.ID.String()+"/terminate", url.Values{"ended_on": {"2026-09-30"}, "reason": {"They merged"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, agreement.StatusTerminated, w.versions(w.p.ID)[0].Status)
}

func TestAgreementPolicyRefusesSend(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	w.in(func(ctx context.Context, tx pgx.Tx) error { return policy.SetProfession(ctx, tx, w.f.ID, "law") })
	v := w.builderForm("referral", "2026-01-01")
	v.Set("terms.client_disclosure", "")
	resp, _ := h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a draft may break the policy")
	d := w.versions(w.p.ID)[0]

	_, body := h.get(w.staff, w.base)
	assert.Contains(t, html.UnescapeString(body), "The firm's profession policy refuses this version as it is")

	resp, body = h.post(w.staff, w.base+"/"+d.ID.String()+"/send", url.Values{})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	text := html.UnescapeString(body)
	assert.Contains(t, text, "Refused by the firm's law-firm policy")
	assert.Contains(t, text, "Clients must be told that a referral arrangement exists")
	assert.Contains(t, text, "A law firm may not pay a fee for a referral to someone who is not a lawyer")
	assert.Equal(t, agreement.StatusDraft, w.versions(w.p.ID)[0].Status)
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM email_outbox`))

	// Fixed: disclosure given, the partner is a lawyer.
	v.Set("terms.client_disclosure", "In the engagement letter.")
	v.Set("terms.partner_profession", "law")
	resp, _ = h.post(w.staff, w.base+"/"+d.ID.String()+"/edit", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(w.staff, w.base+"/"+d.ID.String()+"/send", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, agreement.StatusSent, w.versions(w.p.ID)[0].Status)
}

func TestAgreementConflictWarning(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	acme := h.createPartner(w.f.ID, "Acme Tax")
	in := w.template("referral").Input(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	in.Exclusivity, in.ExclusivityScope = "geography", []string{"Northeast"}
	in.Territories = []string{"Northeast"}
	w.record(acme.ID, in)

	v := w.builderForm("referral", "2026-02-01")
	v.Set("territories", "NORTHEAST, Texas")
	v.Set("terms.involvement", "high") // 10% is outside high's 20–25%
	resp, _ := h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a warning never refuses")
	_, body := h.get(w.staff, w.base)
	text := html.UnescapeString(body)
	assert.Contains(t, text, "Territories overlap Acme Tax's active agreement (version 1): NORTHEAST.")
	assert.Contains(t, text, "Acme Tax's active agreement (version 1) is exclusive in these territories: NORTHEAST.")
	assert.Contains(t, text, "outside the usual 20%–25% for high involvement")

	// The level button fills in the default rate without saving.
	v.Set("intent", "apply_involvement")
	resp, body = h.post(w.staff, w.base+"/new", v)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `value="22.5"`)
}

func TestAgreementPagesIsolationAndRoles(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	other := h.createPartner(w.f.ID, "Other Partner")
	a := w.record(other.ID, w.template("alliance").Input(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))

	// Another partner's version under this partner's URL is not found.
	resp, _ := h.get(w.staff, w.base+"/"+a.ID.String())
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(w.staff, w.base+"/"+a.ID.String()+"/terminate", url.Values{"ended_on": {"2026-02-01"}, "reason": {"x"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, agreement.StatusActive, w.versions(other.ID)[0].Status)

	// Another firm's version, in our own partner's URL.
	b := h.createFirm("otherfirm", "Other Firm")
	require.NoError(t, h.db.InTenant(context.Background(), b.ID, func(tx pgx.Tx) error {
		return agreement.SetUpFirm(context.Background(), tx, b.ID)
	}))
	bp := h.createPartner(b.ID, "B's partner")
	var ba agreement.Agreement
	require.NoError(t, h.db.InTenant(context.Background(), b.ID, func(tx pgx.Tx) (err error) {
		ba, err = agreement.CreateDraft(context.Background(), tx, b.ID, bp.ID,
			agreement.DefaultInput("referral", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), uuid.Nil)
		return err
	}))
	for _, path := range []string{"/" + ba.ID.String(), "/" + ba.ID.String() + "/edit"} {
		resp, _ = h.get(w.staff, w.base+path)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	resp, _ = h.post(w.staff, w.base+"/"+ba.ID.String()+"/delete", url.Values{})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A viewer reads but can't change.
	h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	viewer := h.loggedIn("viewer@northwind.test")
	resp, body := h.get(viewer, "/t/northwind/partners/"+other.ID.String()+"/agreements")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, "Terminate version")
	resp, _ = h.get(viewer, w.base+"/new")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(viewer, "/t/northwind/partners/"+other.ID.String()+"/agreements/"+a.ID.String()+"/terminate",
		url.Values{"ended_on": {"2026-02-01"}, "reason": {"x"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The firm-wide list, with its filters.
	resp, body = h.get(viewer, "/t/northwind/agreements")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Other Partner")
	_, body = h.get(viewer, "/t/northwind/agreements?status=draft")
	assert.NotContains(t, body, "Other Partner")
	_, body = h.get(viewer, "/t/northwind/agreements?expiring=1")
	assert.NotContains(t, body, "Other Partner", "its term ends on 31 Dec 2026, not within 30 days of today")
}

func TestAgreementExpiredFlag(t *testing.T) {
	w := newAgWorld(t)
	in := w.template("referral").Input(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	a := w.record(w.p.ID, in)
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		n, err := agreement.MarkExpired(ctx, tx, w.f.ID, time.Now())
		assert.Equal(t, 1, n)
		return err
	})
	_, body := w.h.get(w.staff, w.base)
	assert.Contains(t, body, "Agreement expired")
	assert.Contains(t, body, "No agreement in force")
	assert.Contains(t, body, "The term ended on 31 Dec 2024.")
	_, body = w.h.get(w.staff, "/t/northwind/agreements?status=expired")
	assert.Contains(t, body, "Brightline Advisory")
	assert.True(t, strings.Contains(body, a.ID.String()) || strings.Contains(body, w.base))
}
