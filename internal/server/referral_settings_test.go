package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/referral"
)

func refSettingsValues() url.Values {
	return url.Values{"time_zone": {"America/New_York"}, "sla_clock": {"calendar"}, "first_response_hours": {"8"},
		"first_contact_hours": {"48"}, "meeting_days": {"10"}, "partner_response_hours": {"72"}, "reminder_hours": {"2"},
		"attribution_rule": {"staff_decides"}, "claim_window_days": {"120"}}
}

func (h *harness) referralSettings(tenantID uuid.UUID) referral.Settings {
	h.t.Helper()
	var st referral.Settings
	require.NoError(h.t, h.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		st, err = referral.GetSettings(context.Background(), tx, tenantID)
		return err
	}))
	return st
}

// referralQuestions returns the firm's questions: the asked ones in order,
// then the others.
func (h *harness) referralQuestions(tenantID uuid.UUID) (active, inactive []referral.Question) {
	h.t.Helper()
	var qs []referral.Question
	require.NoError(h.t, h.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		qs, err = referral.Questions(context.Background(), tx, tenantID, false)
		return err
	}))
	return splitRefQuestions(qs)
}

func questionTexts(qs []referral.Question) []string {
	out := []string{}
	for _, q := range qs {
		out = append(out, q.Question)
	}
	return out
}

