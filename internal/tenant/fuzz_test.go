package tenant

import (
	"regexp"
	"strings"
	"testing"
)

// slugSpec is the documented slug format, kept apart from slugRE on purpose.
var slugSpec = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

var slugSeeds = []string{
	"Northwind Consulting",
	"  Brightline & Partners, LLP  ",
	"Contoso",
	"Admin",
	"API",
	"---",
	"a--b",
	"Ünïcödé Fïrm GmbH",
	"\u212aelvin Partners", // Kelvin sign lower-cases to ASCII k
	"İstanbul Danışmanlık",
	"日本の会社",
	"x",
	"0",
	strings.Repeat("a", 39) + " b",
	strings.Repeat("a", 40),
	strings.Repeat("a", 41),
	strings.Repeat("ab ", 30),
	strings.Repeat("a", 39) + "-",
	"",
}

// FuzzSlugFrom: SlugFrom never panics; a non-empty suggestion has the slug
// format, so ValidateSlug refuses it only when it is a reserved word; and
// suggesting from a suggestion changes nothing.
func FuzzSlugFrom(f *testing.F) {
	for _, s := range slugSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		slug := SlugFrom(name)
		if slug == "" {
			return
		}
		if !slugSpec.MatchString(slug) {
			t.Fatalf("SlugFrom(%q) = %q (%d bytes): not a slug", name, slug, len(slug))
		}
		if err := ValidateSlug(slug); err != nil && !reservedSlugs[slug] {
			t.Fatalf("SlugFrom(%q) = %q, which ValidateSlug refuses: %v", name, slug, err)
		}
		if again := SlugFrom(slug); again != slug {
			t.Fatalf("SlugFrom(%q) = %q, SlugFrom of that = %q; want a fixed point", name, slug, again)
		}
	})
}

// FuzzValidateSlug: ValidateSlug never panics and accepts exactly the
// strings of the slug format that are not reserved.
func FuzzValidateSlug(f *testing.F) {
	for _, s := range slugSeeds {
		f.Add(s)
		f.Add(SlugFrom(s))
	}
	f.Add("northwind\n")
	f.Add("-northwind")
	f.Add("northwind-")
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateSlug(s)
		want := slugSpec.MatchString(s) && !reservedSlugs[s]
		if (err == nil) != want {
			t.Fatalf("ValidateSlug(%q) = %v; want accepted = %v", s, err, want)
		}
		if err == nil && SlugFrom(s) != s && !strings.Contains(s, "--") {
			t.Fatalf("valid slug %q suggests %q; want itself", s, SlugFrom(s))
		}
	})
}
