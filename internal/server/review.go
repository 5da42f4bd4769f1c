package server

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/review"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// reviewRoutes is the firm's reviews page, /t/{tenant}/reviews: who is
// overdue or due in the next 30 days, and what is scheduled.
func (s *Server) reviewRoutes(r chi.Router) {
	r.Get("/reviews", s.reviewList)
	r.Get("/reviews/export.csv", s.reviewExport)
}

// partnerReviewRoutes are a partner's Reviews tab under
// /t/{tenant}/partners/{id}: its reviews and open action items, one
// review's page and calendar file (anyone on the staff); scheduling,
// changing, holding and cancelling reviews and their action items
// (ManagePartners).
func (s *Server) partnerReviewRoutes(r chi.Router) {
	r.Get("/reviews", s.partnerReviews)
	r.Get("/reviews/{rid}", s.reviewShow)
	r.Get("/reviews/{rid}.ics", s.reviewICS)
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManagePartners))
		r.Get("/reviews/new", s.reviewNew)
		r.Post("/reviews", s.reviewCreate)
		r.Get("/reviews/{rid}/edit", s.reviewEdit)
		r.Post("/reviews/{rid}", s.reviewUpdate)
		r.Post("/reviews/{rid}/hold", s.reviewHold)
		r.Post("/reviews/{rid}/cancel", s.reviewCancel)
		r.Post("/reviews/{rid}/actions", s.reviewActionAdd)
		r.Post("/reviews/{rid}/actions/{aid}", s.reviewActionUpdate)
	})
}

func reviewTabPath(sc *staffCtx, partnerID uuid.UUID) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + partnerID.String() + "/reviews"
}

func reviewPath(sc *staffCtx, partnerID, id uuid.UUID) string {
	return reviewTabPath(sc, partnerID) + "/" + id.String()
}

// reviewWhen is "Tue 1 Dec 2026, 10:00–11:00 EST" in the firm's zone.
func reviewWhen(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	if s.YearDay() != e.YearDay() || s.Year() != e.Year() {
		return s.Format("Mon 2 Jan 2006, 15:04") + " – " + e.Format("Mon 2 Jan 2006, 15:04 MST")
	}
	return s.Format("Mon 2 Jan 2006, 15:04") + "–" + e.Format("15:04 MST")
}

// daysNote is "12 days overdue", "due today" or "in 5 days".
func daysNote(due, today time.Time) string {
	n := int(due.Sub(today).Hours() / 24)
	switch {
	case n < -1:
		return strconv.Itoa(-n) + " days overdue"
	case n == -1:
		return "1 day overdue"
	case n == 0:
		return "due today"
	case n == 1:
		return "tomorrow"
	default:
		return "in " + strconv.Itoa(n) + " days"
	}
}

// dueWhy says why the review is due when it is.
func dueWhy(d review.DueItem) string {
	cadence := "every " + strconv.Itoa(review.Cadence(d.CadenceDays)) + " days"
	if d.TierName != "" {
		cadence += " (" + d.TierName + ")"
	} else {
		cadence += " (no tier)"
	}
	switch d.Basis {
	case review.BasisNextSet:
		return "The date set when the last review was held, on " + review.DayLabel(*d.LastHeldOn) + "."
	case review.BasisCadence:
		return "The last review was on " + review.DayLabel(*d.LastHeldOn) + "; reviews are " + cadence + "."
	default:
		return "The first review comes within a quarter of becoming active (" + review.DayLabel(d.ActiveSince) + "); then " + cadence + "."
	}
}

// locationURL is the location when it is a web link (a video call).
func locationURL(loc string) string {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(loc, " \t") {
		return ""
	}
	return u.String()
}

// reviewRow is a review in a list.
func reviewRow(sc *staffCtx, rv review.Review, loc *time.Location, now time.Time, openActions int) view.PartnerReviewRow {
	row := view.PartnerReviewRow{URL: reviewPath(sc, rv.PartnerID, rv.ID), PartnerName: rv.PartnerName,
		PartnerURL: reviewTabPath(sc, rv.PartnerID), When: reviewWhen(rv.ScheduledAt, rv.EndsAt(), loc), Quarter: rv.Quarter.Label(),
		Location: rv.Location, Status: rv.Status, StatusLabel: review.StatusLabels[rv.Status],
		Late: rv.Status == review.StatusScheduled && rv.EndsAt().Before(now), Actions: openActions}
	switch rv.Status {
	case review.StatusHeld:
		if rv.NextReviewOn != nil {
			row.Note = "Next review " + review.DayLabel(*rv.NextReviewOn) + "."
		}
	case review.StatusCancelled:
		row.Note = rv.CancelReason
	}
	return row
}

