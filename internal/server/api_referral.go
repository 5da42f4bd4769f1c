package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/referral"
)

// The referral API: /referrals (list, submit), /referrals/{id} (get,
// change), /referrals/{id}/transitions (move along the pipeline) and
// /engagements (what won referrals became). Reading needs View; every
// write needs ManagePartners. Money is in cents, as everywhere in the API;
// the domain takes amounts as typed, so cents are spelled as dollars
// ("1250.00") on the way in.

// apiReferralRoutes: /referrals and its transitions.
func (s *Server) apiReferralRoutes(r chi.Router) {
	r.Route("/referrals", func(r chi.Router) {
		r.Get("/", s.apiListReferrals)
		r.With(s.apiRequire(auth.ManagePartners)).Post("/", s.apiSubmitReferral)
		r.Get("/{id}", s.apiGetReferral)
		r.With(s.apiRequire(auth.ManagePartners)).Patch("/{id}", s.apiUpdateReferral)
		r.With(s.apiRequire(auth.ManagePartners)).Post("/{id}/transitions", s.apiTransitionReferral)
	})
}

// apiEngagementRoutes: /engagements.
func (s *Server) apiEngagementRoutes(r chi.Router) {
	r.Route("/engagements", func(r chi.Router) {
		r.Get("/", s.apiListEngagements)
		r.With(s.apiRequire(auth.ManagePartners)).Post("/", s.apiCreateEngagement)
		r.Get("/{id}", s.apiGetEngagement)
	})
}

// apiReferralNotifier is what referral writes need to queue their emails.
func (s *Server) apiReferralNotifier() referral.Notifier {
	return referral.Notifier{Outbox: s.Outbox, BaseURL: s.Config.BaseURL, Now: s.now}
}

// apiChecklistAnswer is one qualification answer as recorded on the referral.
type apiChecklistAnswer struct {
	QuestionID uuid.UUID `json:"question_id"`
	Question   string    `json:"question"`
	Required   bool      `json:"required"`
	Answer     bool      `json:"answer"`
}

// apiClock is one SLA clock of a referral.
type apiClock struct {
	Clock    string     `json:"clock"`
	DueAt    time.Time  `json:"due_at"`
	MetAt    *time.Time `json:"met_at"`
	Breached bool       `json:"breached"`
	AtRisk   bool       `json:"at_risk"`
}

// apiReferral is a referral in the API (the Referral schema).
type apiReferral struct {
	ID                   uuid.UUID            `json:"id"`
	Number               int64                `json:"number"`
	Ref                  string               `json:"ref"`
	Direction            string               `json:"direction"`
	PartnerID            uuid.UUID            `json:"partner_id"`
	ClientCompany        string               `json:"client_company"`
	ClientDomain         *string              `json:"client_domain"`
	ClientID             *uuid.UUID           `json:"client_id"`
	ContactName          string               `json:"contact_name"`
	ContactEmail         string               `json:"contact_email"`
	ContactPhone         string               `json:"contact_phone"`
	ContactErased        bool                 `json:"contact_erased"`
	ServiceID            *uuid.UUID           `json:"service_id"`
	Challenge            string               `json:"challenge"`
	Context              string               `json:"context"`
	PromisesMade         string               `json:"promises_made"`
	Urgency              string               `json:"urgency"`
	EstimatedValueCents  *int64               `json:"estimated_value_cents"`
	Currency             string               `json:"currency"`
	Checklist            []apiChecklistAnswer `json:"checklist"`
	Status               string               `json:"status"`
	StatusChangedAt      time.Time            `json:"status_changed_at"`
	Source               string               `json:"source"`
	SubmittedAt          time.Time            `json:"submitted_at"`
	SubmittedByUserID    *uuid.UUID           `json:"submitted_by_user_id"`
	OwnerUserID          *uuid.UUID           `json:"owner_user_id"`
	OriginatorUserID     *uuid.UUID           `json:"originator_user_id"`
	CreditedPartnerID    *uuid.UUID           `json:"credited_partner_id"`
	ConflictWithID       *uuid.UUID           `json:"conflict_with_id"`
	ConflictStatus       string               `json:"conflict_status"`
	ClaimExpiresAt       *time.Time           `json:"claim_expires_at"`
	AssistingPartnerIDs  []uuid.UUID          `json:"assisting_partner_ids"`
	FirstResponseDueAt   *time.Time           `json:"first_response_due_at"`
	FirstRespondedAt     *time.Time           `json:"first_responded_at"`
	FirstContactDueAt    *time.Time           `json:"first_contact_due_at"`
	ContactedAt          *time.Time           `json:"contacted_at"`
	MeetingDueAt         *time.Time           `json:"meeting_due_at"`
	MeetingAt            *time.Time           `json:"meeting_at"`
	PartnerResponseDueAt *time.Time           `json:"partner_response_due_at"`
	PartnerAcceptedAt    *time.Time           `json:"partner_accepted_at"`
	PartnerDeclinedAt    *time.Time           `json:"partner_declined_at"`
	PartnerDeclineReason *string              `json:"partner_decline_reason"`
	SLA                  []apiClock           `json:"sla"`
	ClosedAt             *time.Time           `json:"closed_at"`
	CloseReason          *string              `json:"close_reason"`
	Fit                  *string              `json:"fit"`
	FitNote              string               `json:"fit_note"`
	FeeDisclosedAt       *time.Time           `json:"fee_disclosed_at"`
	ConflictsClearedAt   *time.Time           `json:"conflicts_cleared_at"`
	AttestClient         bool                 `json:"attest_client"`
	AgreementID          *uuid.UUID           `json:"agreement_id"`
	CreatedAt            time.Time            `json:"created_at"`
	UpdatedAt            time.Time            `json:"updated_at"`
}

