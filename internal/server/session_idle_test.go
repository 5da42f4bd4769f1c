package server

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A session ends after 2 hours without a request (give or take
// sessionTouch, as seen_at is renewed every few minutes rather than saved
// on every request) and 12 hours after sign-in however active.
func TestSessionIdleAndAbsoluteLimits(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).Unix())
	h := newHarness(t, func(d *Deps) { d.Now = func() time.Time { return time.Unix(clock.Load(), 0) } })
	f := h.createFirm("idle-firm", "Idle Firm")
	page := "/t/" + f.Slug + "/"
	signedIn := func(c *http.Client) bool {
		t.Helper()
		resp, _ := h.get(c, page)
		if resp.StatusCode == http.StatusOK {
			return true
		}
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		return false
	}
	advance := func(d time.Duration) { clock.Add(int64(d / time.Second)) }

	// Requests every 110 minutes keep a session for 11 hours.
	c := h.loggedIn(f.Owner.Email)
	for range 6 {
		advance(110 * time.Minute)
		require.True(t, signedIn(c))
	}
	// Past 12 hours from sign-in it ends, active or not.
	advance(61 * time.Minute)
	require.False(t, signedIn(c))

	// Idle time counts from seen_at, which is saved only when a request
	// finds it over sessionTouch old; so the limit allows sessionTouch more,
	// and a session ends between 2 h and 2 h 5 min after its last request.
	c = h.loggedIn(f.Owner.Email)
	advance(3 * time.Minute)
	require.True(t, signedIn(c)) // seen_at stays at sign-in
	advance(2*time.Hour + 1*time.Minute)
	require.True(t, signedIn(c), "2 h 4 min after seen_at is within the limit")
	advance(2*time.Hour + 6*time.Minute)
	require.False(t, signedIn(c))
}
