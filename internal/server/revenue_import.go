package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// CSV import of client payments, the "payments" kind of the one import
// flow (import.go, /imports/payments; the old URLs under
// /commissions/import still work): ledger.ParseRevenueCSV reads the file,
// the preview runs the import and rolls it back (so its errors and
// commissions are the import's own), and the confirmation runs it again,
// which must resolve to the previewed plan's hash. A payments file is
// imported whole or not at all: its rows are a ledger (a refund can name a
// payment of an earlier line), and leaving some out would change what the
// others mean.

// revenueImportPreviewRows is how many rows without problems the preview lists.
const revenueImportPreviewRows = 200

func init() { registerImportKind("payments", (*Server).revenueImportKind) }

// revenueImportRoutes mounts the import's first URLs and the unresolved
// payments (unresolved.go) under /commissions.
func (s *Server) revenueImportRoutes(r chi.Router) {
	kind := func(h func(http.ResponseWriter, *http.Request, *importKind)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { h(w, r, s.importKind("payments")) }
	}
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManageMoney))
		r.Get("/import", kind(s.showImport))
		r.Get("/import/template.csv", kind(s.importTemplate))
		r.Post("/import/preview", kind(s.previewImport))
		r.Post("/import/confirm", kind(s.confirmImport))
		r.Post("/unresolved/accrue", s.reaccrueUnresolved)
	})
	r.Get("/unresolved", s.showUnresolved)
}

var revenueImportHelp = map[string]struct{ help, aliases string }{
	ledger.RevColReferral:     {"The referral the client came from: R-1024, #1024 or 1024. Required unless engagement_id is given.", "referral number"},
	ledger.RevColEngagement:   {"The engagement's name, when the referral has several (any case).", "project"},
	ledger.RevColEngagementID: {"Instead of referral and engagement: the engagement's id.", ""},
	ledger.RevColAmount:       {"Required. In dollars: 20,000.00, 1250.50 or $1,250.50. Negative for a refund or credit note: -10000 or (10,000.00).", "amount paid, total"},
	ledger.RevColPaidOn:       {"Required. The day the client paid, as 2025-03-10 (year-month-day) or 10 Mar 2025. Dates like 03/04/2025 are refused: they read differently in different countries.", "date, payment date"},
	ledger.RevColCurrency:     {"Optional: the engagement's currency (USD) by default; another currency is refused.", ""},
	ledger.RevColExternalRef:  {"The invoice or payment number. Unique: a reference already recorded, or twice in the file, is refused — so importing a file twice records nothing twice.", "reference, invoice"},
	ledger.RevColRefundOf:     {"For a refund: the external_ref of the payment it refunds (recorded before, or on an earlier line). Its commission is reversed.", ""},
	ledger.RevColNote:         {"Free text, up to 2,000 characters.", "notes, memo"},
}

// revenueImportKind is the payments kind of import.
func (s *Server) revenueImportKind() *importKind {
	spec := &importflow.Spec{Kind: "payments", Noun: "payment", Plural: "payments",
		MaxBytes: importMaxBytes, MaxRows: ledger.RevenueImportMaxRows, Template: ledger.RevenueTemplateCSV()}
	for _, c := range ledger.RevenueImportColumns {
		h := revenueImportHelp[c]
		col := importflow.Column{Name: c, Required: c == ledger.RevColAmount || c == ledger.RevColPaidOn, Help: h.help}
		if h.aliases != "" {
			col.Aliases = strings.Split(h.aliases, ", ")
		}
		spec.Columns = append(spec.Columns, col)
	}
	parse := func(data []byte) (ledger.RevenueImportPlan, error) {
		plan, err := ledger.ParseRevenueCSV(bytes.NewReader(data), ledger.RevenueImportOptions{MaxBytes: importMaxBytes})
		var fe *ledger.RevenueImportFileError
		if errors.As(err, &fe) {
			return plan, &importflow.FileError{Line: fe.Line, Message: fe.Message}
		}
		return plan, err
	}
	spec.Preview = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte) (importflow.Plan, error) {
		plan, err := parse(data)
		if err != nil {
			return importflow.Plan{}, err
		}
		res, err := ledger.PreviewRevenueImport(ctx, tx, env.TenantID, &plan, ledger.RevenueImportInput{CreatedBy: env.UserID, Now: env.Now})
		if err != nil && !errors.Is(err, ledger.ErrRevenueImportRows) {
			return importflow.Plan{}, err
		}
		return s.revenueFlowPlan(plan, res), nil
	}
	spec.Confirm = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte, hash string) (importflow.Plan, importflow.Result, error) {
		plan, err := parse(data)
		if err != nil {
			return importflow.Plan{}, importflow.Result{}, err
		}
		if hash == "" {
			hash = "-" // not the previewed plan: ImportRevenue answers ErrRevenueImportChanged
		}
		res, err := ledger.ImportRevenue(ctx, tx, env.TenantID, &plan, ledger.RevenueImportInput{CreatedBy: env.UserID, Now: env.Now, Hash: hash})
		if err == nil && res.AccrualDeferred {
			err = s.Outbox.Enqueue(ctx, tx, ledger.AccrueArgs{TenantID: env.TenantID}, nil)
		}
		fp := s.revenueFlowPlan(plan, res)
		switch {
		case errors.Is(err, ledger.ErrRevenueImportChanged):
			// The plan as it resolves now, for the preview shown again.
			again, _ := parse(data)
			pres, perr := ledger.PreviewRevenueImport(ctx, tx, env.TenantID, &again, ledger.RevenueImportInput{CreatedBy: env.UserID, Now: env.Now})
			if perr != nil && !errors.Is(perr, ledger.ErrRevenueImportRows) {
				return fp, importflow.Result{}, perr
			}
			return s.revenueFlowPlan(again, pres), importflow.Result{}, importflow.ErrChanged
		case errors.Is(err, ledger.ErrRevenueImportRows):
			return fp, importflow.Result{}, importflow.ErrRows
		case err != nil:
			return fp, importflow.Result{}, err
		}
		return fp, importflow.Result{Written: res.Payments + res.Refunds, Message: revenueImportDone(res)}, nil
	}
	return &importKind{Spec: spec, Cap: auth.ManageMoney, Title: "Import client payments", Section: "commissions",
		Intro: "Record client payments from a spreadsheet or your accounting system's export. You'll see a preview with each row's problems and the commission each payment earns; nothing is saved until you confirm, and a file is imported whole or not at all.",
		Back:  "/commissions", Done: "/commissions/import", Placeholder: "referral,amount,paid_on,external_ref",
		Top: func(base string) templ.Component {
			return view.CommissionTabs(view.CommissionNav{Base: base + "/commissions", Active: "import"})
		},
		Extra: func(s *Server, r *http.Request, base string) templ.Component {
			var n int
			_ = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
				_, n, err = ledger.UnresolvedPayments(r.Context(), tx, sc.Tenant.ID, 1)
				return err
			})
			return view.RevenueImportLinks(base, n)
		},
		Footer: func(base string, p importflow.Plan) templ.Component {
			if !strings.Contains(p.Summary, "will be flagged") {
				return nil
			}
			return view.RevenueImportFlagged(base)
		},
	}
}

