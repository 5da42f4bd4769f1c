package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
)

// apiReferralJSON is a referral as a client decodes it.
type apiReferralJSON struct {
	ID                  string  `json:"id"`
	Number              int64   `json:"number"`
	Ref                 string  `json:"ref"`
	Direction           string  `json:"direction"`
	PartnerID           string  `json:"partner_id"`
	ClientCompany       string  `json:"client_company"`
	ClientDomain        *string `json:"client_domain"`
	ContactName         string  `json:"contact_name"`
	ContactEmail        string  `json:"contact_email"`
	Challenge           string  `json:"challenge"`
	Context             string  `json:"context"`
	PromisesMade        string  `json:"promises_made"`
	Urgency             string  `json:"urgency"`
	EstimatedValueCents *int64  `json:"estimated_value_cents"`
	Status              string  `json:"status"`
	Source              string  `json:"source"`
	CreditedPartnerID   *string `json:"credited_partner_id"`
	ConflictWithID      *string `json:"conflict_with_id"`
	ConflictStatus      string  `json:"conflict_status"`
	OwnerUserID         *string `json:"owner_user_id"`
	FirstResponseDueAt  *string `json:"first_response_due_at"`
	FirstRespondedAt    *string `json:"first_responded_at"`
	SubmittedAt         string  `json:"submitted_at"`
	ClosedAt            *string `json:"closed_at"`
	CloseReason         *string `json:"close_reason"`
	Fit                 *string `json:"fit"`
	FitNote             string  `json:"fit_note"`
	SLA                 []struct {
		Clock    string  `json:"clock"`
		DueAt    string  `json:"due_at"`
		MetAt    *string `json:"met_at"`
		Breached bool    `json:"breached"`
	} `json:"sla"`
}

type referralPageJSON struct {
	Data       []apiReferralJSON `json:"data"`
	NextCursor *string           `json:"next_cursor"`
}

