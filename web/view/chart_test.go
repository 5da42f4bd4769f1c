package view

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/allyway/allyway/internal/chart"
)

func chartTestPtr(v int64) *int64 { return &v }

var chartTestQuarters = []string{"Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"}

// demoCharts are the charts of the demo page and of the render test: each
// kind as the scorecard and the program dashboard use them.
func demoCharts() map[string]templ.Component {
	return map[string]templ.Component{
		"line": LineChart(chart.Chart{
			Title: "Referrals per quarter", LabelHeader: "Quarter", Labels: chartTestQuarters,
			Series: []chart.Series{
				{Name: "Received", Values: []int64{3, 5, 4, 8, 7, 11, 9, 12}},
				{Name: "Sent", Values: []int64{6, 4, 0, 5, 6, 4, 7, 2}, Valid: []bool{true, true, false, true, true, true, true, true}},
				{Name: "Won", Values: []int64{1, 2, 2, 3, 2, 5, 4, 6}},
			},
		}),
		"line-goal": LineChart(chart.Chart{
			Title: "Partner share of new revenue", LabelHeader: "Quarter", Labels: chartTestQuarters, Unit: chart.BP,
			Series: []chart.Series{{Name: "Partner-sourced share", Values: []int64{1200, 1450, 1600, 1525, 1900, 2150, 2300, 2475}}},
			Goal:   chartTestPtr(2000), GoalLabel: "Goal",
		}),
		"bar": BarChart(chart.Chart{
			Title: "Revenue from referrals", LabelHeader: "Quarter", Labels: chartTestQuarters, Unit: chart.Cents,
			Series: []chart.Series{
				{Name: "Received", Values: []int64{12_000_00, 45_500_00, 30_000_00, 88_250_00, 61_000_00, 120_000_00, 95_000_00, 143_210_55}},
				{Name: "Sent", Values: []int64{30_000_00, 22_000_00, -8_000_00, 40_000_00, 55_000_00, 35_000_00, 70_000_00, 52_000_00}},
			},
		}),
		"roi": BarChart(chart.Chart{
			Title: "Program ROI", LabelHeader: "Quarter", Labels: chartTestQuarters[4:], Unit: chart.Ratio,
			Series: []chart.Series{{Name: "ROI", Values: []int64{32, 41, 55, 62}}},
			Goal:   chartTestPtr(50),
		}),
		"hbar": HBarChart(chart.Chart{
			Title: "Partners by tier", LabelHeader: "Tier", Labels: []string{"Strategic", "Preferred", "Registered", "Prospect — not yet qualified for any tier"},
			Series: []chart.Series{{Name: "Partners", Values: []int64{6, 18, 41, 35}}},
		}, true),
		"funnel": Funnel(chart.Chart{
			Title: "Referral funnel, last 12 months", LabelHeader: "Stage",
			Labels: []string{"Submitted", "Accepted", "Meeting held", "Proposal", "Won"},
			Series: []chart.Series{{Name: "Referrals", Values: []int64{240, 180, 96, 40, 6}}},
		}),
		"share": ShareBar(chart.Chart{
			Title: "Partner revenue from the top 3 partners", Unit: chart.Cents,
			Labels: []string{"Top 3 partners", "Other partners"},
			Series: []chart.Series{{Name: "Revenue", Values: []int64{700_000_00, 300_000_00}}},
		}),
		"share-goal": ShareBar(chart.Chart{
			Title: "Partner-sourced share of new revenue", Unit: chart.Cents,
			Labels: []string{"Partner-sourced", "Direct", "Marketing"},
			Series: []chart.Series{{Name: "New revenue", Values: []int64{310_000_00, 520_000_00, 170_000_00}}},
			Goal:   chartTestPtr(2000),
		}),
		"empty": LineChart(chart.Chart{
			Title: "Client satisfaction", Labels: chartTestQuarters, Unit: chart.Score,
			Series: []chart.Series{{Name: "Average", Values: make([]int64, 8)}},
		}),
	}
}

