package partner_test

import (
	"strings"
	"testing"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/partner"
)

var domainSeeds = []string{
	"firm.com",
	"https://www.Firm.com/about",
	"  HTTP://WWW.FIRM.COM  ",
	"www.firm.com/path?q=1",
	"www.www.firm.com",
	"https://www.www.firm.com",
	"https://user:pw@firm.com:8443/x",
	"https://[::1]:80/",
	"http://%41.com",
	"http://%c3%84.com/",   // host decodes to a capital Ä
	"www. firm.com /about", // spaces left behind by the cuts
	"https://",
	"://",
	"ftp://files.firm.com",
	"firm.com://x",
	"https:// firm.com",
	"mailto:ada@firm.com",
	"partner firm",
	"ünïcode.example",
	"\xff.com",
	"",
}

// FuzzNormalizeDomain: NormalizeDomain never panics, is idempotent, and
// what it returns is trimmed and lower-case.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range domainSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := partner.NormalizeDomain(in)
		if again := partner.NormalizeDomain(out); again != out {
			t.Fatalf("NormalizeDomain(%q) = %q, NormalizeDomain of that = %q; want idempotent", in, out, again)
		}
		if strings.TrimSpace(out) != out {
			t.Fatalf("NormalizeDomain(%q) = %q: not trimmed", in, out)
		}
		if strings.ToLower(out) != out {
			t.Fatalf("NormalizeDomain(%q) = %q: not lower-case", in, out)
		}
	})
}

// FuzzInputValidate: Validate never panics, refuses with EInvalid only,
// leaves normalised fields behind, is idempotent, and what it accepts fits
// the rules.
func FuzzInputValidate(f *testing.F) {
	for _, d := range domainSeeds {
		f.Add("Brightline Partners", d, "referral")
	}
	f.Add("", "", "")
	f.Add("  Contoso  ", "contoso.example", " delivery ")
	f.Add(strings.Repeat("x", 201), "x.example", "alliance")
	f.Add("Fabrikam", "fabrikam", "channel")
	f.Add("Fabrikam", "fab@rikam.com", "technology")
	f.Add("Fabrikam", "fabrikam.com", "Referral")
	f.Add("Fabrikam", "fabrikam.com", "unknown")
	f.Fuzz(func(t *testing.T, name, domain, typ string) {
		in := partner.Input{Name: name, Domain: domain, Type: typ}
		err := in.Validate()
		if err != nil && apperr.Code(err) != apperr.EInvalid {
			t.Fatalf("Validate(%q, %q, %q): error code %q, want %q", name, domain, typ, apperr.Code(err), apperr.EInvalid)
		}
		if in.Name != strings.TrimSpace(in.Name) || in.Type != strings.TrimSpace(in.Type) {
			t.Fatalf("Validate(%q, %q, %q) left %+v untrimmed", name, domain, typ, in)
		}
		if in.Domain != partner.NormalizeDomain(in.Domain) {
			t.Fatalf("Validate(%q, %q, %q) left domain %q, which normalises to %q", name, domain, typ, in.Domain, partner.NormalizeDomain(in.Domain))
		}
		second := in
		err2 := second.Validate()
		if second != in || (err == nil) != (err2 == nil) {
			t.Fatalf("Validate is not idempotent on (%q, %q, %q): %+v (%v), then %+v (%v)", name, domain, typ, in, err, second, err2)
		}
		if err != nil {
			return
		}
		if in.Name == "" || len(in.Name) > 200 {
			t.Fatalf("Validate accepted name %q", in.Name)
		}
		if _, ok := partner.TypeLabels[in.Type]; !ok {
			t.Fatalf("Validate accepted type %q", in.Type)
		}
		if in.Domain != "" && (!strings.Contains(in.Domain, ".") || strings.ContainsAny(in.Domain, " /@")) {
			t.Fatalf("Validate accepted domain %q", in.Domain)
		}
	})
}
