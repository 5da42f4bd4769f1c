package seed

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/program"
	"github.com/allyway/allyway/internal/review"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/survey"
	"github.com/allyway/allyway/internal/tenant"
)

// What Northwind's scorecards and program dashboard read besides referrals
// and money, so the demo tells a quarterly-review story:
//
//   - Reviews of the active partners of Tier 1 (monthly check-ins, a
//     quarterly review every third, over the last year) and Tier 2
//     (quarterly, over the last six quarters since they joined): agenda
//     pre-filled as the app does, attendees from both sides, notes, a
//     summary for the partner, action items (all done but a few not yet
//     due and one overdue), one review cancelled with its reason and held
//     a week later, and the next review scheduled by the tier's cadence.
//     Northstar Talent misses reviews (nobody from their side at two).
//   - Client satisfaction (1–5) of about half the engagements of won
//     inbound referrals older than three weeks: answered through the
//     emailed link, a few recorded by staff, a few links unanswered or
//     expired; Ironbridge Systems' clients clearly less satisfied.
//   - The yearly partner survey (0–10) from the portal users of four
//     partners for last year and this one. Pat Partner (the demo portal
//     login) answered last year only, so the portal still asks this year.
//   - Finance's program inputs for the last eight completed quarters and
//     the current one, chosen against the demo's own figures as the
//     program dashboard counts them (internal/programdash): partner
//     revenue (client payments on referrals partners sent us, by payment
//     day) 27–35% of all new revenue, and ROI (partner revenue over
//     commissions earned plus these costs) between 4:1 and 7:1, the last
//     completed quarter under the 5:1 goal. Costs never go below a floor,
//     so where commissions alone are a large part of partner revenue the
//     ROI comes out under the aim (the quarter so far can fall under 4:1).
//     The first quarter, when the programme launched (the referral
//     history starts on 2 December 2024), had costs and no partner
//     revenue yet.
//
// Deterministic like referrals.go: a fixed random stream and the reference
// calendar (today is 2026-11-27, or earlier when seeded before it), with
// what is still to come (reviews scheduled, actions not yet due) moved by
// the days the present is past it. Written through the review, survey and
// program packages (their checks and audit entries); plain SQL only to
// date rows as when they happened and for survey links already emailed
// (the send job would queue emails).

// insCancelPartner has one review cancelled (and held a week later);
// insNoShowPartner misses reviews.
const (
	insCancelPartner = "Keystone Legal"
	insNoShowPartner = "Northstar Talent"
	insLowCSAT       = "Ironbridge Systems"
)

// insCSATMean is the average client score of each referring partner's
// engagements (others: insCSATDefault).
var insCSATMean = map[string]float64{
	"Brightline Tax":           4.5,
	"Keystone Legal":           4.3,
	"Meridian Change Partners": 4.6,
	"Ironbridge Systems":       2.7,
	"Atlas Capital Group":      4.0,
}

const insCSATDefault = 4.2

var insClientComments = map[int][]string{
	5: {"Excellent team: clear recommendations, and they stayed until the changes stuck.",
		"Exactly what we needed. The introduction from %s was spot on.",
		"Senior people throughout, and they listened to our managers.",
		"The best advisers we have worked with in years.", "", ""},
	4: {"Good work overall; the first weeks were slow to get going.",
		"Very helpful. We would have liked more time with the engagement partner.",
		"Solid and practical. The steering-committee packs could be shorter.",
		"Good value, and the team got on well with ours.", "", ""},
	3: {"Fine, but we expected more hands-on support after the diagnostic.",
		"Mixed: strong analysis, weaker follow-through.",
		"OK. Too many handovers between consultants.", ""},
	2: {"We were told implementation was part of it; %s and Northwind each thought the other was doing it.",
		"Felt like two firms not talking to each other.",
		"The scope we discussed at the introduction wasn't what was delivered."},
	1: {"Not what we were promised; we had to bring in someone else to finish."},
}

var insStaffComments = []string{
	"Heard from the CFO at the steering committee: very happy with the first phase.",
	"Client told us on the phone: good work, but wants more senior time on site.",
	"Feedback from the COO in the close-out meeting.",
	"The client's finance director, at the quarterly catch-up.",
}

// Portal users of the partners who answer the yearly survey (Pat Partner
// is seed.go's).
var insPortalUsers = []struct {
	partner, email, name string
	role                 auth.Role
}{
	{"Brightline Tax", "dana@brightline.example", "Dana Reyes", auth.RolePartnerAdmin},
	{"Brightline Tax", "lee@brightline.example", "Lee Okafor", auth.RolePartnerMember},
	{"Keystone Legal", "tom@keystonelegal.example", "Tom Becker", auth.RolePartnerAdmin},
	{"Meridian Change Partners", "ruth@meridianchange.example", "Ruth Adeyemi", auth.RolePartnerAdmin},
	{"Ironbridge Systems", "sofia@ironbridge.example", "Sofia Rossi", auth.RolePartnerAdmin},
}

// insPartnerAnswers are the yearly survey's answers: yearsAgo 1 is last
// year, 0 this year, answered on month/day.
var insPartnerAnswers = []struct {
	email             string
	yearsAgo          int
	month, day, score int
	comment           string
}{
	{"partner@brightline.example", 1, 11, 4, 8, "Referrals get picked up quickly and we always hear back. We'd like more introductions for our tax team in return."},
	{"dana@brightline.example", 1, 10, 21, 9, "A partnership that works: same values, same clients. The CFO breakfasts are worth repeating."},
	{"dana@brightline.example", 0, 10, 14, 9, "The breakfasts and the monthly check-ins keep us close. Keep the check-ins as short as they are now."},
	{"lee@brightline.example", 0, 11, 3, 7, "Good partnership. The portal shows where each referral stands; statements could arrive sooner after the quarter."},
	{"tom@keystonelegal.example", 1, 12, 2, 7, "Good firm to refer to. We don't always know who to call on your side for urgent matters."},
	{"tom@keystonelegal.example", 0, 11, 10, 8, "Better this year: one named contact and quick answers. More joint events, please."},
	{"ruth@meridianchange.example", 1, 9, 30, 9, "We deliver together almost every month now; planning is smooth."},
	{"ruth@meridianchange.example", 0, 10, 7, 10, "Best partnership we have. Early sight of the spring programmes would help us staff them."},
	{"sofia@ironbridge.example", 1, 11, 18, 6, "We send you most of our clients who need an operations review; few come back our way."},
	{"sofia@ironbridge.example", 0, 10, 28, 5, "Clients tell us the handover between our implementation and your work is confusing. We should fix that together."},
}

