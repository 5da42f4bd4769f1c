package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// onboardingItems returns a partner's checklist item ids and titles in order.
func (h *harness) onboardingItems(tenantID, partnerID uuid.UUID) (ids []string, titles []string, done []bool) {
	h.t.Helper()
	rows, err := h.owner.Query(context.Background(), `SELECT id, title, done_at IS NOT NULL FROM partner_onboarding
		WHERE tenant_id = $1 AND partner_id = $2 ORDER BY position, created_at, id`, tenantID, partnerID)
	require.NoError(h.t, err)
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var title string
		var d bool
		require.NoError(h.t, rows.Scan(&id, &title, &d))
		ids, titles, done = append(ids, id.String()), append(titles, title), append(done, d)
	}
	require.NoError(h.t, rows.Err())
	return ids, titles, done
}

func (h *harness) partnerStatus(tenantID, partnerID uuid.UUID) string {
	h.t.Helper()
	var s string
	require.NoError(h.t, h.owner.QueryRow(context.Background(), `SELECT status FROM partners WHERE tenant_id = $1 AND id = $2`,
		tenantID, partnerID).Scan(&s))
	return s
}

// acceptAgreement gives a partner an active agreement, as the schema owner.
func (h *harness) acceptAgreement(tenantID, partnerID uuid.UUID) {
	h.t.Helper()
	_, err := h.owner.Exec(context.Background(), `INSERT INTO agreements (tenant_id, partner_id, version, status, model,
		effective_from, accepted_at, accepted_via) VALUES ($1, $2, 1, 'active', 'referral', '2026-11-01', now(), 'recorded')`,
		tenantID, partnerID)
	require.NoError(h.t, err)
}

