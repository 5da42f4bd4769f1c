package view

import (
	"net/url"
	"strings"
)

// PortalReferralListProps is the partner's referrals in a firm's portal:
// the ones they sent the firm and the ones the firm sent them.
type PortalReferralListProps struct {
	Base     string // /p/{tenant}
	FirmName string
	// Show is the filter: "open", "closed" or "all"; Direction is "",
	// "inbound" (sent to the firm) or "outbound" (sent to the partner).
	Show      string
	Direction string
	// Counts of the partner's referrals in the Direction, by Show value.
	Open, Closed int
	// Waiting is how many outbound referrals wait for the partner's answer.
	Waiting    int
	Rows       []PortalReferralRow
	Pagination PaginationProps
}

// PortalReferralRow is one referral in the partner's list.
type PortalReferralRow struct {
	URL         string
	Ref         string // R-1042
	Company     string
	Direction   string // inbound | outbound
	Status      string
	StatusLabel string
	Submitted   string // date
	LastUpdate  string // date of the last status change
	// Next is what happens next ("We respond within 24 business hours",
	// "Meeting expected by 3 Dec"); Late marks a promise already past due.
	Next string
	Late bool
	// NeedsAnswer: an outbound referral waiting for the partner to accept
	// or decline it.
	NeedsAnswer bool
}

// PortalHomeReferrals is the referrals part of the portal home: how many
// are open, how many wait for the partner's answer, the latest updates.
type PortalHomeReferrals struct {
	Open    int
	Waiting int
	Latest  []PortalReferralRow
	Promise string // "We respond within 24 business hours."
}

// PortalReferralFormProps is the "refer a client" page: the firm's
// qualification checklist, then the client and the opportunity.
type PortalReferralFormProps struct {
	Base     string
	FirmName string
	// Token is the form's one-time token: the same token posted twice
	// makes one referral.
	Token string
	// Promise is the firm's response promise ("We respond within 24
	// business hours.").
	Promise   string
	Questions []PortalQuestion
	Services  []Option
	Urgencies []Option

	ClientCompany  string
	ClientDomain   string
	ContactName    string
	ContactEmail   string
	ContactPhone   string
	Challenge      string
	Context        string
	PromisesMade   string
	Urgency        string
	EstimatedValue string
	ServiceID      string
	Form
}

// PortalQuestion is one checklist question with the partner's answer
// ("yes", "no" or "" when not answered yet).
type PortalQuestion struct {
	ID       string
	Question string
	Help     string
	Required bool
	Answer   string
}

// PortalReferralProps is one referral as its partner sees it.
type PortalReferralProps struct {
	Base     string
	URL      string // the referral's page
	FirmName string

	Ref         string
	Company     string
	Domain      string
	Direction   string // inbound | outbound
	Status      string
	StatusLabel string
	Steps       []ReferralStep
	Next        string
	Late        bool
	// Closed is set once won, lost or declined.
	Closed bool

	// What was referred.
	Submitted      string // date and time
	SubmittedBy    string
	Owner          string // the firm's person working it ("" when not assigned)
	ContactName    string
	ContactEmail   string
	ContactPhone   string
	ContactErased  bool
	Service        string
	Challenge      string
	Context        string
	PromisesMade   string
	Urgency        string
	EstimatedValue string
	Checklist      []PortalChecklistAnswer

	// Conflict explains kindly that the client may already be in touch
	// with the firm ("" when there is no open conflict); Credit names who
	// was credited once a conflict is decided.
	Conflict string
	Credit   string

	// Outcome.
	Won         bool
	Engagements []PortalEngagement
	Commission  string // the commission the partner can expect, when known
	CloseReason string // lost or declined: why, in words
	CloseNote   string // the firm's note for the partner
	Fit         string // good | poor | ""
	FitNote     string

	// NothingEarned says why the won referral has earned nothing yet
	// (ledger.WhyNothingEarned), "" once it has.
	NothingEarned string

	// Outbound: the partner's answer.
	Accepted      string // when they accepted
	Declined      string // when they declined
	DeclineReason string

	Events []PortalReferralEvent

	Note NoteForm

	// CanRespond offers Accept / Decline (an outbound referral waiting for
	// the partner's answer); CanMove offers the stage update (an outbound
	// referral they accepted).
	CanRespond bool
	Respond    RespondForm
	CanMove    bool
	Move       PortalMoveForm
	// Refused is shown at the top when a change was refused (e.g. moving a
	// referral the firm works).
	Refused string
}

// ReferralStep is one step of the progress indicator.
type ReferralStep struct {
	Label string
	// State: done, current, todo; "stopped" for a lost or declined end.
	State string
	At    string
}

// PortalChecklistAnswer is one checklist answer as submitted.
type PortalChecklistAnswer struct {
	Question string
	Answer   bool
}

// PortalEngagement is what a won referral became, as the partner sees it.
type PortalEngagement struct {
	Kind      string // Project | Retainer
	Name      string
	Scope     string // only when the firm shares scope
	Value     string
	StartedOn string
}

// PortalReferralEvent is one entry of the partner's timeline.
type PortalReferralEvent struct {
	At    string
	Title string
	Who   string
	Body  string
	// Tone is a badge tone for status moves (success for won, danger for
	// lost, …); "" for other entries.
	Tone string
}

// NoteForm is the "add a note for the firm" form.
type NoteForm struct {
	Body string
	Form
}

// RespondForm is accept / decline of an outbound referral.
type RespondForm struct {
	Reason string
	Form
}

// PortalMoveForm is the partner's stage update of an outbound referral.
type PortalMoveForm struct {
	Moves   []Option
	Reasons []Option
	Kinds   []Option
	To      string
	Reason  string
	Note    string
	// The engagement, when the partner won the work.
	Kind      string
	Name      string
	Scope     string
	Value     string
	StartedOn string
	Form
}

// portalRefListURL is the list with a filter; the defaults (open, both
// ways) stay out of the query.
func portalRefListURL(base, show, dir string) string {
	q := url.Values{}
	if show != "" && show != "open" {
		q.Set("show", show)
	}
	if dir != "" {
		q.Set("direction", dir)
	}
	u := base + "/referrals"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// portalRefDirLabel says which way a referral went, from the partner's side.
func portalRefDirLabel(direction, firm string) string {
	if direction == "outbound" {
		return "From " + firm + " to you"
	}
	return "From you to " + firm
}

// portalRefTone is the badge tone of a referral status.
func portalRefTone(status string) string {
	switch status {
	case "won":
		return "success"
	case "lost":
		return "danger"
	case "declined":
		return "neutral"
	case "submitted":
		return "warning"
	default:
		return "info"
	}
}

// portalRefStepMark is the screen-reader word for a step's state.
func portalRefStepMark(state string) string {
	switch state {
	case "done":
		return "done"
	case "current":
		return "current step"
	case "stopped":
		return "ended here"
	default:
		return "not yet"
	}
}

// portalRefDescribedBy joins the ids of a question's error and help.
func portalRefDescribedBy(errID, msg, hintID, help string) string {
	switch {
	case msg != "" && help != "":
		return errID + " " + hintID
	case msg != "":
		return errID
	case help != "":
		return hintID
	}
	return ""
}

// portalRefEngagementErr reports whether the stage form has an error on the
// engagement's fields (its section is then shown open).
func portalRefEngagementErr(f Form) bool {
	for k := range f.Errors {
		if strings.HasPrefix(k, "engagement_") {
			return true
		}
	}
	return false
}
