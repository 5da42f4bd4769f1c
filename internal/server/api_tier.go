package server

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/partner"
)

// apiTier is a tier in the API (the Tier schema of openapi.yaml).
type apiTier struct {
	ID                 uuid.UUID `json:"id"`
	Name               string    `json:"name"`
	Rank               int       `json:"rank"`
	CheckinCadenceDays int       `json:"checkin_cadence_days"`
	DefaultRateBP      int       `json:"default_rate_bp"`
	TargetMin          int       `json:"target_min"`
	TargetMax          int       `json:"target_max"`
	Benefits           string    `json:"benefits"`
	MemberCount        int       `json:"member_count"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

func apiTierFrom(t partner.Tier) apiTier {
	return apiTier{ID: t.ID, Name: t.Name, Rank: t.Rank, CheckinCadenceDays: t.CheckinCadenceDays,
		DefaultRateBP: t.DefaultRateBP, TargetMin: t.TargetMin, TargetMax: t.TargetMax, Benefits: t.Benefits,
		MemberCount: t.MemberCount, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}

// apiListTiers: GET /api/v1/tiers, all of the firm's tiers by rank (a
// firm has at most 20, so one page). Any token role.
func (s *Server) apiListTiers(w http.ResponseWriter, r *http.Request) {
	var tiers []partner.Tier
	err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		tiers, err = partner.ListTiers(r.Context(), tx, ac.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := listPage[apiTier]{Data: make([]apiTier, 0, len(tiers))}
	for _, t := range tiers {
		out.Data = append(out.Data, apiTierFrom(t))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// apiTierInput is the body of POST /api/v1/tiers and PATCH /api/v1/tiers/{id}
// (where every field is optional).
type apiTierInput struct {
	Name               *string `json:"name"`
	Rank               *int    `json:"rank"`
	CheckinCadenceDays *int    `json:"checkin_cadence_days"`
	DefaultRateBP      *int    `json:"default_rate_bp"`
	TargetMin          *int    `json:"target_min"`
	TargetMax          *int    `json:"target_max"`
	Benefits           *string `json:"benefits"`
}

// apply sets the given fields on in.
func (b apiTierInput) apply(in *partner.TierInput) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	if b.Name != nil {
		in.Name = *b.Name
	}
	if b.Benefits != nil {
		in.Benefits = *b.Benefits
	}
	set(&in.Rank, b.Rank)
	set(&in.CheckinCadenceDays, b.CheckinCadenceDays)
	set(&in.DefaultRateBP, b.DefaultRateBP)
	set(&in.TargetMin, b.TargetMin)
	set(&in.TargetMax, b.TargetMax)
}

// apiCreateTier: POST /api/v1/tiers (201). Needs ManageSettings; name,
// rank, checkin_cadence_days and default_rate_bp are required.
func (s *Server) apiCreateTier(w http.ResponseWriter, r *http.Request) {
	var body apiTierInput
	raw, ok := s.readJSON(w, r, &body)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		missing := map[string]string{}
		if body.Name == nil {
			missing["name"] = "Required."
		}
		if body.Rank == nil {
			missing["rank"] = "Required."
		}
		if body.CheckinCadenceDays == nil {
			missing["checkin_cadence_days"] = "Required."
		}
		if body.DefaultRateBP == nil {
			missing["default_rate_bp"] = "Required."
		}
		var in partner.TierInput
		body.apply(&in)
		if err := in.Validate(); err != nil || len(missing) > 0 {
			for k, v := range apperr.FieldErrors(err) {
				if _, seen := missing[k]; !seen {
					missing[k] = v
				}
			}
			return 0, nil, apperr.Invalid(missing)
		}
		if err := partner.EnsureDefaultTiers(ctx, tx, ac.Tenant.ID); err != nil {
			return 0, nil, err
		}
		t, err := partner.CreateTier(ctx, tx, ac.Tenant.ID, in)
		if err != nil {
			return 0, nil, err
		}
		d := tierDetail(t)
		d["via"] = "api"
		if err := audit.Record(ctx, tx, ac.Tenant.ID, "tier.created", "tier", t.ID.String(), d); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, apiTierFrom(t), nil
	})
}

// apiGetTier: GET /api/v1/tiers/{id}; another firm's id is 404.
func (s *Server) apiGetTier(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Tier")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t partner.Tier
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		t, err = partner.GetTier(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiTierFrom(t))
}

// apiUpdateTier: PATCH /api/v1/tiers/{id} changes the fields given. Needs
// ManageSettings; the tier is found before the body is read, so another
// firm's id is 404 whatever the body.
func (s *Server) apiUpdateTier(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Tier")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		_, err := partner.GetTier(ctx, tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body apiTierInput
	if _, ok := s.readJSON(w, r, &body); !ok {
		return
	}
	var t partner.Tier
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		before, err := partner.GetTier(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		in := partner.TierInput{Name: before.Name, Rank: before.Rank, TargetMin: before.TargetMin, TargetMax: before.TargetMax,
			CheckinCadenceDays: before.CheckinCadenceDays, DefaultRateBP: before.DefaultRateBP, Benefits: before.Benefits}
		body.apply(&in)
		if t, err = partner.UpdateTier(ctx, tx, ac.Tenant.ID, id, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, ac.Tenant.ID, "tier.updated", "tier", t.ID.String(),
			map[string]any{"before": tierDetail(before), "after": tierDetail(t), "via": "api"})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiTierFrom(t))
}
