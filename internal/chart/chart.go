// Package chart lays out small server-side SVG charts: nice axis ticks,
// linear scales, bar and line geometry, and the data table that goes beside
// every chart. It is pure (no database, no HTML): the views in web/view
// (LineChart, BarChart, HBarChart, Funnel, ShareBar) render what it computes.
//
// Values are integers in the chart's Unit — counts, cents, basis points or
// tenths of a score or ratio — the way the rest of Allyway stores them, so a
// chart never rounds money it was given.
package chart

import (
	"strconv"
	"strings"
)

// Unit says what a chart's values are and how they are labelled.
type Unit int

const (
	// Count is a whole number of things: referrals, partners. Axis ticks
	// are integers; 1200 is labelled "1.2k" on an axis, "1,200" in tables.
	Count Unit = iota
	// Cents is money in cents: 1_200_000 is "$12k" on an axis and
	// "$12,000.00" in tables. Negative values (refunds) are allowed.
	Cents
	// BP is basis points: 2000 is "20%".
	BP
	// Score is tenths of a point: a satisfaction average of 4.3 is 43, a
	// health score of 72 is 720 (the survey's AvgX10 convention).
	Score
	// Ratio is tenths of a ratio to one: an ROI of 5:1 is 50, "5.0:1".
	Ratio
)

// Series is one named row of values, one per label of its Chart.
type Series struct {
	Name   string
	Values []int64
	// Valid marks which Values are real points; nil means all of them. A
	// missing point leaves a gap in a line and no bar, and "—" in the table.
	Valid []bool
}

// At returns the i-th value and whether it is a real point (false past the
// end of Values too).
func (s Series) At(i int) (int64, bool) {
	if i < 0 || i >= len(s.Values) {
		return 0, false
	}
	if s.Valid != nil && (i >= len(s.Valid) || !s.Valid[i]) {
		return 0, false
	}
	return s.Values[i], true
}

// Chart is everything a chart component needs. Labels name the points
// (quarters for trends, tiers or stages for mixes); each Series has one
// value per label.
type Chart struct {
	// ID prefixes the element ids of the chart; it must be unique on the
	// page. Empty: derived from Title ("chart-" + slug).
	ID    string
	Title string
	// Desc is the summary screen readers hear for the picture; empty: one is
	// written from the data (range and latest value of each series, goal).
	Desc   string
	Labels []string
	// LabelHeader heads the label column of the data table ("Quarter",
	// "Tier", "Stage"); empty: "Period" for trends, "Category" otherwise.
	LabelHeader string
	Series      []Series
	Unit        Unit
	// Goal draws a dashed line at this value (in Unit; for ShareBar, a
	// share of the whole in basis points), e.g. 2000 for a 20% share.
	Goal *int64
	// GoalLabel names the goal line; empty: "Goal".
	GoalLabel string
	// Max fixes the top of the value axis (e.g. 10000 for shares up to
	// 100%, 50 for a 1–5 score); 0 lets the data decide. Values above it
	// still widen the axis.
	Max int64
	// Height is the height of a line or bar chart in viewBox units (the
	// width is always 400); 0 means 220. Horizontal charts grow with rows.
	Height int
	// Empty is shown instead of the chart when it has no data; empty:
	// "No data yet".
	Empty string
	// Currency is the ISO code of Cents values: empty or "USD" writes
	// "$12k", others their code, "EUR 12k", "EUR 1,200.00".
	Currency string
}

// full and short write a value of the chart: Unit.Full and Unit.Short, in
// the chart's currency.
func (c Chart) full(v int64) string  { return c.money(c.Unit.Full(v)) }
func (c Chart) short(v int64) string { return c.money(c.Unit.Short(v)) }

func (c Chart) money(s string) string {
	if c.Unit != Cents || c.Currency == "" || c.Currency == "USD" {
		return s
	}
	return c.Currency + " " + strings.Replace(s, "$", "", 1)
}

