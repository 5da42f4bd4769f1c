package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
)

// qualCriteria returns the firm's criteria ids and weights in order
// (the tab must have been shown once, which creates the defaults).
func (h *harness) qualCriteria(tenantID uuid.UUID) ([]uuid.UUID, []int) {
	h.t.Helper()
	rows, err := h.owner.Query(context.Background(), `SELECT id, weight FROM qualification_criteria
		WHERE tenant_id = $1 AND active ORDER BY position`, tenantID)
	require.NoError(h.t, err)
	defer rows.Close()
	var ids []uuid.UUID
	var ws []int
	for rows.Next() {
		var id uuid.UUID
		var w int
		require.NoError(h.t, rows.Scan(&id, &w))
		ids, ws = append(ids, id), append(ws, w)
	}
	require.NoError(h.t, rows.Err())
	return ids, ws
}

func qualPath(f firm, p partner.Partner, rest string) string {
	return "/t/" + f.Slug + "/partners/" + p.ID.String() + rest
}

func TestQualificationScorecard(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	p := h.createPartner(f.ID, "Brightline Tax")
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, qualPath(f, p, "/qualification"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, d := range partner.DefaultCriteria {
		require.Contains(t, body, d.Name)
	}
	require.Contains(t, body, "Not scored")
	ids, weights := h.qualCriteria(f.ID)
	require.Len(t, ids, 6)
	require.Equal(t, []int{20, 20, 15, 15, 15, 15}, weights)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'criteria.defaults_created'`, f.ID))

	// A score outside 1–5: 422 naming the criterion, the input kept, nothing written.
	scores := []string{"5", "4", "3", "4", "5", "2"}
	form := url.Values{}
	for i, id := range ids {
		form.Set("score."+id.String(), scores[i])
		form.Set("note."+id.String(), "note "+scores[i]+" on "+id.String()[:8])
	}
	form.Set("score."+ids[5].String(), "6")
	resp, body = h.post(c, qualPath(f, p, "/scores"), form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "Choose a score from 1 to 5 for Positioning compatibility.")
	require.Contains(t, body, `value="note 5 on `+ids[0].String()[:8]+`"`)
	require.Regexp(t, `id="score-`+ids[0].String()+`-5" name="score.`+ids[0].String()+`" value="5" checked`, body)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM partner_scores WHERE tenant_id = $1`, f.ID))

	// Valid: saved in one go, the weighted score shown is the pure function's.
	form.Set("score."+ids[5].String(), "2")
	resp, _ = h.post(c, qualPath(f, p, "/scores"), form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 6, h.countRows(`SELECT count(*) FROM partner_scores WHERE tenant_id = $1 AND partner_id = $2`, f.ID, p.ID))
	sm, wm := map[uuid.UUID]int{}, map[uuid.UUID]int{}
	for i, id := range ids {
		sm[id], wm[id] = []int{5, 4, 3, 4, 5, 2}[i], weights[i]
	}
	want, complete := partner.WeightedScore(sm, wm)
	require.Equal(t, 390, want)
	require.True(t, complete)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, `<p class="stat__value" id="weighted-score">`+partner.FormatScore(want))
	require.Contains(t, body, "Σ score × weight ÷ Σ weight = (5 × 20 + 4 × 20 + 3 × 15 + 4 × 15 + 5 × 15 + 2 × 15) ÷ 100")
	require.NotContains(t, body, "Incomplete")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.scored'`, f.ID))

	// Clearing a score: incomplete, over the scored ones.
	form.Set("score."+ids[5].String(), "")
	form.Set("note."+ids[5].String(), "")
	resp, _ = h.post(c, qualPath(f, p, "/scores"), form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, "Incomplete")
	require.Contains(t, body, `id="weighted-score">4.24`) // 360 / 85 = 4.235… → 4.24

	// A viewer sees the tab but can't score.
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	v := h.loggedIn("viewer@acme.test")
	resp, body = h.get(v, qualPath(f, p, "/qualification"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, `action="`+qualPath(f, p, "/scores")+`"`)
	resp, _ = h.post(v, qualPath(f, p, "/scores"), form)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(v, qualPath(f, p, "/decision"), url.Values{"decision": {"qualify"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestQualificationReferencesAndFlags(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	p := h.createPartner(f.ID, "Brightline Tax")
	c := h.loggedIn(f.Owner.Email)

	// Bad input keeps what was typed.
	resp, body := h.post(c, qualPath(f, p, "/references"), url.Values{"who": {""}, "relationship": {"client"}, "sentiment": {"awful"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter who gave the reference.")
	require.Contains(t, body, "Choose positive, neutral or negative.")
	require.Contains(t, body, `value="client"`)

	add := func(who, sentiment string) {
		t.Helper()
		resp, _ := h.post(c, qualPath(f, p, "/references"), url.Values{"who": {who}, "relationship": {"client"}, "sentiment": {sentiment}, "notes": {"slow"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	add("Ann", "positive")
	add("Bo", "negative")
	add("Cy", "negative")
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, "2 negative references")
	require.NotContains(t, body, "Pattern of negative references")
	add("Di", "negative")
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, "Pattern of negative references")
	require.Contains(t, body, "three are a trend")
	// In the header too.
	header := body[strings.Index(body, `class="partner-header"`):]
	header = header[:strings.Index(header, "</nav>")]
	require.Contains(t, header, "Pattern of negative references")

	// Deleting one brings it back to a note.
	var refID uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM partner_references WHERE who = 'Di'`).Scan(&refID))
	resp, _ = h.post(c, qualPath(f, p, "/references/"+refID.String()+"/delete"), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.NotContains(t, body, "Pattern of negative references")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.reference_deleted'`, f.ID))
	require.Equal(t, 4, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.reference_added'`, f.ID))

	// Another firm's reference is not found, through our partner or theirs.
	g := h.createFirm("other", "Other Firm")
	gp := h.createPartner(g.ID, "Their partner")
	gc := h.loggedIn(g.Owner.Email)
	resp, _ = h.post(gc, qualPath(g, gp, "/references"), url.Values{"who": {"Eve"}, "sentiment": {"negative"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var gRef uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM partner_references WHERE who = 'Eve'`).Scan(&gRef))
	resp, _ = h.post(c, qualPath(f, p, "/references/"+gRef.String()+"/delete"), nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/acme/partners/"+gp.ID.String()+"/references/"+gRef.String()+"/delete", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// Our reference through another of our partners is not found either.
	p2 := h.createPartner(f.ID, "Second partner")
	var annID uuid.UUID
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM partner_references WHERE who = 'Ann'`).Scan(&annID))
	resp, _ = h.post(c, qualPath(f, p2, "/references/"+annID.String()+"/delete"), nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_references WHERE who = 'Eve'`))

	// Red-flag checklist: ticked items are red flags; unticking removes them.
	resp, _ = h.post(c, qualPath(f, p, "/red-flags"), url.Values{"flag": {"vague_commitments", "one_sided_interest"},
		"note.vague_commitments": {"\"we'll send lots\""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, html.UnescapeString(body), "Vague commitments: \"we'll send lots\"")
	require.Contains(t, body, "One-sided interest")
	resp, _ = h.post(c, qualPath(f, p, "/red-flags"), url.Values{"flag": {"vague_commitments"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_red_flags WHERE tenant_id = $1`, f.ID))
	resp, _ = h.post(c, qualPath(f, p, "/red-flags"), url.Values{"flag": {"made_up"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_red_flags WHERE tenant_id = $1`, f.ID))

	// Potential: 2 a year to us warns, 3 doesn't; bad numbers are 422 with the input kept.
	resp, body = h.post(c, qualPath(f, p, "/potential"), url.Values{"expected_in": {"two"}, "expected_out": {"4"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="two"`)
	resp, _ = h.post(c, qualPath(f, p, "/potential"), url.Values{"expected_in": {"2"}, "expected_out": {"6"}, "clients": {"12"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, "Low referral potential")
	require.Contains(t, body, "Expected referrals to us: 2 a year")
	resp, _ = h.post(c, qualPath(f, p, "/potential"), url.Values{"expected_in": {"3"}, "expected_out": {"6"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.NotContains(t, body, "Low referral potential")
	require.Equal(t, 3, h.countRows(`SELECT expected_referrals_in FROM partner_assessments WHERE partner_id = $1`, p.ID))
}

func TestQualificationDecision(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	p := h.createPartner(f.ID, "Brightline Tax")
	c := h.loggedIn(f.Owner.Email)

	// Reject needs a reason: 422, nothing moves.
	resp, body := h.post(c, qualPath(f, p, "/decision"), url.Values{"decision": {"reject"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Say why the partner is rejected.")
	require.Regexp(t, `id="decision-reject" name="decision" value="reject" checked`, body)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM partner_assessments WHERE partner_id = $1`, p.ID))

	// Qualify a prospect: it goes through qualifying to onboarding, with history.
	resp, _ = h.post(c, qualPath(f, p, "/decision"), url.Values{"decision": {"qualify"}, "reason": {"Strong fit, two references"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND status = 'onboarding'`, p.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_status_history WHERE partner_id = $1
		AND from_status = 'prospect' AND to_status = 'qualifying' AND actor_user_id = $2`, p.ID, f.Owner.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_status_history WHERE partner_id = $1
		AND from_status = 'qualifying' AND to_status = 'onboarding' AND reason = 'Qualified: Strong fit, two references'`, p.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_assessments WHERE partner_id = $1 AND decision = 'qualified'
		AND decided_by = $2 AND decided_at IS NOT NULL AND decision_reason = 'Strong fit, two references'`, p.ID, f.Owner.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.decided'`, f.ID))
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.Contains(t, body, "Qualified")
	require.NotContains(t, body, `action="`+qualPath(f, p, "/decision")+`"`)

	// Deciding again (now onboarding) is a conflict.
	resp, _ = h.post(c, qualPath(f, p, "/decision"), url.Values{"decision": {"reject"}, "reason": {"changed our mind"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)

	// An active partner: 409 with the message, nothing written.
	a := h.createPartner(f.ID, "Active Partner")
	_, err := h.owner.Exec(context.Background(), `UPDATE partners SET status = 'active' WHERE id = $1`, a.ID)
	require.NoError(t, err)
	resp, body = h.post(c, qualPath(f, a, "/decision"), url.Values{"decision": {"qualify"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Only a prospect or a partner being qualified can be qualified or rejected")
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM partner_assessments WHERE partner_id = $1`, a.ID))

	// Reject a partner being qualified: ended, with the reason.
	q := h.createPartner(f.ID, "Maybe Partner")
	_, err = h.owner.Exec(context.Background(), `UPDATE partners SET status = 'qualifying' WHERE id = $1`, q.ID)
	require.NoError(t, err)
	resp, _ = h.post(c, qualPath(f, q, "/decision"), url.Values{"decision": {"reject"}, "reason": {"Three bad references"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND status = 'ended'`, q.ID))
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partner_status_history WHERE partner_id = $1
		AND from_status = 'qualifying' AND to_status = 'ended' AND reason = 'Rejected: Three bad references'`, q.ID))

	// Another firm's partner is not found, even with a valid form.
	g := h.createFirm("other", "Other Firm")
	gp := h.createPartner(g.ID, "Their partner")
	resp, _ = h.post(c, "/t/acme/partners/"+gp.ID.String()+"/decision", url.Values{"decision": {"qualify"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(c, "/t/acme/partners/"+gp.ID.String()+"/qualification")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND status = 'prospect'`, gp.ID))
}

func TestQualificationCriteriaSettings(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisory")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/acme/settings/criteria"

	resp, body := h.get(c, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Weights add up to 100.")
	require.Contains(t, body, "Target market fit")
	ids, _ := h.qualCriteria(f.ID)
	require.Len(t, ids, 6)

	// A bad weight: 422, everything typed kept, nothing saved.
	form := url.Values{}
	for i, id := range ids {
		form.Set("name."+id.String(), []string{"Market", "Quality", "Money", "Commitment", "Culture", "Positioning"}[i])
		form.Set("weight."+id.String(), "15")
	}
	form.Set("weight."+ids[0].String(), "101")
	resp, body = h.post(c, base+"/update", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter a whole number from 0 to 100.")
	require.Contains(t, body, `value="101"`)
	require.Contains(t, body, `value="Market"`)
	require.Equal(t, 0, h.countRows(`SELECT count(*) FROM qualification_criteria WHERE tenant_id = $1 AND name = 'Market'`, f.ID))

	// Weights adding up to 90 are accepted and the page says they're scaled.
	form.Set("weight."+ids[0].String(), "15")
	resp, _ = h.post(c, base+"/update", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.Contains(t, body, "Weights add up to 90; scores are scaled to 100.")
	require.Equal(t, 1, h.countRows(`SELECT count(*) FROM qualification_criteria WHERE tenant_id = $1 AND name = 'Market' AND weight = 15`, f.ID))

	// Duplicate names are refused.
	form.Set("name."+ids[1].String(), "market")
	resp, body = h.post(c, base+"/update", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, html.UnescapeString(body), "Two criteria can't have the same name.")

	// Add one; a duplicate or a bad weight is 422.
	resp, body = h.post(c, base, url.Values{"name": {"Speed"}, "weight": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="Speed"`)
	resp, _ = h.post(c, base, url.Values{"name": {"Speed"}, "weight": {"10"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body = h.post(c, base, url.Values{"name": {"SPEED"}, "weight": {"10"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "There is already a criterion with this name.")
	_, body = h.get(c, base)
	require.Contains(t, body, "Weights add up to 100.")

	// Deactivate one: it leaves the scorecard and the sum.
	resp, _ = h.post(c, base+"/"+ids[5].String()+"/deactivate", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.Contains(t, body, "Weights add up to 85; scores are scaled to 100.")
	require.Contains(t, body, "Not in use")
	p := h.createPartner(f.ID, "Brightline Tax")
	_, body = h.get(c, qualPath(f, p, "/qualification"))
	require.NotContains(t, body, "Positioning")
	require.Contains(t, body, "Speed")
	resp, _ = h.post(c, base+"/"+ids[5].String()+"/activate", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 7, h.countRows(`SELECT count(*) FROM qualification_criteria WHERE tenant_id = $1 AND active`, f.ID))
	require.Equal(t, 4, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action IN
		('criteria.updated', 'criterion.created', 'criterion.deactivated', 'criterion.activated')`, f.ID))

	// Another firm's criterion is not found; a manager can't open settings.
	g := h.createFirm("other", "Other Firm")
	gc := h.loggedIn(g.Owner.Email)
	h.get(gc, "/t/other/settings/criteria")
	gids, _ := h.qualCriteria(g.ID)
	resp, _ = h.post(c, base+"/"+gids[0].String()+"/deactivate", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	m := h.loggedIn("manager@acme.test")
	resp, _ = h.get(m, base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
