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
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/review"
)

// scWorld is the statements' world (stmtWorld: Brightline's won referral
// of January, $50,000 of client payments in Q1 2026 less a $10,000 refund
// in Q2, 20% commissions, a $4,000 payout in Q2; today 27 Nov 2026) with,
// for the scorecard:
//
//   - Q2 2026: one referral from Brightline, lost.
//   - Q3 2026: three from Brightline — won (answered in 4 h, good fit),
//     lost (24 h, poor fit) and one still open (48 h) — and one of ours
//     to Brightline, won; a client's satisfaction answer of 4.
//   - Tiers Gold (rank 1) and Silver; Brightline is Silver.
//   - A scheduled Q4 review with one open action item, an open alert and a
//     partner satisfaction answer of 8 for 2026.
type scWorld struct {
	*stmtWorld
	review  uuid.UUID
	action  string
	alert   string
	page    string // /t/northwind/partners/<p>/scorecard
	viewer  string
	otherID uuid.UUID // another firm's partner
}

func newScWorld(t *testing.T) *scWorld {
	w := &scWorld{stmtWorld: newStmtWorld(t), action: "Send the joint case study draft",
		alert: "We've referred 1 opportunity to you this year and received 5."}
	h, f := w.h, w.f
	ctx := context.Background()
	h.commExec(`DELETE FROM tiers WHERE tenant_id = $1`, f.ID) // the defaults
	h.commExec(`INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Gold', 1, 90)`, f.ID)
	silver := h.commID(`INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Silver', 2, 90) RETURNING id`, f.ID)
	h.commExec(`UPDATE partners SET tier_id = $2 WHERE tenant_id = $1 AND id = $3`, f.ID, silver, w.p)

	ref := func(direction, company, status, submitted string, responded, closed *string, fit, reason string) uuid.UUID {
		prospect := h.commID(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`, f.ID, w.p)
		var fitV, reasonV *string
		if fit != "" {
			fitV = &fit
		}
		if reason != "" {
			reasonV = &reason
		}
		return h.commID(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
				status, submitted_at, first_responded_at, closed_at, status_changed_at, fit, close_reason)
			VALUES ($1, $2, $3, $4, $5, lower($5), $6, $7::timestamptz, $8::timestamptz, $9::timestamptz, $7::timestamptz, $10, $11)
			RETURNING id`, f.ID, direction, w.p, prospect, company, status, submitted, responded, closed, fitV, reasonV)
	}
	s := func(v string) *string { return &v }
	ref("inbound", "Quartz Dental", "lost", "2026-04-02 10:00Z", nil, s("2026-04-20 10:00Z"), "", "budget")
	won := ref("inbound", "Orbit Labs", "won", "2026-07-06 10:00Z", s("2026-07-06 14:00Z"), s("2026-08-10 10:00Z"), "good", "")
	ref("inbound", "Pine Legal", "lost", "2026-07-20 09:00Z", s("2026-07-21 09:00Z"), s("2026-09-01 10:00Z"), "poor", "fit")
	ref("inbound", "Sage Foods", "contacted", "2026-09-10 08:00Z", s("2026-09-12 08:00Z"), nil, "", "")
	ref("outbound", "Tern Shipping", "won", "2026-08-03 10:00Z", nil, s("2026-09-20 10:00Z"), "", "")
	eng := h.commID(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, 'project', 'Orbit review', 1000000, '2026-08-15') RETURNING id`, f.ID, won, w.p)
	h.commExec(`INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, score, answered_at, source)
		VALUES ($1, $2, $3, $4, 4, '2026-08-20 12:00Z', 'staff')`, f.ID, eng, won, w.p)

	adaID := h.commID(`SELECT id FROM users WHERE email = $1`, w.ada)
	h.commExec(`INSERT INTO partner_surveys (tenant_id, partner_id, user_id, year, score, answered_at) VALUES ($1, $2, $3, 2026, 8, '2026-10-05 12:00Z')`,
		f.ID, w.p, adaID)
	h.commExec(`INSERT INTO alerts (tenant_id, kind, partner_id, key, message) VALUES ($1, 'uneven_flow', $2, 'uneven:test', $3)`,
		f.ID, w.p, w.alert)

	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) error {
		rv, err := review.Create(ctx, tx, f.ID, w.p, review.Schedule{Quarter: period.Quarter{Year: 2026, Q: 4},
			StartsAt: time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC), DurationMinutes: 60,
			Attendees: []review.AttendeeInput{{Side: review.SideFirm, Name: f.Owner.Name, Email: f.Owner.Email}}}, f.Owner.ID)
		if err != nil {
			return err
		}
		w.review = rv.ID
		due := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
		_, err = review.AddAction(ctx, tx, f.ID, w.p, rv.ID, review.ActionInput{Title: w.action, OwnerSide: review.SidePartner,
			OwnerName: "Ada", DueOn: &due})
		return err
	}))

	w.viewer = h.staffUser(f, "viewer@northwind.test", auth.RoleViewer).Email
	other := h.createFirm("southwind", "Southwind Partners")
	w.otherID = h.createPartner(other.ID, "Southwind's partner").ID
	w.page = "/t/northwind/partners/" + w.p.String() + "/scorecard"
	return w
}

// scFigure is a key figure's cells on the staff page: value, previous
// quarter, change.
func scFigureCells(doc *goquery.Document, key string) (value, prev, change string) {
	row := doc.Find(`#figures tr[data-figure="` + key + `"]`)
	cells := row.Find("td")
	return strings.TrimSpace(cells.Eq(0).Text()), strings.TrimSpace(cells.Eq(1).Text()),
		strings.TrimSpace(row.Find(".scorecard-change").Text())
}