type apiEngagementJSON struct {
	ID         string `json:"id"`
	ReferralID string `json:"referral_id"`
	PartnerID  string `json:"partner_id"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	ValueCents int64  `json:"value_cents"`
	StartedOn  string `json:"started_on"`
}

type engagementPageJSON struct {
	Data       []apiEngagementJSON `json:"data"`
	NextCursor *string             `json:"next_cursor"`
}

// activePartner adds an active partner with a portal user (who gets the
// acknowledgments) to a firm.
func (h *harness) activePartner(tenantID uuid.UUID, name, portalEmail string) partner.Partner {
	h.t.Helper()
	p := h.createPartner(tenantID, name)
	_, err := h.owner.Exec(context.Background(), `UPDATE partners SET status = 'active' WHERE tenant_id = $1 AND id = $2`, tenantID, p.ID)
	require.NoError(h.t, err)
	if portalEmail != "" {
		h.portalUser(tenantID, p.ID, portalEmail, auth.RolePartnerAdmin)
	}
	return p
}

// apiRefLastEmail is the newest outbox message to an address (the To may
// carry the person's name: "Pat" <pat@…>).
func apiRefLastEmail(h *harness, addr string) notify.OutboxMessage {
	h.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), h.owner, 500)
	require.NoError(h.t, err)
	for _, m := range msgs {
		if strings.EqualFold(m.To, addr) || strings.HasSuffix(strings.ToLower(m.To), "<"+strings.ToLower(addr)+">") {
			return m
		}
	}
	h.t.Fatalf("no email to %s in the outbox (%d messages)", addr, len(msgs))
	return notify.OutboxMessage{}
}

// referralBody is a valid new inbound referral for partner p.
func referralBody(p partner.Partner, company string) map[string]any {
	slug := strings.ToLower(strings.ReplaceAll(company, " ", ""))
	return map[string]any{
		"partner_id":            p.ID.String(),
		"client_company":        company,
		"client_domain":         "https://www." + slug + ".example/",
		"contact_name":          "Dana Client",
		"contact_email":         "dana@" + slug + ".example",
		"challenge":             "Needs a finance system before the audit.",
		"context":               "Met at the CFO round table.",
		"promises_made":         "Told them we'd call this week.",
		"urgency":               "high",
		"estimated_value_cents": 2500000,
	}
}

func TestAPIReferralSubmitGetList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	_, viewer := h.createToken(f.ID, "BI", auth.RoleViewer)
	_, otherSecret := h.createToken(other.ID, "CRM", auth.RoleAdmin)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")
	second := h.activePartner(f.ID, "Second", "")
	theirs := h.activePartner(other.ID, "Theirs", "")

	resp := a.post(t, secret, "/referrals", referralBody(bright, "Globex Corp"), map[string]string{"Idempotency-Key": "r-1"})
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var ref apiReferralJSON
	resp.decode(t, &ref)
	assert.Equal(t, "inbound", ref.Direction)
	assert.Equal(t, bright.ID.String(), ref.PartnerID)
	assert.Equal(t, "Globex Corp", ref.ClientCompany)
	require.NotNil(t, ref.ClientDomain)
	assert.Equal(t, "globexcorp.example", *ref.ClientDomain, "the domain is normalised")
	assert.Equal(t, "dana@globexcorp.example", ref.ContactEmail)
	assert.Equal(t, "submitted", ref.Status)
	assert.Equal(t, "api", ref.Source)
	require.NotNil(t, ref.EstimatedValueCents)
	assert.EqualValues(t, 2500000, *ref.EstimatedValueCents, "cents go in and come out unchanged")
	assert.Equal(t, fmt.Sprintf("R-%d", ref.Number), ref.Ref)
	assert.NotNil(t, ref.FirstResponseDueAt, "the SLA clock is stamped")
	assert.NotEmpty(t, ref.SLA)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral.submitted'`, f.ID))
	ack := apiRefLastEmail(h, "pat@brightline.test")
	assert.Contains(t, ack.Subject+ack.Text, ref.Ref, "the partner is acknowledged")

	// Get: the same referral; another firm's token can't see it.
	var got apiReferralJSON
	a.get(t, viewer, "/referrals/"+ref.ID).decode(t, &got)
	assert.Equal(t, ref, got)
	a.get(t, otherSecret, "/referrals/"+ref.ID).problem(t, http.StatusNotFound)
	a.get(t, secret, "/referrals/not-a-uuid").problem(t, http.StatusNotFound)

	// Bad input: field errors named like the API's fields, nothing written.
	bad := referralBody(bright, "")
	bad["contact_email"] = "not an email"
	bad["estimated_value_cents"] = -5
	bad["direction"] = "sideways"
	fe := a.do(t, apiReq{Method: http.MethodPost, Path: "/referrals", Token: secret, Body: mustJSON(t, bad), Invalid: true}).fieldErrors(t)
	assert.Contains(t, fe, "estimated_value_cents")
	assert.Contains(t, fe, "direction")
	assert.Contains(t, fe, "client_company", "the domain's checks come back with the API's")
	fe = a.post(t, secret, "/referrals", map[string]any{"partner_id": theirs.ID.String(), "client_company": "X"}, nil).fieldErrors(t)
	assert.Contains(t, fe, "partner_id", "another firm's partner is not ours")
	bad = referralBody(bright, "")
	fe = a.post(t, secret, "/referrals", bad, nil).fieldErrors(t)
	assert.Contains(t, fe, "client_company")
	bad = referralBody(bright, "Initech")
	bad["contact_email"] = "not an email"
	fe = a.post(t, secret, "/referrals", bad, nil).fieldErrors(t)
	assert.Contains(t, fe, "contact_email")
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))

	// Roles: a viewer reads but doesn't write.
	a.post(t, viewer, "/referrals", referralBody(bright, "Umbrella"), nil).problem(t, http.StatusForbidden)

	// More referrals: two more of Brightline's, one of Second's, one outbound,
	// and one in the other firm.
	ids := []string{ref.ID}
	for _, c := range []struct {
		p       partner.Partner
		company string
		dir     string
	}{{bright, "Hooli", ""}, {bright, "Initech", ""}, {second, "Vandelay", ""}, {second, "Wonka", "outbound"}} {
		body := referralBody(c.p, c.company)
		if c.dir != "" {
			body["direction"] = c.dir
		}
		resp := a.post(t, secret, "/referrals", body, nil)
		require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
		var created apiReferralJSON
		resp.decode(t, &created)
		ids = append(ids, created.ID)
	}
	require.Equal(t, http.StatusCreated, a.post(t, otherSecret, "/referrals", referralBody(theirs, "Not ours"), nil).Status)

	// Walk the list two at a time: every referral once, oldest first.
	var seen []string
	cursor, pages := "", 0
	for {
		path := "/referrals?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page referralPageJSON
		a.get(t, viewer, path).decode(t, &page)
		pages++
		for _, r := range page.Data {
			seen = append(seen, r.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
		require.Less(t, pages, 10)
	}
	assert.Equal(t, ids, seen)
	assert.Equal(t, 3, pages)

	list := func(query string) []string {
		t.Helper()
		var page referralPageJSON
		a.get(t, viewer, "/referrals?"+query).decode(t, &page)
		out := []string{}
		for _, r := range page.Data {
			out = append(out, r.ClientCompany)
		}
		return out
	}
	assert.Equal(t, []string{"Globex Corp", "Hooli", "Initech"}, list("partner_id="+bright.ID.String()))
	assert.Equal(t, []string{"Wonka"}, list("direction=outbound"))
	assert.Empty(t, list("status=won,lost"))
	assert.Len(t, list("status=submitted"), 5)
	assert.Len(t, list("submitted_since=2000-01-01T00:00:00Z"), 5)
	assert.Empty(t, list("updated_since=2999-01-01T00:00:00Z"))
	fe = a.do(t, apiReq{Method: http.MethodGet, Path: "/referrals?status=sideways&partner_id=x&updated_since=yesterday",
		Token: viewer, Invalid: true}).fieldErrors(t)
	assert.Contains(t, fe, "status")
	assert.Contains(t, fe, "partner_id")
	assert.Contains(t, fe, "updated_since")
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestAPIReferralTransitionsAndEngagements(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	_, viewer := h.createToken(f.ID, "BI", auth.RoleViewer)
	_, otherSecret := h.createToken(other.ID, "CRM", auth.RoleAdmin)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")

	var ref apiReferralJSON
	a.post(t, secret, "/referrals", referralBody(bright, "Globex"), nil).decode(t, &ref)
	move := func(token string, body map[string]any) apiResp {
		t.Helper()
		return a.post(t, token, "/referrals/"+ref.ID+"/transitions", body, nil)
	}

	// submitted → won is illegal: 422 on "to", nothing changes.
	fe := move(secret, map[string]any{"to": "won", "engagement": map[string]any{"kind": "project", "name": "Audit prep",
		"value_cents": 4000000, "started_on": "2026-12-01"}}).fieldErrors(t)
	require.Contains(t, fe, "to")
	assert.Contains(t, strings.ToLower(fe["to"]), "acknowledged", "the message names the allowed moves")
	assert.Equal(t, 0, h.countRows(`SELECT count(*) FROM engagements WHERE tenant_id = $1`, f.ID))

	// Roles and firms.
	move(viewer, map[string]any{"to": "acknowledged"}).problem(t, http.StatusForbidden)
	move(otherSecret, map[string]any{"to": "acknowledged"}).problem(t, http.StatusNotFound)

	// Acknowledge: the first response is met, the partner is told. A retry
	// with the same Idempotency-Key answers the same, instead of an
	// illegal acknowledged → acknowledged.
	ack := map[string]any{"to": "acknowledged", "note_for_partner": "Thanks! Calling them tomorrow."}
	mvKey := map[string]string{"Idempotency-Key": "move-1"}
	resp := a.post(t, secret, "/referrals/"+ref.ID+"/transitions", ack, mvKey)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	retry := a.post(t, secret, "/referrals/"+ref.ID+"/transitions", ack, mvKey)
	assert.Equal(t, string(resp.Body), string(retry.Body))
	assert.Equal(t, "true", retry.Header.Get("Idempotent-Replayed"))
	resp.decode(t, &ref)
	assert.Equal(t, "acknowledged", ref.Status)
	assert.NotNil(t, ref.FirstRespondedAt)
	status := apiRefLastEmail(h, "pat@brightline.test")
	assert.Contains(t, status.Text, "Thanks! Calling them tomorrow.")
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral.status'`, f.ID))

	// Back to submitted is not a move.
	assert.Contains(t, move(secret, map[string]any{"to": "submitted"}).fieldErrors(t), "to")
	assert.Contains(t, a.do(t, apiReq{Method: http.MethodPost, Path: "/referrals/" + ref.ID + "/transitions", Token: secret,
		Body: []byte(`{"to": "nowhere"}`), Invalid: true}).fieldErrors(t), "to")

	// Meeting held, then won without an engagement: refused.
	require.Equal(t, http.StatusOK, move(secret, map[string]any{"to": "meeting"}).Status)
	fe = move(secret, map[string]any{"to": "won"}).fieldErrors(t)
	assert.NotEmpty(t, fe)
	fe = a.do(t, apiReq{Method: http.MethodPost, Path: "/referrals/" + ref.ID + "/transitions", Token: secret, Invalid: true,
		Body: mustJSON(t, map[string]any{"to": "won", "engagement": map[string]any{"kind": "barter", "name": "Audit prep",
			"value_cents": -1, "started_on": "soon"}})}).fieldErrors(t)
	assert.Contains(t, fe, "engagement.value_cents")
	assert.Contains(t, fe, "engagement.kind")
	assert.Contains(t, fe, "engagement.started_on")

	// Won with the engagement.
	resp = move(secret, map[string]any{"to": "won", "note_for_partner": "We start in December.",
		"engagement": map[string]any{"kind": "project", "name": "Audit prep", "value_cents": 4000000,
			"started_on": "2026-12-01", "scope": "Close process and audit readiness."}})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &ref)
	assert.Equal(t, "won", ref.Status)
	assert.NotNil(t, ref.ClosedAt)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM engagements WHERE tenant_id = $1 AND referral_id = $2 AND value_cents = 4000000`, f.ID, ref.ID))
	// Nothing moves out of won.
	assert.Contains(t, move(secret, map[string]any{"to": "lost", "reason": "budget", "note_for_partner": "x"}).fieldErrors(t), "to")

	// The engagement is listed; a follow-on one is added.
	var engs engagementPageJSON
	a.get(t, viewer, "/engagements?referral_id="+ref.ID).decode(t, &engs)
	require.Len(t, engs.Data, 1)
	e := engs.Data[0]
	assert.Equal(t, "Audit prep", e.Name)
	assert.Equal(t, "project", e.Kind)
	assert.EqualValues(t, 4000000, e.ValueCents)
	assert.Equal(t, "2026-12-01", e.StartedOn)
	assert.Equal(t, bright.ID.String(), e.PartnerID)
	var one apiEngagementJSON
	a.get(t, viewer, "/engagements/"+e.ID).decode(t, &one)
	assert.Equal(t, e, one)
	a.get(t, otherSecret, "/engagements/"+e.ID).problem(t, http.StatusNotFound)

	follow := map[string]any{"referral_id": ref.ID, "kind": "retainer", "name": "Monthly close", "value_cents": 1200000,
		"started_on": "2027-01-01"}
	resp = a.post(t, secret, "/engagements", follow, map[string]string{"Idempotency-Key": "eng-1"})
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	again := a.post(t, secret, "/engagements", follow, map[string]string{"Idempotency-Key": "eng-1"})
	assert.Equal(t, string(resp.Body), string(again.Body))
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	a.get(t, viewer, "/engagements?partner_id="+bright.ID.String()).decode(t, &engs)
	assert.Len(t, engs.Data, 2)
	a.get(t, viewer, "/engagements?limit=1").decode(t, &engs)
	require.Len(t, engs.Data, 1)
	require.NotNil(t, engs.NextCursor)
	assert.Equal(t, "Audit prep", engs.Data[0].Name, "oldest first")
	a.get(t, viewer, "/engagements?limit=1&cursor="+*engs.NextCursor).decode(t, &engs)
	require.Len(t, engs.Data, 1)
	assert.Equal(t, "Monthly close", engs.Data[0].Name)
	assert.Nil(t, engs.NextCursor)
	a.post(t, otherSecret, "/engagements", follow, nil).fieldErrors(t) // another firm's referral
	a.post(t, viewer, "/engagements", follow, nil).problem(t, http.StatusForbidden)

	// An engagement needs a won referral.
	var open apiReferralJSON
	a.post(t, secret, "/referrals", referralBody(bright, "Hooli"), nil).decode(t, &open)
	follow["referral_id"] = open.ID
	a.post(t, secret, "/engagements", follow, nil).problem(t, http.StatusConflict)
	assert.Equal(t, 2, h.countRows(`SELECT count(*) FROM engagements WHERE tenant_id = $1`, f.ID))

	// Lost needs a reason and a note for the partner.
	lose := func(body map[string]any) apiResp {
		return a.post(t, secret, "/referrals/"+open.ID+"/transitions", body, nil)
	}
	fe = lose(map[string]any{"to": "lost"}).fieldErrors(t)
	assert.Contains(t, fe, "reason")
	assert.Contains(t, fe, "note_for_partner")
	resp = lose(map[string]any{"to": "lost", "reason": "budget", "note_for_partner": "Their budget moved to next year."})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &open)
	assert.Equal(t, "lost", open.Status)
	require.NotNil(t, open.CloseReason)
	assert.Equal(t, "budget", *open.CloseReason)
	assert.Contains(t, apiRefLastEmail(h, "pat@brightline.test").Text, "Their budget moved to next year.")
}

func TestAPIReferralUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	_, viewer := h.createToken(f.ID, "BI", auth.RoleViewer)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")
	helper := h.activePartner(f.ID, "Helper", "")
	manager := h.staffUser(f, "manager@acme.test", auth.RoleManager)

	var ref apiReferralJSON
	a.post(t, secret, "/referrals", referralBody(bright, "Globex"), nil).decode(t, &ref)
	patch := func(token string, body map[string]any) apiResp {
		t.Helper()
		return a.do(t, apiReq{Method: http.MethodPatch, Path: "/referrals/" + ref.ID, Token: token, Body: mustJSON(t, body)})
	}
	patch(viewer, map[string]any{"urgency": "low"}).problem(t, http.StatusForbidden)

	resp := patch(secret, map[string]any{"owner_user_id": manager.ID.String(), "estimated_value_cents": 9900,
		"context": "Their CFO called again.", "urgency": "urgent", "assisting_partner_ids": []string{helper.ID.String()}})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var got apiReferralJSON
	resp.decode(t, &got)
	require.NotNil(t, got.OwnerUserID)
	assert.Equal(t, manager.ID.String(), *got.OwnerUserID)
	require.NotNil(t, got.EstimatedValueCents)
	assert.EqualValues(t, 9900, *got.EstimatedValueCents)
	assert.Equal(t, "Their CFO called again.", got.Context)
	assert.Equal(t, "urgent", got.Urgency)
	assert.Equal(t, ref.Challenge, got.Challenge, "fields left out stay")
	assert.Equal(t, []string{helper.ID.String()}, jsonStrings(t, resp.Body, "assisting_partner_ids"))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral.updated'`, f.ID))

	// Null clears the estimate; bad values are 422 and change nothing.
	resp = patch(secret, map[string]any{"estimated_value_cents": nil})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &got)
	assert.Nil(t, got.EstimatedValueCents)
	fe := a.do(t, apiReq{Method: http.MethodPatch, Path: "/referrals/" + ref.ID, Token: secret, Invalid: true,
		Body: mustJSON(t, map[string]any{"urgency": "yesterday", "estimated_value_cents": -3, "context": "changed"})}).fieldErrors(t)
	assert.Contains(t, fe, "urgency")
	assert.Contains(t, fe, "estimated_value_cents")
	a.get(t, viewer, "/referrals/"+ref.ID).decode(t, &got)
	assert.Equal(t, "Their CFO called again.", got.Context, "nothing of a refused change is saved")

	// Fit feedback is for closed referrals.
	patch(secret, map[string]any{"fit": "good"}).problem(t, http.StatusConflict)
	for _, to := range []map[string]any{{"to": "declined", "reason": "fit", "note_for_partner": "Too small for our team."}} {
		require.Equal(t, http.StatusOK, a.post(t, secret, "/referrals/"+ref.ID+"/transitions", to, nil).Status)
	}
	resp = patch(secret, map[string]any{"fit": "poor", "fit_note": "Below our minimum engagement."})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	resp.decode(t, &got)
	require.NotNil(t, got.Fit)
	assert.Equal(t, "poor", *got.Fit)
	assert.Equal(t, "Below our minimum engagement.", got.FitNote)
}

