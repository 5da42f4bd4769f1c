package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

var scorecardNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

type scorecardPageJSON struct {
	Data       []apiScorecard `json:"data"`
	NextCursor *string        `json:"next_cursor"`
}

// TestAPIScorecards: GET /scorecards for one partner and for the firm,
// paged; the worked example's reciprocity; figures current with the last
// change (the rollups are refreshed first); bad and future quarters;
// another firm's partner — against the OpenAPI document.
func TestAPIScorecards(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return scorecardNow } })
	api := newAPITester(t, h)
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Tax").ID
	quiet := h.createPartner(f.ID, "Harbor Legal").ID
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := h.owner.Exec(context.Background(), sql, args...)
		require.NoError(t, err, sql)
	}
	exec(`UPDATE partners SET status = 'active' WHERE tenant_id = $1`, f.ID)
	referrals := func(partnerID uuid.UUID, direction, status string, n int) {
		t.Helper()
		for i := range n {
			submitted := time.Date(2026, 10, 1+i, 12, 0, 0, 0, time.UTC)
			var closed *time.Time
			if status == "won" || status == "lost" {
				c := submitted.AddDate(0, 0, 10)
				closed = &c
			}
			exec(`WITH p AS (INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id)
				INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, submitted_at,
					status, closed_at, close_reason)
				SELECT $1, $3, $2, p.id, 'Acme', 'acme', $4, $5, $6, CASE WHEN $5 = 'lost' THEN 'budget' END FROM p`,
				f.ID, partnerID, direction, submitted, status, closed)
		}
	}
	// 12 sent and 2 received this quarter (Q4 2026), one of them won.
	referrals(p, "outbound", "submitted", 12)
	referrals(p, "inbound", "won", 1)
	referrals(p, "inbound", "submitted", 1)
	_, viewer := h.createToken(f.ID, "bi", auth.RoleViewer)

	var page scorecardPageJSON
	api.get(t, viewer, "/scorecards?partner_id="+p.String()).decode(t, &page)
	require.Len(t, page.Data, 1)
	require.Nil(t, page.NextCursor)
	sc := page.Data[0]
	require.Equal(t, p, sc.PartnerID)
	require.Equal(t, "Brightline Tax", sc.PartnerName)
	require.Equal(t, "2026-Q4", sc.Quarter, "the firm's current quarter by default")
	require.Equal(t, "USD", sc.Currency)
	require.EqualValues(t, 2, sc.ReferralsReceived)
	require.EqualValues(t, 12, sc.ReferralsSent)
	require.EqualValues(t, 1, sc.Won)
	require.EqualValues(t, 0, sc.Lost)
	require.EqualValues(t, 10000, *sc.ConversionRateBP)
	require.Nil(t, sc.MedianFirstResponseHours)
	require.InDelta(t, 0.17, *sc.ReciprocityRatio, 1e-9, "2 received for 12 sent")
	require.Equal(t, "We've referred 12 opportunities to you this year and received 2.", sc.Reciprocity.Sentence)
	require.EqualValues(t, 60, *sc.Reciprocity.RatioX10)
	require.Len(t, sc.Trend, 8)
	require.Equal(t, "2026-Q4", sc.Trend[7].Quarter)
	require.Equal(t, "2025-Q1", sc.Trend[0].Quarter)
	require.Len(t, sc.Health.Components, 6)
	require.Equal(t, sc.HealthScore, sc.Health.Score)
	require.NotEmpty(t, sc.Health.Formula)
	require.NotEmpty(t, sc.Recommendation.Reasons)

	// A change shows at once: the rollups are refreshed before reading.
	referrals(p, "inbound", "lost", 1)
	api.get(t, viewer, "/scorecards?quarter=2026-q4&partner_id="+p.String()).decode(t, &page)
	require.EqualValues(t, 3, page.Data[0].ReferralsReceived)
	require.EqualValues(t, 1, page.Data[0].Lost)
	require.EqualValues(t, 5000, *page.Data[0].ConversionRateBP)

	// An earlier quarter: nothing then, zero-filled.
	api.get(t, viewer, "/scorecards?quarter=2026-Q3&partner_id="+p.String()).decode(t, &page)
	require.Equal(t, "2026-Q3", page.Data[0].Quarter)
	require.Zero(t, page.Data[0].ReferralsSent)
	require.Nil(t, page.Data[0].ReciprocityRatio)
	require.Equal(t, "No referrals either way in the last 12 months.", page.Data[0].Reciprocity.Sentence)

	// Every partner, paged one at a time in the order they were added.
	api.get(t, viewer, "/scorecards?quarter=2026-Q4&limit=1").decode(t, &page)
	require.Len(t, page.Data, 1)
	require.Equal(t, p, page.Data[0].PartnerID)
	require.NotNil(t, page.NextCursor)
	api.get(t, viewer, "/scorecards?quarter=2026-Q4&limit=1&cursor="+*page.NextCursor).decode(t, &page)
	require.Len(t, page.Data, 1)
	require.Equal(t, quiet, page.Data[0].PartnerID)
	require.Nil(t, page.NextCursor)
	require.Zero(t, page.Data[0].ReferralsReceived)

	// Bad parameters: 422 naming each; a quarter that hasn't started too.
	fe := api.do(t, apiReq{Method: http.MethodGet, Path: "/scorecards?quarter=2026Q3&partner_id=x", Token: viewer,
		Invalid: true}).fieldErrors(t)
	require.Contains(t, fe["quarter"], "write it like 2026-Q3")
	require.NotEmpty(t, fe["partner_id"])
	fe = api.get(t, viewer, "/scorecards?quarter=2027-Q1").fieldErrors(t)
	require.Equal(t, "Q1 2027 hasn't started yet: choose Q4 2026 or an earlier quarter.", fe["quarter"])
	fe = api.get(t, viewer, "/scorecards?quarter=2027-Q1&partner_id="+p.String()).fieldErrors(t)
	require.NotEmpty(t, fe["quarter"])

	// Another firm: its token doesn't see our partner, ours doesn't see its.
	other := h.createFirm("elsewhere", "Elsewhere LLP")
	theirs := h.createPartner(other.ID, "Theirs").ID
	_, outside := h.createToken(other.ID, "bi", auth.RoleAdmin)
	api.get(t, outside, "/scorecards?partner_id="+p.String()).problem(t, http.StatusNotFound)
	api.get(t, viewer, "/scorecards?partner_id="+theirs.String()).problem(t, http.StatusNotFound)
	api.get(t, viewer, "/scorecards?partner_id="+uuid.NewString()).problem(t, http.StatusNotFound)
	api.get(t, outside, "/scorecards").decode(t, &page)
	require.Len(t, page.Data, 1)
	require.Equal(t, theirs, page.Data[0].PartnerID)

	api.do(t, apiReq{Method: http.MethodGet, Path: "/scorecards"}).problem(t, http.StatusUnauthorized)
}
