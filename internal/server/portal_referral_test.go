package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
)

// portalRefFixture is a firm with the default referral checklist, two
// active partners with a portal user each, and a partner manager.
type portalRefFixture struct {
	h            *harness
	f            firm
	p, other     partner.Partner
	user, otherU identity.User
	manager      identity.User
	required     []referral.Question // the required checklist questions
	optional     []referral.Question
	base         string // /p/{slug}
}

func newPortalRefFixture(t *testing.T) portalRefFixture {
	t.Helper()
	h := newHarness(t)
	ctx := context.Background()
	fx := portalRefFixture{h: h, f: h.createFirm("northgate", "Northgate Advisory"), base: "/p/northgate"}
	require.NoError(t, h.db.InTenant(ctx, fx.f.ID, func(tx pgx.Tx) error { return referral.SetUpFirm(ctx, tx, fx.f.ID) }))
	active := func(name string) partner.Partner {
		p := h.createPartner(fx.f.ID, name)
		require.NoError(t, h.db.InTenant(ctx, fx.f.ID, func(tx pgx.Tx) error {
			return partner.SetStatus(ctx, tx, fx.f.ID, p.ID, "active")
		}))
		return p
	}
	fx.p, fx.other = active("Brightline Tax"), active("Keystone Legal")
	fx.user = h.portalUser(fx.f.ID, fx.p.ID, "pat@brightline.test", auth.RolePartnerMember)
	fx.otherU = h.portalUser(fx.f.ID, fx.other.ID, "kim@keystone.test", auth.RolePartnerAdmin)
	fx.manager = h.staffUser(fx.f, "morgan@northgate.test", auth.RoleManager)
	require.NoError(t, h.db.InTenant(ctx, fx.f.ID, func(tx pgx.Tx) error {
		qs, err := referral.Questions(ctx, tx, fx.f.ID, true)
		for _, q := range qs {
			if q.Required {
				fx.required = append(fx.required, q)
			} else {
				fx.optional = append(fx.optional, q)
			}
		}
		return err
	}))
	require.NotEmpty(t, fx.required, "the default checklist has required questions")
	require.NotEmpty(t, fx.optional)
	return fx
}

func (fx portalRefFixture) notifier() referral.Notifier {
	return referral.Notifier{Outbox: fx.h.srv.Outbox, BaseURL: fx.h.ts.URL}
}

// form is a complete, valid referral form with token: every required
// question yes, the first optional one no.
func (fx portalRefFixture) form(token, company string) url.Values {
	v := url.Values{
		"form_token": {token}, "client_company": {company}, "client_domain": {"https://www." + slugOf(company) + ".example/"},
		"contact_name": {"Dana Reyes"}, "contact_email": {"dana@" + slugOf(company) + ".example"}, "contact_phone": {"+44 20 7946 0100"},
		"challenge": {"Margins are down four points; they suspect the warehouse network."},
		"context":   {"Long-standing client of ours."}, "promises_made": {"Said you would call this week."},
		"urgency": {"high"}, "estimated_value": {"45,000"},
	}
	for _, q := range fx.required {
		v.Set("q_"+q.ID.String(), "yes")
	}
	v.Set("q_"+fx.optional[0].ID.String(), "no")
	return v
}

// slugOf makes a domain label of a company name.
func slugOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.ToLower(s))
}

// email is the newest email to addr (addressed "Name <addr>" or bare).
func (fx portalRefFixture) email(addr string) notify.OutboxMessage {
	fx.h.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), fx.h.owner, 500)
	require.NoError(fx.h.t, err)
	for _, m := range msgs {
		if strings.EqualFold(m.To, addr) || strings.HasSuffix(strings.ToLower(m.To), "<"+strings.ToLower(addr)+">") {
			return m
		}
	}
	fx.h.t.Fatalf("no email to %s in the outbox (%d messages)", addr, len(msgs))
	return notify.OutboxMessage{}
}

// emails counts the emails to addr.
func (fx portalRefFixture) emails(addr string) int {
	return fx.count(`SELECT count(*) FROM email_outbox WHERE lower(to_addr) = lower($1) OR lower(to_addr) LIKE '%<' || lower($1) || '>'`, addr)
}

