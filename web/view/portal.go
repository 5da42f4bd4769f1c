package view

// PortalHomeProps is a partner user's front page.
type PortalHomeProps struct {
	Base          string
	FirmName      string
	PartnerName   string
	CanManageTeam bool
}