// reviewList is the firm's reviews page.
func (s *Server) reviewList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		due      []review.DueItem
		upcoming []review.Review
		loc      *time.Location
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if loc, err = firmLocation(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if due, err = review.Due(ctx, tx, sc.Tenant.ID, loc, uuid.Nil); err != nil {
			return err
		}
		upcoming, err = review.Upcoming(ctx, tx, sc.Tenant.ID, 201)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	now := s.now()
	today := period.Today(now, loc)
	d := view.ReviewsProps{Active: len(due), CanManage: sc.Role.Can(auth.ManagePartners),
		ExportURL: "/t/" + sc.Tenant.Slug + "/reviews/export.csv"}
	for _, it := range due {
		if it.DueOn.After(today.AddDate(0, 0, 30)) {
			continue
		}
		row := view.ReviewDueRow{PartnerName: it.PartnerName, PartnerURL: reviewTabPath(sc, it.PartnerID), Tier: it.TierName,
			DueOn: review.DayLabel(it.DueOn), DueNote: daysNote(it.DueOn, today), Overdue: it.Overdue(today)}
		if it.LastHeldOn != nil {
			row.LastReview = review.DayLabel(*it.LastHeldOn)
		}
		if it.ScheduledID != nil {
			row.ScheduledURL = reviewPath(sc, it.PartnerID, *it.ScheduledID)
			row.ScheduledLabel = it.ScheduledAt.In(loc).Format("2 Jan 2006")
		} else if d.CanManage {
			row.ScheduleURL = reviewTabPath(sc, it.PartnerID) + "/new"
		}
		if row.Overdue {
			d.Overdue = append(d.Overdue, row)
		} else {
			d.DueSoon = append(d.DueSoon, row)
		}
	}
	if len(upcoming) > 200 {
		upcoming, d.HasMore = upcoming[:200], true
	}
	for _, rv := range upcoming {
		d.Upcoming = append(d.Upcoming, reviewRow(sc, rv, loc, now, 0))
	}
	s.render(w, r, http.StatusOK, view.ReviewsPage(s.page(r, "Reviews", "reviews"), d))
}

