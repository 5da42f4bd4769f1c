package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

var paramRE = regexp.MustCompile(`\{[^}]+\}`)

// TestIsolationEveryRoute walks every route registered in the router and
// requests it as firm A's people (staff owner, partner admin) and firm A's
// API token, with firm B's slug and with firm B's ids in A's own URLs. Every
// such request must answer 404. New routes are covered without anyone
// remembering to add them; a route the walk can't classify fails the test.
func TestIsolationEveryRoute(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.createFirm("firm-a", "Firm A")
	b := h.createFirm("firm-b", "Firm B")
	pa := h.createPartner(a.ID, "A's partner")
	pb := h.createPartner(b.ID, "B's partner")
	h.portalUser(a.ID, pa.ID, "portal@firm-a.test", auth.RolePartnerAdmin)
	pbUser := h.portalUser(b.ID, pb.ID, "portal@firm-b.test", auth.RolePartnerAdmin)
	bStaff := h.staffUser(b, "viewer@firm-b.test", auth.RoleViewer)

	var aSecret string
	bIDs := []string{pb.ID.String(), pbUser.ID.String(), bStaff.ID.String(), b.Owner.ID.String()}
	require.NoError(t, h.db.InTenant(ctx, a.ID, func(tx pgx.Tx) (err error) {
		_, aSecret, err = tenant.CreateToken(ctx, tx, a.ID, "A's token", auth.RoleAdmin, a.Owner.ID)
		return err
	}))
	require.NoError(t, h.db.InTenant(ctx, b.ID, func(tx pgx.Tx) error {
		inv, _, err := tenant.CreateInvitation(ctx, tx, b.ID, tenant.NewInvitation{Email: "x@firm-b.test", Kind: "staff", Role: auth.RoleViewer, InvitedBy: b.Owner.ID})
		if err != nil {
			return err
		}
		pinv, _, err := tenant.CreateInvitation(ctx, tx, b.ID, tenant.NewInvitation{Email: "y@firm-b.test", Kind: "portal", Role: auth.RolePartnerMember, PartnerID: pb.ID, InvitedBy: b.Owner.ID})
		if err != nil {
			return err
		}
		tok, _, err := tenant.CreateToken(ctx, tx, b.ID, "B's token", auth.RoleAdmin, b.Owner.ID)
		if err != nil {
			return err
		}
		bIDs = append(bIDs, inv.ID.String(), pinv.ID.String(), tok.ID.String())
		return nil
	}))

	// Each area's other-firm rows (isolation_seeds_test.go): their ids are
	// tried in firm A's URLs too.
	for _, seed := range isolationSeeds {
		bIDs = append(bIDs, seed(t, h, b, pb.ID)...)
	}

	staff := h.loggedIn(a.Owner.Email)
	portal := h.loggedIn("portal@firm-a.test")
	anon := h.client()

	do := func(c *http.Client, method, path, bearer string) int {
		t.Helper()
		var body *strings.Reader
		ct := "application/x-www-form-urlencoded"
		if strings.HasPrefix(path, "/api/") {
			ct = "application/json"
			body = strings.NewReader(`{}`)
		} else {
			body = strings.NewReader(url.Values{"name": {"x"}, "email": {"x@x.test"}, "role": {"viewer"}}.Encode())
		}
		req, err := http.NewRequest(method, h.ts.URL+path, body)
		require.NoError(t, err)
		if method != http.MethodGet && method != http.MethodHead {
			req.Header.Set("Content-Type", ct)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		return resp.StatusCode
	}
	fill := func(route, slug, id string) string {
		return paramRE.ReplaceAllStringFunc(route, func(p string) string {
			if p == "{tenant}" {
				return slug
			}
			return id
		})
	}

	mux, ok := h.srv.handler.(chi.Routes)
	require.True(t, ok)
	checked := 0
	err := chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.Replace(route, "/*/", "/", -1)
		hasParams := paramRE.MatchString(strings.Replace(route, "{tenant}", "", 1))
		switch {
		case strings.HasPrefix(route, "/t/{tenant}"):
			require.Equal(t, http.StatusNotFound, do(staff, method, fill(route, b.Slug, bIDs[0]), ""), "%s %s as firm A's staff with firm B's slug", method, route)
			if hasParams {
				for _, id := range bIDs {
					require.Equal(t, http.StatusNotFound, do(staff, method, fill(route, a.Slug, id), ""), "%s %s as firm A's staff with firm B's id %s", method, route, id)
				}
			}
		case strings.HasPrefix(route, "/p/{tenant}"):
			require.Equal(t, http.StatusNotFound, do(portal, method, fill(route, b.Slug, bIDs[0]), ""), "%s %s as firm A's portal user with firm B's slug", method, route)
			if hasParams {
				for _, id := range bIDs {
					require.Equal(t, http.StatusNotFound, do(portal, method, fill(route, a.Slug, id), ""), "%s %s as firm A's portal user with firm B's id %s", method, route, id)
				}
			}
		case strings.HasPrefix(route, "/api/"):
			if !hasParams {
				return nil // lists are scoped by the token; TestAPIListsAreScoped covers them
			}
			for _, id := range bIDs {
				require.Equal(t, http.StatusNotFound, do(anon, method, fill(route, a.Slug, id), aSecret), "%s %s with firm A's token and firm B's id %s", method, route, id)
			}
		case strings.Contains(route, "{tenant}"):
			// Public pages of a firm (invitations): another firm's slug with
			// a made-up token is simply not found.
			require.Equal(t, http.StatusNotFound, do(anon, method, fill(route, b.Slug, uuid.NewString()), ""), "%s %s anonymous with a made-up token", method, route)
		case hasParams && !strings.HasPrefix(route, "/dev/"):
			t.Errorf("%s %s has ids but no firm in its path: classify it in TestIsolationEveryRoute", method, route)
			return nil
		default:
			return nil
		}
		checked++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 5, "the walk checked suspiciously few routes")
	t.Logf("checked %d tenant-scoped routes", checked)
}
