package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
)

// apiAgreementRoutes: /api/v1/agreements (list, create with
// Idempotency-Key) and /api/v1/agreements/{id} (get, patch). Writes need
// ManagePartners.
func (s *Server) apiAgreementRoutes(r chi.Router) {
	r.Route("/agreements", func(r chi.Router) {
		r.Get("/", s.apiListAgreements)
		r.With(s.apiRequire(auth.ManagePartners)).Post("/", s.apiCreateAgreement)
		r.Get("/{id}", s.apiGetAgreement)
		r.With(s.apiRequire(auth.ManagePartners)).Patch("/{id}", s.apiUpdateAgreement)
	})
}

// apiAgreement is one agreement version in the API (the Agreement schema of
// openapi.yaml). Dates are YYYY-MM-DD.
type apiAgreement struct {
	ID                    uuid.UUID         `json:"id"`
	PartnerID             uuid.UUID         `json:"partner_id"`
	PartnerName           string            `json:"partner_name"`
	Version               int               `json:"version"`
	Status                string            `json:"status"`
	Model                 string            `json:"model"`
	Title                 string            `json:"title"`
	TemplateID            *uuid.UUID        `json:"template_id"`
	EffectiveFrom         string            `json:"effective_from"`
	EffectiveTo           *string           `json:"effective_to"`
	AutoRenew             bool              `json:"auto_renew"`
	RenewalMonths         int               `json:"renewal_months"`
	TerminationNoticeDays int               `json:"termination_notice_days"`
	PaymentTrigger        string            `json:"payment_trigger"`
	PaymentNetDays        int               `json:"payment_net_days"`
	Exclusivity           string            `json:"exclusivity"`
	ExclusivityScope      []string          `json:"exclusivity_scope"`
	Territories           []string          `json:"territories"`
	Terms                 agreement.Terms   `json:"terms"`
	Rules                 []commission.Rule `json:"rules"`
	ChangeNote            string            `json:"change_note"`
	SentAt                *time.Time        `json:"sent_at"`
	AcceptedAt            *time.Time        `json:"accepted_at"`
	AcceptedName          *string           `json:"accepted_name"`
	AcceptedVia           *string           `json:"accepted_via"`
	DeclinedAt            *time.Time        `json:"declined_at"`
	DeclinedReason        *string           `json:"declined_reason"`
	EndedAt               *time.Time        `json:"ended_at"`
	EndedReason           *string           `json:"ended_reason"`
	CreatedAt             time.Time         `json:"created_at"`
	UpdatedAt             time.Time         `json:"updated_at"`
	// Warnings (create and update only): overlaps of scope with other
	// partners' active agreements, rates outside the involvement level.
	Warnings []string `json:"warnings,omitempty"`
}

