package view

// PortalHomeProps is a partner user's front page.
type PortalHomeProps struct {
	Base          string
	FirmName      string
	PartnerName   string
	CanManageTeam bool
	// Hot is the firm's hot opportunity profile; nil when there is none.
	Hot *HotSummary
	// Referrals: the partner's open referrals and latest updates, with
	// the "Refer a client" button (portal_referral_home.templ).
	Referrals PortalHomeReferrals
	// Survey asks this year's partner satisfaction question (survey.templ);
	// nil once answered.
	Survey *SurveyPrompt
}
