package chart

import (
	"slices"
	"strings"
	"testing"
)

func ptr(v int64) *int64 { return &v }

var quarters = []string{"Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"}

func TestNiceAxis(t *testing.T) {
	for _, c := range []struct {
		name   string
		lo, hi int64
		unit   Unit
		want   Axis
	}{
		{"counts step 5", 0, 14, Count, Axis{0, 15, 5}},
		{"counts step 20", 0, 100, Count, Axis{0, 100, 20}},
		{"small counts stay whole", 0, 3, Count, Axis{0, 3, 1}},
		{"one thing", 1, 1, Count, Axis{0, 1, 1}},
		{"odd max rounds up", 0, 7, Count, Axis{0, 8, 2}},
		{"zero is always on the axis", 3, 9, Count, Axis{0, 10, 2}},
		{"all zero", 0, 0, Count, Axis{0, 5, 1}},
		{"money in whole dollars", 0, 1_234_567_89, Cents, Axis{0, 1_500_000_00, 500_000_00}},
		{"small money never ticks in cents", 0, 3_00, Cents, Axis{0, 3_00, 1_00}},
		{"refunds below zero", -30_000_00, 120_000_00, Cents, Axis{-50_000_00, 150_000_00, 50_000_00}},
		{"all negative", -7, -2, Count, Axis{-8, 0, 2}},
		{"shares", 0, 2500, BP, Axis{0, 2500, 500}},
		{"scores in tenths", 0, 43, Score, Axis{0, 50, 10}},
		{"reversed bounds", 14, 0, Count, Axis{0, 15, 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := NiceAxis(c.lo, c.hi, c.unit)
			if got != c.want {
				t.Fatalf("NiceAxis(%d, %d) = %+v, want %+v", c.lo, c.hi, got, c.want)
			}
			ticks := got.Ticks()
			if n := len(ticks) - 1; n < 1 || n > maxIntervals {
				t.Errorf("%d intervals: %v", n, ticks)
			}
			if !slices.Contains(ticks, 0) {
				t.Errorf("no zero tick in %v", ticks)
			}
			if got.Step%c.unit.minStep() != 0 {
				t.Errorf("step %d is not a whole %d", got.Step, c.unit.minStep())
			}
		})
	}
}

func TestNiceAxisStepsAre125(t *testing.T) {
	for hi := int64(1); hi < 200_000; hi = hi*3 + 1 {
		a := NiceAxis(0, hi, Count)
		s := a.Step
		for s%10 == 0 {
			s /= 10
		}
		if s != 1 && s != 2 && s != 5 {
			t.Errorf("hi %d: step %d", hi, a.Step)
		}
		if a.Max < hi || a.Max-a.Step >= hi {
			t.Errorf("hi %d: max %d is not the first step at or above it", hi, a.Max)
		}
	}
}

func TestScale(t *testing.T) {
	a := Axis{Min: -50, Max: 150, Step: 50}
	for v, want := range map[int64]float64{-50: 200, 0: 150, 150: 0, 100: 50} {
		if got := a.Scale(v, 200, 0); got != want {
			t.Errorf("Scale(%d) = %v, want %v", v, got, want)
		}
	}
}

func TestShortLabels(t *testing.T) {
	for _, c := range []struct {
		unit Unit
		v    int64
		want string
	}{
		{Cents, 1_200_000, "$12k"},
		{Cents, 120_000_000, "$1.2M"},
		{Cents, 125_000_000, "$1.25M"},
		{Cents, 1_234_567_89, "$1.23M"},
		{Cents, 50_000, "$500"},
		{Cents, 1_250, "$13"},
		{Cents, 0, "$0"},
		{Cents, -300_000, "-$3k"},
		{Cents, 99_960_000, "$1M"}, // $999,600 rounds up into millions
		{Cents, 250_000_000_000, "$2.5B"},
		{Count, 950, "950"},
		{Count, 1_200, "1.2k"},
		{Count, 12_345, "12.3k"},
		{Count, 999_999, "1M"},
		{Count, -4, "-4"},
		{BP, 2000, "20%"},
		{BP, 1250, "12.5%"},
		{BP, -500, "-5%"},
		{Score, 43, "4.3"},
		{Score, 50, "5"},
		{Ratio, 50, "5:1"},
		{Ratio, 55, "5.5:1"},
	} {
		if got := c.unit.Short(c.v); got != c.want {
			t.Errorf("Unit(%d).Short(%d) = %q, want %q", c.unit, c.v, got, c.want)
		}
	}
}

