package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(0)

	for _, pw := range []string{"correct horse battery staple", "", "пароль-пароль-🔑", strings.Repeat("x", 1000)} {
		enc, err := h.Hash(ctx, pw)
		require.NoError(t, err)
		require.Regexp(t, phcRE, enc)
		require.False(t, NeedsRehash(enc))

		ok, err := h.Verify(ctx, pw, enc)
		require.NoError(t, err)
		require.True(t, ok, "own password must verify")

		ok, err = h.Verify(ctx, pw+"x", enc)
		require.NoError(t, err)
		require.False(t, ok, "wrong password must not verify")
	}

	a, err := h.Hash(ctx, "same password twice")
	require.NoError(t, err)
	b, err := h.Hash(ctx, "same password twice")
	require.NoError(t, err)
	require.NotEqual(t, a, b, "salts must differ")
}

func TestVerifyCaseAndWhitespaceSensitive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(0)
	enc, err := h.Hash(ctx, "Tr0ub4dor&3 long enough")
	require.NoError(t, err)
	for _, wrong := range []string{"tr0ub4dor&3 long enough", "Tr0ub4dor&3 long enough ", " Tr0ub4dor&3 long enough", "Tr0ub4dor&3 long enoug"} {
		ok, err := h.Verify(ctx, wrong, enc)
		require.NoError(t, err)
		require.False(t, ok, "%q", wrong)
	}
}

// A hash made with older, cheaper parameters still verifies (parameters are
// read from the string) but is flagged for rehashing.
func TestVerifyOldParamsNeedsRehash(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	old := encodePHC(argonParams{
		memory: 8192, time: 1, threads: 1, salt: salt,
		key: argon2.IDKey([]byte("old password"), salt, 1, 8192, 1, 32),
	})
	require.True(t, NeedsRehash(old))

	ok, err := NewHasher(1).Verify(context.Background(), "old password", old)
	require.NoError(t, err)
	require.True(t, ok)

	tests := []struct {
		name string
		p    argonParams
		want bool
	}{
		{"current", argonParams{19456, 2, 1, make([]byte, 16), make([]byte, 32)}, false},
		{"higher", argonParams{65536, 3, 2, make([]byte, 32), make([]byte, 64)}, false},
		{"low memory", argonParams{19455, 2, 1, make([]byte, 16), make([]byte, 32)}, true},
		{"low time", argonParams{65536, 1, 1, make([]byte, 16), make([]byte, 32)}, true},
		{"short salt", argonParams{19456, 2, 1, make([]byte, 8), make([]byte, 32)}, true},
		{"short key", argonParams{19456, 2, 1, make([]byte, 16), make([]byte, 16)}, true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, NeedsRehash(encodePHC(tt.p)), tt.name)
	}
	require.True(t, NeedsRehash("not a hash"))
}

func TestVerifyTampered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(0)
	good, err := h.Hash(ctx, "a fine password")
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]

	invalid := map[string]string{
		"empty":            "",
		"garbage":          "hello",
		"bcrypt":           "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		"argon2i":          "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"argon2d":          "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"no version":       "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key,
		"version 16":       "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"leading junk":     "x$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"extra field":      good + "$",
		"missing hash":     "$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"params reordered": "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key,
		"params missing":   "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,
		"params extra":     "$argon2id$v=19$m=19456,t=2,p=1,k=1$" + salt + "$" + key,
		"m empty":          "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key,
		"m negative":       "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key,
		"m plus":           "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key,
		"m leading zero":   "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key,
		"m overflow":       "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key,
		"m huge":           "$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key,
		"m too small":      "$argon2id$v=19$m=7,t=2,p=1$" + salt + "$" + key,
		"t zero":           "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"t huge":           "$argon2id$v=19$m=19456,t=4294967295,p=1$" + salt + "$" + key,
		"p zero":           "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key,
		"p 256":            "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key,
		"p hex":            "$argon2id$v=19$m=19456,t=2,p=0x1$" + salt + "$" + key,
		"salt not b64":     "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key,
		"salt padded":      "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key,
		"salt empty":       "$argon2id$v=19$m=19456,t=2,p=1$$" + key,
		"salt short":       "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + key,
		"hash not b64":     "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:40] + "*!?",
		"hash empty":       "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",
		"hash short":       "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAA",
		"hash url b64":     "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("_", 43),
	}
	for name, enc := range invalid {
		t.Run(name, func(t *testing.T) {
			require.NotPanics(t, func() {
				ok, err := h.Verify(ctx, "a fine password", enc)
				require.False(t, ok)
				require.ErrorIs(t, err, ErrInvalidHash)
			})
		})
	}

	// Well-formed but altered material: no error, just no match.
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	for name, enc := range map[string]string{
		"salt changed":   "$argon2id$v=19$m=19456,t=2,p=1$" + flip(salt) + "$" + key,
		"hash changed":   "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + flip(key),
		"params changed": "$argon2id$v=19$m=19457,t=2,p=1$" + salt + "$" + key,
	} {
		ok, err := h.Verify(ctx, "a fine password", enc)
		require.NoError(t, err, name)
		require.False(t, ok, name)
	}
}