func TestChartsRenderSVGAndTableWithTheNumbers(t *testing.T) {
	charts := demoCharts()
	for _, tc := range []struct {
		key       string
		svgText   []string // in the SVG (labels, axis, tooltips)
		tableText []string // in the data table
		legend    int      // legend entries (0: none)
	}{
		{"line", []string{"Q1", "2024", "Q4 2025 · Received: 12", "Q4 2025 · Sent: 2"}, []string{"Received", "Sent", "Won", "12", "no data"}, 3},
		{"line-goal", []string{"Goal 20%", "24.75%", "25%"}, []string{"24.75%", "Goal: 20%"}, 2},
		{"bar", []string{"$150k", "-$50k", "Q4 2025 · Received: $143,210.55"}, []string{"$143,210.55", "-$8,000.00"}, 2},
		{"roi", []string{"Goal 5:1", "Q4 2025 · ROI: 6.2:1"}, []string{"6.2:1", "3.2:1"}, 2},
		{"hbar", []string{"Strategic", "41 · 41%", "6 · 6%", "Prospect — not yet qualified for any tier"}, []string{"Share of partners", "41%", "Total", "100"}, 0},
		{"funnel", []string{"240", "180 · 75%", "6 · 2.5%"}, []string{"% of first stage", "2.5%", "15%"}, 0},
		{"share", []string{"70%", "30%", "Top 3 partners: $700,000.00 (70%)"}, []string{"$700,000.00", "70%", "$1,000,000.00"}, 2},
		{"share-goal", []string{"Goal 20%", "31%"}, []string{"31%", "Goal: 20%"}, 4},
	} {
		t.Run(tc.key, func(t *testing.T) {
			doc, _ := render(t, charts[tc.key])
			fig := doc.Find("figure.chart")
			if fig.Length() != 1 {
				t.Fatalf("want one figure, got %d", fig.Length())
			}
			caption := strings.TrimSpace(fig.Find("figcaption").Text())
			svg := fig.Find("svg.chart__svg")
			if svg.Length() != 1 {
				t.Fatalf("want one chart svg, got %d", svg.Length())
			}
			if got := attr(t, svg, "role"); got != "img" {
				t.Errorf("svg role = %q", got)
			}
			titleID, descID := attr(t, svg, "aria-labelledby"), attr(t, svg, "aria-describedby")
			if got := svg.Find("title#" + titleID).Text(); got != caption {
				t.Errorf("svg title %q, want the caption %q", got, caption)
			}
			if desc := svg.Find("desc#" + descID).Text(); !strings.Contains(desc, "data table") {
				t.Errorf("svg desc %q says nothing of the table", desc)
			}
			if vb := attr(t, svg, "viewBox"); !strings.HasPrefix(vb, "0 0 400 ") {
				t.Errorf("viewBox %q", vb)
			}
			svgText := svg.Text()
			for _, want := range tc.svgText {
				if !strings.Contains(svgText, want) {
					t.Errorf("svg lacks %q in %q", want, svgText)
				}
			}

			details := fig.Find("details.chart__data")
			if got := strings.TrimSpace(details.Find("summary").Text()); got != "Data table: "+caption {
				t.Errorf("summary %q", got)
			}
			table := details.Find("table")
			if table.Find("caption").Text() != caption {
				t.Errorf("table caption %q", table.Find("caption").Text())
			}
			if table.Find("thead th[scope=col]").Length() < 2 || table.Find("tbody th[scope=row]").Length() == 0 {
				t.Error("table lacks column or row headers with scope")
			}
			tableText := details.Text()
			for _, want := range tc.tableText {
				if !strings.Contains(tableText, want) {
					t.Errorf("table lacks %q in %q", want, tableText)
				}
			}
			if got := fig.Find(".chart__legend li").Length(); got != tc.legend {
				t.Errorf("legend entries = %d, want %d", got, tc.legend)
			}
		})
	}
}