func apiAgreementFrom(a agreement.Agreement) apiAgreement {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	nz := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	out := apiAgreement{ID: a.ID, PartnerID: a.PartnerID, PartnerName: a.PartnerName, Version: a.Version, Status: string(a.Status),
		Model: a.Model, Title: a.Title, TemplateID: a.TemplateID, EffectiveFrom: a.EffectiveFrom.Format(time.DateOnly),
		AutoRenew: a.AutoRenew, RenewalMonths: a.RenewalMonths, TerminationNoticeDays: a.TerminationNoticeDays,
		PaymentTrigger: a.PaymentTrigger, PaymentNetDays: a.PaymentNetDays, Exclusivity: a.Exclusivity,
		ExclusivityScope: nz(a.ExclusivityScope), Territories: nz(a.Territories), Terms: a.Terms, Rules: a.Rules,
		ChangeNote: a.ChangeNote, SentAt: utc(a.SentAt), AcceptedAt: utc(a.AcceptedAt), AcceptedName: str(a.AcceptedName),
		AcceptedVia: str(a.AcceptedVia), DeclinedAt: utc(a.DeclinedAt), DeclinedReason: str(a.DeclinedReason),
		EndedAt: utc(a.EndedAt), EndedReason: str(a.EndedReason), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
	if a.EffectiveTo != nil {
		out.EffectiveTo = str(a.EffectiveTo.Format(time.DateOnly))
	}
	if out.Rules == nil {
		out.Rules = []commission.Rule{}
	}
	return out
}

// apiListAgreements: GET /api/v1/agreements, a page of the firm's versions
// oldest first, filtered by partner_id, status and updated_since.
func (s *Server) apiListAgreements(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := agreement.PageFilter{Status: q.Get("status")}
	if v := q.Get("partner_id"); v != "" {
		if f.PartnerID, err = uuid.Parse(v); err != nil {
			s.fail(w, r, apperr.Invalid(map[string]string{"partner_id": "Use a partner's id (a UUID)."}))
			return
		}
	}
	if f.UpdatedSince, err = timeParam(r, "updated_since"); err != nil {
		s.fail(w, r, err)
		return
	}
	var as []agreement.Agreement
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		as, err = agreement.ListPage(r.Context(), tx, ac.Tenant.ID, f, agreement.Cursor(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(as, limit,
		func(a agreement.Agreement) pagePos { return pagePos{CreatedAt: a.CreatedAt, ID: a.ID} }, apiAgreementFrom))
}

// apiGetAgreement: GET /api/v1/agreements/{id}.
func (s *Server) apiGetAgreement(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Agreement")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var a agreement.Agreement
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		a, err = agreement.Get(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiAgreementFrom(a))
}

// apiAgreementInput is the body of POST and PATCH. Absent fields keep the
// base's value (the template's or blank terms on POST, the version's own on
// PATCH); terms merge field by field; rules replace the whole list.
type apiAgreementInput struct {
	PartnerID             *string            `json:"partner_id"`
	Model                 *string            `json:"model"`
	Title                 *string            `json:"title"`
	TemplateID            *string            `json:"template_id"`
	EffectiveFrom         *string            `json:"effective_from"`
	EffectiveTo           json.RawMessage    `json:"effective_to"`
	TermMonths            *int               `json:"term_months"`
	AutoRenew             *bool              `json:"auto_renew"`
	RenewalMonths         *int               `json:"renewal_months"`
	TerminationNoticeDays *int               `json:"termination_notice_days"`
	PaymentTrigger        *string            `json:"payment_trigger"`
	PaymentNetDays        *int               `json:"payment_net_days"`
	Exclusivity           *string            `json:"exclusivity"`
	ExclusivityScope      *[]string          `json:"exclusivity_scope"`
	Territories           *[]string          `json:"territories"`
	Terms                 json.RawMessage    `json:"terms"`
	Rules                 *[]commission.Rule `json:"rules"`
	ChangeNote            *string            `json:"change_note"`
	// Status moves the version: draft, sent (offer it to the partner),
	// active (record it as signed elsewhere), terminated (PATCH of an
	// active version, with ended_on and ended_reason).
	Status      *string `json:"status"`
	SignedBy    *string `json:"signed_by"`
	EndedOn     *string `json:"ended_on"`
	EndedReason *string `json:"ended_reason"`
}

// hasTerms reports whether the body changes any term (anything but the
// status fields).
func (in apiAgreementInput) hasTerms() bool {
	return in.Model != nil || in.Title != nil || in.TemplateID != nil || in.EffectiveFrom != nil || in.EffectiveTo != nil ||
		in.TermMonths != nil || in.AutoRenew != nil || in.RenewalMonths != nil || in.TerminationNoticeDays != nil ||
		in.PaymentTrigger != nil || in.PaymentNetDays != nil || in.Exclusivity != nil || in.ExclusivityScope != nil ||
		in.Territories != nil || in.Terms != nil || in.Rules != nil || in.ChangeNote != nil
}

// overlay puts the body's fields over base; errs gets the fields it can't read.
func (in apiAgreementInput) overlay(base *agreement.Input, errs map[string]string) {
	setStr := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setStr(&base.Model, in.Model)
	setStr(&base.Title, in.Title)
	setStr(&base.PaymentTrigger, in.PaymentTrigger)
	setStr(&base.Exclusivity, in.Exclusivity)
	setStr(&base.ChangeNote, in.ChangeNote)
	setInt(&base.RenewalMonths, in.RenewalMonths)
	setInt(&base.TerminationNoticeDays, in.TerminationNoticeDays)
	setInt(&base.PaymentNetDays, in.PaymentNetDays)
	if in.AutoRenew != nil {
		base.AutoRenew = *in.AutoRenew
	}
	if in.ExclusivityScope != nil {
		base.ExclusivityScope = *in.ExclusivityScope
	}
	if in.Territories != nil {
		base.Territories = *in.Territories
	}
	if in.Rules != nil {
		base.Rules = *in.Rules
	}
	if in.EffectiveFrom != nil {
		if d, ok := agreement.ParseDate(*in.EffectiveFrom); ok {
			base.EffectiveFrom = d
		} else {
			errs["effective_from"] = "Use a date like 2026-01-31."
		}
	}
	if in.TermMonths != nil {
		base.TermMonths = *in.TermMonths
		base.EffectiveTo = nil
	}
	if in.EffectiveTo != nil {
		var s *string
		if err := json.Unmarshal(in.EffectiveTo, &s); err != nil {
			errs["effective_to"] = "Use a date like 2026-12-31, or null for open-ended."
		} else if s == nil {
			base.EffectiveTo = nil
		} else if d, ok := agreement.ParseDate(*s); ok {
			base.EffectiveTo = &d
		} else {
			errs["effective_to"] = "Use a date like 2026-12-31, or null for open-ended."
		}
	}
	if in.Terms != nil && !bytes.Equal(bytes.TrimSpace(in.Terms), []byte("null")) {
		if err := json.Unmarshal(in.Terms, &base.Terms); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				errs["terms."+te.Field] = "Expected " + jsonTypeName(te.Type.Kind().String()) + "."
			} else {
				errs["terms"] = "Send the terms as an object."
			}
		}
	}
}