// jsonStrings reads a top-level array of strings from a JSON object.
func jsonStrings(t *testing.T, body []byte, field string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	var out []string
	require.NoError(t, json.Unmarshal(m[field], &out))
	return out
}

func TestAPIReferralIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")
	count := func() int { return h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID) }
	acks := func() int {
		return h.countRows(`SELECT count(*) FROM email_outbox WHERE to_addr LIKE '%<pat@brightline.test>'`)
	}
	key := map[string]string{"Idempotency-Key": "crm-lead-42"}

	first := a.post(t, secret, "/referrals", referralBody(bright, "Globex"), key)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	again := a.post(t, secret, "/referrals", referralBody(bright, "Globex"), key)
	assert.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, string(first.Body), string(again.Body))
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, count())
	assert.Equal(t, 1, acks())

	// The same key with another body: 409, nothing written.
	a.post(t, secret, "/referrals", referralBody(bright, "Hooli"), key).problem(t, http.StatusConflict)
	assert.Equal(t, 1, count())
	assert.Equal(t, 1, acks())

	// The referral's own key holds after the API's stored response expired:
	// the same request answers the referral it made, and makes nothing new.
	_, err := h.owner.Exec(context.Background(), `DELETE FROM api_idempotency WHERE tenant_id = $1`, f.ID)
	require.NoError(t, err)
	late := a.post(t, secret, "/referrals", referralBody(bright, "Globex"), key)
	require.Equal(t, http.StatusOK, late.Status, "%s", late.Body)
	assert.Equal(t, jsonField(t, first.Body, "id"), jsonField(t, late.Body, "id"))
	assert.Equal(t, 1, count())
	assert.Equal(t, 1, acks())
}

