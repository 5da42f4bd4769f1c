package view

import "strconv"

// ReferralSettingsProps is the settings page of the firm's referral program:
// the SLA clocks, attribution and what won referrals tell the partner, and
// the qualification checklist partners answer before they submit.
type ReferralSettingsProps struct {
	URL       string // /t/{slug}/settings/referrals
	Settings  ReferralSettingsForm
	TimeZones []Option
	// Questions are the active checklist questions in the order partners
	// see them; Inactive ones are kept but not asked.
	Questions []ReferralSettingsQuestion
	Inactive  []ReferralSettingsQuestion
	New       ReferralSettingsNewQuestion
}

// ReferralSettingsForm is the SLA and attribution form, its values as typed.
type ReferralSettingsForm struct {
	Form
	TimeZone             string
	SLAClock             string // business or calendar
	FirstResponseHours   string
	FirstContactHours    string
	MeetingDays          string
	PartnerResponseHours string
	ReminderHours        string
	AttributionRule      string // first_introduction or staff_decides
	ClaimWindowDays      string
	ShareWonScope        bool
}

// ReferralSettingsQuestion is one checklist question with its edit form; its
// values are the stored ones, or what was typed when the edit was refused.
type ReferralSettingsQuestion struct {
	Form
	ID       string
	Number   int // 1-based place in the checklist
	Question string
	Help     string
	Required bool
	First    bool // no "Move up"
	Last     bool // no "Move down"
}

// ReferralSettingsNewQuestion is the add-a-question form.
type ReferralSettingsNewQuestion struct {
	Form
	Question string
	Help     string
	Required bool
}

// refSetItoa keeps the templates free of strconv imports.
func refSetItoa(n int) string { return strconv.Itoa(n) }

// refSetRequiredText says whether a question must be answered yes.
func refSetRequiredText(required bool) string {
	if required {
		return "Must be yes"
	}
	return "Optional"
}
