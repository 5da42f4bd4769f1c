package partner

import (
	"slices"
	"testing"
	"time"
)

func TestRelationshipRisk(t *testing.T) {
	gone := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	c := func(level string, departed bool) Contact {
		ct := Contact{Name: level, Level: level}
		if departed {
			ct.DepartedAt = &gone
		}
		return ct
	}
	for _, tc := range []struct {
		name     string
		contacts []Contact
		want     []string
	}{
		{"no contacts", nil, []string{"No active contacts.", "No active executive sponsor."}},
		{"one sponsor", []Contact{c("executive_sponsor", false)}, []string{"Only one active contact."}},
		{"two without sponsor", []Contact{c("delivery", false), c("other", false)}, []string{"No active executive sponsor."}},
		{"sponsor and delivery", []Contact{c("executive_sponsor", false), c("delivery", false)}, []string{}},
		{"three with sponsor", []Contact{c("executive_sponsor", false), c("delivery", false), c("account_manager", false)}, []string{}},
		{"sponsor departed", []Contact{c("executive_sponsor", true), c("delivery", false), c("other", false)}, []string{"No active executive sponsor."}},
		{"second departed", []Contact{c("executive_sponsor", false), c("delivery", true)}, []string{"Only one active contact."}},
		{"all departed", []Contact{c("executive_sponsor", true), c("delivery", true)}, []string{"No active contacts.", "No active executive sponsor."}},
	} {
		got := RelationshipRisk(tc.contacts)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: RelationshipRisk = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestContactInputValidate(t *testing.T) {
	in := ContactInput{Name: "  Ann Lee ", Email: " Ann@Firm.COM ", Level: ""}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.Name != "Ann Lee" || in.Email != "ann@firm.com" || in.Level != "other" {
		t.Errorf("normalised to %+v", in)
	}
	bad := ContactInput{Name: "", Email: "not an email", Level: "boss"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, f := range []string{"name", "email", "level"} {
		if _, ok := fieldErrs(err)[f]; !ok {
			t.Errorf("no error for %s", f)
		}
	}
}