// Program inputs: the share of all new revenue partners brought and the
// ROI aimed for, per quarter, oldest first (the last eight completed
// quarters and the current one); the second is the quarter under 5:1.
var (
	insShareBP = []int64{3000, 3300, 3100, 2750, 3200, 3450, 2900, 3150, 2800}
	insROIx10  = []int64{50, 52, 58, 53, 64, 67, 56, 46, 54}
)

// Review content.
var insHighlights = []string{
	"%[1]s reported two more introductions in their pipeline for next quarter.",
	"The joint client roundtable brought three warm leads; one is already a referral.",
	"%[2]s praised how quickly we picked up their last referral.",
	"Their new partner joined the call and wants a session with our operations team.",
	"Both won engagements this quarter came from their healthcare clients.",
	"%[2]s says their clients ask for us by name now.",
}

var insTopics = []string{
	"Walked through the open referrals one by one; no blockers on either side.",
	"Agreed to refresh the one-pager their team uses to introduce us.",
	"Discussed a joint webinar on post-merger integration for CFOs.",
	"Went through the last commission statement; no queries.",
	"%[2]s asked for a named contact on our side for urgent introductions.",
	"Talked through the sectors we want more of: manufacturing and healthcare.",
	"Their team finds the budget question on the referral checklist awkward; we explained why we ask.",
	"Compared notes on two clients we both advise.",
}

var insConcerns = []string{
	"Two of our referrals waited over a week for a first call; %[2]s will look into it.",
	"One introduction was an IT project outside our scope; we went over what we do and don't do.",
	"They feel the flow is one-sided; we should send more their way next quarter.",
	"Their delivery team is stretched until the new hires start in the spring.",
}

// insPartnerLines are said at a partner's quarterly reviews.
var insPartnerLines = map[string]string{
	"Brightline Tax":           "Dana confirmed the CFO breakfast series continues next year.",
	"Keystone Legal":           "Priya wants a joint briefing for their restructuring clients.",
	"Meridian Change Partners": "Claire raised capacity for the spring programmes: Owen's team is booked until March.",
	"Ironbridge Systems":       "Client feedback on joint engagements is weaker than with other partners: clients expected implementation in our scope. Agreed a joint handover note for every engagement.",
	"Northstar Talent":         "The flow is one-sided: we send many more introductions than we receive.",
	"Vanguard ERP Consulting":  "Went through the conversion tiers of the agreement again; Stefan aims for the 50% band.",
	"Oakridge Interim":         "Graham has two interim CFOs available from January.",
}

var insFirmActions = []string{
	"Send %[1]s the refreshed one-pager and a case study",
	"Introduce %[2]s to our healthcare sector lead",
	"Share the list of open referrals with their status",
	"Propose dates for the joint CFO roundtable",
	"Check the commission statement query with finance",
	"Add %[1]s to the next hot opportunity profile",
	"Follow up on the referrals that waited for a first call",
	"Draft the outline of the joint webinar",
}

var insPartnerActions = []string{
	"Brief their team on our post-merger integration offer",
	"Send two client case studies for the joint pitch",
	"Confirm who joins the CFO roundtable",
	"Update their referral contacts after the team changes",
	"Share their pipeline of clients planning acquisitions",
	"Review the draft webinar outline",
}

var insLocations = []string{"Video call (Teams)", "Northwind office, 4th floor", "Their office", "Video call (Teams)"}

// insCal is the demo's calendar: the firm's zone and its "today".
type insCal struct {
	loc   *time.Location
	today time.Time // the reference calendar's today (a day at UTC midnight)
	shift int       // whole days the real today is past it
	now   time.Time
}

// at is the moment of day at hh:mm in the firm's zone.
func (c insCal) at(day time.Time, hh, mm int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, c.loc)
}

// weekday moves a day off the weekend (Saturday back, Sunday forward).
func weekday(day time.Time) time.Time {
	switch day.Weekday() {
	case time.Saturday:
		return day.AddDate(0, 0, -1)
	case time.Sunday:
		return day.AddDate(0, 0, 1)
	}
	return day
}

// dayOf is the calendar day of t in the firm's zone (UTC midnight).
func (c insCal) dayOf(t time.Time) time.Time { return period.Today(t, c.loc) }