// finishStatus moves a freshly created or edited version to the asked
// status: sent (emailing the partner's admins) or active (recorded as
// signed; the partner may turn active).
func (s *Server) finishStatus(ctx context.Context, tx pgx.Tx, ac *apiCtx, a agreement.Agreement, in apiAgreementInput) (agreement.Agreement, error) {
	status := ""
	if in.Status != nil {
		status = *in.Status
	}
	switch status {
	case "", string(a.Status):
		return a, nil
	case "sent":
		if a.Status != agreement.StatusDraft {
			break
		}
		a, err := agreement.Send(ctx, tx, ac.Tenant.ID, a.ID, uuid.Nil, s.now())
		if err != nil {
			return a, err
		}
		_, err = s.emailAgreementSent(ctx, tx, ac.Tenant, a)
		return a, err
	case "active":
		if a.Status != agreement.StatusDraft && a.Status != agreement.StatusSent {
			break
		}
		signer := a.PartnerName + " (signed outside Allyway)"
		if in.SignedBy != nil && strings.TrimSpace(*in.SignedBy) != "" {
			signer = *in.SignedBy
		}
		a, err := agreement.Record(ctx, tx, ac.Tenant.ID, a.ID, uuid.Nil, signer, s.now())
		if err != nil {
			return a, err
		}
		_, err = onboarding.MaybeActivate(ctx, tx, ac.Tenant.ID, a.PartnerID, uuid.Nil)
		return a, err
	case "draft":
		if a.Status == agreement.StatusSent {
			return agreement.Withdraw(ctx, tx, ac.Tenant.ID, a.ID)
		}
	}
	return a, apperr.Invalid(map[string]string{"status": "A " + string(a.Status) + " version can't move to " + status +
		": drafts can be sent or recorded as active, sent versions withdrawn (draft) or recorded, active ones terminated."})
}

// warningsFor lists the warnings of a saved version.
func warningsFor(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, a agreement.Agreement) ([]string, error) {
	var out []string
	conflicts, err := agreement.Conflicts(ctx, tx, tenantID, a)
	if err != nil {
		return nil, err
	}
	for _, c := range conflicts {
		out = append(out, c.Message())
	}
	return append(out, agreement.InputFrom(a).Warnings()...), nil
}

// apiCreateAgreement: POST /api/v1/agreements makes a new version for a
// partner: a draft, or sent ("status": "sent"), or recorded as signed
// ("status": "active"). 201; 422 with field errors (rules[i].…); 409 when
// a version is already being prepared. Honours Idempotency-Key.
func (s *Server) apiCreateAgreement(w http.ResponseWriter, r *http.Request) {
	var in apiAgreementInput
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		errs := map[string]string{}
		var p partner.Partner
		if in.PartnerID == nil || strings.TrimSpace(*in.PartnerID) == "" {
			errs["partner_id"] = "Required: the partner's id."
		} else if pid, err := uuid.Parse(*in.PartnerID); err != nil {
			errs["partner_id"] = "Use a partner's id (a UUID)."
		} else if p, err = partner.Get(ctx, tx, ac.Tenant.ID, pid); apperr.Code(err) == apperr.ENotFound {
			errs["partner_id"] = "No such partner."
		} else if err != nil {
			return 0, nil, err
		}
		if in.EffectiveFrom == nil {
			errs["effective_from"] = "Required: the date the agreement takes effect (YYYY-MM-DD)."
		}
		if len(errs) > 0 {
			return 0, nil, apperr.Invalid(errs)
		}
		from, _ := agreement.ParseDate(*in.EffectiveFrom)
		base := agreement.DefaultInput(p.Type, from)
		if in.TemplateID != nil && *in.TemplateID != "" {
			tid, err := uuid.Parse(*in.TemplateID)
			if err != nil {
				return 0, nil, apperr.Invalid(map[string]string{"template_id": "Use a template's id (a UUID)."})
			}
			t, err := agreement.GetTemplate(ctx, tx, ac.Tenant.ID, tid)
			if apperr.Code(err) == apperr.ENotFound {
				return 0, nil, apperr.Invalid(map[string]string{"template_id": "No such template."})
			} else if err != nil {
				return 0, nil, err
			}
			base = t.Input(from)
		}
		in.TemplateID = nil
		in.overlay(&base, errs)
		if len(errs) > 0 {
			return 0, nil, apperr.Invalid(errs)
		}
		a, err := agreement.CreateDraft(ctx, tx, ac.Tenant.ID, p.ID, base, uuid.Nil)
		if err != nil {
			return 0, nil, err
		}
		if a, err = s.finishStatus(ctx, tx, ac, a, in); err != nil {
			return 0, nil, err
		}
		out := apiAgreementFrom(a)
		if out.Warnings, err = warningsFor(ctx, tx, ac.Tenant.ID, a); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, out, nil
	})
}

