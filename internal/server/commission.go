package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// partnerCommissionRoutes is a partner's Commissions tab (under
// /partners/{id}): its balance, the engagements of its won referrals with
// their client payments, its ledger entries with their review and payout,
// and its payouts. Recording a payment needs ManageMoney (it accrues in
// the same transaction), and so does approving or holding an entry.
func (s *Server) partnerCommissionRoutes(r chi.Router) {
	r.Get("/commissions", s.showCommissions)
	r.Get("/commissions/export.csv", s.commissionEntriesExport)
	r.With(s.requireCap(auth.ManageMoney)).Post("/commissions/payments", s.recordPayment)
	r.With(s.requireCap(auth.ManageMoney)).Post("/commissions/review", s.reviewPartnerEntry)
}

const dayFormat = "2 Jan 2006"

// showCommissions is the Commissions tab.
func (s *Server) showCommissions(w http.ResponseWriter, r *http.Request) {
	s.renderCommissions(w, r, http.StatusOK, nil)
}

// commissionsPaymentForm re-shows the record-a-payment form (with its
// errors) on the engagement formFor.
func commissionsPaymentForm(formFor uuid.UUID, form view.PaymentForm) func(*view.CommissionTabProps) {
	return func(d *view.CommissionTabProps) {
		for i := range d.Engagements {
			if d.Engagements[i].ID == formFor.String() {
				d.Engagements[i].Form = form
			}
		}
	}
}