// seedInsights adds Northwind's reviews, satisfaction and program inputs
// (see above). It runs last: it reads the referrals, engagements and
// ledger the other steps wrote.
func seedInsights(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners, staff map[string]uuid.UUID) error {
	loc, err := survey.Location(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	now := time.Now()
	c := insCal{loc: loc, now: now, today: period.Today(now, loc)}
	if ref := time.Date(seedRefDay[0], time.Month(seedRefDay[1]), seedRefDay[2], 0, 0, 0, 0, time.UTC); c.today.After(ref) {
		c.shift = int(c.today.Sub(ref).Hours() / 24)
		c.today = ref
	}
	// A stream per step, so changing one step leaves the others' draws alone.
	stream := func(n uint64) *rand.Rand { return rand.New(rand.NewPCG(20261127, n)) }
	if err := seedReviewHistory(ctx, tx, tenantID, staff, c, stream(7)); err != nil {
		return fmt.Errorf("seed reviews: %w", err)
	}
	if err := seedClientSatisfaction(ctx, tx, tenantID, staff, c, stream(8)); err != nil {
		return fmt.Errorf("seed client surveys: %w", err)
	}
	if err := seedPartnerSatisfaction(ctx, tx, tenantID, partners, staff, c); err != nil {
		return fmt.Errorf("seed partner surveys: %w", err)
	}
	if err := seedProgramInputs(ctx, tx, tenantID, staff, c, stream(9)); err != nil {
		return fmt.Errorf("seed program inputs: %w", err)
	}
	return nil
}

// insPartner is a partner reviewed in the demo.
type insPartner struct {
	id       uuid.UUID
	name     string
	rank     int
	cadence  int
	owner    uuid.UUID
	joined   time.Time // a day, on the reference calendar
	contacts []partner.Contact
}

// insSlot is one review of a partner's history.
type insSlot struct {
	day       time.Time // a day
	quarterly bool      // the quarterly review (else a monthly check-in)
	cancel    string    // cancelled with this reason
}

// insPending is an action item done later than its review.
type insPending struct {
	partnerID, reviewID, id uuid.UUID
	doneAt                  time.Time
}

// seedReviewHistory holds each reviewed partner's reviews in order, as the
// partner's owner would: scheduled with the agenda of the day, held with
// attendance, notes and a summary, action items added and marked done when
// they were, and finally the next review scheduled.
func seedReviewHistory(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, staff map[string]uuid.UUID, c insCal, rng *rand.Rand) error {
	admin, manager, finance := staff["admin@northwind.example"], staff["manager@northwind.example"], staff["finance@northwind.example"]
	// The agenda's scorecard section (when the server wired it in) reads
	// the rollups: bring them up to the history seeded so far.
	if err := rollup.Fresh(ctx, tx, tenantID); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT p.id, p.name, t.rank, t.checkin_cadence_days, coalesce(p.owner_user_id, $2), p.created_at
		FROM partners p JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id
		WHERE p.tenant_id = $1 AND p.status = 'active' AND t.rank <= 2
		ORDER BY t.rank, p.name`, tenantID, manager)
	if err != nil {
		return err
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (insPartner, error) {
		var p insPartner
		var created time.Time
		err := r.Scan(&p.id, &p.name, &p.rank, &p.cadence, &p.owner, &created)
		// The partner demo dates partners relative to now: on the
		// reference calendar, minus the days now is past it.
		p.joined = c.dayOf(created).AddDate(0, 0, -c.shift)
		return p, err
	})
	if err != nil {
		return err
	}
	var reviewIDs []uuid.UUID
	var reviewCreated, reviewUpdated []time.Time
	for i, p := range ps {
		if p.contacts, err = partner.ListContacts(ctx, tx, tenantID, p.id); err != nil {
			return err
		}
		ctx := audit.WithActor(ctx, audit.Actor{UserID: p.owner}) // audited as the partner's owner
		hh, mm := []int{10, 14, 11, 15, 9}[i%5], []int{0, 30}[i%2]
		slots := reviewSlots(p, i, c)
		if len(slots) == 0 {
			continue
		}
		var pending []insPending
		flush := func(before time.Time) error {
			keep := pending[:0]
			for _, a := range pending {
				if a.doneAt.Before(before) {
					if _, err := review.SetDone(ctx, tx, tenantID, a.partnerID, a.reviewID, a.id, true, a.doneAt); err != nil {
						return err
					}
					continue
				}
				keep = append(keep, a)
			}
			pending = keep
			return nil
		}
		// The firm's side: the partner's owner, the other of admin and
		// manager at quarterly reviews, finance at Tier 1's January and
		// July reviews (the commission statements).
		other := admin
		if p.owner == admin {
			other = manager
		}
		for si, s := range slots {
			start := c.at(s.day, hh, mm)
			if err := flush(start); err != nil {
				return err
			}
			firm := []uuid.UUID{p.owner}
			if s.quarterly {
				firm = append(firm, other)
				if p.rank == 1 && (s.day.Month() == time.January || s.day.Month() == time.July) && finance != uuid.Nil {
					firm = append(firm, finance)
				}
			}
			// Attendance at Northstar: the last review and the one two
			// before it nobody from their side; the one in between only
			// their account manager.
			fromEnd := len(slots) - 1 - si
			noShow := p.name == insNoShowPartner && (fromEnd == 0 || fromEnd == 2)
			partial := p.name == insNoShowPartner && fromEnd == 1
			contacts := reviewContacts(p, start.AddDate(0, 0, c.shift), s.quarterly)
			r, err := scheduleReview(ctx, tx, tenantID, p, s.day, start, s.quarterly, firm, contacts, c, si)
			if err != nil {
				return err
			}
			reviewIDs = append(reviewIDs, r.ID)
			reviewCreated = append(reviewCreated, start.AddDate(0, 0, -21))
			if s.cancel != "" {
				if _, err := review.Cancel(ctx, tx, tenantID, p.id, r.ID, s.cancel); err != nil {
					return err
				}
				reviewUpdated = append(reviewUpdated, start.AddDate(0, 0, -1))
				continue
			}
			// The next review: as it came, or for the last one the tier's
			// cadence on (moved with the present, as it is scheduled).
			next := weekday(s.day.AddDate(0, 0, review.Cadence(p.cadence))).AddDate(0, 0, c.shift)
			if si+1 < len(slots) {
				next = slots[si+1].day
			}
			var attended, partnerNames []string
			var accountManager string
			for _, a := range r.Attendees {
				came := true
				if a.Side == review.SidePartner {
					switch {
					case noShow:
						came = false
					case partial:
						came = contactLevel(p, a.Email) == "account_manager"
					case len(partnerNames) > 0 && rng.Float64() < 0.08:
						came = false // someone dropped out
					}
					if came {
						partnerNames = append(partnerNames, a.Name)
					}
					if contactLevel(p, a.Email) == "account_manager" || accountManager == "" {
						accountManager = a.Name
					}
				}
				if came {
					attended = append(attended, a.ID.String())
				}
			}
			acts := reviewActions(p, s, start, noShow, accountManager, si, fromEnd, c, rng)
			notes, summary, err := reviewNotes(ctx, tx, tenantID, p, s, r.Quarter, partnerNames, noShow, acts, c, rng)
			if err != nil {
				return err
			}
			h, errs := review.HoldForm{HeldOn: s.day.Format(time.DateOnly), NextReviewOn: next.Format(time.DateOnly),
				Notes: notes, SharedSummary: summary, Attended: attended}.Parse(s.day, p.cadence)
			if len(errs) > 0 {
				return apperr.Invalid(errs)
			}
			if _, err := review.Hold(ctx, tx, tenantID, p.id, r.ID, h, c.loc); err != nil {
				return err
			}
			reviewUpdated = append(reviewUpdated, start.Add(3*time.Hour))
			for k, a := range acts {
				owner := "partner:" + a.owner
				if a.firm {
					owner = "user:" + p.owner.String()
				}
				in, err := review.ResolveAction(ctx, tx, tenantID, review.ActionForm{Title: a.title, Owner: owner,
					DueOn: a.due.Format(time.DateOnly)})
				if err != nil {
					return err
				}
				got, err := review.AddAction(ctx, tx, tenantID, p.id, r.ID, in)
				if err != nil {
					return err
				}
				// Dated as agreed at the review, before the next agenda lists
				// it (open items of a day are in the order they were added).
				if _, err := tx.Exec(ctx, `UPDATE review_actions SET created_at = $3 WHERE tenant_id = $1 AND id = $2`,
					tenantID, got.ID, start.Add(time.Duration(70+k)*time.Minute)); err != nil {
					return err
				}
				if !a.doneAt.IsZero() {
					pending = append(pending, insPending{partnerID: p.id, reviewID: r.ID, id: got.ID, doneAt: a.doneAt})
				}
			}
		}
		if err := flush(c.now); err != nil {
			return err
		}
		// The next review, on the date set at the last one (the tier's
		// cadence), moved with the present.
		last := slots[len(slots)-1]
		nextDay := weekday(last.day.AddDate(0, 0, review.Cadence(p.cadence))).AddDate(0, 0, c.shift)
		start := c.at(nextDay, hh, mm)
		firm := []uuid.UUID{p.owner}
		quarterly := p.rank > 1 || nextDay.Month()%3 == 1
		if quarterly {
			firm = append(firm, other)
		}
		r, err := scheduleReview(ctx, tx, tenantID, p, c.dayOf(c.now), start, quarterly, firm,
			reviewContacts(p, c.now, quarterly), c, len(slots))
		if err != nil {
			return err
		}
		reviewIDs = append(reviewIDs, r.ID)
		reviewCreated = append(reviewCreated, c.at(last.day, 17, 0).AddDate(0, 0, 1))
		reviewUpdated = append(reviewUpdated, reviewCreated[len(reviewCreated)-1])
	}
	// Rows dated as when they happened (the app stamps now()).
	_, err = tx.Exec(ctx, `UPDATE partner_reviews r SET created_at = u.c, updated_at = u.u
		FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) u(id, c, u)
		WHERE r.tenant_id = $1 AND r.id = u.id`, tenantID, reviewIDs, reviewCreated, reviewUpdated)
	return err
}

// reviewSlots are a partner's past reviews, oldest first: Tier 1 monthly
// over the last twelve months (a quarterly review in the first month of
// each quarter), others quarterly over the last six quarters; none in the
// first six weeks after the partner joined. insCancelPartner's review
// three months back is cancelled and held a week later.
func reviewSlots(p insPartner, i int, c insCal) []insSlot {
	dom := 8 + (i*3)%11
	var out []insSlot
	add := func(y int, m time.Month, quarterly bool) {
		day := weekday(time.Date(y, m, dom, 0, 0, 0, 0, time.UTC))
		if day.Before(c.today) && !day.Before(p.joined.AddDate(0, 0, 45)) {
			out = append(out, insSlot{day: day, quarterly: quarterly})
		}
	}
	month := time.Date(c.today.Year(), c.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	if p.rank == 1 {
		for k := 11; k >= 0; k-- {
			m := month.AddDate(0, -k, 0)
			add(m.Year(), m.Month(), m.Month()%3 == 1)
		}
	} else {
		q := period.QuarterOf(c.today)
		for _, qq := range q.Last(6) {
			add(qq.Start().Year(), qq.Start().Month(), true)
		}
	}
	if p.name == insCancelPartner && len(out) >= 4 {
		k := len(out) - 4
		s := out[k]
		s.cancel = "Priya is in court all week; moved to the same time next week."
		moved := insSlot{day: weekday(s.day.AddDate(0, 0, 7)), quarterly: s.quarterly}
		out = slices.Insert(out, k+1, moved)
		out[k] = s
	}
	return out
}

// contactLevel is the level of the partner's contact with that email.
func contactLevel(p insPartner, email string) string {
	for _, ct := range p.contacts {
		if strings.EqualFold(ct.Email, email) {
			return ct.Level
		}
	}
	return ""
}

// reviewContacts are the partner's people invited to a review at t (a
// moment on the real calendar): at a quarterly review everyone still there
// (at most three), at a check-in the account manager (or the first one).
func reviewContacts(p insPartner, t time.Time, quarterly bool) []uuid.UUID {
	var there []partner.Contact
	for _, ct := range p.contacts {
		if ct.CreatedAt.Before(t) && (ct.DepartedAt == nil || ct.DepartedAt.After(t)) {
			there = append(there, ct)
		}
	}
	if len(there) == 0 {
		return nil
	}
	if !quarterly {
		for _, ct := range there {
			if ct.Level == "account_manager" {
				return []uuid.UUID{ct.ID}
			}
		}
		return []uuid.UUID{there[0].ID}
	}
	var ids []uuid.UUID
	for _, ct := range there[:min(3, len(there))] {
		ids = append(ids, ct.ID)
	}
	return ids
}

// scheduleReview creates a review as the partner's owner would: the agenda
// pre-filled on the day (today) from the app's sections.
func scheduleReview(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, p insPartner, today, start time.Time, quarterly bool,
	firm, contacts []uuid.UUID, c insCal, n int) (review.Review, error) {
	quarter := review.ReviewedQuarter(c.dayOf(start))
	agenda, err := review.BuildAgenda(ctx, tx, review.AgendaRequest{TenantID: tenantID, PartnerID: p.id, PartnerName: p.name,
		Quarter: quarter, Loc: c.loc, Today: today})
	if err != nil {
		return review.Review{}, err
	}
	attendees, err := review.ResolveAttendees(ctx, tx, tenantID, p.id, firm, contacts, nil)
	if err != nil {
		return review.Review{}, err
	}
	minutes := 30
	if quarterly {
		minutes = 90
		if p.rank > 1 {
			minutes = 60
		}
	}
	return review.Create(ctx, tx, tenantID, p.id, review.Schedule{Quarter: quarter, StartsAt: start, DurationMinutes: minutes,
		Location: insLocations[n%len(insLocations)], Agenda: agenda, Attendees: attendees}, p.owner)
}

// insAction is an action item agreed at a review.
type insAction struct {
	title  string
	firm   bool   // owned by the partner's owner at the firm
	owner  string // the partner's person, when not firm
	due    time.Time
	doneAt time.Time // zero: still open
}

// reviewActions are the items agreed at a review: two or three at a
// quarterly review, one or two at a check-in, only ours when the partner
// didn't come. Items due before today are done (most by their due day),
// later ones open — except at insNoShowPartner's review before its last,
// whose first item of theirs is open and overdue.
func reviewActions(p insPartner, s insSlot, start time.Time, noShow bool, theirs string, si, fromEnd int, c insCal, rng *rand.Rand) []insAction {
	n := 1 + rng.IntN(2)
	if s.quarterly {
		n = 2 + rng.IntN(2)
	}
	contact := theirs
	if contact == "" {
		contact = p.name
	}
	first := strings.Fields(contact)[0]
	var out []insAction
	for k := range n {
		a := insAction{firm: noShow || (k+si)%2 == 0, due: s.day.AddDate(0, 0, 14+7*rng.IntN(5))}
		if a.firm {
			a.title = fill(insFirmActions[(si*3+k)%len(insFirmActions)], p.name, first)
		} else {
			a.title, a.owner = insPartnerActions[(si*2+k)%len(insPartnerActions)], contact
		}
		if noShow && k == 0 {
			a.title = "Email " + first + " to agree a review rhythm that works for " + p.name
		}
		out = append(out, a)
	}
	overdue := p.name == insNoShowPartner && fromEnd == 1
	if overdue {
		out = append(out[:0], insAction{title: "Send the two client introductions promised last quarter", owner: contact,
			due: s.day.AddDate(0, 0, 56)})
		if !out[0].due.Before(c.today) {
			out[0].due = c.today.AddDate(0, 0, -20)
		}
		out = append(out, insAction{title: fill(insFirmActions[2], p.name, first), firm: true, due: s.day.AddDate(0, 0, 14)})
	}
	for k := range out {
		a := &out[k]
		switch {
		case overdue && k == 0:
			// open and overdue
		case !a.due.Before(c.today):
			a.due = a.due.AddDate(0, 0, c.shift) // not due yet
		default:
			done := a.due.AddDate(0, 0, -rng.IntN(7))
			if rng.Float64() < 0.2 {
				done = a.due.AddDate(0, 0, 1+rng.IntN(4)) // a few days late
			}
			if !done.After(s.day) {
				done = s.day.AddDate(0, 0, 1)
			}
			if !done.Before(c.today) {
				done = c.today.AddDate(0, 0, -1)
			}
			a.doneAt = c.at(weekday(done), 9+rng.IntN(9), rng.IntN(60))
			if !a.doneAt.After(start) {
				a.doneAt = start.Add(2 * time.Hour)
			}
		}
	}
	return out
}

// reviewNotes writes the firm's notes and the summary the partner sees.
func reviewNotes(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, p insPartner, s insSlot, q period.Quarter, came []string,
	noShow bool, acts []insAction, c insCal, rng *rand.Rand) (notes, summary string, err error) {
	contact := p.name
	if len(came) > 0 {
		contact = strings.Fields(came[0])[0]
	}
	line := func(pool []string) string {
		return fill(pool[rng.IntN(len(pool))], p.name, contact)
	}
	var b strings.Builder
	if s.quarterly {
		recv, sent, wonRecv, wonSent, err := quarterFlow(ctx, tx, tenantID, p.id, q, c.loc)
		if err != nil {
			return "", "", err
		}
		fmt.Fprintf(&b, "**%s:** %s sent us %s (%d won); we sent them %s (%d won).\n\n", q.Label(), p.name,
			referralsWord(recv), wonRecv, referralsWord(sent), wonSent)
	} else {
		b.WriteString("Monthly check-in.\n\n")
	}
	switch {
	case noShow:
		b.WriteString("- Nobody from " + p.name + " joined, and nobody sent apologies beforehand.\n")
		b.WriteString("- We used the time to go through the referrals we've sent them and what came back.\n")
	case s.quarterly:
		b.WriteString("- " + line(insHighlights) + "\n")
		b.WriteString("- " + line(insTopics) + "\n")
		if extra, ok := insPartnerLines[p.name]; ok && rng.Float64() < 0.6 {
			b.WriteString("- " + extra + "\n")
		} else if rng.Float64() < 0.6 {
			b.WriteString("- " + line(insConcerns) + "\n")
		}
	default:
		b.WriteString("- " + line(insTopics) + "\n")
		if rng.Float64() < 0.5 {
			b.WriteString("- " + line(insHighlights) + "\n")
		}
	}
	if len(came) > 0 {
		b.WriteString("\nFrom " + p.name + ": " + strings.Join(came, ", ") + ".")
	}
	notes = strings.TrimSpace(b.String())

	var sb strings.Builder
	if noShow {
		sb.WriteString("We missed you at today's review. We'd like to find a time that suits you better and will be in touch.\n\n")
	} else if s.quarterly {
		sb.WriteString("Thank you for the review of " + q.Label() + ". What we agreed:\n\n")
	} else {
		sb.WriteString("Thanks for the check-in. Next steps:\n\n")
	}
	for _, a := range acts {
		who := a.owner
		if a.firm {
			who = "Northwind"
		}
		sb.WriteString("- " + a.title + " (" + who + ", by " + review.DayLabel(a.due) + ")\n")
	}
	return notes, strings.TrimSpace(sb.String()), nil
}

// fill puts the partner's name (%[1]s) and a person's (%[2]s) into a
// line that names them.
func fill(line, partnerName, person string) string {
	if !strings.Contains(line, "%[") {
		return line
	}
	return fmt.Sprintf(line, partnerName, person)
}

func referralsWord(n int) string {
	if n == 1 {
		return "1 referral"
	}
	return strconv.Itoa(n) + " referrals"
}

// quarterFlow counts the partner's referrals of a quarter (the firm's
// zone): received and sent in it, and won in it each way.
func quarterFlow(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID, q period.Quarter, loc *time.Location) (recv, sent, wonRecv, wonSent int, err error) {
	from := time.Date(q.Start().Year(), q.Start().Month(), 1, 0, 0, 0, 0, loc)
	to := time.Date(q.Next().Start().Year(), q.Next().Start().Month(), 1, 0, 0, 0, 0, loc)
	err = tx.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE direction = 'inbound' AND submitted_at >= $3 AND submitted_at < $4),
			count(*) FILTER (WHERE direction = 'outbound' AND submitted_at >= $3 AND submitted_at < $4),
			count(*) FILTER (WHERE direction = 'inbound' AND status = 'won' AND closed_at >= $3 AND closed_at < $4),
			count(*) FILTER (WHERE direction = 'outbound' AND status = 'won' AND closed_at >= $3 AND closed_at < $4)
		FROM referrals WHERE tenant_id = $1 AND partner_id = $2`, tenantID, partnerID, from, to).Scan(&recv, &sent, &wonRecv, &wonSent)
	return
}

