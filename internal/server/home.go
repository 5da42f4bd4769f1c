package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// root sends visitors to sign in and signed-in people home.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) == nil {
		redirect(w, r, "/login")
		return
	}
	redirect(w, r, "/home")
}

// home lists the firms and portals the person belongs to.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	var places []tenant.Workplace
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) (err error) {
		places, err = tenant.Workplaces(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(ctx, "has_choices", len(places) > 1)
	out := make([]view.Workplace, 0, len(places))
	for _, p := range places {
		kind := "Staff"
		if p.Kind == "portal" {
			kind = "Partner portal"
		}
		out = append(out, view.Workplace{URL: p.URL(), Name: p.TenantName, Kind: kind, Role: string(p.Role)})
	}
	s.render(w, r, http.StatusOK, view.HomePage(s.page(r, "Your firms", ""), out))
}