// partnerReviews is a partner's Reviews tab.
func (s *Server) partnerReviews(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		due     []review.DueItem
		reviews []review.Review
		actions []review.Action
		loc     *time.Location
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if loc, err = firmLocation(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if due, err = review.Due(ctx, tx, sc.Tenant.ID, loc, p.ID); err != nil {
			return err
		}
		if reviews, err = review.List(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		actions, err = review.OpenActions(ctx, tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	now := s.now()
	today := period.Today(now, loc)
	d := view.PartnerReviewsProps{Header: partnerHeader(sc, p, "reviews"), Path: reviewTabPath(sc, p.ID),
		CanManage: sc.Role.Can(auth.ManagePartners) && p.Status != "ended"}
	if len(due) == 1 {
		it := due[0]
		d.Due = &view.ReviewDueInfo{DueOn: review.DayLabel(it.DueOn), Why: dueWhy(it), Overdue: it.Overdue(today), Note: daysNote(it.DueOn, today)}
	} else {
		d.NotDue = "Reviews fall due for active partners; " + p.Name + " is " + strings.ToLower(partner.StatusLabels[p.Status]) + "."
	}
	open := map[uuid.UUID]int{}
	for _, a := range actions {
		open[a.ReviewID]++
		d.Actions = append(d.Actions, actionRow(sc, p, a, today))
	}
	// Upcoming: scheduled, earliest first; past: held and cancelled, newest first.
	for i := len(reviews) - 1; i >= 0; i-- {
		if rv := reviews[i]; rv.Status == review.StatusScheduled {
			d.Upcoming = append(d.Upcoming, reviewRow(sc, rv, loc, now, open[rv.ID]))
		}
	}
	for _, rv := range reviews {
		if rv.Status != review.StatusScheduled {
			d.Past = append(d.Past, reviewRow(sc, rv, loc, now, open[rv.ID]))
		}
	}
	s.render(w, r, http.StatusOK, view.PartnerReviewsPage(s.page(r, p.Name, "partners"), d))
}

// actionRow is an action item with its form's URL.
func actionRow(sc *staffCtx, p partner.Partner, a review.Action, today time.Time) view.ReviewActionRow {
	row := view.ReviewActionRow{ID: a.ID.String(), Title: a.Title, Owner: a.OwnerName, OwnerKey: ownerKey(a),
		Overdue: a.Overdue(today), Done: a.Done(), Review: a.ReviewQuarter.Label() + " review, " + a.ReviewAt.Format("2 Jan 2006"),
		ReviewURL: reviewPath(sc, p.ID, a.ReviewID), Path: reviewPath(sc, p.ID, a.ReviewID) + "/actions/" + a.ID.String()}
	if a.OwnerSide == review.SidePartner {
		row.Owner += " (" + p.Name + ")"
	}
	if a.DueOn != nil {
		row.DueOn, row.DueLabel = a.DueOn.Format(time.DateOnly), review.DayLabel(*a.DueOn)
	}
	if a.DoneAt != nil {
		row.DoneLabel = "Done " + a.DoneAt.UTC().Format("2 Jan 2006")
	}
	return row
}

func ownerKey(a review.Action) string {
	if a.OwnerUserID != nil {
		return "user:" + a.OwnerUserID.String()
	}
	return "partner:" + a.OwnerName
}

// ----- scheduling -----

// reviewFormData is what the schedule form offers, loaded in the request's
// transaction.
type reviewFormData struct {
	staff    []tenant.Member
	contacts []partner.Contact
	loc      *time.Location
	today    time.Time
}

func loadReviewFormData(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID, now time.Time) (reviewFormData, error) {
	var d reviewFormData
	var err error
	if d.loc, err = firmLocation(ctx, tx, tenantID); err != nil {
		return d, err
	}
	d.today = period.Today(now, d.loc)
	if d.staff, err = tenant.ListStaff(ctx, tx, tenantID); err != nil {
		return d, err
	}
	d.contacts, err = partner.ListContacts(ctx, tx, tenantID, partnerID)
	return d, err
}

// quarterOptions are the quarters a review may look back on: the last four
// and the next, and the one chosen.
func quarterOptions(today time.Time, chosen string) []view.Option {
	var out []view.Option
	found := false
	for _, q := range period.QuarterOf(today).Next().Last(6) {
		out = append(out, view.Option{Value: q.String(), Label: q.Label()})
		found = found || q.String() == chosen
	}
	if q, err := period.ParseQuarter(chosen); err == nil && !found {
		out = append([]view.Option{{Value: q.String(), Label: q.Label()}}, out...)
	}
	return out
}

// reviewFormValues is the schedule form as typed (or pre-filled).
type reviewFormValues struct {
	form     review.ScheduleForm
	others   string
	staff    map[string]bool // user ids ticked
	contacts map[string]bool // contact ids ticked
}

func (s *Server) renderReviewForm(w http.ResponseWriter, r *http.Request, status int, p partner.Partner, data reviewFormData,
	v reviewFormValues, editing *review.Review, form view.Form) {
	sc := staffFrom(r.Context())
	d := view.ReviewFormProps{Form: form, Header: partnerHeader(sc, p, "reviews"), Action: reviewTabPath(sc, p.ID),
		BackURL: reviewTabPath(sc, p.ID), Quarter: v.form.Quarter, QuarterOptions: quarterOptions(data.today, v.form.Quarter),
		Date: v.form.Date, Time: v.form.Time, Duration: v.form.Duration, Location: v.form.Location, Agenda: v.form.Agenda,
		Others: v.others, Zone: data.loc.String(), PartnerName: p.Name}
	title := "Schedule a review"
	if editing != nil {
		d.Editing, d.Action, d.BackURL = true, reviewPath(sc, p.ID, editing.ID), reviewPath(sc, p.ID, editing.ID)
		title = "Change the review"
	}
	for _, m := range data.staff {
		if m.Disabled {
			continue
		}
		d.Staff = append(d.Staff, view.ReviewPick{Value: m.UserID.String(), Label: m.Name, Hint: m.Email, Checked: v.staff[m.UserID.String()]})
	}
	for _, c := range data.contacts {
		if !c.Active() && !v.contacts[c.ID.String()] {
			continue
		}
		hint := strings.TrimSpace(strings.Join([]string{c.Title, c.Email}, " · "))
		hint = strings.Trim(hint, " ·")
		if hint == "" {
			hint = "No email: not in the calendar file"
		}
		d.Contacts = append(d.Contacts, view.ReviewPick{Value: c.ID.String(), Label: c.Name, Hint: hint, Checked: v.contacts[c.ID.String()]})
	}
	pg := s.page(r, title+" · "+p.Name, "partners")
	s.render(w, r, status, view.ReviewFormPage(pg, d))
}

// reviewNew offers the schedule form pre-filled: the due day (or the next
// working day) at 10:00, the quarter it looks back on, the agenda from its
// sections, the person scheduling, the relationship owner and the
// partner's primary contact.
func (s *Server) reviewNew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data reviewFormData
	var v reviewFormValues
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if p.Status == "ended" {
			return apperr.Errorf(apperr.EConflict, "The partnership has ended: there is nothing to review.")
		}
		if data, err = loadReviewFormData(ctx, tx, sc.Tenant.ID, p.ID, s.now()); err != nil {
			return err
		}
		due := data.today
		if items, err := review.Due(ctx, tx, sc.Tenant.ID, data.loc, p.ID); err != nil {
			return err
		} else if len(items) == 1 {
			due = items[0].DueOn
		}
		start := review.SuggestedStart(due, data.today, data.loc)
		q := review.ReviewedQuarter(period.Today(start, data.loc))
		v = reviewFormValues{form: review.ScheduleForm{Quarter: q.String(), Date: start.Format(time.DateOnly), Time: start.Format("15:04"),
			Duration: "60"}, staff: map[string]bool{userFrom(ctx).ID.String(): true}, contacts: map[string]bool{}}
		if p.OwnerUserID != nil {
			v.staff[p.OwnerUserID.String()] = true
		}
		for _, c := range data.contacts {
			if c.IsPrimary && c.Active() {
				v.contacts[c.ID.String()] = true
			}
		}
		v.form.Agenda, err = review.BuildAgenda(ctx, tx, review.AgendaRequest{TenantID: sc.Tenant.ID, PartnerID: p.ID,
			PartnerName: p.Name, Quarter: q, Loc: data.loc, Today: data.today})
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderReviewForm(w, r, http.StatusOK, p, data, v, nil, view.Form{})
}

// scheduleFrom reads the schedule form: the fields, the attendees ticked
// and typed (checked against the firm's staff and the partner's contacts),
// and the agenda (built again for the chosen quarter when left empty).
func scheduleFrom(ctx context.Context, tx pgx.Tx, r *http.Request, sc *staffCtx, p partner.Partner, data reviewFormData) (review.Schedule, reviewFormValues, error) {
	f := r.PostForm
	v := reviewFormValues{form: review.ScheduleForm{Quarter: f.Get("quarter"), Date: f.Get("date"), Time: f.Get("time"),
		Duration: f.Get("duration"), Location: f.Get("location"), Agenda: f.Get("agenda")},
		others: f.Get("others"), staff: map[string]bool{}, contacts: map[string]bool{}}
	sched, errs := v.form.Parse(data.loc, data.today)
	ids := func(vals []string, into map[string]bool) []uuid.UUID {
		var out []uuid.UUID
		for _, raw := range vals {
			id, err := uuid.Parse(raw)
			if err != nil {
				errs["attendees"] = "Choose attendees from your firm's staff and the partner's contacts."
				continue
			}
			into[id.String()] = true
			out = append(out, id)
		}
		return out
	}
	staffIDs, contactIDs := ids(f["staff"], v.staff), ids(f["contact"], v.contacts)
	others, msg := review.ParseOthers(v.others)
	if msg != "" {
		errs["others"] = msg
	}
	if len(errs) > 0 {
		return sched, v, apperr.Invalid(errs)
	}
	var err error
	if sched.Attendees, err = review.ResolveAttendees(ctx, tx, sc.Tenant.ID, p.ID, staffIDs, contactIDs, others); err != nil {
		return sched, v, err
	}
	if sched.Agenda == "" {
		sched.Agenda, err = review.BuildAgenda(ctx, tx, review.AgendaRequest{TenantID: sc.Tenant.ID, PartnerID: p.ID,
			PartnerName: p.Name, Quarter: sched.Quarter, Loc: data.loc, Today: data.today})
	}
	return sched, v, err
}

// reviewCreate schedules the review.
func (s *Server) reviewCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		data    reviewFormData
		v       reviewFormValues
		created review.Review
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if data, err = loadReviewFormData(ctx, tx, sc.Tenant.ID, p.ID, s.now()); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		var sched review.Schedule
		if sched, v, err = scheduleFrom(ctx, tx, r, sc, p, data); err != nil {
			return err
		}
		created, err = review.Create(ctx, tx, sc.Tenant.ID, p.ID, sched, userFrom(ctx).ID)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		s.renderReviewForm(w, r, http.StatusUnprocessableEntity, p, data, v, nil, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", "The review of "+p.Name+" is scheduled for "+reviewWhen(created.ScheduledAt, created.EndsAt(), data.loc)+".")
	redirect(w, r, reviewPath(sc, p.ID, created.ID))
}

// inReview runs fn with the {id} partner and its {rid} review; another
// partner's or firm's review is not found.
func (s *Server) inReview(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) error) (partner.Partner, review.Review, error) {
	var rv review.Review
	rid, err := idParam(r, "rid")
	if err != nil {
		return partner.Partner{}, rv, err
	}
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if rv, err = review.Get(r.Context(), tx, sc.Tenant.ID, p.ID, rid); err != nil {
			return err
		}
		return fn(tx, sc, p, rv)
	})
	return p, rv, err
}

