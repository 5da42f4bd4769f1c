package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/web/view"
)

// resetSentMessage is the one answer to a reset request: it never tells
// whether the address has an account, or whether a limit stopped the email.
const resetSentMessage = "If an account exists for that address, we've sent a link to reset its password. It works for an hour."

// passwordRoutes: asking for a reset link, and using it.
func (s *Server) passwordRoutes(r chi.Router) {
	r.Get("/password/forgot", s.showForgotPassword)
	r.Post("/password/forgot", s.requestPasswordReset)
	r.Get("/password/forgot/sent", s.showResetSent)
	r.Get("/password/reset", s.showResetPassword)
	r.Post("/password/reset", s.resetPassword)
}

// showForgotPassword asks for the address to send a reset link to.
func (s *Server) showForgotPassword(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, view.ForgotPasswordPage(s.page(r, "Reset your password", ""), view.ForgotPasswordProps{}))
}

// requestPasswordReset emails a reset link to an active account with that
// address, within the limits (identity.DefaultResetLimits). Whatever
// happens, the person sees the same answer.
func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	f := view.ForgotPasswordProps{Email: strings.TrimSpace(r.PostForm.Get("email"))}
	email, err := identity.NormalizeEmail(f.Email)
	if err != nil {
		f.Form = formErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, view.ForgotPasswordPage(s.page(r, "Reset your password", ""), f))
		return
	}
	err = s.DB.Global(ctx, func(tx pgx.Tx) error {
		ipOK, err := identity.RecordResetRequest(ctx, tx, identity.DefaultResetLimits, email, clientIP(r))
		if err != nil || !ipOK {
			return err
		}
		u, err := identity.UserByEmail(ctx, tx, email)
		if apperr.Code(err) == apperr.ENotFound || (err == nil && u.DisabledAt != nil) {
			return nil
		}
		if err != nil {
			return err
		}
		ok, err := identity.CanSendReset(ctx, tx, identity.DefaultResetLimits, u.ID)
		if err != nil || !ok {
			return err
		}
		token, err := identity.CreateReset(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, resetEmail(u, s.Config.BaseURL+"/password/reset?token="+url.QueryEscape(token)))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/password/forgot/sent")
}

func resetEmail(u identity.User, link string) notify.Email {
	return notify.Email{
		To:      u.Email,
		Subject: "Reset your Allyway password",
		Text: "Hello " + u.Name + ",\n\n" +
			"Someone (we hope you) asked to reset the password of your Allyway account. " +
			"To choose a new password, open this link:\n\n" + link + "\n\n" +
			"The link works for an hour, and only once. Setting a new password signs you out everywhere.\n\n" +
			"If you didn't ask for this, ignore this email: your password stays as it is.\n",
	}
}

// showResetSent is the answer page after a reset request.
func (s *Server) showResetSent(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, view.ForgotPasswordSentPage(s.page(r, "Check your email", ""), resetSentMessage))
}

// showResetPassword shows the new-password form for a valid reset link; an
// unknown, used or expired one is not found.
func (s *Server) showResetPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// The token is in the URL: don't pass it on in a Referer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.URL.Query().Get("token")
	var u identity.User
	err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		id, err := identity.PeekReset(ctx, tx, token)
		if err != nil {
			return err
		}
		u, err = identity.UserByID(ctx, tx, id)
		return err
	})
	if err == nil && u.DisabledAt != nil {
		err = identity.ErrResetInvalid
	}
	if errors.Is(err, identity.ErrResetInvalid) || apperr.Code(err) == apperr.ENotFound {
		s.renderError(w, r, http.StatusNotFound, identity.ErrResetInvalid.Message)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.ResetPasswordPage(s.page(r, "Choose a new password", ""),
		view.ResetPasswordProps{Token: token, Email: u.Email}))
}

// resetPassword uses a reset token once: it sets the new password and ends
// every session of the person, then sends them to sign in.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	token := r.PostForm.Get("token")
	password := r.PostForm.Get("password")
	invalid := func() { s.renderError(w, r, http.StatusNotFound, identity.ErrResetInvalid.Message) }

	// Check the token and the password before the (slow) hash; the token is
	// consumed only in the transaction that stores the new hash.
	var u identity.User
	err := s.DB.Global(ctx, func(tx pgx.Tx) error {
		id, err := identity.PeekReset(ctx, tx, token)
		if err != nil {
			return err
		}
		u, err = identity.UserByID(ctx, tx, id)
		return err
	})
	if err == nil && u.DisabledAt != nil {
		err = identity.ErrResetInvalid
	}
	if errors.Is(err, identity.ErrResetInvalid) || apperr.Code(err) == apperr.ENotFound {
		invalid()
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if msg := newPasswordProblem(password, u.Email, u.Name); msg != "" {
		s.render(w, r, http.StatusUnprocessableEntity, view.ResetPasswordPage(s.page(r, "Choose a new password", ""),
			view.ResetPasswordProps{Form: formErrors(apperr.Invalid(map[string]string{"password": msg})), Token: token, Email: u.Email}))
		return
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		s.fail(w, r, apperr.Errorf(apperr.EUnavailable, "We're busy; try again in a moment."))
		return
	}
	err = s.DB.Global(ctx, func(tx pgx.Tx) error {
		id, err := identity.ConsumeReset(ctx, tx, token)
		if err != nil {
			return err
		}
		if id != u.ID {
			return identity.ErrResetInvalid
		}
		if err := identity.SetPassword(ctx, tx, id, hash); err != nil {
			return err
		}
		if _, err := identity.EndSessions(ctx, tx, id, ""); err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, securityNotice(u, "Your Allyway password was changed",
			"The password of your Allyway account was just reset with a link sent to this address, "+
				"and you were signed out everywhere."))
		return err
	})
	if errors.Is(err, identity.ErrResetInvalid) {
		invalid()
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Whatever session this browser held is over too (if it was this
	// person's, its row is gone already); the flash starts a fresh one.
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, "success", "Your password was changed. Sign in with the new one.")
	redirect(w, r, "/login")
}

// newPasswordProblem applies the password policy and returns the message
// for the field, "" when the password is fine. context is the person's
// email, name, … which the password must not be.
func newPasswordProblem(password string, context ...string) string {
	err := auth.ValidateNewPassword(password, context...)
	if err == nil {
		return ""
	}
	var pe *auth.PasswordError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "Choose another password."
}

// securityNotice tells a person about a change to how they sign in (ASVS
// 5.0 V6.3.7), so a change they didn't make doesn't go unnoticed.
func securityNotice(u identity.User, subject, what string) notify.Email {
	return notify.Email{
		To:      u.Email,
		Subject: subject,
		Text: "Hello " + u.Name + ",\n\n" + what + "\n\n" +
			"If this was you, there's nothing to do. If it wasn't, reset your password now and " +
			"tell your firm's Allyway admin.\n",
	}
}
