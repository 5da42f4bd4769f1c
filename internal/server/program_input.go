package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
	"github.com/allyway/allyway/web/view"
)

// programInputRoutes: /t/{tenant}/program/inputs?quarter=2026-Q3 shows a
// quarter's program inputs to any staff role; finance, admins and owners
// (ManageMoney) save them.
func (s *Server) programInputRoutes(r chi.Router) {
	r.Get("/program/inputs", s.showProgramInputs)
	r.Get("/program/inputs/export.csv", s.programInputsExport)
	r.With(s.requireCap(auth.ManageMoney)).Post("/program/inputs", s.saveProgramInputs)
}

// programInputFields pairs the form's dollar fields with the amounts.
var programInputFields = []struct {
	form, field string
	cents       func(*program.QuarterInputs) *int64
}{
	{"total_new_revenue", program.FieldTotalNewRevenue, func(in *program.QuarterInputs) *int64 { return &in.TotalNewRevenueCents }},
	{"management_cost", program.FieldManagementCost, func(in *program.QuarterInputs) *int64 { return &in.ManagementCostCents }},
	{"marketing_cost", program.FieldMarketingCost, func(in *program.QuarterInputs) *int64 { return &in.MarketingCostCents }},
	{"systems_cost", program.FieldSystemsCost, func(in *program.QuarterInputs) *int64 { return &in.SystemsCostCents }},
	{"other_cost", program.FieldOtherCost, func(in *program.QuarterInputs) *int64 { return &in.OtherCostCents }},
}

// firmQuarter is the firm's quarter now (in its time zone, from tenant_settings).
func (s *Server) firmQuarter(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (period.Quarter, error) {
	var zone string
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC')`,
		tenantID).Scan(&zone)
	if err != nil {
		return period.Quarter{}, err
	}
	return period.QuarterOf(period.Today(s.now(), loadZone(zone))), nil
}