// reviewEdit offers a scheduled review's form with its values.
func (s *Server) reviewEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data reviewFormData
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if rv.Status != review.StatusScheduled {
			return apperr.Errorf(apperr.EConflict, "This review is %s: it can't be changed any more.", strings.ToLower(review.StatusLabels[rv.Status]))
		}
		data, err = loadReviewFormData(ctx, tx, sc.Tenant.ID, p.ID, s.now())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start := rv.ScheduledAt.In(data.loc)
	v := reviewFormValues{form: review.ScheduleForm{Quarter: rv.Quarter.String(), Date: start.Format(time.DateOnly), Time: start.Format("15:04"),
		Duration: strconv.Itoa(rv.DurationMinutes), Location: rv.Location, Agenda: rv.Agenda},
		staff: map[string]bool{}, contacts: map[string]bool{}}
	// Attendees go back to the ticks they came from; the rest are typed.
	var others []string
	for _, a := range rv.Attendees {
		matched := false
		if a.Side == review.SideFirm && a.Email != "" {
			for _, m := range data.staff {
				if strings.EqualFold(m.Email, a.Email) {
					v.staff[m.UserID.String()], matched = true, true
				}
			}
		}
		if a.Side == review.SidePartner && !matched {
			for _, c := range data.contacts {
				if (a.Email != "" && strings.EqualFold(c.Email, a.Email)) || (a.Email == "" && c.Email == "" && c.Name == a.Name) {
					v.contacts[c.ID.String()], matched = true, true
				}
			}
		}
		if !matched {
			line := a.Name
			if a.Email != "" && a.Email != a.Name {
				line += " <" + a.Email + ">"
			} else if a.Email != "" {
				line = a.Email
			}
			others = append(others, line)
		}
	}
	v.others = strings.Join(others, "\n")
	s.renderReviewForm(w, r, http.StatusOK, p, data, v, &rv, view.Form{})
}

