package auth

import (
	"bytes"
	"crypto/sha256"
	"image/png"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"
)

// RFC 6238 appendix B: SHA-1 seed "12345678901234567890"; the 6-digit codes
// are the last six digits of the published 8-digit values.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestVerifyTOTPRFCVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0)
		step, ok := VerifyTOTP(rfcSecret, tt.code, 0, now)
		require.True(t, ok, "t=%d", tt.unix)
		require.Equal(t, tt.unix/30, step)
	}
}

func TestVerifyTOTPSteps(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111109, 0) // inside step N
	n := TOTPStep(now)
	require.Equal(t, int64(37037036), n)
	codeAt := func(step int64) string {
		c, err := totp.GenerateCode(rfcSecret, time.Unix(step*30, 0))
		require.NoError(t, err)
		return c
	}

	tests := []struct {
		name     string
		code     string
		lastStep int64
		wantStep int64
		wantOK   bool
	}{
		{"current step", codeAt(n), 0, n, true},
		{"current step, previous login at N-1", codeAt(n), n - 1, n, true},
		{"current step already used", codeAt(n), n, 0, false},
		{"later step already used", codeAt(n), n + 1, 0, false},
		{"N-1 skew", codeAt(n - 1), 0, n - 1, true},
		{"N+1 skew", codeAt(n + 1), 0, n + 1, true},
		{"N-1 after N-1 used", codeAt(n - 1), n - 1, 0, false},
		{"N+1 after N used", codeAt(n + 1), n, n + 1, true},
		{"N-2 too old", codeAt(n - 2), 0, 0, false},
		{"N+2 too new", codeAt(n + 2), 0, 0, false},
		{"spaces trimmed", " " + codeAt(n)[:3] + " " + codeAt(n)[3:] + "\t\n", 0, n, true},
		{"five digits", codeAt(n)[:5], 0, 0, false},
		{"seven digits", codeAt(n) + "0", 0, 0, false},
		{"letters", "08a804", 0, 0, false},
		{"sign", "+81804", 0, 0, false},
		{"non-ASCII digits", "٠٨١٨٠٤", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := VerifyTOTP(rfcSecret, tt.code, tt.lastStep, now)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.wantStep, step)
		})
	}
}

// The login flow: a code is accepted once, the returned step is stored, and
// the same code is refused for the rest of its validity window.
func TestVerifyTOTPReplay(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	code, err := totp.GenerateCode(rfcSecret, now)
	require.NoError(t, err)

	last := int64(0)
	step, ok := VerifyTOTP(rfcSecret, code, last, now)
	require.True(t, ok)
	last = step

	for _, d := range []time.Duration{0, time.Second, 29 * time.Second, 30 * time.Second, 45 * time.Second} {
		_, ok = VerifyTOTP(rfcSecret, code, last, now.Add(d))
		require.False(t, ok, "replay after %v", d)
	}

	// The next step's code still works.
	next, err := totp.GenerateCode(rfcSecret, now.Add(30*time.Second))
	require.NoError(t, err)
	step, ok = VerifyTOTP(rfcSecret, next, last, now.Add(30*time.Second))
	require.True(t, ok)
	require.Equal(t, last+1, step)
}

func TestVerifyTOTPBadSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "!!!!", "not base32 at all 1"} {
		_, ok := VerifyTOTP(secret, "123456", 0, time.Unix(1700000000, 0))
		require.False(t, ok, "%q", secret)
	}
}

func TestNewTOTPSecret(t *testing.T) {
	t.Parallel()
	secret, rawURL, err := NewTOTPSecret("Allyway", "jane@acme.example")
	require.NoError(t, err)
	require.Regexp(t, `^[A-Z2-7]{32}$`, secret, "160-bit base32 secret")

	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	require.Equal(t, "otpauth", u.Scheme)
	require.Equal(t, "totp", u.Host)
	q := u.Query()
	require.Equal(t, secret, q.Get("secret"))
	require.Equal(t, "Allyway", q.Get("issuer"))
	require.Equal(t, "SHA1", q.Get("algorithm"))
	require.Equal(t, "6", q.Get("digits"))
	require.Equal(t, "30", q.Get("period"))

	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	require.NoError(t, err)
	_, ok := VerifyTOTP(secret, code, 0, now)
	require.True(t, ok)

	other, _, err := NewTOTPSecret("Allyway", "jane@acme.example")
	require.NoError(t, err)
	require.NotEqual(t, secret, other)

	_, _, err = NewTOTPSecret("", "jane@acme.example")
	require.Error(t, err)
	_, _, err = NewTOTPSecret("Allyway", "")
	require.Error(t, err)
}

