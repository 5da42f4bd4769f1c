package chart

import (
	"math"
	"strconv"
	"strings"
)

// Every chart is drawn in a viewBox 400 units wide and scaled to its
// container (at most 30rem wide). Text is 13 units on wide screens and 14
// on phones (the stylesheet's "charts" section), where the SVG shrinks to
// about four fifths; layouts reserve room for the larger size so nothing
// collides on a phone.
const (
	Width         = 400.0
	defaultHeight = 220
	fontLarge     = 14.0 // the phone font, used to reserve room for text
	fontSmall     = 13.0 // the desktop font
	charWidth     = 0.6  // average glyph width as a share of the font size
	lineHeight    = 1.2
)

// textWidth estimates how wide s is at font size f.
func textWidth(s string, f float64) float64 {
	return float64(len([]rune(s))) * charWidth * f
}

// r1 rounds a coordinate to a tenth of a unit: enough for the eye, short in
// the markup.
func r1(f float64) float64 { return math.Round(f*10) / 10 }

// num writes a coordinate for an SVG attribute or path.
func num(f float64) string { return strconv.FormatFloat(r1(f), 'f', -1, 64) }

// Frame is the drawing's viewBox.
type Frame struct {
	W, H float64
}

// ViewBox is the value of the svg's viewBox attribute.
func (f Frame) ViewBox() string { return "0 0 " + num(f.W) + " " + num(f.H) }

// Tick is one labelled gridline of the value axis.
type Tick struct {
	Pos   float64 // y of a vertical axis
	Label string
	Zero  bool // the zero line, drawn stronger when there are negatives
}

// XLabel is the label of one band of a line or bar chart, in one or two
// lines. Minor labels are hidden on phones to make room for the rest.
type XLabel struct {
	X     float64
	Lines []string
	Minor bool
}

// Point is one point of a line with its marker and tooltip.
type Point struct {
	X, Y   float64
	Marker string // path data of the series' marker shape at the point
	Title  string // "Q1 2025 · Received: 12"
}

// Line is one series of a line chart: Path breaks where points are missing.
type Line struct {
	Series int // index of the series (its colour, dash and marker)
	Name   string
	Path   string
	Points []Point
}

// Bar is one rectangle of a bar chart, a horizontal bar or a funnel stage.
type Bar struct {
	X, Y, W, H float64
	Series     int
	Title      string
}

// GoalLine is the dashed goal line and its label.
type GoalLine struct {
	X1, Y1, X2, Y2 float64
	LabelX, LabelY float64
	Anchor         string // text-anchor of the label: start, middle or end
	Label          string // "Goal 20%"
}

// Plot is the geometry of a line or (vertical) bar chart.
type Plot struct {
	Frame
	Left, Right, Top, Bottom float64 // the plot area
	YTicks                   []Tick
	XLabels                  []XLabel
	XLabelY                  float64 // baseline of the first line of X labels
	Lines                    []Line
	Bars                     []Bar
	Goal                     *GoalLine
	Negative                 bool // the axis goes below zero
}