// reviewUpdate saves a scheduled review's changes; a new time, length or
// place is a reschedule (the calendar file's SEQUENCE goes up).
func (s *Server) reviewUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		data    reviewFormData
		v       reviewFormValues
		updated review.Review
		moved   bool
	)
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if rv.Status != review.StatusScheduled {
			return apperr.Errorf(apperr.EConflict, "This review is %s: it can't be changed any more.", strings.ToLower(review.StatusLabels[rv.Status]))
		}
		if data, err = loadReviewFormData(ctx, tx, sc.Tenant.ID, p.ID, s.now()); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		var sched review.Schedule
		if sched, v, err = scheduleFrom(ctx, tx, r, sc, p, data); err != nil {
			return err
		}
		updated, moved, err = review.Update(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, sched)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		s.renderReviewForm(w, r, http.StatusUnprocessableEntity, p, data, v, &rv, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The review was saved."
	if moved {
		msg = "The review is now " + reviewWhen(updated.ScheduledAt, updated.EndsAt(), data.loc) +
			". Attendees' calendars take the change when they open the new calendar file."
	}
	s.flash(r, "success", msg)
	redirect(w, r, reviewPath(staffFrom(ctx), p.ID, rv.ID))
}

// ----- one review: show, hold, cancel, action items -----

// reviewPageData is what the review page shows besides the review.
type reviewPageData struct {
	staff    []tenant.Member
	contacts []partner.Contact
	loc      *time.Location
	today    time.Time
	cadence  int // the tier's; 0 without a tier
}

func (s *Server) loadReviewPage(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, p partner.Partner) (reviewPageData, error) {
	var d reviewPageData
	fd, err := loadReviewFormData(ctx, tx, tenantID, p.ID, s.now())
	if err != nil {
		return d, err
	}
	d.staff, d.contacts, d.loc, d.today = fd.staff, fd.contacts, fd.loc, fd.today
	d.cadence, err = review.CadenceDays(ctx, tx, tenantID, p.ID)
	return d, err
}

// reviewForms are the forms of the review page re-shown with input and errors.
type reviewForms struct {
	hold      *view.ReviewHoldForm
	attended  map[string]bool
	cancel    view.ReviewCancelForm
	add       view.ReviewActionForm
	badAction uuid.UUID
	badRow    view.ReviewActionRow
}

