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

// PartnerListProps is the partner directory.
type PartnerListProps struct {
	Base      string
	Partners  []PartnerRow
	CanCreate bool
}

// PartnerFormProps is the add-a-partner form.
type PartnerFormProps struct {
	Form
	Base   string
	Name   string
	Domain string
	Type   string
	Types  []Option
}

// PersonRow is a person (or an invitation) in a team list.
type PersonRow struct {
	ID    string
	Name  string
	Email string
	Role  string
	Note  string
}

// PartnerShowProps is a partner's page.
type PartnerShowProps struct {
	Header      PartnerHeaderProps
	Base        string
	Partner     PartnerRow
	PortalUsers []PersonRow
	Invitations []PersonRow
	CanInvite   bool
}
