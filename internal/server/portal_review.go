package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/review"
	"github.com/allyway/allyway/web/view"
)

// portalReviewRoutes are the partner's reviews in the portal, /p/{tenant}:
// upcoming and past reviews with their agendas (never the firm's notes,
// only the summary it shares), the action items the partner's side owns,
// and each review's calendar file. Read-only: RLS lets a partner write
// nothing there.
func (s *Server) portalReviewRoutes(r chi.Router) {
	r.Get("/reviews", s.portalReviews)
	r.Get("/reviews/{rid}.ics", s.portalReviewICS)
}

func portalReviewsPath(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug + "/reviews" }

// portalReviews lists the partner's reviews and action items.
func (s *Server) portalReviews(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		reviews []review.Review
		actions []review.Action
		loc     *time.Location
	)
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if loc, err = firmLocation(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		if reviews, err = review.List(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID); err != nil {
			return err
		}
		actions, err = review.PartnerActions(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	today := period.Today(s.now(), loc)
	d := view.PortalReviewsProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName}
	card := func(rv review.Review) view.PortalReviewCard {
		c := view.PortalReviewCard{ID: rv.ID.String(), Title: rv.Quarter.Label() + " review",
			When: reviewWhen(rv.ScheduledAt, rv.EndsAt(), loc), Location: rv.Location, LocationURL: locationURL(rv.Location),
			Status: rv.Status, StatusLabel: review.StatusLabels[rv.Status], Agenda: rv.Agenda, Summary: rv.SharedSummary}
		if rv.Status != review.StatusHeld {
			// Held reviews are over; the others may be in (or leave) calendars.
			c.ICSURL = portalReviewsPath(pc) + "/" + rv.ID.String() + ".ics"
		}
		var names []string
		for _, a := range rv.Attendees {
			names = append(names, a.Name)
		}
		c.Attendees = strings.Join(names, ", ")
		return c
	}
	for i := len(reviews) - 1; i >= 0; i-- {
		if reviews[i].Status == review.StatusScheduled {
			d.Upcoming = append(d.Upcoming, card(reviews[i]))
		}
	}
	for _, rv := range reviews {
		if rv.Status != review.StatusScheduled {
			d.Past = append(d.Past, card(rv))
		}
	}
	for _, a := range actions {
		row := view.PortalActionRow{Title: a.Title, Owner: a.OwnerName, Overdue: a.Overdue(today), Done: a.Done(),
			Review: a.ReviewQuarter.Label() + " review"}
		if a.DueOn != nil {
			row.DueLabel = review.DayLabel(*a.DueOn)
		}
		if a.DoneAt != nil {
			row.DoneLabel = a.DoneAt.In(loc).Format("2 Jan 2006")
		}
		d.Actions = append(d.Actions, row)
	}
	s.render(w, r, http.StatusOK, view.PortalReviewsPage(s.page(r, "Reviews", "reviews"), d))
}

// portalReviewICS is one of the partner's reviews as a calendar file; another
// partner's or firm's review is not found.
func (s *Server) portalReviewICS(w http.ResponseWriter, r *http.Request) {
	rid, err := idParam(r, "rid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rv review.Review
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		rv, err = review.Get(r.Context(), tx, pc.Tenant.ID, pc.Member.PartnerID, rid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(r.Context())
	s.writeICS(w, rv, pc.Tenant.Name, strings.TrimSuffix(s.Config.BaseURL, "/")+portalReviewsPath(pc)+"#review-"+rv.ID.String())
}
