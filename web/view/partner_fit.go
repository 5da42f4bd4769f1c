package view

// PartnerFitProps is a partner's "Fit & services" tab: how its target client
// profile overlaps the firm's ideal client profile, and which services of
// the map it covers.
type PartnerFitProps struct {
	Header PartnerHeaderProps
	Base   string // /t/{slug}
	// HasICP is false until the firm sets its ideal client profile.
	HasICP             bool
	CanEditICP         bool // may open /settings/firm
	Score              int  // 0–100
	Reasons            []string
	Dimensions         []FitDimensionRow
	OurPositioning     string // label, "" when not set
	TheirPositioning   string
	PositioningWarning string
	// Services.
	Form
	CanManage     bool
	ServiceGroups []ServiceCheckGroup
	Covered       []string // names of the services the partner covers
}

// FitDimensionRow is one dimension of the comparison.
type FitDimensionRow struct {
	Label   string
	Ours    string // comma-joined; "" when none
	Theirs  string
	Shared  string
	Skipped bool
	Overlap int
}

// ServiceCheckGroup is one phase of the map as checkboxes.
type ServiceCheckGroup struct {
	Key   string
	Label string
	Items []ServiceCheck
}

// ServiceCheck is one service with whether the partner covers it.
type ServiceCheck struct {
	ID      string
	Name    string
	Checked bool
}

func fitScoreTone(score int) string {
	switch {
	case score >= 67:
		return "success"
	case score >= 34:
		return "warning"
	default:
		return "danger"
	}
}

func fitOrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func fitScoreWord(score int) string {
	switch {
	case score >= 67:
		return "Strong overlap"
	case score >= 34:
		return "Some overlap"
	default:
		return "Little overlap"
	}
}