// utcPtr is t in UTC (nil stays nil).
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullStr is s, or null when empty.
func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// apiReferralFrom converts a referral for the API; now decides the SLA
// clocks' breached and at-risk flags.
func apiReferralFrom(r referral.Referral, now time.Time) apiReferral {
	out := apiReferral{ID: r.ID, Number: r.Number, Ref: r.Ref(), Direction: r.Direction, PartnerID: r.PartnerID,
		ClientCompany: r.ClientCompany, ClientDomain: nullStr(r.ClientDomain), ClientID: r.ClientID,
		ContactName: r.Contact.Name, ContactEmail: r.Contact.Email, ContactPhone: r.Contact.Phone, ContactErased: r.Contact.Erased,
		ServiceID: r.ServiceID, Challenge: r.Challenge, Context: r.Context, PromisesMade: r.PromisesMade, Urgency: r.Urgency,
		EstimatedValueCents: r.EstimatedValueCents, Currency: r.Currency, Checklist: []apiChecklistAnswer{},
		Status: r.Status, StatusChangedAt: r.StatusChangedAt.UTC(), Source: r.Source, SubmittedAt: r.SubmittedAt.UTC(),
		SubmittedByUserID: r.SubmittedBy, OwnerUserID: r.OwnerUserID, OriginatorUserID: r.OriginatorUserID,
		CreditedPartnerID: r.CreditedPartnerID, ConflictWithID: r.ConflictWithID, ConflictStatus: r.ConflictStatus,
		ClaimExpiresAt: utcPtr(r.ClaimExpiresAt), AssistingPartnerIDs: []uuid.UUID{},
		FirstResponseDueAt: utcPtr(r.FirstResponseDueAt), FirstRespondedAt: utcPtr(r.FirstRespondedAt),
		FirstContactDueAt: utcPtr(r.FirstContactDueAt), ContactedAt: utcPtr(r.ContactedAt),
		MeetingDueAt: utcPtr(r.MeetingDueAt), MeetingAt: utcPtr(r.MeetingAt),
		PartnerResponseDueAt: utcPtr(r.PartnerResponseDueAt), PartnerAcceptedAt: utcPtr(r.PartnerAcceptedAt),
		PartnerDeclinedAt: utcPtr(r.PartnerDeclinedAt), PartnerDeclineReason: nullStr(r.PartnerDeclineReason),
		SLA: []apiClock{}, ClosedAt: utcPtr(r.ClosedAt), CloseReason: nullStr(r.CloseReason), Fit: nullStr(r.Fit),
		FitNote: r.FitNote, FeeDisclosedAt: utcPtr(r.FeeDisclosedAt), ConflictsClearedAt: utcPtr(r.ConflictsClearedAt),
		AttestClient: r.AttestClient, AgreementID: r.AgreementID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if out.Currency == "" {
		out.Currency = "USD"
	}
	if r.Contact.Erased {
		out.ContactName, out.ContactEmail, out.ContactPhone = "", "", ""
	}
	for _, a := range r.Checklist {
		out.Checklist = append(out.Checklist, apiChecklistAnswer(a))
	}
	for _, a := range r.Assists {
		out.AssistingPartnerIDs = append(out.AssistingPartnerIDs, a.PartnerID)
	}
	for _, c := range r.Clocks(now) {
		out.SLA = append(out.SLA, apiClock{Clock: c.Name, DueAt: c.DueAt.UTC(), MetAt: utcPtr(c.MetAt),
			Breached: c.Breached, AtRisk: c.AtRisk})
	}
	return out
}

// apiReferralFilter is the query of GET /referrals.
type apiReferralFilter struct {
	Statuses       []string
	Direction      string
	PartnerID      *uuid.UUID
	UpdatedSince   time.Time
	SubmittedSince time.Time
}

// apiReferralFilterFrom reads and checks the list's filters; EInvalid with
// a message per query parameter.
func apiReferralFilterFrom(r *http.Request) (apiReferralFilter, error) {
	q := r.URL.Query()
	var f apiReferralFilter
	errs := map[string]string{}
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(referral.Statuses, st) {
				errs["status"] = "Use one or more of: " + strings.Join(referral.Statuses, ", ") + "."
				continue
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	switch f.Direction = q.Get("direction"); f.Direction {
	case "", "inbound", "outbound":
	default:
		errs["direction"] = "Use inbound or outbound."
	}
	if v := q.Get("partner_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			errs["partner_id"] = "Use a partner's id (a UUID)."
		}
		f.PartnerID = &id
	}
	var err error
	if f.UpdatedSince, err = timeParam(r, "updated_since"); err != nil {
		errs["updated_since"] = apperr.FieldErrors(err)["updated_since"]
	}
	if f.SubmittedSince, err = timeParam(r, "submitted_since"); err != nil {
		errs["submitted_since"] = apperr.FieldErrors(err)["submitted_since"]
	}
	if len(errs) > 0 {
		return f, apperr.Invalid(errs)
	}
	return f, nil
}

// apiReferralPage returns the ids of up to limit referrals matching f after
// the cursor, in the API's (created_at, id) order. The domain's List pages
// by offset in the staff app's orders; a client syncing through the API
// needs a stable order that new referrals only extend at the end.
func apiReferralPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, f apiReferralFilter, after pagePos, limit int) ([]uuid.UUID, error) {
	var sql strings.Builder
	sql.WriteString(`SELECT id FROM referrals WHERE tenant_id = $1`)
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Statuses) > 0 {
		sql.WriteString(` AND status = ANY(` + arg(f.Statuses) + `)`)
	}
	if f.Direction != "" {
		sql.WriteString(` AND direction = ` + arg(f.Direction))
	}
	if f.PartnerID != nil {
		sql.WriteString(` AND partner_id = ` + arg(*f.PartnerID))
	}
	if !f.UpdatedSince.IsZero() {
		sql.WriteString(` AND updated_at >= ` + arg(f.UpdatedSince))
	}
	if !f.SubmittedSince.IsZero() {
		sql.WriteString(` AND submitted_at >= ` + arg(f.SubmittedSince))
	}
	if after.ID != uuid.Nil {
		sql.WriteString(` AND (created_at, id) > (` + arg(after.CreatedAt) + `, ` + arg(after.ID) + `)`)
	}
	sql.WriteString(` ORDER BY created_at, id LIMIT ` + arg(limit))
	rows, err := q.Query(ctx, sql.String(), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// apiListReferrals: GET /api/v1/referrals, a page of the firm's referrals
// oldest first, filtered by status (one or several, comma-separated),
// direction, partner_id, updated_since and submitted_since. Any role.
func (s *Server) apiListReferrals(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := apiReferralFilterFrom(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var rs []referral.Referral
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		ids, err := apiReferralPage(ctx, tx, ac.Tenant.ID, f, after, limit+1)
		if err != nil {
			return err
		}
		rs, err = referral.GetMany(ctx, tx, ac.Tenant.ID, ids)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	s.writeJSON(w, http.StatusOK, newPage(rs, limit,
		func(x referral.Referral) pagePos { return pagePos{CreatedAt: x.CreatedAt, ID: x.ID} },
		func(x referral.Referral) apiReferral { return apiReferralFrom(x, now) }))
}

// apiGetReferral: GET /api/v1/referrals/{id}.
func (s *Server) apiGetReferral(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Referral")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ref referral.Referral
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		ref, err = referral.Get(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiReferralFrom(ref, s.now()))
}

// apiAnswer is one checklist answer sent with a new referral.
type apiAnswer struct {
	QuestionID string `json:"question_id"`
	Answer     bool   `json:"answer"`
}

// apiReferralInput is the body of POST /api/v1/referrals.
type apiReferralInput struct {
	Direction           string      `json:"direction"`
	PartnerID           string      `json:"partner_id"`
	ClientCompany       string      `json:"client_company"`
	ClientDomain        string      `json:"client_domain"`
	ContactName         string      `json:"contact_name"`
	ContactEmail        string      `json:"contact_email"`
	ContactPhone        string      `json:"contact_phone"`
	Challenge           string      `json:"challenge"`
	Context             string      `json:"context"`
	PromisesMade        string      `json:"promises_made"`
	Urgency             string      `json:"urgency"`
	EstimatedValueCents *int64      `json:"estimated_value_cents"`
	ServiceID           string      `json:"service_id"`
	OwnerUserID         string      `json:"owner_user_id"`
	OriginatorUserID    string      `json:"originator_user_id"`
	Checklist           []apiAnswer `json:"checklist"`
}

// submitInput builds the domain's input, with a message per field that
// only the API can check (ids as strings, cents), named like the API's
// fields.
func (in apiReferralInput) submitInput(key string) (referral.SubmitInput, map[string]string) {
	errs := map[string]string{}
	out := referral.SubmitInput{Direction: in.Direction, ClientCompany: in.ClientCompany, ClientDomain: in.ClientDomain,
		ContactName: in.ContactName, ContactEmail: in.ContactEmail, ContactPhone: in.ContactPhone,
		Challenge: in.Challenge, Context: in.Context, PromisesMade: in.PromisesMade, Urgency: in.Urgency,
		IdempotencyKey: key, Source: "api"}
	if out.Direction == "" {
		out.Direction = "inbound"
	}
	if out.Direction != "inbound" && out.Direction != "outbound" {
		errs["direction"] = "Use inbound (the partner refers a client to us) or outbound (we refer a client to the partner)."
	}
	if in.PartnerID == "" {
		errs["partner_id"] = "Name the partner (its id)."
	} else if id, err := uuid.Parse(in.PartnerID); err != nil {
		errs["partner_id"] = "Use a partner's id (a UUID)."
	} else {
		out.PartnerID = id
	}
	if v := in.EstimatedValueCents; v != nil {
		if *v < 0 {
			errs["estimated_value_cents"] = "Use a whole number of cents, 0 or more."
		} else {
			out.EstimatedValue = commission.FormatDollars(*v)
		}
	}
	optID := func(field, v string) *uuid.UUID {
		if v == "" {
			return nil
		}
		id, err := uuid.Parse(v)
		if err != nil {
			errs[field] = "Use an id (a UUID) or leave it out."
			return nil
		}
		return &id
	}
	out.ServiceID = optID("service_id", in.ServiceID)
	out.OwnerUserID = optID("owner_user_id", in.OwnerUserID)
	out.OriginatorUserID = optID("originator_user_id", in.OriginatorUserID)
	if len(in.Checklist) > 0 {
		out.Answers = map[uuid.UUID]bool{}
		for i, a := range in.Checklist {
			id, err := uuid.Parse(a.QuestionID)
			if err != nil {
				errs["checklist["+strconv.Itoa(i)+"].question_id"] = "Use a question's id (a UUID)."
				continue
			}
			out.Answers[id] = a.Answer
		}
	}
	return out, errs
}

// apiReferralFields renames the domain's field errors to the API's fields:
// estimated_value is estimated_value_cents, a required checklist answer
// (q_<id>) is checklist.<id>, an engagement's fields are engagement.<field>.
func apiReferralFields(err error) error {
	fe := apperr.FieldErrors(err)
	if len(fe) == 0 {
		return err
	}
	out := make(map[string]string, len(fe))
	for k, v := range fe {
		switch {
		case k == "estimated_value":
			k = "estimated_value_cents"
		case k == "assists":
			k = "assisting_partner_ids"
		case strings.HasPrefix(k, "q_"):
			k = "checklist." + strings.TrimPrefix(k, "q_")
		case strings.HasPrefix(k, "engagement_"):
			k = "engagement." + apiEngagementField(strings.TrimPrefix(k, "engagement_"))
		case strings.HasPrefix(k, "engagement."):
			k = "engagement." + apiEngagementField(strings.TrimPrefix(k, "engagement."))
		}
		out[k] = v
	}
	return &apperr.Error{Code: apperr.EInvalid, Message: apperr.Message(err), Fields: out}
}

// apiEngagementField names an engagement field error like the API field.
func apiEngagementField(k string) string {
	switch k {
	case "value", "value_dollars":
		return "value_cents"
	case "start", "started", "start_date", "started_at":
		return "started_on"
	}
	return k
}

// apiSubmitReferral: POST /api/v1/referrals records a referral (201) as
// the portal and the staff app do: duplicates and attribution are
// checked, SLA due times stamped, and the acknowledgment (inbound) or the
// partner's notification (outbound) queued, all in one transaction. The
// Idempotency-Key is also the referral's own key, so even requests racing
// past each other make one referral. Needs ManagePartners.
func (s *Server) apiSubmitReferral(w http.ResponseWriter, r *http.Request) {
	var in apiReferralInput
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		si, errs := in.submitInput(referralKey(key))
		// Submit checks the rest, the partner being the firm's included
		// (422 on partner_id); it runs even when the API's own checks
		// failed, so that every field's message comes back at once, and
		// is then rolled back.
		ref, created, err := referral.Submit(ctx, tx, s.apiReferralNotifier(), ac.Tenant.ID, si)
		if err != nil || len(errs) > 0 {
			return 0, nil, withFields(apiReferralFields(err), errs)
		}
		if !created {
			// The key already made this referral (its stored response has
			// expired): answer it again, changing nothing.
			return http.StatusOK, apiReferralFrom(ref, s.now()), nil
		}
		// Submit records the audit entry (the token is the actor).
		return http.StatusCreated, apiReferralFrom(ref, s.now()), nil
	})
}

