// Package auth holds the database-free security primitives of the login
// system: password hashing and policy, random tokens, TOTP and recovery
// codes, and role/capability checks.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/crypto/argon2"
)

// Current Argon2id parameters (OWASP Password Storage Cheat Sheet minimum:
// m=19 MiB, t=2, p=1). Raising any of them makes NeedsRehash report true for
// hashes created with the old values; Verify keeps accepting them because it
// reads the parameters from the stored string.
const (
	argonMemory  uint32 = 19456 // KiB
	argonTime    uint32 = 2
	argonThreads uint8  = 1
	argonSaltLen        = 16
	argonKeyLen         = 32
)

// Upper and lower bounds accepted when parsing a stored hash. They keep a
// corrupted or hostile row from making Verify allocate gigabytes, spin for
// minutes or panic inside argon2. The upper bounds leave room to raise the
// current parameters several times over.
const (
	maxArgonMemory  = 1 << 18 // KiB = 256 MiB
	maxArgonTime    = 64
	maxArgonThreads = 64
	minArgonSaltLen = 8
	maxArgonSaltLen = 64
	minArgonKeyLen  = 16
	maxArgonKeyLen  = 128
)

// DefaultMaxConcurrentHashes is the number of Argon2id computations a Hasher
// runs at once when NewHasher is given 0. Each uses argonMemory KiB (19 MiB).
const DefaultMaxConcurrentHashes = 4

var (
	// ErrBusy is wrapped (together with ctx.Err()) by Hasher methods when
	// the context ends before a hashing slot becomes free.
	ErrBusy = errors.New("auth: password hasher busy")
	// ErrInvalidHash is wrapped by Verify and NeedsRehash when the stored
	// string is not a well-formed, supported Argon2id PHC string.
	ErrInvalidHash = errors.New("auth: invalid password hash")
)

// Hasher hashes and verifies passwords with Argon2id. At most maxConcurrent
// computations run at once, so a burst of logins cannot exhaust memory.
// It is safe for concurrent use. Create it with NewHasher.
type Hasher struct {
	once sync.Once
	max  int
	sem  chan struct{}
}

// NewHasher returns a Hasher that runs at most maxConcurrent Argon2id
// computations at once; maxConcurrent <= 0 means DefaultMaxConcurrentHashes.
func NewHasher(maxConcurrent int) *Hasher {
	h := &Hasher{max: maxConcurrent}
	h.init()
	return h
}

func (h *Hasher) init() {
	h.once.Do(func() {
		if h.max <= 0 {
			h.max = DefaultMaxConcurrentHashes
		}
		h.sem = make(chan struct{}, h.max)
	})
}

// acquire waits for a hashing slot. It fails without taking a slot when ctx
// is already done, so an abandoned request never starts an expensive hash.
func (h *Hasher) acquire(ctx context.Context) error {
	h.init()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

func (h *Hasher) release() { <-h.sem }

// derive runs Argon2id in a hashing slot; the slot is released even if
// argon2 panics.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	return argon2.IDKey([]byte(password), salt, time, memory, threads, keyLen), nil
}

// argonParams are the parameters and material decoded from a PHC string.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// Hash returns the Argon2id PHC string of password with a fresh random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
// It waits for a hashing slot and returns an error wrapping ErrBusy and
// ctx.Err() if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // never returns an error; crashes the program on RNG failure

	key, err := h.derive(ctx, password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	if err != nil {
		return "", err
	}

	return encodePHC(argonParams{
		memory:  argonMemory,
		time:    argonTime,
		threads: argonThreads,
		salt:    salt,
		key:     key,
	}), nil
}

// Verify reports whether password matches the Argon2id PHC string encoded.
// The cost parameters come from encoded, so hashes made with older (lower)
// parameters still verify; check NeedsRehash after a successful Verify.
// A malformed encoded returns an error wrapping ErrInvalidHash; a context
// that ends before a hashing slot is free returns an error wrapping ErrBusy.
// The comparison is constant-time.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	key, err := h.derive(ctx, password, p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// dummyEncoded is a well-formed hash with the current parameters that no
// password matches in practice (all-zero salt and key).
var dummyEncoded = encodePHC(argonParams{
	memory:  argonMemory,
	time:    argonTime,
	threads: argonThreads,
	salt:    make([]byte, argonSaltLen),
	key:     make([]byte, argonKeyLen),
})

// DummyVerify does the same work as Verify against a current-parameter hash
// and discards the result. Call it when the account does not exist so the
// response time does not reveal that. It returns an error only when ctx ends
// before a slot is free (wrapping ErrBusy), like Verify.
func (h *Hasher) DummyVerify(ctx context.Context) error {
	_, err := h.Verify(ctx, "dummy password for timing equalisation", dummyEncoded)
	return err
}

// NeedsRehash reports whether encoded was made with parameters below the
// current ones (memory, iterations, parallelism, salt or key length), or is
// not a valid hash at all. Call it after a successful Verify and, if true,
// store a fresh Hash of the password.
func NeedsRehash(encoded string) bool {
	p, err := decodePHC(encoded)
	if err != nil {
		return true
	}
	return p.memory < argonMemory ||
		p.time < argonTime ||
		p.threads < argonThreads ||
		len(p.salt) < argonSaltLen ||
		len(p.key) < argonKeyLen
}

var b64 = base64.RawStdEncoding

func encodePHC(p argonParams) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

func invalidHash(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidHash}, args...)...)
}

