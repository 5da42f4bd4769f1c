package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
)

// apiAlertRoutes: /alerts (read by any role) and /program-inputs/{quarter}
// (read by any role, written by roles that manage money).
func (s *Server) apiAlertRoutes(r chi.Router) {
	r.Get("/alerts", s.apiListAlerts)
	r.Get("/program-inputs/{quarter}", s.apiGetProgramInputs)
	r.With(s.apiRequire(auth.ManageMoney)).Put("/program-inputs/{quarter}", s.apiPutProgramInputs)
}

// apiAlert is an alert in the API (the Alert schema).
type apiAlert struct {
	ID         uuid.UUID      `json:"id"`
	Kind       string         `json:"kind"`
	PartnerID  *uuid.UUID     `json:"partner_id"`
	Message    string         `json:"message"`
	Details    map[string]any `json:"details"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	ResolvedAt *time.Time     `json:"resolved_at"`
}

func apiAlertFrom(a alert.Alert) apiAlert {
	d := a.Details
	if d == nil {
		d = map[string]any{}
	}
	return apiAlert{ID: a.ID, Kind: a.Kind, PartnerID: a.PartnerID, Message: a.Message, Details: d,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, ResolvedAt: a.ResolvedAt}
}

// apiListAlerts pages the firm's alerts oldest first; filters kind,
// partner_id and resolved (true: resolved only; false: open only).
func (s *Server) apiListAlerts(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := map[string]string{}
	f := alert.Filter{Kind: r.URL.Query().Get("kind"), PartnerID: apiOptID(r, "partner_id", errs)}
	if f.Kind != "" && !alert.ValidKind(f.Kind) {
		errs["kind"] = "Use one of " + strings.Join(alert.Kinds, ", ") + "."
	}
	switch v := r.URL.Query().Get("resolved"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.Resolved = &b
	default:
		errs["resolved"] = "Use true or false."
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var as []alert.Alert
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		as, err = alert.List(r.Context(), tx, ac.Tenant.ID, f, alert.PagePos(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(as, limit,
		func(a alert.Alert) pagePos { return pagePos{CreatedAt: a.CreatedAt, ID: a.ID} }, apiAlertFrom))
}

// apiProgramInputs is a quarter's program inputs (the ProgramInputs schema).
type apiProgramInputs struct {
	Quarter              string     `json:"quarter"`
	Currency             string     `json:"currency"`
	TotalNewRevenueCents int64      `json:"total_new_revenue_cents"`
	ManagementCostCents  int64      `json:"management_cost_cents"`
	MarketingCostCents   int64      `json:"marketing_cost_cents"`
	SystemsCostCents     int64      `json:"systems_cost_cents"`
	OtherCostCents       int64      `json:"other_cost_cents"`
	UpdatedAt            *time.Time `json:"updated_at"`
}

func apiProgramInputsFrom(in program.QuarterInputs) apiProgramInputs {
	return apiProgramInputs{Quarter: in.Quarter.String(), Currency: "USD", TotalNewRevenueCents: in.TotalNewRevenueCents,
		ManagementCostCents: in.ManagementCostCents, MarketingCostCents: in.MarketingCostCents,
		SystemsCostCents: in.SystemsCostCents, OtherCostCents: in.OtherCostCents, UpdatedAt: in.UpdatedAt}
}

// apiQuarter reads the {quarter} path parameter; a path that names no
// quarter is not found, like a malformed id.
func apiQuarter(r *http.Request) (period.Quarter, error) {
	q, err := period.ParseQuarter(chi.URLParam(r, "quarter"))
	if err != nil {
		return q, apperr.NotFound("Quarter")
	}
	return q, nil
}

// apiGetProgramInputs answers a quarter's inputs; a quarter never entered
// answers zeros with updated_at null.
func (s *Server) apiGetProgramInputs(w http.ResponseWriter, r *http.Request) {
	q, err := apiQuarter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in program.QuarterInputs
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		in, err = program.Inputs(r.Context(), tx, ac.Tenant.ID, q)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiProgramInputsFrom(in))
}

// apiProgramInputsPut is the body of PUT /program-inputs/{quarter}: every
// amount, in cents.
type apiProgramInputsPut struct {
	TotalNewRevenueCents *int64 `json:"total_new_revenue_cents"`
	ManagementCostCents  *int64 `json:"management_cost_cents"`
	MarketingCostCents   *int64 `json:"marketing_cost_cents"`
	SystemsCostCents     *int64 `json:"systems_cost_cents"`
	OtherCostCents       *int64 `json:"other_cost_cents"`
}

// apiPutProgramInputs replaces a quarter's inputs (idempotent: the same
// body twice leaves the same figures). Every amount is required; the
// quarter may be at most a year ahead of the firm's current one.
func (s *Server) apiPutProgramInputs(w http.ResponseWriter, r *http.Request) {
	q, err := apiQuarter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body apiProgramInputsPut
	if _, ok := s.readJSON(w, r, &body); !ok {
		return
	}
	in := program.QuarterInputs{Quarter: q}
	errs := map[string]string{}
	for _, f := range []struct {
		name string
		v    *int64
		to   *int64
	}{
		{program.FieldTotalNewRevenue, body.TotalNewRevenueCents, &in.TotalNewRevenueCents},
		{program.FieldManagementCost, body.ManagementCostCents, &in.ManagementCostCents},
		{program.FieldMarketingCost, body.MarketingCostCents, &in.MarketingCostCents},
		{program.FieldSystemsCost, body.SystemsCostCents, &in.SystemsCostCents},
		{program.FieldOtherCost, body.OtherCostCents, &in.OtherCostCents},
	} {
		if f.v == nil {
			errs[f.name] = "Required (0 for none)."
			continue
		}
		*f.to = *f.v
	}
	var out program.QuarterInputs
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		cur, err := s.firmQuarter(r.Context(), tx, ac.Tenant.ID)
		if err != nil {
			return err
		}
		if verr := in.Validate(cur.Start()); verr != nil {
			for k, v := range apperr.FieldErrors(verr) {
				if _, seen := errs[k]; !seen {
					errs[k] = v
				}
			}
		}
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		out, err = program.Save(r.Context(), tx, ac.Tenant.ID, in, cur.Start())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiProgramInputsFrom(out))
}
