package review

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// An iCalendar (RFC 5545) file of one event, written by hand: it is a few
// lines, and the rules that matter are here — CRLF line ends, lines folded
// at 75 octets without splitting a UTF-8 sequence, TEXT values escaped
// (backslash, semicolon, comma, newline), parameter values quoted, times in
// UTC. The file has no METHOD: it is the event as it stands (calendars
// import it, and take a later copy with the same UID and a higher SEQUENCE
// as its update), not an iTIP request.

// Person is an organiser or attendee of an event.
type Person struct {
	Name  string
	Email string
}

// Event is one calendar event.
type Event struct {
	UID         string // stable for the event
	Sequence    int    // goes up on each reschedule
	Stamp       time.Time
	Start, End  time.Time
	Summary     string
	Description string
	Location    string
	URL         string
	Cancelled   bool
	Organizer   *Person
	Attendees   []Person // those without an email are left out
}

// ProdID names the program that wrote the file.
const ProdID = "-//Allyway//Partner reviews//EN"

// ICS writes the event as an iCalendar file.
func (e Event) ICS() []byte {
	var b strings.Builder
	w := func(line string) {
		b.WriteString(FoldLine(line))
		b.WriteString("\r\n")
	}
	w("BEGIN:VCALENDAR")
	w("VERSION:2.0")
	w("PRODID:" + ProdID)
	w("CALSCALE:GREGORIAN")
	w("BEGIN:VEVENT")
	w("UID:" + EscapeText(e.UID))
	w("SEQUENCE:" + strconv.Itoa(e.Sequence))
	w("DTSTAMP:" + icsTime(e.Stamp))
	w("DTSTART:" + icsTime(e.Start))
	w("DTEND:" + icsTime(e.End))
	w("SUMMARY:" + EscapeText(e.Summary))
	if e.Description != "" {
		w("DESCRIPTION:" + EscapeText(e.Description))
	}
	if e.Location != "" {
		w("LOCATION:" + EscapeText(e.Location))
	}
	if e.URL != "" {
		w("URL:" + stripControl(e.URL))
	}
	if e.Cancelled {
		w("STATUS:CANCELLED")
	} else {
		w("STATUS:CONFIRMED")
	}
	if e.Organizer != nil && e.Organizer.Email != "" {
		w("ORGANIZER" + cnParam(e.Organizer.Name) + ":" + mailto(e.Organizer.Email))
	}
	for _, a := range e.Attendees {
		if a.Email == "" {
			continue
		}
		w("ATTENDEE" + cnParam(a.Name) + ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:" + mailto(a.Email))
	}
	w("END:VEVENT")
	w("END:VCALENDAR")
	return []byte(b.String())
}

// icsTime is a UTC DATE-TIME: 20261201T150000Z.
func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// EscapeText escapes a TEXT value: backslash, semicolon and comma get a
// backslash, any line break becomes \n, other control characters go.
func EscapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cnParam is ";CN=..." for a name ("" without one). A parameter value
// can't hold a double quote or a control character; it is quoted when it
// holds a colon, semicolon or comma.
func cnParam(name string) string {
	name = strings.TrimSpace(stripControl(strings.ReplaceAll(name, `"`, "'")))
	if name == "" {
		return ""
	}
	if strings.ContainsAny(name, ":;,") {
		name = `"` + name + `"`
	}
	return ";CN=" + name
}

// mailto is the CAL-ADDRESS of an email.
func mailto(email string) string {
	return "mailto:" + strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '"' {
			return -1
		}
		return r
	}, email)
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// FoldLine folds a content line longer than 75 octets: CRLF and a space
// before each further part, never inside a UTF-8 sequence, no part over 75
// octets (the leading space included).
func FoldLine(line string) string {
	const limit = 75
	if len(line) <= limit {
		return line
	}
	var b strings.Builder
	room := limit
	for len(line) > 0 {
		n := min(room, len(line))
		// Back off to the start of a rune.
		for n > 0 && n < len(line) && !utf8.RuneStart(line[n]) {
			n--
		}
		b.WriteString(line[:n])
		line = line[n:]
		if len(line) > 0 {
			b.WriteString("\r\n ")
			room = limit - 1
		}
	}
	return b.String()
}

// CalendarEvent is the review as a calendar event. host (the app's host
// name) makes the UID, which stays the same for the review's life; pageURL
// links back to it. The description is the agenda, which the partner sees
// anyway; the firm's notes are never in it.
func (r Review) CalendarEvent(firmName, host, pageURL string) Event {
	if host == "" {
		host = "allyway"
	}
	e := Event{
		UID:       r.ID.String() + "@" + host,
		Sequence:  r.ICSSequence,
		Stamp:     r.UpdatedAt,
		Start:     r.ScheduledAt,
		End:       r.EndsAt(),
		Summary:   r.Quarter.Label() + " review: " + firmName + " and " + r.PartnerName,
		Location:  r.Location,
		URL:       pageURL,
		Cancelled: r.Status == StatusCancelled,
	}
	e.Description = r.Agenda
	if e.Cancelled {
		// The reason stays with the firm.
		e.Description = strings.TrimSpace("This review is cancelled.\n\n" + r.Agenda)
	}
	if r.CreatedByEmail != "" {
		e.Organizer = &Person{Name: r.CreatedByName, Email: r.CreatedByEmail}
	}
	for _, a := range r.Attendees {
		e.Attendees = append(e.Attendees, Person{Name: a.Name, Email: a.Email})
	}
	return e
}
