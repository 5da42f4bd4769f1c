package identity_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/identity"
)

// FuzzNormalizeEmail: NormalizeEmail never panics, refuses with EInvalid,
// and what it accepts is a canonical, plain address: lower-case, trimmed,
// exactly one "@", no whitespace, control or invisible format characters,
// and a fixed point.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com",
		"  Ada.Lovelace+crm@Example.CO.uk \n",
		"root@localhost",
		"ADA@LOCALHOST",
		"no-at-sign",
		"a@b",
		"a@@b.com",
		"Ada <ada@example.com>",
		`"a@b"@example.com`,
		"(comment)ada@example.com",
		"ada@[192.0.2.1]",
		"ada\t@example.com",
		"ada\r\nBcc: x@example.com",
		"ada@exa mple.com",
		"ädä@exämple.com",
		"a\u00a0b@example.com",
		"a\u0085b@example.com",
		"a\u200bb@example.com",
		"\ufeffada@example.com", // a pasted byte order mark
		"ada@exa\u202emple.com", // right-to-left override
		"\u212a@example.com",    // Kelvin sign lower-cases to ASCII k
		"\xff@example.com",
		strings.Repeat("a", 250) + "@example.com",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := identity.NormalizeEmail(in)
		if err != nil {
			if out != "" {
				t.Fatalf("NormalizeEmail(%q) = %q with error %v; want \"\" on error", in, out, err)
			}
			if apperr.Code(err) != apperr.EInvalid {
				t.Fatalf("NormalizeEmail(%q): error code %q, want %q", in, apperr.Code(err), apperr.EInvalid)
			}
			return
		}
		if out == "" {
			t.Fatalf("NormalizeEmail(%q) accepted an empty address", in)
		}
		if strings.ToLower(out) != out {
			t.Errorf("NormalizeEmail(%q) = %q: not lower-case", in, out)
		}
		if strings.TrimSpace(out) != out {
			t.Errorf("NormalizeEmail(%q) = %q: not trimmed", in, out)
		}
		if n := strings.Count(out, "@"); n != 1 {
			t.Errorf("NormalizeEmail(%q) = %q: %d '@', want exactly one", in, out, n)
		}
		if len(out) > 254 {
			t.Errorf("NormalizeEmail(%q) = %q: longer than 254 bytes", in, out)
		}
		for _, r := range out {
			if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("NormalizeEmail(%q) = %q: contains %U", in, out, r)
			}
		}
		again, err := identity.NormalizeEmail(out)
		if err != nil || again != out {
			t.Errorf("NormalizeEmail(%q) = %q, then NormalizeEmail of that = %q, %v; want a fixed point", in, out, again, err)
		}
	})
}
