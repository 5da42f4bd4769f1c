package server

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// CSV import of client payments (under /commissions): upload or paste →
// preview → confirm, as for partners (partner_import.go): the preview
// keeps nothing on the server, the file travels back with the
// confirmation and is parsed again inside the writing transaction, which
// must resolve to the previewed plan's hash. The preview runs the import
// and rolls it back, so its errors and commissions are the import's own.
// A file is imported whole or not at all.

// revenueImportPreviewRows is how many rows without problems the preview lists.
const revenueImportPreviewRows = 200

// revenueImportRoutes mounts the import and the unresolved payments
// (unresolved.go) under /commissions.
func (s *Server) revenueImportRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManageMoney))
		r.Get("/import", s.showRevenueImport)
		r.Get("/import/template.csv", s.revenueImportTemplate)
		r.Post("/import/preview", s.previewRevenueImport)
		r.Post("/import/confirm", s.confirmRevenueImport)
		r.Post("/unresolved/accrue", s.reaccrueUnresolved)
	})
	r.Get("/unresolved", s.showUnresolved)
}

func (s *Server) revenueImportProps(r *http.Request) view.RevenueImportProps {
	sc := staffFrom(r.Context())
	d := view.RevenueImportProps{Base: "/t/" + sc.Tenant.Slug, MaxSize: importMaxSize,
		MaxRows: commissionThousands(ledger.RevenueImportMaxRows)}
	_ = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		_, d.Unresolved, err = ledger.UnresolvedPayments(r.Context(), tx, sc.Tenant.ID, 1)
		return err
	})
	return d
}

// showRevenueImport is the upload form.
func (s *Server) showRevenueImport(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, view.RevenueImportPage(s.page(r, "Import client payments", "commissions"), s.revenueImportProps(r)))
}

