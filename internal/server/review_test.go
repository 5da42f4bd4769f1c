package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
)

// reviewNow is the server's clock in the review tests: Friday 27 Nov 2026,
// 10:00 in New York.
var reviewNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// reviewWorld is a firm in New York with an active Tier 2 partner (90-day
// cadence, active since 1 Aug: its first review was due 30 Oct) with two
// contacts, and a partner that became active last week.
type reviewWorld struct {
	h     *harness
	f     firm
	p     partner.Partner
	jo    uuid.UUID // Brightline's primary contact, with an email
	pat   uuid.UUID // a contact without an email
	tab   string
	owner *http.Client
}

func newReviewWorld(t *testing.T) *reviewWorld {
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return reviewNow } })
	f := h.createFirm("acme", "Acme Advisors")
	h.commExec(`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, 'America/New_York')
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone`, f.ID)
	p := h.createPartner(f.ID, "Brightline")
	h.setPartnerState(f.ID, p.ID, "active", time.Date(2026, 8, 1, 14, 0, 0, 0, time.UTC), true)
	h.setPartnerTier(f.ID, p.ID, h.tierIDs(f.ID)[2])
	cedar := h.createPartner(f.ID, "Cedar")
	h.setPartnerState(f.ID, cedar.ID, "active", time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), true)
	jo := h.commID(`INSERT INTO partner_contacts (tenant_id, partner_id, name, email, is_primary) VALUES ($1, $2, 'Jo Lee', 'jo@brightline.test', true)
		RETURNING id`, f.ID, p.ID)
	pat := h.commID(`INSERT INTO partner_contacts (tenant_id, partner_id, name) VALUES ($1, $2, 'Pat Doe') RETURNING id`, f.ID, p.ID)
	return &reviewWorld{h: h, f: f, p: p, jo: jo, pat: pat, tab: "/t/acme/partners/" + p.ID.String() + "/reviews",
		owner: h.loggedIn(f.Owner.Email)}
}

// schedule posts the schedule form and returns the new review's path.
func (w *reviewWorld) schedule(t *testing.T, c *http.Client, form url.Values) string {
	t.Helper()
	resp, body := w.h.post(c, w.tab, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, w.tab+"/"), loc)
	return loc
}

func (w *reviewWorld) scheduleForm(date, tm string) url.Values {
	return url.Values{"quarter": {"2026-Q4"}, "date": {date}, "time": {tm}, "duration": {"60"},
		"location": {"https://meet.example.com/r/1"}, "staff": {w.f.Owner.ID.String()}, "contact": {w.jo.String()},
		"others": {"Sam Guest <Sam@Guest.test>"}, "agenda": {""}}
}

