package view

import "strings"

// DuplicatePartner is the existing partner a domain already belongs to.
type DuplicatePartner struct {
	Name string
	URL  string
}

// PartnerFacts are a partner's profile as shown on the overview.
type PartnerFacts struct {
	Website     string
	Positioning string
	Focus       string
	Industries  []string
	ClientSizes []string
	Stages      []string
	Regions     []string
	Owner       string
	Notes       string
}

// LifecycleProps is the lifecycle panel: the status, the move form and the
// history.
type LifecycleProps struct {
	Form
	Status  string
	Moves   []Option // the allowed next statuses
	To      string   // the chosen next status, kept on a 422
	Reason  string
	History []StatusChangeRow
}

// StatusChangeRow is one line of the lifecycle history.
type StatusChangeRow struct {
	When   string
	Who    string
	From   string // "" for the creation
	To     string
	Reason string
}

// ContactRow is a contact in the contacts panel.
type ContactRow struct {
	ID       string
	Name     string
	Email    string
	Phone    string
	Title    string
	Level    string // label
	Primary  bool
	Departed string // "" for a current contact
	Note     string
}

// ContactsPanelProps is the contacts panel of the overview.
type ContactsPanelProps struct {
	Current []ContactRow
	Former  []ContactRow
	Risk    []string // reasons the relationship is at risk; none: fine
	Add     ContactFormProps
}

// ContactFormProps is the add or edit form of a contact.
type ContactFormProps struct {
	Form
	Base     string // /t/{slug}/partners/{id}
	ID       string // "" when adding
	Name     string
	Email    string
	Phone    string
	Title    string
	Level    string
	Primary  bool
	Levels   []Option
	Departed bool
	Depart   DepartFormProps
}

// DepartFormProps is the "mark as departed" form.
type DepartFormProps struct {
	Form
	On   string // yyyy-mm-dd
	Note string
}

// PartnerEditProps is the profile edit page.
type PartnerEditProps struct {
	Form
	Header       PartnerHeaderProps
	Action       string
	Cancel       string
	Name         string
	Domain       string
	Website      string
	Type         string
	Positioning  string
	Focus        string
	Industries   string // comma-separated
	Regions      string
	ClientSizes  []string
	Stages       []string
	Owner        string
	Notes        string
	Types        []Option
	Positionings []Option
	Focuses      []Option
	Owners       []Option
	SizeOptions  []Option
	StageOptions []Option
	Duplicate    *DuplicatePartner
}

func hasValue(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func joinTags(vs []string) string { return strings.Join(vs, ", ") }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func historyFrom(from string) string {
	if from == "" {
		return "(created)"
	}
	return StatusLabel(from)
}
