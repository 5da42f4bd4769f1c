package server

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// FuzzSafeNext: whatever comes in, safeNext gives "" or the input itself,
// a path with exactly one leading "/", no control characters (tabs and
// newlines are dropped by browsers) and no backslashes (read as "/"), that
// stays on our host when resolved against it.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{
		"/t/northwind/partners?status=active#top",
		"/",
		"/\t/evil.example",
		"/%09/evil.example",
		"//evil",
		"/\\evil",
		"\\/evil",
		"https://evil",
		"/ok?next=//x",
		"/%2F%2Fevil",
		"/..//evil.example",
		"/./%2e%2e//evil",
		"/\x00",
		"/\x7f",
		"/\u0085/evil",
		"/\u2028",
		"/@evil.example",
		"/:evil",
		"javascript:alert(1)",
		" /t/x",
		"///evil",
		"/" + strings.Repeat("a", 2048),
		"",
	} {
		f.Add(s)
	}
	base, err := url.Parse("https://allyway.example/t/northwind/login")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out == "" {
			return
		}
		if out != in {
			t.Fatalf("safeNext(%q) = %q; want the input or \"\"", in, out)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
			t.Fatalf("safeNext(%q) = %q: does not start with exactly one \"/\"", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || r == '\\' {
				t.Fatalf("safeNext(%q) = %q: contains %U", in, out, r)
			}
		}
		ref, err := url.Parse(out)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q, which does not parse: %v", in, out, err)
		}
		abs := base.ResolveReference(ref)
		if abs.Scheme != "https" || abs.Host != "allyway.example" || abs.User != nil {
			t.Fatalf("safeNext(%q) = %q resolves to %q: off site", in, out, abs)
		}
		// The resolved URL as text (what a Location header would carry)
		// must still name our host when read again.
		again, err := url.Parse(abs.String())
		if err != nil || again.Host != "allyway.example" {
			t.Fatalf("safeNext(%q) = %q resolves to %q, which reads back as host %q (%v)", in, out, abs, again.Host, err)
		}
	})
}

// FuzzDecodeCursor: decodeCursor never panics; what it accepts is a
// position with a non-nil id, and encoding it gives the same cursor back.
func FuzzDecodeCursor(f *testing.F) {
	id := uuid.MustParse("0190f1c2-3b4a-7d5e-8f60-718293a4b5c6")
	for _, p := range []pagePos{
		{CreatedAt: time.Date(2026, 7, 1, 12, 30, 0, 123456000, time.UTC), ID: id},
		{CreatedAt: time.Unix(0, 0), ID: id},
		{CreatedAt: time.UnixMicro(math.MinInt64), ID: id},
		{CreatedAt: time.UnixMicro(math.MaxInt64), ID: uuid.Max},
	} {
		f.Add(encodeCursor(p))
	}
	valid := encodeCursor(pagePos{CreatedAt: time.Unix(1782909000, 0), ID: id})
	f.Add(valid[:10] + "\r\n" + valid[10:]) // the decoder skips CR and LF
	// The last character carries 2 bits and 4 unused ones, zero in
	// encodeCursor's output; the next letter of the alphabet sets one.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, valid[len(valid)-1])
	f.Add(valid[:len(valid)-1] + alphabet[last+1:last+2])
	raw := make([]byte, cursorLen)
	raw[0] = cursorVersion
	f.Add(base64.RawURLEncoding.EncodeToString(raw)) // nil id
	raw[0] = 2
	copy(raw[9:], id[:])
	f.Add(base64.RawURLEncoding.EncodeToString(raw))                                                                 // unknown version
	f.Add(base64.URLEncoding.EncodeToString(append([]byte{cursorVersion}, bytes.Repeat([]byte{7}, cursorLen-1)...))) // padded
	f.Add(base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, cursorLen)))                               // wrong alphabet
	f.Add("AQ")
	f.Add("not a cursor")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := decodeCursor(s)
		if !ok {
			if p != (pagePos{}) {
				t.Fatalf("decodeCursor(%q) refused but returned %+v", s, p)
			}
			return
		}
		if p.ID == uuid.Nil {
			t.Fatalf("decodeCursor(%q) accepted a nil id", s)
		}
		if p.CreatedAt.Location() != time.UTC {
			t.Fatalf("decodeCursor(%q): time in %v, want UTC", s, p.CreatedAt.Location())
		}
		if enc := encodeCursor(p); enc != s {
			t.Fatalf("decodeCursor(%q) = %+v, which encodes to %q; want the same cursor", s, p, enc)
		}
	})
}

// FuzzCursorRoundTrip: every position with a non-nil id survives
// encodeCursor then decodeCursor, to the microsecond.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add(time.Date(2026, 7, 1, 12, 30, 0, 123456000, time.UTC).UnixMicro(), []byte("0123456789abcdef"))
	f.Add(int64(0), bytes.Repeat([]byte{0xff}, 16))
	f.Add(int64(math.MinInt64), []byte{1})
	f.Add(int64(math.MaxInt64), []byte{})
	f.Fuzz(func(t *testing.T, micros int64, idBytes []byte) {
		var p pagePos
		p.CreatedAt = time.UnixMicro(micros).UTC()
		copy(p.ID[:], idBytes)
		got, ok := decodeCursor(encodeCursor(p))
		if p.ID == uuid.Nil {
			if ok {
				t.Fatalf("a cursor with the nil id was accepted: %+v", got)
			}
			return
		}
		if !ok || !got.CreatedAt.Equal(p.CreatedAt) || got.CreatedAt.UnixMicro() != micros || got.ID != p.ID {
			t.Fatalf("round trip of %+v gave %+v, %v", p, got, ok)
		}
	})
}
