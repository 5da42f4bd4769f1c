package server

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// referralRoutes are the staff referral pages under /t/{tenant}/referrals:
// the list (and its CSV export), the board, the at-risk view, the
// conflicts queue, a referral's page with its forms, and the new referral
// form (inbound on a partner's behalf, or outbound to a suggested partner).
// Anyone on the staff reads; ManagePartners writes. Every {id} handler
// finds the referral in the firm before it reads the form, so another
// firm's id is 404 whatever the body. The referral package records the
// audit entries, timeline events and emails of each write in the request's
// transaction.
func (s *Server) referralRoutes(r chi.Router) {
	r.Route("/referrals", func(r chi.Router) {
		r.Get("/", s.referralList)
		r.Get("/export.csv", s.referralExport)
		r.Get("/board", s.referralBoard)
		r.Get("/at-risk", s.referralAtRisk)
		r.Get("/conflicts", s.referralConflicts)
		r.Get("/{id}", s.referralShow)
		r.Group(func(r chi.Router) {
			r.Use(s.requireCap(auth.ManagePartners))
			r.Get("/new", s.referralNew)
			r.Post("/", s.referralCreate)
			r.Post("/{id}/move", s.referralMove)
			r.Post("/{id}/notes", s.referralNote)
			r.Post("/{id}/owner", s.referralOwner)
			r.Post("/{id}/assists", s.referralAssists)
			r.Post("/{id}/guardrails", s.referralGuardrail)
			r.Post("/{id}/fit", s.referralFit)
			r.Post("/{id}/conflict", s.referralResolve)
			r.Post("/{id}/intro", s.referralIntro)
			r.Post("/{id}/reassign", s.referralReassign)
		})
	})
}

// partnerReferralRoutes is a partner's referrals tab (under /partners/{id}).
func (s *Server) partnerReferralRoutes(r chi.Router) {
	r.Get("/referrals", s.partnerReferrals)
}

// referralPerPage is the list's page size.
const referralPerPage = 50

// notifier is what referral writes need to queue their emails.
func (s *Server) notifier() referral.Notifier {
	return referral.Notifier{Outbox: s.Outbox, BaseURL: s.Config.BaseURL, Now: s.now}
}

func referralsPath(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/referrals" }

func referralPath(sc *staffCtx, id uuid.UUID) string { return referralsPath(sc) + "/" + id.String() }

// ---- formatting ----

// refTime is a moment in the firm's zone, e.g. "Mon 3 Mar 2026 14:00 EST".
func refTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// refDate is a day in the firm's zone, e.g. "3 Mar 2026".
func refDate(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 Jan 2006") }

// spanWords says a duration the way people do: "45 min", "3 h", "4 days".
// Under an hour it counts minutes (at least 1), under two days hours, then
// days, each rounded to the nearest.
func spanWords(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Hour:
		return strconv.Itoa(max(1, int((d+30*time.Second)/time.Minute))) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int((d+30*time.Minute)/time.Hour)) + " h"
	default:
		return strconv.Itoa(int((d+12*time.Hour)/(24*time.Hour))) + " days"
	}
}

// dueWords is "due in 3 h" before due and "overdue by 2 h" after.
func dueWords(now, due time.Time) string {
	if now.After(due) {
		return "overdue by " + spanWords(now.Sub(due))
	}
	return "due in " + spanWords(due.Sub(now))
}

// nextClock is the referral's first unmet clock (by due time), if any runs.
func nextClock(r referral.Referral, now time.Time) (referral.Clock, bool) {
	if !r.Open() {
		return referral.Clock{}, false
	}
	var next referral.Clock
	found := false
	for _, c := range r.Clocks(now) {
		if c.MetAt == nil && (!found || c.DueAt.Before(next.DueAt)) {
			next, found = c, true
		}
	}
	return next, found
}

// moneyText renders cents in a currency: "$25,000.00", "EUR 1,200.00".
func moneyText(cents int64, currency string) string {
	s := commission.FormatCents(cents)
	if currency == "" || currency == "USD" {
		return s
	}
	return currency + " " + strings.Replace(s, "$", "", 1)
}

func referralValue(r referral.Referral) string {
	if r.EstimatedValueCents == nil {
		return ""
	}
	return moneyText(*r.EstimatedValueCents, r.Currency)
}

// referralRow is a referral in a table or on a card.
func referralRow(r referral.Referral, now time.Time, loc *time.Location) view.ReferralRow {
	row := view.ReferralRow{ID: r.ID.String(), Ref: r.Ref(), Company: r.ClientCompany, PartnerID: r.PartnerID.String(),
		Partner: r.PartnerName, Direction: r.Direction, Status: r.Status, StatusLabel: referral.StatusLabel(r.Status),
		Value: referralValue(r), Owner: r.OwnerName, Submitted: refDate(r.SubmittedAt, loc),
		Conflict: r.ConflictStatus == "open", Urgency: r.Urgency}
	if c, ok := nextClock(r, now); ok {
		row.Due = dueWords(now, c.DueAt)
		row.DueTitle = referral.ClockLabel(c.Name) + " due " + refTime(c.DueAt, loc)
		switch {
		case c.Breached:
			row.DueTone = "danger"
		case c.AtRisk:
			row.DueTone = "warning"
		default:
			row.DueTone = "neutral"
		}
	} else if r.NeedsHandOn(now) {
		row.Due, row.DueTone, row.DueTitle = "hand on", "danger", "The partner declined: hand it to the next partner"
	}
	return row
}

// ---- options ----

