package period

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuarter(t *testing.T) {
	q, err := ParseQuarter("2026-Q3")
	require.NoError(t, err)
	require.Equal(t, Quarter{2026, 3}, q)
	require.Equal(t, "2026-Q3", q.String())
	require.Equal(t, "Q3 2026", q.Label())
	require.Equal(t, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), q.Start())
	require.Equal(t, time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), q.End())
	require.Equal(t, Quarter{2027, 1}, Quarter{2026, 4}.Next())
	require.Equal(t, Quarter{2025, 4}, Quarter{2026, 1}.Prev())
	require.Equal(t, []Quarter{{2025, 4}, {2026, 1}, {2026, 2}}, Quarter{2026, 2}.Last(3))
	require.True(t, Quarter{2025, 4}.Before(Quarter{2026, 1}))
	require.Equal(t, Quarter{2026, 4}, QuarterOf(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)))
	for _, bad := range []string{"", "2026Q3", "2026-Q5", "26-Q1", "1899-Q1", "2026-Q3 "} {
		_, err := ParseQuarter(bad)
		require.Error(t, err, bad)
	}
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	// 23:30 UTC on 31 March is already 1 April in London (BST).
	require.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Today(time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), london))
}
