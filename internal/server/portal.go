package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/web/view"
)

// portalHome is a partner user's front page in a firm's portal.
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request) {
	pc := portalFrom(r.Context())
	// The hot opportunity profile (portal_resource.go).
	var hot *view.HotSummary
	var refs view.PortalHomeReferrals // portal_referral.go
	var prompt *view.SurveyPrompt     // portal_survey.go: the yearly survey
	if err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if refs, err = s.portalHomeReferrals(r, tx, pc); err != nil {
			return err
		}
		if prompt, err = s.portalSurveyPrompt(r, tx, pc); err != nil {
			return err
		}
		hot, err = s.portalHot(r, tx, pc)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.PortalHomePage(s.page(r, "Welcome, "+pc.Member.PartnerName, "home"), view.PortalHomeProps{
		Base: "/p/" + pc.Tenant.Slug, FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName,
		CanManageTeam: pc.Member.Role.Can(auth.ManagePortalTeam),
		Hot:           hot,
		Referrals:     refs,
		Survey:        prompt,
	}))
}