func TestHasherBusy(t *testing.T) {
	t.Parallel()
	h := NewHasher(1)
	enc, err := h.Hash(context.Background(), "some password here")
	require.NoError(t, err)

	// Occupy the only slot, as an in-flight Hash would.
	require.NoError(t, h.acquire(context.Background()))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = h.Hash(cancelled, "another password")
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorIs(t, err, context.Canceled)

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	start := time.Now()
	ok, err := h.Verify(short, "some password here", enc)
	require.False(t, ok)
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 15*time.Millisecond, "must wait for a slot until the deadline")

	require.ErrorIs(t, h.DummyVerify(cancelled), ErrBusy)

	// A waiter gets the slot as soon as it is released.
	done := make(chan error, 1)
	go func() {
		_, err := h.Verify(context.Background(), "some password here", enc)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Verify finished while the slot was held: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	h.release()
	require.NoError(t, <-done)

	// A cancelled context is refused even when a slot is free.
	_, err = h.Hash(cancelled, "another password")
	require.ErrorIs(t, err, ErrBusy)
}

// Concurrent callers never hold more than maxConcurrent slots, and all
// finish (run with -race).
func TestHasherConcurrent(t *testing.T) {
	t.Parallel()
	h := NewHasher(2)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			pw := fmt.Sprintf("concurrent password %d", i)
			enc, err := h.Hash(context.Background(), pw)
			if err == nil {
				var ok bool
				ok, err = h.Verify(context.Background(), pw, enc)
				if err == nil && !ok {
					err = errors.New("did not verify")
				}
			}
			if n := len(h.sem); err == nil && n > 2 {
				err = fmt.Errorf("%d slots in use", n)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Zero(t, len(h.sem), "all slots released")
}

func TestNewHasherDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, DefaultMaxConcurrentHashes, cap(NewHasher(0).sem))
	require.Equal(t, DefaultMaxConcurrentHashes, cap(NewHasher(-3).sem))
	require.Equal(t, 7, cap(NewHasher(7).sem))

	var zero Hasher // usable without NewHasher
	require.NoError(t, zero.DummyVerify(context.Background()))
	require.Equal(t, DefaultMaxConcurrentHashes, cap(zero.sem))
}

func TestDummyVerifyUsesCurrentParams(t *testing.T) {
	t.Parallel()
	p, err := decodePHC(dummyEncoded)
	require.NoError(t, err)
	require.Equal(t, argonMemory, p.memory)
	require.Equal(t, argonTime, p.time)
	require.Equal(t, argonThreads, p.threads)
	require.Len(t, p.key, argonKeyLen)
	require.False(t, NeedsRehash(dummyEncoded))
	require.NoError(t, NewHasher(1).DummyVerify(context.Background()))
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	in := argonParams{65536, 3, 4, []byte("sixteen byte slt"), []byte("thirty-two bytes of derived key!")}
	out, err := decodePHC(encodePHC(in))
	require.NoError(t, err)
	require.Equal(t, in, out)
}