func TestReferralSettingsSLAAndAttribution(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	h.staffUser(f, "manager@acme.test", auth.RoleManager)
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/acme/settings/referrals")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	for _, s := range []string{"Response times (SLA)", `name="first_response_hours"`, `value="24"`, "Friday at 18:00",
		"Monday at 18:00", "The first formal introduction", `value="90"`, "America/New York", "Qualification checklist"} {
		assert.Contains(t, body, s)
	}

	// A good form is saved and audited.
	v := refSettingsValues()
	resp, body = h.post(c, "/t/acme/settings/referrals", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	st := h.referralSettings(f.ID)
	assert.Equal(t, referral.Settings{TimeZone: "America/New_York", SLAClock: "calendar", FirstResponseHours: 8,
		FirstContactHours: 48, MeetingDays: 10, PartnerResponseHours: 72, ReminderHours: 2,
		AttributionRule: "staff_decides", ClaimWindowDays: 120, ShareWonScope: false}, st)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral_settings.updated'
		AND detail->'first_response_hours'->>'to' = '8'`, f.ID))
	_, body = h.get(c, "/t/acme/settings/referrals")
	assert.Contains(t, body, "Referral settings saved.")
	assert.Contains(t, body, `value="120"`)

	// Saving the same again records nothing new.
	resp, _ = h.post(c, "/t/acme/settings/referrals", v)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 1, h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'referral_settings.updated'`, f.ID))

	// Bad input: 422, the input kept, a message per field, nothing saved.
	bad := refSettingsValues()
	bad.Set("first_response_hours", "soon")
	bad.Set("meeting_days", "91")
	bad.Set("reminder_hours", "-1")
	bad.Set("sla_clock", "lunar")
	bad.Set("time_zone", "Mars/Olympus_Mons")
	bad.Set("share_won_scope", "on")
	resp, body = h.post(c, "/t/acme/settings/referrals", bad)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
	assert.Contains(t, body, `value="soon"`)
	assert.Contains(t, body, `value="91"`)
	assert.Contains(t, body, "Use a whole number from 1 to 720.")
	assert.Contains(t, body, "Use a whole number from 1 to 90.")
	assert.Contains(t, body, "Use a whole number from 0 to 168.")
	assert.Contains(t, body, "Choose business hours or calendar hours.")
	assert.Contains(t, body, "Mars/Olympus_Mons", "an unknown zone is kept as typed")
	assert.Contains(t, body, "Unknown time zone")
	assert.Equal(t, 4, strings.Count(body, `aria-invalid="true"`), "the three number fields and the zone are marked")
	assert.Equal(t, st, h.referralSettings(f.ID))

	// Only those who manage settings.
	m := h.loggedIn("manager@acme.test")
	resp, _ = h.get(m, "/t/acme/settings/referrals")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.post(m, "/t/acme/settings/referrals", v)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestReferralSettingsChecklist(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	other := h.createFirm("other", "Other")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/acme/settings/referrals"
	audited := func(action string) int {
		return h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2`, f.ID, action)
	}

	// A firm without questions can start from the suggestions, once.
	active, _ := h.referralQuestions(f.ID)
	if len(active) == 0 {
		_, body := h.get(c, base)
		assert.Contains(t, body, "Add the suggested questions")
		resp, _ := h.post(c, base+"/questions/defaults", nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		active, _ = h.referralQuestions(f.ID)
		require.NotEmpty(t, active, "the suggested questions were added")
		assert.Equal(t, 1, audited("referral_questions.defaults_added"))
	}
	n := len(active)
	resp, _ := h.post(c, base+"/questions/defaults", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	again, _ := h.referralQuestions(f.ID)
	assert.Len(t, again, n, "suggestions are never added to an existing checklist")

	// Add a question: last in the checklist.
	resp, body := h.post(c, base+"/questions", url.Values{"question": {"Has the client agreed to be introduced?"},
		"help": {"Ask them before you refer."}, "required": {"on"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	active, _ = h.referralQuestions(f.ID)
	require.Len(t, active, n+1)
	added := active[n]
	assert.Equal(t, "Has the client agreed to be introduced?", added.Question)
	assert.Equal(t, "Ask them before you refer.", added.Help)
	assert.True(t, added.Required)
	assert.Equal(t, 1, audited("referral_question.created"))

	// An empty or overlong question is refused with the input kept.
	resp, body = h.post(c, base+"/questions", url.Values{"question": {"  "}, "help": {"Kept help"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Write the question.")
	assert.Contains(t, body, `value="Kept help"`)
	resp, _ = h.post(c, base+"/questions", url.Values{"question": {strings.Repeat("x", 301)}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	active, _ = h.referralQuestions(f.ID)
	assert.Len(t, active, n+1)

	// Edit it: optional now.
	id := added.ID.String()
	resp, body = h.post(c, base+"/questions/"+id, url.Values{"question": {"Has the client agreed to an introduction?"}, "help": {""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	active, _ = h.referralQuestions(f.ID)
	assert.Equal(t, "Has the client agreed to an introduction?", active[n].Question)
	assert.False(t, active[n].Required)
	assert.Empty(t, active[n].Help)
	resp, body = h.post(c, base+"/questions/"+id, url.Values{"question": {""}, "help": {"typed help"}, "required": {"on"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, `value="typed help"`, "the edit is re-shown as typed")
	assert.Equal(t, 1, audited("referral_question.updated"))

	// Reorder: up to first place, one step at a time.
	for i := n; i > 0; i-- {
		resp, _ = h.post(c, base+"/questions/"+id+"/up", nil)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	active, _ = h.referralQuestions(f.ID)
	assert.Equal(t, added.ID, active[0].ID)
	for i, q := range active {
		assert.Equal(t, i+1, q.Position, "positions are 1, 2, 3…")
	}
	resp, _ = h.post(c, base+"/questions/"+id+"/up", nil) // already first: nothing changes
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(c, base+"/questions/"+id+"/down", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	active, _ = h.referralQuestions(f.ID)
	if n > 0 {
		assert.Equal(t, added.ID, active[1].ID)
	}
	assert.Equal(t, n+1, audited("referral_question.moved"))

	// Stop asking it: kept, not asked; ask it again: last.
	resp, _ = h.post(c, base+"/questions/"+id+"/deactivate", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	active, inactive := h.referralQuestions(f.ID)
	assert.Len(t, active, n)
	assert.Equal(t, []string{"Has the client agreed to an introduction?"}, questionTexts(inactive))
	_, body = h.get(c, base)
	assert.Contains(t, body, "Not asked")
	resp, _ = h.post(c, base+"/questions/"+id+"/activate", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	active, _ = h.referralQuestions(f.ID)
	assert.Equal(t, added.ID, active[len(active)-1].ID)

	// Delete it.
	resp, _ = h.post(c, base+"/questions/"+id+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	active, inactive = h.referralQuestions(f.ID)
	assert.Len(t, active, n)
	assert.Empty(t, inactive)
	assert.Equal(t, 1, audited("referral_question.deleted"))
	resp, _ = h.post(c, base+"/questions/"+id+"/up", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a deleted question is gone")

	// Another firm's question is not found, whatever is sent.
	var theirs referral.Question
	require.NoError(t, h.db.InTenant(context.Background(), other.ID, func(tx pgx.Tx) (err error) {
		theirs, err = referral.SaveQuestion(context.Background(), tx, other.ID, referral.Question{Question: "Theirs?", Required: true, Position: 1, Active: true})
		return err
	}))
	for _, suffix := range []string{"", "/up", "/down", "/deactivate", "/activate", "/delete"} {
		resp, _ = h.post(c, base+"/questions/"+theirs.ID.String()+suffix, url.Values{"question": {"Mine now?"}})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, suffix)
	}
	theirActive, _ := h.referralQuestions(other.ID)
	assert.Equal(t, []string{"Theirs?"}, questionTexts(theirActive))
}