var formTokenInput = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// newToken opens the form and returns its one-time token.
func (fx portalRefFixture) newToken(t *testing.T, c *http.Client) string {
	t.Helper()
	resp, body := fx.h.get(c, fx.base+"/referrals/new")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := formTokenInput.FindStringSubmatch(body)
	require.NotNil(t, m, "the form has a token")
	return m[1]
}

func (fx portalRefFixture) count(sql string, args ...any) int {
	fx.h.t.Helper()
	var n int
	require.NoError(fx.h.t, fx.h.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func (fx portalRefFixture) referrals() int {
	return fx.count(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, fx.f.ID)
}

func (fx portalRefFixture) get(id uuid.UUID) referral.Referral {
	fx.h.t.Helper()
	var r referral.Referral
	require.NoError(fx.h.t, fx.h.db.InTenant(context.Background(), fx.f.ID, func(tx pgx.Tx) (err error) {
		r, err = referral.Get(context.Background(), tx, fx.f.ID, id)
		return err
	}))
	return r
}

// submitAs records a referral through the domain package (staff, API or
// an outbound one), as staff would.
func (fx portalRefFixture) submit(in referral.SubmitInput) referral.Referral {
	fx.h.t.Helper()
	ctx := context.Background()
	if in.Source == "" {
		in.Source = "staff"
		in.SubmittedBy = fx.manager.ID
	}
	if in.Challenge == "" {
		in.Challenge = "Needs an operations review."
	}
	if in.ContactName == "" {
		in.ContactName, in.ContactEmail = "Lee Okafor", "lee@"+slugOf(in.ClientCompany)+".example"
	}
	in.OwnerUserID = &fx.manager.ID
	var r referral.Referral
	require.NoError(fx.h.t, fx.h.db.InTenant(ctx, fx.f.ID, func(tx pgx.Tx) (err error) {
		r, _, err = referral.Submit(ctx, tx, fx.notifier(), fx.f.ID, in)
		return err
	}))
	return r
}

// move moves a referral as staff through the domain package.
func (fx portalRefFixture) move(id uuid.UUID, in referral.TransitionInput) {
	fx.h.t.Helper()
	ctx := context.Background()
	in.ActorUserID, in.ActorKind = fx.manager.ID, "staff"
	require.NoError(fx.h.t, fx.h.db.InTenant(ctx, fx.f.ID, func(tx pgx.Tx) error {
		_, err := referral.Transition(ctx, tx, fx.notifier(), fx.f.ID, id, in)
		return err
	}))
}

func portalRefDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	return doc
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestPortalReferralSubmit: a partner user refers a client — checklist and
// form on one page — and lands on the referral with the firm's promise; the
// referral is the membership's partner's (a partner_id in the form is
// ignored), the checklist is recorded, the partner is acknowledged by email.
func TestPortalReferralSubmit(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)

	resp, body := fx.h.get(c, fx.base+"/referrals/new")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := portalRefDoc(t, body)
	require.Equal(t, "Refer a client", squash(doc.Find("h1").Text()))
	require.Contains(t, squash(doc.Find("main").Text()), "They respond within 24 business hours.")
	for _, q := range append(fx.required, fx.optional...) {
		legend := squash(doc.Find(`fieldset:has(input[name="q_` + q.ID.String() + `"]) legend`).Text())
		require.Contains(t, legend, q.Question)
		require.Equal(t, q.Required, strings.Contains(legend, "Required"), q.Question)
	}
	// Every control has a label.
	doc.Find("main input:not([type=hidden]), main textarea, main select").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		require.NotEmpty(t, id)
		require.Equal(t, 1, doc.Find(`label[for="`+id+`"]`).Length(), "label for %s", id)
	})
	token := formTokenInput.FindStringSubmatch(body)[1]
	require.Regexp(t, `^[A-Za-z0-9_-]{20,}$`, token)
	require.NotEqual(t, token, fx.newToken(t, c), "each form gets its own token")

	form := fx.form(token, "Halden Foods Ltd")
	form.Set("partner_id", fx.other.ID.String()) // never trusted
	resp, body = fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	require.Regexp(t, `^/p/northgate/referrals/[0-9a-f-]{36}$`, loc)
	id := uuid.MustParse(strings.TrimPrefix(loc, fx.base+"/referrals/"))

	r := fx.get(id)
	require.Equal(t, fx.p.ID, r.PartnerID)
	require.Equal(t, "inbound", r.Direction)
	require.Equal(t, "portal", r.Source)
	require.Equal(t, fx.user.ID, *r.SubmittedBy)
	require.Equal(t, "Halden Foods Ltd", r.ClientCompany)
	require.Equal(t, "haldenfoodsltd.example", r.ClientDomain)
	require.Equal(t, "high", r.Urgency)
	require.Equal(t, int64(4500000), *r.EstimatedValueCents)
	require.Len(t, r.Checklist, len(fx.required)+len(fx.optional))
	for _, a := range r.Checklist {
		require.Equal(t, a.Required, a.Answer, a.Question) // optional: one no, the others not answered
	}
	require.Equal(t, token, fx.h.portalRefKey(id))
	ack := fx.email(fx.user.Email)
	require.Contains(t, ack.Subject+ack.Text, r.Ref())

	resp, body = fx.h.get(c, loc)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = portalRefDoc(t, body)
	require.Equal(t, "Received — we respond within 24 business hours.", squash(doc.Find(".flash").Text()))
	require.Equal(t, r.Ref()+" · Halden Foods Ltd", squash(doc.Find("h1").Text()))
	require.Contains(t, squash(doc.Find("#next-heading").Parent().Text()), "We respond within 24 business hours — by ")
	require.Equal(t, "Sent", squash(doc.Find(`.portal-ref-step[aria-current="step"] .portal-ref-step__label`).Text()))
	require.Contains(t, squash(doc.Find("#timeline").Text()), "Referral received")
	require.Contains(t, squash(doc.Find("#details").Text()), "Dana Reyes")

	// The list shows it, open, with what happens next.
	resp, body = fx.h.get(c, fx.base+"/referrals")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = portalRefDoc(t, body)
	row := doc.Find("tbody tr")
	require.Equal(t, 1, row.Length())
	require.Contains(t, squash(row.Text()), r.Ref())
	require.Contains(t, squash(row.Text()), "Submitted")
	require.Contains(t, squash(row.Text()), "We respond within 24 business hours")
	_, body = fx.h.get(c, fx.base+"/referrals?show=closed")
	require.NotContains(t, body, r.Ref())

	// The portal home counts it and offers the big button.
	_, body = fx.h.get(c, fx.base+"/")
	doc = portalRefDoc(t, body)
	require.Equal(t, 1, doc.Find(`a.btn--large[href="/p/northgate/referrals/new"]`).Length())
	require.Contains(t, squash(doc.Find(`section[aria-labelledby="home-referrals-heading"]`).Text()), "1 open")
	require.Contains(t, squash(doc.Find(`section[aria-labelledby="home-referrals-heading"]`).Text()), r.Ref()+" · Halden Foods Ltd")
}

