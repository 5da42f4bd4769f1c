// Package survey asks how the partnerships are going, two ways:
//
//   - Client satisfaction (1–5) of a referred engagement. A daily job emails
//     the referred client a week after kick-off a link to a one-question
//     survey that needs no login (/s/{firm}/{token}); staff can also record
//     a score they heard. The scorecard reads it per quarter (ClientCSAT).
//   - Partner satisfaction (0–10 and a comment), once a year from each of a
//     partner's portal users, prompted on the portal's home page. The
//     scorecard reads it per year (PartnerSatisfaction).
//
// Client surveys hold the client's email: the portal never reads them (the
// table refuses portal requests). A link's secret is sent, never stored:
// only its SHA-256 is kept.
package survey

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// MaxComment is the longest comment kept, in characters (the schema's limit).
const MaxComment = 5000

// Firm is the firm a survey is asked for: its name is in the email, its
// slug in the link.
type Firm struct {
	ID   uuid.UUID
	Slug string
	Name string
}

// Location is the firm's time zone (tenant_settings.time_zone; UTC when
// unset or unknown). Years and quarters are counted in it.
func Location(ctx context.Context, q db.Querier, tenantID uuid.UUID) (*time.Location, error) {
	var tz string
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC')`,
		tenantID).Scan(&tz)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// Today is the firm's calendar day at now, at UTC midnight (period.Today).
func Today(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time) (time.Time, error) {
	loc, err := Location(ctx, q, tenantID)
	if err != nil {
		return time.Time{}, err
	}
	return period.Today(now, loc), nil
}

// dayStart is the instant the calendar day (UTC midnight) begins in loc.
func dayStart(day time.Time, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
}

// cleanComment trims a comment and checks its length; the message is ""
// when it is fine.
func cleanComment(s string) (string, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if utf8.RuneCountInString(s) > MaxComment {
		return s, "Keep the comment under 5,000 characters."
	}
	return s, ""
}

// avgX10 is sum/n × 10 rounded half to even (0 when n is 0): 4.25 → 42,
// 4.35 → 44.
func avgX10(sum, n int64) int {
	if n <= 0 {
		return 0
	}
	num, den := sum*10, n
	q, r := num/den, num%den
	switch {
	case 2*r > den:
		q++
	case 2*r == den && q%2 == 1:
		q++
	}
	return int(q)
}

// FormatAvg writes an average ×10 with one decimal ("4.3", "10.0").
func FormatAvg(x10 int) string {
	return strconv.Itoa(x10/10) + "." + strconv.Itoa(x10%10)
}
