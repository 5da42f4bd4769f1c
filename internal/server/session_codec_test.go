package server

import (
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/require"
)

func TestSessionCodecRoundTrip(t *testing.T) {
	t.Parallel()
	deadline := time.Date(2026, 11, 27, 15, 4, 5, 123456789, time.UTC)
	values := map[string]any{"uid": "3f1c…", "auth_at": int64(1795000000), "seen_at": int64(-5), "has_choices": true,
		"off": false, "n": 42, "empty": "", "flash": "info|Saved — “quotes” & ünïcode"}
	b, err := sessionCodec{}.Encode(deadline, values)
	require.NoError(t, err)
	got, gotValues, err := sessionCodec{}.Decode(b)
	require.NoError(t, err)
	require.True(t, deadline.Equal(got))
	require.Equal(t, values, gotValues)

	// Sessions saved by scs's gob codec before this one are still read.
	old, err := scs.GobCodec{}.Encode(deadline, map[string]any{"uid": "x", "auth_at": int64(7)})
	require.NoError(t, err)
	got, gotValues, err = sessionCodec{}.Decode(old)
	require.NoError(t, err)
	require.True(t, deadline.Equal(got))
	require.Equal(t, map[string]any{"uid": "x", "auth_at": int64(7)}, gotValues)

	// A type the app never stores is refused on save.
	_, err = sessionCodec{}.Encode(deadline, map[string]any{"when": time.Now()})
	require.ErrorContains(t, err, "time.Time")
}

// FuzzSessionCodec: damaged data is an error, never a panic, and what
// decodes encodes back to the same values.
func FuzzSessionCodec(f *testing.F) {
	b, _ := sessionCodec{}.Encode(time.Unix(1, 2), map[string]any{"uid": "u", "auth_at": int64(3), "ok": true, "n": 4})
	f.Add(b)
	f.Add([]byte{0, 'A', 'W', '1'})
	f.Add([]byte{0, 'A', 'W', '1', 2, 1, 1, 'k', 's', 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, v, err := sessionCodec{}.Decode(data)
		if err != nil {
			return
		}
		again, err := sessionCodec{}.Encode(d, v)
		if err != nil {
			return // a gob session with other types
		}
		d2, v2, err := sessionCodec{}.Decode(again)
		require.NoError(t, err)
		require.True(t, d.Equal(d2))
		require.Equal(t, v, v2)
	})
}