func (s *Server) renderReviewShow(w http.ResponseWriter, r *http.Request, status int, p partner.Partner, rv review.Review,
	data reviewPageData, forms reviewForms) {
	sc := staffFrom(r.Context())
	now := s.now()
	path := reviewPath(sc, p.ID, rv.ID)
	d := view.ReviewShowProps{Header: partnerHeader(sc, p, "reviews"), Path: path, TabURL: reviewTabPath(sc, p.ID),
		ICSURL: path + ".ics", CanManage: sc.Role.Can(auth.ManagePartners) && p.Status != "ended", Status: rv.Status,
		StatusLabel: review.StatusLabels[rv.Status], Title: rv.Quarter.Label() + " review",
		When: reviewWhen(rv.ScheduledAt, rv.EndsAt(), data.loc), Location: rv.Location, LocationURL: locationURL(rv.Location),
		Agenda: rv.Agenda, Notes: rv.Notes, SharedSummary: rv.SharedSummary, CancelReason: rv.CancelReason,
		Late: rv.Status == review.StatusScheduled && rv.EndsAt().Before(now), Cancel: forms.cancel, Add: forms.add,
		PartnerName: p.Name, OpenHold: forms.hold != nil}
	if rv.CreatedByName != "" {
		d.Organizer = rv.CreatedByName
	}
	if d.CanManage && rv.Status == review.StatusScheduled {
		d.EditURL = path + "/edit"
	}
	if rv.HeldAt != nil {
		d.HeldOn = rv.HeldAt.In(data.loc).Format("Mon 2 Jan 2006")
	}
	if rv.NextReviewOn != nil {
		d.NextReviewOn = review.DayLabel(*rv.NextReviewOn)
	}
	for _, a := range rv.Attendees {
		row := view.ReviewAttendeeRow{ID: a.ID.String(), Name: a.Name, Email: a.Email, Side: sc.Tenant.Name}
		if a.Side == review.SidePartner {
			row.Side = p.Name
		}
		if a.Attended != nil {
			row.Attended = "Didn't attend"
			if *a.Attended {
				row.Attended = "Attended"
			}
		}
		switch {
		case forms.attended != nil:
			row.Checked = forms.attended[row.ID]
		case a.Attended != nil:
			row.Checked = *a.Attended
		default:
			row.Checked = true
		}
		d.Attendees = append(d.Attendees, row)
	}
	// The hold form: as typed, or the day it was (or is) held and the
	// next review date by the cadence.
	if forms.hold != nil {
		d.Hold = *forms.hold
	} else {
		heldOn := period.Today(rv.ScheduledAt, data.loc)
		if rv.HeldAt != nil {
			heldOn = period.Today(*rv.HeldAt, data.loc)
		} else if heldOn.After(data.today) {
			heldOn = data.today
		}
		d.Hold = view.ReviewHoldForm{HeldOn: heldOn.Format(time.DateOnly), Notes: rv.Notes, SharedSummary: rv.SharedSummary}
		if rv.NextReviewOn != nil {
			d.Hold.NextReviewOn = rv.NextReviewOn.Format(time.DateOnly)
		} else {
			d.Hold.NextReviewOn = heldOn.AddDate(0, 0, review.Cadence(data.cadence)).Format(time.DateOnly)
		}
	}
	d.Hold.NextHint = "Left empty: " + strconv.Itoa(review.Cadence(data.cadence)) + " days after the review"
	if p.TierName != "" {
		d.Hold.NextHint += " (" + p.TierName + "'s cadence)."
	} else {
		d.Hold.NextHint += " (no tier)."
	}
	// Owners: the firm's staff, then the partner's people.
	seen := map[string]bool{}
	addOpt := func(value, label string) {
		if !seen[value] {
			seen[value] = true
			d.OwnerOptions = append(d.OwnerOptions, view.Option{Value: value, Label: label})
		}
	}
	for _, m := range data.staff {
		if !m.Disabled {
			addOpt("user:"+m.UserID.String(), m.Name+" ("+sc.Tenant.Name+")")
		}
	}
	var partnerPeople []string
	for _, c := range data.contacts {
		if c.Active() {
			partnerPeople = append(partnerPeople, c.Name)
		}
	}
	for _, a := range rv.Attendees {
		if a.Side == review.SidePartner {
			partnerPeople = append(partnerPeople, a.Name)
		}
	}
	for _, a := range rv.Actions {
		if a.OwnerUserID == nil {
			partnerPeople = append(partnerPeople, a.OwnerName)
		}
	}
	sort.SliceStable(partnerPeople, func(i, j int) bool { return strings.ToLower(partnerPeople[i]) < strings.ToLower(partnerPeople[j]) })
	for _, n := range partnerPeople {
		addOpt("partner:"+n, n+" ("+p.Name+")")
	}
	for _, a := range rv.Actions {
		row := actionRow(sc, p, a, data.today)
		if a.ID == forms.badAction {
			bad := forms.badRow
			row.Title, row.OwnerKey, row.Other, row.DueOn, row.Form = bad.Title, bad.OwnerKey, bad.Other, bad.DueOn, bad.Form
		}
		d.Actions = append(d.Actions, row)
	}
	s.render(w, r, status, view.ReviewShowPage(s.page(r, p.Name, "partners"), d))
}

