package view

import "strconv"

// OnboardingStepRow is one step of a partner's onboarding checklist.
type OnboardingStepRow struct {
	ID          string
	Title       string
	Description string
	Done        bool
	DoneBy      string // who ticked it ("" when unknown)
	DoneAt      string // "27 Nov 2026"
	Note        string
	DueOn       string // yyyy-mm-dd for the date input
	DueLabel    string // "1 Dec 2026"
	Overdue     bool
	Custom      bool // added for this partner only (can be removed)
	Form        Form // errors when this step's form is re-shown
}

// OnboardingAddProps is the form that adds a custom step.
type OnboardingAddProps struct {
	Form
	Title       string
	Description string
	DueOn       string
}

// PartnerOnboardingProps is a partner's Onboarding tab.
type PartnerOnboardingProps struct {
	Header    PartnerHeaderProps
	Path      string // /t/{slug}/partners/{id}/onboarding
	CanManage bool
	Steps     []OnboardingStepRow
	Done      int
	Total     int
	Percent   int
	// Needs says what is still needed to become active ("" when nothing).
	Needs string
	// Outcome is a line about the partner's state when it isn't onboarding.
	Outcome string
	// AgreementsURL is the partner's Agreements tab.
	AgreementsURL string
	// NewTemplateSteps is how many of the firm's template steps the
	// checklist doesn't have yet (offered to add).
	NewTemplateSteps int
	// CanStart: the partner has no checklist yet and may get one.
	CanStart bool
	Add      OnboardingAddProps
	// SettingsURL is the template's settings page ("" when the person can't edit it).
	SettingsURL string
}

// ProgressText is "4 of 7 done".
func ProgressText(done, total int) string {
	return strconv.Itoa(done) + " of " + strconv.Itoa(total) + " done"
}

// OnboardingTemplateRow is one step of the firm's checklist template.
type OnboardingTemplateRow struct {
	ID          string
	Title       string
	Description string
	Position    string
	Active      bool
	Form        Form
}

// OnboardingSettingsProps is the settings page of the checklist template.
type OnboardingSettingsProps struct {
	Path  string // /t/{slug}/settings/onboarding
	Steps []OnboardingTemplateRow
	New   OnboardingTemplateNew
}

// OnboardingTemplateNew is the form that adds a template step.
type OnboardingTemplateNew struct {
	Form
	Title       string
	Description string
	Position    string
}

// PortalOnboardingStep is one step of the partner's own checklist in the portal.
type PortalOnboardingStep struct {
	Title       string
	Description string
	Done        bool
	DoneAt      string
	DueLabel    string
}

// ProgressCount is "1 new step" or "3 new steps".
func ProgressCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
