package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// Quarterly statements, staff side. Under /commissions: every partner's
// statement for a quarter (default: the last completed one), and issuing
// them (ManageMoney; past quarters only). Under /partners/{id}: the
// partner's quarters and each quarter's statement as a page, PDF or CSV.
// Figures are live; a page says when they differ from what was issued.
// A malformed quarter is not found; a quarter that hasn't started is a
// bad request.

func (s *Server) statementRoutes(r chi.Router) {
	r.Get("/statements", s.statementsArea)
	r.With(s.requireCap(auth.ManageMoney)).Post("/statements/generate", s.generateStatements)
}

func (s *Server) partnerStatementRoutes(r chi.Router) {
	r.Get("/statements", s.partnerStatements)
	r.Get("/statements/{quarter}", s.partnerStatement)
}

// Statement formats, by the suffix of the {quarter} path segment.
const (
	statementHTML = ""
	statementPDF  = "pdf"
	statementCSV  = "csv"
)

// statementQuarter reads the {quarter} path segment: "2026-Q3", optionally
// with ".pdf" or ".csv". Anything else is not found.
func statementQuarter(r *http.Request) (ledger.Quarter, string, error) {
	raw := chi.URLParam(r, "quarter")
	format := statementHTML
	for _, f := range []string{statementPDF, statementCSV} {
		if strings.HasSuffix(raw, "."+f) {
			raw, format = strings.TrimSuffix(raw, "."+f), f
			break
		}
	}
	q, err := ledger.ParseQuarter(raw)
	if err != nil {
		return q, "", apperr.NotFound("Statement")
	}
	return q, format, nil
}

// failStatement answers a statement request's error: a quarter that
// hasn't started is a bad request with its message; the rest as usual.
func (s *Server) failStatement(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ledger.ErrFutureQuarter) {
		s.renderError(w, r, http.StatusBadRequest, apperr.Message(err))
		return
	}
	s.fail(w, r, err)
}

// statementsArea is the firm's statements for a quarter.
func (s *Server) statementsArea(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		today time.Time
		q     ledger.Quarter
		sums  []ledger.StatementSummary
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if today, err = ledger.FirmToday(ctx, tx, sc.Tenant.ID, s.now()); err != nil {
			return err
		}
		q = ledger.QuarterOf(today).Prev()
		if raw := r.URL.Query().Get("quarter"); raw != "" {
			if q, err = ledger.ParseQuarter(raw); err != nil {
				return apperr.NotFound("Statement")
			}
		}
		sums, err = ledger.QuarterStatements(ctx, tx, sc.Tenant.ID, q, s.now())
		return err
	})
	if err != nil {
		s.failStatement(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/commissions"
	current := ledger.QuarterOf(today)
	d := view.StatementsAreaProps{
		Nav:          view.CommissionNav{Base: base, Active: "statements"},
		Action:       base + "/statements",
		Quarter:      q.String(),
		QuarterLabel: q.Label(),
		Period:       q.Period(),
		ToDate:       q == current,
		Partners:     len(sums),
		GenerateURL:  base + "/statements/generate",
		CanGenerate:  sc.Role.Can(auth.ManageMoney) && q.Before(current),
	}
	if q == current {
		d.NotOver = "Statements for " + q.Label() + " can be issued once the quarter ends on " + q.End().Format(dayFormat) +
			"; the quarter-end job issues and emails them the day after."
	}
	// The picker: the current quarter and the eight before it, and the
	// quarter shown if it is older.
	seen := false
	for i, o := 0, current; i < 9; i, o = i+1, o.Prev() {
		label := o.Label()
		if o == current {
			label += " (to date)"
		}
		d.Options = append(d.Options, view.Option{Value: o.String(), Label: label})
		seen = seen || o == q
	}
	if !seen {
		d.Options = append(d.Options, view.Option{Value: q.String(), Label: q.Label()})
	}
	for _, sum := range sums {
		status, tone := "Not issued", "neutral"
		if sum.Issued != nil {
			status, tone = "Issued "+sum.Issued.GeneratedAt.Format(dayFormat), "success"
			if sum.Issued.EmailedAt != nil {
				status += " · emailed"
			}
		} else {
			d.NotIssued++
		}
		url := "/t/" + sc.Tenant.Slug + "/partners/" + sum.PartnerID.String() + "/statements/" + q.String()
		for i, a := range sum.Accounts {
			account := "We owe (" + a.Currency + ")"
			if a.Direction == commission.WeReceive {
				account = "Owes us (" + a.Currency + ")"
			}
			d.Rows = append(d.Rows, view.StatementsAreaRow{PartnerName: sum.PartnerName, URL: url, Account: account,
				Opening: commission.FormatCents(a.OpeningCents), Earned: commission.FormatCents(a.EarnedCents),
				Paid: commission.FormatCents(a.PaidCents), Closing: commission.FormatCents(a.ClosingCents),
				Status: status, Tone: tone, Revised: sum.Revised, First: i == 0})
		}
	}
	s.render(w, r, http.StatusOK, view.StatementsAreaPage(s.page(r, "Commissions", "commissions"), d))
}

// generateStatements issues the quarter's statements and emails partners.
func (s *Server) generateStatements(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var q ledger.Quarter
	var res ledger.GenerateResult
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		if q, err = ledger.ParseQuarter(r.PostForm.Get("quarter")); err != nil {
			return err
		}
		res, err = ledger.GenerateStatements(ctx, tx, sc.Tenant.ID, q, ledger.GenerateOptions{
			Outbox: s.Outbox, BaseURL: s.Config.BaseURL, Now: s.now()})
		return err
	})
	if err != nil {
		s.failStatement(w, r, err)
		return
	}
	msg := "All statements for " + q.Label() + " were already issued; nothing new was sent."
	switch {
	case res.Issued == 0 && res.Already == 0:
		msg = "No partner had activity or a balance in " + q.Label() + ": there was nothing to issue."
	case res.Issued > 0:
		msg = "Issued " + strconv.Itoa(res.Issued) + " " + plural(res.Issued, "statement", "statements") + " for " + q.Label() +
			" and emailed " + strconv.Itoa(res.Emails) + " portal " + plural(res.Emails, "user", "users") + "."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/commissions/statements?quarter="+q.String())
}