func TestValidateNewPassword(t *testing.T) {
	t.Parallel()
	ctx := []string{"Jane.Doe@Acme-Widgets.example", "Jane Doe Smithson", "Acme Widgets Limited", ""}
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"11 chars", "kq8#vLm2Zp!", ErrPasswordTooShort},
		{"12 chars", "kq8#vLm2Zp!x", nil},
		{"empty", "", ErrPasswordTooShort},
		{"100 chars", strings.Repeat("abcdefghij", 10), nil},
		{"64 chars", strings.Repeat("Zq9!", 16), nil},
		{"256 runes", strings.Repeat("é", 255) + "x", nil},
		{"257 runes", strings.Repeat("é", 256) + "x", ErrPasswordTooLong},
		{"11 multibyte runes (22 bytes)", strings.Repeat("é", 10) + "x", ErrPasswordTooShort},
		{"12 multibyte runes", "пароль-тайна", nil},
		{"6 emoji (24 bytes)", "🔑🐉🌵🎲🚲🧀", ErrPasswordTooShort},
		{"12 emoji", "🔑🐉🌵🎲🚲🧀🔑🐉🌵🎲🚲🦀", nil},
		{"spaces allowed", "correct horse battery staple", nil},
		{"no composition rules", "thisisalllowercaseletters", nil},
		{"common on list", "1qaz2wsx3edc", ErrPasswordCommon},
		{"common upper case", "1QAZ2WSX3EDC", ErrPasswordCommon},
		{"password1234", "password1234", ErrPasswordCommon},
		{"password123456", "password123456", ErrPasswordCommon},
		{"Password123!", "Password123!", ErrPasswordCommon},
		{"leading digits", "2024!!monkey", ErrPasswordCommon},
		{"both sides", "!!!dragon2024!!", ErrPasswordCommon},
		{"common word with suffix inside", "pass word 123", nil},
		{"all digits not on list", "492817305561", nil},
		{"all digits on list", "123456789123", ErrPasswordCommon},
		{"repeated char", "aaaaaaaaaaaa", ErrPasswordRepeated},
		{"repeated multibyte", strings.Repeat("ж", 20), ErrPasswordRepeated},
		{"almost repeated", "aaaaaaaaaaab", nil},
		{"email", "jane.doe@acme-widgets.example", ErrPasswordPersonal},
		{"email upper", "JANE.DOE@ACME-WIDGETS.EXAMPLE", ErrPasswordPersonal},
		{"email with suffix", "Jane.Doe@Acme-Widgets.example!1", ErrPasswordPersonal},
		{"email local part + digits", "jane.doe2024!", ErrPasswordPersonal},
		{"name", "jane doe smithson", ErrPasswordPersonal},
		{"firm name", "ACME WIDGETS LIMITED", ErrPasswordPersonal},
		{"firm name + digits", "Acme Widgets Limited 2025", ErrPasswordPersonal},
		{"contains name but more", "jane doe smithson likes tea", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateNewPassword(tt.pw, ctx...)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			var pe *PasswordError
			require.ErrorAs(t, err, &pe)
			require.NotEmpty(t, pe.Message)
			require.Equal(t, pe.Message, err.Error())
		})
	}
}

func TestPasswordErrorMessages(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Use at least 12 characters.", ErrPasswordTooShort.Message)
	require.Equal(t, "Use at most 256 characters.", ErrPasswordTooLong.Message)
	require.Equal(t, "This password is too common; choose another.", ErrPasswordCommon.Message)
	require.Equal(t, "Don't use your email or name as your password.", ErrPasswordPersonal.Message)

	// Wrapped errors still expose the message to form code.
	err := fmt.Errorf("signup: %w", ValidateNewPassword("short"))
	var pe *PasswordError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, ErrPasswordTooShort.Message, pe.Message)
}

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	m := commonPasswords()
	require.Greater(t, len(m), 29000)
	_, ok := m["password"]
	require.True(t, ok)
}

func FuzzValidateNewPassword(f *testing.F) {
	for _, s := range []string{"", "password1234", "kq8#vLm2Zp!x", "aaaaaaaaaaaa", "jane@acme.example", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "🔑🐉🌵🎲🚲🧀🔑🐉🌵🎲🚲🦀", strings.Repeat("é", 257)} {
		f.Add(s, "jane@acme.example")
	}
	f.Fuzz(func(t *testing.T, pw, ctx string) {
		err := ValidateNewPassword(pw, ctx)
		n := utf8.RuneCountInString(pw)
		if err == nil {
			if n < MinPasswordLength || n > MaxPasswordLength {
				t.Fatalf("accepted %d-rune password", n)
			}
			return
		}
		var pe *PasswordError
		if !errors.As(err, &pe) || pe.Message == "" {
			t.Fatalf("error %v is not a *PasswordError with a message", err)
		}
	})
}

func FuzzVerifyEncoded(f *testing.F) {
	for _, s := range []string{
		"",
		"$",
		"$$$$$",
		dummyEncoded,
		"$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAA$AAAA",
		"$argon2id$v=19$m=-1,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
		"$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
	} {
		f.Add("password", s)
	}
	h := NewHasher(0)
	f.Fuzz(func(t *testing.T, pw, enc string) {
		p, err := decodePHC(enc)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidHash)
			require.True(t, NeedsRehash(enc))
			ok, verr := h.Verify(context.Background(), pw, enc)
			require.False(t, ok)
			require.ErrorIs(t, verr, ErrInvalidHash)
			return
		}
		// Parsed parameters are within bounds and re-encode losslessly.
		again, err := decodePHC(encodePHC(p))
		require.NoError(t, err)
		require.Equal(t, p, again)
		// Keep the fuzzer fast: only run Argon2 for cheap parameters.
		if uint64(p.memory)*uint64(p.time) <= 64*1024 {
			_, err := h.Verify(context.Background(), pw, enc)
			require.NoError(t, err)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
