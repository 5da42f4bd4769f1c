package server

import (
	"bytes"
	"context"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// commissionAreaRoutes is the firm-wide Commissions area under
// /t/{tenant}/commissions: the review queue (approve or hold accrued
// commissions), payout runs (preview, batch, CSV, mark paid, cancel) and
// what partners owe us. Every staff member reads; acting needs ManageMoney.
func (s *Server) commissionAreaRoutes(r chi.Router) {
	money := s.requireCap(auth.ManageMoney)
	r.Get("/", s.showReview)
	r.Get("/export.csv", s.reviewQueueExport)
	r.With(money).Post("/review", s.reviewEntries)
	r.Get("/payouts", s.showPayouts)
	r.Get("/payouts/export.csv", s.payoutsExport)
	r.Get("/payouts/new", s.previewPayoutRun)
	r.With(money).Post("/payouts", s.createPayoutBatch)
	r.Get("/payouts/{batch}", s.showPayoutBatch)
	r.Get("/payouts/{batch}/csv", s.payoutBatchCSV)
	r.With(money).Post("/payouts/{batch}/paid", s.markPayoutBatchPaid)
	r.With(money).Post("/payouts/{batch}/cancel", s.cancelPayoutBatch)
	r.Get("/receivables", s.showReceivables)
	r.Get("/unresolved/export.csv", s.unresolvedExport) // unresolved.go (the page is routed in revenue_import.go)
}

// commissionSettingsRoutes is the firm's commission settings under
// /t/{tenant}/settings (already limited to ManageSettings): the minimum
// payout.
func (s *Server) commissionSettingsRoutes(r chi.Router) {
	r.Get("/commissions", s.showCommissionSettings)
	r.Post("/commissions", s.saveCommissionSettings)
}

// ---- shared ----

func payoutAreaBase(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/commissions" }

func payoutNav(sc *staffCtx, active string) view.CommissionNav {
	return view.CommissionNav{Base: payoutAreaBase(sc), Active: active}
}

func payoutPartnerURL(sc *staffCtx, id uuid.UUID) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + id.String() + "/commissions"
}

func payoutBatchURL(sc *staffCtx, id uuid.UUID) string {
	return payoutAreaBase(sc) + "/payouts/" + id.String()
}

// payoutToday is the firm's today (its time zone), as a date at UTC
// midnight.
func (s *Server) payoutToday(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (time.Time, error) {
	set, err := referral.GetSettings(ctx, tx, tenantID)
	if err != nil {
		return time.Time{}, err
	}
	y, m, d := s.now().In(set.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// payoutDay reads a YYYY-MM-DD field; "" is (zero, "").
func payoutDay(v string, today time.Time) (time.Time, string) {
	if v == "" {
		return time.Time{}, ""
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, "Use a date like " + today.Format(time.DateOnly) + "."
	}
	return t, ""
}

func payoutMoney(c int64, currency string) string {
	return commission.FormatCents(c) + " " + currency
}

func payoutDirectionLabel(d commission.Direction) string {
	if d == commission.WeReceive {
		return "Partners pay us"
	}
	return "We pay partners"
}

func payoutBatchStatus(st string) (label, tone string) {
	switch st {
	case ledger.BatchPaid:
		return "Paid", "success"
	case ledger.BatchCancelled:
		return "Cancelled", "neutral"
	default:
		return "Open", "warning"
	}
}

func payoutStatus(st string) (label, tone string) {
	switch st {
	case ledger.PayoutPaid:
		return "Paid", "success"
	case ledger.PayoutCancelled:
		return "Cancelled", "neutral"
	default:
		return "Pending", "warning"
	}
}

func payoutDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(dayFormat)
}

func payoutRef(r *string) string {
	if r == nil {
		return ""
	}
	return *r
}

func payoutBatchNumber(n int32) string { return "#" + strconv.Itoa(int(n)) }

// payoutFormErrors turns a ledger error into the errors of a form that
// shows the fields named in known; other field messages go on top.
func payoutFormErrors(err error, known ...string) view.Form {
	fe := apperr.FieldErrors(err)
	f := view.Form{}
	for _, k := range slices.Sorted(maps.Keys(fe)) {
		if slices.Contains(known, k) {
			if f.Errors == nil {
				f.Errors = view.FieldErrors{}
			}
			f.Errors[k] = fe[k]
		} else {
			f.NonField = append(f.NonField, fe[k])
		}
	}
	if len(fe) == 0 {
		f.NonField = []string{apperr.Message(err)}
	}
	return f
}

// payoutEntryState says where an entry stands: its review, or the payout
// it is in (payouts maps a payout to its batch number and reference).
func payoutEntryState(st ledger.EntryState, payouts map[uuid.UUID]ledger.Payout) string {
	if st.PayoutID != nil {
		p, known := payouts[*st.PayoutID]
		if st.PayoutStatus == ledger.PayoutPaid {
			out := "Paid"
			if on := st.PaidOn; on != nil {
				out += " " + on.Format(dayFormat)
			} else if known && p.PaidOn != nil {
				out += " " + p.PaidOn.Format(dayFormat)
			}
			if known && p.Reference != nil {
				out += " (ref " + *p.Reference + ")"
			}
			return out
		}
		switch {
		case known && p.BatchNumber > 0:
			return "In payout " + payoutBatchNumber(p.BatchNumber)
		case known: // the portal can't read batches, nor their numbers
			return "In the payout of " + p.CreatedAt.Format(dayFormat)
		}
		return "In a payout"
	}
	switch st.Review {
	case ledger.ReviewPending:
		return "Awaiting approval"
	case ledger.ReviewApproved:
		return "Approved"
	case ledger.ReviewHeld:
		return "On hold"
	}
	return ""
}

// payoutPartnerRows shows a partner's payouts; batchURL is nil in the
// portal (batches are the firm's).
func payoutPartnerRows(ps []ledger.Payout, batchURL func(uuid.UUID) string) []view.PartnerPayoutRow {
	out := make([]view.PartnerPayoutRow, 0, len(ps))
	for _, p := range ps {
		label, tone := payoutStatus(p.Status)
		row := view.PartnerPayoutRow{Batch: payoutBatchNumber(p.BatchNumber), Direction: payoutDirectionLabel(p.Direction),
			Amount: payoutMoney(p.AmountCents, p.Currency), Entries: p.Entries, Status: label, Tone: tone,
			PaidOn: payoutDate(p.PaidOn), Reference: payoutRef(p.Reference), Created: p.CreatedAt.Format(dayFormat)}
		if p.BatchNumber == 0 {
			row.Batch = p.CreatedAt.Format(dayFormat)
		}
		if batchURL != nil {
			row.BatchURL = batchURL(p.BatchID)
		}
		out = append(out, row)
	}
	return out
}

// ---- review ----

// reviewQuery is the review queue's filters as typed.
type reviewQuery struct {
	Partner, Status, DueBy string
	DueByError             string
	F                      ledger.ReviewFilter
}

// parseReviewQuery reads the filters; get reads a value by name. Unknown
// values are dropped, a bad date is shown next to its field.
func parseReviewQuery(get func(string) string, today time.Time) reviewQuery {
	q := reviewQuery{Partner: strings.TrimSpace(get("partner")), Status: strings.TrimSpace(get("status")),
		DueBy: strings.TrimSpace(get("due_by"))}
	q.F.Direction = commission.WePay
	if id, err := uuid.Parse(q.Partner); err == nil {
		q.F.PartnerID = &id
	} else {
		q.Partner = ""
	}
	switch q.Status {
	case ledger.ReviewPending, ledger.ReviewHeld, ledger.ReviewApproved:
		q.F.Status = q.Status
	default:
		q.Status = ""
	}
	if t, msg := payoutDay(q.DueBy, today); msg != "" {
		q.DueByError = msg
	} else if !t.IsZero() {
		q.F.DueBy = &t
	}
	return q
}

func (q reviewQuery) filtered() bool { return q.Partner != "" || q.Status != "" || q.DueBy != "" }

// values is the query string of the filters.
func (q reviewQuery) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"partner": q.Partner, "status": q.Status, "due_by": q.DueBy} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

const reviewLimit = 500

// reviewKind names an entry in the queue.
func reviewKind(e ledger.Entry) string {
	switch {
	case e.TopUpBP > 0:
		return "Tier top-up"
	case e.Kind == ledger.KindAdjustment:
		return "Adjustment"
	case e.Kind == ledger.KindReversal:
		return "Reversal"
	}
	return "Commission"
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request) {
	s.renderReview(w, r, http.StatusOK, r.URL.Query().Get, nil)
}

// renderReview loads and shows the queue with the filters read by get;
// edit fills in the action form when it is re-shown.
func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, status int, get func(string) string, edit func(*view.ReviewProps)) {
	ctx := r.Context()
	var (
		q        reviewQuery
		items    []ledger.ReviewItem
		pending  []ledger.ReviewItem
		held     []ledger.ReviewItem
		approved []ledger.ReviewItem
		partners []partner.Partner
		today    time.Time
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		q = parseReviewQuery(get, today)
		f := q.F
		f.Limit = reviewLimit
		if q.DueByError == "" {
			if items, err = ledger.ReviewQueue(ctx, tx, sc.Tenant.ID, f); err != nil {
				return err
			}
		}
		const all = 100_000
		if pending, err = ledger.ReviewQueue(ctx, tx, sc.Tenant.ID, ledger.ReviewFilter{Status: ledger.ReviewPending, Limit: all}); err != nil {
			return err
		}
		if held, err = ledger.ReviewQueue(ctx, tx, sc.Tenant.ID, ledger.ReviewFilter{Status: ledger.ReviewHeld, Limit: all}); err != nil {
			return err
		}
		if approved, err = ledger.ReviewQueue(ctx, tx, sc.Tenant.ID, ledger.ReviewFilter{Status: ledger.ReviewApproved,
			DueBy: &today, Limit: all}); err != nil {
			return err
		}
		partners, err = partner.List(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.ReviewProps{Nav: payoutNav(sc, "review"), FilterURL: payoutAreaBase(sc), ActionURL: payoutAreaBase(sc) + "/review",
		CanAct: sc.Role.Can(auth.ManageMoney), Partner: q.Partner, Status: q.Status, DueBy: q.DueBy, DueByError: q.DueByError,
		Partners: partnerOptions(partners, false), Filtered: q.filtered(), Awaiting: len(pending), Held: len(held),
		Truncated: len(items) >= reviewLimit, Selected: map[string]bool{},
		ExportURL: withQuery(payoutAreaBase(sc)+"/export.csv", q.values())}
	d.ApprovedDue = payoutSumByCurrency(approved)
	for _, it := range items {
		e := it.Entry
		row := view.ReviewRow{ID: e.ID.String(), Partner: it.PartnerName, PartnerURL: payoutPartnerURL(sc, e.PartnerID),
			What: e.Explanation, Kind: reviewKind(e), Amount: payoutMoney(e.AmountCents, e.Currency), Reason: it.Reason}
		if e.Kind == ledger.KindAdjustment && e.Reason != "" {
			row.What = strings.TrimSpace(row.What + " Reason: " + e.Reason)
		}
		if it.ReferralNumber != nil {
			row.Referral = referralRef(*it.ReferralNumber)
		}
		if it.ClientCompany != nil {
			row.Client = *it.ClientCompany
		}
		if e.DueOn != nil {
			row.Due = e.DueOn.Format(dayFormat)
			row.Overdue = !e.DueOn.After(today)
		}
		switch it.Status {
		case ledger.ReviewApproved:
			row.Status, row.Tone = "Approved", "success"
		case ledger.ReviewHeld:
			row.Status, row.Tone = "On hold", "danger"
		default:
			row.Status, row.Tone = "Awaiting review", "warning"
		}
		d.Items = append(d.Items, row)
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.ReviewPage(s.page(r, "Review commissions", "commissions"), d))
}

// payoutSumByCurrency totals entries per currency: "$4,000.00" for one
// currency (or none), "$4,000.00 USD and $10.00 EUR" for several.
func payoutSumByCurrency(items []ledger.ReviewItem) string {
	sums := map[string]int64{}
	for _, it := range items {
		sums[it.Entry.Currency] += it.Entry.AmountCents
	}
	switch len(sums) {
	case 0:
		return commission.FormatCents(0)
	case 1:
		for _, v := range sums {
			return commission.FormatCents(v)
		}
	}
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(sums)) {
		parts = append(parts, payoutMoney(sums[c], c))
	}
	return strings.Join(parts, " and ")
}

// reviewForm is an approve-or-hold request.
type reviewForm struct {
	Action string
	IDs    []uuid.UUID
	Raw    []string
	Reason string
}

// reviewFormFrom reads the form; a malformed id is an error on entries.
func reviewFormFrom(r *http.Request) (reviewForm, error) {
	f := reviewForm{Action: r.PostForm.Get("action"), Raw: r.PostForm["entry"], Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	fe := map[string]string{}
	for _, v := range f.Raw {
		id, err := uuid.Parse(v)
		if err != nil {
			fe["entries"] = "Select commissions from the list."
			continue
		}
		f.IDs = append(f.IDs, id)
	}
	if len(f.Raw) == 0 {
		fe["entries"] = "Select at least one commission."
	}
	switch f.Action {
	case "approve":
	case "hold":
		if f.Reason == "" {
			fe["reason"] = "Say why you hold them: the partner sees it."
		} else if utf8.RuneCountInString(f.Reason) > 2000 {
			fe["reason"] = "Keep the reason to 2000 characters."
		}
	default:
		return f, apperr.Errorf(apperr.EInvalid, "Choose Approve selected or Hold selected.")
	}
	if len(fe) > 0 {
		return f, apperr.Invalid(fe)
	}
	return f, nil
}

// reviewApply approves or holds the entries in tx.
func reviewApply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, f reviewForm) (int, error) {
	by := uuid.Nil
	if u := userFrom(ctx); u != nil {
		by = u.ID
	}
	if f.Action == "hold" {
		return ledger.Hold(ctx, tx, tenantID, f.IDs, f.Reason, by)
	}
	return ledger.Approve(ctx, tx, tenantID, f.IDs, by)
}

// reviewFlash says what an approve or hold did.
func reviewFlash(f reviewForm, n int) string {
	what := plural(len(f.IDs), "commission", "commissions")
	count := strconv.Itoa(len(f.IDs)) + " " + what
	if f.Action == "hold" {
		return count + " on hold: " + f.Reason
	}
	msg := count + " approved"
	if n < len(f.IDs) {
		msg += " (" + strconv.Itoa(len(f.IDs)-n) + " already were)"
	}
	return msg + ": paid in the next payout run once due."
}

// reviewEntries approves or holds the selected entries of the queue, all
// or none; the queue is shown again with its filters.
func (s *Server) reviewEntries(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	filters := func(k string) string { return r.PostForm.Get("f_" + k) }
	var f reviewForm
	var n int
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if f, err = reviewFormFrom(r); err != nil {
			return err
		}
		n, err = reviewApply(ctx, tx, sc.Tenant.ID, f)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderReview(w, r, statusFor(code), filters, func(d *view.ReviewProps) {
			d.Action = payoutFormErrors(err, "entries", "reason")
			d.Reason = f.Reason
			for _, v := range f.Raw {
				d.Selected[v] = true
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", reviewFlash(f, n))
	to := payoutAreaBase(sc)
	if v := parseReviewQuery(filters, s.now()).values(); len(v) > 0 {
		to += "?" + v.Encode()
	}
	redirect(w, r, to)
}

// ---- payouts ----

// payoutRunFrom reads a run's direction, currency and date as typed (get
// reads a value by name) and checks them.
func payoutRunFrom(get func(string) string, today time.Time) (view.PayoutRunForm, ledger.PayoutRun, error) {
	f := view.PayoutRunForm{Direction: strings.TrimSpace(get("direction")), Currency: strings.ToUpper(strings.TrimSpace(get("currency"))),
		UpTo: strings.TrimSpace(get("up_to"))}
	run := ledger.PayoutRun{Direction: commission.Direction(f.Direction), Currency: f.Currency}
	fe := map[string]string{}
	if run.Direction != commission.WePay && run.Direction != commission.WeReceive {
		fe["direction"] = "Choose who pays whom."
	}
	if len(f.Currency) != 3 || strings.Trim(f.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		fe["currency"] = "Use a three-letter code like USD."
	}
	if f.UpTo == "" {
		fe["up_to"] = "Choose the day: commissions due up to it are included."
	} else if t, msg := payoutDay(f.UpTo, today); msg != "" {
		fe["up_to"] = msg
	} else {
		run.UpTo = t
	}
	if len(fe) > 0 {
		return f, run, apperr.Invalid(fe)
	}
	return f, run, nil
}

func (s *Server) showPayouts(w http.ResponseWriter, r *http.Request) {
	s.renderPayouts(w, r, http.StatusOK, nil)
}

// renderPayouts shows the batches and the new-run form; run, when set, is
// the form re-shown with its errors.
func (s *Server) renderPayouts(w http.ResponseWriter, r *http.Request, status int, run *view.PayoutRunForm) {
	ctx := r.Context()
	var bs []ledger.Batch
	var today time.Time
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		bs, err = ledger.ListBatches(ctx, tx, sc.Tenant.ID, 200)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.PayoutsProps{Nav: payoutNav(sc, "payouts"), PreviewURL: payoutAreaBase(sc) + "/payouts/new",
		CanAct: sc.Role.Can(auth.ManageMoney), ExportURL: payoutAreaBase(sc) + "/payouts/export.csv",
		Run: view.PayoutRunForm{Direction: string(commission.WePay), Currency: "USD", UpTo: today.Format(time.DateOnly)}}
	if run != nil {
		d.Run = *run
	}
	for _, b := range bs {
		label, tone := payoutBatchStatus(b.Status)
		d.Batches = append(d.Batches, view.BatchRow{URL: payoutBatchURL(sc, b.ID), Number: payoutBatchNumber(b.Number),
			Direction: payoutDirectionLabel(b.Direction), UpTo: b.UpTo.Format(dayFormat), Partners: b.Payouts,
			Total: payoutMoney(b.TotalCents, b.Currency), Status: label, Tone: tone, PaidOn: payoutDate(b.PaidOn),
			Reference: payoutRef(b.Reference)})
	}
	s.render(w, r, status, view.PayoutsPage(s.page(r, "Payouts", "commissions"), d))
}

// previewPayoutRun shows what a run would pay (nothing is written); a bad
// run re-shows the form on the Payouts tab.
func (s *Server) previewPayoutRun(w http.ResponseWriter, r *http.Request) {
	s.renderPayoutPreview(w, r, http.StatusOK, r.URL.Query().Get, nil)
}

// renderPayoutPreview previews the run read by get; create, when set, is
// the create form's errors.
func (s *Server) renderPayoutPreview(w http.ResponseWriter, r *http.Request, status int, get func(string) string, create *view.Form) {
	ctx := r.Context()
	var (
		form  view.PayoutRunForm
		run   ledger.PayoutRun
		pv    ledger.Preview
		today time.Time
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if form, run, err = payoutRunFrom(get, today); err != nil {
			return err
		}
		pv, err = ledger.PreviewPayouts(ctx, tx, sc.Tenant.ID, run)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		form.Form = payoutFormErrors(err, "direction", "currency", "up_to")
		s.renderPayouts(w, r, http.StatusUnprocessableEntity, &form)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.PayoutPreviewProps{Nav: payoutNav(sc, "payouts"), BackURL: payoutAreaBase(sc) + "/payouts",
		CreateURL: payoutAreaBase(sc) + "/payouts", CanAct: sc.Role.Can(auth.ManageMoney),
		Direction: string(run.Direction), DirectionLabel: payoutDirectionLabel(run.Direction), Currency: run.Currency,
		UpTo: run.UpTo.Format(time.DateOnly), UpToLabel: run.UpTo.Format(dayFormat), MinPayout: commission.FormatCents(pv.MinPayout),
		Total: payoutMoney(pv.TotalCents, run.Currency), PaidCount: pv.PaidCount, CarriedOver: pv.CarriedOver,
		Note: strings.TrimSpace(get("note"))}
	if run.Direction == commission.WeReceive {
		d.DirectionLabel = "Invoice partners for what they owe us"
		d.MinPayout = commission.FormatCents(0) + " (no minimum for invoices)"
	}
	for _, p := range pv.Partners {
		d.Rows = append(d.Rows, view.PreviewRow{Partner: p.PartnerName, PartnerURL: payoutPartnerURL(sc, p.PartnerID),
			Entries: len(p.Entries), Total: payoutMoney(p.TotalCents, run.Currency), CarriedForward: p.CarriedForward, Held: p.Held})
	}
	if create != nil {
		d.Create = *create
	}
	title := "New payout run"
	if run.Direction == commission.WeReceive {
		title = "New invoice run"
	}
	s.render(w, r, status, view.PayoutPreviewPage(s.page(r, title, "commissions"), d))
}

// createPayoutBatch creates the batch the preview showed (as it stands
// now) and opens it. Nothing payable any more re-shows the preview.
func (s *Server) createPayoutBatch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	get := r.PostForm.Get
	var b ledger.Batch
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		today, err := s.payoutToday(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		_, run, err := payoutRunFrom(get, today)
		if err != nil {
			return err
		}
		run.Note = strings.TrimSpace(get("note"))
		if utf8.RuneCountInString(run.Note) > 2000 {
			return apperr.Invalid(map[string]string{"note": "Keep the note to 2000 characters."})
		}
		run.Outbox, run.BaseURL = s.Outbox, s.Config.BaseURL
		b, err = ledger.CreateBatch(ctx, tx, sc.Tenant.ID, run, userFrom(ctx).ID)
		return err
	})
	switch code := apperr.Code(err); {
	case err == nil:
	case code == apperr.EInvalid && apperr.FieldErrors(err)["note"] != "":
		f := payoutFormErrors(err, "note")
		s.renderPayoutPreview(w, r, http.StatusUnprocessableEntity, get, &f)
		return
	case code == apperr.EInvalid:
		s.renderPayoutPreview(w, r, http.StatusUnprocessableEntity, get, nil)
		return
	case code == apperr.EConflict:
		f := view.Form{NonField: []string{apperr.Message(err)}}
		s.renderPayoutPreview(w, r, http.StatusConflict, get, &f)
		return
	default:
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	what := "Payout batch "
	if b.Direction == commission.WeReceive {
		what = "Invoice batch "
	}
	s.flash(r, "success", what+payoutBatchNumber(b.Number)+" created: "+strconv.Itoa(b.Payouts)+" "+
		plural(b.Payouts, "partner", "partners")+", "+payoutMoney(b.TotalCents, b.Currency)+". Download the CSV, then mark it paid.")
	redirect(w, r, payoutBatchURL(sc, b.ID))
}

// inPayoutBatch runs fn in the firm's transaction with the batch named by
// the {batch} path parameter; a malformed id or another firm's batch is
// not found.
func (s *Server) inPayoutBatch(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, b ledger.Batch) error) error {
	id, err := idParam(r, "batch")
	if err != nil {
		return err
	}
	return s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		b, err := ledger.GetBatch(r.Context(), tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		return fn(tx, sc, b)
	})
}

func (s *Server) showPayoutBatch(w http.ResponseWriter, r *http.Request) {
	s.renderPayoutBatch(w, r, http.StatusOK, nil)
}

// renderPayoutBatch loads and shows the batch; edit fills in a form's
// input and errors when it is re-shown.
func (s *Server) renderPayoutBatch(w http.ResponseWriter, r *http.Request, status int, edit func(*view.BatchProps)) {
	ctx := r.Context()
	var (
		b     ledger.Batch
		ps    []ledger.Payout
		today time.Time
	)
	err := s.inPayoutBatch(r, func(tx pgx.Tx, sc *staffCtx, got ledger.Batch) (err error) {
		b = got
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		ps, err = ledger.BatchPayouts(ctx, tx, sc.Tenant.ID, b.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := payoutBatchURL(sc, b.ID)
	label, tone := payoutBatchStatus(b.Status)
	d := view.BatchProps{Nav: payoutNav(sc, "payouts"), Number: payoutBatchNumber(b.Number), Direction: payoutDirectionLabel(b.Direction),
		Currency: b.Currency, UpTo: b.UpTo.Format(dayFormat), Status: label, Tone: tone, Created: b.CreatedAt.Format(dayFormat),
		PaidOn: payoutDate(b.PaidOn), Reference: payoutRef(b.Reference), Cancelled: payoutDate(b.CancelledAt),
		CancelReason: b.CancelReason, Note: b.Note, Total: payoutMoney(b.TotalCents, b.Currency),
		CSVURL: base + "/csv", PaidURL: base + "/paid", CancelURL: base + "/cancel", BackURL: payoutAreaBase(sc) + "/payouts",
		CanAct: sc.Role.Can(auth.ManageMoney), Open: b.Status == ledger.BatchOpen,
		Paid: view.PaidForm{PaidOn: today.Format(time.DateOnly)}}
	for _, p := range ps {
		pl, pt := payoutStatus(p.Status)
		d.Payouts = append(d.Payouts, view.BatchPayoutRow{Partner: p.PartnerName, PartnerURL: payoutPartnerURL(sc, p.PartnerID),
			Amount: payoutMoney(p.AmountCents, p.Currency), Entries: p.Entries, Status: pl, Tone: pt,
			PaidOn: payoutDate(p.PaidOn), Reference: payoutRef(p.Reference)})
	}
	if edit != nil {
		edit(&d)
	}
	what := "Payout batch "
	if b.Direction == commission.WeReceive {
		what = "Invoice batch "
	}
	s.render(w, r, status, view.PayoutBatchPage(s.page(r, what+payoutBatchNumber(b.Number), "commissions"), d))
}

// payoutBatchCSV downloads the batch for the bank or accounts payable.
func (s *Server) payoutBatchCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var buf bytes.Buffer
	var b ledger.Batch
	var today time.Time
	err := s.inPayoutBatch(r, func(tx pgx.Tx, sc *staffCtx, got ledger.Batch) (err error) {
		b = got
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		return ledger.WriteBatchCSV(ctx, tx, sc.Tenant.ID, b.ID, &buf)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	csvout.Attach(w, csvout.Filename(sc.Tenant.Slug+"-payout-batch-"+strconv.Itoa(int(b.Number)), today))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// markPayoutBatchPaid records that the batch was paid (or received) on a
// day with a reference: each partner's payout entry is posted and the
// partners are emailed, in one transaction.
func (s *Server) markPayoutBatchPaid(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var form view.PaidForm
	var b ledger.Batch
	err := s.inPayoutBatch(r, func(tx pgx.Tx, sc *staffCtx, got ledger.Batch) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		form = view.PaidForm{PaidOn: strings.TrimSpace(r.PostForm.Get("paid_on")), Reference: strings.TrimSpace(r.PostForm.Get("reference"))}
		today, err := s.payoutToday(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		in := ledger.PaidInput{Reference: form.Reference, By: userFrom(ctx).ID, Today: today, Outbox: s.Outbox, BaseURL: s.Config.BaseURL}
		fe := map[string]string{}
		if form.PaidOn == "" {
			fe["paid_on"] = "Required: the day the money left (or arrived)."
		} else if t, msg := payoutDay(form.PaidOn, today); msg != "" {
			fe["paid_on"] = msg
		} else if t.After(today) {
			fe["paid_on"] = "Can't be in the future."
		} else {
			in.PaidOn = t
		}
		if form.Reference == "" {
			fe["reference"] = "Required: the bank's or accounts payable's reference."
		}
		if len(fe) > 0 {
			return apperr.Invalid(fe)
		}
		b, err = ledger.MarkBatchPaid(ctx, tx, sc.Tenant.ID, got.ID, in)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderPayoutBatch(w, r, statusFor(code), func(d *view.BatchProps) {
			form.Form = payoutFormErrors(err, "paid_on", "reference")
			d.Paid = form
			if code == apperr.EConflict {
				d.Open = true // show the message where the person acted
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	msg := "Batch " + payoutBatchNumber(b.Number) + " marked paid on " + payoutDate(b.PaidOn) + " (ref " + payoutRef(b.Reference) + ")"
	if b.Direction == commission.WePay {
		msg += "; " + strconv.Itoa(b.Payouts) + " " + plural(b.Payouts, "partner was", "partners were") + " emailed."
	} else {
		msg += "."
	}
	s.flash(r, "success", msg)
	redirect(w, r, payoutBatchURL(sc, b.ID))
}

// cancelPayoutBatch cancels an open batch with a reason; its entries can
// be paid in a new run.
func (s *Server) cancelPayoutBatch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var form view.CancelForm
	var b ledger.Batch
	err := s.inPayoutBatch(r, func(tx pgx.Tx, sc *staffCtx, got ledger.Batch) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		form.Reason = strings.TrimSpace(r.PostForm.Get("reason"))
		if form.Reason == "" {
			return apperr.Invalid(map[string]string{"reason": "Say why the batch is cancelled."})
		}
		b, err = ledger.CancelBatch(ctx, tx, sc.Tenant.ID, got.ID, form.Reason, userFrom(ctx).ID)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderPayoutBatch(w, r, statusFor(code), func(d *view.BatchProps) {
			form.Form = payoutFormErrors(err, "reason")
			d.Cancel = form
			if code == apperr.EConflict {
				d.Open = true
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", "Batch "+payoutBatchNumber(b.Number)+" cancelled; its commissions can be paid in a new run.")
	redirect(w, r, payoutBatchURL(sc, b.ID))
}

// ---- owed to us ----

// showReceivables is what partners owe us, per partner and currency, with
// the form that starts an invoice run.
func (s *Server) showReceivables(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var rs []ledger.Receivable
	var today time.Time
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if today, err = s.payoutToday(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		rs, err = ledger.Receivables(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.ReceivablesProps{Nav: payoutNav(sc, "receivables"), PreviewURL: payoutAreaBase(sc) + "/payouts/new",
		CanAct: sc.Role.Can(auth.ManageMoney),
		Run: view.PayoutRunForm{Direction: string(commission.WeReceive), Currency: "USD", UpTo: today.Format(time.DateOnly),
			FixedDirection: true}}
	type total struct{ expected, invoiced, received int64 }
	totals := map[string]*total{}
	for _, x := range rs {
		d.Rows = append(d.Rows, view.ReceivableRow{Partner: x.PartnerName, PartnerURL: payoutPartnerURL(sc, x.PartnerID),
			Currency: x.Currency, Expected: commission.FormatCents(x.ExpectedCents), Invoiced: commission.FormatCents(x.InvoicedCents),
			Received: commission.FormatCents(x.ReceivedCents)})
		t := totals[x.Currency]
		if t == nil {
			t = &total{}
			totals[x.Currency] = t
		}
		t.expected += x.ExpectedCents
		t.invoiced += x.InvoicedCents
		t.received += x.ReceivedCents
	}
	for _, c := range slices.Sorted(maps.Keys(totals)) {
		t := totals[c]
		d.Totals = append(d.Totals, view.ReceivableRow{Currency: c, Expected: commission.FormatCents(t.expected),
			Invoiced: commission.FormatCents(t.invoiced), Received: commission.FormatCents(t.received)})
	}
	if len(d.Totals) > 0 {
		d.Run.Currency = d.Totals[0].Currency
	}
	s.render(w, r, http.StatusOK, view.ReceivablesPage(s.page(r, "Owed to us", "commissions"), d))
}

// ---- settings ----

func commissionSettingsURL(sc *staffCtx) string {
	return "/t/" + sc.Tenant.Slug + "/settings/commissions"
}

func (s *Server) showCommissionSettings(w http.ResponseWriter, r *http.Request) {
	s.renderCommissionSettings(w, r, http.StatusOK, nil)
}

// renderCommissionSettings shows the settings; form, when set, is what was
// typed with its errors.
func (s *Server) renderCommissionSettings(w http.ResponseWriter, r *http.Request, status int, form *view.CommissionSettingsProps) {
	ctx := r.Context()
	var min int64
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		min, err = ledger.MinPayout(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.CommissionSettingsProps{URL: commissionSettingsURL(sc), MinPayout: commission.FormatDollars(min),
		Current: commission.FormatCents(min)}
	if form != nil {
		d.Form, d.MinPayout = form.Form, form.MinPayout
	}
	s.render(w, r, status, view.CommissionSettingsPage(s.page(r, "Commission settings", "commission-settings"), d))
}

// saveCommissionSettings stores the minimum payout (audited by the ledger).
func (s *Server) saveCommissionSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("min_payout"))
	var cents int64
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		c, ok, msg := commission.ParseDollars(typed)
		switch {
		case typed == "":
			return apperr.Invalid(map[string]string{"min_payout": "Enter an amount: 0 pays every balance."})
		case !ok:
			return apperr.Invalid(map[string]string{"min_payout": msg})
		case c > ledger.MaxMinPayoutCents:
			return apperr.Invalid(map[string]string{"min_payout": "At most " + commission.FormatCents(ledger.MaxMinPayoutCents) + "."})
		}
		cents = c
		return ledger.SetMinPayout(ctx, tx, sc.Tenant.ID, c)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderCommissionSettings(w, r, http.StatusUnprocessableEntity, &view.CommissionSettingsProps{
			Form: payoutFormErrors(err, "min_payout"), MinPayout: typed})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Minimum payout saved: "+commission.FormatCents(cents)+".")
	redirect(w, r, commissionSettingsURL(staffFrom(ctx)))
}

// reviewQueueExportHeader are the columns of the review queue export.
var reviewQueueExportHeader = []string{"partner", "referral", "client", "kind", "what", "amount", "currency", "due", "status", "reason"}

// reviewQueueExport downloads the review queue the page shows (its
// filters), every entry (the page stops at 500), as CSV. A bad due-by
// date is not applied.
func (s *Server) reviewQueueExport(w http.ResponseWriter, r *http.Request) {
	get := r.URL.Query().Get
	s.exportCSV(w, r, "commission-review", reviewQueueExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		today, err := s.payoutToday(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		f := parseReviewQuery(get, today).F
		f.Limit = math.MaxInt32
		items, err := ledger.ReviewQueue(ctx, tx, sc.Tenant.ID, f)
		if err != nil {
			return err
		}
		for _, it := range items {
			e := it.Entry
			ref, client, status := "", "", "Awaiting review"
			if it.ReferralNumber != nil {
				ref = referralRef(*it.ReferralNumber)
			}
			if it.ClientCompany != nil {
				client = *it.ClientCompany
			}
			switch it.Status {
			case ledger.ReviewApproved:
				status = "Approved"
			case ledger.ReviewHeld:
				status = "On hold"
			}
			what := e.Explanation
			if e.Kind == ledger.KindAdjustment && e.Reason != "" {
				what = strings.TrimSpace(what + " Reason: " + e.Reason)
			}
			if err := write(it.PartnerName, ref, client, reviewKind(e), what, exportAmount(e.AmountCents), e.Currency,
				exportDay(e.DueOn), status, it.Reason); err != nil {
				return err
			}
		}
		return nil
	})
}

// payoutsExportHeader are the columns of the payout batches export.
var payoutsExportHeader = []string{"batch", "direction", "up to", "partners", "total", "currency", "status", "paid on", "reference"}

// payoutsExport downloads every payout batch (the page shows the latest
// 200), newest first, as CSV; ?status= keeps one status.
func (s *Server) payoutsExport(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	s.exportCSV(w, r, "payouts", payoutsExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		bs, err := ledger.ListBatches(ctx, tx, sc.Tenant.ID, math.MaxInt32)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if status != "" && b.Status != status {
				continue
			}
			label, _ := payoutBatchStatus(b.Status)
			ref := ""
			if b.Reference != nil {
				ref = *b.Reference
			}
			if err := write(strconv.Itoa(int(b.Number)), payoutDirectionLabel(b.Direction), b.UpTo.Format(time.DateOnly),
				strconv.Itoa(b.Payouts), exportAmount(b.TotalCents), b.Currency, label, exportDay(b.PaidOn), ref); err != nil {
				return err
			}
		}
		return nil
	})
}
