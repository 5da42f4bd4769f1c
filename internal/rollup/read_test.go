package rollup

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPercentileDisc: Sum's percentiles are PostgreSQL's percentile_disc
// (nearest rank), as they were when the database computed them:
// SELECT n, percentile_disc(0.5), percentile_disc(0.9) over 1..n.
func TestPercentileDisc(t *testing.T) {
	t.Parallel()
	want := map[int][2]int64{1: {1, 1}, 2: {1, 2}, 3: {2, 3}, 4: {2, 4}, 5: {3, 5}, 6: {3, 6}, 7: {4, 7},
		8: {4, 8}, 9: {5, 9}, 10: {5, 9}, 11: {6, 10}, 12: {6, 11}}
	for n, w := range want {
		vs := make([]int32, n)
		for i := range vs {
			vs[i] = int32(i + 1)
		}
		require.Equal(t, w[0], *percentileDisc(vs, 0.5), "p50 of 1..%d", n)
		require.Equal(t, w[1], *percentileDisc(vs, 0.9), "p90 of 1..%d", n)
	}
	require.Nil(t, percentileDisc(nil, 0.5))
}