// insEngagement is a won inbound referral's first engagement.
type insEngagement struct {
	id, referralID, partnerID uuid.UUID
	partnerName               string
	startedOn                 time.Time
	number                    int64
	email                     string
	owner                     uuid.UUID
}

// What became of a client survey.
const (
	surveyNone = iota
	surveyUnanswered
	surveyByLink
	surveyByStaff
)

// seedClientSatisfaction asks the clients of won inbound referrals (see
// the top of the file). Links already emailed are written as the send job
// writes them (without queuing the email); answers go through the link's
// own path (survey.AnswerLink) or staff's (survey.Record).
func seedClientSatisfaction(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, staff map[string]uuid.UUID, c insCal, rng *rand.Rand) error {
	rows, err := tx.Query(ctx, `SELECT * FROM (
			SELECT DISTINCT ON (e.referral_id) e.id, e.referral_id, e.partner_id, p.name, e.started_on, r.number,
				lower(coalesce(pr.contact_email, '')), coalesce(p.owner_user_id, $2)
			FROM engagements e
			JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
			JOIN partners p ON p.tenant_id = e.tenant_id AND p.id = e.partner_id
			LEFT JOIN referral_prospects pr ON pr.tenant_id = r.tenant_id AND pr.id = r.prospect_id
			WHERE e.tenant_id = $1 AND r.direction = 'inbound' AND r.status = 'won'
			ORDER BY e.referral_id, e.started_on, e.created_at, e.id) x
		ORDER BY started_on, number`, tenantID, staff["manager@northwind.example"])
	if err != nil {
		return err
	}
	engs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (insEngagement, error) {
		var e insEngagement
		return e, r.Scan(&e.id, &e.referralID, &e.partnerID, &e.partnerName, &e.startedOn, &e.number, &e.email, &e.owner)
	})
	if err != nil {
		return err
	}
	tokens := rand.NewChaCha8([32]byte{'c', 's', 'a', 't'})
	midnight := c.at(c.today, 0, 0)
	// Which clients answered: half of the engagements older than three
	// weeks (Ironbridge's clients, the unhappy ones, more often), one in
	// ten of those by staff; a tenth more asked and never answered.
	var older []int
	for i, e := range engs {
		if c.today.Sub(e.startedOn) >= 21*24*time.Hour {
			older = append(older, i)
		}
	}
	rank := make([]float64, len(engs))
	for _, i := range older {
		rank[i] = rng.Float64()
		if engs[i].partnerName == insLowCSAT {
			rank[i] -= 0.3
		}
	}
	slices.SortStableFunc(older, func(a, b int) int { return cmp.Compare(rank[a], rank[b]) })
	planned := make([]int, len(engs))
	for k, i := range older {
		switch {
		case k < len(older)/2 && k%10 == 3:
			planned[i] = surveyByStaff
		case k < len(older)/2:
			planned[i] = surveyByLink
		case k < len(older)*6/10:
			planned[i] = surveyUnanswered
		}
	}
	for i, e := range engs {
		age := int(c.today.Sub(e.startedOn).Hours() / 24)
		if age < survey.KickoffDays {
			continue // the daily job asks them when the week is up
		}
		// Every draw up front, whatever the outcome.
		score := clientScore(e.partnerName, rng)
		comment := insClientComments[score][rng.IntN(len(insClientComments[score]))]
		if strings.Contains(comment, "%s") {
			comment = fmt.Sprintf(comment, e.partnerName)
		}
		sentAt := time.Date(e.startedOn.Year(), e.startedOn.Month(), e.startedOn.Day()+survey.KickoffDays,
			survey.ClientSurveyHourUTC, 0, 0, 0, time.UTC)
		answerAt := c.at(c.dayOf(sentAt).AddDate(0, 0, 1+rng.IntN(10)), 8+rng.IntN(11), rng.IntN(60))
		staffAt := c.at(weekday(e.startedOn.AddDate(0, 0, 35+rng.IntN(25))), 11, 30)
		staffNote := insStaffComments[rng.IntN(len(insStaffComments))]

		outcome := planned[i]
		if age < 21 {
			outcome = surveyUnanswered // asked, waiting for the answer
		}
		if outcome == surveyByLink && e.email == "" {
			outcome = surveyByStaff
		}
		if outcome == surveyByLink && !answerAt.Before(midnight) {
			outcome = surveyUnanswered
		}
		if outcome == surveyByStaff && !staffAt.Before(midnight) {
			outcome = surveyNone
		}
		// Within the job's window (today's, not the reference day's) the
		// client has been asked, or the job would ask them on its first run.
		if outcome == surveyNone && age+c.shift <= survey.WindowDays {
			outcome = surveyUnanswered
		}
		if !sentAt.Before(midnight) {
			outcome = surveyNone // the job sends it this afternoon
		}
		switch {
		case outcome == surveyByStaff:
			note := staffNote
			if comment != "" {
				note += " " + comment
			}
			if _, err := survey.Record(audit.WithActor(ctx, audit.Actor{UserID: e.owner}), tx, tenantID, e.partnerID,
				survey.RecordInput{EngagementID: e.id.String(), Answer: survey.Answer{Score: strconv.Itoa(score), Comment: note}},
				e.owner, staffAt); err != nil {
				return fmt.Errorf("referral R-%d: %w", e.number, err)
			}
			continue
		case outcome == surveyNone || e.email == "":
			continue
		}
		token := make([]byte, 32)
		_, _ = tokens.Read(token)
		secret := hex.EncodeToString(token)
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, email, token_hash,
				sent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			tenantID, e.id, e.referralID, e.partnerID, e.email, auth.HashToken(secret), sentAt).Scan(&id); err != nil {
			return fmt.Errorf("referral R-%d: %w", e.number, err)
		}
		if err := audit.Record(ctx, tx, tenantID, "client_survey.sent", "client_survey", id.String(), map[string]any{
			"partner_id": e.partnerID.String(), "engagement_id": e.id.String(), "referral_id": e.referralID.String()}); err != nil {
			return err
		}
		if outcome == surveyByLink {
			if _, err := survey.AnswerLink(ctx, tx, tenantID, secret, survey.Answer{Score: strconv.Itoa(score), Comment: comment},
				answerAt); err != nil {
				return fmt.Errorf("referral R-%d: %w", e.number, err)
			}
		}
	}
	return nil
}

