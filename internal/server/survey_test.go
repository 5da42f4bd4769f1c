package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/survey"
)

// surveyWorld is a firm with a partner whose referred client started an
// engagement 10 days ago, and a second firm.
type surveyWorld struct {
	h       *harness
	f, g    firm
	p       uuid.UUID
	eng     uuid.UUID
	tabURL  string
	clients []string
}

func newSurveyWorld(t *testing.T) *surveyWorld {
	h := newHarness(t)
	w := &surveyWorld{h: h, f: h.createFirm("northwind", "Northwind Advisory"), g: h.createFirm("southwind", "Southwind Partners")}
	w.p = h.createPartner(w.f.ID, "Brightline Advisory").ID
	w.eng = w.engagement("Acme Dental", "pat@acme.example", 10)
	w.tabURL = "/t/northwind/partners/" + w.p.String() + "/satisfaction"
	return w
}

// engagement adds a won inbound referral of the partner whose client
// (email) started a project days ago.
func (w *surveyWorld) engagement(company, email string, days int) uuid.UUID {
	h := w.h
	prospect := h.commID(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name, contact_email)
		VALUES ($1, $2, 'Pat Jones', $3) RETURNING id`, w.f.ID, w.p, email)
	ref := h.commID(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, closed_at) VALUES ($1, 'inbound', $2, $3, $4, lower($4), 'won', now()) RETURNING id`, w.f.ID, w.p, prospect, company)
	w.clients = append(w.clients, email)
	return h.commID(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', $4, 1000000, current_date - $5::int) RETURNING id`, w.f.ID, ref, w.p, company+" audit", days)
}

// send runs the daily survey job now and returns the link emailed to the client.
func (w *surveyWorld) send(email string) string {
	w.h.t.Helper()
	_, err := survey.RunSendDue(context.Background(), w.h.db, w.h.srv.Outbox, time.Now(), w.h.ts.URL)
	require.NoError(w.h.t, err)
	m := w.h.lastEmail(`"Pat Jones" <` + email + `>`)
	require.Equal(w.h.t, "Northwind Advisory would like your feedback", m.Subject)
	require.Contains(w.h.t, m.Text, "Hello Pat,")
	return w.h.linkIn(m.Text, "/s/northwind/")
}

func surveyDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	return doc
}

