package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/referral"
)

// staffRefPartner adds a partner to a firm in a status (active, paused…).
func (h *harness) staffRefPartner(tenantID uuid.UUID, name, status string) partner.Partner {
	h.t.Helper()
	p := h.createPartner(tenantID, name)
	if status != "prospect" {
		require.NoError(h.t, h.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
			return partner.SetStatus(context.Background(), tx, tenantID, p.ID, status)
		}))
		p.Status = status
	}
	return p
}

// staffRefSubmit records a referral straight through the domain package.
func (h *harness) staffRefSubmit(tenantID uuid.UUID, in referral.SubmitInput) referral.Referral {
	h.t.Helper()
	ctx := context.Background()
	if in.Direction == "" {
		in.Direction = "inbound"
	}
	if in.Source == "" {
		in.Source = "staff"
	}
	if in.Challenge == "" {
		in.Challenge = "Needs help with " + in.ClientCompany + "'s books"
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = uuid.NewString()
	}
	if in.Answers == nil {
		in.Answers = map[uuid.UUID]bool{}
		require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			qs, err := referral.Questions(ctx, tx, tenantID, true)
			for _, q := range qs {
				in.Answers[q.ID] = true
			}
			return err
		}))
	}
	var r referral.Referral
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
		r, _, err = referral.Submit(ctx, tx, h.srv.notifier(), tenantID, in)
		return err
	}))
	return r
}

// staffRefMove moves a referral through the domain package as staff.
func (h *harness) staffRefMove(tenantID, id uuid.UUID, to string, actor uuid.UUID) {
	h.t.Helper()
	ctx := context.Background()
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := referral.Transition(ctx, tx, h.srv.notifier(), tenantID, id, referral.TransitionInput{To: to, ActorUserID: actor, ActorKind: "staff"})
		return err
	}))
}

func staffRefDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	return doc
}

// staffRefCompanies lists the companies in a referral table, in order.
func staffRefCompanies(t *testing.T, body string) []string {
	t.Helper()
	out := []string{}
	staffRefDoc(t, body).Find("table.referral-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		td := tr.Find("td").Eq(1).Clone()
		td.Find(".badge").Remove()
		out = append(out, strings.TrimSpace(td.Text()))
	})
	return out
}

// staffRefCount counts rows in a table of the owner's view of the database.
func (h *harness) staffRefCount(sql string, args ...any) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func TestReferralSpanWords(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		due  time.Time
		want string
	}{
		{now.Add(3 * time.Hour), "due in 3 h"},
		{now.Add(2*time.Hour + 40*time.Minute), "due in 3 h"},
		{now.Add(-2 * time.Hour), "overdue by 2 h"},
		{now.Add(20 * time.Second), "due in 1 min"},
		{now.Add(45 * time.Minute), "due in 45 min"},
		{now.Add(-47 * time.Hour), "overdue by 47 h"},
		{now.Add(72 * time.Hour), "due in 3 days"},
		{now.Add(-10 * 24 * time.Hour), "overdue by 10 days"},
	} {
		require.Equal(t, c.want, dueWords(now, c.due), "due %s", c.due)
	}
}

func TestReferralQueryRoundTrip(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	partnerID := uuid.New()
	v := url.Values{"status": {"meeting", "bogus", "meeting", "won"}, "direction": {"sideways"}, "partner": {partnerID.String()},
		"owner": {"nope"}, "q": {"  Acme "}, "open": {"1"}, "at_risk": {"yes"}, "from": {"2026-03-01"}, "to": {"2026-03-31"},
		"sort": {"due"}, "page": {"3"}}
	q := parseReferralQuery(v, loc)
	require.Equal(t, []string{"meeting", "won"}, q.F.Statuses)
	require.Empty(t, q.F.Direction)
	require.Equal(t, partnerID, *q.F.PartnerID)
	require.Nil(t, q.F.OwnerID)
	require.Equal(t, "Acme", q.F.Q)
	require.True(t, q.F.Open)
	require.False(t, q.F.AtRisk)
	require.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, loc), q.F.From)
	require.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, loc), q.F.To, "the to day is included")
	require.Equal(t, "due", q.F.Sort)
	require.Equal(t, 3, q.Page)
	require.Empty(t, q.DateErr)
	again := parseReferralQuery(q.values(), loc)
	require.Equal(t, q, again, "links keep exactly the filters")

	bad := parseReferralQuery(url.Values{"from": {"03/01/2026"}}, loc)
	require.True(t, bad.F.From.IsZero())
	require.NotEmpty(t, bad.DateErr)
}

