package view

// PartnerRow is a partner in lists and headers.
type PartnerRow struct {
	ID      string
	Name    string
	Domain  string
	Type    string
	Status  string
	Created string
}

// PartnerFormProps is the add-a-partner form.
type PartnerFormProps struct {
	Form
	Base   string
	Name   string
	Domain string
	Type   string
	Types  []Option
	// Duplicate is another partner with the same domain: the form warns and
	// offers "save anyway".
	Duplicate *DuplicatePartner
}

// PersonRow is a person (or an invitation) in a team list.
type PersonRow struct {
	ID    string
	Name  string
	Email string
	Role  string
	Note  string
}

// PartnerShowProps is a partner's overview tab.
type PartnerShowProps struct {
	Header      PartnerHeaderProps
	Base        string
	Partner     PartnerRow
	Facts       PartnerFacts
	Lifecycle   LifecycleProps
	Contacts    ContactsPanelProps
	PortalUsers []PersonRow
	Invitations []PersonRow
	CanInvite   bool
	CanManage   bool // may edit the profile, move the status and keep contacts
	// Tiers and TierID drive the tier select (shown to those who may manage).
	Tiers  []Option
	TierID string
}
