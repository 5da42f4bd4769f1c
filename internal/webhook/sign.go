package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The headers of every delivery.
const (
	HeaderID        = "Allyway-Webhook-Id"        // the event's id, the same on every retry
	HeaderTimestamp = "Allyway-Webhook-Timestamp" // Unix seconds when this attempt was signed
	HeaderSignature = "Allyway-Webhook-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// DefaultTolerance is how old a timestamp Verify accepts by default
// (replayed deliveries older than this are refused).
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value for body sent at timestamp (Unix
// seconds, as sent in HeaderTimestamp): "v1=" and the hex HMAC-SHA256 of
// timestamp + "." + body under the subscription's secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Errors Verify returns.
var (
	ErrNoSignature  = errors.New("webhook: no v1 signature in the header")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrBadTimestamp = errors.New("webhook: timestamp is not Unix seconds")
	ErrTooOld       = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks a delivery as a receiver would: signatureHeader (the
// Allyway-Webhook-Signature header; several "v1=…" values separated by
// commas or spaces are accepted, any one matching) must be the HMAC of
// timestamp + "." + body under secret, and timestamp must be within
// tolerance of now (0 skips the age check). Compare against the raw body
// bytes as received, before any JSON decoding.
//
// Receivers may copy this function: it needs only the standard library.
func Verify(secret, timestamp string, body []byte, signatureHeader string, tolerance time.Duration) error {
	return verifyAt(time.Now(), secret, timestamp, body, signatureHeader, tolerance)
}

func verifyAt(now time.Time, secret, timestamp string, body []byte, signatureHeader string, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if tolerance > 0 {
		age := now.Sub(time.Unix(ts, 0))
		if age > tolerance || age < -tolerance {
			return ErrTooOld
		}
	}
	want := []byte(Sign(secret, strings.TrimSpace(timestamp), body))
	found := false
	for _, part := range strings.FieldsFunc(signatureHeader, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.HasPrefix(part, "v1=") {
			continue
		}
		found = true
		if hmac.Equal([]byte(part), want) {
			return nil
		}
	}
	if !found {
		return ErrNoSignature
	}
	return ErrBadSignature
}
