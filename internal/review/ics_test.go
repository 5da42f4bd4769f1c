package review

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/period"
)

// icsProp is one content line read back: name, parameters, value (TEXT
// unescaped for the properties that are TEXT).
type icsProp struct {
	Name   string
	Params map[string]string
	Value  string
}

// parseICS reads an iCalendar file the way a calendar does: lines end in
// CRLF, a line starting with a space or tab continues the one before.
func parseICS(t *testing.T, data string) []icsProp {
	t.Helper()
	require.True(t, strings.HasSuffix(data, "\r\n"), "ends with CRLF")
	for _, line := range strings.Split(strings.TrimSuffix(data, "\r\n"), "\r\n") {
		require.NotContains(t, line, "\n", "bare LF")
		require.LessOrEqual(t, len(line), 75, "line over 75 octets: %q", line)
		require.True(t, utf8.ValidString(line), "fold split a UTF-8 sequence: %q", line)
	}
	unfolded := strings.NewReplacer("\r\n ", "", "\r\n\t", "").Replace(data)
	var out []icsProp
	for _, line := range strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
		// Split name;params:value at the first colon outside quotes.
		inQuote, colon := false, -1
		for i, r := range line {
			if r == '"' {
				inQuote = !inQuote
			}
			if r == ':' && !inQuote {
				colon = i
				break
			}
		}
		require.Greater(t, colon, 0, "no colon in %q", line)
		head, value := line[:colon], line[colon+1:]
		p := icsProp{Params: map[string]string{}}
		parts := splitOutsideQuotes(head, ';')
		p.Name = parts[0]
		for _, kv := range parts[1:] {
			k, v, ok := strings.Cut(kv, "=")
			require.True(t, ok, kv)
			p.Params[k] = strings.Trim(v, `"`)
		}
		switch p.Name {
		case "SUMMARY", "DESCRIPTION", "LOCATION", "UID":
			p.Value = unescapeText(t, value)
		default:
			p.Value = value
		}
		out = append(out, p)
	}
	return out
}