// portalRefKey reads a referral's idempotency key.
func (h *harness) portalRefKey(id uuid.UUID) string {
	h.t.Helper()
	var k string
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT idempotency_key FROM referrals WHERE id = $1`, id).Scan(&k))
	return k
}

// TestPortalReferralChecklistRequired: a required question answered no (or
// not answered) sends the form back with 422, the reason next to the
// question, everything typed kept, nothing written.
func TestPortalReferralChecklistRequired(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	token := fx.newToken(t, c)
	form := fx.form(token, "Corvid Health")
	no, unanswered := fx.required[0], fx.required[1]
	form.Set("q_"+no.ID.String(), "no")
	form.Del("q_" + unanswered.ID.String())

	resp, body := fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Zero(t, fx.referrals())
	doc := portalRefDoc(t, body)
	require.Contains(t, doc.Find(".form-errors").Text(), "There is a problem")
	for _, q := range []referral.Question{no, unanswered} {
		fs := doc.Find(`fieldset:has(input[name="q_` + q.ID.String() + `"])`)
		require.True(t, fs.HasClass("field--invalid"), q.Question)
		require.Contains(t, squash(fs.Find(".field__error").Text()), "This must be yes before you can refer the client.")
		if q.Help != "" {
			require.Contains(t, squash(fs.Find(".field__hint").Text()), q.Help, "the question's help says why")
		}
	}
	// The partner's answers and input are kept; the token too (nothing was made).
	_, checked := doc.Find(`input[name="q_` + no.ID.String() + `"][value="no"]`).Attr("checked")
	require.True(t, checked)
	_, checked = doc.Find(`input[name="q_` + fx.required[len(fx.required)-1].ID.String() + `"][value="yes"]`).Attr("checked")
	require.True(t, checked || len(fx.required) == 2)
	v, _ := doc.Find(`input[name="client_company"]`).Attr("value")
	require.Equal(t, "Corvid Health", v)
	require.Equal(t, "Said you would call this week.", doc.Find(`textarea[name="promises_made"]`).Text())
	v, _ = doc.Find(`input[name="form_token"]`).Attr("value")
	require.Equal(t, token, v)
	_, sel := doc.Find(`select[name="urgency"] option[value="high"]`).Attr("selected")
	require.True(t, sel)

	// Corrected, the same form goes through.
	form.Set("q_"+no.ID.String(), "yes")
	form.Set("q_"+unanswered.ID.String(), "yes")
	resp, _ = fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, fx.referrals())
}

// TestPortalReferralBadInput: an invalid email and website, a missing
// company and challenge, a bad value and a form without its token: 422 with
// a message per field, input kept, nothing written.
func TestPortalReferralBadInput(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	token := fx.newToken(t, c)
	form := fx.form(token, "")
	form.Set("contact_email", "dana-at-example")
	form.Set("client_domain", "not a domain")
	form.Set("challenge", " ")
	form.Set("estimated_value", "lots")

	resp, body := fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Zero(t, fx.referrals())
	doc := portalRefDoc(t, body)
	for _, field := range []string{"client_company", "contact_email", "client_domain", "challenge", "estimated_value"} {
		msg := squash(doc.Find("#f-" + field + "-error").Text())
		require.NotEmpty(t, msg, field)
		inv, _ := doc.Find("#f-" + field).Attr("aria-invalid")
		require.Equal(t, "true", inv, field)
	}
	require.Contains(t, doc.Find("#f-contact_email-error").Text(), "valid email")
	v, _ := doc.Find("#f-contact_email").Attr("value")
	require.Equal(t, "dana-at-example", v)
	v, _ = doc.Find("#f-client_domain").Attr("value")
	require.Equal(t, "not a domain", v)

	// No token (or a forged one): refused, with a fresh token to try again.
	form = fx.form("", "Lumen Software")
	resp, body = fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "This form has expired")
	m := formTokenInput.FindStringSubmatch(body)
	require.NotNil(t, m)
	require.NotEmpty(t, m[1])
	v, _ = portalRefDoc(t, body).Find("#f-client_company").Attr("value")
	require.Equal(t, "Lumen Software", v)
	require.Zero(t, fx.referrals())

	// A partner whose partnership ended can't refer: said at the top.
	require.NoError(t, fx.h.db.InTenant(context.Background(), fx.f.ID, func(tx pgx.Tx) error {
		return partner.SetStatus(context.Background(), tx, fx.f.ID, fx.p.ID, "ended")
	}))
	resp, body = fx.h.post(c, fx.base+"/referrals", fx.form(token, "Lumen Software"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, squash(portalRefDoc(t, body).Find(".form-errors").Text()), "partnership has ended")
	require.Zero(t, fx.referrals())
}

// TestPortalReferralDoubleSubmit: the same form sent again — a double
// click, a retry, the back button, even with changed text, even at the same
// moment — makes one referral and one acknowledgment, and every answer goes
// to it.
func TestPortalReferralDoubleSubmit(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	token := fx.newToken(t, c)
	form := fx.form(token, "Tandem Pay")

	const n = 6
	var wg sync.WaitGroup
	locs := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.PostForm(fx.h.ts.URL+fx.base+"/referrals", form)
			if err == nil {
				resp.Body.Close()
				codes[i], locs[i] = resp.StatusCode, resp.Header.Get("Location")
			}
		}()
	}
	wg.Wait()
	for i := range n {
		require.Equal(t, http.StatusSeeOther, codes[i])
		require.Equal(t, locs[0], locs[i], "every submission goes to the same referral")
	}
	require.Equal(t, 1, fx.referrals())

	// Back button, edit, send again: still that referral, with its flash.
	form.Set("challenge", "Edited after going back.")
	resp, _ := fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, locs[0], resp.Header.Get("Location"))
	_, body := fx.h.get(c, locs[0])
	require.Contains(t, squash(portalRefDoc(t, body).Find(".flash").Text()), "Received — we respond within 24 business hours.")
	require.Equal(t, 1, fx.referrals())
	require.Equal(t, 1, fx.emails(fx.user.Email), "one acknowledgment")

	// A new form is a new referral.
	resp, _ = fx.h.post(c, fx.base+"/referrals", fx.form(fx.newToken(t, c), "Quill Apps"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotEqual(t, locs[0], resp.Header.Get("Location"))
	require.Equal(t, 2, fx.referrals())
}

// TestPortalReferralConflictSaidKindly: a client another partner referred
// already is taken in, and the page says so kindly.
func TestPortalReferralConflictSaidKindly(t *testing.T) {
	fx := newPortalRefFixture(t)
	first := fx.submit(referral.SubmitInput{Direction: "inbound", PartnerID: fx.other.ID, ClientCompany: "Ashcombe Manufacturing",
		ClientDomain: "ashcombe.example"})
	c := fx.h.loggedIn(fx.user.Email)
	form := fx.form(fx.newToken(t, c), "Ashcombe Manufacturing Ltd.")
	form.Set("client_domain", "https://www.ashcombe.example/about")
	resp, body := fx.h.post(c, fx.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = fx.h.get(c, resp.Header.Get("Location"))
	doc := portalRefDoc(t, body)
	require.Equal(t, "Received. This client may already be in touch with us; we'll confirm attribution within 24 business hours.",
		squash(doc.Find(".flash").Text()))
	require.Contains(t, squash(doc.Find(".portal-ref-conflict").Text()), "We'll check and confirm who is credited within 24 business hours")
	// Nothing about the other partner or its referral leaks.
	require.NotContains(t, body, fx.other.Name)
	require.NotContains(t, body, first.Ref())
}

// TestPortalReferralOtherPartnersAre404: another partner's referral — its
// page and every action on it — is not found, and never listed.
func TestPortalReferralOtherPartnersAre404(t *testing.T) {
	fx := newPortalRefFixture(t)
	theirs := fx.submit(referral.SubmitInput{Direction: "inbound", PartnerID: fx.other.ID, ClientCompany: "Kestrel Energy"})
	outbound := fx.submit(referral.SubmitInput{Direction: "outbound", PartnerID: fx.other.ID, ClientCompany: "Marlow Retail"})
	c := fx.h.loggedIn(fx.user.Email)
	for _, id := range []uuid.UUID{theirs.ID, outbound.ID} {
		u := fx.base + "/referrals/" + id.String()
		resp, _ := fx.h.get(c, u)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		for _, action := range []string{"/notes", "/accept", "/decline", "/stage"} {
			resp, _ := fx.h.post(c, u+action, url.Values{"body": {"hi"}, "reason": {"x"}, "to": {"contacted"}})
			require.Equal(t, http.StatusNotFound, resp.StatusCode, action)
		}
	}
	resp, _ := fx.h.get(c, fx.base+"/referrals/not-a-uuid")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	for _, q := range []string{"", "?show=all", "?show=all&direction=outbound"} {
		_, body := fx.h.get(c, fx.base+"/referrals"+q)
		require.NotContains(t, body, "Kestrel")
		require.NotContains(t, body, "Marlow")
	}
	require.Equal(t, "submitted", fx.get(outbound.ID).Status)
	require.Nil(t, fx.get(outbound.ID).PartnerAcceptedAt)
	require.Zero(t, fx.count(`SELECT count(*) FROM referral_events WHERE referral_id = ANY($1) AND kind = 'partner_note'`,
		[]uuid.UUID{theirs.ID, outbound.ID}))
}

// TestPortalReferralOutboundAcceptDecline: the partner answers referrals the
// firm sends it — declining needs a reason — and moves an accepted one
// through its stages to won with the engagement; the firm is told.
func TestPortalReferralOutboundAcceptDecline(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	declined := fx.submit(referral.SubmitInput{Direction: "outbound", PartnerID: fx.p.ID, ClientCompany: "Pennant Hotels"})
	taken := fx.submit(referral.SubmitInput{Direction: "outbound", PartnerID: fx.p.ID, ClientCompany: "Radley Engineering"})

	_, body := fx.h.get(c, fx.base+"/referrals?direction=outbound")
	doc := portalRefDoc(t, body)
	require.Equal(t, 2, doc.Find("tbody tr").Length())
	require.Contains(t, squash(doc.Find("tbody").Text()), "Your answer needed")
	require.Contains(t, squash(doc.Find(".flash--info").Text()), "2 referrals that wait for your answer")

	u := fx.base + "/referrals/" + declined.ID.String()
	_, body = fx.h.get(c, u)
	doc = portalRefDoc(t, body)
	require.Contains(t, squash(doc.Find("#respond").Text()), "Will you take this referral?")
	require.Contains(t, squash(doc.Find("#next-heading").Parent().Text()), "Please accept or decline this referral — by ")
	require.Zero(t, doc.Find("#update").Length(), "no stage updates before accepting")

	// Declining needs a reason.
	resp, body := fx.h.post(c, u+"/decline", url.Values{"reason": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, squash(portalRefDoc(t, body).Find("#f-reason-error").Text()), "Tell us why")
	require.Nil(t, fx.get(declined.ID).PartnerDeclinedAt)
	resp, _ = fx.h.post(c, u+"/decline", url.Values{"reason": {"No capacity this quarter."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	r := fx.get(declined.ID)
	require.NotNil(t, r.PartnerDeclinedAt)
	require.Equal(t, "No capacity this quarter.", r.PartnerDeclineReason)
	require.Contains(t, fx.email(fx.manager.Email).Subject, "declined")
	_, body = fx.h.get(c, u)
	doc = portalRefDoc(t, body)
	require.Zero(t, doc.Find("#respond").Length())
	require.Contains(t, squash(doc.Find("#next-heading").Parent().Text()), "You declined this referral")
	resp, _ = fx.h.post(c, u+"/accept", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode, "an answer is final")

	// Accept, then move it on.
	u = fx.base + "/referrals/" + taken.ID.String()
	resp, _ = fx.h.post(c, u+"/accept", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, referral.Acknowledged, fx.get(taken.ID).Status)
	require.Contains(t, fx.email(fx.manager.Email).Subject, "accepted")
	_, body = fx.h.get(c, u)
	doc = portalRefDoc(t, body)
	require.Contains(t, squash(doc.Find(".flash").Text()), "Accepted.")
	require.Equal(t, "Accepted", squash(doc.Find(`.portal-ref-step[aria-current="step"] .portal-ref-step__label`).Text()))
	var moves []string
	doc.Find(`#update select[name="to"] option`).Each(func(_ int, s *goquery.Selection) {
		if v, _ := s.Attr("value"); v != "" {
			moves = append(moves, v)
		}
	})
	require.Equal(t, []string{"contacted", "meeting", "proposal", "lost", "declined"}, moves)

	stage := func(v url.Values) (*http.Response, string) { return fx.h.post(c, u+"/stage", v) }
	resp, _ = stage(url.Values{"to": {"contacted"}, "note": {"Called the COO; meeting on Tuesday."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, referral.Contacted, fx.get(taken.ID).Status)
	require.Contains(t, fx.email(fx.manager.Email).Text, "Called the COO")

	// Illegal moves and a won without the engagement: 422, input kept.
	resp, body = stage(url.Values{"to": {"won"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, squash(portalRefDoc(t, body).Find("#f-to-error").Text()), "can be won only after a meeting or a proposal")
	resp, _ = stage(url.Values{"to": {"meeting"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = stage(url.Values{"to": {"won"}, "engagement_kind": {"project"}, "engagement_name": {"Tax restructuring"},
		"engagement_value": {"not money"}, "engagement_started_on": {"2026-12-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = portalRefDoc(t, body)
	require.NotEmpty(t, squash(doc.Find("#f-engagement_value-error").Text()))
	v, _ := doc.Find("#f-engagement_name").Attr("value")
	require.Equal(t, "Tax restructuring", v)
	require.Equal(t, referral.Meeting, fx.get(taken.ID).Status)
	resp, body = stage(url.Values{"to": {"won"}, "engagement_kind": {"project"}, "engagement_name": {"Tax restructuring"},
		"engagement_scope": {"Group structure ahead of the sale."}, "engagement_value": {"40,000"},
		"engagement_started_on": {fx.h.srv.now().Format(time.DateOnly)}, "note": {"Signed today."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, referral.Won, fx.get(taken.ID).Status)
	_, body = fx.h.get(c, u)
	doc = portalRefDoc(t, body)
	out := squash(doc.Find("#outcome").Text())
	require.Contains(t, out, "Tax restructuring")
	require.Contains(t, out, "$40,000.00")
	require.Zero(t, doc.Find("#update").Length(), "closed: nothing more to move")
	tl := squash(doc.Find("#timeline").Text())
	for _, s := range []string{"Accepted", "Client contacted", "Called the COO; meeting on Tuesday.", "Meeting held", "Won", "Signed today."} {
		require.Contains(t, tl, s)
	}
}

// TestPortalReferralInboundIsTheFirms: a partner can't move a referral it
// sent the firm; the page says so, nothing changes.
func TestPortalReferralInboundIsTheFirms(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	resp, _ := fx.h.post(c, fx.base+"/referrals", fx.form(fx.newToken(t, c), "Saxby Pharma"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	u := resp.Header.Get("Location")
	id := uuid.MustParse(strings.TrimPrefix(u, fx.base+"/referrals/"))
	_, body := fx.h.get(c, u)
	doc := portalRefDoc(t, body)
	require.Zero(t, doc.Find("#update").Length(), "no stage form on an inbound referral")
	require.Zero(t, doc.Find("#respond").Length())

	for _, to := range []string{"acknowledged", "won", "lost"} {
		resp, body = fx.h.post(c, u+"/stage", url.Values{"to": {to}, "reason": {"fit"}, "note": {"x"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, to)
		require.Contains(t, squash(portalRefDoc(t, body).Find(".flash--error").Text()), "you can move only the referrals we send you")
	}
	resp, _ = fx.h.post(c, u+"/accept", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	r := fx.get(id)
	require.Equal(t, referral.Submitted, r.Status)
	require.Nil(t, r.PartnerAcceptedAt)
	require.Equal(t, 1, fx.count(`SELECT count(*) FROM referral_events WHERE referral_id = $1`, id), "only the submission")
}

// TestPortalReferralTimelineAndNotes: the partner follows each step the
// firm takes — status, partner-facing notes, the outcome with the reason in
// plain words and fit feedback — never internal notes; its own note reaches
// the firm.
func TestPortalReferralTimelineAndNotes(t *testing.T) {
	fx := newPortalRefFixture(t)
	c := fx.h.loggedIn(fx.user.Email)
	resp, _ := fx.h.post(c, fx.base+"/referrals", fx.form(fx.newToken(t, c), "Thornbury Logistics"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	u := resp.Header.Get("Location")
	id := uuid.MustParse(strings.TrimPrefix(u, fx.base+"/referrals/"))

	fx.move(id, referral.TransitionInput{To: referral.Acknowledged, NoteForPartner: "Thanks! Morgan will call them this week.",
		NoteInternal: "INTERNAL: check the credit rating first."})
	fx.move(id, referral.TransitionInput{To: referral.Contacted})
	_, body := fx.h.get(c, u)
	doc := portalRefDoc(t, body)
	steps := doc.Find(".portal-ref-step")
	require.Equal(t, 6, steps.Length())
	require.True(t, steps.Eq(0).HasClass("portal-ref-step--done"))
	require.True(t, steps.Eq(1).HasClass("portal-ref-step--done"))
	require.True(t, steps.Eq(2).HasClass("portal-ref-step--current"))
	require.True(t, steps.Eq(3).HasClass("portal-ref-step--todo"))
	require.Contains(t, squash(doc.Find("#next-heading").Parent().Text()), "Meeting expected — by ")
	tl := squash(doc.Find("#timeline").Text())
	require.Contains(t, tl, "Thanks! Morgan will call them this week.")
	require.NotContains(t, body, "INTERNAL")

	// The partner's note: empty is refused, a real one reaches the owner.
	resp, body = fx.h.post(c, u+"/notes", url.Values{"body": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, squash(portalRefDoc(t, body).Find("#f-body-error").Text()), "Write the note.")
	resp, _ = fx.h.post(c, u+"/notes", url.Values{"body": {"Their CFO asked when you'll be in touch."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// Nobody owns it yet (nor the partner): the firm's owners hear.
	require.Contains(t, fx.email(fx.f.Owner.Email).Text, "Their CFO asked")
	_, body = fx.h.get(c, u)
	require.Contains(t, squash(portalRefDoc(t, body).Find("#timeline").Text()), "Note from Brightline Tax")

	fx.move(id, referral.TransitionInput{To: referral.Lost, Reason: "competitor",
		NoteForPartner: "They went with their incumbent adviser, mainly on price."})
	require.NoError(t, fx.h.db.InTenant(context.Background(), fx.f.ID, func(tx pgx.Tx) error {
		return referral.SetFit(context.Background(), tx, fx.notifier(), fx.f.ID, id, "good", "Well briefed, right size.", fx.manager.ID)
	}))
	_, body = fx.h.get(c, u)
	doc = portalRefDoc(t, body)
	out := squash(doc.Find("#outcome").Text())
	require.Contains(t, out, "Chose another firm")
	require.Contains(t, out, referral.ReasonExplanation("competitor"))
	require.Contains(t, out, "They went with their incumbent adviser, mainly on price.")
	require.Contains(t, out, "A good fit")
	require.Contains(t, out, "Well briefed, right size.")
	require.True(t, doc.Find(".portal-ref-step").Last().HasClass("portal-ref-step--stopped"))
	require.Zero(t, doc.Find("#next-heading").Length())
	_, body = fx.h.get(c, fx.base+"/referrals?show=closed")
	require.Contains(t, body, "Thornbury Logistics")
	_, body = fx.h.get(c, fx.base+"/referrals")
	require.NotContains(t, body, "Thornbury Logistics")
}

// TestPortalReferralWonShowsCommission: a won referral the partner sent
// shows the engagement and the commission to expect under its agreement.
func TestPortalReferralWonShowsCommission(t *testing.T) {
	fx := newPortalRefFixture(t)
	ctx := context.Background()
	_, err := fx.h.owner.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, rules, accepted_at)
		VALUES ($1, $2, 1, 'active', 'referral', current_date - 30, '[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000}]', now())`,
		fx.f.ID, fx.p.ID)
	require.NoError(t, err)
	c := fx.h.loggedIn(fx.user.Email)
	resp, _ := fx.h.post(c, fx.base+"/referrals", fx.form(fx.newToken(t, c), "Uplands Care Group"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	u := resp.Header.Get("Location")
	id := uuid.MustParse(strings.TrimPrefix(u, fx.base+"/referrals/"))
	require.NotNil(t, fx.get(id).AgreementID)
	fx.move(id, referral.TransitionInput{To: referral.Meeting})
	fx.move(id, referral.TransitionInput{To: referral.Won, NoteForPartner: "Signed!", Engagement: &referral.EngagementInput{
		Kind: "retainer", Name: "Finance transformation", Scope: "Month-end close in five days.", Value: "120,000",
		StartedOn: fx.h.srv.now().Format(time.DateOnly)}})
	_, body := fx.h.get(c, u)
	out := squash(portalRefDoc(t, body).Find("#outcome").Text())
	require.Contains(t, out, "Finance transformation (Retainer)")
	require.Contains(t, out, "Month-end close in five days.")
	require.Contains(t, out, "$120,000.00")
	require.Contains(t, out, "Under your agreement you can expect 10% of client payments on the first project (about $12,000.00")
}