// reviewShow is one review's page.
func (s *Server) reviewShow(w http.ResponseWriter, r *http.Request) {
	var data reviewPageData
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		data, err = s.loadReviewPage(r.Context(), tx, sc.Tenant.ID, p)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderReviewShow(w, r, http.StatusOK, p, rv, data, reviewForms{})
}

// reviewHold records the review as held (or saves its record again).
func (s *Server) reviewHold(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		data reviewPageData
		form view.ReviewHoldForm
		held review.Review
		was  string
	)
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if data, err = s.loadReviewPage(ctx, tx, sc.Tenant.ID, p); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		f := r.PostForm
		hf := review.HoldForm{HeldOn: f.Get("held_on"), NextReviewOn: f.Get("next_review_on"), Notes: f.Get("notes"),
			SharedSummary: f.Get("shared_summary"), Attended: f["attended"]}
		form = view.ReviewHoldForm{HeldOn: hf.HeldOn, NextReviewOn: hf.NextReviewOn, Notes: hf.Notes, SharedSummary: hf.SharedSummary}
		h, errs := hf.Parse(data.today, data.cadence)
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		was = rv.Status
		held, err = review.Hold(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, h, data.loc)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		form.Form = formErrors(err)
		attended := map[string]bool{}
		for _, id := range r.PostForm["attended"] {
			attended[id] = true
		}
		s.renderReviewShow(w, r, http.StatusUnprocessableEntity, p, rv, data, reviewForms{hold: &form, attended: attended})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if was == review.StatusHeld {
		s.flash(r, "success", "The record of the review was saved.")
	} else {
		s.flash(r, "success", "The review is recorded as held. The next review of "+p.Name+" is due "+review.DayLabel(*held.NextReviewOn)+".")
	}
	redirect(w, r, reviewPath(staffFrom(ctx), p.ID, rv.ID))
}

// reviewCancel calls a scheduled review off, with a reason.
func (s *Server) reviewCancel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data reviewPageData
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if data, err = s.loadReviewPage(ctx, tx, sc.Tenant.ID, p); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		_, err = review.Cancel(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, r.PostForm.Get("reason"))
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		s.renderReviewShow(w, r, http.StatusUnprocessableEntity, p, rv, data,
			reviewForms{cancel: view.ReviewCancelForm{Form: formErrors(err), Reason: r.PostForm.Get("reason")}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The review was cancelled. Attendees' calendars show it cancelled once they open the new calendar file.")
	redirect(w, r, reviewPath(staffFrom(ctx), p.ID, rv.ID))
}

func actionFormFrom(r *http.Request) review.ActionForm {
	f := r.PostForm
	return review.ActionForm{Title: f.Get("title"), Owner: f.Get("owner"), OwnerOther: f.Get("owner_other"), DueOn: f.Get("due_on")}
}

// reviewActionAdd adds an action item to the review.
func (s *Server) reviewActionAdd(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var (
		data reviewPageData
		af   review.ActionForm
		a    review.Action
	)
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if data, err = s.loadReviewPage(ctx, tx, sc.Tenant.ID, p); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		af = actionFormFrom(r)
		in, err := review.ResolveAction(ctx, tx, sc.Tenant.ID, af)
		if err != nil {
			return err
		}
		a, err = review.AddAction(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, in)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		add := view.ReviewActionForm{Form: formErrors(err), Title: af.Title, Owner: af.Owner, Other: af.OwnerOther, DueOn: af.DueOn}
		s.renderReviewShow(w, r, http.StatusUnprocessableEntity, p, rv, data, reviewForms{add: add})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The action item “"+a.Title+"” was added.")
	redirect(w, r, reviewPath(staffFrom(ctx), p.ID, rv.ID)+"#action-"+a.ID.String())
}

// reviewActionUpdate saves an action item (action=save), or marks it done
// or open again; from=tab goes back to the partner's Reviews tab.
func (s *Server) reviewActionUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	aid, err := idParam(r, "aid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var (
		data   reviewPageData
		af     review.ActionForm
		a      review.Action
		action string
	)
	p, rv, err := s.inReview(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner, rv review.Review) (err error) {
		if _, err = review.GetAction(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, aid); err != nil {
			return err
		}
		if data, err = s.loadReviewPage(ctx, tx, sc.Tenant.ID, p); err != nil {
			return err
		}
		if err = r.ParseForm(); err != nil {
			return err
		}
		action = r.PostForm.Get("action")
		switch action {
		case "done", "reopen":
			a, err = review.SetDone(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, aid, action == "done", s.now())
		case "save", "":
			af = actionFormFrom(r)
			var in review.ActionInput
			if in, err = review.ResolveAction(ctx, tx, sc.Tenant.ID, af); err == nil {
				a, err = review.UpdateAction(ctx, tx, sc.Tenant.ID, p.ID, rv.ID, aid, in)
			}
		default:
			err = apperr.Errorf(apperr.EInvalid, "Choose Mark done, Reopen or Save.")
		}
		return err
	})
	if apperr.Code(err) == apperr.EInvalid && data.loc != nil {
		bad := view.ReviewActionRow{Form: formErrors(err), Title: af.Title, OwnerKey: af.Owner, Other: af.OwnerOther, DueOn: af.DueOn}
		s.renderReviewShow(w, r, http.StatusUnprocessableEntity, p, rv, data, reviewForms{badAction: aid, badRow: bad})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	switch action {
	case "done":
		s.flash(r, "success", "“"+a.Title+"” is done.")
	case "reopen":
		s.flash(r, "success", "“"+a.Title+"” is open again.")
	default:
		s.flash(r, "success", "“"+a.Title+"” was saved.")
	}
	if r.PostForm.Get("from") == "tab" {
		redirect(w, r, reviewTabPath(sc, p.ID)+"#actions-heading")
		return
	}
	redirect(w, r, reviewPath(sc, p.ID, rv.ID)+"#action-"+aid.String())
}

