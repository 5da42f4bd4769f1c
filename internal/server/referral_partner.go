package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// The Referrals tab of a partner's page.

// partnerReferrals is a partner's referrals tab: both ways with the balance.
func (s *Server) partnerReferrals(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	page := 1
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		page = n
	}
	var d view.ReferralPartnerProps
	var rows []referral.Referral
	var total int
	var loc *time.Location
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc = set.Location()
		for _, dir := range []string{"inbound", "outbound"} {
			counts, err := referral.CountByStatus(ctx, tx, sc.Tenant.ID, referral.Filter{PartnerID: &p.ID, Direction: dir})
			if err != nil {
				return err
			}
			n := 0
			for st, c := range counts {
				n += c
				if !referral.IsClosed(st) {
					d.Open += c
				}
			}
			if dir == "inbound" {
				d.Received, d.WonIn = n, counts[referral.Won]
			} else {
				d.Sent, d.WonOut = n, counts[referral.Won]
			}
		}
		f := referral.Filter{PartnerID: &p.ID, Limit: referralPerPage, Offset: (page - 1) * referralPerPage}
		if rows, total, err = referral.List(ctx, tx, sc.Tenant.ID, f, now); err != nil {
			return err
		}
		if len(rows) == 0 && total > 0 {
			page = pages(total, referralPerPage)
			f.Offset = (page - 1) * referralPerPage
			rows, total, err = referral.List(ctx, tx, sc.Tenant.ID, f, now)
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	d.Header = partnerHeader(sc, p, "referrals")
	d.Base = base
	d.ListURL = base + "/referrals?partner=" + p.ID.String()
	if sc.Role.Can(auth.ManagePartners) && p.Status != "ended" && p.Status != "inactive" {
		d.LogURL = base + "/referrals/new?direction=inbound&partner=" + p.ID.String()
		if p.Status != "paused" { // no new outbound referrals go to a paused partner
			d.ReferURL = base + "/referrals/new?direction=outbound&partner=" + p.ID.String()
		}
	}
	for _, ref := range rows {
		d.Rows = append(d.Rows, referralRow(ref, now, loc))
	}
	tab := base + "/partners/" + p.ID.String() + "/referrals"
	from := (page-1)*referralPerPage + 1
	d.Pagination = view.PaginationProps{From: from, To: from + len(rows) - 1, Total: total, Label: "Referral pages"}
	if page > 1 {
		d.Pagination.PrevURL = tab + "?page=" + strconv.Itoa(page-1)
	}
	if page < pages(total, referralPerPage) {
		d.Pagination.NextURL = tab + "?page=" + strconv.Itoa(page+1)
	}
	s.render(w, r, http.StatusOK, view.ReferralPartnerPage(s.page(r, p.Name, "partners"), d))
}
