package referral

import (
	"time"
)

// SLA clocks. Hours are business hours when the firm's clock is "business"
// (Settings.SLAClock): only the hours of Monday to Friday in the firm's time
// zone count, all 24 of each (a firm that answers partners answers during
// the working week, whenever its people are in), and the weekend stops the
// clock. A referral submitted on Friday at 18:00 with a 24-hour first
// response is due on Monday at 18:00; one submitted on Saturday starts
// counting on Monday at 00:00. Hours are elapsed hours, so a daylight-saving
// change inside the window moves the wall-clock due time accordingly (in
// America/New_York the change happens on a Sunday, outside business time).
// With "calendar" every hour counts.
//
// Inbound referrals have three clocks, all running from the submission:
// first_response (any move out of submitted, default 24 h), first_contact
// (contacted or later, default 72 h) and meeting (meeting or later, default
// 7 days = 168 hours, i.e. 7 business days under the business clock).
// Outbound referrals have one: partner_response (the partner accepts or
// declines, default 48 h).
const (
	ClockFirstResponse   = "first_response"
	ClockFirstContact    = "first_contact"
	ClockMeeting         = "meeting"
	ClockPartnerResponse = "partner_response"
)

// ClockNames are the SLA clocks in the order they are shown.
var ClockNames = []string{ClockFirstResponse, ClockFirstContact, ClockMeeting, ClockPartnerResponse}

var clockLabels = map[string]string{
	ClockFirstResponse:   "First response",
	ClockFirstContact:    "First contact with the client",
	ClockMeeting:         "Meeting",
	ClockPartnerResponse: "Partner's answer",
}

// ClockLabel names a clock for people.
func ClockLabel(name string) string {
	if l, ok := clockLabels[name]; ok {
		return l
	}
	return name
}

// Clock is one SLA clock of a referral.
type Clock struct {
	Name     string // first_response, first_contact, meeting, partner_response
	DueAt    time.Time
	MetAt    *time.Time
	Breached bool // met late, or not met and past due (a closed referral's clock stopped when it closed)
	AtRisk   bool // not met, not yet due, and due within the referral's RiskWindow
}

// DueAt returns when a clock of length d started at start is due. clock is
// "business" or "calendar" (anything else counts as calendar); loc is the
// firm's zone (nil means UTC).
func DueAt(start time.Time, d time.Duration, clock string, loc *time.Location) time.Time {
	if d <= 0 {
		return start
	}
	if clock != "business" {
		return start.Add(d)
	}
	if loc == nil {
		loc = time.UTC
	}
	t := start.In(loc)
	rem := d
	for {
		y, m, day := t.Date()
		next := time.Date(y, m, day+1, 0, 0, 0, 0, loc) // the next midnight
		if !next.After(t) {                             // a zone whose midnight is skipped
			next = t.Add(time.Hour)
		}
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t = next
			continue
		}
		if avail := next.Sub(t); rem <= avail {
			return t.Add(rem)
		} else {
			rem -= avail
		}
		t = next
	}
}

// Clocks returns the referral's SLA clocks that have a due time, in
// ClockNames order, as of now.
func (r Referral) Clocks(now time.Time) []Clock {
	type c struct {
		name     string
		due, met *time.Time
	}
	var cs []c
	if r.Direction == "outbound" {
		met := r.PartnerAcceptedAt
		if met == nil {
			met = r.PartnerDeclinedAt
		}
		cs = []c{{ClockPartnerResponse, r.PartnerResponseDueAt, met}}
	} else {
		cs = []c{
			{ClockFirstResponse, r.FirstResponseDueAt, r.FirstRespondedAt},
			{ClockFirstContact, r.FirstContactDueAt, r.ContactedAt},
			{ClockMeeting, r.MeetingDueAt, r.MeetingAt},
		}
	}
	out := make([]Clock, 0, len(cs))
	for _, x := range cs {
		if x.due == nil {
			continue
		}
		out = append(out, clockState(x.name, *x.due, x.met, r.ClosedAt, now, r.RiskWindow))
	}
	return out
}

// clockState is the pure rule behind Clocks.
func clockState(name string, due time.Time, met, closed *time.Time, now time.Time, window time.Duration) Clock {
	cl := Clock{Name: name, DueAt: due, MetAt: met}
	switch {
	case met != nil:
		cl.Breached = met.After(due)
	case closed != nil:
		// Closed without meeting it: the clock stopped at the close.
		cl.Breached = closed.After(due)
	default:
		cl.Breached = now.After(due)
		cl.AtRisk = !cl.Breached && window > 0 && !now.Before(due.Add(-window))
	}
	return cl
}

// NextDue returns the earliest unmet due time of an open referral (nil when
// none is running).
func (r Referral) NextDue() *time.Time {
	if !r.Open() {
		return nil
	}
	var next *time.Time
	for _, cl := range r.Clocks(time.Time{}) {
		if cl.MetAt == nil && (next == nil || cl.DueAt.Before(*next)) {
			d := cl.DueAt
			next = &d
		}
	}
	return next
}

// Breached reports whether any of the referral's clocks is breached now.
func (r Referral) Breached(now time.Time) bool {
	for _, cl := range r.Clocks(now) {
		if cl.Breached {
			return true
		}
	}
	return false
}

// AtRisk reports whether any clock is at risk now, or (outbound) the partner
// declined or let its answer lapse, so staff should hand it on.
func (r Referral) AtRisk(now time.Time) bool {
	if !r.Open() {
		return false
	}
	if r.NeedsHandOn(now) {
		return true
	}
	for _, cl := range r.Clocks(now) {
		if cl.AtRisk {
			return true
		}
	}
	return false
}

// NeedsHandOn reports whether an open outbound referral should be handed to
// another partner: the partner declined it, or did not answer in time.
func (r Referral) NeedsHandOn(now time.Time) bool {
	if r.Direction != "outbound" || !r.Open() || r.PartnerAcceptedAt != nil {
		return false
	}
	return r.PartnerDeclinedAt != nil || (r.PartnerResponseDueAt != nil && now.After(*r.PartnerResponseDueAt))
}

// durations returns the clock lengths of the settings.
func (s Settings) durations() (firstResponse, firstContact, meeting, partnerResponse time.Duration) {
	return time.Duration(s.FirstResponseHours) * time.Hour,
		time.Duration(s.FirstContactHours) * time.Hour,
		time.Duration(s.MeetingDays) * 24 * time.Hour,
		time.Duration(s.PartnerResponseHours) * time.Hour
}

// Location returns the firm's time zone (UTC when unknown).
func (s Settings) Location() *time.Location {
	if loc, err := loadLocation(s.TimeZone); err == nil && s.TimeZone != "" {
		return loc
	}
	return time.UTC
}