func TestFullLabels(t *testing.T) {
	for _, c := range []struct {
		unit Unit
		v    int64
		want string
	}{
		{Cents, 1_234_567_89, "$1,234,567.89"},
		{Cents, -150, "-$1.50"},
		{Cents, 5, "$0.05"},
		{Count, 1234, "1,234"},
		{Count, -1234, "-1,234"},
		{BP, 2475, "24.75%"},
		{Score, 40, "4.0"},
		{Ratio, 50, "5.0:1"},
	} {
		if got := c.unit.Full(c.v); got != c.want {
			t.Errorf("Unit(%d).Full(%d) = %q, want %q", c.unit, c.v, got, c.want)
		}
	}
}

func TestIsEmpty(t *testing.T) {
	for _, c := range []struct {
		name  string
		chart Chart
		empty bool
	}{
		{"no labels", Chart{Series: []Series{{Values: []int64{3}}}}, true},
		{"no series", Chart{Labels: quarters}, true},
		{"all zero", Chart{Labels: quarters, Series: []Series{{Values: make([]int64, 8)}}}, true},
		{"no valid point", Chart{Labels: []string{"a"}, Series: []Series{{Values: []int64{5}, Valid: []bool{false}}}}, true},
		{"values past the labels do not count", Chart{Labels: []string{"a"}, Series: []Series{{Values: []int64{0, 5}}}}, true},
		{"one refund", Chart{Labels: []string{"a"}, Series: []Series{{Values: []int64{-5}}}}, false},
		{"one point", Chart{Labels: quarters, Series: []Series{{Values: []int64{0, 0, 1}}}}, false},
	} {
		if got := c.chart.IsEmpty(); got != c.empty {
			t.Errorf("%s: IsEmpty = %v", c.name, got)
		}
	}
	if got := (Chart{}).EmptyText(); got != "No data yet" {
		t.Errorf("EmptyText = %q", got)
	}
}

func TestSeriesAt(t *testing.T) {
	s := Series{Values: []int64{1, 2, 3}, Valid: []bool{true, false}}
	for i, want := range []bool{true, false, false, false} {
		if _, ok := s.At(i); ok != want {
			t.Errorf("At(%d) valid = %v", i, ok)
		}
	}
	if v, ok := (Series{Values: []int64{7}}).At(0); !ok || v != 7 {
		t.Errorf("nil Valid: At(0) = %d, %v", v, ok)
	}
}

func TestDOMID(t *testing.T) {
	if got := (Chart{Title: "Referrals received & sent (8 quarters)"}).DOMID(); got != "chart-referrals-received-sent-8-quarters" {
		t.Errorf("DOMID = %q", got)
	}
	if got := (Chart{ID: "trend", Title: "x"}).DOMID(); got != "trend" {
		t.Errorf("DOMID = %q", got)
	}
}

func TestLinePlot(t *testing.T) {
	c := Chart{
		Labels: []string{"Q1", "Q2", "Q3", "Q4"},
		Series: []Series{{Name: "Received", Values: []int64{0, 5, 99, 10}, Valid: []bool{true, true, false, true}}},
	}
	p := c.LinePlot()
	if len(p.Lines) != 1 {
		t.Fatalf("%d lines", len(p.Lines))
	}
	l := p.Lines[0]
	if len(l.Points) != 3 {
		t.Fatalf("%d points, want 3 (one missing)", len(l.Points))
	}
	if got := strings.Count(l.Path, "M"); got != 2 {
		t.Errorf("path %q: %d segments, want 2 around the gap", l.Path, got)
	}
	// Axis 0..10 step 2: 0 on the bottom, 10 on the top, 5 half way.
	if l.Points[0].Y != p.Bottom || l.Points[2].Y != p.Top {
		t.Errorf("points %+v: want 0 at bottom %v and 10 at top %v", l.Points, p.Bottom, p.Top)
	}
	if mid := r1((p.Bottom + p.Top) / 2); l.Points[1].Y != mid {
		t.Errorf("5 at y %v, want %v", l.Points[1].Y, mid)
	}
	if !(l.Points[0].X < l.Points[1].X && l.Points[1].X < l.Points[2].X) {
		t.Errorf("x not increasing: %+v", l.Points)
	}
	if l.Points[1].Title != "Q2 · Received: 5" {
		t.Errorf("tooltip %q", l.Points[1].Title)
	}
	if got := len(p.YTicks); got != 6 {
		t.Errorf("%d ticks", got)
	}
	if p.Left <= 0 || p.Right > Width || p.Bottom >= p.H {
		t.Errorf("plot area %v..%v, bottom %v of %v", p.Left, p.Right, p.Bottom, p.H)
	}
}

