package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/web/view"
)

// totpIssuer is the name authenticator apps show next to the account.
const totpIssuer = "Allyway"

// accountRoutes are the signed-in person's own settings.
func (s *Server) accountRoutes(r chi.Router) {
	r.Get("/account", s.showAccount)
	r.Post("/account/profile", s.updateProfile)
	r.Post("/account/password", s.changePassword)
	r.Post("/account/sessions/end-others", s.endOtherSessions)
	r.Get("/account/2fa", s.showTwoFactor)
	r.Post("/account/2fa/start", s.startTwoFactor)
	r.Post("/account/2fa", s.enableTwoFactor)
	r.Post("/account/2fa/recovery-codes", s.regenerateRecoveryCodes)
	r.Post("/account/2fa/disable", s.disableTwoFactor)
}

var (
	errWrongPassword = apperr.Invalid(map[string]string{"current_password": "That isn't your current password."})
	errWrongCode     = apperr.Invalid(map[string]string{"code": "That code is not valid (each code works once). Enter the current code from your app."})
	errHasherBusy    = apperr.Errorf(apperr.EUnavailable, "We're busy; try again in a moment.")
)

// showAccount is the account page.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, view.AccountProps{Name: userFrom(r.Context()).Name})
}

// renderAccount draws the account page around a's name and form errors.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, a view.AccountProps) {
	ctx := r.Context()
	u := userFrom(ctx)
	a.Email = u.Email
	if u.HasTOTP() {
		a.TwoFactorSince = u.TOTPEnabledAt.Format("2 Jan 2006")
	}
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) (err error) {
		if a.Sessions, err = identity.CountSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		a.RecoveryLeft, err = identity.RecoveryCodesLeft(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.AccountPage(s.page(r, "Your account", ""), a))
}

// updateProfile changes the person's display name.
func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	msg := ""
	switch {
	case name == "":
		msg = "Enter your name."
	case utf8.RuneCountInString(name) > 200:
		msg = "Keep your name under 200 characters."
	case strings.ContainsFunc(name, func(c rune) bool { return c < ' ' || c == 0x7f }):
		msg = "Use letters, spaces and punctuation only."
	}
	if msg != "" {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, view.AccountProps{Name: name,
			Profile: formErrors(apperr.Invalid(map[string]string{"name": msg}))})
		return
	}
	if err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error { return identity.SetName(ctx, tx, u.ID, name) }); err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Your name was saved.")
	redirect(w, r, "/account")
}

// changePassword sets a new password after checking the current one, then
// ends every other session of the person and renews this one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	current := r.PostForm.Get("current_password")
	password := r.PostForm.Get("new_password")
	again := func(err error) {
		s.renderAccount(w, r, statusFor(apperr.Code(err)), view.AccountProps{Name: u.Name, Password: formErrors(err)})
	}
	fields := map[string]string{}
	if current == "" {
		fields["current_password"] = "Enter your current password."
	}
	if msg := newPasswordProblem(password, u.Email, u.Name); msg != "" {
		fields["new_password"] = msg
	}
	if len(fields) > 0 {
		again(apperr.Invalid(fields))
		return
	}
	if err := s.reauthenticate(r, u, current); err != nil {
		again(err)
		return
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		again(errHasherBusy)
		return
	}
	var ended int64
	err = s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		if err := identity.SetPassword(ctx, tx, u.ID, hash); err != nil {
			return err
		}
		var err error
		if ended, err = identity.EndSessions(ctx, tx, u.ID, s.sessions.Token(ctx)); err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, securityNotice(*u, "Your Allyway password was changed",
			"The password of your Allyway account was just changed from your account page."))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.renewSession(r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	msg := "Your password was changed."
	if ended > 0 {
		msg += " You were signed out everywhere else."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/account")
}

// reauthenticate checks a signed-in person's password before a sensitive
// change. Wrong passwords count as failed sign-ins, so the sign-in limits
// stop guessing from a stolen session too.
func (s *Server) reauthenticate(r *http.Request, u *identity.User, password string) error {
	ctx := r.Context()
	if err := s.checkAttempt(r, u); err != nil {
		return err
	}
	ok := false
	var err error
	if u.PasswordHash != "" {
		ok, err = s.Hasher.Verify(ctx, password, u.PasswordHash)
	} else {
		err = s.Hasher.DummyVerify(ctx)
	}
	if errors.Is(err, auth.ErrBusy) {
		return errHasherBusy
	}
	if err != nil {
		s.Logger.Warn("password verify", "user", u.ID, "err", err)
	}
	if !ok {
		s.recordLogin(r, u.Email, false)
		return errWrongPassword
	}
	return nil
}

// checkAttempt applies the sign-in limits to a signed-in person about to
// prove who they are again (password or code).
func (s *Server) checkAttempt(r *http.Request, u *identity.User) error {
	ctx := r.Context()
	device := ""
	if c, err := r.Cookie(s.deviceCookie()); err == nil {
		device = c.Value
	}
	return s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		known, err := identity.IsKnownDevice(ctx, tx, device, u.Email)
		if err != nil {
			return err
		}
		return identity.CheckLogin(ctx, tx, s.limits, u.Email, clientIP(r), known)
	})
}