// staffRefFixture is a firm with two active partners, a paused one, and
// referrals both ways.
type staffRefFixture struct {
	h                       *harness
	f                       firm
	staff                   *http.Client
	base                    string
	brightline, north, idle partner.Partner
	acme, globex, initech   referral.Referral
}

func newStaffRefFixture(t *testing.T) staffRefFixture {
	h := newHarness(t)
	x := staffRefFixture{h: h}
	x.f = h.createFirm("acme-advisors", "Acme Advisors")
	x.staff = h.loggedIn(x.f.Owner.Email)
	x.base = "/t/" + x.f.Slug
	x.brightline = h.staffRefPartner(x.f.ID, "Brightline Advisory", "active")
	x.north = h.staffRefPartner(x.f.ID, "North Legal", "active")
	x.idle = h.staffRefPartner(x.f.ID, "Idle Partners", "paused")
	h.portalUser(x.f.ID, x.brightline.ID, "pat@brightline.test", auth.RolePartnerAdmin)
	x.acme = h.staffRefSubmit(x.f.ID, referral.SubmitInput{PartnerID: x.brightline.ID, ClientCompany: "Acme Rockets",
		ClientDomain: "acme-rockets.example", ContactName: "Ann Acme", ContactEmail: "ann@acme-rockets.example",
		Challenge: "Needs a new ERP", EstimatedValue: "25,000", Urgency: "high"})
	x.globex = h.staffRefSubmit(x.f.ID, referral.SubmitInput{PartnerID: x.north.ID, ClientCompany: "Globex",
		ClientDomain: "globex.example", ContactName: "Gus", ContactEmail: "gus@globex.example", Urgency: "normal"})
	x.initech = h.staffRefSubmit(x.f.ID, referral.SubmitInput{Direction: "outbound", PartnerID: x.brightline.ID,
		ClientCompany: "Initech", ClientDomain: "initech.example", ContactName: "Ida", ContactEmail: "ida@initech.example",
		Challenge: "Tax restructuring", Urgency: "normal"})
	return x
}

func TestReferralListFilters(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	x.h.staffRefMove(x.f.ID, x.globex.ID, referral.Acknowledged, x.f.Owner.ID)

	resp, body := h.get(x.staff, x.base+"/referrals")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.ElementsMatch(t, []string{"Acme Rockets", "Globex", "Initech"}, staffRefCompanies(t, body))
	require.Contains(t, body, x.acme.Ref())
	require.Contains(t, body, "$25,000.00")
	require.Regexp(t, `due in \d+ (h|days|min)`, body, "every open referral shows its clock")

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"direction=outbound", []string{"Initech"}},
		{"direction=inbound", []string{"Acme Rockets", "Globex"}},
		{"partner=" + x.north.ID.String(), []string{"Globex"}},
		{"q=acme", []string{"Acme Rockets"}},
		{"q=" + url.QueryEscape(x.globex.Ref()), []string{"Globex"}},
		{"status=acknowledged", []string{"Globex"}},
		{"status=submitted&direction=inbound", []string{"Acme Rockets"}},
		{"from=2000-01-01&to=2000-12-31", []string{}},
		{"sort=company", []string{"Acme Rockets", "Globex", "Initech"}},
	} {
		resp, body := h.get(x.staff, x.base+"/referrals?"+c.query)
		require.Equal(t, http.StatusOK, resp.StatusCode, c.query)
		got := staffRefCompanies(t, body)
		if c.query == "sort=company" {
			require.Equal(t, c.want, got, c.query)
		} else {
			require.ElementsMatch(t, c.want, got, c.query)
		}
	}

	// The tabs link the other views and count the conflicts.
	doc := staffRefDoc(t, body)
	for _, path := range []string{"/referrals/board", "/referrals/at-risk", "/referrals/conflicts"} {
		require.Equal(t, 1, doc.Find(`nav.tabs a[href="`+x.base+path+`"]`).Length(), path)
	}
}