func TestXLabelsFitOnAPhone(t *testing.T) {
	p := Chart{Labels: quarters, Series: []Series{{Values: []int64{1, 2, 3, 4, 5, 6, 7, 8}}}}.LinePlot()
	if len(p.XLabels) != 8 {
		t.Fatalf("%d x labels, want all 8 quarters", len(p.XLabels))
	}
	for _, l := range p.XLabels {
		if len(l.Lines) != 2 || l.Minor {
			t.Errorf("label %+v: want two lines (Q1 over 2024), shown on phones", l)
		}
	}
	// Long or many labels are thinned out so that the ones shown never
	// overlap, on phones (the larger font, minor labels hidden) too.
	for _, label := range []string{"September 2025", "2025-09", "Q3 '25", "Sep"} {
		for _, n := range []int{12, 24, 36} {
			labels := make([]string, n)
			for i := range labels {
				labels[i] = label
			}
			p := Chart{Labels: labels, Series: []Series{{Values: make([]int64, n)}}}.BarPlot()
			if p.XLabels[0].Minor {
				t.Errorf("%d × %q: the first label is hidden on phones", n, label)
			}
			widest := 0.0
			for _, l := range p.XLabels[0].Lines {
				widest = max(widest, textWidth(l, fontLarge))
			}
			var prev, prevPhone *XLabel
			for i := range p.XLabels {
				l := &p.XLabels[i]
				if prev != nil && l.X-prev.X < widest*fontSmall/fontLarge {
					t.Errorf("%d × %q: labels at %v and %v overlap on a wide screen", n, label, prev.X, l.X)
				}
				prev = l
				if l.Minor {
					continue
				}
				if prevPhone != nil && l.X-prevPhone.X < widest {
					t.Errorf("%d × %q: labels at %v and %v overlap on a phone", n, label, prevPhone.X, l.X)
				}
				prevPhone = l
			}
		}
	}
}

func TestBarPlotRefundsHangBelowZero(t *testing.T) {
	c := Chart{
		Labels: []string{"Q1", "Q2"},
		Unit:   Cents,
		Series: []Series{{Name: "Revenue", Values: []int64{100_000_00, -40_000_00}}, {Name: "Fees", Values: []int64{10_000_00, 0}}},
	}
	p := c.BarPlot()
	if !p.Negative {
		t.Error("axis with a refund is not marked negative")
	}
	var zero float64
	for _, tk := range p.YTicks {
		if tk.Zero {
			zero = tk.Pos
		}
	}
	if len(p.Bars) != 4 {
		t.Fatalf("%d bars, want 4 (a zero value is a bar of no height)", len(p.Bars))
	}
	up, down := p.Bars[0], p.Bars[2]
	if r1(up.Y+up.H) != zero || up.Y >= zero {
		t.Errorf("positive bar %+v does not stand on zero %v", up, zero)
	}
	if down.Y != zero || down.H <= 0 {
		t.Errorf("refund bar %+v does not hang from zero %v", down, zero)
	}
	if up.H <= down.H {
		t.Errorf("$100k bar (%v) not taller than the -$40k one (%v)", up.H, down.H)
	}
	if p.Bars[0].X >= p.Bars[1].X || p.Bars[1].Series != 1 {
		t.Errorf("grouped bars not side by side: %+v %+v", p.Bars[0], p.Bars[1])
	}
	if p.Bars[2].Title != "Q2 · Revenue: -$40,000.00" {
		t.Errorf("title %q", p.Bars[2].Title)
	}
	if p.YTicks[0].Label != "-$50k" {
		t.Errorf("lowest tick %q", p.YTicks[0].Label)
	}
}

