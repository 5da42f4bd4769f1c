package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/web/view"
)

// errBadLogin never says which of email or password was wrong.
var errBadLogin = &apperr.Error{Code: apperr.EUnauthorized, Message: "Email or password is incorrect."}

// showLogin shows the sign-in form; a signed-in person goes home.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) != nil {
		redirect(w, r, "/home")
		return
	}
	s.render(w, r, http.StatusOK, view.LoginPage(s.page(r, "Sign in", ""), view.LoginProps{Next: safeNext(r.URL.Query().Get("next"))}))
}

// login checks the email and password, within the rate limits, then starts
// the session or asks for the second factor.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	f := view.LoginProps{Email: strings.TrimSpace(r.PostForm.Get("email")), Next: safeNext(r.PostForm.Get("next"))}
	email := strings.ToLower(f.Email)
	password := r.PostForm.Get("password")
	again := func(status int, err error) {
		f.Form = formErrors(err)
		s.render(w, r, status, view.LoginPage(s.page(r, "Sign in", ""), f))
	}
	if email == "" || password == "" {
		fields := map[string]string{}
		if email == "" {
			fields["email"] = "Enter your email address."
		}
		if password == "" {
			fields["password"] = "Enter your password."
		}
		again(http.StatusUnprocessableEntity, apperr.Invalid(fields))
		return
	}
	ip := clientIP(r)
	device := ""
	if c, err := r.Cookie(s.deviceCookie()); err == nil {
		device = c.Value
	}
	var u identity.User
	err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		known, err := identity.IsKnownDevice(ctx, tx, device, email)
		if err != nil {
			return err
		}
		if err := identity.CheckLogin(ctx, tx, s.limits, email, ip, known); err != nil {
			return err
		}
		u, err = identity.UserByEmail(ctx, tx, email)
		return err
	})
	switch {
	case apperr.Code(err) == apperr.ETooMany:
		again(http.StatusTooManyRequests, err)
		return
	case apperr.Code(err) == apperr.ENotFound:
		_ = s.Hasher.DummyVerify(ctx)
		s.recordLogin(r, email, false)
		again(http.StatusUnauthorized, errBadLogin)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	ok := false
	if u.PasswordHash != "" {
		ok, err = s.Hasher.Verify(ctx, password, u.PasswordHash)
		if errors.Is(err, auth.ErrBusy) {
			again(http.StatusServiceUnavailable, apperr.Errorf(apperr.EUnavailable, "We're busy signing people in. Try again in a moment."))
			return
		}
		if err != nil {
			s.Logger.Warn("password verify", "user", u.ID, "err", err)
		}
	} else {
		_ = s.Hasher.DummyVerify(ctx)
	}
	if !ok || u.DisabledAt != nil {
		s.recordLogin(r, email, false)
		again(http.StatusUnauthorized, errBadLogin)
		return
	}
	s.recordLogin(r, email, true)
	if auth.NeedsRehash(u.PasswordHash) {
		if h, err := s.Hasher.Hash(ctx, password); err == nil {
			_ = s.DB.Global(ctx, func(tx pgx.Tx) error { return identity.SetPassword(ctx, tx, u.ID, h) })
		}
	}
	if u.HasTOTP() {
		// The password was right; the session is not signed in until the
		// second factor is. Renew the token anyway: the state changed.
		if err := s.sessions.RenewToken(ctx); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.sessions.Put(ctx, "pending_uid", u.ID.String())
		s.sessions.Put(ctx, "pending_next", f.Next)
		redirect(w, r, "/login/2fa")
		return
	}
	to, err := s.startSession(w, r, u, f.Next)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, to)
}

func (s *Server) recordLogin(r *http.Request, email string, ok bool) {
	ctx := r.Context()
	if err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		return identity.RecordLogin(ctx, tx, email, clientIP(r), ok)
	}); err != nil {
		s.Logger.Error("record login attempt", "err", err)
	}
}

// pendingUser is the person who passed the password step and owes a code.
func (s *Server) pendingUser(r *http.Request) (identity.User, bool) {
	ctx := r.Context()
	id, err := uuid.Parse(s.sessions.GetString(ctx, "pending_uid"))
	if err != nil {
		return identity.User{}, false
	}
	var u identity.User
	err = s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
		u, err = identity.UserByID(ctx, tx, id)
		return err
	})
	return u, err == nil && u.DisabledAt == nil && u.HasTOTP()
}

// showLogin2FA asks for the authenticator code.
func (s *Server) showLogin2FA(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.pendingUser(r); !ok {
		redirect(w, r, "/login")
		return
	}
	s.render(w, r, http.StatusOK, view.Login2FAPage(s.page(r, "Two-factor sign-in", ""), view.Form{}))
}

// login2FA checks a TOTP code (each code works once) or a recovery code.
// Wrong codes count as failed sign-ins for the rate limit.
func (s *Server) login2FA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, ok := s.pendingUser(r)
	if !ok {
		redirect(w, r, "/login")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	again := func(status int, err error) {
		s.render(w, r, status, view.Login2FAPage(s.page(r, "Two-factor sign-in", ""), formErrors(err)))
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		again(http.StatusUnprocessableEntity, apperr.Invalid(map[string]string{"code": "Enter the code from your app."}))
		return
	}
	valid := false
	err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		if err := identity.CheckLogin(ctx, tx, s.limits, u.Email, clientIP(r), true); err != nil {
			return err
		}
		if step, ok := auth.VerifyTOTP(u.TOTPSecret, code, u.TOTPLastStep, s.now()); ok {
			var err error
			valid, err = identity.AdvanceTOTPStep(ctx, tx, u.ID, step)
			return err
		}
		var err error
		valid, err = identity.UseRecoveryCode(ctx, tx, u.ID, auth.HashRecoveryCode(code))
		return err
	})
	if err != nil {
		if apperr.Code(err) == apperr.ETooMany {
			again(http.StatusTooManyRequests, err)
			return
		}
		s.fail(w, r, err)
		return
	}
	if !valid {
		s.recordLogin(r, u.Email, false)
		again(http.StatusUnauthorized, apperr.Invalid(map[string]string{"code": "That code is not valid (each code works once). Try the next one."}))
		return
	}
	to, err := s.startSession(w, r, u, s.sessions.GetString(ctx, "pending_next"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, to)
}

// logout ends every session of the person (ASVS: sign-out ends them all).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if u := userFrom(ctx); u != nil {
		if err := s.DB.Global(ctx, func(tx pgx.Tx) error {
			_, err := identity.EndSessions(ctx, tx, u.ID, "")
			return err
		}); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, "success", "You have signed out.")
	redirect(w, r, "/login")
}
