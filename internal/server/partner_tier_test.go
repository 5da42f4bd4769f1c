package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/partner"
)

// TestPartnerOverviewSetsTier: a partner manager puts a partner in a tier
// from its overview and comes back to it.
func TestPartnerOverviewSetsTier(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("acme", "Acme")
	p := h.createPartner(f.ID, "Northstar Legal")
	ctx := context.Background()
	var tiers []partner.Tier
	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
		tiers, err = partner.ListTiers(ctx, tx, f.ID)
		return err
	}))
	require.Len(t, tiers, 3, "a new firm has the three default tiers")
	c := h.loggedIn(f.Owner.Email)
	page := "/t/acme/partners/" + p.ID.String()
	_, body := h.get(c, page)
	require.Contains(t, body, `name="tier_id"`)
	resp, _ := h.post(c, "/t/acme/recruiting/tier?"+url.Values{"partner_id": {p.ID.String()}, "next": {page}}.Encode(),
		url.Values{"tier_id": {tiers[1].ID.String()}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, page, resp.Header.Get("Location"))
	_, body = h.get(c, page)
	require.Contains(t, body, "· "+tiers[1].Name)
}
