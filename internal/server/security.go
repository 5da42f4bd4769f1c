package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// securityRoutes are the firm's security settings (inside /settings, which
// requires auth.ManageSettings).
func (s *Server) securityRoutes(r chi.Router) {
	r.Get("/security", s.showSecurity)
	r.Post("/security", s.updateSecurity)
}

// showSecurity shows the firm's two-factor rule and the owners and admins
// who don't use two-factor sign-in yet.
func (s *Server) showSecurity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := userFrom(ctx)
	var staff []tenant.Member
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	f := view.SecurityProps{Base: "/t/" + sc.Tenant.Slug, RequireAdmin2FA: sc.Tenant.RequireAdmin2FA,
		MeWithout2FA: !me.HasTOTP()}
	for _, m := range staff {
		if m.Has2FA || m.Disabled || !m.Role.Can(auth.ManageSettings) {
			continue
		}
		f.Missing = append(f.Missing, view.SecurityMember{Name: m.Name, Email: m.Email, Role: string(m.Role), You: m.UserID == me.ID})
	}
	s.render(w, r, http.StatusOK, view.SecurityPage(s.page(r, "Security", "security"), f))
}

// updateSecurity turns the firm's two-factor rule on or off and records it.
// An owner or admin without two-factor who turns it on is sent to set it up
// by the next page they open (staffArea).
func (s *Server) updateSecurity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	on := r.PostForm.Get("require_admin_2fa") != ""
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := tenant.SetRequireAdmin2FA(ctx, tx, sc.Tenant.ID, on); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "tenant.security_updated", "tenant", sc.Tenant.ID.String(),
			map[string]any{"require_admin_2fa": on, "was": sc.Tenant.RequireAdmin2FA})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	msg := "Two-factor sign-in is no longer required."
	if on {
		msg = "Owners and admins now need two-factor sign-in."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/settings/security")
}
