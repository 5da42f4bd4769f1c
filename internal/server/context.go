package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
)

// Capabilities used by the layout and route guards.
const (
	capManageTeam = auth.ManageTeam
)

// staffCtx is a request inside a firm's staff area.
type staffCtx struct {
	Tenant tenant.Tenant
	Role   auth.Role
}

// portalCtx is a request inside a firm's partner portal.
type portalCtx struct {
	Tenant tenant.Tenant
	Member tenant.PortalMember
}

func userFrom(ctx context.Context) *identity.User {
	u, _ := ctx.Value(keyUser).(*identity.User)
	return u
}

func staffFrom(ctx context.Context) *staffCtx {
	s, _ := ctx.Value(keyStaff).(*staffCtx)
	return s
}

func portalFrom(ctx context.Context) *portalCtx {
	p, _ := ctx.Value(keyPortal).(*portalCtx)
	return p
}

const (
	sessionUserKey   = "uid"
	sessionAuthAtKey = "auth_at" // when the person signed in: the 12 h absolute limit counts from here
	sessionSeenKey   = "seen_at" // the last request, to the minute or so: the 2 h idle limit counts from here
)

// sessionTouch is how stale seen_at may get before a request renews it. The
// idle limit is kept here rather than by scs's IdleTimeout, which writes the
// session back to the database on every request; this writes it at most
// every few minutes. seen_at may lag the last request by up to
// sessionTouch, so the limit is sessionIdle+sessionTouch from seen_at: an
// idle session ends between 2 h and 2 h 5 min after its last request.
const sessionTouch = 5 * time.Minute

// loadUser puts the signed-in person (if any) in the context. A session of a
// disabled or deleted person is ended.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		raw := s.sessions.GetString(ctx, sessionUserKey)
		if raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		id, err := uuid.Parse(raw)
		if err != nil {
			_ = s.sessions.Destroy(ctx)
			next.ServeHTTP(w, r)
			return
		}
		// A session must still be in the person's session index (ending
		// sessions removes it there even if a request in flight saves the
		// session data again) and within the absolute lifetime, which
		// RenewToken would otherwise extend.
		signedInAt := time.Unix(s.sessions.GetInt64(ctx, sessionAuthAtKey), 0)
		seenAt := signedInAt
		if v := s.sessions.GetInt64(ctx, sessionSeenKey); v != 0 {
			seenAt = time.Unix(v, 0)
		}
		var u identity.User
		indexed := false
		err = s.DB.GlobalRead(ctx, func(q db.Querier) error {
			u, indexed, err = identity.UserForSession(ctx, q, id, s.sessions.Token(ctx))
			return err
		})
		now := s.now()
		expired := signedInAt.Unix() == 0 || now.Sub(signedInAt) > sessionLifetime || now.Sub(seenAt) > sessionIdle+sessionTouch
		if apperr.Code(err) == apperr.ENotFound || (err == nil && (u.DisabledAt != nil || !indexed || expired)) {
			_ = s.sessions.Destroy(ctx)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if now.Sub(seenAt) > sessionTouch {
			s.sessions.Put(ctx, sessionSeenKey, now.Unix())
		}
		a := audit.ActorFrom(ctx)
		a.UserID = u.ID
		ctx = audit.WithActor(context.WithValue(ctx, keyUser, &u), a)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireUser sends anonymous visitors to sign in, and back here afterwards.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if userFrom(r.Context()) == nil {
			to := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			redirect(w, r, to)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// staffArea admits the firm's staff to /t/{tenant}. Anyone else — another
// firm's staff included — gets 404, as if the firm did not exist.
func (s *Server) staffArea(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u := userFrom(ctx)
		var sc staffCtx
		err := s.DB.GlobalRead(ctx, func(q db.Querier) (err error) {
			sc.Tenant, err = tenant.BySlug(ctx, q, chi.URLParam(r, "tenant"))
			return err
		})
		if err == nil {
			err = s.DB.InTenant(ctx, sc.Tenant.ID, func(tx pgx.Tx) (err error) {
				sc.Role, err = tenant.StaffRole(ctx, tx, sc.Tenant.ID, u.ID)
				return err
			})
		}
		if apperr.Code(err) == apperr.ENotFound {
			s.notFound(w, r)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if sc.Tenant.RequireAdmin2FA && sc.Role.Can(auth.ManageSettings) && !u.HasTOTP() {
			s.flash(r, "info", sc.Tenant.Name+" requires two-factor sign-in for owners and admins. Set it up to continue.")
			redirect(w, r, "/account/2fa?next="+url.QueryEscape(r.URL.RequestURI()))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, keyStaff, &sc)))
	})
}

// portalArea admits the users of one of the firm's partners to /p/{tenant}.
func (s *Server) portalArea(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u := userFrom(ctx)
		var pc portalCtx
		err := s.DB.GlobalRead(ctx, func(q db.Querier) (err error) {
			pc.Tenant, err = tenant.BySlug(ctx, q, chi.URLParam(r, "tenant"))
			return err
		})
		if err == nil {
			err = s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) (err error) {
				pc.Member, err = tenant.PortalMembership(ctx, tx, pc.Tenant.ID, u.ID)
				return err
			})
		}
		if apperr.Code(err) == apperr.ENotFound {
			s.notFound(w, r)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, keyPortal, &pc)))
	})
}

// requireCap refuses staff (or portal users) whose role lacks a capability.
func (s *Server) requireCap(c auth.Capability) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var role auth.Role
			if sc := staffFrom(r.Context()); sc != nil {
				role = sc.Role
			} else if pc := portalFrom(r.Context()); pc != nil {
				role = pc.Member.Role
			}
			if !role.Can(c) {
				s.renderError(w, r, http.StatusForbidden, "Your role doesn't allow this. Ask an admin of your firm.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inStaff runs fn in a transaction scoped to the request's firm.
func (s *Server) inStaff(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx) error) error {
	sc := staffFrom(r.Context())
	return s.DB.InTenant(r.Context(), sc.Tenant.ID, func(tx pgx.Tx) error { return fn(tx, sc) })
}

// inPartner runs fn in the firm's transaction with the partner named by
// the {id} path parameter; a malformed id or another firm's partner is
// not found (before any form is read). It returns the partner loaded —
// also when fn fails, so a re-shown form can still name it.
func (s *Server) inPartner(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error) (partner.Partner, error) {
	var p partner.Partner
	id, err := idParam(r, "id")
	if err != nil {
		return p, err
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if p, err = partner.Get(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		return fn(tx, sc, p)
	})
	return p, err
}

// inPortal runs fn in a transaction scoped to the request's firm and partner.
func (s *Server) inPortal(r *http.Request, fn func(tx pgx.Tx, pc *portalCtx) error) error {
	pc := portalFrom(r.Context())
	return s.DB.InPortal(r.Context(), pc.Tenant.ID, pc.Member.PartnerID, func(tx pgx.Tx) error { return fn(tx, pc) })
}

// idParam parses a UUID path parameter; a malformed one is simply not found.
func idParam(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, apperr.NotFound("Page")
	}
	return id, nil
}

// safeNext keeps a post-login redirect on this site.
// Browsers drop tabs and newlines from URLs and read a backslash as a slash,
// so "/\t/evil.example" would leave the site: any control character (C0,
// DEL or C1) or backslash disqualifies, and the rest must parse as a path
// with no scheme or host.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return ""
	}
	for _, r := range next {
		if unicode.IsControl(r) || r == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return next
}