// partnerStatements lists the partner's quarters.
func (s *Server) partnerStatements(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var qs []ledger.QuarterInfo
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		qs, err = ledger.PartnerQuarters(ctx, tx, sc.Tenant.ID, p.ID, s.now())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.StatementListProps{Header: partnerHeader(sc, p, "commissions"),
		Quarters: quarterRows(qs, "/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String()+"/statements/")}
	s.render(w, r, http.StatusOK, view.StatementListPage(s.page(r, p.Name, "partners"), d))
}

// partnerStatement shows, or downloads, the partner's statement for a quarter.
func (s *Server) partnerStatement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var st ledger.Statement
	q, format, qerr := statementQuarter(r)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if qerr != nil {
			return qerr
		}
		st, err = ledger.PartnerStatement(ctx, tx, sc.Tenant.ID, p.ID, q, s.now())
		return err
	})
	if err != nil {
		s.failStatement(w, r, err)
		return
	}
	if s.writeStatementFile(w, r, st, format) {
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String() + "/statements"
	d := view.StatementPageProps{Header: partnerHeader(sc, p, "commissions"), Statement: statementView(st, base, true)}
	s.render(w, r, http.StatusOK, view.StatementPage(s.page(r, p.Name, "partners"), d))
}

// writeStatementFile answers a PDF or CSV request (reporting whether it did).
func (s *Server) writeStatementFile(w http.ResponseWriter, r *http.Request, st ledger.Statement, format string) bool {
	switch format {
	case statementPDF:
		b, err := ledger.StatementPDF(st, s.now())
		if err != nil {
			s.serverError(w, r, err)
			return true
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+ledger.StatementFileName(st.FirmName, st.PartnerName, st.Quarter, "pdf")+`"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(b)
		return true
	case statementCSV:
		csvout.Attach(w, ledger.StatementFileName(st.FirmName, st.PartnerName, st.Quarter, "csv"))
		if err := ledger.WriteStatementCSV(w, st); err != nil {
			s.Logger.Error("statement csv", "request_id", requestIDFrom(r.Context()), "err", err)
		}
		return true
	}
	return false
}

// statementView fills the statement's props; base is the statements URL
// ("…/statements"); staff pages word the issue note for the firm.
func statementView(st ledger.Statement, base string, staff bool) view.StatementView {
	d := view.StatementView{FirmName: st.FirmName, PartnerName: st.PartnerName, Quarter: st.Quarter.Label(),
		Period: st.PeriodNote(), ToDate: st.ToDate, Revised: st.RevisedNote(),
		Submitted: st.ReferralsSubmitted, Won: st.ReferralsWon,
		PDFURL: base + "/" + st.Quarter.String() + ".pdf", CSVURL: base + "/" + st.Quarter.String() + ".csv", ListURL: base}
	switch {
	case st.Issued != nil && st.Issued.EmailedAt != nil:
		d.Issued = "Issued on " + st.Issued.GeneratedAt.Format(dayFormat) + " and emailed on " + st.Issued.EmailedAt.Format(dayFormat) + "."
	case st.Issued != nil && staff:
		d.Issued = "Issued on " + st.Issued.GeneratedAt.Format(dayFormat) + "; not emailed (the partner had no portal users then)."
	case st.Issued != nil:
		d.Issued = "Issued on " + st.Issued.GeneratedAt.Format(dayFormat) + "."
	case !st.ToDate && staff:
		d.Issued = "Not issued yet: the figures below are live."
	}
	prev := st.Quarter.Prev()
	d.Prev = &view.StatementLink{Label: prev.Label(), URL: base + "/" + prev.String()}
	if next := st.Quarter.Next(); ledger.CheckQuarter(next, st.Today) == nil {
		d.Next = &view.StatementLink{Label: next.Label(), URL: base + "/" + next.String()}
	}
	for _, a := range st.Accounts {
		av := view.StatementAccountView{Title: ledger.AccountTitle(a.Direction, a.Currency)}
		if staff {
			av.Title = "We owe the partner (" + a.Currency + ")"
			if a.Direction == commission.WeReceive {
				av.Title = "The partner owes us (" + a.Currency + ")"
			}
		}
		for _, l := range ledger.StatementSummaryLines(a) {
			label := l.Label
			if staff && l.Key == "paid" {
				label = "Paid"
				if a.Direction == commission.WeReceive {
					label = "Received"
				}
			}
			av.Lines = append(av.Lines, view.StatementLine{Key: l.Key, Label: label, Amount: commission.FormatCents(l.Cents)})
		}
		d.Accounts = append(d.Accounts, av)
	}
	for _, rv := range st.Revenue {
		d.Revenue = append(d.Revenue, ledger.Money(rv.AmountCents, rv.Currency))
	}
	for _, rf := range st.Referrals {
		row := view.StatementReferralRow{Ref: referralRef(rf.Number), Client: rf.Client,
			Submitted: rf.SubmittedOn.Format(dayFormat), Status: referral.StatusLabel(rf.Status)}
		if rf.WonOn != nil {
			row.Won = rf.WonOn.Format(dayFormat)
		}
		d.Referrals = append(d.Referrals, row)
	}
	for _, e := range st.Entries {
		row := view.StatementEntryRow{ID: e.ID.String(), Date: e.On.Format(dayFormat), Kind: ledger.EntryKindLabel(e),
			Referral: ledger.EntryReferral(e), Explanation: e.Explanation, Trace: ledger.EntryTrace(e),
			Amount: ledger.Money(e.AmountCents, e.Currency), Status: e.Status}
		if e.Direction == commission.WeReceive && e.Kind != ledger.KindPayout {
			row.Kind += " (owed to " + st.FirmName + ")"
		}
		if e.Rule != nil {
			row.Rule = agreement.DescribeRule(*e.Rule)
		}
		if e.DueOn != nil {
			row.DueOn = e.DueOn.Format(dayFormat)
		}
		d.Entries = append(d.Entries, row)
	}
	return d
}

// quarterRows lists quarters, linking each to prefix + "2026-Q3".
func quarterRows(qs []ledger.QuarterInfo, prefix string) []view.StatementQuarterRow {
	out := make([]view.StatementQuarterRow, 0, len(qs))
	for _, q := range qs {
		row := view.StatementQuarterRow{Label: q.Quarter.Label(), Period: q.Quarter.Period(), URL: prefix + q.Quarter.String(), ToDate: q.ToDate}
		if q.GeneratedAt != nil {
			row.Issued = "Issued " + q.GeneratedAt.Format(dayFormat)
		}
		out = append(out, row)
	}
	return out
}
