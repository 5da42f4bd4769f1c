package server

import (
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/tenant"
)

// startSession signs a person in: a new session token (so a token planted
// before sign-in is worthless), indexed under the person so it can be ended
// from elsewhere, and a device cookie that marks this browser as known.
// It returns where to send them.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u identity.User, next string) (string, error) {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return "", err
	}
	s.sessions.Remove(ctx, "pending_uid")
	s.sessions.Remove(ctx, "pending_next")
	s.sessions.Put(ctx, sessionUserKey, u.ID.String())
	s.sessions.Put(ctx, sessionAuthAtKey, s.now().Unix())
	s.sessions.Put(ctx, sessionSeenKey, s.now().Unix())
	var places []tenant.Workplace
	err := s.DB.AsUser(ctx, u.ID, func(tx pgx.Tx) error {
		if err := identity.IndexSession(ctx, tx, u.ID, s.sessions.Token(ctx)); err != nil {
			return err
		}
		var err error
		places, err = tenant.Workplaces(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return "", err
	}
	s.sessions.Put(ctx, "has_choices", len(places) > 1)
	if err := s.rememberDevice(w, r, u); err != nil {
		return "", err
	}
	if next = safeNext(next); next != "" {
		return next, nil
	}
	if len(places) == 1 {
		return places[0].URL(), nil
	}
	return "/home", nil
}

// renewSession gives the signed-in person a fresh session token after a
// privilege change (two-factor turned on, password changed).
func (s *Server) renewSession(r *http.Request, u *identity.User) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	return s.DB.Global(ctx, func(tx pgx.Tx) error {
		return identity.IndexSession(ctx, tx, u.ID, s.sessions.Token(ctx))
	})
}

func (s *Server) rememberDevice(w http.ResponseWriter, r *http.Request, u identity.User) error {
	ctx := r.Context()
	if c, err := r.Cookie(s.deviceCookie()); err == nil {
		known := false
		_ = s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
			known, err = identity.IsKnownDevice(ctx, tx, c.Value, u.Email)
			return err
		})
		if known {
			return nil
		}
	}
	var token string
	err := s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
		token, err = identity.RememberDevice(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.deviceCookie(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.Config.SecureCookies(), SameSite: http.SameSiteLaxMode, Expires: time.Now().AddDate(1, 0, 0)})
	return nil
}
