package server

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/web/view"
)

// statusFor maps an error code to its HTTP status: the one place that does.
func statusFor(code string) int {
	switch code {
	case apperr.EInvalid:
		return http.StatusUnprocessableEntity
	case apperr.ENotFound:
		return http.StatusNotFound
	case apperr.EConflict:
		return http.StatusConflict
	case apperr.EUnauthorized:
		return http.StatusUnauthorized
	case apperr.EForbidden:
		return http.StatusForbidden
	case apperr.ETooMany:
		return http.StatusTooManyRequests
	case apperr.EUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// render writes a templ component with a status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.Logger.Error("render", "request_id", requestIDFrom(r.Context()), "err", err)
	}
}

// fail answers err in the request's language: problem+json under /api,
// an error page otherwise. Internal errors are logged, never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = &apperr.Error{Code: apperr.EInvalid, Message: "The request is too large."}
		if isAPI(r) {
			s.problem(w, r, http.StatusRequestEntityTooLarge, "Request too large", "The request body is over 1 MiB.", nil)
		} else {
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "What you sent is too large.")
		}
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	code := apperr.Code(err)
	status := statusFor(code)
	if status == http.StatusInternalServerError {
		s.Logger.Error("internal error", "request_id", requestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
	}
	if isAPI(r) {
		s.problem(w, r, status, http.StatusText(status), apperr.Message(err), apperr.FieldErrors(err))
		return
	}
	s.renderError(w, r, status, apperr.Message(err))
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.fail(w, r, apperr.Internal(err))
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// renderError shows an error page with the layout the person is in.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	if isAPI(r) {
		s.problem(w, r, status, http.StatusText(status), message, nil)
		return
	}
	p := s.page(r, http.StatusText(status), "")
	p.Flash = nil
	s.render(w, r, status, view.ErrorPage(p, status, message))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "There is no such page here, or it belongs to a firm you are not part of.")
}

// problem writes an RFC 9457 problem document.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, title, detail string, fields map[string]string) {
	type fieldErr struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	}
	body := struct {
		Type      string     `json:"type"`
		Title     string     `json:"title"`
		Status    int        `json:"status"`
		Detail    string     `json:"detail,omitempty"`
		Instance  string     `json:"instance,omitempty"`
		RequestID string     `json:"request_id,omitempty"`
		Errors    []fieldErr `json:"errors,omitempty"`
	}{Type: "about:blank", Title: title, Status: status, Detail: detail, Instance: r.URL.Path,
		RequestID: requestIDFrom(r.Context())}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		body.Errors = append(body.Errors, fieldErr{Field: k, Message: fields[k]})
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeJSON writes v as JSON with a status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// flash stores a one-time message shown on the next page.
func (s *Server) flash(r *http.Request, kind, msg string) {
	if !hasSession(r.Context()) {
		return
	}
	s.sessions.Put(r.Context(), "flash", kind+"|"+msg)
}

// redirect sends the browser on with 303 See Other (so a POST becomes a GET).
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// page fills the layout props for the request: who is signed in, which
// firm's area it is and the flash message.
func (s *Server) page(r *http.Request, title, active string) view.Page {
	ctx := r.Context()
	p := view.Page{Title: title, Active: active, DevMail: s.DevMail}
	if u := userFrom(ctx); u != nil {
		p.User = &view.UserNav{Name: u.Name, Email: u.Email, HasChoices: hasSession(ctx) && s.sessions.GetBool(ctx, "has_choices")}
	}
	if sc := staffFrom(ctx); sc != nil {
		p.Staff = &view.StaffNav{TenantSlug: sc.Tenant.Slug, TenantName: sc.Tenant.Name, Role: string(sc.Role),
			CanAdmin: sc.Role.Can(capManageTeam)}
	}
	if pc := portalFrom(ctx); pc != nil {
		p.Portal = &view.PortalNav{TenantSlug: pc.Tenant.Slug, TenantName: pc.Tenant.Name,
			PartnerName: pc.Member.PartnerName, Role: string(pc.Member.Role)}
	}
	if !hasSession(ctx) {
		return p
	}
	if f := s.sessions.PopString(ctx, "flash"); f != "" {
		kind, msg, _ := strings.Cut(f, "|")
		p.Flash = &view.Flash{Kind: kind, Message: msg}
	}
	return p
}

// formErrors turns a coded error into form errors: per-field messages, and
// the message at the top when it isn't about a field.
func formErrors(err error) view.Form {
	f := view.Form{Errors: view.FieldErrors(apperr.FieldErrors(err))}
	if len(f.Errors) == 0 {
		f.NonField = []string{apperr.Message(err)}
	}
	return f
}
