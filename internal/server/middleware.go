package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/allyway/allyway/internal/audit"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyUser
	keyStaff
	keyPortal
	keyToken
	keySession
)

// hasSession reports whether the request went through the session
// middleware (error pages can be drawn before it, or outside it).
func hasSession(ctx context.Context) bool { return ctx.Value(keySession) != nil }

// markSession records that session data is loaded in the context.
func markSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, true)))
	})
}

// maxBody bounds every request body; forms and JSON are far smaller.
// Uploads get more: maxUploadBody for the paths in uploadPaths.
const (
	maxBody       = 1 << 20
	maxUploadBody = 6 << 20
)

// uploadPaths are the path suffixes that take file uploads (a 5 MB CSV plus
// the form around it; a 5 MiB library attachment).
var uploadPaths = []string{"/partners/import/preview", "/partners/import/confirm", "/commissions/import/preview",
	"/commissions/import/confirm", "/attachments", "/import/preview"} // …/import/preview: a campaign's attendee list too

func bodyLimit(path string) int64 {
	if strings.Contains(path, "/imports/") && strings.HasSuffix(path, "/preview") { // import.go: every kind's upload
		return maxUploadBody
	}
	for _, p := range uploadPaths {
		if strings.HasSuffix(path, p) {
			return maxUploadBody
		}
	}
	return maxBody
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an id, logs it, counts it by route and recovers
// from panics with a 500 page.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = audit.WithActor(ctx, audit.Actor{IP: clientIP(r), RequestID: id})
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if rec := recover(); rec != nil {
				if rec == http.ErrAbortHandler {
					panic(rec)
				}
				s.Logger.Error("panic", "request_id", id, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.serverError(sw, r, fmt.Errorf("panic: %v", rec))
				}
			}
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			s.metrics.requests.With(prometheus.Labels{"route": route, "method": r.Method, "code": fmt.Sprint(status)}).Inc()
			s.metrics.duration.With(prometheus.Labels{"route": route, "method": r.Method}).Observe(d.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			path := r.URL.Path
			if strings.Contains(route, "{token}") {
				path = route // the path holds a secret (an invitation link)
			}
			s.Logger.LogAttrs(r.Context(), level, "request", slog.String("request_id", id),
				slog.String("method", r.Method), slog.String("path", path), slog.String("route", route),
				slog.Int("status", status), slog.Int("bytes", sw.bytes), slog.Duration("duration", d),
				slog.String("ip", clientIP(r)))
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders go on every response, errors included.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self'"
	secure := s.Config.SecureCookies()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if secure && (r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https") {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over maxBody (the reader fails; handlers answer 413).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(r.URL.Path)
		if r.ContentLength > limit {
			s.fail(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// noStore keeps signed-in pages out of shared and browser caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing browser requests from other origins
// (Go's http.CrossOriginProtection: Sec-Fetch-Site, then Origin vs Host).
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused. Go back, reload the page and try again.")
	}))
	return cop.Handler(next)
}
