package server

import (
	"context"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
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

// ---- list ----

// referralList is every referral with filters, sorting and pagination.
func (s *Server) referralList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	var (
		q        referralQuery
		rows     []referral.Referral
		total    int
		counts   map[string]int
		partners []partner.Partner
		staff    []tenant.Member
		nav      view.ReferralNav
		loc      *time.Location
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc = set.Location()
		q = parseReferralQuery(r.URL.Query(), loc)
		list := func() error {
			f := q.F
			f.Limit, f.Offset = referralPerPage, (q.Page-1)*referralPerPage
			rows, total, err = referral.List(ctx, tx, sc.Tenant.ID, f, now)
			return err
		}
		if err := list(); err != nil {
			return err
		}
		if len(rows) == 0 && total > 0 { // past the last page: show the last
			q.Page = pages(total, referralPerPage)
			if err := list(); err != nil {
				return err
			}
		}
		if counts, err = referral.CountByStatus(ctx, tx, sc.Tenant.ID, q.F); err != nil {
			return err
		}
		if partners, err = partner.List(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		nav, err = s.referralNav(ctx, tx, sc, "list")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	list := referralsPath(sc)
	d := view.ReferralListProps{Nav: nav, Q: q.F.Q, Direction: q.F.Direction, Sort: orText(q.F.Sort, "submitted"),
		From: q.From, To: q.To, Open: q.F.Open, AtRisk: q.F.AtRisk, Breached: q.F.Breached, ConflictsOnly: q.F.ConflictsOnly,
		Selected: map[string]bool{}, Directions: directionOptions, Partners: partnerOptions(partners, false),
		Owners: staffOptions(staff), ClearURL: list, Filtered: q.filtered(), Total: total, DateError: q.DateErr}
	if q.F.PartnerID != nil {
		d.Partner = q.F.PartnerID.String()
	}
	if q.F.OwnerID != nil {
		d.Owner = q.F.OwnerID.String()
	}
	for _, st := range referral.Statuses {
		d.Statuses = append(d.Statuses, view.Option{Value: st, Label: referral.StatusLabel(st) + " (" + strconv.Itoa(counts[st]) + ")"})
	}
	for _, st := range q.F.Statuses {
		d.Selected[st] = true
	}
	for _, so := range referral.Sorts {
		d.Sorts = append(d.Sorts, view.Option{Value: so, Label: referralSortLabels[so]})
	}
	for _, c := range []struct{ label, sort string }{
		{"Number", ""}, {"Company", "company"}, {"Partner", ""}, {"Direction", ""}, {"Status", ""},
		{"Value", "value"}, {"Owner", ""}, {"Submitted", "submitted"}, {"Next due", "due"},
	} {
		col := view.SortColumn{Label: c.label}
		if c.sort != "" {
			next := q
			next.Page = 1
			next.F.Sort = c.sort
			col.URL = withQuery(list, next.values())
			if orText(q.F.Sort, "submitted") == c.sort {
				col.AriaSort = map[string]string{"company": "ascending", "due": "ascending", "value": "descending", "submitted": "descending"}[c.sort]
			}
		}
		d.Columns = append(d.Columns, col)
	}
	for _, ref := range rows {
		d.Rows = append(d.Rows, referralRow(ref, now, loc))
	}
	from := (q.Page-1)*referralPerPage + 1
	d.Pagination = view.PaginationProps{From: from, To: from + len(rows) - 1, Total: total, Label: "Referral pages"}
	if q.Page > 1 {
		prev := q
		prev.Page--
		d.Pagination.PrevURL = withQuery(list, prev.values())
	}
	if q.Page < pages(total, referralPerPage) {
		next := q
		next.Page++
		d.Pagination.NextURL = withQuery(list, next.values())
	}
	all := q
	all.Page = 1
	d.CSVURL = withQuery(list+"/export.csv", all.values())
	s.render(w, r, http.StatusOK, view.ReferralListPage(s.page(r, "Referrals", "referrals"), d))
}

// referralExportHeader are the columns of the list's CSV export. The
// referred person's contact details are not in it: they are personal data
// the list doesn't show either.
var referralExportHeader = []string{"number", "company", "domain", "partner", "direction", "status", "estimated value",
	"currency", "owner", "originator", "service", "urgency", "submitted", "next clock", "next due", "conflict",
	"credited partner", "close reason", "closed"}

// referralExportMax caps an export (the list pages through it 500 at a time).
const referralExportMax = 100_000

// referralExport downloads every referral matching the list's filters, in
// its sort order (all pages), as CSV with formulas neutralised.
func (s *Server) referralExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	var all []referral.Referral
	var loc *time.Location
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc = set.Location()
		f := parseReferralQuery(r.URL.Query(), loc).F
		f.Limit = 500
		for f.Offset < referralExportMax {
			rows, total, err := referral.List(ctx, tx, sc.Tenant.ID, f, now)
			if err != nil {
				return err
			}
			all = append(all, rows...)
			f.Offset += len(rows)
			if len(rows) < f.Limit || f.Offset >= total {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	csvout.Attach(w, csvout.Filename(sc.Tenant.Slug+"-referrals", now.In(loc)))
	w.WriteHeader(http.StatusOK)
	cw, err := csvout.NewWriter(w, referralExportHeader...)
	if err != nil {
		return // the client went away
	}
	for _, ref := range all {
		value := ""
		if ref.EstimatedValueCents != nil {
			value = referral.FormatMoney(*ref.EstimatedValueCents)
		}
		clock, due := "", ""
		if c, ok := nextClock(ref, now); ok {
			clock, due = referral.ClockLabel(c.Name), c.DueAt.UTC().Format(time.RFC3339)
		}
		closed := ""
		if ref.ClosedAt != nil {
			closed = ref.ClosedAt.UTC().Format(time.RFC3339)
		}
		reason := ""
		if ref.CloseReason != "" {
			reason = referral.ReasonLabel(ref.CloseReason)
		}
		if err := cw.Write(ref.Ref(), ref.ClientCompany, ref.ClientDomain, ref.PartnerName, ref.Direction,
			referral.StatusLabel(ref.Status), value, ref.Currency, ref.OwnerName, ref.OriginatorName, ref.ServiceName,
			ref.Urgency, ref.SubmittedAt.UTC().Format(time.RFC3339), clock, due, ref.ConflictStatus,
			ref.CreditedPartnerName, reason, closed); err != nil {
			return
		}
	}
	if err := cw.Flush(); err != nil {
		s.Logger.Warn("referral export", "request_id", requestIDFrom(ctx), "err", err)
	}
}

// ---- board ----

// boardRecentDays is how far back the won and lost columns look.
const boardRecentDays = 30

// boardCards is how many cards a column shows before "All N in the list".
const boardCards = 25

// referralBoard shows open referrals by stage, most urgent first, and the
// referrals won and lost in the last 30 days.
func (s *Server) referralBoard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	v := r.URL.Query()
	var (
		cols     []view.ReferralColumn
		partners []partner.Partner
		staff    []tenant.Member
		nav      view.ReferralNav
		q        referralQuery
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc := set.Location()
		q = parseReferralQuery(url.Values{"direction": {v.Get("direction")}, "partner": {v.Get("partner")}, "owner": {v.Get("owner")}}, loc)
		list := referralsPath(sc)
		for _, st := range referral.OpenStatuses {
			f := q.F
			f.Statuses, f.Sort, f.Limit = []string{st}, "due", boardCards
			rows, total, err := referral.List(ctx, tx, sc.Tenant.ID, f, now)
			if err != nil {
				return err
			}
			col := view.ReferralColumn{Key: st, Label: referral.StatusLabel(st), Count: total, Empty: "None"}
			for _, ref := range rows {
				col.Cards = append(col.Cards, referralRow(ref, now, loc))
			}
			if total > len(rows) {
				more := q
				more.F.Statuses = []string{st}
				more.F.Sort = "due"
				col.MoreURL = withQuery(list, more.values())
			}
			cols = append(cols, col)
		}
		// Recent closes: referrals closed in the window, newest close first.
		since := now.AddDate(0, 0, -boardRecentDays)
		for _, c := range []struct {
			key, label string
			statuses   []string
		}{{"won", "Won (last 30 days)", []string{referral.Won}}, {"closed", "Lost or declined (last 30 days)", []string{referral.Lost, referral.Declined}}} {
			f := q.F
			f.Statuses, f.Limit = c.statuses, 500
			f.From = now.AddDate(-1, 0, 0) // submitted within a year: a close this month started after that
			rows, _, err := referral.List(ctx, tx, sc.Tenant.ID, f, now)
			if err != nil {
				return err
			}
			rows = slices.DeleteFunc(rows, func(x referral.Referral) bool { return x.ClosedAt == nil || x.ClosedAt.Before(since) })
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].ClosedAt.After(*rows[j].ClosedAt) })
			col := view.ReferralColumn{Key: c.key, Label: c.label, Count: len(rows), Empty: "None in the last 30 days"}
			for i, ref := range rows {
				if i == boardCards {
					more := q
					more.F.Statuses = c.statuses
					col.MoreURL = withQuery(list, more.values())
					break
				}
				col.Cards = append(col.Cards, referralRow(ref, now, loc))
			}
			cols = append(cols, col)
		}
		if partners, err = partner.List(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		nav, err = s.referralNav(ctx, tx, sc, "board")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.ReferralBoardProps{Nav: nav, Columns: cols, Direction: q.F.Direction, Directions: directionOptions,
		Partners: partnerOptions(partners, false), Owners: staffOptions(staff), RecentDays: boardRecentDays,
		Filtered: q.filtered(), ClearURL: referralsPath(sc) + "/board"}
	if q.F.PartnerID != nil {
		d.Partner = q.F.PartnerID.String()
	}
	if q.F.OwnerID != nil {
		d.Owner = q.F.OwnerID.String()
	}
	s.render(w, r, http.StatusOK, view.ReferralBoardPage(s.page(r, "Referral board", "referrals"), d))
}

// ---- at risk ----

// referralAtRisk lists the open referrals whose next clock is breached or
// due within the reminder window (and outbound ones to hand on), most
// urgent first.
func (s *Server) referralAtRisk(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	var d view.ReferralAtRiskProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc := set.Location()
		rows, _, err := referral.List(ctx, tx, sc.Tenant.ID, referral.Filter{AtRisk: true, Sort: "due", Limit: 500}, now)
		if err != nil {
			return err
		}
		// Most urgent first: the furthest overdue, then the soonest due;
		// outbound ones to hand on (no clock running) after those.
		sort.SliceStable(rows, func(i, j int) bool { return urgency(rows[i], now).Before(urgency(rows[j], now)) })
		for _, ref := range rows {
			d.Rows = append(d.Rows, referralRow(ref, now, loc))
		}
		d.ReminderHours = set.ReminderHours
		if sc.Role.Can(auth.ManageSettings) {
			d.SettingsURL = "/t/" + sc.Tenant.Slug + "/settings/referrals"
		}
		d.Nav, err = s.referralNav(ctx, tx, sc, "at-risk")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.ReferralAtRiskPage(s.page(r, "Referrals at risk", "referrals"), d))
}