// plotFrame lays out the axes shared by line and bar charts.
func (c Chart) plotFrame() (Plot, Axis) {
	h := float64(c.Height)
	if h <= 0 {
		h = defaultHeight
	}
	ax := c.axis()
	p := Plot{Frame: Frame{W: Width, H: h}}
	widest := 0.0
	for _, v := range ax.Ticks() {
		widest = max(widest, textWidth(c.short(v), fontLarge))
	}
	p.Left = r1(widest + 10)
	p.Right = Width - 8
	p.Top = 12

	n := len(c.Labels)
	band := (p.Right - p.Left) / float64(max(n, 1))
	// Split labels that do not fit their band into two lines ("Q1" over
	// "2025"), then thin them out if even that is too wide.
	lines := make([][]string, n)
	twoLines := false
	widestLine := 0.0
	for i, l := range c.Labels {
		lines[i] = []string{l}
		if textWidth(l, fontLarge) > band-4 {
			if a, b, ok := splitLabel(l); ok {
				lines[i] = []string{a, b}
				twoLines = true
			}
		}
		for _, s := range lines[i] {
			widestLine = max(widestLine, textWidth(s, fontLarge))
		}
	}
	everyDesk := max(1, int(math.Ceil(widestLine*fontSmall/fontLarge/(band-4))))
	everyPhone := max(1, int(math.Ceil(widestLine/(band-4))))
	everyPhone = (everyPhone + everyDesk - 1) / everyDesk * everyDesk // phones show a subset
	p.Bottom = h - 6 - fontLarge*lineHeight
	if twoLines {
		p.Bottom -= fontLarge * lineHeight
	}
	p.XLabelY = p.Bottom + fontLarge + 4
	for i := range c.Labels {
		if i%everyDesk != 0 {
			continue
		}
		p.XLabels = append(p.XLabels, XLabel{
			X:     r1(p.Left + band*(float64(i)+0.5)),
			Lines: lines[i],
			Minor: i%everyPhone != 0,
		})
	}
	for _, v := range ax.Ticks() {
		p.YTicks = append(p.YTicks, Tick{Pos: r1(ax.Scale(v, p.Bottom, p.Top)), Label: c.short(v), Zero: v == 0})
	}
	p.Negative = ax.Min < 0
	if c.Goal != nil {
		y := r1(ax.Scale(*c.Goal, p.Bottom, p.Top))
		// The label sits at the left end, above the line: trends tend to
		// start below their goal, so it rarely covers a point there.
		g := &GoalLine{X1: p.Left, Y1: y, X2: p.Right, Y2: y, LabelX: r1(p.Left + 4), LabelY: r1(y - 4), Anchor: "start",
			Label: c.goalName() + " " + c.short(*c.Goal)}
		if y-4-fontLarge < 0 {
			g.LabelY = r1(y + fontLarge + 2)
		}
		p.Goal = g
	}
	return p, ax
}

// splitLabel breaks a label at the space nearest its middle.
func splitLabel(l string) (string, string, bool) {
	best := -1
	mid := len(l) / 2
	for i, r := range l {
		if r == ' ' && (best < 0 || abs(int64(i-mid)) < abs(int64(best-mid))) {
			best = i
		}
	}
	if best <= 0 {
		return "", "", false
	}
	return l[:best], strings.TrimSpace(l[best+1:]), true
}

// bandCenter is the x of the middle of band i.
func (p Plot) bandCenter(i, n int) float64 {
	band := (p.Right - p.Left) / float64(max(n, 1))
	return p.Left + band*(float64(i)+0.5)
}

// pointTitle is the tooltip of one value: "Q1 2025 · Received: 12".
func (c Chart) pointTitle(i int, s Series) string {
	v, _ := s.At(i)
	t := c.Labels[i] + " · "
	if s.Name != "" {
		t += s.Name + ": "
	}
	return t + c.full(v)
}

// LinePlot lays out a line chart: one line per series (at most three are
// told apart by dash and marker; more repeat them), points at the middle of
// each label's band, gaps where a point is missing.
func (c Chart) LinePlot() Plot {
	p, ax := c.plotFrame()
	n := len(c.Labels)
	for si, s := range c.Series {
		l := Line{Series: si, Name: s.Name}
		var d strings.Builder
		pen := false
		for i := range n {
			v, ok := s.At(i)
			if !ok {
				pen = false
				continue
			}
			x, y := p.bandCenter(i, n), ax.Scale(v, p.Bottom, p.Top)
			if pen {
				d.WriteString(" L")
			} else {
				if d.Len() > 0 {
					d.WriteByte(' ')
				}
				d.WriteString("M")
			}
			d.WriteString(num(x) + " " + num(y))
			pen = true
			l.Points = append(l.Points, Point{X: r1(x), Y: r1(y), Marker: Marker(si, x, y), Title: c.pointTitle(i, s)})
		}
		l.Path = d.String()
		p.Lines = append(p.Lines, l)
	}
	return p
}