// endOtherSessions signs the person out everywhere but here.
func (s *Server) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	var n int64
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) (err error) {
		n, err = identity.EndSessions(ctx, tx, u.ID, s.sessions.Token(ctx))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch n {
	case 0:
		s.flash(r, "info", "You weren't signed in anywhere else.")
	case 1:
		s.flash(r, "success", "You were signed out in 1 other place.")
	default:
		s.flash(r, "success", "You were signed out in "+strconv.FormatInt(n, 10)+" other places.")
	}
	redirect(w, r, "/account")
}

// showTwoFactor is the two-factor page: set-up (with a pending secret that
// stays the same across reloads) or, once on, recovery codes and turning it
// off. ?next= is where an enrolling admin goes afterwards.
func (s *Server) showTwoFactor(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	u := userFrom(r.Context())
	if u.HasTOTP() {
		s.renderTwoFactor(w, r, http.StatusOK, view.TwoFactorProps{Next: next})
		return
	}
	s.renderTwoFactorSetup(w, r, http.StatusOK, view.TwoFactorSetupProps{Next: next})
}

// startTwoFactor creates the pending secret (kept across reloads until it is
// confirmed) and goes back to the set-up page, which now shows it.
func (s *Server) startTwoFactor(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	u := userFrom(ctx)
	to := "/account/2fa"
	if next := safeNext(r.PostForm.Get("next")); next != "" {
		to += "?next=" + url.QueryEscape(next)
	}
	if u.HasTOTP() || u.TOTPPending != "" {
		redirect(w, r, to)
		return
	}
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		fresh, _, err := auth.NewTOTPSecret(totpIssuer, u.Email)
		if err != nil {
			return err
		}
		_, err = identity.EnsureTOTPPending(ctx, tx, u.ID, fresh)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, to)
}

// renderTwoFactorSetup draws the enrolment page: the pending secret's QR
// code, or a button to create one (a GET never changes state).
func (s *Server) renderTwoFactorSetup(w http.ResponseWriter, r *http.Request, status int, f view.TwoFactorSetupProps) {
	ctx := r.Context()
	u := userFrom(ctx)
	secret := u.TOTPPending
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		if secret == "" && r.Method != http.MethodGet {
			fresh, _, err := auth.NewTOTPSecret(totpIssuer, u.Email)
			if err != nil {
				return err
			}
			if secret, err = identity.EnsureTOTPPending(ctx, tx, u.ID, fresh); err != nil {
				return err
			}
		}
		var err error
		f.RequiredBy, err = identity.FirmsRequiring2FA(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if secret == "" {
		f.NotStarted = true
		s.render(w, r, status, view.TwoFactorSetupPage(s.page(r, "Set up two-factor sign-in", ""), f))
		return
	}
	png, err := auth.TOTPQRCodePNG(totpURL(secret, u.Email), 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	f.Email, f.Secret = u.Email, secret
	f.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	s.render(w, r, status, view.TwoFactorSetupPage(s.page(r, "Set up two-factor sign-in", ""), f))
}

// totpURL is the otpauth:// URL of a secret, as auth.NewTOTPSecret makes it,
// so the QR code can be drawn again from the stored secret.
func totpURL(secret, email string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", totpIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + email, RawQuery: v.Encode()}
	return u.String()
}

// renderTwoFactor draws the page of a person who has two-factor on.
func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, f view.TwoFactorProps) {
	ctx := r.Context()
	u := userFrom(ctx)
	f.Since = u.TOTPEnabledAt.Format("2 Jan 2006")
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) (err error) {
		if f.RecoveryLeft, err = identity.RecoveryCodesLeft(ctx, tx, u.ID); err != nil {
			return err
		}
		f.RequiredBy, err = identity.FirmsRequiring2FA(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.TwoFactorPage(s.page(r, "Two-factor sign-in", ""), f))
}

// newRecoveryCodes makes a set of codes and their hashes.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	codes = auth.NewRecoveryCodes(auth.DefaultRecoveryCodes)
	for _, c := range codes {
		hashes = append(hashes, auth.HashRecoveryCode(c))
	}
	return codes, hashes
}

