package referral

import (
	"fmt"
	"slices"
	"strings"
)

// Statuses of a referral.
const (
	Submitted    = "submitted"
	Acknowledged = "acknowledged"
	Contacted    = "contacted"
	Meeting      = "meeting"
	Proposal     = "proposal"
	Won          = "won"
	Lost         = "lost"
	Declined     = "declined"
)

// Statuses in pipeline order.
var Statuses = []string{Submitted, Acknowledged, Contacted, Meeting, Proposal, Won, Lost, Declined}

// OpenStatuses are the stages a referral is still being worked in, in order.
var OpenStatuses = []string{Submitted, Acknowledged, Contacted, Meeting, Proposal}

// CloseReasons are why a referral was lost or declined.
var CloseReasons = []string{"timing", "budget", "fit", "competitor", "no_response", "other"}

// CanMove reports whether a referral may move from one status to another.
// The stage machine:
//
//	from          → to
//	submitted     → acknowledged, contacted, meeting, proposal, lost, declined
//	acknowledged  → contacted, meeting, proposal, lost, declined
//	contacted     → meeting, proposal, lost, declined
//	meeting       → proposal, won, lost, declined
//	proposal      → won, lost, declined
//	won, lost, declined → nothing: closing is final
//
// Forward along the open stages by one or more steps: skipping a stage is
// allowed (a partner's client may be met on the first call), going back is
// not (the timeline is the history; a wrong move is explained in a note).
// Won only from meeting or proposal (nobody wins work they have not
// discussed with the client), so submitted → won is refused. Lost and
// declined ("not a fit") from any open stage. Any move out of submitted
// counts as the first response.
func CanMove(from, to string) bool {
	fi, ti := slices.Index(OpenStatuses, from), slices.Index(OpenStatuses, to)
	if fi < 0 { // unknown or closed
		return false
	}
	switch to {
	case Won:
		return from == Meeting || from == Proposal
	case Lost, Declined:
		return true
	}
	return ti > fi
}

// Moves lists the statuses a referral in from may move to, in pipeline order
// (none for a closed or unknown status).
func Moves(from string) []string {
	out := []string{}
	for _, s := range Statuses {
		if CanMove(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// IsClosed reports whether s is a final status.
func IsClosed(s string) bool { return s == Won || s == Lost || s == Declined }

// ValidStatus reports whether s is one of Statuses.
func ValidStatus(s string) bool { return slices.Contains(Statuses, s) }

// ValidCloseReason reports whether s is one of CloseReasons.
func ValidCloseReason(s string) bool { return slices.Contains(CloseReasons, s) }

var statusLabels = map[string]string{
	Submitted:    "Submitted",
	Acknowledged: "Acknowledged",
	Contacted:    "Client contacted",
	Meeting:      "Meeting held",
	Proposal:     "Proposal sent",
	Won:          "Won",
	Lost:         "Lost",
	Declined:     "Declined (not a fit)",
}

// StatusLabel names a status for people ("Meeting held").
func StatusLabel(s string) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return s
}

var reasonLabels = map[string]string{
	"timing":      "Timing",
	"budget":      "Budget",
	"fit":         "Not a fit",
	"competitor":  "Chose another firm",
	"no_response": "No response from the client",
	"other":       "Other",
}

// ReasonLabel names a close reason for people ("Chose another firm").
func ReasonLabel(s string) string {
	if l, ok := reasonLabels[s]; ok {
		return l
	}
	return s
}

var reasonExplanations = map[string]string{
	"timing":      "The timing wasn't right for the client: the need is real but they aren't ready to start now. It may come back later, and an introduction at the right moment is just as valuable.",
	"budget":      "The client's budget didn't stretch to the work they need. Introductions where the client has set money aside for the problem tend to go further.",
	"fit":         "The work the client needs isn't something we do well enough to take on. Our services page and the monthly hot-opportunity profile show where we are strongest.",
	"competitor":  "The client chose another firm. It often helps when the client hears early why we are a good match for their problem.",
	"no_response": "We couldn't reach the client despite several attempts. A warm introduction, where the client expects our call, makes a big difference.",
	"other":       "The opportunity didn't go ahead; the note below says why.",
}

// ReasonExplanation says in words a partner can learn from what a close
// reason means.
func ReasonExplanation(s string) string {
	if l, ok := reasonExplanations[s]; ok {
		return l
	}
	return ""
}

// MoveMessage says why a move is not allowed ("" when it is).
func MoveMessage(from, to string) string {
	switch {
	case !ValidStatus(to):
		return "Choose one of: " + strings.Join(labels(Statuses), ", ") + "."
	case CanMove(from, to):
		return ""
	case from == to:
		return fmt.Sprintf("The referral is already at %s.", StatusLabel(to))
	case IsClosed(from):
		return fmt.Sprintf("The referral is closed (%s); closing is final.", StatusLabel(from))
	case to == Won:
		return fmt.Sprintf("A referral can be won only after a meeting or a proposal; from %s it can move to: %s.",
			StatusLabel(from), strings.Join(labels(Moves(from)), ", "))
	default:
		return fmt.Sprintf("A referral at %s can't go back to %s; it can move to: %s.",
			StatusLabel(from), StatusLabel(to), strings.Join(labels(Moves(from)), ", "))
	}
}

func labels(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = StatusLabel(s)
	}
	return out
}