func TestReferralExportCSVNeutralised(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	h.staffRefSubmit(x.f.ID, referral.SubmitInput{PartnerID: x.north.ID, ClientCompany: "=HYPERLINK(\"http://evil.example\")",
		ClientDomain: "evil.example", ContactName: "Eve", ContactEmail: "eve@evil.example", Urgency: "low"})

	resp, body := h.get(x.staff, x.base+"/referrals?partner="+x.north.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	csvURL, ok := staffRefDoc(t, body).Find(`a[download]`).Attr("href")
	require.True(t, ok)
	require.Contains(t, csvURL, "partner="+x.north.ID.String(), "the export keeps the filters")

	resp, body = h.get(x.staff, csvURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3, "header + exactly the two filtered referrals")
	require.Equal(t, "number", rows[0][0])
	companies := []string{rows[1][1], rows[2][1]}
	require.Contains(t, companies, "'=HYPERLINK(\"http://evil.example\")", "formula neutralised")
	require.Contains(t, companies, "Globex")
	require.Contains(t, body, "eve@evil.example", "the contact is exported so the file imports again (issue 8)")
}

func TestReferralBoardAndAtRisk(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	resp, body := h.get(x.staff, x.base+"/referrals/board")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	col := doc.Find(`section[aria-labelledby="col-submitted"]`)
	require.Equal(t, 1, col.Length())
	require.Contains(t, col.Text(), "Acme Rockets")
	require.Contains(t, col.Text(), "Initech")
	href, ok := col.Find(`a.referral-card__title`).First().Attr("href")
	require.True(t, ok)
	require.True(t, strings.HasPrefix(href, x.base+"/referrals/"), "cards link to the referral (no JS needed)")
	for _, key := range []string{"acknowledged", "contacted", "meeting", "proposal", "won", "closed"} {
		require.Equal(t, 1, doc.Find(`section[aria-labelledby="col-`+key+`"]`).Length(), key)
	}

	resp, body = h.get(x.staff, x.base+"/referrals/board?direction=outbound")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Initech")
	require.NotContains(t, body, "Acme Rockets")

	// At risk: move the clock on so Acme's first response is overdue.
	ctx := context.Background()
	_, err := h.owner.Exec(ctx, `UPDATE referrals SET first_response_due_at = now() - interval '2 hours' WHERE id = $1`, x.acme.ID)
	require.NoError(t, err)
	resp, body = h.get(x.staff, x.base+"/referrals/at-risk")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := staffRefCompanies(t, body)
	require.Equal(t, "Acme Rockets", got[0], "the most overdue first")
	require.Contains(t, body, "overdue by 2 h")
	require.NotContains(t, got, "Globex", "Globex has time left")
}

func TestReferralPageAndMoves(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	page := x.base + "/referrals/" + x.acme.ID.String()

	resp, body := h.get(x.staff, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	require.Contains(t, doc.Find("h1").Text(), x.acme.Ref())
	require.Contains(t, body, "Needs a new ERP")
	require.Contains(t, body, "ann@acme-rockets.example")
	require.Contains(t, doc.Find(".referral-pii").Text(), "Personal data")
	require.Contains(t, doc.Find("#clocks-heading").Parent().Text(), "First response")
	// Only legal next stages are offered: no "won" from submitted.
	var offered []string
	doc.Find(`#advance-to option`).Each(func(_ int, o *goquery.Selection) { v, _ := o.Attr("value"); offered = append(offered, v) })
	require.Equal(t, []string{"acknowledged", "contacted", "meeting", "proposal"}, offered)
	require.Zero(t, doc.Find(`input[name="engagement_name"]`).Length(), "won isn't offered from submitted")

	// An illegal move (forged) is refused with the allowed moves, input kept.
	resp, body = h.post(x.staff, page+"/move", url.Values{"form": {"won"}, "to": {"won"}, "engagement_name": {"ERP"},
		"engagement_kind": {"project"}, "engagement_value": {"1000"}, "engagement_started_on": {"2026-12-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "meeting or a proposal")
	require.Equal(t, "submitted", h.staffRefStatus(x.acme.ID))

	// Lost needs a reason and a note for the partner.
	resp, body = h.post(x.staff, page+"/move", url.Values{"form": {"close"}, "to": {"lost"}, "note_internal": {"keep me"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.NotEmpty(t, doc.Find(`#f-reason-error`).Text(), "reason error shown")
	require.Equal(t, "keep me", strings.TrimSpace(doc.Find(`#close-note-internal`).Text()), "input kept")
	require.Equal(t, "submitted", h.staffRefStatus(x.acme.ID))

	// Legal moves.
	resp, _ = h.post(x.staff, page+"/move", url.Values{"form": {"advance"}, "to": {"acknowledged"}, "note_for_partner": {"Thanks, calling them today."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "acknowledged", h.staffRefStatus(x.acme.ID))
	require.Contains(t, h.staffRefEmail("pat@brightline.test").Text, "Thanks, calling them today.", "the partner hears")
	resp, _ = h.post(x.staff, page+"/move", url.Values{"form": {"advance"}, "to": {"meeting"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Won without an engagement is refused; with one it creates the engagement.
	resp, body = h.post(x.staff, page+"/move", url.Values{"form": {"won"}, "to": {"won"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 1, staffRefDoc(t, body).Find(`input[name="engagement_name"]`).Length())
	require.Equal(t, "meeting", h.staffRefStatus(x.acme.ID))
	resp, _ = h.post(x.staff, page+"/move", url.Values{"form": {"won"}, "to": {"won"}, "engagement_kind": {"retainer"},
		"engagement_name": {"ERP selection"}, "engagement_value": {"48,000"}, "engagement_started_on": {"2026-12-01"},
		"engagement_scope": {"Select and implement an ERP"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "won", h.staffRefStatus(x.acme.ID))
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM engagements WHERE referral_id = $1 AND value_cents = 4800000 AND kind = 'retainer'`, x.acme.ID))

	resp, body = h.get(x.staff, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Contains(t, doc.Find("#engagements-heading").Parent().Text(), "ERP selection")
	require.Zero(t, doc.Find("#move").Length(), "a closed referral has no move form")
	require.Equal(t, 1, doc.Find("#fit").Length(), "fit feedback on a closed referral")
	timeline := doc.Find("#timeline").Text()
	require.Contains(t, timeline, "Moved from Submitted to Acknowledged")
	require.Contains(t, timeline, "Moved from Meeting held to Won")

	// Fit feedback.
	resp, _ = h.post(x.staff, page+"/fit", url.Values{"fit": {"good"}, "note": {"Exactly our kind of client"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE id = $1 AND fit = 'good'`, x.acme.ID))
	resp, _ = h.post(x.staff, page+"/fit", url.Values{"fit": {"meh"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

// staffRefEmail is the newest outbox message whose recipient has the address
// (recipients may be written "Name <address>").
func (h *harness) staffRefEmail(addr string) notify.OutboxMessage {
	h.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), h.owner, 500)
	require.NoError(h.t, err)
	for _, m := range msgs {
		if strings.Contains(strings.ToLower(m.To), strings.ToLower(addr)) {
			return m
		}
	}
	h.t.Fatalf("no email to %s in the outbox (%d messages)", addr, len(msgs))
	return notify.OutboxMessage{}
}

// staffRefStatus reads a referral's status.
func (h *harness) staffRefStatus(id uuid.UUID) string {
	h.t.Helper()
	var s string
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT status FROM referrals WHERE id = $1`, id).Scan(&s))
	return s
}

func TestReferralNotesInternalAndForPartner(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	page := x.base + "/referrals/" + x.acme.ID.String()
	before := h.staffRefCount(`SELECT count(*) FROM email_outbox WHERE lower(to_addr) LIKE '%pat@brightline.test%'`)

	resp, _ := h.post(x.staff, page+"/notes", url.Values{"for_partner": {"0"}, "body": {"Their CFO is difficult"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referral_events WHERE referral_id = $1 AND body = 'Their CFO is difficult' AND NOT visible_to_partner`, x.acme.ID))
	require.Equal(t, before, h.staffRefCount(`SELECT count(*) FROM email_outbox WHERE lower(to_addr) LIKE '%pat@brightline.test%'`), "an internal note emails nobody")

	resp, _ = h.post(x.staff, page+"/notes", url.Values{"for_partner": {"1"}, "body": {"We meet them Tuesday"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referral_events WHERE referral_id = $1 AND body = 'We meet them Tuesday' AND visible_to_partner`, x.acme.ID))
	require.Contains(t, h.staffRefEmail("pat@brightline.test").Text, "We meet them Tuesday")

	resp, body := h.post(x.staff, page+"/notes", url.Values{"for_partner": {"1"}, "body": {"   "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.NotEmpty(t, staffRefDoc(t, body).Find("#note-partner-error").Text())

	_, body = h.get(x.staff, page)
	doc := staffRefDoc(t, body)
	items := doc.Find(".referral-timeline__item")
	var internal, shared *goquery.Selection
	items.Each(func(_ int, s *goquery.Selection) {
		switch {
		case strings.Contains(s.Text(), "Their CFO is difficult"):
			internal = s
		case strings.Contains(s.Text(), "We meet them Tuesday"):
			shared = s
		}
	})
	require.NotNil(t, internal)
	require.NotNil(t, shared)
	require.NotContains(t, internal.Text(), "Partner sees this")
	require.Contains(t, shared.Text(), "Partner sees this")
}

func TestReferralConflictResolve(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	// North refers the same client as Brightline did (messy domain).
	dup := h.staffRefSubmit(x.f.ID, referral.SubmitInput{PartnerID: x.north.ID, ClientCompany: "ACME Rockets, Inc.",
		ClientDomain: "https://www.Acme-Rockets.example/", ContactName: "Ann", ContactEmail: "ann@acme-rockets.example", Urgency: "normal"})
	require.Equal(t, "open", dup.ConflictStatus)

	resp, body := h.get(x.staff, x.base+"/referrals/conflicts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	section := doc.Find(`section[aria-labelledby="conflict-` + dup.ID.String() + `"]`)
	require.Equal(t, 1, section.Length())
	require.Contains(t, section.Text(), x.acme.Ref(), "both referrals side by side")
	require.Contains(t, section.Text(), dup.Ref())
	chosen, _ := section.Find(`select[name="credited_partner_id"] option[selected]`).Attr("value")
	require.Equal(t, x.brightline.ID.String(), chosen, "first introduction: Brightline was earlier")
	require.NotEmpty(t, doc.Find(`nav.tabs a[href="`+x.base+`/referrals/conflicts"] .badge`).Text(), "count badge")

	// A partner outside the conflict is refused.
	resp, _ = h.post(x.staff, x.base+"/referrals/"+dup.ID.String()+"/conflict", url.Values{"back": {"conflicts"},
		"credited_partner_id": {x.idle.ID.String()}, "note": {"no"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE id = $1 AND conflict_status = 'open'`, dup.ID))

	resp, _ = h.post(x.staff, x.base+"/referrals/"+dup.ID.String()+"/conflict", url.Values{"back": {"conflicts"},
		"credited_partner_id": {x.brightline.ID.String()}, "note": {"Brightline introduced them in March"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, x.base+"/referrals/conflicts", resp.Header.Get("Location"))
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE id = $1 AND conflict_status = 'resolved' AND credited_partner_id = $2`, dup.ID, x.brightline.ID))
}

func TestReferralOutboundSuggestionsAndPausedPartner(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	ctx := context.Background()
	var svc partner.Service
	require.NoError(t, h.db.InTenant(ctx, x.f.ID, func(tx pgx.Tx) (err error) {
		if svc, err = partner.CreateService(ctx, tx, x.f.ID, partner.ServiceInput{Name: "Tax advice", Phase: "after"}); err != nil {
			return err
		}
		for _, p := range []partner.Partner{x.north, x.idle} {
			if _, _, err := partner.SetPartnerServices(ctx, tx, x.f.ID, p.ID, []uuid.UUID{svc.ID}); err != nil {
				return err
			}
		}
		return nil
	}))

	resp, body := h.get(x.staff, x.base+"/referrals/new?direction=outbound&service="+svc.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	require.Equal(t, 1, doc.Find(`input[type="radio"][name="partner_id"][value="`+x.north.ID.String()+`"]`).Length())
	paused := doc.Find(".referral-suggestion--paused")
	require.Equal(t, 1, paused.Length())
	require.Contains(t, paused.Text(), "Idle Partners")
	require.Zero(t, doc.Find(`input[name="partner_id"][value="`+x.idle.ID.String()+`"]`).Length(), "a paused partner can't be chosen")
	token, _ := doc.Find(`input[name="token"]`).Attr("value")
	require.NotEmpty(t, token)

	form := url.Values{"direction": {"outbound"}, "token": {token}, "service_id": {svc.ID.String()}, "partner_id": {x.idle.ID.String()},
		"client_company": {"Umbrella"}, "client_domain": {"umbrella.example"}, "contact_name": {"Uma"},
		"contact_email": {"uma@umbrella.example"}, "challenge": {"Needs tax advice"}, "urgency": {"normal"}}
	before := h.staffRefCount(`SELECT count(*) FROM referrals`)
	resp, body = h.post(x.staff, x.base+"/referrals", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a forged paused partner is refused")
	require.Contains(t, strings.ToLower(body), "paused")
	require.Equal(t, "Umbrella", staffRefDoc(t, body).Find(`#f-client_company`).AttrOr("value", ""), "input kept")
	require.Equal(t, before, h.staffRefCount(`SELECT count(*) FROM referrals`))

	form.Set("partner_id", x.north.ID.String())
	resp, _ = h.post(x.staff, x.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, x.base+"/referrals/"))
	// The same form sent again makes no second referral.
	resp, _ = h.post(x.staff, x.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, loc, resp.Header.Get("Location"))
	require.Equal(t, before+1, h.staffRefCount(`SELECT count(*) FROM referrals`))

	// The referral's page offers the introduction email; sending it queues it.
	require.NoError(t, h.db.InTenant(ctx, x.f.ID, func(tx pgx.Tx) error {
		_, err := partner.AddContact(ctx, tx, x.f.ID, x.north.ID, partner.ContactInput{Name: "Nora North", Email: "nora@north.example", Level: "account_manager"})
		return err
	}))
	resp, body = h.get(x.staff, loc)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = staffRefDoc(t, body)
	intro := doc.Find("#intro-body").Text()
	require.Contains(t, intro, "Umbrella")
	require.Equal(t, 1, doc.Find(`button[data-copy="intro-body"]`).Length())
	resp, _ = h.post(x.staff, loc+"/intro", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	m := h.staffRefEmail("nora@north.example")
	require.Contains(t, m.Text, "Umbrella")
}

func TestReferralStaffLogsInbound(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	resp, body := h.get(x.staff, x.base+"/referrals/new?direction=inbound&partner="+x.north.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	sel, _ := doc.Find(`#f-partner_id option[selected]`).Attr("value")
	require.Equal(t, x.north.ID.String(), sel)
	require.Equal(t, 1, doc.Find(`#f-partner_id option[value="`+x.idle.ID.String()+`"]`).Length(), "paused partners may still refer to us")
	token, _ := doc.Find(`input[name="token"]`).Attr("value")

	// Bad input: 422 with every field's message and the input kept.
	form := url.Values{"direction": {"inbound"}, "token": {token}, "partner_id": {x.north.ID.String()}, "client_company": {""},
		"contact_name": {"Tony"}, "contact_email": {"not-an-email"}, "estimated_value": {"lots"}, "urgency": {"normal"},
		"challenge": {"Armour maintenance contracts"}}
	resp, body = h.post(x.staff, x.base+"/referrals", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.NotEmpty(t, doc.Find("#f-client_company-error").Text())
	require.NotEmpty(t, doc.Find("#f-contact_email-error").Text())
	require.NotEmpty(t, doc.Find("#f-estimated_value-error").Text())
	require.Equal(t, "not-an-email", doc.Find("#f-contact_email").AttrOr("value", ""))

	form.Set("client_company", "Stark Industries")
	form.Set("contact_email", "tony@stark.example")
	form.Set("estimated_value", "120,000")
	resp, _ = h.post(x.staff, x.base+"/referrals", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE client_company = 'Stark Industries' AND source = 'staff'
		AND partner_id = $1 AND estimated_value_cents = 12000000`, x.north.ID))

	// The partner's tab counts both ways.
	x.h.staffRefSubmit(x.f.ID, referral.SubmitInput{Direction: "outbound", PartnerID: x.north.ID, ClientCompany: "Wayne Corp",
		ClientDomain: "wayne.example", ContactName: "Bruce", ContactEmail: "bruce@wayne.example", Urgency: "normal"})
	resp, body = h.get(x.staff, x.base+"/partners/"+x.north.ID.String()+"/referrals")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = staffRefDoc(t, body)
	require.Equal(t, "We referred 1, received 2.", strings.Join(strings.Fields(doc.Find("#balance").Text()), " "))
	require.ElementsMatch(t, []string{"Globex", "Stark Industries", "Wayne Corp"}, staffRefCompanies(t, body))
	require.Equal(t, 1, doc.Find(`a[href="`+x.base+`/referrals/new?direction=inbound&partner=`+x.north.ID.String()+`"]`).Length())
	require.Equal(t, "page", doc.Find(`nav.tabs a[aria-current="page"]`).AttrOr("aria-current", ""))
	require.Contains(t, doc.Find(`nav.tabs a[aria-current="page"]`).Text(), "Referrals")
}

func TestReferralViewerReadsOnly(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	h.staffUser(x.f, "viewer@acme-advisors.test", auth.RoleViewer)
	viewer := h.loggedIn("viewer@acme-advisors.test")
	page := x.base + "/referrals/" + x.acme.ID.String()
	resp, body := h.get(viewer, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := staffRefDoc(t, body)
	require.Zero(t, doc.Find(`form[method=post][action^="/t/"]`).Length(), "a viewer gets no forms")
	resp, _ = h.post(viewer, page+"/move", url.Values{"to": {"acknowledged"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.get(viewer, x.base+"/referrals/new")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "submitted", h.staffRefStatus(x.acme.ID))
}

func TestReferralOtherFirmIs404(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	other := h.createFirm("other-firm", "Other Firm")
	op := h.staffRefPartner(other.ID, "Theirs", "active")
	theirs := h.staffRefSubmit(other.ID, referral.SubmitInput{PartnerID: op.ID, ClientCompany: "Secret Client",
		ClientDomain: "secret.example", ContactName: "S", ContactEmail: "s@secret.example", Urgency: "normal"})

	page := x.base + "/referrals/" + theirs.ID.String()
	resp, body := h.get(x.staff, page)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotContains(t, body, "Secret Client")
	for _, action := range []string{"/move", "/notes", "/owner", "/assists", "/guardrails", "/fit", "/conflict", "/intro", "/reassign"} {
		resp, _ := h.post(x.staff, page+action, url.Values{"to": {"acknowledged"}, "body": {"x"}, "for_partner": {"1"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, action)
	}
	require.Equal(t, "submitted", h.staffRefStatus(theirs.ID))
	// Another firm's partner in a form is a field error, not a referral.
	resp, _ = h.post(x.staff, x.base+"/referrals", url.Values{"direction": {"inbound"}, "token": {"t1"}, "partner_id": {op.ID.String()},
		"client_company": {"Sneaky"}, "urgency": {"normal"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Zero(t, h.staffRefCount(`SELECT count(*) FROM referrals WHERE client_company = 'Sneaky'`))
	// And another firm's partner in the list filter shows nothing of theirs.
	_, body = h.get(x.staff, x.base+"/referrals?partner="+op.ID.String())
	require.NotContains(t, body, "Secret Client")
}

func TestReferralGuardrailsWhenPolicyRequires(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	ctx := context.Background()
	page := x.base + "/referrals/" + x.acme.ID.String()
	_, body := h.get(x.staff, page)
	require.Zero(t, staffRefDoc(t, body).Find("#guardrails").Length(), "no guardrails without a profession pack")

	require.NoError(t, h.db.InTenant(ctx, x.f.ID, func(tx pgx.Tx) error {
		return policy.SetProfession(ctx, tx, x.f.ID, "law")
	}))
	_, body = h.get(x.staff, page)
	doc := staffRefDoc(t, body)
	g := doc.Find("#guardrails")
	require.Equal(t, 1, g.Length())
	require.Contains(t, g.Text(), "fee disclosed")
	require.Contains(t, g.Text(), "Conflicts of interest cleared")
	require.Contains(t, doc.Find("#move").Text(), "Before accepting or winning")

	resp, body := h.post(x.staff, page+"/move", url.Values{"form": {"advance"}, "to": {"acknowledged"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "not accepted before the guardrails")
	require.NotEmpty(t, staffRefDoc(t, body).Find("#move-to-error").Text())
	require.Equal(t, "submitted", h.staffRefStatus(x.acme.ID))

	for _, which := range []string{"fee_disclosed", "conflicts_cleared"} {
		resp, _ := h.post(x.staff, page+"/guardrails", url.Values{"which": {which}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, which)
	}
	resp, _ = h.post(x.staff, page+"/guardrails", url.Values{"which": {"bogus"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, body = h.get(x.staff, page)
	require.Equal(t, 2, strings.Count(staffRefDoc(t, body).Find("#guardrails").Text(), "Recorded"))
	resp, _ = h.post(x.staff, page+"/move", url.Values{"form": {"advance"}, "to": {"acknowledged"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "acknowledged", h.staffRefStatus(x.acme.ID))
}

func TestReferralPeopleAndAssists(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	mgr := h.staffUser(x.f, "mia@acme-advisors.test", auth.RoleManager)
	page := x.base + "/referrals/" + x.acme.ID.String()

	resp, _ := h.post(x.staff, page+"/owner", url.Values{"owner": {mgr.ID.String()}, "originator": {x.f.Owner.ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE id = $1 AND owner_user_id = $2 AND originator_user_id = $3`,
		x.acme.ID, mgr.ID, x.f.Owner.ID))
	// Someone who isn't on the staff can't own it.
	stranger := h.createUser("stranger@else.test", "Stranger")
	resp, body := h.post(x.staff, page+"/owner", url.Values{"owner": {stranger.ID.String()}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.NotEmpty(t, staffRefDoc(t, body).Find("#f-owner-error").Text())
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE id = $1 AND owner_user_id = $2`, x.acme.ID, mgr.ID))

	resp, _ = h.post(x.staff, page+"/assists", url.Values{"assist": {x.north.ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referral_assists WHERE referral_id = $1 AND partner_id = $2`, x.acme.ID, x.north.ID))
	_, body = h.get(x.staff, page)
	_, checked := staffRefDoc(t, body).Find(`#assist-` + x.north.ID.String()).Attr("checked")
	require.True(t, checked)
	require.Zero(t, staffRefDoc(t, body).Find(`#assist-`+x.brightline.ID.String()).Length(), "the sourcing partner doesn't assist itself")
	// The list filters by owner.
	_, body = h.get(x.staff, x.base+"/referrals?owner="+mgr.ID.String())
	require.Equal(t, []string{"Acme Rockets"}, staffRefCompanies(t, body))
}

func TestReferralHandOnDeclinedOutbound(t *testing.T) {
	x := newStaffRefFixture(t)
	h := x.h
	ctx := context.Background()
	var svc partner.Service
	require.NoError(t, h.db.InTenant(ctx, x.f.ID, func(tx pgx.Tx) (err error) {
		if svc, err = partner.CreateService(ctx, tx, x.f.ID, partner.ServiceInput{Name: "Payroll", Phase: "during"}); err != nil {
			return err
		}
		for _, p := range []partner.Partner{x.brightline, x.north} {
			if _, _, err := partner.SetPartnerServices(ctx, tx, x.f.ID, p.ID, []uuid.UUID{svc.ID}); err != nil {
				return err
			}
		}
		return nil
	}))
	out := h.staffRefSubmit(x.f.ID, referral.SubmitInput{Direction: "outbound", PartnerID: x.brightline.ID, ServiceID: &svc.ID,
		ClientCompany: "Hooli", ClientDomain: "hooli.example", ContactName: "Gavin", ContactEmail: "gavin@hooli.example", Urgency: "normal"})
	page := x.base + "/referrals/" + out.ID.String()
	_, body := h.get(x.staff, page)
	require.Zero(t, staffRefDoc(t, body).Find("#handoff").Length(), "nothing to hand on while the partner has time")
	resp, _ := h.post(x.staff, page+"/reassign", url.Values{"partner_id": {x.north.ID.String()}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)

	require.NoError(t, h.db.InTenant(ctx, x.f.ID, func(tx pgx.Tx) error {
		_, err := referral.PartnerRespond(ctx, tx, h.srv.notifier(), x.f.ID, x.brightline.ID, out.ID, false, "Fully booked until March", uuid.Nil)
		return err
	}))
	_, body = h.get(x.staff, page)
	doc := staffRefDoc(t, body)
	handoff := doc.Find("#handoff")
	require.Equal(t, 1, handoff.Length())
	require.Contains(t, handoff.Text(), "Fully booked until March")
	require.Equal(t, 1, handoff.Find(`input[name="partner_id"][value="`+x.north.ID.String()+`"]`).Length())
	require.Zero(t, handoff.Find(`input[name="partner_id"][value="`+x.brightline.ID.String()+`"]`).Length(), "not back to the one who declined")

	resp, _ = h.post(x.staff, page+"/reassign", url.Values{"partner_id": {x.north.ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	next := resp.Header.Get("Location")
	require.NotEqual(t, page, next)
	require.Equal(t, 1, h.staffRefCount(`SELECT count(*) FROM referrals WHERE client_company = 'Hooli' AND partner_id = $1 AND status = 'submitted'`, x.north.ID))
	resp, body = h.get(x.staff, next)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "North Legal")
}
