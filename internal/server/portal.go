package server

import (
	"net/http"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/web/view"
)

// portalHome is a partner user's front page in a firm's portal.
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request) {
	pc := portalFrom(r.Context())
	s.render(w, r, http.StatusOK, view.PortalHomePage(s.page(r, "Welcome, "+pc.Member.PartnerName, "home"), view.PortalHomeProps{
		Base: "/p/" + pc.Tenant.Slug, FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName,
		CanManageTeam: pc.Member.Role.Can(auth.ManagePortalTeam),
	}))
}
