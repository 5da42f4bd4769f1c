package review

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/tenant"
)

// Limits of a review's fields (the schema's checks).
const (
	MaxAttendees   = 50
	maxLocation    = 500
	maxAgenda      = 20000
	maxNotes       = 50000
	maxShared      = 20000
	maxName        = 200
	maxEmail       = 320
	minDuration    = 5
	maxDuration    = 600
	defaultStartAt = 10 // o'clock, the suggested time of a new review
)

// ScheduleForm is a review's schedule as typed: date (yyyy-mm-dd) and time
// (hh:mm) in the firm's time zone, length in minutes.
type ScheduleForm struct {
	Quarter  string
	Date     string
	Time     string
	Duration string
	Location string
	Agenda   string
}

// Schedule is a checked ScheduleForm with its attendees.
type Schedule struct {
	Quarter         period.Quarter
	StartsAt        time.Time
	DurationMinutes int
	Location        string
	Agenda          string
	Attendees       []AttendeeInput
}

// AttendeeInput is a person to invite.
type AttendeeInput struct {
	Side  string
	Name  string
	Email string // lower case; "" when unknown
}

// Parse checks the form against the firm's zone and today (a day at UTC
// midnight): a review is scheduled from a year back (to record one that
// happened) to two years ahead. Field errors are keyed by the form's names.
func (f ScheduleForm) Parse(loc *time.Location, today time.Time) (Schedule, map[string]string) {
	if loc == nil {
		loc = time.UTC
	}
	errs := map[string]string{}
	var s Schedule
	var err error
	if s.Quarter, err = period.ParseQuarter(strings.TrimSpace(f.Quarter)); err != nil {
		errs["quarter"] = "Choose the quarter the review looks back on."
	}
	day, derr := time.Parse(time.DateOnly, strings.TrimSpace(f.Date))
	clock, terr := time.Parse("15:04", strings.TrimSpace(f.Time))
	switch {
	case derr != nil:
		errs["date"] = "Enter a date like " + today.AddDate(0, 0, 7).Format(time.DateOnly) + "."
	case day.Before(today.AddDate(-1, 0, 0)) || day.After(today.AddDate(2, 0, 0)):
		errs["date"] = "Choose a date from a year ago to two years ahead."
	}
	if terr != nil {
		errs["time"] = "Enter a time like 10:00."
	}
	if derr == nil && terr == nil {
		s.StartsAt = time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, loc)
	}
	if s.DurationMinutes, err = strconv.Atoi(strings.TrimSpace(f.Duration)); err != nil || s.DurationMinutes < minDuration || s.DurationMinutes > maxDuration {
		errs["duration"] = "Enter the length in minutes, from 5 to 600."
	}
	s.Location = oneLine(f.Location)
	if len([]rune(s.Location)) > maxLocation {
		errs["location"] = "Keep the place or link under 500 characters."
	}
	s.Agenda = strings.TrimSpace(strings.ReplaceAll(f.Agenda, "\r\n", "\n"))
	if len([]rune(s.Agenda)) > maxAgenda {
		errs["agenda"] = "Keep the agenda under 20,000 characters."
	}
	return s, errs
}

// ReviewedQuarter is the quarter a review held on day looks back on: the
// quarter before during the first 30 days of a quarter (the one that just
// ended), else the current one.
func ReviewedQuarter(day time.Time) period.Quarter {
	q := period.QuarterOf(day)
	if day.Before(q.Start().AddDate(0, 0, 30)) {
		return q.Prev()
	}
	return q
}

// SuggestedStart is when a new review is offered: the due day at 10:00 in
// the firm's zone, but never before the next working day.
func SuggestedStart(due, today time.Time, loc *time.Location) time.Time {
	next := today.AddDate(0, 0, 1)
	for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday {
		next = next.AddDate(0, 0, 1)
	}
	day := due
	if day.Before(next) {
		day = next
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(day.Year(), day.Month(), day.Day(), defaultStartAt, 0, 0, 0, loc)
}

// oneLine trims s and turns control characters (newlines included) into spaces.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// ParseOthers reads the free-text attendees, one a line: "Ann Lee
// <ann@firm.com>", "ann@firm.com" or just "Ann Lee". They are on the
// partner's side. Errors name the line.
func ParseOthers(text string) ([]AttendeeInput, string) {
	var out []AttendeeInput
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = oneLine(line)
		if line == "" {
			continue
		}
		a := AttendeeInput{Side: SidePartner, Name: line}
		if strings.Contains(line, "@") {
			addr, err := mail.ParseAddress(line)
			if err != nil {
				return nil, "Line " + strconv.Itoa(i+1) + ": write a name and an email like Ann Lee <ann@partnerfirm.com>, or just a name."
			}
			if a.Email = cleanEmail(addr.Address); a.Email == "" {
				return nil, "Line " + strconv.Itoa(i+1) + ": write the email in plain letters, like ann@partnerfirm.com."
			}
			a.Name = oneLine(addr.Name)
			if a.Name == "" {
				a.Name = a.Email
			}
		}
		if len([]rune(a.Name)) > maxName || len(a.Email) > maxEmail {
			return nil, "Line " + strconv.Itoa(i+1) + ": that name or email is too long."
		}
		out = append(out, a)
	}
	return out, ""
}

