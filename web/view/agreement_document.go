package view

import "strings"

// DocClause is one labelled statement of an agreement: "Payment terms" —
// "Payable when the client pays, within 30 days (net 30)." Each line of
// Text is a paragraph.
type DocClause struct {
	Label string
	Text  string
}

// Paragraphs splits the clause's text into its lines.
func (c DocClause) Paragraphs() []string {
	var out []string
	for _, l := range strings.Split(c.Text, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// DocSection is one heading of an agreement with its clauses.
type DocSection struct {
	Heading string
	Clauses []DocClause
}

// AgreementDoc is one version of an agreement as it reads in full, with
// the links to its documents.
type AgreementDoc struct {
	ID          string
	Version     int
	Status      string // draft, sent, active, declined, superseded, expired, terminated
	StatusLabel string
	Title       string // the version's own title, "" when none
	Model       string // label of the partnership model
	// InForce says when it is (or was, or would be) in force.
	InForce string
	// Sent is when it was sent for acceptance ("" when not sent).
	Sent       string
	Acceptance string // the acceptance record in one sentence
	Accepted   bool
	Sections   []DocSection
	MOUURL     string
	FullURL    string
	PrintURL   string
}

// AgreementPrintProps is the print-friendly page of one version: the whole
// agreement on plain paper, with lines to sign when it is not accepted.
type AgreementPrintProps struct {
	Doc         AgreementDoc
	FirmName    string
	PartnerName string
	// BackURL is where "Back" goes (the Agreements tab or the portal page).
	BackURL   string
	PrintedOn string
}

func docStatusTone(status string) string {
	switch status {
	case "active":
		return "success"
	case "sent", "draft":
		return "warning"
	case "declined", "expired", "terminated":
		return "danger"
	default:
		return "neutral"
	}
}