// DOMID is the chart's element id prefix: ID, or "chart-" and a slug of the
// title.
func (c Chart) DOMID() string {
	if c.ID != "" {
		return c.ID
	}
	var b strings.Builder
	b.WriteString("chart")
	dash := true
	for _, r := range strings.ToLower(c.Title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	return b.String()
}

// EmptyText is the message shown when IsEmpty.
func (c Chart) EmptyText() string {
	if c.Empty != "" {
		return c.Empty
	}
	return "No data yet"
}

// IsEmpty reports whether the chart has nothing to draw: no labels, no
// series, or no valid point that is not zero. An all-zero chart would only
// draw a flat axis, so it shows the empty message instead.
func (c Chart) IsEmpty() bool {
	if len(c.Labels) == 0 {
		return true
	}
	for _, s := range c.Series {
		for i := range c.Labels {
			if v, ok := s.At(i); ok && v != 0 {
				return false
			}
		}
	}
	return true
}

// GoalText is the goal's legend entry, "Goal: 20%", or "" without a goal.
func (c Chart) GoalText() string {
	if c.Goal == nil {
		return ""
	}
	return c.goalName() + ": " + c.full(*c.Goal)
}

// ShareGoalText is a share bar's goal for the legend, "Goal: 20%": there
// the goal is a share of the whole in basis points, whatever the Unit.
func (c Chart) ShareGoalText() string {
	if c.Goal == nil {
		return ""
	}
	return c.goalName() + ": " + percent(*c.Goal)
}

func (c Chart) goalName() string {
	if c.GoalLabel != "" {
		return c.GoalLabel
	}
	return "Goal"
}

// minStep is the smallest axis step that makes sense for the unit: a whole
// thing, a whole dollar, a basis point, a tenth.
func (u Unit) minStep() int64 {
	if u == Cents {
		return 100
	}
	return 1
}

// Full is a value as the data table shows it: "1,200", "$12,000.50",
// "12.5%", "4.3", "5.0:1".
func (u Unit) Full(v int64) string {
	switch u {
	case Cents:
		a := abs(v)
		s := "$" + group(a/100) + "." + pad2(a%100)
		if v < 0 {
			return "-" + s
		}
		return s
	case BP:
		return percent(v)
	case Score:
		return tenths(v, true)
	case Ratio:
		return tenths(v, true) + ":1"
	default:
		return sign(v) + group(abs(v))
	}
}

// Short is a value as an axis or a bar label shows it, at most three
// significant digits: "1.2k", "$12k", "$1.25M", "20%", "4.5", "5:1".
func (u Unit) Short(v int64) string {
	switch u {
	case Cents:
		a := abs(v)
		var s string
		if a < 100_000 && a%100 != 0 { // under $1,000 with cents: round to dollars
			s = "$" + strconv.FormatInt((a+50)/100, 10)
		} else {
			s = "$" + compact(a/100)
		}
		if v < 0 && s != "$0" {
			return "-" + s
		}
		return s
	case BP:
		return percent(v)
	case Score:
		return tenths(v, false)
	case Ratio:
		return tenths(v, false) + ":1"
	default:
		return sign(v) + compact(abs(v))
	}
}

// compact writes n (≥ 0) with k, M, B, T suffixes and three significant
// digits: 950, 1.2k, 12.3k, 125k, 1.25M.
func compact(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10)
	}
	suffixes := []string{"k", "M", "B", "T"}
	div := int64(1000)
	i := 0
	for i < len(suffixes)-1 && n >= div*1000 {
		div *= 1000
		i++
	}
	for {
		scale := int64(1) // 10^decimals: three significant digits
		switch whole := n / div; {
		case whole < 10:
			scale = 100
		case whole < 100:
			scale = 10
		}
		unit := div / scale
		q := (n + unit/2) / unit // n/div rounded to the decimals
		if q >= 1000*scale && i < len(suffixes)-1 {
			div *= 1000 // 999.6k rounds to 1000k: say 1M
			i++
			continue
		}
		s := strconv.FormatInt(q/scale, 10)
		if scale > 1 {
			frac := strings.TrimRight(strconv.FormatInt(q%scale+scale, 10)[1:], "0")
			if frac != "" {
				s += "." + frac
			}
		}
		return s + suffixes[i]
	}
}

// percent writes basis points as a percentage without trailing zeros.
func percent(bp int64) string {
	a := abs(bp)
	s := group(a / 100)
	if f := a % 100; f != 0 {
		s += "." + strings.TrimRight(pad2(f), "0")
	}
	return sign(bp) + s + "%"
}

// tenths writes v/10: always one decimal when fixed, otherwise only when
// it is not zero.
func tenths(v int64, fixed bool) string {
	a := abs(v)
	s := group(a / 10)
	if fixed || a%10 != 0 {
		s += "." + strconv.FormatInt(a%10, 10)
	}
	return sign(v) + s
}

func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func sign(v int64) string {
	if v < 0 {
		return "-"
	}
	return ""
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