func splitOutsideQuotes(s string, sep rune) []string {
	var out []string
	inQuote, start := false, 0
	for i, r := range s {
		if r == '"' {
			inQuote = !inQuote
		}
		if r == sep && !inQuote {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unescapeText(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ',' || c == ';' {
			t.Fatalf("unescaped %q in TEXT %q", c, s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		require.Less(t, i, len(s), "trailing backslash in %q", s)
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ';', ',':
			b.WriteByte(s[i])
		default:
			t.Fatalf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

func props(ps []icsProp, name string) []icsProp {
	var out []icsProp
	for _, p := range ps {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

func one(t *testing.T, ps []icsProp, name string) icsProp {
	t.Helper()
	got := props(ps, name)
	require.Len(t, got, 1, name)
	return got[0]
}

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 "plain",
		`a,b;c\d`:               `a\,b\;c\\d`,
		"line 1\nline 2":        `line 1\nline 2`,
		"crlf\r\nand cr\rend":   `crlf\nand cr\nend`,
		"tab\there\x00\x07bell": "tab herebell",
		"Zürich – café":         "Zürich – café",
	} {
		require.Equal(t, want, EscapeText(in), in)
	}
}

func TestFoldLine(t *testing.T) {
	require.Equal(t, "short", FoldLine("short"))
	exact := strings.Repeat("x", 75)
	require.Equal(t, exact, FoldLine(exact))
	long := "DESCRIPTION:" + strings.Repeat("abcdefghij", 20)
	folded := FoldLine(long)
	parts := strings.Split(folded, "\r\n")
	require.Len(t, parts, 3)
	require.Len(t, parts[0], 75)
	require.Len(t, parts[1], 75)
	require.True(t, strings.HasPrefix(parts[1], " "))
	require.Equal(t, long, strings.ReplaceAll(folded, "\r\n ", ""))

	// Multi-byte characters are never split: "é" is 2 octets, "€" 3, "😀" 4.
	for _, s := range []string{"é", "€", "😀"} {
		for pad := 0; pad < 4; pad++ {
			line := "SUMMARY:" + strings.Repeat("a", pad) + strings.Repeat(s, 60)
			f := FoldLine(line)
			for _, part := range strings.Split(f, "\r\n") {
				require.LessOrEqual(t, len(part), 75)
				require.True(t, utf8.ValidString(part), "%q", part)
			}
			require.Equal(t, line, strings.ReplaceAll(f, "\r\n ", ""))
		}
	}
}

// TestReviewCalendarRoundTrip writes a review's calendar file with every
// awkward character and reads it back.
func TestReviewCalendarRoundTrip(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	id := uuid.MustParse("6f1c2c36-4a53-4b7e-9d55-0c4a1f0b6a11")
	agenda := "## Since last review\n\n- [ ] Send the deck, with figures; then call — Ann \\ Bob\n\n" +
		"## Referrals this quarter (Q3 2026)\n\n- Received from Brightline, Inc.: 3 new referrals, 1 won, 0 lost.\n" +
		strings.Repeat("Long line of agenda text in Zürich 😀 ", 10)
	r := Review{
		ID: id, PartnerName: "Brightline, Inc.", Quarter: period.Quarter{Year: 2026, Q: 3},
		// 10:00 in New York on 2 Nov 2026 (EST, after the change) and 26 Oct (EDT).
		ScheduledAt: time.Date(2026, 11, 2, 10, 0, 0, 0, ny), DurationMinutes: 90,
		Location: "https://meet.example.com/abc?x=1;y=2, room 4", Status: StatusScheduled, Agenda: agenda,
		ICSSequence: 2, CreatedByName: "Ann Admin", CreatedByEmail: "ann@acme.test",
		UpdatedAt: time.Date(2026, 10, 20, 8, 30, 15, 0, time.UTC),
		Attendees: []Attendee{
			{Side: SideFirm, Name: "Ann Admin", Email: "ann@acme.test"},
			{Side: SidePartner, Name: `Lee, "Jo"; partner`, Email: "jo@brightline.test"},
			{Side: SidePartner, Name: "No Email"},
		},
	}
	data := string(r.CalendarEvent("Acme Advisors", "allyway.example", "https://allyway.example/t/acme/partners/x/reviews/y").ICS())
	ps := parseICS(t, data)
	require.Equal(t, "VCALENDAR", ps[0].Value)
	require.Equal(t, "BEGIN", ps[0].Name)
	require.Equal(t, "VCALENDAR", ps[len(ps)-1].Value)
	require.Equal(t, "2.0", one(t, ps, "VERSION").Value)
	require.Equal(t, ProdID, one(t, ps, "PRODID").Value)
	require.Empty(t, props(ps, "METHOD"))
	require.Equal(t, id.String()+"@allyway.example", one(t, ps, "UID").Value)
	require.Equal(t, "2", one(t, ps, "SEQUENCE").Value)
	require.Equal(t, "20261020T083015Z", one(t, ps, "DTSTAMP").Value)
	// EST is UTC-5: 10:00 → 15:00Z; 90 minutes later.
	require.Equal(t, "20261102T150000Z", one(t, ps, "DTSTART").Value)
	require.Equal(t, "20261102T163000Z", one(t, ps, "DTEND").Value)
	require.Equal(t, "Q3 2026 review: Acme Advisors and Brightline, Inc.", one(t, ps, "SUMMARY").Value)
	require.Equal(t, agenda, one(t, ps, "DESCRIPTION").Value)
	require.Equal(t, r.Location, one(t, ps, "LOCATION").Value)
	require.Equal(t, "CONFIRMED", one(t, ps, "STATUS").Value)
	org := one(t, ps, "ORGANIZER")
	require.Equal(t, "mailto:ann@acme.test", org.Value)
	require.Equal(t, "Ann Admin", org.Params["CN"])
	att := props(ps, "ATTENDEE")
	require.Len(t, att, 2, "the attendee without an email is left out")
	require.Equal(t, "mailto:jo@brightline.test", att[1].Value)
	require.Equal(t, "Lee, 'Jo'; partner", att[1].Params["CN"])
	require.Equal(t, "REQ-PARTICIPANT", att[1].Params["ROLE"])
	require.Contains(t, data, "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

	// Summer time: 10:00 EDT is 14:00Z.
	r.ScheduledAt = time.Date(2026, 10, 26, 10, 0, 0, 0, ny)
	ps = parseICS(t, string(r.CalendarEvent("Acme", "", "").ICS()))
	require.Equal(t, "20261026T140000Z", one(t, ps, "DTSTART").Value)
	require.Equal(t, id.String()+"@allyway", one(t, ps, "UID").Value)
	require.Empty(t, props(ps, "URL"))

	// Cancelled: the status and the description say so; the reason stays with the firm.
	r.Status, r.CancelReason, r.ICSSequence = StatusCancelled, "Partner asked to move it", 3
	ps = parseICS(t, string(r.CalendarEvent("Acme", "h", "").ICS()))
	require.Equal(t, "CANCELLED", one(t, ps, "STATUS").Value)
	require.Equal(t, "3", one(t, ps, "SEQUENCE").Value)
	require.True(t, strings.HasPrefix(one(t, ps, "DESCRIPTION").Value, "This review is cancelled.\n\n## Since last review"))
	require.NotContains(t, one(t, ps, "DESCRIPTION").Value, "Partner asked")
}