// revenueFlowPlan is a payments plan as the import flow shows it.
func (s *Server) revenueFlowPlan(plan ledger.RevenueImportPlan, res ledger.RevenueImportResult) importflow.Plan {
	p := importflow.Plan{Whole: true, Hash: plan.Hash(), Warnings: plan.Warnings, Errors: plan.ErrorRows(),
		Headers: []string{"Referral", "Partner and client", "Engagement", "Amount", "Paid on", "Reference"}}
	var payments, refunds int
	for _, row := range plan.Rows {
		if row.AmountCents < 0 {
			refunds++
		} else {
			payments++
		}
	}
	total, accrued := "—", ""
	if p.Errors == 0 {
		total = revenueAmounts(res.Totals)
		if !res.AccrualDeferred {
			accrued = revenueAmounts(res.AccruedTotals)
		}
		p.Ready = len(plan.Rows)
		p.Confirm = "Import " + revCount(len(plan.Rows), "payment", "payments")
	}
	p.Stats = []importflow.Stat{{Value: importflow.Thousands(payments), Label: "payments"},
		{Value: importflow.Thousands(refunds), Label: "refunds and credit notes"}, {Value: total, Label: "in all"}}
	if accrued != "" {
		p.Stats = append(p.Stats, importflow.Stat{Value: accrued, Label: "commission accrued"})
	}
	p.Stats = append(p.Stats, importflow.Stat{Value: importflow.Thousands(p.Errors), Label: "rows with errors"})
	if p.Errors > 0 {
		p.Summary = "Nothing will be imported: " + revCount(p.Errors, "row has", "rows have") + " errors (of " +
			revCount(len(plan.Rows), "row", "rows") + ")."
	} else {
		msg := revCount(payments, "payment", "payments")
		if refunds > 0 {
			msg += " and " + revCount(refunds, "refund or credit note", "refunds or credit notes")
		}
		msg += " (" + total + ") will be recorded"
		switch {
		case res.AccrualDeferred:
			msg += "; their commissions are calculated right after the import"
		case accrued != "":
			msg += ", accruing " + accrued + " of commission"
		}
		if res.Flagged > 0 {
			msg += "; " + revCount(res.Flagged, "payment has", "payments have") + " no agreement in force and will be flagged"
		}
		p.Summary = msg + "."
	}
	shown := 0
	for _, row := range plan.Rows {
		fr := revenuePreviewRow(row)
		if len(fr.Errors) == 0 {
			if shown >= revenueImportPreviewRows {
				p.Hidden++
				continue
			}
			shown++
		}
		p.Rows = append(p.Rows, fr)
	}
	return p
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

// revenuePreviewRow is one row as the preview shows it.
func revenuePreviewRow(row ledger.RevenueImportRow) importflow.Row {
	ref := importflow.Cell{Text: row.Referral}
	if row.ReferralNo > 0 {
		ref = importflow.Cell{Text: referralRef(row.ReferralNo), Href: "referrals/" + row.ResolvedRef.String()}
	}
	amount := importflow.Cell{}
	if row.AmountCents != 0 {
		amount.Text = commission.FormatCents(row.AmountCents)
		if row.Currency != "" {
			amount.Text += " " + row.Currency
		}
	}
	if row.AmountCents < 0 {
		amount.Badge = "Refund"
	}
	paidOn := ""
	if !row.PaidOn.IsZero() {
		paidOn = row.PaidOn.Format(dayFormat)
	}
	v := importflow.Row{Line: row.Line, Cells: []importflow.Cell{ref, {Text: row.PartnerName, Note: row.ClientCompany},
		{Text: row.EngagementName}, amount, {Text: paidOn}, {Text: row.ExternalRef}}}
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