// urgency orders the at-risk view: a referral's next due time, or (for one
// to hand on, with no clock running) the far future.
func urgency(r referral.Referral, now time.Time) time.Time {
	if c, ok := nextClock(r, now); ok {
		return c.DueAt
	}
	return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
}

// ---- conflicts ----

var attributionLabels = map[string]string{
	"first_introduction": "first formal introduction wins (earliest submission)",
	"staff_decides":      "staff decide by influence",
}

// referralConflicts is the conflicts queue, oldest first.
func (s *Server) referralConflicts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d view.ReferralConflictsProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc := set.Location()
		rows, err := referral.Conflicts(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		for _, ref := range rows {
			item, err := conflictItem(ctx, tx, sc, set, ref, loc)
			if err != nil {
				return err
			}
			item.Resolve.Back = "conflicts"
			d.Items = append(d.Items, item)
		}
		d.RuleLabel = orText(attributionLabels[set.AttributionRule], set.AttributionRule)
		d.CanManage = sc.Role.Can(auth.ManagePartners)
		d.Nav, err = s.referralNav(ctx, tx, sc, "conflicts")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.ReferralConflictsPage(s.page(r, "Attribution conflicts", "referrals"), d))
}

func referralSide(r referral.Referral, loc *time.Location) view.ReferralSide {
	side := view.ReferralSide{ID: r.ID.String(), Ref: r.Ref(), Company: r.ClientCompany, Domain: r.ClientDomain,
		Partner: r.PartnerName, Submitted: refTime(r.SubmittedAt, loc), Status: r.Status,
		StatusLabel: referral.StatusLabel(r.Status), Direction: r.Direction}
	if !r.Contact.Erased {
		side.Contact = strings.TrimSpace(r.Contact.Name + " " + r.Contact.Email)
	}
	return side
}

