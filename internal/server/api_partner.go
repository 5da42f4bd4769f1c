package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
)

// apiPartner is a partner in the API (the Partner schema of openapi.yaml).
type apiPartner struct {
	ID              uuid.UUID  `json:"id"`
	Name            string     `json:"name"`
	Domain          *string    `json:"domain"`
	Type            string     `json:"type"`
	Status          string     `json:"status"`
	StatusChangedAt time.Time  `json:"status_changed_at"`
	TierID          *uuid.UUID `json:"tier_id"`
	Website         *string    `json:"website"`
	Positioning     *string    `json:"positioning"`
	Focus           *string    `json:"focus"`
	Industries      []string   `json:"industries"`
	Regions         []string   `json:"regions"`
	ClientSizes     []string   `json:"client_sizes"`
	Stages          []string   `json:"stages"`
	OwnerUserID     *uuid.UUID `json:"owner_user_id"`
	Notes           string     `json:"notes"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func apiPartnerFrom(p partner.Partner) apiPartner {
	orEmpty := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	orNull := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return apiPartner{ID: p.ID, Name: p.Name, Domain: orNull(p.Domain), Type: p.Type, Status: p.Status,
		StatusChangedAt: p.StatusChangedAt.UTC(), TierID: p.TierID, Website: orNull(p.Website),
		Positioning: orNull(p.Positioning), Focus: orNull(p.Focus),
		Industries: orEmpty(p.Industries), Regions: orEmpty(p.Regions), ClientSizes: orEmpty(p.ClientSizes),
		Stages: orEmpty(p.Stages), OwnerUserID: p.OwnerUserID, Notes: p.Notes,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
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

// apiPartnerRoutes are the partner routes beyond list, create and get:
// PATCH and DELETE of a partner, and its contacts.
func (s *Server) apiPartnerRoutes(r chi.Router) {
	r.With(s.apiRequire(auth.ManagePartners)).Patch("/{id}", s.apiUpdatePartner)
	r.With(s.apiRequire(auth.ManagePartners)).Delete("/{id}", s.apiDeletePartner)
	r.Get("/{id}/contacts", s.apiListContacts)
	r.With(s.apiRequire(auth.ManagePartners)).Post("/{id}/contacts", s.apiCreateContact)
}

// patchFields reads a PATCH body's fields one by one, collecting a message
// per field of the wrong JSON type.
type patchFields struct {
	raw  map[string]json.RawMessage
	errs map[string]string
}

func (f *patchFields) has(k string) bool { _, ok := f.raw[k]; return ok }

func (f *patchFields) isNull(k string) bool { return string(bytes.TrimSpace(f.raw[k])) == "null" }

// str sets *dst from a string field; nullable allows null (→ "").
func (f *patchFields) str(k string, nullable bool, dst *string) {
	if !f.has(k) {
		return
	}
	if nullable && f.isNull(k) {
		*dst = ""
		return
	}
	if err := json.Unmarshal(f.raw[k], dst); err != nil || f.isNull(k) {
		if nullable {
			f.errs[k] = "Expected a string or null."
		} else {
			f.errs[k] = "Expected a string."
		}
	}
}

// list sets *dst from an array of strings (null empties it).
func (f *patchFields) list(k string, dst *[]string) {
	if !f.has(k) {
		return
	}
	var v []string
	if err := json.Unmarshal(f.raw[k], &v); err != nil {
		f.errs[k] = "Expected an array of strings."
		return
	}
	if v == nil {
		v = []string{}
	}
	*dst = v
}

// id sets *dst from a UUID string or null.
func (f *patchFields) id(k string, dst **uuid.UUID) {
	var s string
	f.str(k, true, &s)
	if !f.has(k) || f.errs[k] != "" {
		return
	}
	if s == "" {
		*dst = nil
		return
	}
	u, err := uuid.Parse(s)
	if err != nil {
		f.errs[k] = "Expected a UUID or null."
		return
	}
	*dst = &u
}

// apiUpdatePartner: PATCH /api/v1/partners/{id} changes the fields sent
// (profile fields, tier_id, and status with status_reason). A status
// change goes through the lifecycle's allowed moves: an illegal one is 422
// on field status. Everything or nothing is saved. Needs ManagePartners.
func (s *Server) apiUpdatePartner(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Partner")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	// The partner is resolved within the firm before the body is read, so
	// another firm's id answers 404 whatever is sent.
	if err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		_, err := partner.Get(ctx, tx, ac.Tenant.ID, id)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	f := patchFields{errs: map[string]string{}}
	if _, ok := s.readJSON(w, r, &f.raw); !ok {
		return
	}
	var p partner.Partner
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		if p, err = partner.Get(ctx, tx, ac.Tenant.ID, id); err != nil {
			return err
		}
		before := p
		pr := partner.ProfileOf(p)
		f.str("name", false, &pr.Name)
		f.str("domain", true, &pr.Domain)
		f.str("type", false, &pr.Type)
		f.str("website", true, &pr.Website)
		f.str("positioning", true, &pr.Positioning)
		f.str("focus", true, &pr.Focus)
		f.str("notes", false, &pr.Notes)
		f.list("industries", &pr.Industries)
		f.list("regions", &pr.Regions)
		f.list("client_sizes", &pr.ClientSizes)
		f.list("stages", &pr.Stages)
		f.id("owner_user_id", &pr.OwnerUserID)
		tierID := p.TierID
		f.id("tier_id", &tierID)
		var status, reason string
		f.str("status", false, &status)
		f.str("status_reason", false, &reason)
		if len(f.errs) > 0 {
			return apperr.Invalid(f.errs)
		}
		if p, err = partner.UpdateProfile(ctx, tx, ac.Tenant.ID, id, pr); err != nil {
			return err
		}
		if f.has("tier_id") {
			if p, err = partner.ChangeTier(ctx, tx, ac.Tenant.ID, id, tierID); err != nil {
				return err
			}
		}
		changed := profileChanges(before, p)
		if idString(before.TierID) != idString(p.TierID) {
			changed = append(changed, "tier_id")
		}
		if len(changed) > 0 {
			if err := audit.Record(ctx, tx, ac.Tenant.ID, "partner.updated", "partner", p.ID.String(),
				map[string]any{"name": p.Name, "changed": changed, "via": "api"}); err != nil {
				return err
			}
		}
		if f.has("status") && status != p.Status {
			change, err := partner.MoveStatus(ctx, tx, ac.Tenant.ID, id, status, reason, uuid.Nil)
			if fe := apperr.FieldErrors(err); fe["reason"] != "" {
				return &apperr.Error{Code: apperr.EInvalid, Message: apperr.Message(err),
					Fields: map[string]string{"status_reason": fe["reason"]}}
			}
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, ac.Tenant.ID, "partner.status_changed", "partner", p.ID.String(),
				map[string]any{"name": p.Name, "from": change.From, "to": change.To, "reason": change.Reason, "via": "api"}); err != nil {
				return err
			}
			p, err = partner.Get(ctx, tx, ac.Tenant.ID, id)
			return err
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiPartnerFrom(p))
}

func idString(u *uuid.UUID) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// apiDeletePartner: DELETE /api/v1/partners/{id} removes a partner added
// by mistake (204). A partner with history (onboarded at some point, portal
// users, and later money) is refused with 409: end it instead.
func (s *Server) apiDeletePartner(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Partner")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		p, err := partner.Delete(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, ac.Tenant.ID, "partner.deleted", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "status": p.Status, "via": "api"})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// apiContact is a partner's contact in the API (the Contact schema).
type apiContact struct {
	ID            uuid.UUID  `json:"id"`
	PartnerID     uuid.UUID  `json:"partner_id"`
	Name          string     `json:"name"`
	Email         string     `json:"email"`
	Phone         string     `json:"phone"`
	Title         string     `json:"title"`
	Level         string     `json:"level"`
	IsPrimary     bool       `json:"is_primary"`
	DepartedAt    *time.Time `json:"departed_at"`
	DepartureNote string     `json:"departure_note"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func apiContactFrom(c partner.Contact) apiContact {
	out := apiContact{ID: c.ID, PartnerID: c.PartnerID, Name: c.Name, Email: c.Email, Phone: c.Phone, Title: c.Title,
		Level: c.Level, IsPrimary: c.IsPrimary, DepartureNote: c.DepartureNote,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	if c.DepartedAt != nil {
		t := c.DepartedAt.UTC()
		out.DepartedAt = &t
	}
	return out
}

// apiListContacts: GET /api/v1/partners/{id}/contacts, all of a partner's
// contacts (current first, then former) in one page. Any role.
func (s *Server) apiListContacts(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Partner")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var cs []partner.Contact
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		p, err := partner.Get(r.Context(), tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		cs, err = partner.ListContacts(r.Context(), tx, ac.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := listPage[apiContact]{Data: make([]apiContact, 0, len(cs))}
	for _, c := range cs {
		out.Data = append(out.Data, apiContactFrom(c))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// apiContactInput is the body of POST /api/v1/partners/{id}/contacts.
type apiContactInput struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Title     string `json:"title"`
	Level     string `json:"level"`
	IsPrimary bool   `json:"is_primary"`
}

// apiCreateContact: POST /api/v1/partners/{id}/contacts adds a contact
// (201); a primary one takes over from the current primary. Needs
// ManagePartners; honours Idempotency-Key.
func (s *Server) apiCreateContact(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Partner")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		_, err := partner.Get(r.Context(), tx, ac.Tenant.ID, id)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	var in apiContactInput
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		c, err := partner.AddContact(ctx, tx, ac.Tenant.ID, id, partner.ContactInput{Name: in.Name, Email: in.Email,
			Phone: in.Phone, Title: in.Title, Level: in.Level, Primary: in.IsPrimary})
		if fe := apperr.FieldErrors(err); fe["primary"] != "" {
			fe["is_primary"] = fe["primary"]
			delete(fe, "primary")
		}
		if err != nil {
			return 0, nil, err
		}
		if err := audit.Record(ctx, tx, ac.Tenant.ID, "contact.added", "partner_contact", c.ID.String(),
			map[string]any{"partner_id": id, "name": c.Name, "level": c.Level, "primary": c.IsPrimary, "via": "api"}); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, apiContactFrom(c), nil
	})
}