// TestClientSurveyLink: the emailed link opens a page without a login that
// asks 1–5 with labelled radios; a bad score is a field error keeping the
// comment; the answer is taken once, then "Thanks, we have your answer";
// an expired link is 410; a wrong token, another firm's slug and a
// cross-site post are refused.
func TestClientSurveyLink(t *testing.T) {
	w := newSurveyWorld(t)
	h := w.h
	link := w.send("pat@acme.example")
	token := link[strings.LastIndex(link, "/")+1:]
	require.Len(t, token, 43)
	c := h.client() // the client: no account

	resp, body := h.get(c, link)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc := surveyDoc(t, body)
	require.Contains(t, doc.Find("h1").Text(), "Your feedback for Northwind Advisory")
	require.Contains(t, body, "how Acme Dental audit is going")
	require.Equal(t, "How satisfied are you so far?", strings.TrimSpace(doc.Find("fieldset legend").First().Text()))
	var labels []string
	doc.Find(`fieldset input[type=radio][name=score]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		labels = append(labels, doc.Find(`label[for="`+id+`"]`).Text())
	})
	require.Equal(t, []string{"1 — Very dissatisfied", "2 — Dissatisfied", "3 — Neither satisfied nor dissatisfied",
		"4 — Satisfied", "5 — Very satisfied"}, labels)
	require.Equal(t, 1, doc.Find(`label[for="f-comment"]`).Length())

	// A bad score: 422, the message by the question, the comment kept, nothing stored.
	for _, score := range []string{"", "0", "6", "abc"} {
		resp, body = h.post(c, link, url.Values{"score": {score}, "comment": {"Very <b>responsive</b>"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, score)
		doc = surveyDoc(t, body)
		require.Contains(t, doc.Find("#f-score-error").Text(), "from 1 (very dissatisfied) to 5")
		require.Equal(t, "Very <b>responsive</b>", doc.Find("textarea#f-comment").Text())
		require.Equal(t, "f-score-error", doc.Find("fieldset#f-score").AttrOr("aria-describedby", ""))
	}
	var answered int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM client_surveys WHERE answered_at IS NOT NULL`).Scan(&answered))
	require.Zero(t, answered)

	// A post from another site is refused (CSRF).
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+link, strings.NewReader("score=5"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = c.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The answer, once.
	resp, body = h.post(c, link, url.Values{"score": {"4"}, "comment": {"Great start."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, link, resp.Header.Get("Location"))
	resp, body = h.get(c, link)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Thank you! Your answer has been sent to Northwind Advisory.")
	require.Contains(t, body, "Thanks, we have your answer")
	require.NotContains(t, body, `name="score"`)
	var score int
	var comment, source string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT score, comment, source FROM client_surveys WHERE engagement_id = $1`,
		w.eng).Scan(&score, &comment, &source))
	require.Equal(t, []any{4, "Great start.", "link"}, []any{score, comment, source})
	// Another visit, another browser: the same; a second answer changes nothing.
	resp, body = h.post(h.client(), link, url.Values{"score": {"1"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Thanks, we have your answer")
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT score FROM client_surveys WHERE engagement_id = $1`, w.eng).Scan(&score))
	require.Equal(t, 4, score)

	// Wrong tokens, another firm's slug, an unknown firm: 404.
	flipped := token[:42] + "A"
	if flipped == token {
		flipped = token[:42] + "B"
	}
	for _, path := range []string{"/s/northwind/" + flipped, "/s/northwind/short", "/s/southwind/" + token, "/s/nofirm/" + token} {
		resp, body = h.get(h.client(), path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Contains(t, body, "This survey link isn&#39;t valid")
		resp, _ = h.post(h.client(), path, url.Values{"score": {"5"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}

	// An expired link: 410, no form, and no answer taken.
	w.engagement("Beta Labs", "bo@beta.example", 20)
	link2 := w.send("bo@beta.example")
	h.commExec(`UPDATE client_surveys SET sent_at = now() - interval '61 days' WHERE email = 'bo@beta.example'`)
	resp, body = h.get(h.client(), link2)
	require.Equal(t, http.StatusGone, resp.StatusCode)
	require.Contains(t, body, "This survey link has expired")
	require.NotContains(t, body, `name="score"`)
	resp, _ = h.post(h.client(), link2, url.Values{"score": {"5"}})
	require.Equal(t, http.StatusGone, resp.StatusCode)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM client_surveys WHERE answered_at IS NOT NULL`).Scan(&answered))
	require.Equal(t, 1, answered)
}

// TestPartnerSatisfactionTab: every staff role reads the tab; a manager
// records a client's score (bad input re-shown with 422, the choices
// kept); a viewer may not record; the tab of another firm's partner is 404
// and the portal never shows the clients' emails.
func TestPartnerSatisfactionTab(t *testing.T) {
	w := newSurveyWorld(t)
	h := w.h
	quiet := w.engagement("Quiet Co", "", 3)
	manager := h.staffUser(w.f, "manager@northwind.test", auth.RoleManager)
	viewer := h.staffUser(w.f, "viewer@northwind.test", auth.RoleViewer)
	link := w.send("pat@acme.example")
	resp, _ := h.post(h.client(), link, url.Values{"score": {"5"}, "comment": {"Spot on."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	vc := h.loggedIn(viewer.Email)
	resp, body := h.get(vc, w.tabURL)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc := surveyDoc(t, body)
	require.Equal(t, 8, doc.Find(`[data-testid="csat-table"] tbody tr`).Length())
	require.Contains(t, doc.Find(`[data-testid="csat-table"] tbody tr`).Last().Text(), "5.0")
	require.Contains(t, doc.Find(`[data-testid="csat-table"] tbody tr`).Last().Text(), "1 answer")
	require.Contains(t, doc.Find("#client-comments").Text(), "Spot on.")
	require.Contains(t, doc.Find(`tr[data-engagement="`+w.eng.String()+`"]`).Text(), "5/5")
	require.Contains(t, doc.Find(`tr[data-engagement="`+quiet.String()+`"]`).Text(), "The referral has no client email.")
	require.Equal(t, "page", doc.Find(`.tabs a[href$="/satisfaction"]`).AttrOr("aria-current", ""))
	require.Zero(t, doc.Find(`[data-testid="record-form"]`).Length(), "a viewer sees no form")
	resp, _ = h.post(vc, w.tabURL, url.Values{"engagement_id": {quiet.String()}, "score": {"4"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	mc := h.loggedIn(manager.Email)
	resp, body = h.get(mc, w.tabURL+"?engagement="+quiet.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = surveyDoc(t, body)
	opts := doc.Find(`select[name=engagement_id] option[value!=""]`)
	require.Equal(t, 1, opts.Length(), "only engagements without a score")
	require.Equal(t, quiet.String(), doc.Find(`select[name=engagement_id] option[selected]`).AttrOr("value", ""))

	// Bad input: 422 with the messages by the fields, the input kept.
	resp, body = h.post(mc, w.tabURL, url.Values{"engagement_id": {quiet.String()}, "score": {"7"}, "comment": {"Said on a call"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = surveyDoc(t, body)
	require.Contains(t, doc.Find("#f-score-error").Text(), "from 1")
	require.Equal(t, "Said on a call", doc.Find("textarea#f-comment").Text())
	require.Equal(t, quiet.String(), doc.Find(`select[name=engagement_id] option[selected]`).AttrOr("value", ""))
	resp, body = h.post(mc, w.tabURL, url.Values{"engagement_id": {w.eng.String()}, "score": {"2"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already recorded")
	resp, body = h.post(mc, w.tabURL, url.Values{"engagement_id": {uuid.NewString()}, "score": {"2"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, surveyDoc(t, body).Find("#f-engagement_id-error").Text(), "this partner's engagements")

	resp, _ = h.post(mc, w.tabURL, url.Values{"engagement_id": {quiet.String()}, "score": {"3"}, "comment": {"Said on a call"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.get(mc, w.tabURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = surveyDoc(t, body)
	require.Contains(t, body, "The client&#39;s score is recorded.")
	require.Contains(t, doc.Find(`tr[data-engagement="`+quiet.String()+`"]`).Text(), "3/5")
	require.Contains(t, doc.Find("#client-comments").Text(), "recorded by manager")
	require.Contains(t, doc.Find(`[data-testid="csat-table"] tbody tr`).Last().Text(), "4.0")
	require.Contains(t, doc.Find(`[data-testid="csat-table"] tbody tr`).Last().Text(), "2 answers")
	require.Contains(t, doc.Find("#record").Text(), "Every engagement of this partner has its score already.")

	// Isolation: another firm's staff, and this firm's partner under the other firm, are 404.
	gc := h.loggedIn(w.g.Owner.Email)
	for _, path := range []string{"/t/southwind/partners/" + w.p.String() + "/satisfaction", w.tabURL} {
		resp, _ = h.get(gc, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	resp, _ = h.post(gc, "/t/southwind/partners/"+w.p.String()+"/satisfaction", url.Values{"engagement_id": {quiet.String()}, "score": {"1"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(mc, "/t/northwind/partners/not-an-id/satisfaction")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The portal shows no client email.
	pu := h.portalUser(w.f.ID, w.p, "ann@brightline.example", auth.RolePartnerAdmin)
	pc := h.loggedIn(pu.Email)
	for _, path := range []string{"/p/northwind", "/p/northwind/survey"} {
		resp, body = h.get(pc, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		for _, e := range w.clients {
			if e != "" {
				require.NotContains(t, body, e)
			}
		}
	}
}

// TestPortalSurvey: the portal home prompts each partner user until they
// answer this year's 0–10 question; a bad score is a field error; a second
// answer is refused; the staff tab shows the year's figures and comments.
func TestPortalSurvey(t *testing.T) {
	w := newSurveyWorld(t)
	h := w.h
	ann := h.portalUser(w.f.ID, w.p, "ann@brightline.example", auth.RolePartnerAdmin)
	bob := h.portalUser(w.f.ID, w.p, "bob@brightline.example", auth.RolePartnerMember)
	ac, bc := h.loggedIn(ann.Email), h.loggedIn(bob.Email)
	year := time.Now().UTC().Format("2006") // the firm is in UTC

	resp, body := h.get(ac, "/p/northwind")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := surveyDoc(t, body)
	prompt := doc.Find(`[data-testid="survey-prompt"]`)
	require.Contains(t, prompt.Text(), "How is the partnership with Northwind Advisory going?")
	require.Equal(t, "/p/northwind/survey", prompt.Find("a").AttrOr("href", ""))

	resp, body = h.get(ac, "/p/northwind/survey")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = surveyDoc(t, body)
	require.Equal(t, 11, doc.Find(`input[type=radio][name=score]`).Length())
	require.Equal(t, "0 — Not well at all", doc.Find(`label[for="f-score-0"]`).Text())
	require.Equal(t, "10 — Extremely well", doc.Find(`label[for="f-score-10"]`).Text())

	for _, score := range []string{"", "11", "-1", "x"} {
		resp, body = h.post(ac, "/p/northwind/survey", url.Values{"score": {score}, "comment": {"Keep it up"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, score)
		doc = surveyDoc(t, body)
		require.Contains(t, doc.Find("#f-score-error").Text(), "from 0")
		require.Equal(t, "Keep it up", doc.Find("textarea#f-comment").Text())
	}
	resp, _ = h.post(ac, "/p/northwind/survey", url.Values{"score": {"9"}, "comment": {"Keep it up"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/p/northwind", resp.Header.Get("Location"))
	_, body = h.get(ac, "/p/northwind")
	require.Contains(t, body, "Northwind Advisory has your answer.")
	require.Zero(t, surveyDoc(t, body).Find(`[data-testid="survey-prompt"]`).Length())

	// A second answer: refused, the first kept.
	resp, body = h.post(ac, "/p/northwind/survey", url.Values{"score": {"2"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already answered")
	require.Contains(t, surveyDoc(t, body).Find(`[data-testid="survey-answered"]`).Text(), "9 out of 10")
	resp, body = h.get(ac, "/p/northwind/survey")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, surveyDoc(t, body).Find(`[data-testid="survey-answered"]`).Text(), "Keep it up")

	// Bob is still asked.
	_, body = h.get(bc, "/p/northwind")
	require.Equal(t, 1, surveyDoc(t, body).Find(`[data-testid="survey-prompt"]`).Length())
	resp, _ = h.post(bc, "/p/northwind/survey", url.Values{"score": {"6"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// Another firm's portal: not Ann's.
	resp, _ = h.get(ac, "/p/southwind/survey")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The staff tab: the year with its split, and Ann's comment with her name.
	resp, body = h.get(h.loggedIn(w.f.Owner.Email), w.tabURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = surveyDoc(t, body)
	var cells []string
	doc.Find(`[data-testid="partner-years"] tbody tr`).First().Find("th, td").Each(func(_ int, s *goquery.Selection) {
		cells = append(cells, strings.TrimSpace(s.Text()))
	})
	require.Equal(t, []string{year, "2", "7.5", "1", "0", "1", "0"}, cells)
	require.Contains(t, doc.Find("#partner-satisfaction").Text(), "Keep it up")
	require.Contains(t, doc.Find("#partner-satisfaction").Text(), "ann")
}