func staffOptions(ms []tenant.Member) []view.Option {
	var out []view.Option
	for _, m := range ms {
		if m.Disabled {
			continue
		}
		out = append(out, view.Option{Value: m.UserID.String(), Label: orText(m.Name, m.Email)})
	}
	return out
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// partnerOptions lists partners by name; open limits them to those who can
// still take part in referrals (not ended or inactive), named with their
// status when it isn't active.
func partnerOptions(ps []partner.Partner, open bool, except ...uuid.UUID) []view.Option {
	var out []view.Option
	for _, p := range ps {
		if slices.Contains(except, p.ID) || (open && (p.Status == "ended" || p.Status == "inactive")) {
			continue
		}
		label := p.Name
		if open && p.Status != "active" {
			label += " (" + strings.ToLower(view.StatusLabel(p.Status)) + ")"
		}
		out = append(out, view.Option{Value: p.ID.String(), Label: label})
	}
	return out
}

var directionOptions = []view.Option{{Value: "inbound", Label: "From partners (inbound)"}, {Value: "outbound", Label: "To partners (outbound)"}}

var referralSortLabels = map[string]string{"submitted": "Newest first", "due": "Next due first", "value": "Highest value", "company": "Company A–Z"}

// ---- the list's query ----

// referralQuery is the list's URL: status (repeated), direction, partner,
// owner, q, open, at_risk, breached, conflicts, from, to (YYYY-MM-DD in the
// firm's zone, both days included), sort and page. Anything it can't use is
// ignored, so every URL shows a page.
type referralQuery struct {
	F        referral.Filter
	From, To string // the dates as understood
	Page     int
	DateErr  string
}

func parseReferralQuery(v url.Values, loc *time.Location) referralQuery {
	q := referralQuery{Page: 1}
	for _, st := range v["status"] {
		if referral.ValidStatus(st) && !slices.Contains(q.F.Statuses, st) {
			q.F.Statuses = append(q.F.Statuses, st)
		}
	}
	if d := v.Get("direction"); d == "inbound" || d == "outbound" {
		q.F.Direction = d
	}
	if id, err := uuid.Parse(v.Get("partner")); err == nil {
		q.F.PartnerID = &id
	}
	if id, err := uuid.Parse(v.Get("owner")); err == nil {
		q.F.OwnerID = &id
	}
	q.F.Q = strings.TrimSpace(v.Get("q"))
	if len(q.F.Q) > 200 {
		q.F.Q = q.F.Q[:200]
	}
	q.F.Open = v.Get("open") == "1"
	q.F.AtRisk = v.Get("at_risk") == "1"
	q.F.Breached = v.Get("breached") == "1"
	q.F.ConflictsOnly = v.Get("conflicts") == "1"
	if so := v.Get("sort"); slices.Contains(referral.Sorts, so) {
		q.F.Sort = so
	}
	if raw := strings.TrimSpace(v.Get("from")); raw != "" {
		if d, err := time.ParseInLocation("2006-01-02", raw, loc); err == nil {
			q.F.From, q.From = d, raw
		} else {
			q.DateErr = "Enter dates as YYYY-MM-DD; this one was ignored."
		}
	}
	if raw := strings.TrimSpace(v.Get("to")); raw != "" {
		if d, err := time.ParseInLocation("2006-01-02", raw, loc); err == nil {
			q.F.To, q.To = d.AddDate(0, 0, 1), raw // the whole "to" day
		} else {
			q.DateErr = "Enter dates as YYYY-MM-DD; this one was ignored."
		}
	}
	if !q.F.From.IsZero() && !q.F.To.IsZero() && !q.F.To.After(q.F.From) {
		q.DateErr = "The end date is before the start date: nothing can match."
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 {
		q.Page = n
	}
	return q
}

// values is the URL query of q (defaults and page 1 left out), so links keep
// exactly the filters in force.
func (q referralQuery) values() url.Values {
	v := url.Values{}
	for _, st := range q.F.Statuses {
		v.Add("status", st)
	}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("direction", q.F.Direction)
	if q.F.PartnerID != nil {
		v.Set("partner", q.F.PartnerID.String())
	}
	if q.F.OwnerID != nil {
		v.Set("owner", q.F.OwnerID.String())
	}
	set("q", q.F.Q)
	for k, on := range map[string]bool{"open": q.F.Open, "at_risk": q.F.AtRisk, "breached": q.F.Breached, "conflicts": q.F.ConflictsOnly} {
		if on {
			v.Set(k, "1")
		}
	}
	set("from", q.From)
	set("to", q.To)
	if q.F.Sort != "" && q.F.Sort != "submitted" {
		v.Set("sort", q.F.Sort)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

func (q referralQuery) filtered() bool {
	f := q.F
	return len(f.Statuses) > 0 || f.Direction != "" || f.PartnerID != nil || f.OwnerID != nil || f.Q != "" ||
		f.Open || f.AtRisk || f.Breached || f.ConflictsOnly || !f.From.IsZero() || !f.To.IsZero()
}

func pages(total, per int) int { return max(1, (total+per-1)/per) }

// ---- the area's navigation ----

// referralNav counts the open conflicts and the referrals at risk for the tabs.
func (s *Server) referralNav(ctx context.Context, tx pgx.Tx, sc *staffCtx, active string) (view.ReferralNav, error) {
	n := view.ReferralNav{Base: "/t/" + sc.Tenant.Slug, Active: active, CanManage: sc.Role.Can(auth.ManagePartners)}
	conflicts, err := referral.CountByStatus(ctx, tx, sc.Tenant.ID, referral.Filter{ConflictsOnly: true})
	if err != nil {
		return n, err
	}
	risk, err := referral.CountByStatus(ctx, tx, sc.Tenant.ID, referral.Filter{AtRisk: true})
	if err != nil {
		return n, err
	}
	for _, c := range conflicts {
		n.Conflicts += c
	}
	for _, c := range risk {
		n.AtRisk += c
	}
	return n, nil
}
