package chart

import (
	"strconv"
	"strings"
)

// Table is the data behind a chart, for the <table> beside it: the same
// numbers, written in full.
type Table struct {
	Caption string
	Head    []string // column headings; the first heads the row headers
	Rows    []Row
	Note    string // e.g. "Goal: 20%"
}

// Row is one row of a Table: a header cell and the values.
type Row struct {
	Head  string
	Cells []Cell
}

// Cell is one value; Missing cells show "—" (and "no data" to screen
// readers).
type Cell struct {
	Text    string
	Missing bool
}

func (c Chart) labelHeader(def string) string {
	if c.LabelHeader != "" {
		return c.LabelHeader
	}
	return def
}

func (c Chart) seriesName(si int) string {
	if si < len(c.Series) && c.Series[si].Name != "" {
		return c.Series[si].Name
	}
	return "Value"
}

func (c Chart) cell(s Series, i int) Cell {
	v, ok := s.At(i)
	if !ok {
		return Cell{Text: "—", Missing: true}
	}
	return Cell{Text: c.full(v)}
}

// SeriesTable is the table of a line or bar chart: a row per label, a
// column per series.
func (c Chart) SeriesTable() Table {
	t := Table{Caption: c.Title, Head: []string{c.labelHeader("Period")}, Note: c.GoalText()}
	for si := range c.Series {
		t.Head = append(t.Head, c.seriesName(si))
	}
	for i, l := range c.Labels {
		r := Row{Head: l}
		for _, s := range c.Series {
			r.Cells = append(r.Cells, c.cell(s, i))
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}

// HBarTable is the table of a horizontal bar chart: a row per label, a
// column per series and, with shares, each series' share of its total.
func (c Chart) HBarTable(shares bool) Table {
	t := Table{Caption: c.Title, Head: []string{c.labelHeader("Category")}, Note: c.GoalText()}
	totals := c.totals()
	for si := range c.Series {
		t.Head = append(t.Head, c.seriesName(si))
		if shares {
			t.Head = append(t.Head, "Share of "+strings.ToLower(c.seriesName(si)))
		}
	}
	for i, l := range c.Labels {
		r := Row{Head: l}
		for si, s := range c.Series {
			r.Cells = append(r.Cells, c.cell(s, i))
			if shares {
				if v, ok := s.At(i); ok && totals[si] > 0 {
					r.Cells = append(r.Cells, Cell{Text: percent(ShareBP(v, totals[si]))})
				} else {
					r.Cells = append(r.Cells, Cell{Text: "—", Missing: true})
				}
			}
		}
		t.Rows = append(t.Rows, r)
	}
	if shares && len(c.Series) == 1 {
		r := Row{Head: "Total", Cells: []Cell{{Text: c.full(totals[0])}, {Text: "100%"}}}
		t.Rows = append(t.Rows, r)
	}
	return t
}

// FunnelTable is the table of a funnel: each stage's count, its share of
// the first stage and of the stage before.
func (c Chart) FunnelTable() Table {
	t := Table{Caption: c.Title, Head: []string{c.labelHeader("Stage"), c.seriesName(0), "% of first stage", "% of previous stage"}}
	var s Series
	if len(c.Series) > 0 {
		s = c.Series[0]
	}
	first, _ := s.At(0)
	for i, l := range c.Labels {
		r := Row{Head: l, Cells: []Cell{c.cell(s, i)}}
		v, ok := s.At(i)
		prev, pok := s.At(i - 1)
		switch {
		case !ok:
			r.Cells = append(r.Cells, Cell{Text: "—", Missing: true}, Cell{Text: "—", Missing: true})
		default:
			r.Cells = append(r.Cells, pctCell(v, first))
			if i == 0 || !pok {
				r.Cells = append(r.Cells, Cell{Text: "—", Missing: true})
			} else {
				r.Cells = append(r.Cells, pctCell(v, prev))
			}
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}

func pctCell(v, of int64) Cell {
	if of <= 0 {
		return Cell{Text: "—", Missing: true}
	}
	return Cell{Text: percent(ShareBP(v, of))}
}

// ShareTable is the table of a share bar: each part's value and share,
// and the total.
func (c Chart) ShareTable() Table {
	t := Table{Caption: c.Title, Head: []string{c.labelHeader("Part"), c.seriesName(0), "Share"}}
	t.Note = c.ShareGoalText()
	var s Series
	if len(c.Series) > 0 {
		s = c.Series[0]
	}
	total := c.totals()
	var sum int64
	if len(total) > 0 {
		sum = total[0]
	}
	for i, l := range c.Labels {
		r := Row{Head: l, Cells: []Cell{c.cell(s, i)}}
		if v, ok := s.At(i); ok && sum > 0 {
			r.Cells = append(r.Cells, Cell{Text: percent(ShareBP(v, sum))})
		} else {
			r.Cells = append(r.Cells, Cell{Text: "—", Missing: true})
		}
		t.Rows = append(t.Rows, r)
	}
	t.Rows = append(t.Rows, Row{Head: "Total", Cells: []Cell{{Text: c.full(sum)}, {Text: "100%"}}})
	return t
}

// Legend is one entry of a chart's legend.
type Legend struct {
	Series int
	Name   string
}

// Legend lists the series (for a share bar, the parts with their shares).
func (c Chart) Legend() []Legend {
	var l []Legend
	for si := range c.Series {
		l = append(l, Legend{Series: si, Name: c.seriesName(si)})
	}
	return l
}

// ShareLegend lists a share bar's parts with their shares: "Top 3 partners
// 70%".
func (c Chart) ShareLegend() []Legend {
	var s Series
	if len(c.Series) > 0 {
		s = c.Series[0]
	}
	total := c.totals()
	var l []Legend
	for i, name := range c.Labels {
		v, ok := s.At(i)
		if !ok || len(total) == 0 {
			continue
		}
		l = append(l, Legend{Series: i, Name: name + " " + shareText(v, total[0])})
	}
	return l
}

// TrendSummary is the description screen readers hear for a line or bar
// chart: Desc, or a sentence per series written from the data, e.g. "Line
// chart of 8 quarters, Q1 2024 to Q4 2025. Received: from 2 to 14, last
// 12. Goal: 20%. Every value is in the data table."
func (c Chart) TrendSummary(kind string) string {
	if c.Desc != "" {
		return c.Desc
	}
	var b strings.Builder
	n := len(c.Labels)
	b.WriteString(kind)
	switch {
	case n == 1:
		b.WriteString(", " + c.Labels[0] + ".")
	case n > 1:
		b.WriteString(" of " + strconv.Itoa(n) + " " + plural(strings.ToLower(c.labelHeader("item")), n) +
			", " + c.Labels[0] + " to " + c.Labels[n-1] + ".")
	default:
		b.WriteString(".")
	}
	for _, s := range c.Series {
		lo, hi, last, seen := int64(0), int64(0), int64(0), false
		for i := range n {
			v, ok := s.At(i)
			if !ok {
				continue
			}
			if !seen {
				lo, hi = v, v
			}
			lo, hi, last, seen = min(lo, v), max(hi, v), v, true
		}
		name := s.Name
		if name == "" {
			name = "Values"
		}
		if !seen {
			b.WriteString(" " + name + ": no data.")
			continue
		}
		b.WriteString(" " + name + ": from " + c.full(lo) + " to " + c.full(hi) + ", last " + c.full(last) + ".")
	}
	if g := c.GoalText(); g != "" {
		b.WriteString(" " + g + ".")
	}
	b.WriteString(" Every value is in the data table.")
	return b.String()
}

// ListSummary is the description of a chart of categories (horizontal
// bars, funnel, share bar): Desc, or each label with its values, e.g.
// "Horizontal bar chart. Gold: 12. Silver: 20. Every value is in the data
// table." Past ten labels the rest are counted, not listed. For a share bar
// (share true) each value's share follows and the goal is a share.
func (c Chart) ListSummary(kind string, share bool) string {
	if c.Desc != "" {
		return c.Desc
	}
	var b strings.Builder
	b.WriteString(kind + ".")
	totals := c.totals()
	const most = 10
	for i, l := range c.Labels {
		if i == most {
			b.WriteString(" And " + strconv.Itoa(len(c.Labels)-most) + " more.")
			break
		}
		var parts []string
		for si, s := range c.Series {
			v, ok := s.At(i)
			t := "no data"
			if ok {
				t = c.full(v)
				if share {
					t += " (" + shareText(v, totals[si]) + ")"
				}
			}
			if len(c.Series) > 1 {
				t = c.seriesName(si) + " " + t
			}
			parts = append(parts, t)
		}
		b.WriteString(" " + l + ": " + strings.Join(parts, ", ") + ".")
	}
	if c.Goal != nil {
		g := c.GoalText()
		if share {
			g = c.ShareGoalText()
		}
		b.WriteString(" " + g + ".")
	}
	b.WriteString(" Every value is in the data table.")
	return b.String()
}

func plural(word string, n int) string {
	if n == 1 || strings.HasSuffix(word, "s") {
		return word
	}
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ey") {
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}
