package server

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// portalCommissionRoutes is the partner's commissions in the portal: each
// entry with its rule, the client payment it came from, its due date and
// status, where it stands (awaiting approval, approved, on hold with the
// reason, in a payout, paid), the partner's payouts and the balance. The
// request's transaction is scoped to the partner (RLS) and every query
// names the partner too.
func (s *Server) portalCommissionRoutes(r chi.Router) {
	r.Get("/commissions", s.showPortalCommissions)
}

func (s *Server) showPortalCommissions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var es []ledger.EntryDetail
	var bs []ledger.Balance
	var sts map[uuid.UUID]ledger.EntryState
	var ps []ledger.Payout
	var won []wonReferral
	var why map[uuid.UUID]string
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		// The partner's won referrals that have earned nothing yet, and why.
		rows, err := tx.Query(ctx, `SELECT id, number, client_company FROM referrals
			WHERE tenant_id = $1 AND coalesce(credited_partner_id, partner_id) = $2 AND status = 'won' AND direction = 'inbound'
			ORDER BY closed_at DESC LIMIT 500`, pc.Tenant.ID, pc.Member.PartnerID)
		if err != nil {
			return err
		}
		if won, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (wonReferral, error) {
			var w wonReferral
			return w, row.Scan(&w.id, &w.number, &w.client)
		}); err != nil {
			return err
		}
		wonIDs := make([]uuid.UUID, len(won))
		for i, w := range won {
			wonIDs[i] = w.id
		}
		if why, err = ledger.WhyNothingEarned(ctx, tx, pc.Tenant.ID, wonIDs); err != nil {
			return err
		}
		if es, err = ledger.PartnerEntryDetails(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		if sts, err = ledger.EntryReviews(ctx, tx, pc.Tenant.ID, ids); err != nil {
			return err
		}
		if ps, err = ledger.PartnerPayouts(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		bs, err = ledger.EntryBalances(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	today := s.now()
	base := "/p/" + pc.Tenant.Slug
	d := view.PortalCommissionsProps{
		PortalCommissionProps: view.PortalCommissionProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName, Balances: balanceRows(bs)},
		StatementsURL:         base + "/statements", TaxURL: base + "/tax"}
	for _, w := range won {
		if reason, ok := why[w.id]; ok {
			d.NothingYet = append(d.NothingYet, view.NothingEarnedRow{Referral: referralRef(w.number), Client: w.client,
				Why: reason, URL: base + "/referrals/" + w.id.String()})
		}
	}
	// Only the partner's own payouts (RLS keeps the others out as well).
	ps = slices.DeleteFunc(ps, func(p ledger.Payout) bool { return p.PartnerID != pc.Member.PartnerID })
	d.Payouts = payoutPartnerRows(ps, nil)
	byPayout := map[uuid.UUID]ledger.Payout{}
	for _, p := range ps {
		byPayout[p.ID] = p
	}
	// Newest first: what a partner checks is the latest.
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if e.PartnerID != pc.Member.PartnerID {
			continue
		}
		row := view.PortalCommissionRow{ID: e.ID.String(), Kind: portalEntryKind(e.Kind, e.Direction),
			Amount: commission.FormatCents(e.AmountCents) + " " + e.Currency, Status: ledger.EntryStatus(e.Kind, e.DueOn, today),
			Explanation: e.Explanation, Reason: e.Reason}
		if e.DueOn != nil {
			row.DueOn = e.DueOn.Format(dayFormat)
		}
		if e.Rule != nil {
			row.Rule = agreement.DescribeRule(*e.Rule)
		}
		if e.AgreementVersion != nil {
			row.Agreement = "agreement version " + strconv.Itoa(int(*e.AgreementVersion))
		}
		if e.PaidOn != nil && e.PaymentCents != nil {
			what := "Client payment"
			if *e.PaymentCents < 0 {
				what = "Client refund"
			}
			row.Payment = what + " of " + commission.FormatCents(*e.PaymentCents) + " on " + e.PaidOn.Format(dayFormat)
			if e.PaymentRef != nil {
				row.Payment += " (" + *e.PaymentRef + ")"
			}
		}
		if e.ReferralNumber != nil {
			row.Referral = referralRef(*e.ReferralNumber)
			if e.ClientCompany != nil {
				row.Referral += " · " + *e.ClientCompany
			}
		}
		item := view.PortalCommissionItem{PortalCommissionRow: row}
		if st, ok := sts[e.ID]; ok && e.Kind != ledger.KindPayout {
			item.State = payoutEntryState(st, byPayout)
			if st.Review == ledger.ReviewHeld && st.PayoutID == nil {
				item.HoldNote = st.ReviewReason
			}
		}
		d.Entries = append(d.Entries, item)
	}
	s.render(w, r, http.StatusOK, view.PortalCommissionPage(s.page(r, "Commissions", "commissions"), d))
}

// portalEntryKind names an entry for the partner.
func portalEntryKind(kind string, dir commission.Direction) string {
	k := "Commission"
	switch kind {
	case ledger.KindReversal:
		k = "Reversal (client refund)"
	case ledger.KindAdjustment:
		k = "Adjustment"
	case ledger.KindPayout:
		k = "Payout"
	}
	if dir == commission.WeReceive {
		k += " (you owe this)"
	}
	return k
}

// wonReferral is a won referral listed on the portal's commissions page.
type wonReferral struct {
	id     uuid.UUID
	number int64
	client string
}
