package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// TestPortalResourcesTierVisibility: a partner sees the published items for
// every tier and for its own tier; another tier's item, its attachments and
// unpublished items are not found. Its onboarding progress is shown.
func TestPortalResourcesTierVisibility(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme Advisors")
	c := h.loggedIn(f.Owner.Email)
	tiers := h.tierIDs(f.ID)
	p := h.createPartner(f.ID, "Brightline")
	h.setPartnerTier(f.ID, p.ID, tiers[2])
	h.setPartnerState(f.ID, p.ID, "onboarding", h.srv.now(), true)
	h.portalUser(f.ID, p.ID, "pat@brightline.test", auth.RolePartnerMember)

	everyone := h.createItem(c, "acme", url.Values{"kind": {"one_pager"}, "title": {"Who we help"}, "published": {"on"}})
	mine := h.createItem(c, "acme", url.Values{"kind": {"email_template"}, "title": {"Intro email"}, "published": {"on"},
		"tier_ids": {tiers[2].String()}, "body_md": {"Dear {{client_name}}, {{partner_name}} suggests {{our_firm}}."}})
	theirs := h.createItem(c, "acme", url.Values{"kind": {"case_study"}, "title": {"Strategic case study"}, "published": {"on"},
		"tier_ids": {tiers[1].String()}})
	draft := h.createItem(c, "acme", url.Values{"kind": {"faq"}, "title": {"Draft FAQ"}})
	resp, _ := h.upload(c, "/t/acme/library/"+theirs+"/attachments", "case.txt", []byte("secret numbers"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.upload(c, "/t/acme/library/"+everyone+"/attachments", "one-pager.txt", []byte("who we help"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var theirFile, myFile string
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM enablement_files WHERE filename = 'case.txt'`).Scan(&theirFile))
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT id FROM enablement_files WHERE filename = 'one-pager.txt'`).Scan(&myFile))
	// Onboarding in progress: one step done.
	h.get(c, "/t/acme/partners/"+p.ID.String()+"/onboarding")
	ids, _, _ := h.onboardingItems(f.ID, p.ID)
	h.post(c, "/t/acme/partners/"+p.ID.String()+"/onboarding/steps/"+ids[0], url.Values{"action": {"done"}})

	pc := h.loggedIn("pat@brightline.test")
	resp, body := h.get(pc, "/p/acme/resources")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Who we help")
	require.Contains(t, body, "Intro email")
	require.NotContains(t, body, "Strategic case study")
	require.NotContains(t, body, "Draft FAQ")
	require.Contains(t, body, "1 of 7 done")
	require.Contains(t, body, "Kickoff call")

	for _, id := range []string{theirs, draft} {
		resp, _ = h.get(pc, "/p/acme/resources/"+id)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	}
	resp, body = h.get(pc, "/p/acme/resources/"+theirs+"/attachments/"+theirFile)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotContains(t, body, "secret numbers")
	// Another item's file through a visible item: not found either.
	resp, _ = h.get(pc, "/p/acme/resources/"+everyone+"/attachments/"+theirFile)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, body = h.get(pc, "/p/acme/resources/"+everyone+"/attachments/"+myFile)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "who we help", body)
	require.Equal(t, "attachment; filename=one-pager.txt", resp.Header.Get("Content-Disposition"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	// The template is filled with the names the portal knows.
	resp, body = h.get(pc, "/p/acme/resources/"+mine)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Dear {{client_name}}, Brightline suggests Acme Advisors.")

	// Moving the partner to the other tier swaps what it sees.
	h.setPartnerTier(f.ID, p.ID, tiers[1])
	resp, _ = h.get(pc, "/p/acme/resources/"+mine)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(pc, "/p/acme/resources/"+theirs)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The portal can't reach the staff library.
	resp, _ = h.get(pc, "/t/acme/library")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