// showProgramInputs shows the quarter asked for (the current one by
// default); a quarter that can't be shown gets the current one with the
// picker's error (422).
func (s *Server) showProgramInputs(w http.ResponseWriter, r *http.Request) {
	var cur period.Quarter
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		cur, err = s.firmQuarter(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, status, pickErr := cur, http.StatusOK, ""
	if v := r.URL.Query().Get("quarter"); v != "" {
		parsed, err := period.ParseQuarter(strings.TrimSpace(v))
		if err == nil {
			err = program.CheckQuarter(parsed, cur.Start())
		}
		if err != nil {
			status, pickErr = http.StatusUnprocessableEntity, apperr.Message(err)
		} else {
			q = parsed
		}
	}
	s.renderProgramInputs(w, r, status, cur, q, nil, view.Form{}, pickErr)
}

// renderProgramInputs loads quarter q's figures and the recent quarters;
// typed, when set, is the form as the user typed it (with errs).
func (s *Server) renderProgramInputs(w http.ResponseWriter, r *http.Request, status int, cur, q period.Quarter,
	typed map[string]string, errs view.Form, pickErr string) {
	ctx := r.Context()
	sc := staffFrom(ctx)
	var in program.QuarterInputs
	var hist []program.QuarterInputs
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if in, err = program.Inputs(ctx, tx, sc.Tenant.ID, q); err != nil {
			return err
		}
		hist, err = program.InputsRange(ctx, tx, sc.Tenant.ID, cur.Last(8)[0], cur)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "/t/" + sc.Tenant.Slug
	page := base + "/program/inputs"
	canEdit := sc.Role.Can(auth.ManageMoney)
	d := view.ProgramInputsProps{Form: errs, Base: base, Action: page, Quarter: q.String(), Label: q.Label(),
		QuarterError: pickErr, CanEdit: canEdit, Entered: in.Entered(), CostTotal: commission.FormatCents(in.CostCents()),
		ExportURL: page + "/export.csv"}
	if in.UpdatedAt != nil {
		d.UpdatedAt, d.UpdatedBy = in.UpdatedAt.Format(dayFormat), in.UpdatedByName
	}
	vals := map[string]string{}
	for _, f := range programInputFields {
		c := *f.cents(&in)
		switch {
		case !canEdit:
			vals[f.form] = commission.FormatCents(c)
		case typed != nil:
			vals[f.form] = typed[f.form]
		case in.Entered():
			vals[f.form] = commission.FormatDollars(c)
		}
	}
	d.Revenue, d.Management, d.Marketing, d.Systems, d.Other = vals["total_new_revenue"], vals["management_cost"],
		vals["marketing_cost"], vals["systems_cost"], vals["other_cost"]
	// The picker: a year ahead down to two years back, and the quarter
	// shown when it is older.
	last := cur
	for range program.AheadQuarters {
		last = last.Next()
	}
	shown, first := false, cur.Last(9)[0]
	for x := last; !x.Before(first); x = x.Prev() {
		d.Quarters = append(d.Quarters, view.Option{Value: x.String(), Label: x.Label()})
		shown = shown || x == q
	}
	if !shown {
		d.Quarters = append(d.Quarters, view.Option{Value: q.String(), Label: q.Label()})
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		d.History = append(d.History, view.ProgramInputsRow{Label: h.Quarter.Label(), URL: page + "?quarter=" + h.Quarter.String(),
			Current: h.Quarter == q, Entered: h.Entered(), Revenue: commission.FormatCents(h.TotalNewRevenueCents),
			Costs: commission.FormatCents(h.CostCents())})
	}
	s.render(w, r, status, view.ProgramInputsPage(s.page(r, "Program inputs", "program-inputs"), d))
}

// saveProgramInputs stores a quarter's figures typed in dollars (empty is
// none); any error re-shows the form with what was typed (422).
func (s *Server) saveProgramInputs(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	typed := map[string]string{}
	errs := map[string]string{}
	var in program.QuarterInputs
	for _, f := range programInputFields {
		v := r.PostForm.Get(f.form)
		typed[f.form] = v
		cents, _, msg := commission.ParseDollars(v)
		if msg != "" {
			errs[f.form] = msg
		}
		*f.cents(&in) = cents
	}
	var cur period.Quarter
	q, qerr := period.ParseQuarter(strings.TrimSpace(r.PostForm.Get("quarter")))
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if cur, err = s.firmQuarter(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		if qerr != nil {
			errs[program.FieldQuarter] = apperr.Message(qerr)
		}
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		in.Quarter = q
		_, err = program.Save(ctx, tx, sc.Tenant.ID, in, cur.Start())
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		form := view.Form{Errors: view.FieldErrors{}}
		for k, v := range apperr.FieldErrors(err) {
			name := strings.TrimSuffix(k, "_cents")
			if k == program.FieldQuarter {
				form.NonField = append(form.NonField, v)
				continue
			}
			form.Errors[name] = v
		}
		if len(form.Errors) == 0 && len(form.NonField) == 0 {
			form.NonField = []string{apperr.Message(err)}
		}
		if qerr != nil || program.CheckQuarter(q, cur.Start()) != nil {
			q = cur
		}
		s.renderProgramInputs(w, r, http.StatusUnprocessableEntity, cur, q, typed, form, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The program inputs for "+q.Label()+" were saved.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/program/inputs?quarter="+q.String())
}

// loadZone is the named time zone, or UTC when the name is unknown.
func loadZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// programInputsExportHeader are the columns of the program inputs export.
var programInputsExportHeader = []string{"quarter", "entered", "total new revenue", "management cost", "marketing cost",
	"systems cost", "other cost", "costs besides commissions", "updated by", "updated at"}

// programInputsExportMax is the most quarters one export covers.
const programInputsExportMax = 400

// programInputsExport downloads one row per quarter, newest first, as CSV:
// by default the quarters of the page's "Recent quarters"; ?from= and
// ?to= (2026-Q3) choose others. Amounts are in dollars and cents.
func (s *Server) programInputsExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.exportCSV(w, r, "program-inputs", programInputsExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		cur, err := s.firmQuarter(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		from, to := cur.Last(8)[0], cur
		if v, err := period.ParseQuarter(strings.TrimSpace(q.Get("from"))); err == nil {
			from = v
		}
		if v, err := period.ParseQuarter(strings.TrimSpace(q.Get("to"))); err == nil {
			to = v
		}
		if n := to.Last(programInputsExportMax)[0]; from.Before(n) {
			from = n
		}
		hist, err := program.InputsRange(ctx, tx, sc.Tenant.ID, from, to)
		if err != nil {
			return err
		}
		for i := len(hist) - 1; i >= 0; i-- {
			h := hist[i]
			entered := "no"
			if h.Entered() {
				entered = "yes"
			}
			if err := write(h.Quarter.String(), entered, exportAmount(h.TotalNewRevenueCents), exportAmount(h.ManagementCostCents),
				exportAmount(h.MarketingCostCents), exportAmount(h.SystemsCostCents), exportAmount(h.OtherCostCents),
				exportAmount(h.CostCents()), h.UpdatedByName, exportTime(h.UpdatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}
