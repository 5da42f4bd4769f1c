package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// dashboard is the firm's front page: where the program stands and what to
// do next.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	var st tenant.Stats
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		st, err = tenant.DashboardStats(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props := view.DashboardProps{
		Base:            "/t/" + sc.Tenant.Slug,
		Partners:        st.Partners,
		ActivePartners:  st.ActivePartners,
		Staff:           st.Staff,
		PortalUsers:     st.PortalUsers,
		OpenInvitations: st.OpenInvitations,
		LiveTokens:      st.LiveTokens,
		CanAdmin:        sc.Role.Can(auth.ManageTeam),
		CanPartners:     sc.Role.Can(auth.ManagePartners),
	}
	for _, k := range partner.Statuses {
		props.ByStatus = append(props.ByStatus, view.Count{Label: view.StatusLabel(k), Key: k, N: st.PartnersByStatus[k]})
	}
	s.render(w, r, http.StatusOK, view.DashboardPage(s.page(r, sc.Tenant.Name, "dashboard"), props))
}
