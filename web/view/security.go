package view

// SecurityProps is a firm's security settings page.
type SecurityProps struct {
	Form
	Base            string // /t/{slug}
	RequireAdmin2FA bool
	// Missing are the owners and admins who don't use two-factor sign-in yet.
	Missing []SecurityMember
	// MeWithout2FA is true when the person looking doesn't use it either.
	MeWithout2FA bool
}

// SecurityMember is an owner or admin in the two-factor list.
type SecurityMember struct {
	Name  string
	Email string
	Role  string
	You   bool
}
