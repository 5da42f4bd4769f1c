package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
)

// apiLedgerRoutes: /revenue-events (client payments; a create accrues in
// the same transaction) and /commission-entries (the ledger).
func (s *Server) apiLedgerRoutes(r chi.Router) {
	r.Route("/revenue-events", func(r chi.Router) {
		r.Get("/", s.apiListRevenueEvents)
		r.With(s.apiRequire(auth.ManageMoney)).Post("/", s.apiCreateRevenueEvent)
	})
	r.Get("/commission-entries", s.apiListCommissionEntries)
}

// apiRevenueEvent is a revenue event in the API (the RevenueEvent schema).
type apiRevenueEvent struct {
	ID            uuid.UUID  `json:"id"`
	EngagementID  uuid.UUID  `json:"engagement_id"`
	ReferralID    uuid.UUID  `json:"referral_id"`
	PartnerID     uuid.UUID  `json:"partner_id"`
	AmountCents   int64      `json:"amount_cents"`
	Currency      string     `json:"currency"`
	PaidOn        string     `json:"paid_on"`
	RefundOfID    *uuid.UUID `json:"refund_of_id"`
	ExternalRef   *string    `json:"external_ref"`
	Note          string     `json:"note"`
	Source        string     `json:"source"`
	AccrualStatus string     `json:"accrual_status"`
	AccrualNote   string     `json:"accrual_note"`
	CreatedAt     time.Time  `json:"created_at"`
}

func apiRevenueEventFrom(e ledger.RevenueEvent) apiRevenueEvent {
	return apiRevenueEvent{ID: e.ID, EngagementID: e.EngagementID, ReferralID: e.ReferralID, PartnerID: e.PartnerID,
		AmountCents: e.AmountCents, Currency: e.Currency, PaidOn: e.PaidOn.Format(time.DateOnly), RefundOfID: e.RefundOfID,
		ExternalRef: e.ExternalRef, Note: e.Note, Source: e.Source, AccrualStatus: e.AccrualStatus, AccrualNote: e.AccrualNote,
		CreatedAt: e.CreatedAt}
}

// apiCommissionEntry is a ledger entry in the API (the CommissionEntry schema).
type apiCommissionEntry struct {
	ID             uuid.UUID  `json:"id"`
	PartnerID      uuid.UUID  `json:"partner_id"`
	ReferralID     *uuid.UUID `json:"referral_id"`
	RevenueEventID *uuid.UUID `json:"revenue_event_id"`
	AgreementID    *uuid.UUID `json:"agreement_id"`
	Kind           string     `json:"kind"`
	Direction      string     `json:"direction"`
	AmountCents    int64      `json:"amount_cents"`
	Currency       string     `json:"currency"`
	DueOn          *string    `json:"due_on"`
	Status         string     `json:"status"`
	Explanation    string     `json:"explanation"`
	Reason         string     `json:"reason"`
	ReviewStatus   *string    `json:"review_status"`
	PayoutID       *uuid.UUID `json:"payout_id"`
	CreatedAt      time.Time  `json:"created_at"`
}

// apiCommissionEntryFrom renders an entry with its review and payment
// state: review_status is null where no review applies (deductions,
// payouts, what partners owe us); payout_id names the payout that settles
// (or, for a payout entry, that is) it; status is paid once that payout is.
func apiCommissionEntryFrom(e ledger.Entry, st ledger.EntryState, today time.Time) apiCommissionEntry {
	out := apiCommissionEntry{ID: e.ID, PartnerID: e.PartnerID, ReferralID: e.ReferralID, RevenueEventID: e.RevenueEventID,
		AgreementID: e.AgreementID, Kind: e.Kind, Direction: string(e.Direction), AmountCents: e.AmountCents, Currency: e.Currency,
		Status: ledger.EntryStatusOf(e, st, today), Explanation: e.Explanation, Reason: e.Reason, PayoutID: st.PayoutID,
		CreatedAt: e.CreatedAt}
	if st.Review != "" {
		out.ReviewStatus = &st.Review
	}
	if e.DueOn != nil {
		d := e.DueOn.Format(time.DateOnly)
		out.DueOn = &d
	}
	return out
}