func TestChartNumbersMatchTable(t *testing.T) {
	// Every bar of the grouped bar chart has a tooltip whose value is a
	// cell of the table, and every cell but the missing ones has a bar.
	doc, _ := render(t, demoCharts()["bar"])
	cells := map[string]bool{}
	doc.Find("table tbody td").Each(func(_ int, s *goquery.Selection) { cells[strings.TrimSpace(s.Text())] = true })
	bars := doc.Find("svg.chart__svg rect.chart__bar")
	if bars.Length() != 16 {
		t.Fatalf("want 16 bars, got %d", bars.Length())
	}
	bars.Each(func(_ int, s *goquery.Selection) {
		title := s.Find("title").Text()
		v := title[strings.LastIndex(title, ": ")+2:]
		if !cells[v] {
			t.Errorf("bar %q: %q not in the table", title, v)
		}
	})
	// The second series is patterned, so colour is not the only cue.
	if doc.Find(`svg.chart__svg rect.chart__bar[fill^="url(#chart-revenue-from-referrals-fill1)"]`).Length() != 8 {
		t.Error("the second series' bars are not patterned")
	}
	if doc.Find("pattern#chart-revenue-from-referrals-fill1").Length() != 1 {
		t.Error("no pattern for the second series")
	}
}

func TestChartWithoutDataSaysSo(t *testing.T) {
	for name, c := range map[string]templ.Component{
		"all zero":  demoCharts()["empty"],
		"no labels": BarChart(chart.Chart{Title: "Revenue", Unit: chart.Cents}),
		"no points": Funnel(chart.Chart{Title: "Funnel", Labels: []string{"A"}, Series: []chart.Series{{Values: []int64{4}, Valid: []bool{false}}}}),
		"custom":    HBarChart(chart.Chart{Title: "Tiers", Labels: []string{"Gold"}, Empty: "No partners yet"}, false),
		"share":     ShareBar(chart.Chart{Title: "Top 3", Labels: []string{"Top 3"}, Series: []chart.Series{{Values: []int64{0}}}}),
	} {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			if doc.Find("svg").Length() != 0 || doc.Find("table").Length() != 0 {
				t.Error("an empty chart draws an svg or a table")
			}
			want := "No data yet"
			if name == "custom" {
				want = "No partners yet"
			}
			if got := strings.TrimSpace(doc.Find(".chart__empty").Text()); got != want {
				t.Errorf("empty text %q, want %q", got, want)
			}
			if doc.Find("figure figcaption").Text() == "" {
				t.Error("no caption")
			}
		})
	}
}

func TestChartIDsAreUniquePerChart(t *testing.T) {
	var b strings.Builder
	for _, key := range []string{"line", "bar", "hbar", "funnel", "share", "share-goal"} {
		if err := demoCharts()[key].Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	})
}

// TestWriteChartDemo renders every chart into one page that links the real
// stylesheet, for looking at in a browser. It runs when ALLYWAY_CHART_DEMO
// names the file to write:
//
//	ALLYWAY_CHART_DEMO=/tmp/charts-demo.html go test ./web/view -run ChartDemo
//	chromium --headless --screenshot=/tmp/charts.png --window-size=1200,2400 file:///tmp/charts-demo.html
func TestWriteChartDemo(t *testing.T) {
	out := os.Getenv("ALLYWAY_CHART_DEMO")
	if out == "" {
		t.Skip("ALLYWAY_CHART_DEMO not set")
	}
	_, file, _, _ := runtime.Caller(0)
	css := filepath.Join(filepath.Dir(file), "..", "static", "app.css")
	charts := demoCharts()
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>Charts</title><link rel="stylesheet" href="file://` + css + `"></head><body class="app--plain"><div class="shell"><main class="main" id="main"><h1>Charts</h1>`)
	section := func(keys ...string) {
		b.WriteString(`<div class="grid-2">`)
		for _, k := range keys {
			b.WriteString(`<section class="card">`)
			if err := charts[k].Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			b.WriteString(`</section>`)
		}
		b.WriteString(`</div>`)
	}
	section("line", "bar")
	section("line-goal", "roi")
	section("hbar", "funnel")
	section("share", "share-goal")
	section("empty")
	b.WriteString(`</main></div></body></html>`)
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