// clientScore is a 1–5 score around the partner's mean.
func clientScore(partnerName string, rng *rand.Rand) int {
	mean, ok := insCSATMean[partnerName]
	if !ok {
		mean = insCSATDefault
	}
	return int(math.Max(1, math.Min(5, math.Round(mean+rng.NormFloat64()*0.7))))
}

// seedPartnerSatisfaction gives four partners portal users (with the demo
// password) and records their yearly answers as the portal does.
func seedPartnerSatisfaction(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners, staff map[string]uuid.UUID, c insCal) error {
	users := map[string]uuid.UUID{}
	userPartner := map[string]uuid.UUID{}
	var hash string // Pat Partner's: the demo password
	if id, ok := staff["partner@brightline.example"]; ok {
		u, err := identity.UserByID(ctx, tx, id)
		if err != nil {
			return err
		}
		hash = u.PasswordHash
		users[u.Email], userPartner[u.Email] = id, partnerID(ctx, tx, tenantID, "Brightline Tax", partners)
	}
	for _, pu := range insPortalUsers {
		pid := partnerID(ctx, tx, tenantID, pu.partner, partners)
		if pid == uuid.Nil {
			continue
		}
		u, err := identity.UserByEmail(ctx, tx, pu.email)
		if apperr.Code(err) == apperr.ENotFound {
			u, err = identity.CreateUser(ctx, tx, pu.email, pu.name, hash)
		}
		if err != nil {
			return err
		}
		if err := tenant.AddPortal(ctx, tx, tenantID, u.ID, pid, pu.role); err != nil {
			return err
		}
		users[pu.email], userPartner[pu.email] = u.ID, pid
	}
	for _, a := range insPartnerAnswers {
		uid, pid := users[a.email], userPartner[a.email]
		if uid == uuid.Nil || pid == uuid.Nil {
			continue
		}
		at := c.at(time.Date(c.today.Year()-a.yearsAgo, time.Month(a.month), a.day, 0, 0, 0, 0, time.UTC), 9+a.day%8, 10+a.day)
		if !at.Before(c.at(c.today, 0, 0)) {
			continue
		}
		ctxAs := audit.WithActor(ctx, audit.Actor{UserID: uid})
		if _, err := survey.SubmitPartner(ctxAs, tx, tenantID, pid, uid, survey.Answer{Score: strconv.Itoa(a.score), Comment: a.comment}, at); err != nil {
			return fmt.Errorf("%s %d: %w", a.email, c.today.Year()-a.yearsAgo, err)
		}
	}
	return nil
}

