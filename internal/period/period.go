// Package period names the calendar periods the program is measured in:
// quarters ("2026-Q3") and months, as days at UTC midnight (how SQL dates
// are read). Plumbing: no domain package below it.
package period

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/allyway/allyway/internal/apperr"
)

// Quarter is a calendar quarter, written "2026-Q3" (1 July – 30 September 2026).
type Quarter struct {
	Year int
	Q    int // 1..4
}

var quarterRE = regexp.MustCompile(`^([0-9]{4})-[Qq]([1-4])$`)

// ParseQuarter reads "2026-Q3". Anything else fails with EInvalid and a
// message saying how to write one.
func ParseQuarter(s string) (Quarter, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return Quarter{}, apperr.Errorf(apperr.EInvalid, "%q is not a quarter: write it like 2026-Q3.", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	if y < 1900 {
		return Quarter{}, apperr.Errorf(apperr.EInvalid, "%q is too long ago: quarters start in 1900.", s)
	}
	return Quarter{Year: y, Q: q}, nil
}

// QuarterOf is the quarter of a day (its calendar date, whatever its zone).
func QuarterOf(day time.Time) Quarter {
	return Quarter{Year: day.Year(), Q: (int(day.Month())-1)/3 + 1}
}

// Today is the day it is now in the zone, at UTC midnight.
func Today(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// String is "2026-Q3", as URLs and ParseQuarter write it.
func (q Quarter) String() string { return fmt.Sprintf("%04d-Q%d", q.Year, q.Q) }

// Label is "Q3 2026", as people write it.
func (q Quarter) Label() string { return fmt.Sprintf("Q%d %d", q.Q, q.Year) }

// Period says the quarter's days: "1 Jul – 30 Sep 2026".
func (q Quarter) Period() string {
	return q.Start().Format("2 Jan") + " – " + q.End().Format("2 Jan 2006")
}

// Start is the quarter's first day.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, time.UTC)
}

// End is the quarter's last day.
func (q Quarter) End() time.Time { return q.Next().Start().AddDate(0, 0, -1) }

// Next is the quarter after q.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{Year: q.Year + 1, Q: 1}
	}
	return Quarter{Year: q.Year, Q: q.Q + 1}
}

// Prev is the quarter before q.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{Year: q.Year - 1, Q: 4}
	}
	return Quarter{Year: q.Year, Q: q.Q - 1}
}

// Last returns the n quarters ending with q, oldest first.
func (q Quarter) Last(n int) []Quarter {
	out := make([]Quarter, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = q
		q = q.Prev()
	}
	return out
}

// Before reports whether q is earlier than o.
func (q Quarter) Before(o Quarter) bool {
	return q.Year < o.Year || (q.Year == o.Year && q.Q < o.Q)
}

// MonthStart is the first day of the day's month.
func MonthStart(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
}
