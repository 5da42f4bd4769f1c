package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 defaults understood by every authenticator app).
const (
	TOTPPeriod     = 30 // seconds per step
	TOTPDigits     = 6
	totpSkew       = 1  // steps accepted either side of the current one
	totpSecretSize = 20 // bytes (160 bits, the RFC 4226 recommendation)
)

var totpCodeOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPSecret generates a random 160-bit TOTP secret (SHA-1, 6 digits,
// 30 s) and returns it base32-encoded, for storage, together with the
// otpauth:// URL to show as a QR code. issuer is the product/firm name shown
// in the authenticator app, accountName usually the user's email; both are
// required.
func NewTOTPSecret(issuer, accountName string) (secret, otpauthURL string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: accountName,
		Period:      TOTPPeriod,
		SecretSize:  totpSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("auth: generate TOTP secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// MaxQRCodeSize bounds the size argument of TOTPQRCodePNG.
const MaxQRCodeSize = 1024

// TOTPQRCodePNG renders otpauthURL as a size×size pixel QR code PNG. size
// must be large enough for the QR modules (about 200 is safe for typical
// URLs) and at most MaxQRCodeSize.
func TOTPQRCodePNG(otpauthURL string, size int) ([]byte, error) {
	if size <= 0 || size > MaxQRCodeSize {
		return nil, fmt.Errorf("auth: QR code size %d out of range 1..%d", size, MaxQRCodeSize)
	}
	u, err := url.Parse(otpauthURL)
	if err != nil || u.Scheme != "otpauth" {
		return nil, errors.New("auth: not an otpauth:// URL")
	}
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return nil, fmt.Errorf("auth: parse otpauth URL: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("auth: render QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("auth: encode QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// TOTPStep returns the RFC 6238 time step containing t.
func TOTPStep(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return (u - TOTPPeriod + 1) / TOTPPeriod
	}
	return u / TOTPPeriod
}

// VerifyTOTP checks code against secret at time now, accepting the current
// step and one step either side for clock skew. Steps at or below lastStep
// (the step stored from the previous successful verification; 0 if none)
// are refused, so each code works once and older codes never work again.
// On success it returns the matched step, which the caller must store as
// the new lastStep (atomically with accepting the login, e.g.
// UPDATE ... SET last_step = $1 WHERE last_step < $1).
//
// Whitespace anywhere in code is ignored ("123 456"); anything other than
// exactly six ASCII digits is refused.
func VerifyTOTP(secret, code string, lastStep int64, now time.Time) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}

	cur := TOTPStep(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s < 0 || s <= lastStep {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), totpCodeOpts)
		if err != nil {
			return 0, false
		}
		// Keep the highest matching step: if a code happens to be valid for
		// two steps, storing the later one stops it being replayed.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	if !ok {
		return 0, false
	}
	return step, true
}

// Recovery codes.
const (
	// DefaultRecoveryCodes is how many codes NewRecoveryCodes makes for n <= 0.
	DefaultRecoveryCodes = 10
	// recoveryAlphabet is lower-case letters and digits without the easily
	// confused 0/o, 1/l/i (31 symbols, ~4.95 bits each).
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	recoveryCodeLen  = 24 // symbols, shown as xxxxxx-xxxxxx-xxxxxx-xxxxxx (~119 bits, so SHA-256 storage meets ASVS 6.5.2)
)

// NewRecoveryCodes returns n (DefaultRecoveryCodes if n <= 0) distinct random
// recovery codes formatted xxxxxx-xxxxxx-xxxxxx-xxxxxx. Show them to the user once; store
// only HashRecoveryCode of each and delete a code's hash when it is used.
func NewRecoveryCodes(n int) []string {
	if n <= 0 {
		n = DefaultRecoveryCodes
	}
	seen := make(map[string]struct{}, n)
	codes := make([]string, 0, n)
	for len(codes) < n {
		c := newRecoveryCode()
		if _, dup := seen[c]; dup {
			continue
		}
		seen[c] = struct{}{}
		codes = append(codes, c)
	}
	return codes
}

func newRecoveryCode() string {
	const n = len(recoveryAlphabet)
	const limit = 256 - 256%n // reject bytes >= limit to avoid modulo bias
	raw := make([]byte, 0, recoveryCodeLen)
	var buf [32]byte
	for len(raw) < recoveryCodeLen {
		_, _ = rand.Read(buf[:]) // never returns an error
		for _, b := range buf {
			if int(b) < limit && len(raw) < recoveryCodeLen {
				raw = append(raw, recoveryAlphabet[int(b)%n])
			}
		}
	}
	return string(raw[0:6]) + "-" + string(raw[6:12]) + "-" + string(raw[12:18]) + "-" + string(raw[18:24])
}

// NormalizeRecoveryCode lower-cases s and removes whitespace and dashes, so
// "ABCDEF-GHJK…", "abcdef ghjk…" and "abcdefghjk…" are the same code.
func NormalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || unicode.Is(unicode.Dash, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// HashRecoveryCode returns SHA-256 of NormalizeRecoveryCode(s), the form to
// store and look codes up by.
func HashRecoveryCode(s string) []byte {
	sum := sha256.Sum256([]byte(NormalizeRecoveryCode(s)))
	return sum[:]
}