// enableTwoFactor confirms the pending secret with a first code, turns
// two-factor on, renews the session token and shows the recovery codes —
// this once.
func (s *Server) enableTwoFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if u.HasTOTP() {
		redirect(w, r, "/account/2fa")
		return
	}
	if code == "" {
		s.renderTwoFactorSetup(w, r, http.StatusUnprocessableEntity, view.TwoFactorSetupProps{Next: next,
			Form: formErrors(apperr.Invalid(map[string]string{"code": "Enter the 6-digit code from your app."}))})
		return
	}
	codes, hashes := newRecoveryCodes()
	errNoPending := errors.New("no pending secret")
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		cur, err := identity.LockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if cur.HasTOTP() || cur.TOTPPending == "" {
			return errNoPending
		}
		step, ok := auth.VerifyTOTP(cur.TOTPPending, code, 0, s.now())
		if !ok {
			return errWrongCode
		}
		if err := identity.EnableTOTP(ctx, tx, u.ID, cur.TOTPPending, step, hashes); err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, securityNotice(*u, "Two-factor sign-in is on for your Allyway account",
			"Two-factor sign-in was just turned on for your Allyway account. From now on, signing in asks for a code from your authenticator app."))
		return err
	})
	switch {
	case errors.Is(err, errNoPending):
		// Turned on meanwhile (another tab), or the secret is gone: start over.
		redirect(w, r, "/account/2fa")
		return
	case errors.Is(err, errWrongCode):
		s.renderTwoFactorSetup(w, r, http.StatusUnprocessableEntity, view.TwoFactorSetupProps{Next: next,
			Form: formErrors(apperr.Invalid(map[string]string{"code": "That code didn't match. Check that your phone's clock is right and enter the code the app shows now."}))})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err := s.renewSession(r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.RecoveryCodesPage(s.page(r, "Save your recovery codes", ""),
		view.RecoveryCodesProps{Codes: codes, JustEnabled: true, Next: next}))
}

// regenerateRecoveryCodes replaces the recovery codes after a current code
// from the app (which then can't be used again), and shows the new ones once.
func (s *Server) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	if !u.HasTOTP() {
		redirect(w, r, "/account/2fa")
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	again := func(err error) {
		s.renderTwoFactor(w, r, statusFor(apperr.Code(err)), view.TwoFactorProps{Regenerate: formErrors(err)})
	}
	if code == "" {
		again(apperr.Invalid(map[string]string{"code": "Enter the 6-digit code from your app."}))
		return
	}
	if err := s.checkAttempt(r, u); err != nil {
		again(err)
		return
	}
	codes, hashes := newRecoveryCodes()
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		cur, err := identity.LockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		step, ok := auth.VerifyTOTP(cur.TOTPSecret, code, cur.TOTPLastStep, s.now())
		if !ok || !cur.HasTOTP() {
			return errWrongCode
		}
		if ok, err := identity.AdvanceTOTPStep(ctx, tx, u.ID, step); err != nil || !ok {
			if err == nil {
				err = errWrongCode
			}
			return err
		}
		if err := identity.ReplaceRecoveryCodes(ctx, tx, u.ID, hashes); err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, securityNotice(*u, "New recovery codes for your Allyway account",
			"New two-factor recovery codes were just made for your Allyway account; the old ones no longer work."))
		return err
	})
	if errors.Is(err, errWrongCode) {
		// Wrong codes count as failed sign-ins, so they can't be guessed here.
		s.recordLogin(r, u.Email, false)
		again(err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.RecoveryCodesPage(s.page(r, "Save your recovery codes", ""),
		view.RecoveryCodesProps{Codes: codes}))
}

// errRequired2FA refuses turning two-factor off while a firm requires it.
func errRequired2FA(firms []string) error {
	return apperr.Errorf(apperr.EConflict,
		"You can't turn off two-factor sign-in: %s requires it for owners and admins.", strings.Join(firms, ", "))
}

// disableTwoFactor turns two-factor off after the current password, unless
// a firm the person is an owner or admin of requires it.
func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	if !u.HasTOTP() {
		redirect(w, r, "/account")
		return
	}
	password := r.PostForm.Get("password")
	again := func(err error) {
		if f := apperr.FieldErrors(err); f["current_password"] != "" {
			err = apperr.Invalid(map[string]string{"password": f["current_password"]})
		}
		s.renderTwoFactor(w, r, statusFor(apperr.Code(err)), view.TwoFactorProps{Disable: formErrors(err)})
	}
	var firms []string
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) (err error) {
		firms, err = identity.FirmsRequiring2FA(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(firms) > 0 {
		again(errRequired2FA(firms))
		return
	}
	if password == "" {
		again(apperr.Invalid(map[string]string{"password": "Enter your current password."}))
		return
	}
	if err := s.reauthenticate(r, u, password); err != nil {
		again(err)
		return
	}
	err = s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		if _, err := identity.LockUser(ctx, tx, u.ID); err != nil {
			return err
		}
		// Checked again with the change: a firm may have turned its rule on meanwhile.
		firms, err := identity.FirmsRequiring2FA(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if len(firms) > 0 {
			return errRequired2FA(firms)
		}
		if err := identity.DisableTOTP(ctx, tx, u.ID); err != nil {
			return err
		}
		_, err = s.Outbox.Send(ctx, tx, securityNotice(*u, "Two-factor sign-in is off for your Allyway account",
			"Two-factor sign-in was just turned off for your Allyway account. Signing in now needs only your password."))
		return err
	})
	if apperr.Code(err) == apperr.EConflict {
		again(err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.renewSession(r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, "success", "Two-factor sign-in is off.")
	redirect(w, r, "/account")
}