func TestGoalLineWidensTheAxis(t *testing.T) {
	c := Chart{Labels: []string{"Q1", "Q2"}, Unit: BP, Goal: ptr(2000), Series: []Series{{Values: []int64{900, 1500}}}}
	p := c.LinePlot()
	if p.Goal == nil {
		t.Fatal("no goal line")
	}
	var at float64
	for _, tk := range p.YTicks {
		if tk.Label == "20%" {
			at = tk.Pos
		}
	}
	if at == 0 || p.Goal.Y1 != at || p.Goal.Y2 != at {
		t.Errorf("goal at y %v, the 20%% tick at %v", p.Goal.Y1, at)
	}
	if p.Goal.Label != "Goal 20%" || c.GoalText() != "Goal: 20%" {
		t.Errorf("goal label %q / %q", p.Goal.Label, c.GoalText())
	}
}

func TestHBarRowsWithShares(t *testing.T) {
	c := Chart{Labels: []string{"Gold", "Silver"}, Series: []Series{{Name: "Partners", Values: []int64{12, 8}}}}
	r := c.HBarRows(true)
	if len(r.Bars) != 2 || len(r.Values) != 2 {
		t.Fatalf("%d bars, %d values", len(r.Bars), len(r.Values))
	}
	if got := r.Bars[0].W / r.Bars[1].W; got < 1.49 || got > 1.51 {
		t.Errorf("12 vs 8 drawn as %v:1", got)
	}
	if r.Values[0].Text != "12 · 60%" || r.Values[1].Text != "8 · 40%" {
		t.Errorf("values %q %q", r.Values[0].Text, r.Values[1].Text)
	}
	if r.Names[0].Text != "Gold" || r.Names[0].Y >= r.Bars[0].Y {
		t.Errorf("name %+v not above its bar %+v", r.Names[0], r.Bars[0])
	}
	if end := r.Values[0].X; end > Width || end < r.Bars[0].X+r.Bars[0].W {
		t.Errorf("value at %v, bar ends at %v", end, r.Bars[0].X+r.Bars[0].W)
	}
	long := strings.Repeat("Prospect partner ", 10)
	r = Chart{Labels: []string{long}, Series: []Series{{Values: []int64{3}}}}.HBarRows(false)
	if !strings.HasSuffix(r.Names[0].Text, "…") || r.Names[0].Title != long {
		t.Errorf("long name not clipped: %+v", r.Names[0])
	}
}

func TestFunnelRows(t *testing.T) {
	c := Chart{Labels: []string{"Submitted", "Accepted", "Won"}, Series: []Series{{Name: "Referrals", Values: []int64{120, 60, 3}}}}
	r := c.FunnelRows()
	var texts []string
	for _, v := range r.Values {
		texts = append(texts, v.Text)
	}
	if want := []string{"120", "60 · 50%", "3 · 2.5%"}; !slices.Equal(texts, want) {
		t.Errorf("values %q, want %q", texts, want)
	}
	if r.Bars[0].W != Width || r.Bars[1].W != Width/2 {
		t.Errorf("widths %v %v", r.Bars[0].W, r.Bars[1].W)
	}
	for _, b := range r.Bars {
		if mid := r1(b.X + b.W/2); mid != Width/2 {
			t.Errorf("bar %+v not centred", b)
		}
	}
	if got := FunnelShare(5, 0); got != "—" {
		t.Errorf("share of an empty first stage = %q", got)
	}
	tbl := c.FunnelTable()
	if got := tbl.Rows[2].Cells; got[1].Text != "2.5%" || got[2].Text != "5%" {
		t.Errorf("won row %+v", got)
	}
}