// Marker is the path of series si's point marker centred on (x, y): a
// circle, a square, a triangle, a diamond, then again.
func Marker(si int, x, y float64) string {
	const r = 4.0
	switch si % 4 {
	case 1:
		return "M" + num(x-r) + " " + num(y-r) + "h" + num(2*r) + "v" + num(2*r) + "h" + num(-2*r) + "Z"
	case 2:
		return "M" + num(x) + " " + num(y-r-1) + "L" + num(x+r+1) + " " + num(y+r) + "L" + num(x-r-1) + " " + num(y+r) + "Z"
	case 3:
		return "M" + num(x) + " " + num(y-r-1) + "L" + num(x+r+1) + " " + num(y) + "L" + num(x) + " " + num(y+r+1) + "L" + num(x-r-1) + " " + num(y) + "Z"
	default:
		return "M" + num(x-r) + " " + num(y) + "a" + num(r) + " " + num(r) + " 0 1 0 " + num(2*r) + " 0a" + num(r) + " " + num(r) + " 0 1 0 " + num(-2*r) + " 0Z"
	}
}

// BarPlot lays out a vertical bar chart: per label, one bar per series side
// by side (received vs sent), rising from zero (falling for negatives).
func (c Chart) BarPlot() Plot {
	p, ax := c.plotFrame()
	n := len(c.Labels)
	ns := max(len(c.Series), 1)
	band := (p.Right - p.Left) / float64(max(n, 1))
	group := band * 0.72
	bw := group / float64(ns)
	gap := 0.0
	if ns > 1 {
		gap = min(2, bw*0.15)
	}
	zero := ax.Scale(0, p.Bottom, p.Top)
	for i := range n {
		x0 := p.bandCenter(i, n) - group/2
		for si, s := range c.Series {
			v, ok := s.At(i)
			if !ok {
				continue
			}
			y := ax.Scale(v, p.Bottom, p.Top)
			top, bottom := min(y, zero), max(y, zero)
			if v != 0 && bottom-top < 1 { // a tiny value still shows
				if v > 0 {
					top = bottom - 1
				} else {
					bottom = top + 1
				}
			}
			p.Bars = append(p.Bars, Bar{
				X: r1(x0 + float64(si)*bw + gap/2), Y: r1(top), W: r1(bw - gap), H: r1(bottom - top),
				Series: si, Title: c.pointTitle(i, s),
			})
		}
	}
	return p
}

// RowLabel is the name and the value text of one row of a horizontal chart.
type RowLabel struct {
	X, Y   float64
	Text   string
	Anchor string
	Title  string // the full text when Text was shortened
}

// Rows is the geometry of a horizontal bar chart, a funnel or a share bar.
type Rows struct {
	Frame
	Zero   float64 // x of zero (a line is drawn there when Negative)
	Bars   []Bar
	Names  []RowLabel
	Values []RowLabel
	// Inside are labels drawn on a share bar's segments (percentages).
	Inside   []RowLabel
	Goal     *GoalLine
	Negative bool
}

const (
	rowNameH = fontLarge * lineHeight // the name line above each bar
	rowBarH  = 16.0
	rowGap   = 12.0
)