// ----- the calendar file -----

// reviewHost is the app's host name, which makes calendar UIDs.
func (s *Server) reviewHost() string {
	if u, err := url.Parse(s.Config.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "allyway"
}

// writeICS sends a review's calendar file.
func (s *Server) writeICS(w http.ResponseWriter, rv review.Review, firmName, pageURL string) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="review-`+rv.ScheduledAt.UTC().Format(time.DateOnly)+`.ics"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rv.CalendarEvent(firmName, s.reviewHost(), pageURL).ICS())
}

// reviewICS is the review as an iCalendar file (RFC 5545).
func (s *Server) reviewICS(w http.ResponseWriter, r *http.Request) {
	p, rv, err := s.inReview(r, func(pgx.Tx, *staffCtx, partner.Partner, review.Review) error { return nil })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.writeICS(w, rv, sc.Tenant.Name, strings.TrimSuffix(s.Config.BaseURL, "/")+reviewPath(sc, p.ID, rv.ID))
}

// reviewExportHeader are the columns of the reviews export.
var reviewExportHeader = []string{"section", "partner", "tier", "last review", "due", "scheduled", "quarter", "location", "status"}

// reviewExport downloads what the reviews page shows: the partners overdue
// or due in the next 30 days, then every scheduled review (not only the
// first 200), as CSV.
func (s *Server) reviewExport(w http.ResponseWriter, r *http.Request) {
	s.exportCSV(w, r, "reviews", reviewExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		loc, err := firmLocation(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		due, err := review.Due(ctx, tx, sc.Tenant.ID, loc, uuid.Nil)
		if err != nil {
			return err
		}
		today := period.Today(s.now(), loc)
		for _, overdue := range []bool{true, false} {
			for _, it := range due {
				if it.DueOn.After(today.AddDate(0, 0, 30)) || it.Overdue(today) != overdue {
					continue
				}
				section, last, sched := "due soon", "", ""
				if overdue {
					section = "overdue"
				}
				if it.LastHeldOn != nil {
					last = it.LastHeldOn.Format(time.DateOnly)
				}
				if it.ScheduledAt != nil {
					sched = it.ScheduledAt.In(loc).Format(time.RFC3339)
				}
				if err := write(section, it.PartnerName, it.TierName, last, it.DueOn.Format(time.DateOnly), sched, "", "", ""); err != nil {
					return err
				}
			}
		}
		upcoming, err := review.Upcoming(ctx, tx, sc.Tenant.ID, math.MaxInt32)
		if err != nil {
			return err
		}
		for _, rv := range upcoming {
			if err := write("scheduled", rv.PartnerName, "", "", "", rv.ScheduledAt.In(loc).Format(time.RFC3339), rv.Quarter.Label(),
				rv.Location, review.StatusLabels[rv.Status]); err != nil {
				return err
			}
		}
		return nil
	})
}
