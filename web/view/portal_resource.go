package view

// PortalResourceRow is one library item in the portal.
type PortalResourceRow struct {
	ID       string
	Title    string
	Kind     string // label
	Summary  string
	Files    int
	HasLink  bool
	Template bool // a referral email template
}

// PortalResourcesProps is the portal's Resources page: the hot opportunity
// profile, the partner's onboarding progress and the library for its tier.
type PortalResourcesProps struct {
	Path        string // /p/{slug}/resources
	FirmName    string
	PartnerName string
	Kind        string
	Q           string
	KindOptions []Option
	Items       []PortalResourceRow
	Hot         *HotSummary
	Onboarding  []PortalOnboardingStep
	Done        int
	Total       int
	Percent     int
}

// Filtered reports whether a filter is applied.
func (d PortalResourcesProps) Filtered() bool { return d.Kind != "" || d.Q != "" }

// PortalResourceProps is one item in the portal.
type PortalResourceProps struct {
	ListURL   string
	KindLabel string
	Summary   string
	// BodyMD is the text to show (a template with the partner's and the
	// firm's names filled in; the client's and contact's left to fill).
	BodyMD   string
	Template bool
	LinkURL  string
	Files    []FileRow
	Updated  string
}
