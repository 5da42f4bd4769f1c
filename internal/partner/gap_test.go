package partner

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestRankGaps(t *testing.T) {
	now := time.Date(2026, 3, 15, 16, 30, 0, 0, time.UTC)
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		require.NoError(t, err)
		return d
	}
	svc := map[string]uuid.UUID{}
	for _, n := range []string{"Payroll", "Legal", "PR", "Brand", "Tax", "Audit"} {
		svc[n] = uuid.New()
	}
	g := func(name, on string) Gap { return Gap{ServiceID: svc[name], ServiceName: name, NotedOn: day(on)} }
	gaps := []Gap{
		g("Payroll", "2026-03-01"), g("Payroll", "2025-12-01"), g("Payroll", "2025-04-01"),
		g("Legal", "2026-02-01"), g("Legal", "2025-06-01"),
		g("Legal", "2025-03-14"), // a day older than 12 months: not counted
		g("PR", "2026-03-10"),
		g("PR", "2025-03-15"),                              // exactly 12 months ago: counted
		g("Brand", "2024-01-01"), g("Brand", "2025-01-31"), // only old gaps: not in the report
		g("Tax", "2026-01-05"),
		g("Audit", "2026-01-05"),
		g("Audit", "2026-03-16"), // tomorrow: not counted
	}
	got := RankGaps(gaps, now)

	type row struct {
		Name  string
		Count int
		Last  string
	}
	var rows []row
	for _, r := range got {
		require.Equal(t, svc[r.ServiceName], r.ServiceID)
		rows = append(rows, row{r.ServiceName, r.Count, r.Last.Format("2006-01-02")})
	}
	require.Equal(t, []row{
		{"Payroll", 3, "2026-03-01"},
		{"PR", 2, "2026-03-10"},    // ties Legal on count, asked more recently
		{"Legal", 2, "2026-02-01"}, // the 2025-03-14 gap is outside the window
		{"Audit", 1, "2026-01-05"}, // ties Tax on count and date: by name
		{"Tax", 1, "2026-01-05"},
	}, rows)

	require.Empty(t, RankGaps(nil, now))
	require.Equal(t, day("2025-03-15"), GapWindowStart(now))
}
