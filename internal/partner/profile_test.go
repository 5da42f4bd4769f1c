package partner

import (
	"slices"
	"testing"

	"github.com/allyway/allyway/internal/apperr"
)

func fieldErrs(err error) map[string]string { return apperr.FieldErrors(err) }

func TestCleanTags(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"Fintech, fintech ,  Health   care,,", []string{"Fintech", "Health care"}},
		{"EU; North America\nEU", []string{"EU", "North America"}},
	} {
		if got := CleanTags(SplitTags(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("CleanTags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestProfileValidate(t *testing.T) {
	pr := Profile{Name: " Brightline ", Domain: "https://www.Brightline.io/about", Website: "brightline.io",
		Type: "delivery", Positioning: "premium", Focus: "specialist",
		Industries: []string{"SaaS", "saas", " Fintech "}, ClientSizes: []string{"enterprise", "small"},
		Stages: []string{"series_b", "seed"}, Regions: []string{"EU"}}
	if err := pr.Validate(); err != nil {
		t.Fatal(err)
	}
	if pr.Name != "Brightline" || pr.Domain != "brightline.io" || pr.Website != "https://brightline.io" {
		t.Errorf("normalised to %+v", pr)
	}
	if !slices.Equal(pr.Industries, []string{"SaaS", "Fintech"}) || !slices.Equal(pr.ClientSizes, []string{"small", "enterprise"}) ||
		!slices.Equal(pr.Stages, []string{"seed", "series_b"}) {
		t.Errorf("tags %q %q %q", pr.Industries, pr.ClientSizes, pr.Stages)
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	bad := Profile{Name: "", Type: "franchise", Website: "ftp://x", Positioning: "luxury", Focus: "both",
		Industries: many, ClientSizes: []string{"huge"}, Stages: []string{"series_z"}}
	err := bad.Validate()
	for _, f := range []string{"name", "type", "website", "positioning", "focus", "industries", "client_sizes", "stages"} {
		if _, ok := fieldErrs(err)[f]; !ok {
			t.Errorf("no error for %s: %v", f, fieldErrs(err))
		}
	}
}
