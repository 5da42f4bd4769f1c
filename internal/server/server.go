// Package server is Allyway's HTTP face: the staff app under /t/{tenant},
// the partner portal under /p/{tenant}, the JSON API under /api/v1 and the
// public pages (sign-in, sign-up, password reset, invitations) at the root.
// routes.go lists every route; one file per resource holds its handlers.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/notify"
)

// Deps is everything the server needs; main builds it.
type Deps struct {
	Config config.Config
	DB     *db.DB
	Logger *slog.Logger
	Hasher *auth.Hasher
	Outbox *notify.Outbox
	// DevMail shows the /dev/mail outbox page (development without SMTP).
	DevMail bool
	// LoginLimits override identity.DefaultLoginLimits (tests).
	LoginLimits *identity.LoginLimits
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Server handles every request.
type Server struct {
	Deps
	sessions *scs.SessionManager
	metrics  *metrics
	limits   identity.LoginLimits
	handler  http.Handler
}

// Session lifetimes (ASVS 5.0 V7.3): idle 2 h, absolute 12 h.
const (
	sessionIdle     = 2 * time.Hour
	sessionLifetime = 12 * time.Hour
)

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{Deps: d, limits: identity.DefaultLoginLimits}
	if d.LoginLimits != nil {
		s.limits = *d.LoginLimits
	}
	sm := scs.New()
	// Expired sessions are deleted by the hourly cleanup job, not a goroutine per process.
	sm.Store = pgxstore.NewWithCleanupInterval(d.DB.Pool(), 0)
	// No scs IdleTimeout: it saves the session on every request. loadUser
	// ends sessions idle for sessionIdle (seen_at, renewed every few minutes).
	sm.Lifetime = sessionLifetime
	sm.Codec = sessionCodec{}
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false
	if d.Config.SecureCookies() {
		sm.Cookie.Name = "__Host-allyway_session"
		sm.Cookie.Secure = true
	} else {
		sm.Cookie.Name = "allyway_session"
	}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.serverError(w, r, err)
	}
	s.sessions = sm
	s.metrics = newMetrics()
	s.handler = s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// deviceCookie names the long-lived cookie that marks a known device.
func (s *Server) deviceCookie() string {
	if s.Config.SecureCookies() {
		return "__Host-allyway_device"
	}
	return "allyway_device"
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
