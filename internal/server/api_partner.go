package server

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/partner"
)

// apiPartner is a partner in the API (the Partner schema of openapi.yaml).
type apiPartner struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Domain      *string   `json:"domain"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	TierID      *string   `json:"tier_id"`
	Industries  []string  `json:"industries"`
	Regions     []string  `json:"regions"`
	ClientSizes []string  `json:"client_sizes"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func apiPartnerFrom(p partner.Partner) apiPartner {
	out := apiPartner{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status,
		Industries: []string{}, Regions: []string{}, ClientSizes: []string{},
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if p.Domain != "" {
		out.Domain = &p.Domain
	}
	return out
}

// apiListPartners: GET /api/v1/partners, a page of the firm's partners
// oldest first, filtered by status, type and updated_since. Any token role.
func (s *Server) apiListPartners(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := partner.Filter{Status: q.Get("status"), Type: q.Get("type")}
	if f.UpdatedSince, err = timeParam(r, "updated_since"); err != nil {
		s.fail(w, r, err)
		return
	}
	var ps []partner.Partner
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		ps, err = partner.ListPage(r.Context(), tx, ac.Tenant.ID, f, partner.Cursor(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(ps, limit,
		func(p partner.Partner) pagePos { return pagePos{CreatedAt: p.CreatedAt, ID: p.ID} }, apiPartnerFrom))
}

// apiPartnerInput is the body of POST /api/v1/partners.
type apiPartnerInput struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
	Type   string `json:"type"`
}

// apiCreatePartner: POST /api/v1/partners adds a prospect (201). Needs
// ManagePartners; 422 with field errors for bad input; honours
// Idempotency-Key.
func (s *Server) apiCreatePartner(w http.ResponseWriter, r *http.Request) {
	var in apiPartnerInput
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		p, err := partner.Create(ctx, tx, ac.Tenant.ID, partner.Input{Name: in.Name, Domain: in.Domain, Type: in.Type})
		if err != nil {
			return 0, nil, err
		}
		if err := audit.Record(ctx, tx, ac.Tenant.ID, "partner.created", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "via": "api"}); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, apiPartnerFrom(p), nil
	})
}

// apiGetPartner: GET /api/v1/partners/{id}; another firm's id or a
// malformed one is 404.
func (s *Server) apiGetPartner(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Partner")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p partner.Partner
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		p, err = partner.Get(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiPartnerFrom(p))
}