// conflictItem puts a conflicted referral beside the one it matches, with
// the rule's default choice and the resolve form.
func conflictItem(ctx context.Context, tx pgx.Tx, sc *staffCtx, set referral.Settings, ref referral.Referral, loc *time.Location) (view.ReferralConflictItem, error) {
	item := view.ReferralConflictItem{This: referralSide(ref, loc), Note: ref.ConflictNote,
		Resolve: view.ReferralConflictForm{Action: referralPath(sc, ref.ID) + "/conflict", Key: ref.ID.String()}}
	item.Resolve.Options = []view.Option{{Value: ref.PartnerID.String(), Label: ref.PartnerName + " (" + ref.Ref() + ")"}}
	earliest := ref
	if ref.ConflictWithID != nil {
		other, err := referral.Get(ctx, tx, sc.Tenant.ID, *ref.ConflictWithID)
		if err != nil && apperr.Code(err) != apperr.ENotFound {
			return item, err
		}
		if err == nil {
			side := referralSide(other, loc)
			item.Other = &side
			if other.PartnerID != ref.PartnerID {
				item.Resolve.Options = append(item.Resolve.Options, view.Option{Value: other.PartnerID.String(), Label: other.PartnerName + " (" + other.Ref() + ")"})
			}
			if other.SubmittedAt.Before(ref.SubmittedAt) {
				earliest = other
			}
		}
	}
	switch {
	case ref.CreditedPartnerID != nil:
		item.Resolve.Credited = ref.CreditedPartnerID.String()
		item.Default = orText(ref.CreditedPartnerName, "The partner already credited") + " is credited under the rule; confirm or change it."
	case set.AttributionRule == "first_introduction":
		item.Resolve.Credited = earliest.PartnerID.String()
		item.Default = earliest.PartnerName + " introduced the client first (" + earliest.Ref() + ", " + refTime(earliest.SubmittedAt, loc) + ")."
	default:
		item.Default = "Your firm's rule leaves the choice to you: credit the partner whose introduction mattered most."
	}
	return item, nil
}

// ---- a referral's page ----

// referralShow is a referral's page.
func (s *Server) referralShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderReferral(w, r, http.StatusOK, id, nil)
}

// renderReferral loads and shows a referral; edit fills in a form's input
// and errors when it is re-shown.
func (s *Server) renderReferral(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, edit func(*view.ReferralShowProps)) {
	ctx := r.Context()
	now := s.now()
	var d view.ReferralShowProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ref, err := referral.Get(ctx, tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		d, err = s.referralProps(ctx, tx, sc, ref, now)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.ReferralShowPage(s.page(r, d.Ref+" · "+d.Company, "referrals"), d))
}

var eventLabels = map[string]string{
	"submitted": "Submitted", "note": "Internal note", "partner_note": "Note shared with the partner",
	"conflict": "Possible duplicate or conflict", "attribution": "Attribution decided", "sla_reminder": "SLA reminder",
	"sla_breach": "SLA breached", "owner": "People changed", "fit": "Fit feedback", "guardrail": "Guardrail recorded",
	"partner_accepted": "Partner accepted", "partner_declined": "Partner declined", "reassigned": "Handed to another partner",
	"engagement": "Engagement recorded", "claim_lapsed": "Claim lapsed",
}

// eventWhat says what a timeline entry was.
func eventWhat(e referral.Event) string {
	if e.Kind == "status" {
		if e.FromStatus == "" {
			return "Moved to " + referral.StatusLabel(e.ToStatus)
		}
		return "Moved from " + referral.StatusLabel(e.FromStatus) + " to " + referral.StatusLabel(e.ToStatus)
	}
	if e.Kind == "partner_note" || (e.Kind == "note" && e.VisibleToPartner) {
		if e.ActorKind == "partner" {
			return "Note from the partner"
		}
		return "Note shared with the partner"
	}
	return orText(eventLabels[e.Kind], e.Kind)
}

func eventWho(e referral.Event) string {
	switch {
	case e.ActorName != "" && e.ActorKind == "partner":
		return e.ActorName + " (partner)"
	case e.ActorName != "":
		return e.ActorName
	case e.ActorKind == "system":
		return "Allyway"
	case e.ActorKind == "api":
		return "API"
	case e.ActorKind == "partner":
		return "The partner"
	}
	return "Someone no longer on the team"
}

// guardrailRules are the profession policy rules a referral page shows.
func guardrailProps(set policy.Set, ref referral.Referral, loc *time.Location) view.ReferralGuardrails {
	g := view.ReferralGuardrails{Profession: orText(policy.ProfessionLabels[set.Profession], set.Profession)}
	for _, key := range []string{policy.LawClientDisclosure, policy.AcctFeeDisclosure} {
		if set.Active(key) {
			g.Fee = true
			if ru, ok := set.Rule(key); ok {
				g.FeeWhy = ru.Explanation
			}
		}
	}
	if set.Active(policy.LawConflictsCheck) {
		g.Conflicts = true
		if ru, ok := set.Rule(policy.LawConflictsCheck); ok {
			g.ConflictsWhy = ru.Explanation
		}
	}
	if set.Active(policy.AcctNoCommissionAttest) {
		g.Attest, g.AttestOn = true, ref.AttestClient
		if ru, ok := set.Rule(policy.AcctNoCommissionAttest); ok {
			g.AttestWhy = ru.Explanation
		}
	}
	if ref.FeeDisclosedAt != nil {
		g.FeeDone = refDate(*ref.FeeDisclosedAt, loc)
	}
	if ref.ConflictsClearedAt != nil {
		g.ConflictsDone = refDate(*ref.ConflictsClearedAt, loc)
	}
	g.Show = g.Fee || g.Conflicts || g.Attest
	return g
}

// guardrailPending says what the policy still needs before accept/won.
func guardrailPending(g view.ReferralGuardrails) string {
	var need []string
	if g.Fee && g.FeeDone == "" {
		need = append(need, "the client's fee disclosure")
	}
	if g.Conflicts && g.ConflictsDone == "" {
		need = append(need, "the conflicts check")
	}
	if len(need) == 0 {
		return ""
	}
	return "Your firm's policy needs " + strings.Join(need, " and ") + " recorded before this referral is acknowledged or won."
}

var engagementKinds = []view.Option{{Value: "project", Label: "Project"}, {Value: "retainer", Label: "Retainer"}}

var engagementKindLabels = map[string]string{"project": "Project", "retainer": "Retainer"}

func reasonOptions() []view.Option {
	out := make([]view.Option, 0, len(referral.CloseReasons))
	for _, re := range referral.CloseReasons {
		out = append(out, view.Option{Value: re, Label: referral.ReasonLabel(re)})
	}
	return out
}