// TestOnboardingTabActivatesPartner: the checklist starts when the tab is
// opened, steps are ticked with notes, and the partner becomes active only
// when the last step is done and an agreement is accepted.
func TestOnboardingTabActivatesPartner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	p := h.createPartner(f.ID, "Brightline")
	h.setPartnerState(f.ID, p.ID, "onboarding", h.srv.now(), true)
	c := h.loggedIn(f.Owner.Email)
	base := "/t/acme/partners/" + p.ID.String() + "/onboarding"

	resp, body := h.get(c, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "0 of 7 done")
	require.Contains(t, body, "Kickoff call")
	require.Contains(t, body, "7 more steps done and an agreement the partner has accepted (none yet)")
	ids, titles, _ := h.onboardingItems(f.ID, p.ID)
	require.Len(t, ids, 7)
	require.Equal(t, "Announce to clients", titles[6])
	// Opening the tab again doesn't duplicate the checklist.
	h.get(c, base)
	ids2, _, _ := h.onboardingItems(f.ID, p.ID)
	require.Equal(t, ids, ids2)

	// A bad due date: 422, the note as typed, nothing written.
	resp, body = h.post(c, base+"/steps/"+ids[0], url.Values{"action": {"done"}, "note": {"Met on Zoom"}, "due_on": {"next week"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter a date like 2026-12-31.")
	require.Contains(t, body, "Met on Zoom")
	_, _, done := h.onboardingItems(f.ID, p.ID)
	require.False(t, done[0])

	// Tick every step: no agreement yet, so the partner stays onboarding.
	for i, id := range ids {
		resp, _ = h.post(c, base+"/steps/"+id, url.Values{"action": {"done"}, "note": {"ok " + titles[i]}, "due_on": {"2026-12-01"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	require.Equal(t, "onboarding", h.partnerStatus(f.ID, p.ID))
	_, body = h.get(c, base)
	require.Contains(t, body, "7 of 7 done")
	require.Contains(t, body, "an agreement the partner has accepted (none yet)")
	require.Contains(t, body, "ok Kickoff call")

	// Reopen one, accept the agreement, tick it again: active.
	resp, _ = h.post(c, base+"/steps/"+ids[6], url.Values{"action": {"reopen"}, "note": {"redo"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	h.acceptAgreement(f.ID, p.ID)
	require.Equal(t, "onboarding", h.partnerStatus(f.ID, p.ID), "one step is open")
	_, body = h.get(c, base)
	require.Contains(t, body, "6 of 7 done")
	require.Contains(t, body, "1 more step done.")
	resp, _ = h.post(c, base+"/steps/"+ids[6], url.Values{"action": {"done"}, "note": {"announced"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "active", h.partnerStatus(f.ID, p.ID))
	_, body = h.get(c, base)
	require.Contains(t, body, "Brightline is now active")
	require.Contains(t, body, "Onboarding is complete and the partner is active.")
	var reason string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT reason FROM partner_status_history WHERE tenant_id = $1
		AND partner_id = $2 AND to_status = 'active'`, f.ID, p.ID).Scan(&reason))
	require.Equal(t, "Onboarding complete and agreement accepted", reason)
	require.Equal(t, 1, h.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'partner.status_changed'
		AND target_id = $2 AND detail->>'to' = 'active'`, f.ID, p.ID.String()))

	// Custom steps: added at the end, removable; a template step isn't.
	resp, body = h.post(c, base+"/steps", url.Values{"title": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter the step&#39;s title.")
	resp, _ = h.post(c, base+"/steps", url.Values{"title": {"Visit their office"}, "due_on": {"2026-12-15"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ids, titles, _ = h.onboardingItems(f.ID, p.ID)
	require.Equal(t, "Visit their office", titles[7])
	resp, _ = h.post(c, base+"/steps/"+ids[0]+"/delete", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = h.post(c, base+"/steps/"+ids[7]+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ids, _, _ = h.onboardingItems(f.ID, p.ID)
	require.Len(t, ids, 7)

	// A viewer sees the tab but can't change it.
	h.staffUser(f, "viewer@acme.test", auth.RoleViewer)
	v := h.loggedIn("viewer@acme.test")
	resp, body = h.get(v, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Mark done")
	resp, _ = h.post(v, base+"/steps/"+ids[0], url.Values{"action": {"reopen"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, _, done = h.onboardingItems(f.ID, p.ID)
	require.True(t, done[0])
}

func TestOnboardingStartButton(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	p := h.createPartner(f.ID, "Prospect Co")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/acme/partners/" + p.ID.String() + "/onboarding"

	// A prospect's tab doesn't start a checklist by itself; the button does.
	_, body := h.get(c, base)
	require.Contains(t, body, "No onboarding checklist yet")
	require.Contains(t, body, "Start onboarding")
	ids, _, _ := h.onboardingItems(f.ID, p.ID)
	require.Empty(t, ids)
	resp, _ := h.post(c, base+"/start", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ids, _, _ = h.onboardingItems(f.ID, p.ID)
	require.Len(t, ids, 7)

	// A step added to the template later is offered to the started checklist.
	resp, _ = h.post(c, "/t/acme/settings/onboarding", url.Values{"title": {"Joint webinar"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.Contains(t, body, "1 new step")
	h.post(c, base+"/start", nil)
	_, titles, _ := h.onboardingItems(f.ID, p.ID)
	require.Equal(t, "Joint webinar", titles[7])
}

func TestOnboardingSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	c := h.loggedIn(f.Owner.Email)
	resp, body := h.get(c, "/t/acme/settings/onboarding")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Share ideal client profile and triggers")

	var kickoff string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM onboarding_steps WHERE tenant_id = $1 AND title = 'Kickoff call'`, f.ID).Scan(&kickoff))

	// Bad input re-shows that step's form with the input and the message.
	resp, body = h.post(c, "/t/acme/settings/onboarding/"+kickoff, url.Values{"title": {"Kickoff meeting"}, "position": {"first"}, "active": {"on"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Use a position from 1 to 1000.")
	require.Contains(t, body, `value="Kickoff meeting"`)

	// Rename, move to the end and deactivate.
	resp, _ = h.post(c, "/t/acme/settings/onboarding/"+kickoff, url.Values{"title": {"Kickoff meeting"}, "position": {"500"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var title string
	var pos int
	var active bool
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT title, position, active FROM onboarding_steps WHERE id = $1`, kickoff).Scan(&title, &pos, &active))
	require.Equal(t, "Kickoff meeting", title)
	require.Equal(t, 500, pos)
	require.False(t, active)
	// A new partner's checklist leaves it out.
	p := h.createPartner(f.ID, "New Co")
	h.post(c, "/t/acme/partners/"+p.ID.String()+"/onboarding/start", nil)
	_, titles, _ := h.onboardingItems(f.ID, p.ID)
	require.Len(t, titles, 6)
	require.NotContains(t, strings.Join(titles, "|"), "Kickoff")

	resp, body = h.post(c, "/t/acme/settings/onboarding", url.Values{"title": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter the step&#39;s title.")

	// Managers can't edit the template (settings need ManageSettings).
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	m := h.loggedIn("manager@acme.test")
	resp, _ = h.post(m, "/t/acme/settings/onboarding", url.Values{"title": {"Sneaky"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}
