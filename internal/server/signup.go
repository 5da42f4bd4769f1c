package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// showSignup shows the new-firm form.
func (s *Server) showSignup(w http.ResponseWriter, r *http.Request) {
	f := view.SignupProps{SignedIn: userFrom(r.Context()) != nil, BaseURL: s.Config.BaseURL}
	s.render(w, r, http.StatusOK, view.SignupPage(s.page(r, "Create your firm's Allyway", ""), f))
}

// signup creates a firm and its owner in one transaction: either both exist
// afterwards or neither does. A signed-in person creates another firm.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	me := userFrom(ctx)
	f := view.SignupProps{
		SignedIn: me != nil,
		BaseURL:  s.Config.BaseURL,
		FirmName: strings.TrimSpace(r.PostForm.Get("firm_name")),
		Slug:     strings.ToLower(strings.TrimSpace(r.PostForm.Get("slug"))),
		Name:     strings.TrimSpace(r.PostForm.Get("name")),
		Email:    strings.TrimSpace(r.PostForm.Get("email")),
	}
	password := r.PostForm.Get("password")
	again := func(err error) {
		f.Form = formErrors(err)
		s.render(w, r, statusFor(apperr.Code(err)), view.SignupPage(s.page(r, "Create your firm's Allyway", ""), f))
	}
	fields := map[string]string{}
	if f.FirmName == "" {
		fields["firm_name"] = "Enter your firm's name."
	} else if len(f.FirmName) > 200 {
		fields["firm_name"] = "Keep the name under 200 characters."
	}
	slug := f.Slug
	if slug == "" {
		slug = tenant.SlugFrom(f.FirmName)
	}
	if f.FirmName != "" {
		if err := tenant.ValidateSlug(slug); err != nil {
			maps := apperr.FieldErrors(err)
			fields["slug"] = maps["slug"]
		}
	}
	var email string
	if me == nil {
		if f.Name == "" {
			fields["name"] = "Enter your name."
		}
		var err error
		if email, err = identity.NormalizeEmail(f.Email); err != nil {
			fields["email"] = apperr.FieldErrors(err)["email"]
		}
		if err := auth.ValidateNewPassword(password, f.Email, f.Name, f.FirmName); err != nil {
			var pe *auth.PasswordError
			if errors.As(err, &pe) {
				fields["password"] = pe.Message
			} else {
				fields["password"] = "Choose another password."
			}
		}
	}
	if len(fields) > 0 {
		again(apperr.Invalid(fields))
		return
	}
	var hash string
	if me == nil {
		var err error
		if hash, err = s.Hasher.Hash(ctx, password); err != nil {
			s.fail(w, r, apperr.Errorf(apperr.EUnavailable, "We're busy; try again in a moment."))
			return
		}
	}
	tenantID := uuid.New()
	var t tenant.Tenant
	var owner identity.User
	err := s.DB.In(ctx, db.Scope{TenantID: tenantID}, func(tx pgx.Tx) error {
		var err error
		if t, err = tenant.Create(ctx, tx, tenantID, slug, f.FirmName); err != nil {
			return err
		}
		if me != nil {
			owner = *me
		} else if owner, err = identity.CreateUser(ctx, tx, email, f.Name, hash); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, t.ID, owner.ID, auth.RoleOwner); err != nil {
			return err
		}
		ctx := audit.WithActor(ctx, withUser(audit.ActorFrom(ctx), owner.ID))
		if err := audit.Record(ctx, tx, t.ID, "tenant.created", "tenant", t.ID.String(), map[string]any{"slug": t.Slug, "name": t.Name}); err != nil {
			return err
		}
		return setup.Firm(ctx, tx, t.ID)
	})
	if err != nil {
		if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
			if f.Slug == "" && apperr.FieldErrors(err)["slug"] != "" {
				f.Slug = slug
			}
			again(err)
			return
		}
		s.fail(w, r, err)
		return
	}
	if me != nil {
		s.sessions.Put(ctx, "has_choices", true)
		s.flash(r, "success", "Your firm "+t.Name+" is ready.")
		redirect(w, r, "/t/"+t.Slug)
		return
	}
	s.flash(r, "success", "Welcome to Allyway. Your firm "+t.Name+" is ready.")
	to, err := s.startSession(w, r, owner, "/t/"+t.Slug)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, to)
}

func withUser(a audit.Actor, id uuid.UUID) audit.Actor {
	a.UserID = id
	return a
}