// referralKey is the referral's own idempotency key for an API key: the
// key itself, or for a key longer than a referral stores (the API allows
// 255 characters) its SHA-256, which is as unique.
func referralKey(key string) string {
	if len(key) <= 200 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// apiResolveReferral finds the {id} referral in the token's firm, so that
// another firm's id answers 404 before any body is read.
func (s *Server) apiResolveReferral(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := apiID(r, "id", "Referral")
	if err == nil {
		err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
			_, err := referral.Get(r.Context(), tx, ac.Tenant.ID, id)
			return err
		})
	}
	if err != nil {
		s.fail(w, r, err)
		return uuid.Nil, false
	}
	return id, true
}

// apiUpdateReferral: PATCH /api/v1/referrals/{id} changes what may change
// after submission: who owns and originated it inside the firm
// (owner_user_id, originator_user_id), the assisting partners, the
// working facts (challenge, context, promises_made, urgency,
// estimated_value_cents), and on a closed referral the fit feedback (fit,
// fit_note; the partner sees it). The client, the contact and the partner
// are what duplicates and attribution were decided on, so they don't
// change here; the status changes through /transitions. Everything or
// nothing is saved. Needs ManagePartners.
func (s *Server) apiUpdateReferral(w http.ResponseWriter, r *http.Request) {
	id, ok := s.apiResolveReferral(w, r)
	if !ok {
		return
	}
	f := patchFields{errs: map[string]string{}}
	if _, ok := s.readJSON(w, r, &f.raw); !ok {
		return
	}
	ctx := r.Context()
	var ref referral.Referral
	err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		before, err := referral.Get(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		owner, originator := before.OwnerUserID, before.OriginatorUserID
		f.id("owner_user_id", &owner)
		f.id("originator_user_id", &originator)
		facts := referralFactsOf(before)
		f.str("challenge", false, &facts.Challenge)
		f.str("context", false, &facts.Context)
		f.str("promises_made", false, &facts.PromisesMade)
		f.str("urgency", false, &facts.Urgency)
		f.cents("estimated_value_cents", &facts.EstimatedValueCents)
		fit, fitNote := before.Fit, before.FitNote
		f.str("fit", false, &fit)
		f.str("fit_note", false, &fitNote)
		var assists []uuid.UUID
		f.ids("assisting_partner_ids", &assists)
		facts = facts.trimmed()
		for k, v := range facts.check() {
			if f.errs[k] == "" {
				f.errs[k] = v
			}
		}
		if len(f.errs) > 0 {
			return apperr.Invalid(f.errs)
		}
		// Owner, assists and fit go through the domain, which records their
		// timeline events and audit entries; the facts are audited here.
		if idString(owner) != idString(before.OwnerUserID) || idString(originator) != idString(before.OriginatorUserID) {
			if err := referral.SetOwner(ctx, tx, ac.Tenant.ID, id, owner, originator, uuid.Nil); err != nil {
				return apiReferralFields(err)
			}
		}
		changed, err := updateReferralFacts(ctx, tx, ac.Tenant.ID, before, facts)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			if err := audit.Record(ctx, tx, ac.Tenant.ID, "referral.updated", "referral", id.String(),
				map[string]any{"number": before.Number, "changed": changed}); err != nil {
				return err
			}
		}
		if f.has("assisting_partner_ids") && !sameIDs(assists, before.Assists) {
			if err := referral.SetAssists(ctx, tx, ac.Tenant.ID, id, assists, uuid.Nil); err != nil {
				return apiReferralFields(err)
			}
		}
		if (f.has("fit") || f.has("fit_note")) && (fit != before.Fit || fitNote != before.FitNote) {
			if err := referral.SetFit(ctx, tx, s.apiReferralNotifier(), ac.Tenant.ID, id, fit, fitNote, uuid.Nil); err != nil {
				return apiReferralFields(err)
			}
		}
		ref, err = referral.Get(ctx, tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiReferralFrom(ref, s.now()))
}