// HBarRows lays out horizontal bars, one row per label with its name above
// the bars and each value at the end of its bar (with its share of the
// total when shares is true: "12 · 40%"). Several series give several bars
// per row.
func (c Chart) HBarRows(shares bool) Rows {
	r := Rows{Frame: Frame{W: Width}}
	lo, hi, _ := c.dataRange()
	lo, hi = min(lo, 0), max(hi, 0)
	totals := c.totals()
	valueText := func(si, i int, v int64) string {
		t := c.short(v)
		if shares {
			t += " · " + shareText(v, totals[si])
		}
		return t
	}
	widest := 0.0
	for si, s := range c.Series {
		for i := range c.Labels {
			if v, ok := s.At(i); ok {
				widest = max(widest, textWidth(valueText(si, i, v), fontLarge))
			}
		}
	}
	space := widest + 8
	left, right := 0.0, Width-space
	r.Negative = lo < 0
	if r.Negative {
		left = space
	}
	scale := func(v int64) float64 {
		if hi == lo {
			return left
		}
		return left + float64(v-lo)/float64(hi-lo)*(right-left)
	}
	r.Zero = r1(scale(0))
	y := 0.0
	if c.Goal != nil {
		y = fontLarge + 6
	}
	top := y
	ns := max(len(c.Series), 1)
	for i, l := range c.Labels {
		name, full := clip(l, Width)
		r.Names = append(r.Names, RowLabel{X: 0, Y: r1(y + fontLarge), Text: name, Anchor: "start", Title: full})
		y += rowNameH + 3
		for si, s := range c.Series {
			v, ok := s.At(i)
			if ok {
				x := scale(v)
				x0, x1 := min(x, r.Zero), max(x, r.Zero)
				if v != 0 && x1-x0 < 1 {
					x1 = x0 + 1
				}
				r.Bars = append(r.Bars, Bar{X: r1(x0), Y: r1(y), W: r1(x1 - x0), H: rowBarH, Series: si, Title: c.pointTitle(i, s)})
				vl := RowLabel{X: r1(x1 + 6), Y: r1(y + rowBarH - 3), Text: valueText(si, i, v), Anchor: "start"}
				if v < 0 {
					vl.X, vl.Anchor = r1(x0-6), "end"
				}
				r.Values = append(r.Values, vl)
			}
			y += rowBarH
			if si < ns-1 {
				y += 3
			}
		}
		y += rowGap
	}
	r.H = r1(y)
	if c.Goal != nil {
		x := r1(scale(*c.Goal))
		r.Goal = &GoalLine{X1: x, Y1: top - 2, X2: x, Y2: r1(y - rowGap + 2), LabelX: x, LabelY: fontLarge, Anchor: "middle",
			Label: c.goalName() + " " + c.short(*c.Goal)}
		r.Goal.Anchor = anchorNear(x, textWidth(r.Goal.Label, fontLarge))
	}
	return r
}

// anchorNear keeps a label of width w centred on x inside the frame.
func anchorNear(x, w float64) string {
	switch {
	case x-w/2 < 0:
		return "start"
	case x+w/2 > Width:
		return "end"
	}
	return "middle"
}

// clip shortens a label to what fits in width at the phone font size; the
// second result is the full label when it was shortened.
func clip(l string, width float64) (string, string) {
	maxChars := int(width / (charWidth * fontLarge))
	rs := []rune(l)
	if len(rs) <= maxChars {
		return l, ""
	}
	return strings.TrimSpace(string(rs[:maxChars-1])) + "…", l
}

// totals is the sum of each series' valid positive values.
func (c Chart) totals() []int64 {
	t := make([]int64, len(c.Series))
	for si, s := range c.Series {
		for i := range c.Labels {
			if v, ok := s.At(i); ok && v > 0 {
				t[si] += v
			}
		}
	}
	return t
}

// shareText is v as a whole-percent share of total ("40%", "<1%"), or "—"
// without a total.
func shareText(v, total int64) string {
	if total <= 0 {
		return "—"
	}
	bp := ShareBP(v, total)
	if v > 0 && bp < 50 {
		return "<1%"
	}
	return strconv.FormatInt((bp+50)/100, 10) + "%"
}

// ShareBP is part as basis points of whole, rounded half away from zero; 0
// when whole is not positive.
func ShareBP(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	p := float64(part) * 10000 / float64(whole)
	return int64(math.Round(p))
}

