package server

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/referral"
)

// apiPayoutRoutes: /payouts — one partner's part of a payout batch. A POST
// pays one partner (a batch of one); PATCH marks a payout paid or cancels
// it. Reads: any role; writes: ManageMoney.
func (s *Server) apiPayoutRoutes(r chi.Router) {
	r.Route("/payouts", func(r chi.Router) {
		r.Get("/", s.apiListPayouts)
		r.With(s.apiRequire(auth.ManageMoney)).Post("/", s.apiCreatePayout)
		r.Get("/{id}", s.apiGetPayout)
		r.With(s.apiRequire(auth.ManageMoney)).Patch("/{id}", s.apiUpdatePayout)
	})
}

// apiPayout is a payout in the API (the Payout schema).
type apiPayout struct {
	ID          uuid.UUID `json:"id"`
	BatchID     uuid.UUID `json:"batch_id"`
	BatchNumber int32     `json:"batch_number"`
	PartnerID   uuid.UUID `json:"partner_id"`
	Direction   string    `json:"direction"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	PaidOn      *string   `json:"paid_on"`
	Reference   *string   `json:"reference"`
	Entries     int       `json:"entries"`
	CreatedAt   time.Time `json:"created_at"`
}

func apiPayoutFrom(p ledger.Payout) apiPayout {
	out := apiPayout{ID: p.ID, BatchID: p.BatchID, BatchNumber: p.BatchNumber, PartnerID: p.PartnerID, Direction: string(p.Direction),
		AmountCents: p.AmountCents, Currency: p.Currency, Status: p.Status, Reference: p.Reference, Entries: p.Entries,
		CreatedAt: p.CreatedAt}
	if p.PaidOn != nil {
		d := p.PaidOn.Format(time.DateOnly)
		out.PaidOn = &d
	}
	return out
}

// apiFirmToday is the firm's today (its time zone) as a date at UTC midnight.
func (s *Server) apiFirmToday(ctx context.Context, q db.Querier, tenantID uuid.UUID) (time.Time, error) {
	set, err := referral.GetSettings(ctx, q, tenantID)
	if err != nil {
		return time.Time{}, err
	}
	y, m, d := s.now().In(set.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

func (s *Server) apiListPayouts(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	f := ledger.PayoutFilter{PartnerID: apiOptID(r, "partner_id", errs), BatchID: apiOptID(r, "batch_id", errs),
		Status: r.URL.Query().Get("status")}
	switch f.Status {
	case "", ledger.PayoutPending, ledger.PayoutPaid, ledger.PayoutCancelled:
	default:
		errs["status"] = "Use pending, paid or cancelled."
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var ps []ledger.Payout
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		ps, err = ledger.ListPayouts(r.Context(), tx, ac.Tenant.ID, f, ledger.PagePos(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(ps, limit,
		func(p ledger.Payout) pagePos { return pagePos{CreatedAt: p.CreatedAt, ID: p.ID} }, apiPayoutFrom))
}

func (s *Server) apiGetPayout(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Payout")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p ledger.Payout
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		p, err = ledger.GetPayout(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiPayoutFrom(p))
}

var apiCurrencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// apiPayoutCreate is the body of POST /api/v1/payouts.
type apiPayoutCreate struct {
	PartnerID string `json:"partner_id"`
	UpTo      string `json:"up_to"`
	Direction string `json:"direction"`
	Currency  string `json:"currency"`
	Note      string `json:"note"`
}

// apiCreatePayout pays one partner what is approved and due up to a date
// (default: the firm's today): a batch of one payout, answered 201 with
// the payout. Nothing payable (or below the firm's minimum) is a 422 that
// says why.
func (s *Server) apiCreatePayout(w http.ResponseWriter, r *http.Request) {
	var in apiPayoutCreate
	raw, ok := s.readJSON(w, r, &in)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		errs := map[string]string{}
		partnerID, err := uuid.Parse(in.PartnerID)
		if err != nil {
			errs["partner_id"] = "Name the partner (its id)."
		}
		today, err := s.apiFirmToday(ctx, tx, ac.Tenant.ID)
		if err != nil {
			return 0, nil, err
		}
		upTo := today
		if in.UpTo != "" {
			if upTo, err = time.Parse(time.DateOnly, in.UpTo); err != nil {
				errs["up_to"] = "Use a date such as " + today.Format(time.DateOnly) + "."
			}
		}
		run := ledger.PayoutRun{Direction: commission.Direction(in.Direction), Currency: strings.TrimSpace(in.Currency), UpTo: upTo,
			PartnerIDs: []uuid.UUID{partnerID}, Note: in.Note, Outbox: s.Outbox, BaseURL: s.Config.BaseURL}
		if run.Direction == "" {
			run.Direction = commission.WePay
		}
		if run.Currency == "" {
			run.Currency = "USD"
		}
		if run.Direction != commission.WePay && run.Direction != commission.WeReceive {
			errs["direction"] = "Use we_pay or we_receive."
		}
		if !apiCurrencyRE.MatchString(run.Currency) {
			errs["currency"] = "Use a 3-letter currency code such as USD."
		}
		if len(errs) > 0 {
			return 0, nil, apperr.Invalid(errs)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partners WHERE tenant_id = $1 AND id = $2)`,
			ac.Tenant.ID, partnerID).Scan(&exists); err != nil {
			return 0, nil, err
		}
		if !exists {
			return 0, nil, apperr.Invalid(map[string]string{"partner_id": "There is no partner with this id in your firm."})
		}
		b, err := ledger.CreateBatch(ctx, tx, ac.Tenant.ID, run, uuid.Nil)
		if errors.Is(err, ledger.ErrNothingToPay) {
			return 0, nil, &apperr.Error{Code: apperr.EInvalid, Message: apperr.Message(err),
				Fields: map[string]string{"partner_id": apperr.Message(err)}}
		}
		if err != nil {
			return 0, nil, err
		}
		ps, err := ledger.BatchPayouts(ctx, tx, ac.Tenant.ID, b.ID)
		if err != nil {
			return 0, nil, err
		}
		if len(ps) != 1 {
			return 0, nil, apperr.Internal(errors.New("api: a one-partner batch without exactly one payout"))
		}
		return http.StatusCreated, apiPayoutFrom(ps[0]), nil
	})
}

