package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// tokenRoutes are the firm's API tokens under /t/{tenant}/settings (which
// already needs ManageSettings); managing tokens needs ManageTokens too.
func (s *Server) tokenRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManageTokens))
		r.Get("/tokens", s.tokenList)
		r.Post("/tokens", s.tokenCreate)
		r.Post("/tokens/{id}/revoke", s.tokenRevoke)
	})
}

// newTokenKey is the session key holding a just-created token's secret
// for the one page that shows it.
const newTokenKey = "new_token"

// tokenList shows the firm's API tokens and, once, a just-created secret.
func (s *Server) tokenList(w http.ResponseWriter, r *http.Request) {
	props := view.TokenListProps{Role: string(auth.RoleViewer)}
	props.NewSecret = s.sessions.PopString(r.Context(), newTokenKey)
	s.renderTokens(w, r, http.StatusOK, props)
}

// renderTokens draws the tokens page with the list read afresh.
func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, props view.TokenListProps) {
	var ts []tenant.APIToken
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		ts, err = tenant.ListTokens(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props.Base = "/t/" + sc.Tenant.Slug + "/settings"
	props.APIURL = strings.TrimSuffix(s.Config.BaseURL, "/") + "/api/v1"
	for _, role := range auth.TokenRoles() {
		props.Roles = append(props.Roles, view.Option{Value: string(role), Label: tokenRoleLabel(role)})
	}
	for _, t := range ts {
		row := view.TokenRow{ID: t.ID.String(), Name: t.Name, Role: string(t.Role), CreatedBy: t.CreatedBy,
			Created: t.CreatedAt.Format("2 Jan 2006")}
		if t.LastUsedAt != nil {
			row.LastUsed = ago(s.now(), *t.LastUsedAt)
		}
		if t.RevokedAt != nil {
			row.Revoked = t.RevokedAt.Format("2 Jan 2006")
		}
		props.Tokens = append(props.Tokens, row)
	}
	s.render(w, r, status, view.TokenListPage(s.page(r, "API tokens", "tokens"), props))
}

func tokenRoleLabel(r auth.Role) string {
	switch r {
	case auth.RoleAdmin:
		return "Admin — everything, settings included"
	case auth.RoleManager:
		return "Partner manager — partners and referrals"
	case auth.RoleFinance:
		return "Finance — revenue, commissions and payouts"
	case auth.RoleViewer:
		return "Viewer — read only"
	}
	return view.RoleLabel(string(r))
}

// ago says roughly how long ago t was, for "last used".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 2*time.Minute:
		return "Just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " minutes ago"
	case d < 2*time.Hour:
		return "An hour ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours ago"
	default:
		return t.Format("2 Jan 2006")
	}
}

// tokenCreate makes a token and shows its secret once, on the next page.
func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	name, roleIn := r.PostForm.Get("name"), r.PostForm.Get("role")
	var t tenant.APIToken
	var secret string
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		role, err := auth.ParseTokenRole(roleIn)
		if err != nil {
			fields := map[string]string{"role": "Choose one of the roles."}
			if strings.TrimSpace(name) == "" {
				fields["name"] = "Name the token after what uses it (up to 100 characters)."
			}
			return apperr.Invalid(fields)
		}
		if t, secret, err = tenant.CreateToken(ctx, tx, sc.Tenant.ID, name, role, userFrom(ctx).ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "api_token.created", "api_token", t.ID.String(),
			map[string]any{"name": t.Name, "role": t.Role})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderTokens(w, r, http.StatusUnprocessableEntity, view.TokenListProps{Form: formErrors(err), Name: name, Role: roleIn})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.sessions.Put(ctx, newTokenKey, secret)
	s.flash(r, "success", "The token “"+t.Name+"” was created.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/settings/tokens")
}

// tokenRevoke stops a token from working. Another firm's id is not found;
// revoking a token twice is harmless.
func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var t tenant.APIToken
	already := false
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		var err error
		t, err = tenant.RevokeToken(ctx, tx, sc.Tenant.ID, id)
		if apperr.Code(err) == apperr.ENotFound {
			// Already revoked, or not the firm's at all?
			ts, lerr := tenant.ListTokens(ctx, tx, sc.Tenant.ID)
			if lerr != nil {
				return lerr
			}
			for _, x := range ts {
				if x.ID == id {
					t, already = x, true
					return nil
				}
			}
			return err
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "api_token.revoked", "api_token", t.ID.String(),
			map[string]any{"name": t.Name, "role": t.Role})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if already {
		s.flash(r, "info", "The token “"+t.Name+"” was already revoked.")
	} else {
		s.flash(r, "success", "The token “"+t.Name+"” was revoked; software using it is now refused.")
	}
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/settings/tokens")
}