// apiUpdateAgreement: PATCH /api/v1/agreements/{id}. A draft's terms are
// edited in place; changing an active version's terms makes a new draft
// version (answered instead, with its own id) taking effect on
// effective_from (default: today, or the day after the active version took
// effect). "status" moves the version (see apiAgreementInput). 409 for a
// move its status does not allow, 422 for bad input.
func (s *Server) apiUpdateAgreement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := apiID(r, "id", "Agreement")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Resolve the version before reading the body: another firm's id is 404.
	if err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		_, err := agreement.Get(ctx, tx, ac.Tenant.ID, id)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	var in apiAgreementInput
	if _, ok := s.readJSON(w, r, &in); !ok {
		return
	}
	var out apiAgreement
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		a, err := agreement.Get(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		errs := map[string]string{}
		if in.PartnerID != nil && *in.PartnerID != a.PartnerID.String() {
			errs["partner_id"] = "An agreement stays with its partner."
		}
		in.TemplateID = nil // a template only seeds a new agreement
		switch {
		case in.Status != nil && *in.Status == string(agreement.StatusTerminated):
			if a.Status != agreement.StatusActive {
				return apperr.Errorf(apperr.EConflict, "Version %d is %s; only the active version can be terminated.",
					a.Version, strings.ToLower(a.Status.Label()))
			}
			on := agreement.Day(s.now())
			if in.EndedOn != nil {
				d, ok := agreement.ParseDate(*in.EndedOn)
				if !ok {
					errs["ended_on"] = "Use a date like 2026-12-31."
				}
				on = d
			}
			reason := ""
			if in.EndedReason != nil {
				reason = *in.EndedReason
			}
			if len(errs) > 0 {
				return apperr.Invalid(errs)
			}
			if a, err = agreement.Terminate(ctx, tx, ac.Tenant.ID, a.ID, on, reason, s.now()); err != nil {
				if fe := apperr.FieldErrors(err); fe["reason"] != "" {
					return apperr.Invalid(map[string]string{"ended_reason": fe["reason"]})
				}
				return err
			}
		case in.hasTerms() && a.Status == agreement.StatusActive:
			base := agreement.InputFrom(a)
			base.ChangeNote = ""
			from := agreement.Day(s.now())
			if !from.After(a.EffectiveFrom) {
				from = a.EffectiveFrom.AddDate(0, 0, 1)
			}
			base.EffectiveFrom = from
			in.overlay(&base, errs)
			if base.EffectiveTo != nil && base.EffectiveTo.Before(base.EffectiveFrom) && in.EffectiveTo == nil {
				base.EffectiveTo = nil
			}
			if len(errs) > 0 {
				return apperr.Invalid(errs)
			}
			if a, err = agreement.CreateDraft(ctx, tx, ac.Tenant.ID, a.PartnerID, base, uuid.Nil); err != nil {
				return err
			}
			if a, err = s.finishStatus(ctx, tx, ac, a, in); err != nil {
				return err
			}
		case in.hasTerms():
			if a.Status != agreement.StatusDraft {
				if a.Status == agreement.StatusSent {
					return apperr.Errorf(apperr.EConflict, "Version %d was sent to the partner; withdraw it first (PATCH {\"status\": \"draft\"}) to change it.", a.Version)
				}
				return apperr.Errorf(apperr.EConflict, "Version %d is %s; its terms can't change.", a.Version, strings.ToLower(a.Status.Label()))
			}
			base := agreement.InputFrom(a)
			in.overlay(&base, errs)
			if len(errs) > 0 {
				return apperr.Invalid(errs)
			}
			if a, err = agreement.UpdateDraft(ctx, tx, ac.Tenant.ID, a.ID, base); err != nil {
				return err
			}
			if a, err = s.finishStatus(ctx, tx, ac, a, in); err != nil {
				return err
			}
		default:
			if len(errs) > 0 {
				return apperr.Invalid(errs)
			}
			if a.Status != agreement.StatusDraft && a.Status != agreement.StatusSent && in.Status != nil && *in.Status != string(a.Status) {
				return apperr.Errorf(apperr.EConflict, "Version %d is %s; it can't move to %s.", a.Version, strings.ToLower(a.Status.Label()), *in.Status)
			}
			if a, err = s.finishStatus(ctx, tx, ac, a, in); err != nil {
				return err
			}
		}
		out = apiAgreementFrom(a)
		out.Warnings, err = warningsFor(ctx, tx, ac.Tenant.ID, a)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}