// sameIDs reports whether ids are exactly the assisting partners.
func sameIDs(ids []uuid.UUID, assists []referral.Assist) bool {
	if len(ids) != len(assists) {
		return false
	}
	for _, a := range assists {
		if !slices.Contains(ids, a.PartnerID) {
			return false
		}
	}
	return true
}

// cents sets *dst from an integer of cents, 0 or more, or null.
func (f *patchFields) cents(k string, dst **int64) {
	if !f.has(k) {
		return
	}
	if f.isNull(k) {
		*dst = nil
		return
	}
	n, err := strconv.ParseInt(string(f.raw[k]), 10, 64)
	if err != nil || n < 0 {
		f.errs[k] = "Expected a whole number of cents, 0 or more, or null."
		return
	}
	*dst = &n
}

// ids sets *dst from an array of UUID strings (null empties it).
func (f *patchFields) ids(k string, dst *[]uuid.UUID) {
	var v []string
	f.list(k, &v)
	if !f.has(k) || f.errs[k] != "" {
		return
	}
	out := make([]uuid.UUID, 0, len(v))
	for _, s := range v {
		id, err := uuid.Parse(s)
		if err != nil {
			f.errs[k] = "Expected an array of ids (UUIDs)."
			return
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	*dst = out
}

// referralFacts are the working facts of a referral the API may change.
type referralFacts struct {
	Challenge, Context, PromisesMade, Urgency string
	EstimatedValueCents                       *int64
}

func referralFactsOf(r referral.Referral) referralFacts {
	return referralFacts{Challenge: r.Challenge, Context: r.Context, PromisesMade: r.PromisesMade,
		Urgency: r.Urgency, EstimatedValueCents: r.EstimatedValueCents}
}

// referralUrgencies are the urgency levels of a referral (the schema's CHECK).
var referralUrgencies = []string{"low", "normal", "high", "urgent"}

// trimmed is f with its texts trimmed.
func (f referralFacts) trimmed() referralFacts {
	f.Challenge, f.Context, f.PromisesMade = strings.TrimSpace(f.Challenge), strings.TrimSpace(f.Context), strings.TrimSpace(f.PromisesMade)
	return f
}

// check returns a message per invalid fact (the schema's limits).
func (f referralFacts) check() map[string]string {
	errs := map[string]string{}
	if len([]rune(f.Challenge)) > 5000 {
		errs["challenge"] = "Keep the challenge to 5000 characters."
	}
	if len([]rune(f.Context)) > 5000 {
		errs["context"] = "Keep the context to 5000 characters."
	}
	if len([]rune(f.PromisesMade)) > 2000 {
		errs["promises_made"] = "Keep the promises made to 2000 characters."
	}
	if !slices.Contains(referralUrgencies, f.Urgency) {
		errs["urgency"] = "Use one of: " + strings.Join(referralUrgencies, ", ") + "."
	}
	if f.EstimatedValueCents != nil && *f.EstimatedValueCents < 0 {
		errs["estimated_value_cents"] = "Use a whole number of cents, 0 or more."
	}
	return errs
}

// updateReferralFacts saves the facts that differ from the referral's and
// notes the change on its internal timeline; it returns the API names of
// the fields changed. EInvalid with a message per field.
func updateReferralFacts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, before referral.Referral, f referralFacts) ([]string, error) {
	f = f.trimmed()
	if errs := f.check(); len(errs) > 0 {
		return nil, apperr.Invalid(errs)
	}
	b := referralFactsOf(before)
	var changed []string
	if f.Challenge != b.Challenge {
		changed = append(changed, "challenge")
	}
	if f.Context != b.Context {
		changed = append(changed, "context")
	}
	if f.PromisesMade != b.PromisesMade {
		changed = append(changed, "promises_made")
	}
	if f.Urgency != b.Urgency {
		changed = append(changed, "urgency")
	}
	if (f.EstimatedValueCents == nil) != (b.EstimatedValueCents == nil) ||
		(f.EstimatedValueCents != nil && *f.EstimatedValueCents != *b.EstimatedValueCents) {
		changed = append(changed, "estimated_value_cents")
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET challenge = $3, context = $4, promises_made = $5, urgency = $6,
		estimated_value_cents = $7, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
		tenantID, before.ID, f.Challenge, f.Context, f.PromisesMade, f.Urgency, f.EstimatedValueCents); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO referral_events (tenant_id, referral_id, partner_id, actor_kind, kind, body)
		VALUES ($1, $2, $3, 'api', 'note', $4)`, tenantID, before.ID, before.PartnerID,
		"Changed through the API: "+strings.ReplaceAll(strings.Join(changed, ", "), "_", " ")+"."); err != nil {
		return nil, err
	}
	return changed, nil
}

// apiEngagementInput is an engagement as the API takes it.
type apiEngagementInput struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	ValueCents *int64 `json:"value_cents"`
	StartedOn  string `json:"started_on"`
	Scope      string `json:"scope"`
}

// domain builds the domain's input. The API takes cents where the domain
// takes dollars as typed: a missing or negative value is reported in errs
// (named prefix + value_cents) in the API's words, and the callers still
// run the domain's checks so that every field's message comes back at once.
func (in apiEngagementInput) domain(prefix string, errs map[string]string) referral.EngagementInput {
	out := referral.EngagementInput{Kind: in.Kind, Name: in.Name, Scope: in.Scope, StartedOn: in.StartedOn}
	switch v := in.ValueCents; {
	case v == nil:
		errs[prefix+"value_cents"] = "Give the engagement's value in cents."
	case *v < 0:
		errs[prefix+"value_cents"] = "Use a whole number of cents, 0 or more."
		out.Value = "-" + commission.FormatDollars(-*v)
	default:
		out.Value = commission.FormatDollars(*v)
	}
	return out
}

// withFields returns EInvalid with the field errors of err (when it has
// any) and errs, errs winning; err itself when errs is empty.
func withFields(err error, errs map[string]string) error {
	if len(errs) == 0 {
		return err
	}
	out := map[string]string{}
	maps.Copy(out, apperr.FieldErrors(err))
	maps.Copy(out, errs)
	return apperr.Invalid(out)
}

// apiTransitionInput is the body of POST /api/v1/referrals/{id}/transitions.
type apiTransitionInput struct {
	To             string              `json:"to"`
	Reason         string              `json:"reason"`
	NoteForPartner string              `json:"note_for_partner"`
	NoteInternal   string              `json:"note_internal"`
	Engagement     *apiEngagementInput `json:"engagement"`
}

// apiTransitionReferral: POST /api/v1/referrals/{id}/transitions moves the
// referral along the pipeline and tells the partner (200 with the
// referral). An illegal move answers 422 on `to`, naming the moves
// allowed; lost and declined need `reason` and `note_for_partner`; won
// needs `engagement`, which is created. Honours Idempotency-Key, so a
// retried move answers the first result instead of an illegal move.
// Needs ManagePartners.
func (s *Server) apiTransitionReferral(w http.ResponseWriter, r *http.Request) {
	id, ok := s.apiResolveReferral(w, r)
	if !ok {
		return
	}
	var in apiTransitionInput
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		before, err := referral.Get(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return 0, nil, err
		}
		ti := referral.TransitionInput{To: in.To, Reason: in.Reason, NoteForPartner: in.NoteForPartner,
			NoteInternal: in.NoteInternal, ActorKind: "api"}
		errs := map[string]string{}
		if in.To == "" {
			errs["to"] = "Name the stage to move to: one of " + strings.Join(referral.Moves(before.Status), ", ") + "."
		}
		if in.Engagement != nil {
			e := in.Engagement.domain("engagement.", errs)
			ti.Engagement = &e
		}
		ref, err := referral.Transition(ctx, tx, s.apiReferralNotifier(), ac.Tenant.ID, id, ti)
		if err != nil || len(errs) > 0 {
			return 0, nil, withFields(apiReferralFields(err), errs) // a refused move rolls back
		}
		// Transition records the audit entry; Get loads the assists too.
		if ref, err = referral.Get(ctx, tx, ac.Tenant.ID, ref.ID); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, apiReferralFrom(ref, s.now()), nil
	})
}

// apiEngagement is an engagement in the API (the Engagement schema).
type apiEngagement struct {
	ID             uuid.UUID  `json:"id"`
	ReferralID     uuid.UUID  `json:"referral_id"`
	ReferralNumber int64      `json:"referral_number"`
	PartnerID      uuid.UUID  `json:"partner_id"`
	ClientID       *uuid.UUID `json:"client_id"`
	ClientCompany  string     `json:"client_company"`
	Kind           string     `json:"kind"`
	Name           string     `json:"name"`
	Scope          string     `json:"scope"`
	ValueCents     int64      `json:"value_cents"`
	Currency       string     `json:"currency"`
	StartedOn      string     `json:"started_on"`
	EndedOn        *string    `json:"ended_on"`
	CreatedAt      time.Time  `json:"created_at"`
}

func apiEngagementFrom(e referral.Engagement) apiEngagement {
	out := apiEngagement{ID: e.ID, ReferralID: e.ReferralID, ReferralNumber: e.ReferralNumber, PartnerID: e.PartnerID,
		ClientID: e.ClientID, ClientCompany: e.ClientCompany, Kind: e.Kind, Name: e.Name, Scope: e.Scope,
		ValueCents: e.ValueCents, Currency: e.Currency, StartedOn: e.StartedOn.Format(time.DateOnly), CreatedAt: e.CreatedAt.UTC()}
	if out.Currency == "" {
		out.Currency = "USD"
	}
	if e.EndedOn != nil {
		d := e.EndedOn.Format(time.DateOnly)
		out.EndedOn = &d
	}
	return out
}

// apiListEngagements: GET /api/v1/engagements, a page of the firm's
// engagements oldest first, filtered by referral_id or partner_id. Any
// role.
func (s *Server) apiListEngagements(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	errs := map[string]string{}
	optID := func(k string) *uuid.UUID {
		v := q.Get(k)
		if v == "" {
			return nil
		}
		id, err := uuid.Parse(v)
		if err != nil {
			errs[k] = "Use an id (a UUID)."
			return nil
		}
		return &id
	}
	referralID, partnerID := optID("referral_id"), optID("partner_id")
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	ctx := r.Context()
	var es []referral.Engagement
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		ids, err := apiEngagementPage(ctx, tx, ac.Tenant.ID, referralID, partnerID, after, limit+1)
		if err != nil {
			return err
		}
		es, err = referral.GetEngagements(ctx, tx, ac.Tenant.ID, ids)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(es, limit,
		func(e referral.Engagement) pagePos { return pagePos{CreatedAt: e.CreatedAt, ID: e.ID} }, apiEngagementFrom))
}

// apiEngagementPage returns the ids of up to limit engagements after the
// cursor in the API's (created_at, id) order, so that a client syncing
// them sees new ones at the end. (referral.ListEngagements pages by start
// date, newest first, for the staff app.)
func apiEngagementPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, referralID, partnerID *uuid.UUID, after pagePos, limit int) ([]uuid.UUID, error) {
	var afterID *uuid.UUID
	if after.ID != uuid.Nil {
		afterID = &after.ID
	}
	rows, err := q.Query(ctx, `SELECT id FROM engagements WHERE tenant_id = $1
		AND ($2::uuid IS NULL OR referral_id = $2) AND ($3::uuid IS NULL OR partner_id = $3)
		AND ($4::uuid IS NULL OR (created_at, id) > ($5, $4))
		ORDER BY created_at, id LIMIT $6`, tenantID, referralID, partnerID, afterID, after.CreatedAt, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// apiGetEngagement: GET /api/v1/engagements/{id}.
func (s *Server) apiGetEngagement(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Engagement")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var e referral.Engagement
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		e, err = referral.GetEngagement(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiEngagementFrom(e))
}

// apiEngagementCreate is the body of POST /api/v1/engagements.
type apiEngagementCreate struct {
	ReferralID string `json:"referral_id"`
	apiEngagementInput
}

// apiCreateEngagement: POST /api/v1/engagements records another engagement
// (a follow-on project, a retainer) of a won referral (201); the first one
// is made by the move to won. Needs ManagePartners; honours
// Idempotency-Key.
func (s *Server) apiCreateEngagement(w http.ResponseWriter, r *http.Request) {
	var in apiEngagementCreate
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		errs := map[string]string{}
		ei := in.domain("", errs)
		refID, err := uuid.Parse(in.ReferralID)
		if err != nil {
			errs["referral_id"] = "Name the won referral (its id)."
		} else if _, err := referral.Get(ctx, tx, ac.Tenant.ID, refID); apperr.Code(err) == apperr.ENotFound {
			errs["referral_id"] = "There is no referral with this id in your firm."
		} else if err != nil {
			return 0, nil, err
		}
		if errs["referral_id"] != "" {
			return 0, nil, apperr.Invalid(errs)
		}
		e, err := referral.CreateEngagement(ctx, tx, ac.Tenant.ID, refID, ei, uuid.Nil)
		if err != nil || len(errs) > 0 {
			return 0, nil, withFields(apiEngagementFields(err), errs) // a refused create rolls back
		}
		return http.StatusCreated, apiEngagementFrom(e), nil
	})
}

// apiEngagementFields renames the domain's engagement field errors to the
// API's fields.
func apiEngagementFields(err error) error {
	fe := apperr.FieldErrors(err)
	if len(fe) == 0 {
		return err
	}
	out := make(map[string]string, len(fe))
	for k, v := range fe {
		k = strings.TrimPrefix(strings.TrimPrefix(k, "engagement_"), "engagement.")
		out[apiEngagementField(k)] = v
	}
	return &apperr.Error{Code: apperr.EInvalid, Message: apperr.Message(err), Fields: out}
}