// referralProps fills a referral's page.
func (s *Server) referralProps(ctx context.Context, tx pgx.Tx, sc *staffCtx, ref referral.Referral, now time.Time) (view.ReferralShowProps, error) {
	tid := sc.Tenant.ID
	set, err := referral.GetSettings(ctx, tx, tid)
	if err != nil {
		return view.ReferralShowProps{}, err
	}
	loc := set.Location()
	base := "/t/" + sc.Tenant.Slug
	d := view.ReferralShowProps{Base: base, URL: referralPath(sc, ref.ID), CanManage: sc.Role.Can(auth.ManagePartners),
		Ref: ref.Ref(), Company: ref.ClientCompany, Domain: ref.ClientDomain, PartnerID: ref.PartnerID.String(),
		Partner: ref.PartnerName, Direction: ref.Direction, Status: ref.Status, StatusLabel: referral.StatusLabel(ref.Status),
		Urgency: ref.Urgency, UrgencyLabel: urgencyLabels[ref.Urgency], Source: ref.Source, Submitted: refTime(ref.SubmittedAt, loc), Service: ref.ServiceName,
		Value: referralValue(ref), Challenge: ref.Challenge, Context: ref.Context, Promises: ref.PromisesMade,
		ContactName: ref.Contact.Name, ContactEmail: ref.Contact.Email, ContactPhone: ref.Contact.Phone,
		ContactErased: ref.Contact.Erased, Credited: ref.CreditedPartnerName, ConflictStatus: ref.ConflictStatus,
		ConflictNote: ref.ConflictNote, Owner: ref.OwnerName, Originator: ref.OriginatorName}
	if ref.ClosedAt != nil {
		d.Closed = refTime(*ref.ClosedAt, loc)
	}
	if ref.CloseReason != "" {
		d.CloseWhy = referral.ReasonLabel(ref.CloseReason)
	}
	if ref.ClaimExpiresAt != nil && ref.Open() {
		d.ClaimExpires = refDate(*ref.ClaimExpiresAt, loc)
	}
	switch {
	case ref.PartnerAcceptedAt != nil:
		d.PartnerAnswer = "Accepted " + refTime(*ref.PartnerAcceptedAt, loc)
	case ref.PartnerDeclinedAt != nil:
		d.PartnerAnswer = "Declined " + refTime(*ref.PartnerDeclinedAt, loc)
		if ref.PartnerDeclineReason != "" {
			d.PartnerAnswer += ": " + ref.PartnerDeclineReason
		}
	case ref.Direction == "outbound":
		d.PartnerAnswer = "Not answered yet"
	}
	for _, c := range ref.Clocks(now) {
		row := view.ReferralClockRow{Label: referral.ClockLabel(c.Name), Due: refTime(c.DueAt, loc), State: "open"}
		switch {
		case c.MetAt != nil && c.Breached:
			row.State, row.Detail = "breached", "met "+spanWords(c.MetAt.Sub(c.DueAt))+" late, "+refTime(*c.MetAt, loc)
		case c.MetAt != nil:
			row.State, row.Detail = "met", refTime(*c.MetAt, loc)
		case c.Breached && !ref.Open():
			row.State, row.Detail = "breached", "not met before the referral closed"
		case c.Breached:
			row.State, row.Detail = "breached", dueWords(now, c.DueAt)
		case !ref.Open():
			row.State, row.Detail = "open", "stopped when the referral closed"
		case c.AtRisk:
			row.State, row.Detail = "at_risk", dueWords(now, c.DueAt)
		default:
			row.Detail = dueWords(now, c.DueAt)
		}
		d.Clocks = append(d.Clocks, row)
	}
	for _, a := range ref.Checklist {
		d.Checklist = append(d.Checklist, view.ReferralAnswerRow{Question: a.Question, Required: a.Required, Answer: a.Answer})
	}

	// Attribution.
	if ref.ConflictWithID != nil {
		other, err := referral.Get(ctx, tx, tid, *ref.ConflictWithID)
		if err != nil && apperr.Code(err) != apperr.ENotFound {
			return d, err
		}
		if err == nil {
			side := referralSide(other, loc)
			d.ConflictWith = &side
		}
	}
	if ref.ConflictStatus == "open" && d.CanManage {
		item, err := conflictItem(ctx, tx, sc, set, ref, loc)
		if err != nil {
			return d, err
		}
		d.Resolve = &item.Resolve
	}

	// People.
	staff, err := tenant.ListStaff(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.OwnerForm = view.ReferralOwnerForm{Staff: staffOptions(staff)}
	if ref.OwnerUserID != nil {
		d.OwnerForm.Owner = ref.OwnerUserID.String()
	}
	if ref.OriginatorUserID != nil {
		d.OwnerForm.Originator = ref.OriginatorUserID.String()
	}
	partners, err := partner.List(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.AssistForm = view.ReferralAssistForm{Selected: map[string]bool{}}
	for _, a := range ref.Assists {
		d.Assists = append(d.Assists, a.PartnerName)
		d.AssistForm.Selected[a.PartnerID.String()] = true
	}
	for _, p := range partners {
		if p.ID == ref.PartnerID || (p.Status == "ended" && !d.AssistForm.Selected[p.ID.String()]) {
			continue
		}
		d.AssistForm.Partners = append(d.AssistForm.Partners, view.Option{Value: p.ID.String(), Label: p.Name})
	}

	// Guardrails and the move form.
	pol, err := policy.Load(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.Guardrails = guardrailProps(pol, ref, loc)
	d.Move = view.ReferralMoveForm{Action: d.URL + "/move", Reasons: reasonOptions(), Kinds: engagementKinds}
	for _, to := range referral.Moves(ref.Status) {
		switch to {
		case referral.Won:
			d.Move.CanWin = true
		case referral.Lost, referral.Declined:
			d.Move.Close = append(d.Move.Close, view.Option{Value: to, Label: referral.StatusLabel(to)})
		default:
			d.Move.Advance = append(d.Move.Advance, view.Option{Value: to, Label: referral.StatusLabel(to)})
		}
	}
	// The profession guardrails are about referrals we take on (inbound).
	if ref.Direction == "inbound" {
		if ref.Open() {
			d.Move.Guardrail = guardrailPending(d.Guardrails)
		}
	} else {
		d.Guardrails.Show = false
		d.Move.Outbound = true
	}

	// Fit feedback on closed referrals.
	d.Fit = view.ReferralFitForm{Show: !ref.Open(), Fit: ref.Fit, Note: ref.FitNote}
	switch ref.Fit {
	case "good":
		d.Fit.Current = "Good fit"
	case "poor":
		d.Fit.Current = "Not a good fit"
	}
	if d.Fit.Current != "" && ref.FitNote != "" {
		d.Fit.Current += ": " + ref.FitNote
	}

	if ref.Status == referral.Won {
		engs, err := referral.ListEngagements(ctx, tx, tid, &ref.ID, nil, 100, time.Time{}, uuid.Nil)
		if err != nil {
			return d, err
		}
		for _, e := range engs {
			d.Engagements = append(d.Engagements, view.ReferralEngagementRow{Kind: orText(engagementKindLabels[e.Kind], e.Kind),
				Name: e.Name, Value: moneyText(e.ValueCents, e.Currency), Started: e.StartedOn.Format("2 Jan 2006"), Scope: e.Scope})
		}
	}

	events, err := referral.Timeline(ctx, tx, tid, ref.ID)
	if err != nil {
		return d, err
	}
	introSent := ""
	for i := len(events) - 1; i >= 0; i-- { // newest first
		e := events[i]
		d.Timeline = append(d.Timeline, view.ReferralEventRow{At: refTime(e.At, loc), Who: eventWho(e), What: eventWhat(e),
			Reason: reasonText(e.Reason), Body: e.Body, VisibleToPartner: e.VisibleToPartner, Kind: e.Kind})
		if introSent == "" && e.Kind == "note" && strings.HasPrefix(e.Body, introNotePrefix) {
			introSent = refTime(e.At, loc)
		}
	}

	if ref.Direction == "outbound" && ref.Open() && ref.PartnerDeclinedAt == nil {
		intro, err := s.introFor(ctx, tx, sc, ref)
		if err != nil {
			return d, err
		}
		intro.Sent = introSent
		intro.Open = introSent == "" && ref.PartnerAcceptedAt == nil && ref.PartnerDeclinedAt == nil
		d.Intro = &intro
	}
	if ref.NeedsHandOn(now) {
		h, err := handoffFor(ctx, tx, sc, set, ref, partners)
		if err != nil {
			return d, err
		}
		d.Handoff = &h
	}
	return d, nil
}

// reasonText names a close reason; other reasons on the timeline are
// internal codes (the entry's body says it in words) and are not shown.
func reasonText(s string) string {
	if referral.ValidCloseReason(s) {
		return referral.ReasonLabel(s)
	}
	return ""
}

// introNotePrefix starts the internal note recorded when the introduction
// email is sent, so the page can say when it went.
const introNotePrefix = "Introduction email sent to "

// introFor drafts an outbound referral's introduction email to the
// partner's primary contact (or another current contact with an email; with
// none, a portal user of the partner, admins first).
func (s *Server) introFor(ctx context.Context, tx pgx.Tx, sc *staffCtx, ref referral.Referral) (view.ReferralIntro, error) {
	contacts, err := partner.ListContacts(ctx, tx, sc.Tenant.ID, ref.PartnerID)
	if err != nil {
		return view.ReferralIntro{}, err
	}
	var to *partner.Contact
	for i, c := range contacts {
		if !c.Active() || c.Email == "" {
			continue
		}
		if to == nil || (c.IsPrimary && !to.IsPrimary) {
			to = &contacts[i]
		}
	}
	contactName, addr := "", ""
	if to != nil {
		contactName = to.Name
		addr = (&mail.Address{Name: to.Name, Address: to.Email}).String()
	} else {
		// No contact on file: the partner's portal users (admins first).
		users, err := tenant.ListPortal(ctx, tx, sc.Tenant.ID, ref.PartnerID)
		if err != nil {
			return view.ReferralIntro{}, err
		}
		slices.SortStableFunc(users, func(a, b tenant.PortalMember) int {
			return cmpBool(a.Role == auth.RolePartnerAdmin, b.Role == auth.RolePartnerAdmin)
		})
		if len(users) > 0 {
			contactName = users[0].Name
			addr = (&mail.Address{Name: users[0].Name, Address: users[0].Email}).String()
		}
	}
	ourName := ""
	if u := userFrom(ctx); u != nil {
		ourName = orText(u.Name, u.Email)
	}
	subject, body := referral.IntroEmail(ref, contactName, ourName, sc.Tenant.Name)
	return view.ReferralIntro{Subject: subject, Body: body, To: addr}, nil
}

// cmpBool orders true before false.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// handoffFor offers the next partners for an outbound referral the partner
// declined or let lapse: the service's suggestions without this partner,
// or (no service named) any partner who can take referrals.
func handoffFor(ctx context.Context, tx pgx.Tx, sc *staffCtx, set referral.Settings, ref referral.Referral, partners []partner.Partner) (view.ReferralHandoff, error) {
	h := view.ReferralHandoff{}
	switch {
	case ref.PartnerDeclinedAt != nil:
		h.Why = ref.PartnerName + " declined this referral"
		if ref.PartnerDeclineReason != "" {
			h.Why += ": " + ref.PartnerDeclineReason
		}
		h.Why += ". Hand it to the next partner so the client isn't left waiting."
	default:
		h.Why = ref.PartnerName + " did not answer within " + strconv.Itoa(set.PartnerResponseHours) + " hours. Hand it to the next partner so the client isn't left waiting."
	}
	if ref.ServiceID != nil {
		sugg, err := referral.Suggest(ctx, tx, sc.Tenant.ID, *ref.ServiceID, []uuid.UUID{ref.PartnerID})
		if err != nil {
			return h, err
		}
		h.Suggestions = suggestionRows(sugg, "")
		return h, nil
	}
	h.Partners = partnerOptions(partners, true, ref.PartnerID)
	return h, nil
}

func suggestionRows(ss []referral.Suggestion, chosen string) []view.ReferralSuggestion {
	out := make([]view.ReferralSuggestion, 0, len(ss))
	for _, s := range ss {
		out = append(out, view.ReferralSuggestion{PartnerID: s.PartnerID.String(), Name: s.Name, Tier: s.TierName,
			Status: s.Status, Rank: s.Rank, Score: s.Score, Reasons: s.Reasons, Paused: s.Paused, PauseReason: s.PauseReason,
			Conversion: s.Conversion, Received: s.Received, Sent: s.Sent, Selected: !s.Paused && s.PartnerID.String() == chosen})
	}
	return out
}

// ---- writes on a referral ----

// onReferral runs fn for the {id} referral of the firm (404 before the
// form is looked at when it isn't the firm's). It returns the id.
func (s *Server) onReferral(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error) (uuid.UUID, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return id, err
	}
	return id, s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ref, err := referral.Get(r.Context(), tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		return fn(tx, sc, ref)
	})
}

// actorID is the signed-in person.
func actorID(r *http.Request) uuid.UUID {
	if u := userFrom(r.Context()); u != nil {
		return u.ID
	}
	return uuid.Nil
}

// done flashes msg and goes back to the referral's page (at anchor).
func (s *Server) done(w http.ResponseWriter, r *http.Request, id uuid.UUID, msg, anchor string) {
	s.flash(r, "success", msg)
	redirect(w, r, referralPath(staffFrom(r.Context()), id)+anchor)
}

// referralMove moves the pipeline: one of the forward stages, won (with the
// engagement) or lost/declined (with a reason and a note for the partner).
// An illegal move is 422 with the message naming the allowed moves.
func (s *Server) referralMove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in referral.TransitionInput
	var kept view.ReferralMoveForm
	var moved referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		f := r.PostForm
		in = referral.TransitionInput{To: strings.TrimSpace(f.Get("to")), Reason: f.Get("reason"),
			NoteForPartner: f.Get("note_for_partner"), NoteInternal: f.Get("note_internal"),
			ActorUserID: actorID(r), ActorKind: "staff"}
		kept = view.ReferralMoveForm{Which: f.Get("form"), To: in.To, Reason: in.Reason, NoteForPartner: in.NoteForPartner,
			NoteInternal: in.NoteInternal, EngKind: f.Get("engagement_kind"), EngName: f.Get("engagement_name"),
			EngValue: f.Get("engagement_value"), EngStart: f.Get("engagement_started_on"), EngScope: f.Get("engagement_scope")}
		if in.To == referral.Won {
			in.Engagement = &referral.EngagementInput{Kind: kept.EngKind, Name: kept.EngName, Scope: kept.EngScope,
				Value: kept.EngValue, StartedOn: kept.EngStart}
		}
		var err error
		moved, err = referral.Transition(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, in)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		// Invalid input (422), or a move the referral's state refuses, like
		// won while its attribution is open (409): the form again, kept.
		fe := formErrors(err)
		if kept.Which == "" {
			kept.Which = whichForm(in.To)
		}
		s.renderReferral(w, r, statusFor(code), id, func(d *view.ReferralShowProps) {
			kept.Form = engagementErrors(fe)
			kept.Action, kept.Advance, kept.CanWin, kept.Close = d.Move.Action, d.Move.Advance, d.Move.CanWin, d.Move.Close
			kept.Reasons, kept.Kinds, kept.Guardrail = d.Move.Reasons, d.Move.Kinds, d.Move.Guardrail
			d.Move = kept
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, moved.Ref()+" is now "+referral.StatusLabel(moved.Status)+".", "")
}

// whichForm is the move form a target stage belongs to.
func whichForm(to string) string {
	switch to {
	case referral.Won:
		return "won"
	case referral.Lost, referral.Declined:
		return "close"
	}
	return "advance"
}

// engagementErrors maps the domain's engagement field keys to the form's
// (both "engagement.name" and "name" forms are understood) and keeps a
// message that isn't about a field.
func engagementErrors(f view.Form) view.Form {
	out := view.Form{NonField: f.NonField, Errors: view.FieldErrors{}}
	for k, msg := range f.Errors {
		key := k
		for _, p := range []string{"engagement.", "engagement_"} {
			key = strings.TrimPrefix(key, p)
		}
		switch key {
		case "kind", "name", "scope", "value", "started_on":
			out.Errors["engagement_"+key] = msg
		default:
			out.Errors[k] = msg
		}
	}
	// A field the form doesn't show (e.g. a guardrail) is said at the top.
	for k, msg := range out.Errors {
		switch k {
		case "to", "reason", "note_for_partner", "note_internal", "engagement_kind", "engagement_name",
			"engagement_scope", "engagement_value", "engagement_started_on":
		default:
			out.NonField = append(out.NonField, msg)
		}
	}
	return out
}

// referralNote adds an internal note or a note the partner sees (and is emailed).
func (s *Server) referralNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var body string
	var forPartner bool
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		body, forPartner = r.PostForm.Get("body"), r.PostForm.Get("for_partner") == "1"
		if strings.TrimSpace(body) == "" {
			return apperr.Invalid(map[string]string{"body": "Write the note."})
		}
		return referral.AddNote(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, actorID(r), "staff", body, forPartner)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			nf := view.ReferralNoteForm{Form: formErrors(err), Body: body}
			if nf.Err("body") != "" {
				nf.NonField = nil
			}
			if forPartner {
				d.NotePartner = nf
			} else {
				d.NoteInternal = nf
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Internal note added."
	if forPartner {
		msg = "Note sent to the partner."
	}
	s.done(w, r, id, msg, "#timeline")
}

// optionalUser reads a staff select: "" is nobody; anything else must be on
// the firm's staff.
func optionalUser(staff []tenant.Member, raw, field string, errs map[string]string) *uuid.UUID {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	id, err := uuid.Parse(raw)
	if err == nil {
		for _, m := range staff {
			if m.UserID == id && !m.Disabled {
				return &id
			}
		}
	}
	errs[field] = "Choose someone on your firm's staff."
	return nil
}

// referralOwner records who owns and who originated the referral.
func (s *Server) referralOwner(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var form view.ReferralOwnerForm
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		form.Owner, form.Originator = r.PostForm.Get("owner"), r.PostForm.Get("originator")
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		errs := map[string]string{}
		owner := optionalUser(staff, form.Owner, "owner", errs)
		originator := optionalUser(staff, form.Originator, "originator", errs)
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		return referral.SetOwner(ctx, tx, sc.Tenant.ID, ref.ID, owner, originator, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			form.Form, form.Staff = formErrors(err), d.OwnerForm.Staff
			for from, to := range map[string]string{"owner_user_id": "owner", "originator_user_id": "originator"} {
				if msg, ok := form.Errors[from]; ok {
					form.Errors[to] = msg
					delete(form.Errors, from)
				}
			}
			d.OwnerForm = form
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Owner and originator saved.", "#people")
}

// referralAssists names the partners who assisted (only the firm's partners).
func (s *Server) referralAssists(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var chosen []string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		chosen = r.PostForm["assist"]
		var ids []uuid.UUID
		for _, raw := range chosen {
			pid, err := uuid.Parse(raw)
			if err != nil {
				return apperr.Invalid(map[string]string{"assist": "Choose partners from the list."})
			}
			if _, err := partner.Get(ctx, tx, sc.Tenant.ID, pid); err != nil {
				if apperr.Code(err) == apperr.ENotFound {
					return apperr.Invalid(map[string]string{"assist": "Choose partners from the list."})
				}
				return err
			}
			if !slices.Contains(ids, pid) {
				ids = append(ids, pid)
			}
		}
		return referral.SetAssists(ctx, tx, sc.Tenant.ID, ref.ID, ids, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			// The choices are checkboxes: any message goes on top.
			d.AssistForm.Form = view.Form{NonField: []string{apperr.Message(err)}}
			if fe := apperr.FieldErrors(err); len(fe) > 0 {
				d.AssistForm.NonField = nil
				for _, msg := range fe {
					d.AssistForm.NonField = append(d.AssistForm.NonField, msg)
				}
			}
			d.AssistForm.Selected = map[string]bool{}
			for _, c := range chosen {
				d.AssistForm.Selected[c] = true
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Assisting partners saved.", "#people")
}

var guardrailDone = map[string]string{
	"fee_disclosed":     "The client's fee disclosure is recorded.",
	"conflicts_cleared": "Conflicts cleared is recorded.",
	"attest_client":     "The attest-client mark is changed.",
}

// referralGuardrail records a profession guardrail (or toggles attest).
func (s *Server) referralGuardrail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var which string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		which = r.PostForm.Get("which")
		if _, ok := guardrailDone[which]; !ok {
			return apperr.Invalid(map[string]string{"which": "Choose a guardrail to record."})
		}
		return referral.RecordGuardrail(ctx, tx, sc.Tenant.ID, ref.ID, which, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			d.Guardrails.Form = view.Form{NonField: []string{apperr.Message(err)}}
			for _, msg := range apperr.FieldErrors(err) {
				d.Guardrails.Form.NonField = []string{msg}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, guardrailDone[which], "#guardrails")
}

// referralFit records whether a closed referral was a good fit.
func (s *Server) referralFit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var fit, note string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		fit, note = r.PostForm.Get("fit"), r.PostForm.Get("note")
		if fit != "good" && fit != "poor" {
			return apperr.Invalid(map[string]string{"fit": "Say whether it was a good fit."})
		}
		return referral.SetFit(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, fit, note, actorID(r))
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderReferral(w, r, statusFor(code), id, func(d *view.ReferralShowProps) {
			d.Fit.Form, d.Fit.Fit, d.Fit.Note = formErrors(err), fit, note
			if msg, ok := d.Fit.Errors["fit_note"]; ok {
				d.Fit.Errors["note"] = msg
				delete(d.Fit.Errors, "fit_note")
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Fit feedback saved; the partner can see it.", "#fit")
}

// referralResolve decides an attribution conflict: the credited partner and
// a note (the other partner is told kindly). From the queue it goes back there.
func (s *Server) referralResolve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var credited, note, back string
	var ref referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, got referral.Referral) error {
		ref = got
		credited, note, back = r.PostForm.Get("credited_partner_id"), r.PostForm.Get("note"), r.PostForm.Get("back")
		if ref.ConflictStatus != "open" {
			return apperr.Invalid(map[string]string{"credited_partner_id": "This referral has no open conflict."})
		}
		pid, err := uuid.Parse(credited)
		if err != nil {
			return apperr.Invalid(map[string]string{"credited_partner_id": "Choose the partner to credit."})
		}
		return referral.ResolveConflict(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, pid, note, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		fe := formErrors(err)
		if back == "conflicts" {
			s.renderConflictsWith(w, r, id, credited, note, fe)
			return
		}
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			if d.Resolve == nil {
				d.Resolve = &view.ReferralConflictForm{Action: d.URL + "/conflict", Key: id.String()}
			}
			d.Resolve.Form, d.Resolve.Credited, d.Resolve.Note = fe, credited, note
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Conflict on "+ref.Ref()+" resolved.")
	sc := staffFrom(ctx)
	if back == "conflicts" {
		redirect(w, r, referralsPath(sc)+"/conflicts")
		return
	}
	redirect(w, r, referralPath(sc, id)+"#attribution")
}

// renderConflictsWith re-shows the queue with one resolve form's input and
// errors (422).
func (s *Server) renderConflictsWith(w http.ResponseWriter, r *http.Request, id uuid.UUID, credited, note string, fe view.Form) {
	ctx := r.Context()
	var d view.ReferralConflictsProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		rows, err := referral.Conflicts(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		for _, ref := range rows {
			item, err := conflictItem(ctx, tx, sc, set, ref, set.Location())
			if err != nil {
				return err
			}
			item.Resolve.Back = "conflicts"
			if ref.ID == id {
				item.Resolve.Form, item.Resolve.Credited, item.Resolve.Note = fe, credited, note
			}
			d.Items = append(d.Items, item)
		}
		d.RuleLabel = orText(attributionLabels[set.AttributionRule], set.AttributionRule)
		d.CanManage = sc.Role.Can(auth.ManagePartners)
		d.Nav, err = s.referralNav(ctx, tx, sc, "conflicts")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, view.ReferralConflictsPage(s.page(r, "Attribution conflicts", "referrals"), d))
}

// referralIntro sends an outbound referral's introduction email to the
// partner's contact (queued in the same transaction) and records it on the
// timeline.
func (s *Server) referralIntro(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var to string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		switch {
		case ref.Direction != "outbound" || !ref.Open():
			return apperr.Invalid(map[string]string{"intro": "Only an open outbound referral has an introduction to send."})
		case ref.PartnerDeclinedAt != nil:
			return apperr.Invalid(map[string]string{"intro": ref.PartnerName + " declined this referral: hand it to the next partner instead."})
		}
		intro, err := s.introFor(ctx, tx, sc, ref)
		if err != nil {
			return err
		}
		if intro.To == "" {
			return apperr.Invalid(map[string]string{"intro": "The partner has no contact with an email. Add one on the partner's page first."})
		}
		to = intro.To
		if _, err := s.Outbox.Send(ctx, tx, notify.Email{To: intro.To, Subject: intro.Subject, Text: intro.Body}); err != nil {
			return err
		}
		if err := referral.AddNote(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, actorID(r), "staff", introNotePrefix+intro.To+".", false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral.intro_sent", "referral", ref.ID.String(),
			map[string]any{"number": ref.Number, "to": intro.To})
	})
	if apperr.Code(err) == apperr.EInvalid {
		msg := apperr.Message(err)
		for _, m := range apperr.FieldErrors(err) {
			msg = m
		}
		s.flash(r, "error", msg)
		redirect(w, r, referralPath(staffFrom(ctx), id)+"#intro")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Introduction email sent to "+to+".", "#intro")
}

// referralReassign hands an outbound referral the partner declined or let
// lapse to another partner.
func (s *Server) referralReassign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var chosen string
	var next referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		chosen = r.PostForm.Get("partner_id")
		if !ref.NeedsHandOn(s.now()) {
			return apperr.Invalid(map[string]string{"partner_id": "Only an outbound referral the partner declined or didn't answer in time can be handed on."})
		}
		pid, err := uuid.Parse(chosen)
		if err != nil {
			return apperr.Invalid(map[string]string{"partner_id": "Choose the next partner."})
		}
		next, err = referral.Reassign(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, pid, actorID(r))
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			if d.Handoff == nil {
				d.Handoff = &view.ReferralHandoff{}
			}
			d.Handoff.Form = formErrors(err)
			d.Handoff.Chosen = chosen
			for i := range d.Handoff.Suggestions {
				d.Handoff.Suggestions[i].Selected = d.Handoff.Suggestions[i].PartnerID == chosen && !d.Handoff.Suggestions[i].Paused
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", next.Ref()+" is now with "+next.PartnerName+"; they have been told.")
	redirect(w, r, referralPath(staffFrom(ctx), next.ID))
}

// ---- new referral ----

var urgencyOptions = []view.Option{{Value: "low", Label: "Low"}, {Value: "normal", Label: "Normal"},
	{Value: "high", Label: "High"}, {Value: "urgent", Label: "Urgent"}}

var urgencyLabels = map[string]string{"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}

// referralNew is the new referral form: ?direction=inbound (default) logs
// one on a partner's behalf (?partner= preselects); ?direction=outbound
// refers a client to a partner (?service= lists the suggestions).
func (s *Server) referralNew(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	d := view.ReferralNewProps{Direction: v.Get("direction"), PartnerID: v.Get("partner"), ServiceID: v.Get("service"),
		Urgency: "normal", Token: uuid.NewString()}
	if u := userFrom(r.Context()); u != nil {
		d.Originator = u.ID.String() // who logs it received it; the owner defaults to the partner's owner
	}
	s.renderReferralNew(w, r, http.StatusOK, d)
}

// renderReferralNew fills the form's choices around what d holds.
func (s *Server) renderReferralNew(w http.ResponseWriter, r *http.Request, status int, d view.ReferralNewProps) {
	ctx := r.Context()
	if d.Direction != "outbound" {
		d.Direction = "inbound"
	}
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		d.Base = "/t/" + sc.Tenant.Slug
		partners, err := partner.List(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.Partners = partnerOptions(partners, true)
		services, err := partner.ListServices(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		known := false
		for _, sv := range services {
			d.Services = append(d.Services, view.Option{Value: sv.ID.String(), Label: sv.Name + " (" + partner.PhaseLabels[sv.Phase] + ")"})
			known = known || sv.ID.String() == d.ServiceID
		}
		if !known {
			d.ServiceID = ""
		}
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.Staff = staffOptions(staff)
		d.Urgencies = urgencyOptions
		if d.Direction == "outbound" {
			if d.ServiceID != "" {
				sugg, err := referral.Suggest(ctx, tx, sc.Tenant.ID, uuid.MustParse(d.ServiceID), nil)
				if err != nil {
					return err
				}
				d.Suggestions = suggestionRows(sugg, d.PartnerID)
			}
			return nil
		}
		qs, err := referral.Questions(ctx, tx, sc.Tenant.ID, true)
		if err != nil {
			return err
		}
		checked := map[string]bool{}
		for _, q := range d.Questions {
			checked[q.ID] = q.Checked
		}
		d.Questions = nil
		for _, q := range qs {
			d.Questions = append(d.Questions, view.ReferralQuestionRow{ID: q.ID.String(), Question: q.Question, Help: q.Help,
				Required: q.Required, Checked: checked[q.ID.String()]})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "Log a referral from a partner"
	if d.Direction == "outbound" {
		title = "Refer a client to a partner"
	}
	s.render(w, r, status, view.ReferralNewPage(s.page(r, title, "referrals"), d))
}

// referralCreate records a referral logged by staff: inbound on a
// partner's behalf (the partner is acknowledged as from the portal) or
// outbound to a chosen partner (who is told; a paused partner is refused
// with the reason). The form's one-time token makes a resubmission return
// the same referral.
func (s *Server) referralCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	f := r.PostForm
	d := view.ReferralNewProps{Direction: f.Get("direction"), Token: f.Get("token"), PartnerID: f.Get("partner_id"),
		ServiceID: f.Get("service_id"), ClientCompany: f.Get("client_company"), ClientDomain: f.Get("client_domain"),
		ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email"), ContactPhone: f.Get("contact_phone"),
		Challenge: f.Get("challenge"), Context: f.Get("context"), Promises: f.Get("promises_made"),
		Urgency: f.Get("urgency"), Value: f.Get("estimated_value"), Owner: f.Get("owner"), Originator: f.Get("originator")}
	if d.Direction != "outbound" {
		d.Direction = "inbound"
	}
	if d.Token == "" || len(d.Token) > 100 {
		d.Token = uuid.NewString()
	}
	var ref referral.Referral
	var created bool
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		errs := map[string]string{}
		in := referral.SubmitInput{Direction: d.Direction, ClientCompany: d.ClientCompany, ClientDomain: d.ClientDomain,
			ContactName: d.ContactName, ContactEmail: d.ContactEmail, ContactPhone: d.ContactPhone, Challenge: d.Challenge,
			Context: d.Context, PromisesMade: d.Promises, Urgency: d.Urgency, EstimatedValue: d.Value,
			IdempotencyKey: "staff:" + d.Token, Source: "staff", SubmittedBy: actorID(r), Answers: map[uuid.UUID]bool{}}
		// The partner and the service must be the firm's (404-proof: a
		// form value, not a path id, so a bad one is a field error).
		if pid, err := uuid.Parse(d.PartnerID); err == nil {
			if _, err := partner.Get(ctx, tx, sc.Tenant.ID, pid); err == nil {
				in.PartnerID = pid
			} else if apperr.Code(err) != apperr.ENotFound {
				return err
			}
		}
		if in.PartnerID == uuid.Nil {
			errs["partner_id"] = "Choose the partner."
			if d.Direction == "outbound" {
				errs["partner_id"] = "Choose one of the suggested partners."
			}
		}
		if d.ServiceID != "" {
			sid, err := uuid.Parse(d.ServiceID)
			if err == nil {
				if _, err = partner.GetService(ctx, tx, sc.Tenant.ID, sid); err == nil {
					in.ServiceID = &sid
				} else if apperr.Code(err) != apperr.ENotFound {
					return err
				}
			}
			if in.ServiceID == nil {
				errs["service_id"] = "Choose a service from your service map."
			}
		} else if d.Direction == "outbound" {
			errs["service_id"] = "Choose the service the client needs."
		}
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		in.OwnerUserID = optionalUser(staff, d.Owner, "owner", errs)
		in.OriginatorUserID = optionalUser(staff, d.Originator, "originator", errs)
		if d.Direction == "inbound" {
			qs, err := referral.Questions(ctx, tx, sc.Tenant.ID, true)
			if err != nil {
				return err
			}
			for _, q := range qs {
				yes := f.Get("q_"+q.ID.String()) == "yes"
				in.Answers[q.ID] = yes
				d.Questions = append(d.Questions, view.ReferralQuestionRow{ID: q.ID.String(), Checked: yes})
			}
		}
		if len(errs) > 0 {
			// Check the rest too, so every field's problem shows at once
			// (in this transaction, which the error then rolls back).
			if in.PartnerID == uuid.Nil {
				return apperr.Invalid(errs)
			}
			_, _, serr := referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in)
			for k, msg := range apperr.FieldErrors(serr) {
				if _, ok := errs[k]; !ok {
					errs[k] = msg
				}
			}
			return apperr.Invalid(errs)
		}
		ref, created, err = referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		d.Form = formErrors(err)
		for from, to := range map[string]string{"owner_user_id": "owner", "originator_user_id": "originator"} {
			if msg, ok := d.Errors[from]; ok {
				d.Errors[to] = msg
				delete(d.Errors, from)
			}
		}
		s.renderReferralNew(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	switch {
	case !created:
		s.flash(r, "info", ref.Ref()+" was already logged from this form.")
	case ref.ConflictStatus == "open":
		s.flash(r, "info", ref.Ref()+" is logged. It matches an open referral or an existing client: resolve the attribution below.")
	case ref.Direction == "outbound":
		s.flash(r, "success", ref.Ref()+" is sent to "+ref.PartnerName+". Send or copy the introduction below.")
	default:
		s.flash(r, "success", ref.Ref()+" is logged and "+ref.PartnerName+" is acknowledged.")
	}
	redirect(w, r, referralPath(sc, ref.ID))
}

// ---- a partner's tab ----

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
