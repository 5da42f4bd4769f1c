package server

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// taxRoutes is the yearly tax (1099-NEC) summary under /commissions: every
// staff role reads it (tax ids masked); finance exports it as CSV with the
// full tax ids, audited.
func (s *Server) taxRoutes(r chi.Router) {
	r.Get("/tax", s.showTaxYear)
	r.With(s.requireCap(auth.ManageMoney)).Post("/tax/export", s.exportTaxYear)
}

// partnerTaxRoutes is a partner's tax details (under /partners/{id}):
// masked for everyone, editable by finance.
func (s *Server) partnerTaxRoutes(r chi.Router) {
	r.Get("/tax", s.showPartnerTax)
	r.With(s.requireCap(auth.ManageMoney)).Post("/tax", s.savePartnerTax)
}

// firmLocation is the firm's time zone.
func firmLocation(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (*time.Location, error) {
	set, err := referral.GetSettings(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	return set.Location(), nil
}

// parseTaxYear reads the year asked for: "" is the current one; a
// malformed year or one that hasn't started yet gets a message.
func parseTaxYear(raw string, current int) (int, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return current, ""
	}
	y, err := strconv.Atoi(raw)
	switch {
	case err != nil || len(raw) != 4:
		return 0, "Enter a year like " + strconv.Itoa(current) + "."
	case y > current:
		return 0, strconv.Itoa(y) + " hasn't started yet: choose " + strconv.Itoa(current) + " or earlier."
	case y < 1970:
		return 0, "Choose a year from 1970 on."
	}
	return y, ""
}

func (s *Server) showTaxYear(w http.ResponseWriter, r *http.Request) {
	s.renderTaxYear(w, r, r.URL.Query().Get("year"))
}

// renderTaxYear shows the summary of the year asked for (422 with the
// message when it can't be shown).
func (s *Server) renderTaxYear(w http.ResponseWriter, r *http.Request, rawYear string) {
	ctx := r.Context()
	var (
		ty      ledger.TaxYear
		current int
		year    int
		msg     string
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		loc, err := firmLocation(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		current = s.now().In(loc).Year()
		if year, msg = parseTaxYear(rawYear, current); msg != "" {
			return nil
		}
		ty, err = ledger.YearSummary(ctx, tx, sc.Tenant.ID, year)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/commissions"
	d := view.TaxYearProps{Nav: view.CommissionNav{Base: base, Active: "tax"}, URL: base + "/tax", ExportURL: base + "/tax/export",
		CanExport: sc.Role.Can(auth.ManageMoney), Year: strings.TrimSpace(rawYear), YearError: msg}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
		d.NextURL = base + "/tax?year=" + strconv.Itoa(current)
	} else {
		d.Year = strconv.Itoa(year)
		if year > 1970 {
			d.PrevURL = base + "/tax?year=" + strconv.Itoa(year-1)
		}
		if year < current {
			d.NextURL = base + "/tax?year=" + strconv.Itoa(year+1)
		}
		d.ToFile, d.Missing = ty.ToFile, ty.MissingDetails
		for _, row := range ty.Rows {
			d.Rows = append(d.Rows, taxYearRow(sc, row))
		}
	}
	s.render(w, r, status, view.TaxYearPage(s.page(r, "Commissions", "commissions"), d))
}

func taxYearRow(sc *staffCtx, row ledger.TaxYearRow) view.TaxYearRow {
	v := view.TaxYearRow{Partner: row.PartnerName, PartnerURL: "/t/" + sc.Tenant.Slug + "/partners/" + row.PartnerID.String() + "/tax",
		Payouts: row.Payouts, File: row.File1099, Reason: row.Reason}
	if d := row.Details; d != nil {
		v.LegalName, v.TaxID, v.Country = d.LegalName, d.MaskedTaxID, d.Country
		v.Classification, v.Form = ledger.TaxLabel(d.Classification), ledger.TaxLabel(d.FormOnFile)
	}
	var paid []string
	for _, t := range row.Totals {
		paid = append(paid, commission.FormatCents(t.Cents)+" "+t.Currency)
	}
	v.Paid = strings.Join(paid, ", ")
	return v
}

// exportTaxYear downloads the year's summary with the full tax ids. The
// CSV is built and the export audited in one transaction; it is sent only
// once that has committed.
func (s *Server) exportTaxYear(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	raw := r.PostForm.Get("year")
	var buf bytes.Buffer
	var year int
	var msg string
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		loc, err := firmLocation(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		if year, msg = parseTaxYear(raw, s.now().In(loc).Year()); msg != "" {
			return nil
		}
		_, err = ledger.ExportTaxYear(ctx, tx, sc.Tenant.ID, year, &buf)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if msg != "" {
		s.renderTaxYear(w, r, raw)
		return
	}
	csvout.Attach(w, csvout.Filename("tax-summary-"+strconv.Itoa(year), s.now()))
	_, _ = w.Write(buf.Bytes())
}

// taxOptions turns the ledger's choices into select options.
func taxOptions(cs []ledger.TaxChoice) []view.Option {
	out := make([]view.Option, 0, len(cs))
	for _, c := range cs {
		out = append(out, view.Option{Value: c.Value, Label: c.Label})
	}
	return out
}

// taxEditForm is the form filled with the stored details (nil: a new
// partner's defaults).
func taxEditForm(d *ledger.TaxDetails) view.TaxForm {
	f := view.TaxForm{Country: "US", FormOnFile: ledger.FormNone}
	if d != nil {
		f = view.TaxForm{LegalName: d.LegalName, Classification: d.Classification, Country: d.Country, TaxIDKind: d.TaxIDKind,
			Address: d.Address, FormOnFile: d.FormOnFile}
	}
	return f
}

// withTaxChoices adds the choices and the kept id's mask to a form.
func withTaxChoices(f view.TaxForm, d *ledger.TaxDetails) view.TaxForm {
	f.Classifications, f.Kinds, f.Forms = taxOptions(ledger.TaxClassifications), taxOptions(ledger.TaxIDKinds), taxOptions(ledger.TaxForms)
	if d != nil {
		f.KeptTaxID = d.MaskedTaxID
	}
	return f
}

// taxFormFrom reads the posted form (the tax id separately: it is never
// put back into a page).
func taxFormFrom(r *http.Request) (view.TaxForm, string) {
	p := r.PostForm
	f := view.TaxForm{LegalName: strings.TrimSpace(p.Get("legal_name")), Classification: p.Get("classification"),
		Country: strings.TrimSpace(p.Get("country")), TaxIDKind: p.Get("tax_id_kind"), Address: p.Get("address"),
		FormOnFile: p.Get("form_on_file")}
	id := strings.TrimSpace(p.Get("tax_id"))
	f.TypedTaxID = id != ""
	return f, id
}

func taxInput(partnerID uuid.UUID, f view.TaxForm, taxID string, by uuid.UUID) ledger.TaxInput {
	return ledger.TaxInput{PartnerID: partnerID, LegalName: f.LegalName, Classification: f.Classification, Country: f.Country,
		TaxIDKind: f.TaxIDKind, TaxID: taxID, Address: f.Address, FormOnFile: f.FormOnFile, By: by}
}

// taxDetailsView shows stored details, masked.
func taxDetailsView(d *ledger.TaxDetails, loc *time.Location) *view.TaxDetailsView {
	if d == nil {
		return nil
	}
	return &view.TaxDetailsView{LegalName: d.LegalName, Classification: ledger.TaxLabel(d.Classification), Country: d.Country,
		TaxIDKind: ledger.TaxLabel(d.TaxIDKind), TaxID: d.MaskedTaxID, Address: d.Address, Form: ledger.TaxLabel(d.FormOnFile),
		Updated: d.UpdatedAt.In(loc).Format(dayFormat), Warnings: d.Warnings()}
}

// loadTaxDetails returns the partner's details, nil when there are none.
func loadTaxDetails(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID) (*ledger.TaxDetails, error) {
	d, err := ledger.GetTaxDetails(ctx, tx, tenantID, partnerID)
	if apperr.Code(err) == apperr.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// savedTaxMessage is the flash after a save: what is odd about the
// details is said too.
func savedTaxMessage(d ledger.TaxDetails) string {
	return strings.TrimSpace("Tax details saved. " + strings.Join(d.Warnings(), " "))
}

func (s *Server) showPartnerTax(w http.ResponseWriter, r *http.Request) {
	s.renderPartnerTax(w, r, http.StatusOK, nil)
}

// renderPartnerTax shows the {id} partner's tax details; form, when
// given, is the submitted form re-shown with its errors.
func (s *Server) renderPartnerTax(w http.ResponseWriter, r *http.Request, status int, form *view.TaxForm) {
	ctx := r.Context()
	var d *ledger.TaxDetails
	var loc *time.Location
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if loc, err = firmLocation(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		d, err = loadTaxDetails(ctx, tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	edit := taxEditForm(d)
	if form != nil {
		edit = *form
	}
	props := view.PartnerTaxProps{Header: partnerHeader(sc, p, "commissions"), Details: taxDetailsView(d, loc),
		CanEdit: sc.Role.Can(auth.ManageMoney), SaveURL: "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String() + "/tax",
		Edit: withTaxChoices(edit, d), YearURL: "/t/" + sc.Tenant.Slug + "/commissions/tax"}
	s.render(w, r, status, view.PartnerTaxPage(s.page(r, p.Name, "partners"), props))
}

// savePartnerTax saves the {id} partner's tax details (finance).
func (s *Server) savePartnerTax(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var form view.TaxForm
	var saved ledger.TaxDetails
	read := false
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		var taxID string
		form, taxID = taxFormFrom(r)
		read = true
		var err error
		saved, err = ledger.SaveTaxDetails(ctx, tx, sc.Tenant.ID, taxInput(p.ID, form, taxID, userFrom(ctx).ID))
		return err
	})
	if code := apperr.Code(err); read && (code == apperr.EInvalid || code == apperr.EConflict) {
		form.Form = formErrors(err)
		s.renderPartnerTax(w, r, statusFor(code), &form)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", savedTaxMessage(saved))
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/partners/"+p.ID.String()+"/tax")
}
