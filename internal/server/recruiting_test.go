package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

func TestRecruitingBoardEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	resp, body := h.get(h.loggedIn("viewer@acme.test"), "/t/acme/recruiting")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "No prospects")
	assert.Contains(t, body, "Nobody became a partner this year yet.")
	assert.Contains(t, body, "of 5–10 new partners this year")
	assert.Contains(t, body, `class="chart-fill"`)
	assert.NotContains(t, body, "Add a prospect", "a viewer can't add partners")
	assert.NotContains(t, body, "style=")
}

func TestRecruitingBoardAndGoal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	now := time.Now()
	lastYear := time.Date(now.Year()-1, 6, 1, 0, 0, 0, 0, time.UTC)

	prospect := h.createPartner(f.ID, "Prospect Partners")
	h.setPartnerState(f.ID, prospect.ID, "prospect", now.AddDate(0, 0, -3), false)
	qualifying := h.createPartner(f.ID, "Qualifying & Co")
	h.setPartnerState(f.ID, qualifying.ID, "qualifying", now, true)
	onboarding := h.createPartner(f.ID, "Onboarding Ltd")
	h.setPartnerState(f.ID, onboarding.ID, "onboarding", now, true)
	// New this year: counts.
	fresh := h.createPartner(f.ID, "Fresh Alliance")
	h.setPartnerState(f.ID, fresh.ID, "active", now, true)
	// Active since last year: doesn't count.
	old := h.createPartner(f.ID, "Old Friends")
	h.setPartnerState(f.ID, old.ID, "active", lastYear, true)
	// Active last year, paused, active again this year: not new.
	back := h.createPartner(f.ID, "Back Again")
	h.setPartnerState(f.ID, back.ID, "active", lastYear, true)
	h.setPartnerState(f.ID, back.ID, "paused", lastYear.AddDate(0, 1, 0), true)
	h.setPartnerState(f.ID, back.ID, "active", now, true)

	c := h.loggedIn(f.Owner.Email)
	resp, body := h.get(c, "/t/acme/recruiting")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	for _, name := range []string{"Prospect Partners", "Qualifying &amp; Co", "Onboarding Ltd", "Fresh Alliance"} {
		assert.Contains(t, body, name)
	}
	assert.NotContains(t, body, "Old Friends")
	assert.NotContains(t, body, "Back Again")
	assert.Contains(t, body, "3 days in stage")
	assert.Contains(t, body, "<strong>1</strong> of 5–10 new partners this year")
	assert.Contains(t, body, `width="10" height="10" class="chart-fill"`, "1 of at most 10 is a tenth of the bar")
	assert.Contains(t, body, "Below goal")
	// The tier form on onboarding and new active partners only.
	assert.Contains(t, body, "partner_id="+onboarding.ID.String())
	assert.Contains(t, body, "partner_id="+fresh.ID.String())
	assert.NotContains(t, body, "partner_id="+prospect.ID.String())
	assert.Contains(t, body, `<option value="" selected>No tier</option>`)
}

func TestRecruitingAssignTier(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Consulting")
	other := h.createFirm("other", "Other Firm")
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	p := h.createPartner(f.ID, "Brightline Advisory")
	h.setPartnerState(f.ID, p.ID, "onboarding", time.Now(), true)
	foreign := h.createPartner(other.ID, "Not Yours")

	manager := h.loggedIn("manager@acme.test")
	resp, _ := h.get(manager, "/t/acme/recruiting") // makes the default tiers
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tiers := h.tierIDs(f.ID)
	h.get(h.loggedIn(other.Owner.Email), "/t/other/settings/tiers")
	otherTier := h.tierIDs(other.ID)[1]

	action := func(partnerID uuid.UUID) string {
		return "/t/acme/recruiting/tier?" + url.Values{"partner_id": {partnerID.String()}, "next": {"/t/acme/partners/" + partnerID.String()}}.Encode()
	}
	resp, body := h.post(manager, action(p.ID), url.Values{"tier_id": {tiers[2].String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, "/t/acme/partners/"+p.ID.String(), resp.Header.Get("Location"))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND tier_id = $2`, p.ID, tiers[2]))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.tier_set' AND target_id = $2`, f.ID, p.ID.String()))

	// The board shows the tier chosen.
	_, body = h.get(manager, "/t/acme/recruiting")
	assert.Contains(t, body, `<option value="`+tiers[2].String()+`" selected>Tier 2 – Active</option>`)

	// A viewer may not.
	resp, _ = h.post(h.loggedIn("viewer@acme.test"), action(p.ID), url.Values{"tier_id": {tiers[1].String()}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// Another firm's partner is not found; another firm's tier is not a choice.
	resp, _ = h.post(manager, action(foreign.ID), url.Values{"tier_id": {tiers[1].String()}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(manager, "/t/acme/recruiting/tier", url.Values{"partner_id": {"nope"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, body = h.post(manager, action(p.ID), url.Values{"tier_id": {otherTier.String()}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Choose one of the tiers")
	resp, _ = h.post(manager, action(p.ID), url.Values{"tier_id": {"garbage"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND tier_id = $2`, p.ID, tiers[2]), "unchanged")

	// No tier; without next, back to the board.
	resp, _ = h.post(manager, "/t/acme/recruiting/tier", url.Values{"partner_id": {p.ID.String()}, "tier_id": {""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/t/acme/recruiting", resp.Header.Get("Location"))
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM partners WHERE id = $1 AND tier_id IS NULL`, p.ID))
	// An off-site next is ignored.
	resp, _ = h.post(manager, "/t/acme/recruiting/tier?next="+url.QueryEscape("//evil.example"), url.Values{"partner_id": {p.ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.True(t, strings.HasSuffix(resp.Header.Get("Location"), "/t/acme/recruiting"))
}