// apiOptID reads an optional UUID query parameter into errs.
func apiOptID(r *http.Request, k string, errs map[string]string) *uuid.UUID {
	v := r.URL.Query().Get(k)
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

func (s *Server) apiListRevenueEvents(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	f := ledger.RevenueFilter{EngagementID: apiOptID(r, "engagement_id", errs), ReferralID: apiOptID(r, "referral_id", errs),
		PartnerID: apiOptID(r, "partner_id", errs), ExternalRef: r.URL.Query().Get("external_ref")}
	if len(f.ExternalRef) > 200 {
		errs["external_ref"] = "Use at most 200 characters."
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var evs []ledger.RevenueEvent
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		evs, err = ledger.ListRevenueWhere(r.Context(), tx, ac.Tenant.ID, f, ledger.PagePos(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(evs, limit,
		func(e ledger.RevenueEvent) pagePos { return pagePos{CreatedAt: e.CreatedAt, ID: e.ID} }, apiRevenueEventFrom))
}

func (s *Server) apiListCommissionEntries(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	q := r.URL.Query()
	f := ledger.EntryFilter{PartnerID: apiOptID(r, "partner_id", errs), ReferralID: apiOptID(r, "referral_id", errs),
		RevenueEventID: apiOptID(r, "revenue_event_id", errs), Kind: q.Get("kind"), Direction: q.Get("direction")}
	switch f.Kind {
	case "", "accrual", "reversal", "adjustment", "payout":
	default:
		errs["kind"] = "Use accrual, reversal, adjustment or payout."
	}
	switch f.Direction {
	case "", "we_pay", "we_receive":
	default:
		errs["direction"] = "Use we_pay or we_receive."
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var es []ledger.Entry
	var states map[uuid.UUID]ledger.EntryState
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		if es, err = ledger.ListEntriesWhere(r.Context(), tx, ac.Tenant.ID, f, ledger.PagePos(after), limit+1); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		states, err = ledger.EntryReviews(r.Context(), tx, ac.Tenant.ID, ids)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	today := s.now()
	s.writeJSON(w, http.StatusOK, newPage(es, limit,
		func(e ledger.Entry) pagePos { return pagePos{CreatedAt: e.CreatedAt, ID: e.ID} },
		func(e ledger.Entry) apiCommissionEntry { return apiCommissionEntryFrom(e, states[e.ID], today) }))
}

// apiRevenueEventCreate is the body of POST /api/v1/revenue-events.
type apiRevenueEventCreate struct {
	EngagementID string `json:"engagement_id"`
	AmountCents  int64  `json:"amount_cents"`
	Currency     string `json:"currency"`
	PaidOn       string `json:"paid_on"`
	RefundOfID   string `json:"refund_of_id"`
	ExternalRef  string `json:"external_ref"`
	Note         string `json:"note"`
}

// apiCreateRevenueEvent records a client payment and accrues it in the
// same transaction; the answer shows the accrual status.
func (s *Server) apiCreateRevenueEvent(w http.ResponseWriter, r *http.Request) {
	var in apiRevenueEventCreate
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		errs := map[string]string{}
		engID, err := uuid.Parse(in.EngagementID)
		if err != nil {
			errs["engagement_id"] = "Name the engagement (its id)."
		}
		var paid time.Time
		if in.PaidOn == "" {
			errs["paid_on"] = "Required."
		} else if paid, err = time.Parse(time.DateOnly, in.PaidOn); err != nil {
			errs["paid_on"] = "Use a date such as 2026-11-27."
		}
		var refundOf uuid.UUID
		if in.RefundOfID != "" {
			if refundOf, err = uuid.Parse(in.RefundOfID); err != nil {
				errs["refund_of_id"] = "Use the id of the refunded payment."
			}
		}
		if in.AmountCents == 0 {
			errs["amount_cents"] = "Must not be zero (negative for a refund or credit note)."
		}
		if len(errs) > 0 {
			return 0, nil, apperr.Invalid(errs)
		}
		ev, err := ledger.RecordRevenue(ctx, tx, ac.Tenant.ID, ledger.RevenueInput{EngagementID: engID, AmountCents: in.AmountCents,
			Currency: in.Currency, PaidOn: paid, RefundOfID: refundOf, ExternalRef: in.ExternalRef, Note: in.Note,
			Source: ledger.SourceAPI, Today: s.now()})
		if apperr.Code(err) == apperr.ENotFound {
			field, msg := "engagement_id", "There is no engagement with this id in your firm."
			if apperr.Message(err) != apperr.Message(apperr.NotFound("Engagement")) {
				field, msg = "refund_of_id", "There is no payment with this id in your firm."
			}
			return 0, nil, apperr.Invalid(map[string]string{field: msg})
		}
		if err != nil {
			return 0, nil, err
		}
		if _, err := ledger.Accrue(ctx, tx, ac.Tenant.ID, ev.ID, s.now()); err != nil {
			return 0, nil, err
		}
		if ev, err = ledger.GetRevenue(ctx, tx, ac.Tenant.ID, ev.ID); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, apiRevenueEventFrom(ev), nil
	})
}