// revenueImportTemplate downloads a CSV to start from.
func (s *Server) revenueImportTemplate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="payments-template.csv"`)
	_, _ = w.Write(ledger.RevenueTemplateCSV())
}

// revenueImportFormError re-shows the upload form with a message on a field.
func (s *Server) revenueImportFormError(w http.ResponseWriter, r *http.Request, status int, field, msg, pasted string) {
	d := s.revenueImportProps(r)
	d.Form = view.Form{Errors: view.FieldErrors{field: msg}, NonField: []string{msg}}
	if len(pasted) <= importMaxBytes {
		d.CSV = pasted
	}
	s.render(w, r, status, view.RevenueImportPage(s.page(r, "Import client payments", "commissions"), d))
}

// parseRevenueImport parses an uploaded file.
func parseRevenueImport(data []byte) (ledger.RevenueImportPlan, error) {
	return ledger.ParseRevenueCSV(bytes.NewReader(data), ledger.RevenueImportOptions{MaxBytes: importMaxBytes})
}

// previewRevenueImport parses the upload and shows what confirming would
// do. It writes nothing.
func (s *Server) previewRevenueImport(w http.ResponseWriter, r *http.Request) {
	data, field, pasted, err := readImportUpload(r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.revenueImportFormError(w, r, http.StatusRequestEntityTooLarge, "file",
			"The file is over "+importMaxSize+". Split it into smaller files and import them one after the other.", "")
		return
	}
	if apperr.Code(err) == apperr.EInvalid {
		s.revenueImportFormError(w, r, http.StatusUnprocessableEntity, field, apperr.FieldErrors(err)[field], pasted)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	plan, err := parseRevenueImport(data)
	var fe *ledger.RevenueImportFileError
	if errors.As(err, &fe) {
		s.revenueImportFormError(w, r, http.StatusUnprocessableEntity, field, upperFirst(fe.Error()), pasted)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var res ledger.RevenueImportResult
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		res, err = ledger.PreviewRevenueImport(r.Context(), tx, sc.Tenant.ID, &plan,
			ledger.RevenueImportInput{CreatedBy: userFrom(r.Context()).ID, Now: s.now()})
		if errors.Is(err, ledger.ErrRevenueImportRows) {
			return nil
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	packed, err := packImport(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if plan.ErrorRows() > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.renderRevenuePreview(w, r, status, plan, res, packed, "")
}

// confirmRevenueImport parses the previewed file again and writes all its
// rows in one transaction, or nothing.
func (s *Server) confirmRevenueImport(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	packed, hash := r.PostForm.Get("data"), r.PostForm.Get("hash")
	data, err := unpackImport(packed)
	if err != nil {
		d := s.revenueImportProps(r)
		d.Form = view.Form{NonField: []string{"The previewed file could not be read back. Upload it again."}}
		s.render(w, r, http.StatusUnprocessableEntity, view.RevenueImportPage(s.page(r, "Import client payments", "commissions"), d))
		return
	}
	plan, err := parseRevenueImport(data)
	var fe *ledger.RevenueImportFileError
	if errors.As(err, &fe) {
		s.revenueImportFormError(w, r, http.StatusUnprocessableEntity, "file", upperFirst(fe.Error()), "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var res ledger.RevenueImportResult
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		res, err = ledger.ImportRevenue(ctx, tx, sc.Tenant.ID, &plan,
			ledger.RevenueImportInput{CreatedBy: userFrom(ctx).ID, Now: s.now(), Hash: hash})
		if err != nil || !res.AccrualDeferred {
			return err
		}
		return s.Outbox.Enqueue(ctx, tx, ledger.AccrueArgs{TenantID: sc.Tenant.ID}, nil)
	})
	switch {
	case errors.Is(err, ledger.ErrRevenueImportChanged):
		s.renderRevenuePreview(w, r, http.StatusConflict, plan, res, packed,
			"Your payments or engagements changed since the preview (someone recorded a payment or an engagement, or this file was imported already), so what the import would do changed too. Check it and confirm again.")
		return
	case errors.Is(err, ledger.ErrRevenueImportRows):
		s.renderRevenuePreview(w, r, http.StatusUnprocessableEntity, plan, res, packed, "")
		return
	case apperr.Code(err) == apperr.EConflict:
		s.renderRevenuePreview(w, r, http.StatusConflict, plan, res, packed, apperr.Message(err))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", revenueImportDone(res))
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/commissions/import")
}

// revenueImportDone says what an import did.
func revenueImportDone(res ledger.RevenueImportResult) string {
	msg := "Imported " + revCount(res.Payments+res.Refunds, "payment", "payments") + " (" + revenueAmounts(res.Totals) + ")"
	switch {
	case res.AccrualDeferred:
		msg += "; their commissions are being calculated and will appear in a few minutes."
	case res.Accrual.Entries == 0:
		msg += "; no commission accrued."
	default:
		msg += ": " + revCount(res.Accrual.Entries, "ledger entry", "ledger entries") + ", " + revenueAmounts(res.AccruedTotals) + " of commission."
	}
	if res.Flagged > 0 {
		msg += " " + revCount(res.Flagged, "payment has", "payments have") + " no agreement in force and earn nothing until it is recorded: see Unresolved payments."
	}
	return msg
}

func revenueAmounts(as []ledger.RevenueAmount) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, commission.FormatCents(a.AmountCents)+" "+a.Currency)
	}
	if len(parts) == 0 {
		return commission.FormatCents(0)
	}
	return strings.Join(parts, ", ")
}

// renderRevenuePreview shows the plan: every row with errors and the
// first rows without.
func (s *Server) renderRevenuePreview(w http.ResponseWriter, r *http.Request, status int, plan ledger.RevenueImportPlan,
	res ledger.RevenueImportResult, packed, notice string) {
	sc := staffFrom(r.Context())
	d := view.RevenueImportPreviewProps{Base: "/t/" + sc.Tenant.Slug, Data: packed, Hash: plan.Hash(), Notice: notice,
		Rows: len(plan.Rows), Errors: plan.ErrorRows(), Warnings: plan.Warnings, Flagged: res.Flagged, Deferred: res.AccrualDeferred}
	for _, row := range plan.Rows {
		if row.AmountCents < 0 {
			d.Refunds++
		} else {
			d.Payments++
		}
	}
	if d.Errors == 0 {
		d.Total = revenueAmounts(res.Totals)
		if !res.AccrualDeferred {
			d.Accrued = revenueAmounts(res.AccruedTotals)
		}
	} else {
		d.Total = "—"
	}
	d.Summary = revenuePreviewSummary(d)
	fine := 0
	for _, row := range plan.Rows {
		v := revenuePreviewRow(row)
		if len(v.Errors) == 0 {
			if fine >= revenueImportPreviewRows {
				d.Hidden++
				continue
			}
			fine++
		}
		d.Lines = append(d.Lines, v)
	}
	s.render(w, r, status, view.RevenueImportPreviewPage(s.page(r, "Import client payments: preview", "commissions"), d))
}

// revenuePreviewSummary says in one sentence what confirming does.
func revenuePreviewSummary(d view.RevenueImportPreviewProps) string {
	if d.Errors > 0 {
		return "Nothing will be imported: " + revCount(d.Errors, "row has", "rows have") + " errors (of " +
			revCount(d.Rows, "row", "rows") + ")."
	}
	msg := revCount(d.Payments, "payment", "payments")
	if d.Refunds > 0 {
		msg += " and " + revCount(d.Refunds, "refund or credit note", "refunds or credit notes")
	}
	msg += " (" + d.Total + ") will be recorded"
	switch {
	case d.Deferred:
		msg += "; their commissions are calculated right after the import"
	case d.Accrued != "":
		msg += ", accruing " + d.Accrued + " of commission"
	}
	if d.Flagged > 0 {
		msg += "; " + revCount(d.Flagged, "payment has", "payments have") + " no agreement in force and will be flagged"
	}
	return msg + "."
}

// revenuePreviewRow is one row as the preview shows it.
func revenuePreviewRow(row ledger.RevenueImportRow) view.RevenueImportRowView {
	v := view.RevenueImportRowView{Line: row.Line, Referral: row.Referral, Partner: row.PartnerName, Client: row.ClientCompany,
		Engagement: row.EngagementName, Refund: row.AmountCents < 0, Ref: row.ExternalRef}
	if row.ReferralNo > 0 {
		v.Referral, v.ReferralID = referralRef(row.ReferralNo), row.ResolvedRef.String()
	}
	if row.AmountCents != 0 {
		v.Amount = commission.FormatCents(row.AmountCents)
		if row.Currency != "" {
			v.Amount += " " + row.Currency
		}
	}
	if !row.PaidOn.IsZero() {
		v.PaidOn = row.PaidOn.Format(dayFormat)
	}
	for _, e := range row.Errors {
		v.Errors = append(v.Errors, e.Error())
	}
	if len(v.Errors) > 0 {
		v.Outcome, v.Tone = "Not imported", "danger"
		return v
	}
	switch row.AccrualStatus {
	case ledger.StatusAccrued:
		v.Outcome, v.Tone = commission.FormatCents(row.AccruedCents)+" "+row.Currency, "success"
		if row.DueOn != nil {
			v.Outcome += ", due " + row.DueOn.Format(dayFormat)
		}
	case ledger.StatusNoAgreement:
		v.Outcome, v.Tone = "No agreement in force: flagged", "danger"
	case ledger.StatusNothingDue:
		v.Outcome, v.Tone = "Nothing due", "neutral"
		if row.AccrualNote != "" {
			v.Outcome += ": " + row.AccrualNote
		}
	case "":
		v.Outcome, v.Tone = "Calculated after the import", "info"
	default:
		v.Outcome, v.Tone = "Pending", "warning"
	}
	return v
}

// revCount is "1 payment", "5,001 payments".
func revCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commissionThousands(n) + " " + many
}

// commissionThousands writes 50000 as "50,000".
func commissionThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
