package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// The referral list, its CSV export, the board, the at-risk view and the conflict queue.

// referralList is every referral with filters, sorting and pagination.
func (s *Server) referralList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	var (
		q         referralQuery
		rows      []referral.Referral
		total     int
		totalMore bool // total is a lower bound: more match
		more      bool // another page follows
		counts    map[string]int
		partners  []partner.Partner
		staff     []tenant.Member
		nav       view.ReferralNav
		loc       *time.Location
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		loc = set.Location()
		q = parseReferralQuery(r.URL.Query(), loc)
		// The statuses' counts (each up to referralCountUpTo) give the
		// total; the page reads only its rows.
		if counts, err = referral.CountByStatusUpTo(ctx, tx, sc.Tenant.ID, q.F, referralCountUpTo); err != nil {
			return err
		}
		total, totalMore = listTotal(counts, q.F.Statuses)
		list := func() error {
			f := q.F
			f.Limit, f.Offset = referralPerPage, (q.Page-1)*referralPerPage
			rows, more, err = referral.ListPage(ctx, tx, sc.Tenant.ID, f, now)
			return err
		}
		if err := list(); err != nil {
			return err
		}
		if len(rows) == 0 && total > 0 && q.Page > 1 { // past the last page: show the last
			q.Page = pages(total, referralPerPage)
			if err := list(); err != nil {
				return err
			}
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
		Owners: staffOptions(staff), ClearURL: list, Filtered: q.filtered(), Total: total, TotalMore: totalMore, DateError: q.DateErr}
	if q.F.PartnerID != nil {
		d.Partner = q.F.PartnerID.String()
	}
	if q.F.OwnerID != nil {
		d.Owner = q.F.OwnerID.String()
	}
	for _, st := range referral.Statuses {
		n := strconv.Itoa(counts[st])
		if counts[st] > referralCountUpTo {
			n = strconv.Itoa(referralCountUpTo) + "+"
		}
		d.Statuses = append(d.Statuses, view.Option{Value: st, Label: referral.StatusLabel(st) + " (" + n + ")"})
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
	d.Pagination = view.PaginationProps{From: from, To: from + len(rows) - 1, Total: total, More: totalMore, Label: "Referral pages"}
	if q.Page > 1 {
		prev := q
		prev.Page--
		d.Pagination.PrevURL = withQuery(list, prev.values())
	}
	if more {
		next := q
		next.Page++
		d.Pagination.NextURL = withQuery(list, next.values())
	}
	all := q
	all.Page = 1
	d.CSVURL = withQuery(list+"/export.csv", all.values())
	s.render(w, r, http.StatusOK, view.ReferralListPage(s.page(r, "Referrals", "referrals"), d))
}

// referralCountUpTo is how far the list counts each status: past it the
// list says "500+" and "more than …" rather than count a long history
// (the counts are read on every view of the list).
const referralCountUpTo = 500

// listTotal is how many referrals of the statuses (all when none) the
// counts add up to, and whether that is only a lower bound (a status
// counted past referralCountUpTo).
func listTotal(counts map[string]int, statuses []string) (int, bool) {
	if len(statuses) == 0 {
		statuses = referral.Statuses
	}
	total, more := 0, false
	for _, st := range statuses {
		n := counts[st]
		if n > referralCountUpTo {
			n, more = referralCountUpTo, true
		}
		total += n
	}
	return total, more
}

// referralExportHeader are the columns of the list's CSV export. The
// columns the referral import reads (/imports/referrals) carry its header
// names, so an export imports again: client company, client domain,
// partner, direction, status (the import's codes, e.g. "submitted"),
// estimated value, submitted, urgency, contact name, contact email,
// contact phone, challenge. The contact's details are blank once erased.
var referralExportHeader = []string{"number", "client company", "client domain", "partner", "direction", "status", "estimated value",
	"currency", "owner", "originator", "service", "urgency", "submitted", "next clock", "next due", "conflict",
	"credited partner", "close reason", "closed", "contact name", "contact email", "contact phone", "challenge"}

// referralExportMax caps an export (the list pages through it 500 at a time).
const referralExportMax = 100_000

// referralExport downloads every referral matching the list's filters, in
// its sort order (all pages), as CSV with formulas neutralised, streamed
// 500 at a time.
func (s *Server) referralExport(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.exportCSV(w, r, "referrals", referralExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		f := parseReferralQuery(r.URL.Query(), set.Location()).F
		f.Limit = 500
		for f.Offset < referralExportMax {
			rows, total, err := referral.List(ctx, tx, sc.Tenant.ID, f, now)
			if err != nil {
				return err
			}
			for _, ref := range rows {
				if err := write(referralExportRow(ref, now)...); err != nil {
					return err
				}
			}
			f.Offset += len(rows)
			if len(rows) < f.Limit || f.Offset >= total {
				return nil
			}
		}
		return nil
	})
}

// referralExportRow is a referral's cells, in referralExportHeader's order.
func referralExportRow(ref referral.Referral, now time.Time) []string {
	value := ""
	if ref.EstimatedValueCents != nil {
		value = commission.FormatDollars(*ref.EstimatedValueCents)
	}
	clock, due := "", ""
	if c, ok := nextClock(ref, now); ok {
		clock, due = referral.ClockLabel(c.Name), c.DueAt.UTC().Format(time.RFC3339)
	}
	reason := ""
	if ref.CloseReason != "" {
		reason = referral.ReasonLabel(ref.CloseReason)
	}
	contact := ref.Contact
	if contact.Erased {
		contact = referral.Contact{}
	}
	return []string{ref.Ref(), ref.ClientCompany, ref.ClientDomain, ref.PartnerName, ref.Direction,
		ref.Status, value, ref.Currency, ref.OwnerName, ref.OriginatorName, ref.ServiceName,
		ref.Urgency, ref.SubmittedAt.UTC().Format(time.RFC3339), clock, due, ref.ConflictStatus,
		ref.CreditedPartnerName, reason, exportTime(ref.ClosedAt), contact.Name, contact.Email, contact.Phone, ref.Challenge}
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
