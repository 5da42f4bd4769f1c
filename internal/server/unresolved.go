package server

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// Unresolved payments (/commissions/unresolved; routes in
// revenue_import.go): client payments accrual could not place — no
// agreement in force on the referral's date — and those still pending.
// Any staff member may look; "Accrue again" needs ManageMoney.

// unresolvedLimit is how many payments the page lists (and "Accrue all
// again" takes) at once.
const unresolvedLimit = 500

// showUnresolved lists the unresolved payments.
func (s *Server) showUnresolved(w http.ResponseWriter, r *http.Request) {
	s.renderUnresolved(w, r, http.StatusOK, view.Form{}, nil)
}

func (s *Server) renderUnresolved(w http.ResponseWriter, r *http.Request, status int, form view.Form, checked map[string]bool) {
	var us []ledger.UnresolvedPayment
	var total int
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		us, total, err = ledger.UnresolvedPayments(r.Context(), tx, sc.Tenant.ID, unresolvedLimit)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	base := "/t/" + sc.Tenant.Slug
	d := view.UnresolvedProps{Form: form, Base: base, CanAccrue: sc.Role.Can(auth.ManageMoney), Total: total,
		ExportURL: base + "/commissions/unresolved/export.csv"}
	for _, u := range us {
		e := u.Event
		row := view.UnresolvedPaymentRow{ID: e.ID.String(), Partner: u.PartnerName,
			PartnerURL: base + "/partners/" + e.PartnerID.String() + "/agreements",
			Referral:   referralRef(u.ReferralNumber), ReferralURL: base + "/referrals/" + e.ReferralID.String(),
			Client: u.ClientCompany, Engagement: u.EngagementName,
			Amount: commission.FormatCents(e.AmountCents) + " " + e.Currency, Refund: e.AmountCents < 0,
			PaidOn: e.PaidOn.Format(dayFormat), Note: e.Note, Checked: checked[e.ID.String()]}
		if e.ExternalRef != nil {
			row.Ref = *e.ExternalRef
		}
		if e.AccrualStatus == ledger.StatusNoAgreement {
			row.Status, row.Tone = "No agreement", "danger"
			row.ToDo = "Record the agreement in force on " + u.ReferralDay.Format(dayFormat) + " (the referral's date) for " +
				u.PartnerName + ", then accrue again."
		} else {
			row.Status, row.Tone = "Pending", "warning"
			row.ToDo = "Nothing: it is accrued within 10 minutes, or now with “Accrue again”."
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, status, view.UnresolvedPage(s.page(r, "Unresolved payments", "commissions"), d))
}

// reaccrueUnresolved accrues the chosen payments again (scope "all": every
// listed one).
func (s *Server) reaccrueUnresolved(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	all := r.PostForm.Get("scope") == "all"
	var ids []uuid.UUID
	checked := map[string]bool{}
	for _, v := range r.PostForm["id"] {
		id, err := uuid.Parse(strings.TrimSpace(v))
		if err != nil {
			s.fail(w, r, apperr.NotFound("Revenue event"))
			return
		}
		ids = append(ids, id)
		checked[id.String()] = true
	}
	var res ledger.ReaccrueResult
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if all {
			us, _, err := ledger.UnresolvedPayments(ctx, tx, sc.Tenant.ID, unresolvedLimit)
			if err != nil {
				return err
			}
			ids = ids[:0]
			for _, u := range us {
				ids = append(ids, u.Event.ID)
			}
			if len(ids) == 0 {
				return nil
			}
		}
		var err error
		res, err = ledger.Reaccrue(ctx, tx, sc.Tenant.ID, ids, s.now())
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderUnresolved(w, r, http.StatusUnprocessableEntity, formErrors(err), checked)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", reaccrueDone(res))
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/commissions/unresolved")
}

// reaccrueDone says what accruing again did.
func reaccrueDone(res ledger.ReaccrueResult) string {
	placed := res.Accrual.Events - res.Accrual.NoAgreement
	msg := "Accrued again: " + revCount(placed, "payment", "payments") + " placed, " +
		revCount(res.Accrual.Entries, "ledger entry", "ledger entries") + "."
	if res.StillUnresolved > 0 {
		msg += " " + strconv.Itoa(res.StillUnresolved) + " still " + plural(res.StillUnresolved, "has", "have") +
			" no agreement in force on the referral's date."
	}
	return msg
}

// unresolvedExportHeader are the columns of the unresolved payments export.
var unresolvedExportHeader = []string{"partner", "referral", "client", "engagement", "amount", "currency", "paid on", "reference",
	"status", "referral date", "note"}

// unresolvedExport downloads every unresolved payment (the page shows the
// first 500), as CSV; ?status=no_agreement|pending keeps one kind.
func (s *Server) unresolvedExport(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	s.exportCSV(w, r, "unresolved-payments", unresolvedExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		us, _, err := ledger.UnresolvedPayments(ctx, tx, sc.Tenant.ID, math.MaxInt32)
		if err != nil {
			return err
		}
		for _, u := range us {
			e := u.Event
			label := "Pending"
			if e.AccrualStatus == ledger.StatusNoAgreement {
				label = "No agreement"
			}
			if status != "" && e.AccrualStatus != status {
				continue
			}
			ref := ""
			if e.ExternalRef != nil {
				ref = *e.ExternalRef
			}
			if err := write(u.PartnerName, referralRef(u.ReferralNumber), u.ClientCompany, u.EngagementName, exportAmount(e.AmountCents),
				e.Currency, e.PaidOn.Format(time.DateOnly), ref, label, u.ReferralDay.Format(time.DateOnly), e.Note); err != nil {
				return err
			}
		}
		return nil
	})
}