// FunnelRows lays out a funnel from the first series: one stage per label,
// each bar centred and as wide as its count relative to the largest stage,
// the stage's name above it on the left and "count · % of first" on the
// right.
func (c Chart) FunnelRows() Rows {
	r := Rows{Frame: Frame{W: Width}}
	var s Series
	if len(c.Series) > 0 {
		s = c.Series[0]
	}
	var most int64
	for i := range c.Labels {
		if v, ok := s.At(i); ok {
			most = max(most, v)
		}
	}
	first, _ := s.At(0)
	y := 0.0
	for i, l := range c.Labels {
		v, ok := s.At(i)
		value := "—"
		if ok {
			value = c.short(v)
			if i > 0 {
				value += " · " + FunnelShare(v, first)
			}
		}
		vw := textWidth(value, fontLarge)
		name, full := clip(l, Width-vw-12)
		r.Names = append(r.Names, RowLabel{X: 0, Y: r1(y + fontLarge), Text: name, Anchor: "start", Title: full})
		r.Values = append(r.Values, RowLabel{X: Width, Y: r1(y + fontLarge), Text: value, Anchor: "end"})
		y += rowNameH + 3
		if ok && most > 0 && v > 0 {
			w := max(2, float64(v)/float64(most)*Width)
			r.Bars = append(r.Bars, Bar{X: r1((Width - w) / 2), Y: r1(y), W: r1(w), H: rowBarH + 4, Series: 0, Title: c.pointTitle(i, s)})
		}
		y += rowBarH + 4 + rowGap
	}
	r.H = r1(y - rowGap + 2)
	return r
}

// FunnelShare is v as a percentage of the first stage with one decimal
// below 10% ("67%", "2.5%"), or "—" when the first stage is empty.
func FunnelShare(v, first int64) string {
	if first <= 0 {
		return "—"
	}
	bp := ShareBP(v, first)
	if bp < 1000 {
		return percent((bp + 5) / 10 * 10)
	}
	return percent((bp + 50) / 100 * 100)
}

// ShareRows lays out one bar split into the first series' parts (the top 3
// partners and the rest), each segment as wide as its share of the total,
// labelled with its percentage when it fits. The goal, if any, is a share
// of the whole in basis points.
func (c Chart) ShareRows() Rows {
	r := Rows{Frame: Frame{W: Width}}
	var s Series
	if len(c.Series) > 0 {
		s = c.Series[0]
	}
	total := int64(0)
	for i := range c.Labels {
		if v, ok := s.At(i); ok && v > 0 {
			total += v
		}
	}
	top := 2.0
	if c.Goal != nil {
		top = fontLarge + 8
	}
	const h = 36.0
	x := 0.0
	for i := range c.Labels {
		v, ok := s.At(i)
		if !ok || v <= 0 || total == 0 {
			continue
		}
		w := float64(v) / float64(total) * Width
		r.Bars = append(r.Bars, Bar{X: r1(x), Y: top, W: r1(w), H: h, Series: i,
			Title: c.Labels[i] + ": " + c.full(v) + " (" + shareText(v, total) + ")"})
		if t := shareText(v, total); textWidth(t, fontLarge)+8 <= w {
			r.Inside = append(r.Inside, RowLabel{X: r1(x + w/2), Y: r1(top + h/2 + fontSmall*0.35), Text: t, Anchor: "middle"})
		}
		x += w
	}
	r.H = top + h + 2
	if c.Goal != nil {
		gx := r1(float64(*c.Goal) / 10000 * Width)
		gx = min(max(gx, 1), Width-1)
		r.Goal = &GoalLine{X1: gx, Y1: top - 4, X2: gx, Y2: top + h + 2, LabelX: gx, LabelY: fontLarge,
			Label: c.goalName() + " " + percent(*c.Goal)}
		r.Goal.Anchor = anchorNear(gx, textWidth(r.Goal.Label, fontLarge))
		r.H += 2
	}
	return r
}