// partnerID is the firm's partner of that name (seed.go's or the network's).
func partnerID(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, name string, partners map[string]uuid.UUID) uuid.UUID {
	if id, ok := partners[name]; ok {
		return id
	}
	var id uuid.UUID
	_ = tx.QueryRow(ctx, `SELECT id FROM partners WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&id)
	return id
}

// programQuarter is what the demo's program dashboard adds up for a
// quarter: partner-sourced revenue (client payments, less refunds, on
// referrals partners sent us, by payment day), the commissions we owe
// partners for it (accruals, clawbacks and adjustments, dated as
// statements date them), and finance's inputs.
type programQuarter struct {
	Quarter             period.Quarter
	PartnerRevenueCents int64
	CommissionCents     int64
}

// programFigures reads programQuarter for the quarters (oldest first) in
// the firm's zone.
func programFigures(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, quarters []period.Quarter, loc *time.Location) ([]programQuarter, error) {
	out := make([]programQuarter, len(quarters))
	idx := map[string]int{}
	for i, q := range quarters {
		out[i].Quarter = q
		idx[q.String()] = i
	}
	if len(quarters) == 0 {
		return out, nil
	}
	from, to := quarters[0].Start(), quarters[len(quarters)-1].End()
	rows, err := tx.Query(ctx, `SELECT to_char(d, 'YYYY-"Q"Q'), sum(rev)::bigint, sum(com)::bigint FROM (
			SELECT ev.paid_on AS d, ev.amount_cents AS rev, 0 AS com
			FROM revenue_events ev JOIN referrals r ON r.tenant_id = ev.tenant_id AND r.id = ev.referral_id
			WHERE ev.tenant_id = $1 AND r.direction = 'inbound' AND ev.paid_on BETWEEN $2 AND $3
			UNION ALL
			SELECT CASE WHEN je.kind IN ('accrual', 'reversal') AND je.top_up_bp = 0 AND ev.paid_on IS NOT NULL THEN ev.paid_on
					ELSE (je.created_at AT TIME ZONE $4)::date END, 0, je.amount_cents
			FROM journal_entries je
			LEFT JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
			WHERE je.tenant_id = $1 AND je.direction = 'we_pay' AND je.kind IN ('accrual', 'reversal', 'adjustment')) x
		WHERE d BETWEEN $2 AND $3 GROUP BY 1`, tenantID, from, to, loc.String())
	if err != nil {
		return nil, err
	}
	var q string
	var rev, com int64
	_, err = pgx.ForEachRow(rows, []any{&q, &rev, &com}, func() error {
		if i, ok := idx[q]; ok {
			out[i].PartnerRevenueCents, out[i].CommissionCents = rev, com
		}
		return nil
	})
	return out, err
}

// seedProgramInputs has finance enter the program inputs of the last eight
// completed quarters and the current one (see the top of the file).
func seedProgramInputs(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, staff map[string]uuid.UUID, c insCal, rng *rand.Rand) error {
	quarters := period.QuarterOf(c.today).Last(len(insShareBP))
	figs, err := programFigures(ctx, tx, tenantID, quarters, c.loc)
	if err != nil {
		return err
	}
	finance := staff["finance@northwind.example"]
	ctxAs := audit.WithActor(ctx, audit.Actor{UserID: finance})
	ins := make([]program.QuarterInputs, len(figs))
	var firstTotal int64
	for i, f := range figs {
		if f.PartnerRevenueCents <= 0 {
			continue // the launch: after the loop
		}
		in := program.QuarterInputs{Quarter: f.Quarter}
		in.TotalNewRevenueCents = roundTo(f.PartnerRevenueCents*10_000/insShareBP[i], 100_000)
		if firstTotal == 0 {
			firstTotal = in.TotalNewRevenueCents
		}
		// The costs that give the ROI aimed for, but never less than the
		// PRM subscription and a little of the partner manager's time
		// (when commissions alone leave less, the ROI comes out lower).
		rest := max(f.PartnerRevenueCents*10/insROIx10[i]-f.CommissionCents, f.PartnerRevenueCents/40, 100_000)
		in.SystemsCostCents = min(roundTo(rest*(10+int64(rng.IntN(4)))/100, 10_000), 150_000)
		in.ManagementCostCents = roundTo((rest-in.SystemsCostCents)*int64(58+rng.IntN(8))/100, 10_000)
		in.MarketingCostCents = roundTo((rest-in.SystemsCostCents-in.ManagementCostCents)*int64(60+rng.IntN(20))/100, 10_000)
		in.OtherCostCents = max(0, rest-in.SystemsCostCents-in.ManagementCostCents-in.MarketingCostCents)
		ins[i] = in
	}
	for i, f := range figs {
		if f.PartnerRevenueCents > 0 || firstTotal == 0 {
			continue
		}
		// Before partner revenue: the launch's costs, a quarter's new
		// revenue like the first one with partners.
		ins[i] = program.QuarterInputs{Quarter: f.Quarter, TotalNewRevenueCents: roundTo(firstTotal*9/10, 100_000),
			ManagementCostCents: 450_000, MarketingCostCents: 250_000, SystemsCostCents: 120_000}
	}
	var saved []string
	var savedAt []time.Time
	for _, in := range ins {
		if in.Quarter.Year == 0 {
			continue
		}
		if _, err := program.Save(ctxAs, tx, tenantID, in, c.today); err != nil {
			return fmt.Errorf("%s: %w", in.Quarter, err)
		}
		// Entered twelve days after the quarter ended (the current one
		// yesterday).
		at := c.at(in.Quarter.End().AddDate(0, 0, 12), 16, 0)
		if !at.Before(c.at(c.today, 0, 0)) {
			at = c.at(c.today.AddDate(0, 0, -1), 16, 0)
		}
		saved, savedAt = append(saved, in.Quarter.String()), append(savedAt, at.AddDate(0, 0, c.shift))
	}
	_, err = tx.Exec(ctx, `UPDATE program_inputs i SET updated_at = u.at
		FROM unnest($2::text[], $3::timestamptz[]) u(quarter, at) WHERE i.tenant_id = $1 AND i.quarter = u.quarter`,
		tenantID, saved, savedAt)
	return err
}

// roundTo rounds cents to the nearest step (half up).
func roundTo(cents, step int64) int64 { return (cents + step/2) / step * step }
