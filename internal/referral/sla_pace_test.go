package referral

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The minute's scan rests three times as long as each firm took (a
// quarter of a core at most) until resting would take it past 45 s.
func TestSLAScanRest(t *testing.T) {
	t.Parallel()
	require.Equal(t, 75*time.Millisecond, slaScanRest(time.Second, 25*time.Millisecond))
	require.Equal(t, 30*time.Second, slaScanRest(0, 10*time.Second))
	require.Zero(t, slaScanRest(40*time.Second, 2*time.Second), "a 6 s rest would end past 45 s")
	require.Zero(t, slaScanRest(45*time.Second, time.Millisecond))
}