// TestAPIReferralConcurrentSubmissions: 100 simultaneous submissions, 80
// with distinct Idempotency-Keys and 20 repeating some of those keys (same
// body), make exactly 80 referrals and 80 acknowledgments; every request
// answers 201 with its key's referral.
func TestAPIReferralConcurrentSubmissions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newAPITester(t, h)
	f := h.createFirm("acme", "Acme")
	_, secret := h.createToken(f.ID, "CRM", auth.RoleManager)
	bright := h.activePartner(f.ID, "Brightline", "pat@brightline.test")

	type call struct {
		key  string
		body []byte
	}
	var calls []call
	for i := range 80 {
		calls = append(calls, call{fmt.Sprintf("key-%02d", i), mustJSON(t, referralBody(bright, fmt.Sprintf("Client %02d", i)))})
	}
	for i := range 20 {
		calls = append(calls, calls[(i*7)%80]) // repeats of 20 different keys, racing their originals
	}
	type result struct {
		key    string
		status int
		id     string
	}
	results := make([]result, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			<-start
			resp, err := http.DefaultClient.Do(a.newRequest(t, apiReq{Method: http.MethodPost, Path: "/referrals", Token: secret,
				Body: c.body, Header: map[string]string{"Idempotency-Key": c.key}}))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var ref apiReferralJSON
			_ = json.Unmarshal(b, &ref)
			results[i] = result{key: c.key, status: resp.StatusCode, id: ref.ID}
		})
	}
	close(start)
	wg.Wait()

	byKey := map[string]string{}
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.status, "key %s", r.key)
		if prev, ok := byKey[r.key]; ok {
			assert.Equal(t, prev, r.id, "key %s answered two referrals", r.key)
		}
		byKey[r.key] = r.id
	}
	assert.Len(t, byKey, 80)
	assert.Equal(t, 80, h.countRows(`SELECT count(*) FROM referrals WHERE tenant_id = $1`, f.ID))
	assert.Equal(t, 80, h.countRows(`SELECT count(DISTINCT idempotency_key) FROM referrals WHERE tenant_id = $1`, f.ID))
	assert.Equal(t, 80, h.countRows(`SELECT count(*) FROM email_outbox WHERE to_addr LIKE '%<pat@brightline.test>'`),
		"one acknowledgment per referral")
	assert.Equal(t, 80, h.countRows(`SELECT count(*) FROM river_job WHERE kind = 'send_email'
		AND (args->>'outbox_id')::uuid IN (SELECT id FROM email_outbox WHERE to_addr LIKE '%<pat@brightline.test>')`),
		"each acknowledgment's send job is enqueued")
	assert.Equal(t, 80, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral.submitted'`, f.ID))
}