// ResolveAttendees turns the chosen staff members and partner contacts into
// attendees and adds the others; people named twice (same email, or same
// name without one) are invited once. EInvalid (field "attendees") for an
// id that isn't the firm's staff or the partner's contact, or too many.
func ResolveAttendees(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, staffIDs, contactIDs []uuid.UUID,
	others []AttendeeInput) ([]AttendeeInput, error) {
	var out []AttendeeInput
	seen := map[string]bool{}
	add := func(a AttendeeInput) {
		key := "e:" + a.Email
		if a.Email == "" {
			key = "n:" + strings.ToLower(a.Name)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, a)
		}
	}
	bad := apperr.Invalid(map[string]string{"attendees": "Choose attendees from your firm's staff and the partner's contacts."})
	if len(staffIDs) > 0 {
		staff, err := tenant.ListStaff(ctx, q, tenantID)
		if err != nil {
			return nil, err
		}
		byID := map[uuid.UUID]tenant.Member{}
		for _, m := range staff {
			byID[m.UserID] = m
		}
		for _, id := range staffIDs {
			m, ok := byID[id]
			if !ok {
				return nil, bad
			}
			add(AttendeeInput{Side: SideFirm, Name: orEmail(m.Name, m.Email), Email: cleanEmail(m.Email)})
		}
	}
	if len(contactIDs) > 0 {
		contacts, err := partner.ListContacts(ctx, q, tenantID, partnerID)
		if err != nil {
			return nil, err
		}
		byID := map[uuid.UUID]partner.Contact{}
		for _, c := range contacts {
			byID[c.ID] = c
		}
		for _, id := range contactIDs {
			c, ok := byID[id]
			if !ok {
				return nil, bad
			}
			add(AttendeeInput{Side: SidePartner, Name: c.Name, Email: cleanEmail(c.Email)})
		}
	}
	for _, a := range others {
		add(a)
	}
	if len(out) > MaxAttendees {
		return nil, apperr.Invalid(map[string]string{"attendees": "Invite at most 50 people."})
	}
	return out, nil
}

// cleanEmail is an email in lower case, or "" unless it is plain ASCII
// (what the schema's lower() and calendars agree on) and short enough.
func cleanEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxEmail || !strings.Contains(s, "@") {
		return ""
	}
	for _, r := range s {
		if r > unicode.MaxASCII || unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	return s
}

func orEmail(name, email string) string {
	if strings.TrimSpace(name) == "" {
		return email
	}
	return strings.TrimSpace(name)
}

// HoldForm is the record of a held review as typed.
type HoldForm struct {
	HeldOn        string // yyyy-mm-dd
	NextReviewOn  string // yyyy-mm-dd; "" for held day + cadence
	Notes         string
	SharedSummary string
	Attended      []string // attendee ids ticked
}

// HoldInput is a checked HoldForm.
type HoldInput struct {
	HeldOn        time.Time // a day
	NextReviewOn  time.Time // a day
	Notes         string
	SharedSummary string
	Attended      []uuid.UUID
}

// Parse checks the form: held today or before, the next review after the
// day held and within two years (empty: the held day + cadenceDays, or
// DefaultCadenceDays without a tier).
func (f HoldForm) Parse(today time.Time, cadenceDays int) (HoldInput, map[string]string) {
	errs := map[string]string{}
	var h HoldInput
	var err error
	h.HeldOn, err = time.Parse(time.DateOnly, strings.TrimSpace(f.HeldOn))
	switch {
	case err != nil:
		errs["held_on"] = "Enter the day it was held, like " + today.Format(time.DateOnly) + "."
	case h.HeldOn.After(today):
		errs["held_on"] = "A review can't be held in the future: record it on the day or after."
	case h.HeldOn.Before(today.AddDate(-2, 0, 0)):
		errs["held_on"] = "Choose a day within the last two years."
	}
	if next := strings.TrimSpace(f.NextReviewOn); next == "" {
		if err == nil {
			h.NextReviewOn = h.HeldOn.AddDate(0, 0, Cadence(cadenceDays))
		}
	} else if h.NextReviewOn, err = time.Parse(time.DateOnly, next); err != nil {
		errs["next_review_on"] = "Enter a date like " + today.AddDate(0, 3, 0).Format(time.DateOnly) + ", or leave it empty."
	} else if errs["held_on"] == "" && (!h.NextReviewOn.After(h.HeldOn) || h.NextReviewOn.After(h.HeldOn.AddDate(2, 0, 0))) {
		errs["next_review_on"] = "Choose a day after the review and within two years of it."
	}
	h.Notes = strings.TrimSpace(strings.ReplaceAll(f.Notes, "\r\n", "\n"))
	if len([]rune(h.Notes)) > maxNotes {
		errs["notes"] = "Keep the notes under 50,000 characters."
	}
	h.SharedSummary = strings.TrimSpace(strings.ReplaceAll(f.SharedSummary, "\r\n", "\n"))
	if len([]rune(h.SharedSummary)) > maxShared {
		errs["shared_summary"] = "Keep the summary under 20,000 characters."
	}
	for _, raw := range f.Attended {
		id, err := uuid.Parse(raw)
		if err != nil {
			errs["attended"] = "Tick the attendees from the list."
			break
		}
		h.Attended = append(h.Attended, id)
	}
	return h, errs
}
