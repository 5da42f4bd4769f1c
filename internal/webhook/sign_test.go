package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSignAndVerify: the signature is hex HMAC-SHA256(secret, timestamp +
// "." + body); Verify accepts it and refuses a tampered body, another
// secret, an old or future timestamp and a header without v1.
func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	secret := "whsec_test_secret"
	now := time.Unix(1_780_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"id":"e1","type":"referral.created","data":{}}`)

	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := "v1=" + hex.EncodeToString(m.Sum(nil))
	sig := Sign(secret, ts, body)
	require.Equal(t, want, sig)

	require.NoError(t, verifyAt(now, secret, ts, body, sig, DefaultTolerance))
	require.NoError(t, verifyAt(now.Add(4*time.Minute), secret, ts, body, sig, DefaultTolerance))
	require.NoError(t, verifyAt(now.Add(time.Hour), secret, ts, body, sig, 0), "tolerance 0 skips the age check")
	// Several signatures (secret rotation): any one matching is enough.
	require.NoError(t, verifyAt(now, secret, ts, body, "v1=deadbeef, "+sig, DefaultTolerance))

	tampered := []byte(`{"id":"e1","type":"referral.created","data":{"x":1}}`)
	require.ErrorIs(t, verifyAt(now, secret, ts, tampered, sig, DefaultTolerance), ErrBadSignature)
	require.ErrorIs(t, verifyAt(now, "whsec_other", ts, body, sig, DefaultTolerance), ErrBadSignature)
	// The timestamp is signed: moving it breaks the signature.
	require.ErrorIs(t, verifyAt(now, secret, strconv.FormatInt(now.Unix()+1, 10), body, sig, DefaultTolerance), ErrBadSignature)
	require.ErrorIs(t, verifyAt(now.Add(6*time.Minute), secret, ts, body, sig, DefaultTolerance), ErrTooOld)
	require.ErrorIs(t, verifyAt(now.Add(-6*time.Minute), secret, ts, body, sig, DefaultTolerance), ErrTooOld)
	require.ErrorIs(t, verifyAt(now, secret, "yesterday", body, sig, DefaultTolerance), ErrBadTimestamp)
	require.ErrorIs(t, verifyAt(now, secret, ts, body, "", DefaultTolerance), ErrNoSignature)
	require.ErrorIs(t, verifyAt(now, secret, ts, body, "v0="+sig[3:], DefaultTolerance), ErrNoSignature)

	// The exported Verify uses the real clock.
	fresh := strconv.FormatInt(time.Now().Unix(), 10)
	require.NoError(t, Verify(secret, fresh, body, Sign(secret, fresh, body), DefaultTolerance))
	require.ErrorIs(t, Verify(secret, ts, body, sig, DefaultTolerance), ErrTooOld)
}

// TestRetrySchedule: 1m, 5m, 30m, 2h, 6h, 12h, 24h, then give up after
// the 8th attempt (~45 hours after the first).
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	var total time.Duration
	for i, w := range want {
		got, more := Backoff(i + 1)
		require.True(t, more, "attempt %d", i+1)
		require.Equal(t, w, got, "after attempt %d", i+1)
		total += got
	}
	require.Equal(t, 8, MaxAttempts)
	_, more := Backoff(MaxAttempts)
	require.False(t, more, "the 8th failed attempt is the last")
	_, more = Backoff(MaxAttempts + 3)
	require.False(t, more)
	require.Equal(t, 44*time.Hour+36*time.Minute, total)
	// Auto-disabling needs at least a day of failures: a single
	// undeliverable event (8 attempts over ~45 h) gets there.
	require.GreaterOrEqual(t, total, DisableAfterSpan)
	require.LessOrEqual(t, DisableAfterFailures, MaxAttempts)
}