// TestPartnerScorecardPage: the staff scorecard for a fixed data set —
// the quarter's figures against the previous one, the balance of trade,
// the health score adding up, the tier recommendation, the trend charts
// with their tables, the review buttons, alerts and action items — the
// quarter picker, and the refusals.
func TestPartnerScorecardPage(t *testing.T) {
	w := newScWorld(t)
	h := w.h
	c := h.loggedIn(w.f.Owner.Email)

	resp, body := h.get(c, w.page+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc := stmtDoc(t, body)
	require.Equal(t, "page", doc.Find(`nav[aria-label="Partner sections"] a[href="`+w.page+`"]`).AttrOr("aria-current", ""))
	require.Contains(t, doc.Find("#scorecard-heading").Text(), "Scorecard Q3 2026")
	require.Zero(t, doc.Find("#scorecard .badge").Length(), "a past quarter is not to date")

	// The figures, hand-computed, with Q2 2026 beside them.
	for key, want := range map[string][3]string{
		"received":         {"3", "1", "+2"},
		"sent":             {"1", "0", "+1"},
		"won":              {"1", "0", "+1"},
		"lost":             {"1", "1", "no change"},
		"conversion":       {"50%", "0%", "+50 pts"},
		"won_sent":         {"1", "0", "+1"},
		"sent_conversion":  {"100%", "—", ""},
		"revenue_received": {"$0.00", "-$10,000.00", "+$10,000.00"},
		"revenue_sent":     {"$0.00", "$0.00", "no change"},
		"response_p50":     {"24 hours", "—", ""},
		"response_p90":     {"48 hours", "—", ""},
		"csat":             {"4.0", "—", ""},
		"fit":              {"50%", "—", ""},
		"sla_ours":         {"0", "0", "no change"},
	} {
		v, p, ch := scFigureCells(doc, key)
		require.Equal(t, want[0], v, key)
		require.Equal(t, want[1], p, key)
		require.Contains(t, ch, want[2], key)
	}
	require.Contains(t, doc.Find(`tr[data-figure="conversion"] th`).Text(), "1 won of 2 decided")
	require.Contains(t, doc.Find(`tr[data-figure="response_p50"] th`).Text(), "3 answered")
	require.Contains(t, doc.Find(`tr[data-figure="received"] .scorecard-change`).AttrOr("class", ""), "scorecard-change--good")
	require.Contains(t, doc.Find(`tr[data-figure="revenue_received"]`).Closest("tbody").Find("th").First().Text(), "Money (USD)")

	// The balance of trade over Q4 2025 – Q3 2026: 5 from them, 1 to them;
	// $40,000 of client revenue and $8,000 of commissions.
	require.Equal(t, "You've referred 5 opportunities to us this year and we've sent you 1.", strings.TrimSpace(doc.Find("#reciprocity-sentence").Text()))
	require.Equal(t, "5.0:1, they send more", doc.Find(`[data-testid="reciprocity-ratio"]`).Text())
	trade := func(key string) (string, string) {
		cells := doc.Find(`#reciprocity tr[data-trade="` + key + `"] td`)
		return strings.TrimSpace(cells.Eq(0).Text()), strings.TrimSpace(cells.Eq(1).Text())
	}
	from, to := trade("referrals")
	require.Equal(t, []string{"5", "1"}, []string{from, to})
	from, to = trade("revenue")
	require.Equal(t, []string{"$40,000.00", "$0.00"}, []string{from, to})
	from, to = trade("money")
	require.Equal(t, []string{"$0.00", "$8,000.00"}, []string{from, to})
	require.Contains(t, doc.Find("#reciprocity").Text(), "1 Oct 2025 – 30 Sep 2026")

	// The health score is the sum of its six components' points, with the formula.
	comps := doc.Find("#health tbody tr")
	require.Equal(t, 6, comps.Length())
	sum, weights := 0, 0
	comps.Each(func(_ int, s *goquery.Selection) {
		sum += atoiT(t, strings.TrimSpace(s.Find("td").Eq(2).Text()))
		weights += atoiT(t, strings.TrimSpace(s.Find("td").Eq(0).Text()))
		require.NotEmpty(t, strings.TrimSpace(s.Find("td").Eq(1).Text()), "value")
		require.NotEmpty(t, strings.TrimSpace(s.Find("td").Eq(3).Text()), "explanation")
	})
	require.Equal(t, 100, weights)
	require.Equal(t, sum, atoiT(t, doc.Find(`[data-testid="health-score"]`).Text()))
	require.Contains(t, doc.Find("#health-formula").Text(), "Health (0–100) = conversion 30")

	// The recommendation, and what Gold takes.
	require.Equal(t, "Keep at Silver", strings.TrimSpace(doc.Find(`[data-testid="recommendation"]`).Text()))
	require.Equal(t, "To reach Gold", strings.TrimSpace(doc.Find("#next-tier").Text()))
	require.Positive(t, doc.Find("#next-needs li").Length())
	require.Positive(t, doc.Find("#rec-reasons li").Length())

	// Four trend charts of 8 quarters, each with its data table.
	for _, id := range []string{"chart-referrals", "chart-conversion", "chart-revenue", "chart-csat"} {
		fig := doc.Find("figure#" + id)
		require.Equal(t, 1, fig.Length(), id)
		require.Equal(t, 8, fig.Find("details.chart__data tbody tr").Length(), id)
	}
	rows := doc.Find("figure#chart-referrals details tbody tr")
	require.Equal(t, "Q3 2026", strings.TrimSpace(rows.Last().Find("th").Text()))
	require.Equal(t, "3", strings.TrimSpace(rows.Last().Find("td").Eq(0).Text()))
	require.Equal(t, "1", strings.TrimSpace(rows.Last().Find("td").Eq(1).Text()))

	// Partner satisfaction, attendance, alerts and action items.
	require.Contains(t, doc.Find("#partner-satisfaction tbody tr").Text(), "2026")
	require.Contains(t, doc.Find("#partner-satisfaction tbody tr").Text(), "8.0")
	require.Equal(t, "0", strings.TrimSpace(doc.Find(`[data-attendance="held"]`).Text()))
	require.Contains(t, doc.Find("#open-alerts").Text(), w.alert)
	require.Equal(t, "/t/northwind/alerts?partner="+w.p.String(), doc.Find(`#open-alerts a`).AttrOr("href", ""))
	reviewURL := "/t/northwind/partners/" + w.p.String() + "/reviews/" + w.review.String()
	require.Contains(t, doc.Find("#actions-heading").Text(), "Open action items (1)")
	require.Equal(t, reviewURL, doc.Find(`#open-actions li a`).AttrOr("href", ""))
	require.Contains(t, doc.Find("#open-actions li").Text(), w.action)
	require.Contains(t, doc.Find("#open-actions li").Text(), "Ada (Brightline Advisory)")

	// The buttons: hold the scheduled review; the PDF of this quarter.
	require.Equal(t, reviewURL+"#hold", doc.Find("#hold-review").AttrOr("href", ""))
	require.Zero(t, doc.Find("#schedule-review").Length())
	require.Contains(t, doc.Find("#review-scheduled").Text(), "Wed 9 Dec 2026")
	require.Equal(t, w.page+".pdf?quarter=2026-Q3", doc.Find("#scorecard-pdf").AttrOr("href", ""))

	// The picker: Q2 and Q4 around Q3; the select.
	require.Equal(t, w.page+"?quarter=2026-Q2", doc.Find(`.scorecard-picker a[rel="prev"]`).AttrOr("href", ""))
	require.Equal(t, w.page+"?quarter=2026-Q4", doc.Find(`.scorecard-picker a[rel="next"]`).AttrOr("href", ""))
	require.Equal(t, "2026-Q3", doc.Find("#f-quarter option[selected]").AttrOr("value", ""))
	require.Zero(t, doc.Find("#last-completed").Length())

	// What partners see: the default parts, ticked.
	ticked := doc.Find(`#sharing input[name="section"][checked]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") })
	require.Equal(t, []string{"referrals", "conversion", "response", "reciprocity", "tier"}, ticked)
	require.Equal(t, "Sections of the scorecard partners see", strings.TrimSpace(doc.Find("#sharing legend").Text()))

	// Default: the current quarter, to date, with the last completed one linked.
	resp, body = h.get(c, w.page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find("#scorecard-heading").Text(), "Scorecard Q4 2026")
	require.Contains(t, doc.Find("#scorecard").Text(), "to date (27 Nov 2026)")
	require.Equal(t, w.page+"?quarter=2026-Q3", doc.Find("#last-completed").AttrOr("href", ""))
	require.Zero(t, doc.Find(`.scorecard-picker a[rel="next"]`).Length(), "no quarter after the current one")
	require.Equal(t, "2026-Q4", doc.Find("#f-quarter option[selected]").AttrOr("value", ""))

	// Quarters: malformed is not found, one that hasn't started a bad request.
	for _, q := range []string{"2026-Q7", "nope", "2026Q3", "1899-Q4"} {
		resp, _ = h.get(c, w.page+"?quarter="+url.QueryEscape(q))
		require.Equal(t, http.StatusNotFound, resp.StatusCode, q)
		resp, _ = h.get(c, w.page+".pdf?quarter="+url.QueryEscape(q))
		require.Equal(t, http.StatusNotFound, resp.StatusCode, q)
	}
	resp, body = h.get(c, w.page+"?quarter=2027-Q1")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "Q1 2027 hasn&#39;t started yet")
	resp, _ = h.get(c, w.page+".pdf?quarter=2027-Q1")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Another firm's partner, and a made-up one: not found.
	for _, id := range []string{w.otherID.String(), uuid.NewString(), "x"} {
		resp, _ = h.get(c, "/t/northwind/partners/"+id+"/scorecard")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, id)
		resp, _ = h.get(c, "/t/northwind/partners/"+id+"/scorecard.pdf")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, id)
	}

	// A viewer reads the scorecard but neither holds reviews nor changes sharing.
	vc := h.loggedIn(w.viewer)
	resp, body = h.get(vc, w.page+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Zero(t, doc.Find("#hold-review, #schedule-review").Length())
	require.Zero(t, doc.Find("#sharing form").Length())
	require.Equal(t, 5, doc.Find("#shared-sections li").Length())
	resp, _ = h.post(vc, w.page+"/sharing", url.Values{"section": {"health"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// TestPartnerScorecardScheduleButton: without a scheduled review, the page
// offers to schedule one.
func TestPartnerScorecardScheduleButton(t *testing.T) {
	w := newStmtWorld(t)
	c := w.h.loggedIn(w.f.Owner.Email)
	page := "/t/northwind/partners/" + w.p.String() + "/scorecard"
	resp, body := w.h.get(c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc := stmtDoc(t, body)
	require.Equal(t, "/t/northwind/partners/"+w.p.String()+"/reviews/new", doc.Find("#schedule-review").AttrOr("href", ""))
	require.Zero(t, doc.Find("#hold-review").Length())
	require.Equal(t, "Keep (not in a tier)", strings.TrimSpace(doc.Find(`[data-testid="recommendation"]`).Text()))
}

// TestPartnerScorecardPDF: the PDF for the meeting carries the health
// score, the key figures, the trend, the balance of trade and the open
// action items, read back from the file.
func TestPartnerScorecardPDF(t *testing.T) {
	w := newScWorld(t)
	h := w.h
	c := h.loggedIn(w.finance)

	_, body := h.get(c, w.page+"?quarter=2026-Q3")
	score := strings.TrimSpace(stmtDoc(t, body).Find(`[data-testid="health-score"]`).Text())

	resp, body := h.get(c, w.page+".pdf?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="scorecard-brightline-advisory-2026-Q3.pdf"`, resp.Header.Get("Content-Disposition"))
	text := stmtPDFText(t, []byte(body))
	for _, want := range []string{
		"Partnerscorecard",
		"BrightlineAdvisory,apartnerofNorthwindAdvisory",
		"Q32026:1Jul–30Sep2026·moneyinUSD",
		"Healthscore:" + score + "/100",
		"Total100" + score,
		"Tierrecommendation:KeepatSilver",
		"ToreachGold:",
		// Key figures: this quarter, Q2 and the change.
		"Referralsreceived(fromthem)31+2",
		"Conversionoftheirreferrals(1wonof2decided)50%0%+50pts",
		"Revenuefromtheirreferrals$0.00-$10,000.00+$10,000.00",
		"Medianfirstresponse(3answered)24hours—-",
		// The trend: quarter, received, sent, won, conversion, revenue, CSAT.
		"Q12026101100%$50,000.00-",
		"Q220261000%-$10,000.00-",
		"Q3202631150%$0.004.0",
		// Reciprocity over the year.
		"You'vereferred5opportunitiestousthisyearandwe'vesentyou1.Ratio:5.0:1,theysendmore.",
		"Clientrevenuefromthereferrals$40,000.00$0.00",
		"Fees(tous)andcommissions(tothem)earned$0.00$8,000.00",
		// The open action item.
		"Openactionitems(1)",
		"SendthejointcasestudydraftAda(BrightlineAdvisory)10Dec2026Q42026review",
		"NorthwindAdvisory·ScorecardofBrightlineAdvisory,Q32026·Generated27Nov2026·Page1of",
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, w.alert, "alerts stay off the meeting's PDF")
}

// TestPortalScorecard: a partner sees exactly the parts the firm shares,
// of its own scorecard only; the firm's admin changes what is shared
// (audited); nothing shared is a friendly page.
func TestPortalScorecard(t *testing.T) {
	w := newScWorld(t)
	h := w.h
	ada := h.loggedIn(w.ada)
	const path = "/p/northwind/scorecard"

	sections := func(doc *goquery.Document) []string {
		return doc.Find("main section[id^=sc-]").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("id", "") })
	}
	figure := func(doc *goquery.Document, key string) string {
		return strings.TrimSpace(doc.Find(`[data-figure="` + key + `"] [data-value]`).Text())
	}

	// The default parts, worded for the partner.
	resp, body := h.get(ada, path+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	doc := stmtDoc(t, body)
	require.Equal(t, "page", doc.Find(`a[href="/p/northwind/scorecard"]`).AttrOr("aria-current", ""))
	require.Equal(t, []string{"sc-referrals", "sc-conversion", "sc-response", "sc-reciprocity", "sc-tier"}, sections(doc))
	require.Equal(t, "3", figure(doc, "received"))
	require.Equal(t, "1", figure(doc, "sent"))
	require.Equal(t, "50%", figure(doc, "conversion"))
	require.Equal(t, "24 hours", figure(doc, "response_p50"))
	require.Contains(t, doc.Find(`[data-figure="received"]`).Text(), "+2")
	require.Contains(t, doc.Find("#sc-reciprocity").Text(), "You've referred 5 opportunities to us this year and we've sent you 1.")
	require.Equal(t, "Silver", doc.Find(`[data-testid="tier-current"]`).Text())
	require.Equal(t, "Gold", doc.Find(`[data-testid="tier-next"]`).Text())
	require.Positive(t, doc.Find("#tier-needs li").Length())
	require.Equal(t, 1, doc.Find("figure#chart-referrals").Length())
	require.Equal(t, 8, doc.Find("figure#chart-referrals details tbody tr").Length())
	// Never the internal parts.
	for _, internal := range []string{w.alert, "Health score", "How it is computed", "Tier recommendation", "Keep at Silver", w.action, "Promote"} {
		require.NotContains(t, body, internal)
	}

	// The current quarter by default; bad quarters as on the staff side.
	resp, body = h.get(ada, path)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, stmtDoc(t, body).Find("#portal-scorecard-heading").Text(), "Scorecard Q4 2026")
	resp, _ = h.get(ada, path+"?quarter=2026-Q9")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(ada, path+"?quarter=2027-Q2")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Another partner's user sees its own (empty) scorecard.
	quinn := h.loggedIn(w.quietie)
	resp, body = h.get(quinn, path+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Equal(t, "0", figure(doc, "received"))
	require.Contains(t, doc.Find("#sc-reciprocity").Text(), "No referrals either way in the last 12 months.")
	require.Equal(t, "No tier yet", doc.Find(`[data-testid="tier-current"]`).Text())
	require.NotContains(t, body, "Brightline")

	// The firm shares revenue, the health score and the tier instead.
	owner := h.loggedIn(w.f.Owner.Email)
	staff := "/t/northwind/partners/" + w.p.String() + "/scorecard"
	resp, body = h.post(owner, staff+"/sharing", url.Values{"section": {"tier", "revenue", "health"}, "quarter": {"2026-Q3"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, staff+"?quarter=2026-Q3#sharing", resp.Header.Get("Location"))
	_, body = h.get(owner, staff+"?quarter=2026-Q3")
	require.Contains(t, body, "Partners now see these parts of their scorecard in the portal: Revenue from referrals, Health score, Tier and what the next one takes.")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.scorecard_shared'`, w.f.ID))
	// Saving the same again changes nothing and audits nothing.
	resp, _ = h.post(owner, staff+"/sharing", url.Values{"section": {"revenue", "health", "tier"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.scorecard_shared'`, w.f.ID))

	_, body = h.get(ada, path+"?quarter=2026-Q3")
	doc = stmtDoc(t, body)
	require.Equal(t, []string{"sc-revenue", "sc-health", "sc-tier"}, sections(doc))
	require.Equal(t, "$0.00", figure(doc, "revenue_received"))
	require.Regexp(t, `^\d+ / 100$`, figure(doc, "health"))
	require.Zero(t, doc.Find("#sc-health table").Length(), "the score, never its components")
	require.NotContains(t, body, "Responsiveness")

	// An unknown part is refused with the form re-shown; nothing changes.
	resp, body = h.post(owner, staff+"/sharing", url.Values{"section": {"tier", "notes"}, "quarter": {"2026-Q3"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find("#share-error").Text(), "Choose the parts to share from the list.")
	require.Contains(t, doc.Find("#scorecard-heading").Text(), "Scorecard Q3 2026", "the quarter shown before")
	require.Equal(t, "2026-Q3", doc.Find(`#sharing input[name="quarter"]`).AttrOr("value", ""))
	require.Equal(t, []string{"tier"}, doc.Find(`#sharing input[name="section"][checked]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") }))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'settings.scorecard_shared'`, w.f.ID))

	// Nothing shared: a friendly page, no figures.
	resp, _ = h.post(owner, staff+"/sharing", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.get(ada, path+"?quarter=2026-Q3")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc = stmtDoc(t, body)
	require.Contains(t, doc.Find(".empty-state").Text(), "Northwind Advisory hasn't shared its partner scorecard")
	require.Empty(t, sections(doc))
	require.Zero(t, doc.Find("[data-figure]").Length())
	_, body = h.get(owner, staff)
	require.Zero(t, stmtDoc(t, body).Find(`#sharing input[checked]`).Length())
	_, body = h.get(h.loggedIn(w.viewer), staff)
	require.Contains(t, stmtDoc(t, body).Find("#sharing").Text(), "The scorecard isn't shared with partners.")

	// Another firm's partner id is not found for the sharing form either.
	resp, _ = h.post(owner, "/t/northwind/partners/"+w.otherID.String()+"/scorecard/sharing", url.Values{"section": {"tier"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestScorecardFigureWording: how changes and values are written.
func TestScorecardFigureWording(t *testing.T) {
	for _, tc := range []struct {
		unit scUnit
		diff int64
		want string
	}{
		{scCount, 3, "+3"}, {scCount, -1200, "−1,200"},
		{scBP, 5000, "+50 pts"}, {scBP, -1806, "−18.06 pts"}, {scBP, 950, "+9.5 pts"},
		{scCents, 1_000_000, "+$10,000.00"}, {scCents, -5, "−$0.05"},
		{scHours, -27, "−27 h"}, {scScore, 3, "+0.3"},
	} {
		require.Equal(t, tc.want, tc.unit.change(tc.diff), "%v %d", tc.unit, tc.diff)
	}
	require.Equal(t, "1 hour", scHours.format(1))
	require.Equal(t, "scorecard-brightline-advisory-2026-Q3.pdf", scorecardFileName("Brightline Advisory", period.Quarter{Year: 2026, Q: 3}))
	require.Equal(t, "scorecard-l-berg-advokater-2026-Q1.pdf", scorecardFileName("Lö & Berg Advokater", period.Quarter{Year: 2026, Q: 1}))
	require.Equal(t, "scorecard-partner-2026-Q1.pdf", scorecardFileName("—", period.Quarter{Year: 2026, Q: 1}))
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		require.True(t, r >= '0' && r <= '9', "not a number: %q", s)
		n = n*10 + int(r-'0')
	}
	return n
}
