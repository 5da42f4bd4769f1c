package view

// PartnerHeaderProps is what every tab of a partner's page shows on top.
type PartnerHeaderProps struct {
	Base   string // /t/{slug}
	ID     string
	Name   string
	Status string
	Type   string // label of the partnership model
	Tier   string // tier name, "" when none
	Domain string
	// Flags are short warnings shown as badges (e.g. "Relationship at risk").
	Flags []string
	// Active is the tab being shown: "overview", "fit", "qualification".
	Active string
}

// partnerTab is one tab of a partner's page. Later issues add theirs
// (agreements, referrals, commissions, scorecard) here.
type partnerTab struct {
	Key, Label, Suffix string
}

var partnerTabs = []partnerTab{
	{"overview", "Overview", ""},
	{"scorecard", "Scorecard", "/scorecard"},
	{"fit", "Fit & services", "/fit"},
	{"qualification", "Qualification", "/qualification"},
	{"agreements", "Agreements", "/agreements"},
	{"onboarding", "Onboarding", "/onboarding"},
	{"referrals", "Referrals", "/referrals"},
	{"commissions", "Commissions", "/commissions"},
	{"reviews", "Reviews", "/reviews"},
	{"satisfaction", "Satisfaction", "/satisfaction"},
}

func (h PartnerHeaderProps) tabURL(t partnerTab) string {
	return h.Base + "/partners/" + h.ID + t.Suffix
}