// renderCommissions loads and shows the {id} partner's tab; edit fills in
// a form's input and errors when it is re-shown.
func (s *Server) renderCommissions(w http.ResponseWriter, r *http.Request, status int, edit func(*view.CommissionTabProps)) {
	ctx := r.Context()
	var (
		gs  []ledger.Engagement
		evs []ledger.RevenueEvent
		es  []ledger.EntryDetail
		bs  []ledger.Balance
		sts map[uuid.UUID]ledger.EntryState
		ps  []ledger.Payout
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if gs, err = ledger.PartnerEngagements(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		if evs, err = ledger.PartnerRevenue(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		if es, err = ledger.PartnerEntryDetails(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		if sts, err = ledger.EntryReviews(ctx, tx, sc.Tenant.ID, ids); err != nil {
			return err
		}
		if ps, err = ledger.PartnerPayouts(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		bs, err = ledger.Balances(ctx, tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	today := s.now()
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	d := view.CommissionTabProps{CommissionProps: view.CommissionProps{
		Header:     partnerHeader(sc, p, "commissions"),
		PaymentURL: base + "/commissions/payments",
		CanRecord:  sc.Role.Can(auth.ManageMoney),
		Balances:   balanceRows(bs),
	}, ReviewURL: base + "/commissions/review", CanReview: sc.Role.Can(auth.ManageMoney),
		StatementsURL: base + "/statements", TaxURL: base + "/tax", ExportURL: base + "/commissions/export.csv",
		Payouts: payoutPartnerRows(ps, func(id uuid.UUID) string { return payoutBatchURL(sc, id) })}
	byPayout := map[uuid.UUID]ledger.Payout{}
	for _, po := range ps {
		byPayout[po.ID] = po
	}
	byEngagement := map[uuid.UUID][]view.PaymentRow{}
	for _, ev := range evs {
		byEngagement[ev.EngagementID] = append(byEngagement[ev.EngagementID], paymentRow(ev))
	}
	for _, g := range gs {
		cg := view.CommissionEngagement{ID: g.ID.String(), Name: g.Name, Kind: engagementKindLabel(g.Kind),
			Referral: referralRef(g.ReferralNumber), Client: g.ClientCompany, Value: commission.FormatCents(g.ValueCents) + " " + g.Currency,
			Started: g.StartedOn.Format(dayFormat), Payments: byEngagement[g.ID]}
		d.Engagements = append(d.Engagements, cg)
	}
	for _, e := range es {
		row := view.CommissionEntryRow{Date: e.CreatedAt.Format(dayFormat), Kind: entryKindLabel(e.Kind),
			Amount: commission.FormatCents(e.AmountCents) + " " + e.Currency, Explanation: e.Explanation}
		if e.Direction == commission.WeReceive {
			row.Kind += " (they pay us)"
		}
		if e.Reason != "" {
			row.Explanation = strings.TrimSpace(row.Explanation + " Reason: " + e.Reason)
		}
		if e.DueOn != nil {
			row.DueOn = e.DueOn.Format(dayFormat)
		}
		row.Status = ledger.EntryStatus(e.Kind, e.DueOn, today)
		if e.ReferralNumber != nil {
			row.Referral = referralRef(*e.ReferralNumber)
		}
		if e.AgreementVersion != nil {
			row.Agreement = "v" + strconv.Itoa(int(*e.AgreementVersion))
		}
		item := view.CommissionEntryItem{CommissionEntryRow: row, ID: e.ID.String()}
		if st, ok := sts[e.ID]; ok {
			item.State = payoutEntryState(st, byPayout)
			if st.Review == ledger.ReviewHeld && st.PayoutID == nil {
				item.HoldNote = st.ReviewReason
			}
			if st.PayoutID != nil {
				if po, ok := byPayout[*st.PayoutID]; ok {
					item.PayoutURL = payoutBatchURL(sc, po.BatchID)
				}
			}
			if st.Review != "" && st.PayoutID == nil {
				item.CanApprove = st.Review != ledger.ReviewApproved
				item.CanHold = st.Review != ledger.ReviewHeld
			}
		}
		d.Entries = append(d.Entries, item)
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.CommissionPage(s.page(r, p.Name, "partners"), d))
}

// reviewPartnerEntry approves or holds (with a reason) one of the
// partner's entries from its tab; another partner's entry is not found.
func (s *Server) reviewPartnerEntry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f reviewForm
	_, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		id, err := uuid.Parse(r.PostForm.Get("entry"))
		if err != nil {
			return apperr.NotFound("Commission")
		}
		es, err := ledger.PartnerEntryDetails(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(es, func(e ledger.EntryDetail) bool { return e.ID == id }) {
			return apperr.NotFound("Commission")
		}
		if f, err = reviewFormFrom(r); err != nil {
			return err
		}
		_, err = reviewApply(ctx, tx, sc.Tenant.ID, f)
		return err
	})
	if code := apperr.Code(err); (code == apperr.EInvalid || code == apperr.EConflict) && len(f.IDs) == 1 {
		s.renderCommissions(w, r, statusFor(code), func(d *view.CommissionTabProps) {
			for i := range d.Entries {
				if d.Entries[i].ID == f.IDs[0].String() {
					d.Entries[i].Hold = payoutFormErrors(err, "reason")
					d.Entries[i].Reason = f.Reason
				}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", reviewFlash(f, 1))
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/partners/"+chi.URLParam(r, "id")+"/commissions#entries")
}

// balanceRows shows balances per currency.
func balanceRows(bs []ledger.Balance) []view.BalanceRow {
	out := make([]view.BalanceRow, 0, len(bs))
	for _, b := range bs {
		out = append(out, view.BalanceRow{Currency: b.Currency, WeOwe: commission.FormatCents(b.PayableCents),
			TheyOweUs: commission.FormatCents(b.ReceivableCents)})
	}
	return out
}

// paymentRow shows a recorded payment and what accrual made of it.
func paymentRow(ev ledger.RevenueEvent) view.PaymentRow {
	row := view.PaymentRow{PaidOn: ev.PaidOn.Format(dayFormat), Amount: commission.FormatCents(ev.AmountCents) + " " + ev.Currency,
		Refund: ev.AmountCents < 0, Note: ev.Note}
	if ev.ExternalRef != nil {
		row.Ref = *ev.ExternalRef
	}
	switch ev.AccrualStatus {
	case ledger.StatusAccrued:
		row.Status, row.Tone = "Accrued", "success"
	case ledger.StatusNoAgreement:
		row.Status, row.Tone, row.Comment = "No agreement", "danger", ev.AccrualNote
	case ledger.StatusNothingDue:
		row.Status, row.Tone, row.Comment = "Nothing due", "neutral", ev.AccrualNote
	default:
		row.Status, row.Tone = "Pending", "warning"
	}
	return row
}

func referralRef(n int64) string { return "R-" + strconv.FormatInt(n, 10) }

func engagementKindLabel(k string) string {
	if k == "retainer" {
		return "Retainer"
	}
	return "Project"
}

func entryKindLabel(k string) string {
	switch k {
	case ledger.KindAccrual:
		return "Accrual"
	case ledger.KindReversal:
		return "Reversal"
	case ledger.KindAdjustment:
		return "Adjustment"
	case ledger.KindPayout:
		return "Payout"
	}
	return k
}

// paymentFormFrom reads the record-a-payment form.
func paymentFormFrom(r *http.Request) view.PaymentForm {
	f := r.PostForm
	return view.PaymentForm{Amount: strings.TrimSpace(f.Get("amount")), Refund: f.Get("refund") != "",
		PaidOn: strings.TrimSpace(f.Get("paid_on")), ExternalRef: strings.TrimSpace(f.Get("external_ref")), Note: f.Get("note")}
}

// parseSignedDollars reads a typed amount that may be negative ("-1,500").
func parseSignedDollars(s string) (int64, string) {
	s = strings.TrimSpace(s)
	neg := false
	for _, p := range []string{"-", "$-", "−"} {
		if strings.HasPrefix(s, p) {
			neg, s = true, "$"+strings.TrimPrefix(s, p)
			break
		}
	}
	if s == "" || s == "$" {
		return 0, "Required."
	}
	c, ok, msg := commission.ParseDollars(s)
	if !ok {
		if msg == "" {
			msg = "Required."
		}
		return 0, msg
	}
	if c == 0 {
		return 0, "Must not be zero."
	}
	if neg {
		c = -c
	}
	return c, ""
}

// recordPayment records a client payment on one of the partner's
// engagements and accrues it in the same transaction.
func (s *Server) recordPayment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var engID uuid.UUID
	var form view.PaymentForm
	var ev ledger.RevenueEvent
	var refDay time.Time
	var st ledger.Stats
	_, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		id, err := uuid.Parse(r.PostForm.Get("engagement_id"))
		if err != nil {
			return apperr.NotFound("Engagement")
		}
		g, err := ledger.PartnerEngagement(ctx, tx, sc.Tenant.ID, p.ID, id)
		if err != nil {
			return err
		}
		engID = g.ID
		form = paymentFormFrom(r)
		fe := map[string]string{}
		cents, msg := parseSignedDollars(form.Amount)
		if msg != "" {
			fe["amount"] = msg
		}
		if form.Refund && cents > 0 {
			cents = -cents
		}
		var paid time.Time
		if form.PaidOn == "" {
			fe["paid_on"] = "Required."
		} else if paid, err = time.Parse(time.DateOnly, form.PaidOn); err != nil {
			fe["paid_on"] = "Use a date like " + s.now().Format(time.DateOnly) + "."
		}
		if len(fe) > 0 {
			return apperr.Invalid(fe)
		}
		ev, err = ledger.RecordRevenue(ctx, tx, sc.Tenant.ID, ledger.RevenueInput{EngagementID: g.ID, AmountCents: cents,
			PaidOn: paid, ExternalRef: form.ExternalRef, Note: form.Note, Source: ledger.SourceStaff,
			CreatedBy: userFrom(ctx).ID, Today: s.now()})
		if err != nil {
			return renamePaymentFields(err)
		}
		if st, err = ledger.Accrue(ctx, tx, sc.Tenant.ID, ev.ID, s.now()); err != nil {
			return err
		}
		if ev, err = ledger.GetRevenue(ctx, tx, sc.Tenant.ID, ev.ID); err != nil {
			return err
		}
		refDay, err = ledger.ReferralDay(ctx, tx, sc.Tenant.ID, g.ReferralID)
		return err
	})
	switch code := apperr.Code(err); {
	case err == nil:
	case engID != uuid.Nil && (code == apperr.EInvalid || code == apperr.EConflict):
		form.Form = formErrors(err)
		if code == apperr.EConflict {
			form.NonField = append(form.NonField, apperr.Message(err))
		}
		s.renderCommissions(w, r, statusFor(code), commissionsPaymentForm(engID, form))
		return
	default:
		s.fail(w, r, err)
		return
	}
	what := "Payment"
	if ev.AmountCents < 0 {
		what = "Refund"
	}
	msg := what + " of " + commission.FormatCents(ev.AmountCents) + " recorded"
	switch ev.AccrualStatus {
	case ledger.StatusNoAgreement:
		msg += "; nothing accrued: no agreement in force on " + refDay.Format(dayFormat) + " (the referral's date)."
	case ledger.StatusNothingDue:
		msg += "; nothing accrued: " + ev.AccrualNote
	default:
		msg += " and accrued: " + strconv.Itoa(st.Entries) + " ledger " + plural(st.Entries, "entry", "entries") + "."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/partners/"+chi.URLParam(r, "id")+"/commissions")
}

// renamePaymentFields maps the ledger's field names to the form's.
func renamePaymentFields(err error) error {
	fe := apperr.FieldErrors(err)
	if len(fe) == 0 {
		return err
	}
	out := map[string]string{}
	for k, v := range fe {
		switch k {
		case "amount_cents", "currency", "refund_of_id":
			k = "amount"
		}
		out[k] = v
	}
	return &apperr.Error{Code: apperr.Code(err), Message: apperr.Message(err), Fields: out}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// commissionEntriesExportHeader are the columns of a partner's ledger
// entries export.
var commissionEntriesExportHeader = []string{"date", "kind", "direction", "referral", "client", "agreement", "explanation",
	"amount", "currency", "due", "status", "review or payout"}

// commissionEntriesExport downloads the partner's ledger entries (the
// Commissions tab's list), oldest first, as CSV; ?kind= keeps one kind
// (accrual, reversal, adjustment, payout). Another firm's partner is 404.
func (s *Server) commissionEntriesExport(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kind := r.URL.Query().Get("kind")
	s.exportCSV(w, r, "commission-entries", commissionEntriesExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		p, err := partner.Get(ctx, tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		es, err := ledger.PartnerEntryDetails(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		sts, err := ledger.EntryReviews(ctx, tx, sc.Tenant.ID, ids)
		if err != nil {
			return err
		}
		ps, err := ledger.PartnerPayouts(ctx, tx, sc.Tenant.ID, p.ID)
		if err != nil {
			return err
		}
		byPayout := map[uuid.UUID]ledger.Payout{}
		for _, po := range ps {
			byPayout[po.ID] = po
		}
		today := s.now()
		for _, e := range es {
			if kind != "" && e.Kind != kind {
				continue
			}
			ref, client, agr, state := "", "", "", ""
			if e.ReferralNumber != nil {
				ref = referralRef(*e.ReferralNumber)
			}
			if e.ClientCompany != nil {
				client = *e.ClientCompany
			}
			if e.AgreementVersion != nil {
				agr = "v" + strconv.Itoa(int(*e.AgreementVersion))
			}
			if st, ok := sts[e.ID]; ok {
				state = payoutEntryState(st, byPayout)
			}
			expl := e.Explanation
			if e.Reason != "" {
				expl = strings.TrimSpace(expl + " Reason: " + e.Reason)
			}
			if err := write(exportTime(&e.CreatedAt), entryKindLabel(e.Kind), payoutDirectionLabel(e.Direction), ref, client, agr, expl,
				exportAmount(e.AmountCents), e.Currency, exportDay(e.DueOn), ledger.EntryStatus(e.Kind, e.DueOn, today), state); err != nil {
				return err
			}
		}
		return nil
	})
}