func TestShareRowsTopThree(t *testing.T) {
	// The worked example: the top 3 bring $700,000 of $1,000,000.
	c := Chart{Labels: []string{"Top 3 partners", "Other partners"}, Unit: Cents, Goal: ptr(2000),
		Series: []Series{{Name: "Revenue", Values: []int64{700_000_00, 300_000_00}}}}
	r := c.ShareRows()
	if len(r.Bars) != 2 || r.Bars[0].W != 280 || r.Bars[1].X != 280 || r.Bars[1].W != 120 {
		t.Fatalf("segments %+v", r.Bars)
	}
	if r.Bars[1].Series != 1 {
		t.Error("second part has the first part's fill")
	}
	if len(r.Inside) != 2 || r.Inside[0].Text != "70%" || r.Inside[1].Text != "30%" {
		t.Errorf("inside labels %+v", r.Inside)
	}
	if r.Goal == nil || r.Goal.X1 != 80 || r.Goal.Label != "Goal 20%" {
		t.Errorf("goal %+v", r.Goal)
	}
	tbl := c.ShareTable()
	last := tbl.Rows[len(tbl.Rows)-1]
	if last.Head != "Total" || last.Cells[0].Text != "$1,000,000.00" || tbl.Rows[0].Cells[1].Text != "70%" {
		t.Errorf("table %+v", tbl.Rows)
	}
	if got := c.ShareLegend(); got[0].Name != "Top 3 partners 70%" {
		t.Errorf("legend %+v", got)
	}
}

func TestSeriesTableMarksMissing(t *testing.T) {
	c := Chart{Title: "Referrals", LabelHeader: "Quarter", Labels: []string{"Q1", "Q2"}, Goal: ptr(4),
		Series: []Series{{Name: "Received", Values: []int64{3, 1234}}, {Name: "Sent", Values: []int64{2, 0}, Valid: []bool{true, false}}}}
	tbl := c.SeriesTable()
	if !slices.Equal(tbl.Head, []string{"Quarter", "Received", "Sent"}) {
		t.Errorf("head %q", tbl.Head)
	}
	if got := tbl.Rows[1]; got.Head != "Q2" || got.Cells[0].Text != "1,234" || !got.Cells[1].Missing {
		t.Errorf("row %+v", got)
	}
	if tbl.Caption != "Referrals" || tbl.Note != "Goal: 4" {
		t.Errorf("caption %q note %q", tbl.Caption, tbl.Note)
	}
}

func TestSummaries(t *testing.T) {
	c := Chart{LabelHeader: "Quarter", Labels: quarters, Unit: BP, Goal: ptr(2000),
		Series: []Series{{Name: "Share", Values: []int64{1200, 2500, 1800, 1900, 2000, 2100, 2200, 2300}}}}
	want := "Line chart of 8 quarters, Q1 2024 to Q4 2025. Share: from 12% to 25%, last 23%. Goal: 20%. Every value is in the data table."
	if got := c.TrendSummary("Line chart"); got != want {
		t.Errorf("TrendSummary:\n got %q\nwant %q", got, want)
	}
	tiers := Chart{Labels: []string{"Gold", "Silver"}, Series: []Series{{Values: []int64{3, 1}}}}
	if got := tiers.ListSummary("Share bar", true); got != "Share bar. Gold: 3 (75%). Silver: 1 (25%). Every value is in the data table." {
		t.Errorf("ListSummary %q", got)
	}
	if got := (Chart{Desc: "Mine"}).TrendSummary("x"); got != "Mine" {
		t.Errorf("Desc ignored: %q", got)
	}
}

func TestCurrency(t *testing.T) {
	c := Chart{Labels: []string{"Q1"}, Unit: Cents, Currency: "EUR", Series: []Series{{Name: "Revenue", Values: []int64{-1_200_000}}}}
	if got := c.SeriesTable().Rows[0].Cells[0].Text; got != "EUR -12,000.00" {
		t.Errorf("table %q", got)
	}
	if got := c.BarPlot().YTicks[0].Label; got != "EUR -15k" {
		t.Errorf("tick %q", got)
	}
	c.Currency = "USD"
	if got := c.full(1_200_000); got != "$12,000.00" {
		t.Errorf("USD %q", got)
	}
}