func reviewIDOf(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// TestReviewScheduleHoldAndActions: a partner overdue for its first review
// is listed; the form comes pre-filled; bad input keeps what was typed;
// the review is scheduled, held with attendance and notes, and an action
// item is added, edited and marked done from the partner's tab.
func TestReviewScheduleHoldAndActions(t *testing.T) {
	t.Parallel()
	w := newReviewWorld(t)
	h, c := w.h, w.owner

	resp, body := h.get(c, "/t/acme/reviews")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Brightline")
	require.Contains(t, body, "30 Oct 2026")
	require.Contains(t, body, "28 days overdue")
	require.NotContains(t, body, "Cedar", "Cedar's first review is due in February")
	require.Contains(t, body, w.tab+"/new")

	// The form: Monday 30 Nov at 10:00 (the next working day), Q4, the
	// agenda from its sections, the owner and the primary contact ticked.
	resp, body = h.get(c, w.tab+"/new")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `value="2026-11-30"`)
	require.Contains(t, body, `value="10:00"`)
	require.Contains(t, body, `<option value="2026-Q4" selected`)
	require.Contains(t, body, "## Since last review")
	require.Contains(t, body, "## Referrals this quarter (Q4 2026)")
	require.Contains(t, body, "Received from Brightline: 0 new referrals, 0 won, 0 lost.")
	require.Contains(t, body, "## Agreement")
	require.Contains(t, body, "America/New_York")
	require.Regexp(t, `value="`+w.jo.String()+`"\s+checked`, body)
	require.NotRegexp(t, `value="`+w.pat.String()+`"\s+checked`, body)
	require.Regexp(t, `value="`+w.f.Owner.ID.String()+`"\s+checked`, body)

	// Bad input: 422, nothing written, the input kept.
	bad := w.scheduleForm("31/12/2026", "10:00")
	bad.Set("others", "Sam <broken@>")
	bad.Set("location", "Room 4, 2nd floor")
	resp, body = h.post(c, w.tab, bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter a date like")
	require.Contains(t, body, "Line 1: write a name and an email")
	require.Contains(t, body, "Room 4, 2nd floor")
	require.Contains(t, body, "Sam &lt;broken@&gt;")
	require.Equal(t, 0, h.count(`SELECT count(*) FROM partner_reviews WHERE tenant_id = $1`, w.f.ID))
	// Someone else's contact id is refused the same way.
	bad = w.scheduleForm("2026-12-01", "10:00")
	bad.Set("contact", uuid.NewString())
	resp, body = h.post(c, w.tab, bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose attendees from your firm")

	// A review held last Tuesday (recorded after the fact) and one next week.
	past := w.schedule(t, c, w.scheduleForm("2026-11-24", "14:30"))
	resp, body = h.get(c, past)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "The review of Brightline is scheduled for Tue 24 Nov 2026, 14:30–15:30 EST.")
	require.Contains(t, body, "Q4 2026 review")
	require.Contains(t, body, "Not recorded yet")
	require.Contains(t, body, "<h3>Since last review</h3>", "the agenda, rebuilt when left empty, rendered")
	require.Contains(t, body, `href="https://meet.example.com/r/1"`)
	for _, who := range []string{"Jo Lee", "Sam Guest", "sam@guest.test", "Owner of Acme Advisors"} {
		require.Contains(t, body, who)
	}
	require.Contains(t, body, "Hold the review")
	require.Contains(t, body, `value="2026-11-24"`, "held on the day it was scheduled")
	require.Contains(t, body, `value="2027-02-22"`, "next review: held day + the tier's 90 days")

	// Hold it: a day in the future is refused with the notes kept.
	resp, body = h.post(c, past+"/hold", url.Values{"held_on": {"2026-11-28"}, "notes": {"Talked **pipeline**"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "can&#39;t be held in the future")
	require.Contains(t, body, "Talked **pipeline**")
	var attendees []string
	rows, err := h.owner.Query(context.Background(), `SELECT id::text FROM review_attendees WHERE review_id = $1 AND name <> 'Sam Guest'`,
		uuid.MustParse(reviewIDOf(past)))
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		attendees = append(attendees, id)
	}
	require.Len(t, attendees, 2)
	resp, body = h.post(c, past+"/hold", url.Values{"held_on": {"2026-11-24"}, "next_review_on": {""}, "notes": {"Talked **pipeline**"},
		"shared_summary": {"Thanks, Jo: we agreed on two intros."}, "attended": attendees})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	_, body = h.get(c, past)
	require.Contains(t, body, "The review is recorded as held. The next review of Brightline is due 22 Feb 2027.")
	require.Contains(t, body, "<strong>pipeline</strong>")
	require.Contains(t, body, "Didn&#39;t attend", "Sam wasn't ticked")
	require.Contains(t, body, "Record of the review")
	require.Equal(t, 1, h.count(`SELECT count(*) FROM review_attendees WHERE review_id = $1 AND attended = false`, uuid.MustParse(reviewIDOf(past))))
	require.Equal(t, 1, h.auditCount(w.f.ID, "review.held"))

	// Add an action item: bad input first, then a good one.
	resp, body = h.post(c, past+"/actions", url.Values{"title": {"Send two intros"}, "owner": {""}, "due_on": {"soon"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose who owns it")
	require.Contains(t, body, "Enter a date like 2026-12-31")
	require.Contains(t, body, `value="Send two intros"`)
	resp, body = h.post(c, past+"/actions", url.Values{"title": {"Send two intros"}, "owner": {"partner:Jo Lee"}, "due_on": {"2026-12-15"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	var actionID uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM review_actions WHERE tenant_id = $1`, w.f.ID).Scan(&actionID))
	_, body = h.get(c, past)
	require.Contains(t, body, "The action item “Send two intros” was added.")
	require.Contains(t, body, "Jo Lee (Brightline)")

	// Edit it (bad date kept, then saved), then mark it done from the tab.
	apath := past + "/actions/" + actionID.String()
	resp, body = h.post(c, apath, url.Values{"action": {"save"}, "title": {"Send three intros"}, "owner": {"user:" + w.f.Owner.ID.String()}, "due_on": {"2026-13-01"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="Send three intros"`)
	resp, _ = h.post(c, apath, url.Values{"action": {"save"}, "title": {"Send three intros"}, "owner": {"user:" + w.f.Owner.ID.String()}, "due_on": {"2026-11-20"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.get(c, w.tab)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Open action items")
	require.Contains(t, body, "Send three intros")
	require.Contains(t, body, "Overdue")
	require.Contains(t, body, "22 Feb 2027", "the next review date set when held")
	resp, _ = h.post(c, apath, url.Values{"action": {"done"}, "from": {"tab"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, w.tab+"#actions-heading", resp.Header.Get("Location"))
	_, body = h.get(c, w.tab)
	require.Contains(t, body, "“Send three intros” is done.")
	require.Contains(t, body, "No open action items.")
	require.Equal(t, 1, h.count(`SELECT count(*) FROM review_actions WHERE id = $1 AND done_at IS NOT NULL`, actionID))
	resp, _ = h.post(c, apath, url.Values{"action": {"reopen"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.count(`SELECT count(*) FROM review_actions WHERE id = $1 AND done_at IS NULL`, actionID))
	for _, a := range []string{"review.scheduled", "review.action_added", "review.action_updated", "review.action_done", "review.action_reopened"} {
		require.GreaterOrEqual(t, h.auditCount(w.f.ID, a), 1, a)
	}

	// A new review's agenda now starts with the open item.
	_, body = h.get(c, w.tab+"/new")
	require.Contains(t, body, "- [ ] Send three intros — Owner of Acme Advisors, due 20 Nov 2026 (overdue)")
	require.Contains(t, body, `value="2027-02-22"`, "suggested on the next due date")
}

// TestReviewCalendarFile: the .ics of a review — UTC times across the DST
// change, attendees, CRLF and folding — and SEQUENCE going up on a
// reschedule and a cancellation.
func TestReviewCalendarFile(t *testing.T) {
	t.Parallel()
	w := newReviewWorld(t)
	h, c := w.h, w.owner
	form := w.scheduleForm("2026-12-01", "10:00")
	form.Set("agenda", "## Agenda\n\n- Pipeline, intros; "+strings.Repeat("and a long line of text ", 8))
	path := w.schedule(t, c, form)

	ics := func() (string, *http.Response) {
		resp, body := h.get(c, path+".ics")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		return body, resp
	}
	body, resp := ics()
	require.Equal(t, "text/calendar; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), `filename="review-2026-12-01.ics"`)
	for _, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		require.NotContains(t, line, "\n")
		require.LessOrEqual(t, len(line), 75, line)
	}
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	host, _ := url.Parse(h.ts.URL)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\n", "UID:" + reviewIDOf(path) + "@" + host.Hostname() + "\r\n", "SEQUENCE:0\r\n",
		"DTSTART:20261201T150000Z\r\n", "DTEND:20261201T160000Z\r\n", // 10:00 EST
		"SUMMARY:Q4 2026 review: Acme Advisors and Brightline\r\n",
		`DESCRIPTION:## Agenda\n\n- Pipeline\, intros\; and a long line`,
		"LOCATION:https://meet.example.com/r/1\r\n", "STATUS:CONFIRMED\r\n",
		"ORGANIZER;CN=Owner of Acme Advisors:mailto:owner@acme.test\r\n",
		"ATTENDEE;CN=Jo Lee;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:jo@brightline.test\r\n",
		"ATTENDEE;CN=Sam Guest;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:sam@guest.test\r\n",
		"URL:" + h.ts.URL + path + "\r\n",
		"END:VCALENDAR\r\n",
	} {
		require.Contains(t, unfolded, want)
	}

	// Rescheduled past the end of summer time's opposite: March 2027 (EDT).
	resp, body = h.get(c, path+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `value="2026-12-01"`)
	require.Contains(t, body, "Sam Guest &lt;sam@guest.test&gt;", "typed attendees come back as typed")
	require.Regexp(t, `value="`+w.jo.String()+`"\s+checked`, body)
	form = w.scheduleForm("2027-03-16", "10:00")
	form.Set("agenda", "## Agenda")
	resp, body = h.post(c, path, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	body, _ = ics()
	require.Contains(t, body, "SEQUENCE:1\r\n")
	require.Contains(t, body, "DTSTART:20270316T140000Z\r\n", "10:00 EDT")
	require.Contains(t, body, "UID:"+reviewIDOf(path)+"@", "the same UID")
	// Only the agenda changed: no new sequence.
	form.Set("agenda", "## Agenda, v2")
	resp, _ = h.post(c, path, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	body, _ = ics()
	require.Contains(t, body, "SEQUENCE:1\r\n")

	// Cancel: a reason is required; then the file says CANCELLED.
	resp, body = h.post(c, path+"/cancel", url.Values{"reason": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Say why the review is cancelled.")
	resp, _ = h.post(c, path+"/cancel", url.Values{"reason": {"Jo is on leave"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	body, _ = ics()
	require.Contains(t, body, "STATUS:CANCELLED\r\n")
	require.Contains(t, body, "SEQUENCE:2\r\n")
	require.NotContains(t, body, "Jo is on leave", "the reason stays with the firm")
	_, body = h.get(c, path)
	require.Contains(t, body, "Jo is on leave")
	require.NotContains(t, body, "Hold the review")
	// A cancelled review can't be changed, held or given action items.
	resp, _ = h.post(c, path, form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = h.post(c, path+"/hold", url.Values{"held_on": {"2026-11-20"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = h.post(c, path+"/actions", url.Values{"title": {"x"}, "owner": {"partner:Jo Lee"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
}

// TestReviewRoles: viewers and finance read reviews but change nothing;
// a partner manager schedules and holds.
func TestReviewRoles(t *testing.T) {
	t.Parallel()
	w := newReviewWorld(t)
	h := w.h
	path := w.schedule(t, w.owner, w.scheduleForm("2026-11-24", "10:00"))
	viewer := h.loggedIn(h.staffUser(w.f, "viewer@acme.test", auth.RoleViewer).Email)
	finance := h.loggedIn(h.staffUser(w.f, "finance@acme.test", auth.RoleFinance).Email)
	manager := h.loggedIn(h.staffUser(w.f, "manager@acme.test", auth.RoleManager).Email)
	for _, c := range []*http.Client{viewer, finance} {
		for _, p := range []string{"/t/acme/reviews", w.tab, path, path + ".ics"} {
			resp, _ := h.get(c, p)
			require.Equal(t, http.StatusOK, resp.StatusCode, p)
		}
		_, body := h.get(c, path)
		require.NotContains(t, body, "Hold the review")
		require.NotContains(t, body, "Add an action item")
		_, body = h.get(c, w.tab)
		require.NotContains(t, body, "Schedule a review")
		resp, _ := h.get(c, w.tab+"/new")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		for _, p := range []string{w.tab, path, path + "/hold", path + "/cancel", path + "/actions"} {
			resp, _ := h.post(c, p, url.Values{"held_on": {"2026-11-24"}, "reason": {"x"}, "title": {"x"}, "owner": {"partner:Jo"}})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, p)
		}
	}
	require.Equal(t, 0, h.count(`SELECT count(*) FROM review_actions WHERE tenant_id = $1`, w.f.ID))
	resp, body := h.post(manager, path+"/hold", url.Values{"held_on": {"2026-11-24"}, "notes": {"ok"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	w.schedule(t, manager, w.scheduleForm("2027-02-22", "09:00"))
}

// TestReviewIsolation: another firm's review, or this firm's review under
// another partner, is not found; the portal sees its own partner's reviews
// (agenda and shared summary, never the notes) and the items its side owns.
func TestReviewIsolation(t *testing.T) {
	t.Parallel()
	w := newReviewWorld(t)
	h := w.h
	path := w.schedule(t, w.owner, w.scheduleForm("2026-11-24", "10:00"))
	rid := reviewIDOf(path)
	resp, _ := h.post(w.owner, path+"/hold", url.Values{"held_on": {"2026-11-24"}, "notes": {"Secret internal notes"},
		"shared_summary": {"Shared *summary*"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(w.owner, path+"/actions", url.Values{"title": {"Partner-side item"}, "owner": {"partner:Jo Lee"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(w.owner, path+"/actions", url.Values{"title": {"Firm-side item"}, "owner": {"user:" + w.f.Owner.ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	upcoming := w.schedule(t, w.owner, w.scheduleForm("2027-02-22", "10:00"))

	// Another firm's owner, with this firm's ids in their own URLs.
	other := h.createFirm("other", "Other Firm")
	op := h.createPartner(other.ID, "Theirs")
	oc := h.loggedIn(other.Owner.Email)
	for _, p := range []string{
		"/t/other/partners/" + op.ID.String() + "/reviews/" + rid,
		"/t/other/partners/" + op.ID.String() + "/reviews/" + rid + ".ics",
		"/t/other/partners/" + w.p.ID.String() + "/reviews/" + rid,
		"/t/acme/partners/" + w.p.ID.String() + "/reviews/" + rid,
	} {
		resp, _ := h.get(oc, p)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	resp, _ = h.post(oc, "/t/other/partners/"+op.ID.String()+"/reviews/"+rid+"/hold", url.Values{"held_on": {"2026-11-24"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// This firm's review under its other partner.
	cedar := h.commID(`SELECT id FROM partners WHERE tenant_id = $1 AND name = 'Cedar'`, w.f.ID)
	for _, p := range []string{"/reviews/" + rid, "/reviews/" + rid + ".ics", "/reviews/" + rid + "/edit", "/reviews/not-an-id"} {
		resp, _ := h.get(w.owner, "/t/acme/partners/"+cedar.String()+p)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	resp, _ = h.post(w.owner, "/t/acme/partners/"+cedar.String()+"/reviews/"+rid+"/cancel", url.Values{"reason": {"x"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(w.owner, path+"/actions/"+uuid.NewString(), url.Values{"action": {"done"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The portal.
	h.portalUser(w.f.ID, w.p.ID, "jo@brightline.test", auth.RolePartnerMember)
	cedarUser := h.portalUser(w.f.ID, cedar, "user@cedar.test", auth.RolePartnerAdmin)
	pc := h.loggedIn("jo@brightline.test")
	resp, body := h.get(pc, "/p/acme/reviews")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "Upcoming reviews")
	require.Contains(t, body, "Mon 22 Feb 2027, 10:00–11:00 EST")
	require.Contains(t, body, "Shared <em>summary</em>")
	require.Contains(t, body, "<h3>Since last review</h3>", "the agenda")
	mine := body[strings.Index(body, "portal-actions-heading"):strings.Index(body, "portal-past-heading")]
	require.Contains(t, mine, "Partner-side item")
	require.NotContains(t, mine, "Firm-side item", "the items the partner's side owns")
	require.Contains(t, body, "Owner of Acme Advisors, Jo Lee, Sam Guest")
	require.NotContains(t, body, "Secret internal notes")
	require.Contains(t, body, "/p/acme/reviews/"+reviewIDOf(upcoming)+".ics")
	resp, body = h.get(pc, "/p/acme/reviews/"+reviewIDOf(upcoming)+".ics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "UID:"+reviewIDOf(upcoming)+"@")
	require.NotContains(t, body, "Secret")
	cc := h.loggedIn(cedarUser.Email)
	_, body = h.get(cc, "/p/acme/reviews")
	require.NotContains(t, body, "Partner-side item")
	require.Contains(t, body, "Nothing scheduled yet.")
	resp, _ = h.get(cc, "/p/acme/reviews/"+reviewIDOf(upcoming)+".ics")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another partner's review")
	// Staff pages aren't the portal's.
	resp, _ = h.get(pc, path)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