// apiPayoutUpdate is the body of PATCH /api/v1/payouts/{id}.
type apiPayoutUpdate struct {
	Status    string `json:"status"`
	PaidOn    string `json:"paid_on"`
	Reference string `json:"reference"`
	Reason    string `json:"reason"`
}

// apiUpdatePayout marks a pending payout paid ({"status":"paid",
// "paid_on", "reference"}: one payout entry, the partner emailed) or
// cancels it ({"status":"cancelled","reason"}: its entries are payable
// again; the batch's other payouts stay). A paid or cancelled payout is
// 409. Another firm's id is 404 whatever the body.
func (s *Server) apiUpdatePayout(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Payout")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		_, err := ledger.GetPayout(ctx, tx, ac.Tenant.ID, id)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	var in apiPayoutUpdate
	if _, ok := s.readJSON(w, r, &in); !ok {
		return
	}
	var p ledger.Payout
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		switch in.Status {
		case ledger.PayoutPaid:
			today, err := s.apiFirmToday(ctx, tx, ac.Tenant.ID)
			if err != nil {
				return err
			}
			paidOn := today
			if in.PaidOn != "" {
				if paidOn, err = time.Parse(time.DateOnly, in.PaidOn); err != nil {
					return apperr.Invalid(map[string]string{"paid_on": "Use a date such as " + today.Format(time.DateOnly) + "."})
				}
			}
			p, err = ledger.MarkPayoutPaid(ctx, tx, ac.Tenant.ID, id, ledger.PaidInput{PaidOn: paidOn, Reference: in.Reference,
				Today: today, Outbox: s.Outbox, BaseURL: s.Config.BaseURL})
			return err
		case ledger.PayoutCancelled:
			p, err = ledger.CancelPayout(ctx, tx, ac.Tenant.ID, id, in.Reason, uuid.Nil)
			return err
		default:
			return apperr.Invalid(map[string]string{"status": "Use paid (with paid_on and reference) or cancelled (with reason)."})
		}
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiPayoutFrom(p))
}