func TestTOTPQRCodePNG(t *testing.T) {
	t.Parallel()
	_, rawURL, err := NewTOTPSecret("Allyway", "jane@acme.example")
	require.NoError(t, err)

	b, err := TOTPQRCodePNG(rawURL, 256)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, 256, img.Bounds().Dx())
	require.Equal(t, 256, img.Bounds().Dy())

	for name, tc := range map[string]struct {
		url  string
		size int
	}{
		"zero size":     {rawURL, 0},
		"negative size": {rawURL, -5},
		"huge size":     {rawURL, MaxQRCodeSize + 1},
		"too small":     {rawURL, 10},
		"not otpauth":   {"https://example.com/", 256},
		"not a URL":     {"%zz", 256},
		"empty":         {"", 256},
	} {
		_, err := TOTPQRCodePNG(tc.url, tc.size)
		require.Error(t, err, name)
	}
}

func TestTOTPStep(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(0), TOTPStep(time.Unix(0, 0)))
	require.Equal(t, int64(0), TOTPStep(time.Unix(29, 999)))
	require.Equal(t, int64(1), TOTPStep(time.Unix(30, 0)))
	require.Equal(t, int64(-1), TOTPStep(time.Unix(-1, 0)))
	require.Equal(t, int64(-1), TOTPStep(time.Unix(-30, 0)))
	require.Equal(t, int64(-2), TOTPStep(time.Unix(-31, 0)))
}

var recoveryRE = regexp.MustCompile(`^[2-9a-hjkmnp-z]{6}-[2-9a-hjkmnp-z]{6}-[2-9a-hjkmnp-z]{6}-[2-9a-hjkmnp-z]{6}$`)

func TestNewRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes := NewRecoveryCodes(0)
	require.Len(t, codes, DefaultRecoveryCodes)
	require.Len(t, NewRecoveryCodes(3), 3)

	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 200 {
		for _, c := range NewRecoveryCodes(10) {
			require.Regexp(t, recoveryRE, c)
			require.NotContains(t, c, "0")
			require.NotContains(t, c, "o")
			require.NotContains(t, c, "1")
			require.NotContains(t, c, "l")
			require.NotContains(t, c, "i")
			require.False(t, seen[c], "duplicate code %s", c)
			seen[c] = true
			for _, r := range NormalizeRecoveryCode(c) {
				counts[r]++
			}
		}
	}
	require.Len(t, counts, len(recoveryAlphabet), "every symbol is used")
}

func TestNormalizeRecoveryCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"abcd-efgh-jk", "abcdefghjk"},
		{"ABCD-EFGH-JK", "abcdefghjk"},
		{"abcdefghjk", "abcdefghjk"},
		{"  abcd efgh jk\n", "abcdefghjk"},
		{"abcd – efgh — jk", "abcdefghjk"}, // en and em dashes from copy/paste
		{"a-b-c-d-e-f-g-h-j-k", "abcdefghjk"},
		{"", ""},
		{"---", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, NormalizeRecoveryCode(tt.in), "%q", tt.in)
	}
}

func TestHashRecoveryCode(t *testing.T) {
	t.Parallel()
	want := sha256.Sum256([]byte("abcdefghjk"))
	for _, in := range []string{"abcd-efgh-jk", "ABCD EFGH JK", " abcdefghjk "} {
		require.Equal(t, want[:], HashRecoveryCode(in), "%q", in)
	}
	require.NotEqual(t, HashRecoveryCode("abcd-efgh-jk"), HashRecoveryCode("abcd-efgh-jm"))

	c := NewRecoveryCodes(1)[0]
	require.True(t, ConstantTimeEqual(HashRecoveryCode(c), HashRecoveryCode(c)))
}
