package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/tenant"
)

// apiCtx is a request of the JSON API: the firm and the token acting for it.
type apiCtx struct {
	Tenant tenant.Tenant
	Token  tenant.APIToken
}

func apiFrom(ctx context.Context) *apiCtx {
	a, _ := ctx.Value(keyToken).(*apiCtx)
	return a
}

// apiRoutes is the JSON API v1 under /api/v1 (contract: API.md, described by
// openapi.yaml). No cookies and no sessions: every request but the OpenAPI
// document carries a bearer token, which names the firm and the role.
func (s *Server) apiRoutes(r chi.Router) {
	doc := mustOpenAPIJSON()
	r.Get("/openapi.json", s.openAPIDocument(doc))
	r.Group(func(r chi.Router) {
		r.Use(s.apiAuth, s.apiRateLimit, s.apiRequire(auth.View))
		r.Get("/me", s.apiMe)
		r.Route("/partners", func(r chi.Router) {
			r.Get("/", s.apiListPartners)
			r.With(s.apiRequire(auth.ManagePartners)).Post("/", s.apiCreatePartner)
			r.Get("/{id}", s.apiGetPartner)
			s.apiPartnerRoutes(r) // api_partner.go: PATCH, DELETE, contacts
		})
		r.Route("/tiers", func(r chi.Router) { // api_tier.go
			r.Get("/", s.apiListTiers)
			r.With(s.apiRequire(auth.ManageSettings)).Post("/", s.apiCreateTier)
			r.Get("/{id}", s.apiGetTier)
			r.With(s.apiRequire(auth.ManageSettings)).Patch("/{id}", s.apiUpdateTier)
		})
		s.apiAgreementRoutes(r)  // api_agreement.go: /agreements
		s.apiReferralRoutes(r)   // api_referral.go: /referrals, transitions
		s.apiEngagementRoutes(r) // api_referral.go: /engagements
		s.apiLedgerRoutes(r)     // api_ledger.go: /revenue-events, /commission-entries
		s.apiPayoutRoutes(r)     // api_payout.go: /payouts
		s.apiAlertRoutes(r)      // api_alert.go: /alerts, /program-inputs/{quarter}
		s.apiScorecardRoutes(r)  // api_scorecard.go: /scorecards
		s.apiProgramRoutes(r)    // api_program.go: /program
		s.apiCampaignRoutes(r)   // api_campaign.go: /campaigns, /campaigns/{id}/leads
		s.apiWebhookRoutes(r)    // api_webhook.go: /webhooks
	})
}

// apiAuth admits a request with a live token of some firm:
// `Authorization: Bearer aw_<tenant>_<secret>`. The token is looked up under
// the firm's Row-Level Security like everything else. Anything wrong answers
// 401 with WWW-Authenticate, without telling what was wrong.
func (s *Server) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		secret, ok := bearer(r)
		if !ok {
			s.apiUnauthorized(w, r, "Send an API token: Authorization: Bearer <token>.")
			return
		}
		tenantID, ok := tenant.TokenTenant(secret)
		if !ok {
			s.apiUnauthorized(w, r, "The API token is not valid.")
			return
		}
		var ac apiCtx
		err := s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
			ac.Token, ac.Tenant, err = tenant.AuthenticateWithFirm(ctx, tx, tenantID, secret)
			return err
		})
		if c := apperr.Code(err); c == apperr.EUnauthorized || c == apperr.ENotFound {
			s.apiUnauthorized(w, r, "The API token is not valid.")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a := audit.ActorFrom(ctx)
		a.TokenID = ac.Token.ID
		ctx = audit.WithActor(context.WithValue(ctx, keyToken, &ac), a)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearer returns the credentials of an `Authorization: Bearer …` header.
func bearer(r *http.Request) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != "" && len(cred) <= 200
}

func (s *Server) apiUnauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="allyway"`)
	s.problem(w, r, http.StatusUnauthorized, http.StatusText(http.StatusUnauthorized), detail, nil)
}

// apiRequire refuses tokens whose role lacks a capability (403).
func (s *Server) apiRequire(c auth.Capability) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ac := apiFrom(r.Context()); ac == nil || !ac.Token.Role.Can(c) {
				s.fail(w, r, apperr.Errorf(apperr.EForbidden, "This token's role may not do this."))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inAPI runs fn in a transaction scoped to the token's firm.
func (s *Server) inAPI(r *http.Request, fn func(tx pgx.Tx, ac *apiCtx) error) error {
	ac := apiFrom(r.Context())
	return s.DB.InTenant(r.Context(), ac.Tenant.ID, func(tx pgx.Tx) error { return fn(tx, ac) })
}

// apiMe tells a token which firm it acts for and with which role.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	ac := apiFrom(r.Context())
	type tenantJSON struct {
		ID   uuid.UUID `json:"id"`
		Slug string    `json:"slug"`
		Name string    `json:"name"`
	}
	type tokenJSON struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
		Role string    `json:"role"`
	}
	s.writeJSON(w, http.StatusOK, struct {
		Tenant tenantJSON `json:"tenant"`
		Token  tokenJSON  `json:"token"`
	}{
		Tenant: tenantJSON{ID: ac.Tenant.ID, Slug: ac.Tenant.Slug, Name: ac.Tenant.Name},
		Token:  tokenJSON{ID: ac.Token.ID, Name: ac.Token.Name, Role: string(ac.Token.Role)},
	})
}

// apiID parses a UUID path parameter; a malformed one is simply not found.
func apiID(r *http.Request, name, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, name))
	if err != nil {
		return uuid.Nil, apperr.NotFound(what)
	}
	return id, nil
}

// readJSON reads a write's JSON body into v and returns the raw body (for
// the idempotency check). Unknown fields are ignored. When it returns false
// it has answered: 415 without `Content-Type: application/json`, 413 over
// 1 MiB, 400 for an empty or malformed body, 422 for a field of the wrong
// JSON type.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		s.problem(w, r, http.StatusUnsupportedMediaType, http.StatusText(http.StatusUnsupportedMediaType),
			"Send the body as JSON with Content-Type: application/json.", nil)
		return nil, false
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		s.problem(w, r, http.StatusBadRequest, http.StatusText(http.StatusBadRequest), "The request body is empty; send a JSON object.", nil)
		return nil, false
	}
	err = json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		s.fail(w, r, apperr.Invalid(map[string]string{te.Field: "Expected " + jsonTypeName(te.Type.Kind().String()) + "."}))
		return nil, false
	case err != nil:
		s.problem(w, r, http.StatusBadRequest, http.StatusText(http.StatusBadRequest), "The body is not a valid JSON object.", nil)
		return nil, false
	}
	return raw, true
}

// jsonTypeName names a Go kind the way a JSON client thinks of it.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	default:
		return "another type"
	}
}

// encodeJSON is the body writeJSON would write for v.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeJSONBody writes an already encoded JSON body.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