// decodePHC parses $argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<key>. Parameters
// must appear in that order (as the PHC spec fixes for argon2) and within the
// sanity bounds above. It never panics.
func decodePHC(s string) (argonParams, error) {
	var p argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, invalidHash("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, invalidHash("unsupported algorithm %q", truncate(parts[1]))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, invalidHash("unsupported version %q", truncate(parts[2]))
	}

	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, invalidHash("want parameters m,t,p")
	}
	m, err := phcUint(kv[0], "m=", 32)
	if err != nil {
		return p, err
	}
	t, err := phcUint(kv[1], "t=", 32)
	if err != nil {
		return p, err
	}
	par, err := phcUint(kv[2], "p=", 8)
	if err != nil {
		return p, err
	}
	switch {
	case par < 1 || par > maxArgonThreads:
		return p, invalidHash("parallelism %d out of range", par)
	case t < 1 || t > maxArgonTime:
		return p, invalidHash("iterations %d out of range", t)
	case m < 8*par || m > maxArgonMemory:
		return p, invalidHash("memory %d KiB out of range", m)
	}

	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, invalidHash("salt: %v", err)
	}
	if len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return p, invalidHash("salt length %d out of range", len(salt))
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return p, invalidHash("hash: %v", err)
	}
	if len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return p, invalidHash("hash length %d out of range", len(key))
	}

	p.memory, p.time, p.threads = uint32(m), uint32(t), uint8(par)
	p.salt, p.key = salt, key
	return p, nil
}

// phcUint parses "<prefix><decimal>" strictly: no sign, no leading zeros.
func phcUint(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') || v[0] == '+' {
		return 0, invalidHash("bad parameter %q", truncate(s))
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, invalidHash("bad parameter %q", truncate(s))
	}
	return n, nil
}

// truncate bounds attacker-influenced text copied into error messages.
func truncate(s string) string {
	const max = 32
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Password policy limits, in characters (Unicode code points).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// PasswordError is a password-policy violation. Message is a sentence that
// can be shown to the user as is. Compare with errors.Is against the
// ErrPassword* values, or use errors.As to get at Message.
type PasswordError struct {
	Message string
}

func (e *PasswordError) Error() string { return e.Message }

// The policy violations ValidateNewPassword returns.
var (
	ErrPasswordTooShort = &PasswordError{Message: fmt.Sprintf("Use at least %d characters.", MinPasswordLength)}
	ErrPasswordTooLong  = &PasswordError{Message: fmt.Sprintf("Use at most %d characters.", MaxPasswordLength)}
	ErrPasswordCommon   = &PasswordError{Message: "This password is too common; choose another."}
	ErrPasswordPersonal = &PasswordError{Message: "Don't use your email or name as your password."}
	ErrPasswordRepeated = &PasswordError{Message: "Don't use a single character repeated; choose another."}
)

// commonPasswords is the zxcvbn "passwords" frequency list (30 000 entries,
// already lower case) as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	m := make(map[string]struct{}, len(list))
	for _, p := range list {
		m[strings.ToLower(p)] = struct{}{}
	}
	return m
})

// ValidateNewPassword applies the policy for a password being set (sign-up,
// reset, change): 12 to 256 characters counted as Unicode code points, no
// composition rules, not a single repeated character, not equal
// (case-insensitively) to any of context (pass the user's email, name, firm
// name, ...; for an email the part before @ is checked too), and not on the
// 30 000-entry common-password list. The list and context checks also try
// the password with leading and trailing digits and punctuation removed, so
// "Password123456" and "!!monkey2024" are refused.
//
// The password is only inspected, never altered: hash exactly what the user
// typed. The returned error is nil or one of the ErrPassword* values.
func ValidateNewPassword(pw string, context ...string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		return ErrPasswordTooShort
	}
	if n > MaxPasswordLength {
		return ErrPasswordTooLong
	}
	if singleRepeatedRune(pw) {
		return ErrPasswordRepeated
	}

	candidates := passwordCandidates(pw)

	for _, c := range context {
		for _, word := range contextWords(c) {
			for _, cand := range candidates {
				if cand == word {
					return ErrPasswordPersonal
				}
			}
		}
	}

	common := commonPasswords()
	for _, cand := range candidates {
		if _, ok := common[cand]; ok {
			return ErrPasswordCommon
		}
	}
	return nil
}

func singleRepeatedRune(s string) bool {
	first, size := utf8.DecodeRuneInString(s)
	for _, r := range s[size:] {
		if r != first {
			return false
		}
	}
	return true
}

func isDigitOrPunct(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// passwordCandidates returns the lower-cased password and its forms with
// trailing, leading, and both leading and trailing digits/punctuation
// removed (deduplicated, empty forms dropped).
func passwordCandidates(pw string) []string {
	lower := strings.ToLower(pw)
	out := make([]string, 0, 4)
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(lower)
	add(strings.TrimRightFunc(lower, isDigitOrPunct))
	add(strings.TrimLeftFunc(lower, isDigitOrPunct))
	add(strings.TrimFunc(lower, isDigitOrPunct))
	return out
}

// contextWords returns the lower-cased, trimmed context string and, for an
// email address, its local part. Empty strings yield nothing.
func contextWords(c string) []string {
	c = strings.ToLower(strings.TrimSpace(c))
	if c == "" {
		return nil
	}
	words := []string{c}
	if at := strings.LastIndexByte(c, '@'); at > 0 {
		words = append(words, c[:at])
	}
	return words
}
