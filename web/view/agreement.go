package view

import (
	"strconv"
	"strings"
)

// AgreementOptions are the choices of the agreement builder and the
// template form.
type AgreementOptions struct {
	Models        []Option
	Triggers      []Option
	Exclusivities []Option
	Involvements  []Option
	Professions   []Option
	Kinds         []Option
	Directions    []Option
	Periods       []Option
	Modes         []Option
	// InvolvementHint says the levels' usual ranges and default rates.
	InvolvementHint string
}

// AgreementFields is the state of the builder's (or template form's)
// fields: the values by form name and the number of rule rows.
type AgreementFields struct {
	Form
	V        map[string]string
	RuleRows int
	Options  AgreementOptions
}

// Val is the value of a field ("" when none).
func (f AgreementFields) Val(name string) string { return f.V[name] }

// Checked reports whether a checkbox field is on.
func (f AgreementFields) Checked(name string) bool { return f.V[name] != "" }

// rule is the name of a field of rule row i: rules[i].name.
func rule(i int, name string) string { return "rules[" + strconv.Itoa(i) + "]." + name }

// ruleRows lists the rule rows' indexes.
func (f AgreementFields) ruleRows() []int {
	out := make([]int, f.RuleRows)
	for i := range out {
		out[i] = i
	}
	return out
}

// ruleHasError reports whether row i has an error (its fieldset is then open).
func (f AgreementFields) ruleHasError(i int) bool {
	p := rule(i, "")
	for k := range f.Errors {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// AgreementBuilderProps is the builder: a new draft or an edit of one.
type AgreementBuilderProps struct {
	AgreementFields
	Header  PartnerHeaderProps
	Heading string
	// Basis says what the draft starts from ("Northwind's referral
	// template", "version 2's terms").
	Basis    string
	Action   string
	Cancel   string
	Submit   string
	Warnings []string
}

// AgreementPickerProps is the first step of a new agreement: pick a
// template (or start blank, or from the current version).
type AgreementPickerProps struct {
	Header    PartnerHeaderProps
	NewURL    string // the builder; ?template=… is added
	Templates []AgreementTemplateChoice
	// Suggested is the template for the partner's model and tier ("" none).
	Suggested string
	// CurrentVersion > 0 offers "change the terms of version N".
	CurrentVersion int
}

// AgreementTemplateChoice is a template on the picker.
type AgreementTemplateChoice struct {
	ID      string
	Name    string
	Model   string
	Tier    string
	Summary []string
}

// AgreementVersionRow is one version in a partner's history.
type AgreementVersionRow struct {
	ID          string
	Version     int
	Status      string
	StatusLabel string
	InForce     string
	Note        string
	ViewURL     string
	DiffURL     string // "" for the first version
}

// PartnerAgreementsProps is a partner's Agreements tab.
type PartnerAgreementsProps struct {
	Header PartnerHeaderProps
	Base   string // …/partners/{id}/agreements
	// Current is the active version; Pending the one being drafted or sent.
	Current *AgreementDoc
	Pending *AgreementDoc
	// PendingStatus is draft or sent ("" when none).
	PendingStatus string
	// Warnings about the pending version: overlaps with other partners'
	// agreements, rates outside the involvement level, policy rules it
	// breaks (it can't be sent until they are fixed).
	Warnings       []string
	PolicyProblems []string
	// NoPortalAdmin: nobody at the partner can accept in the portal yet.
	NoPortalAdmin bool
	LastDeclined  string // "Version 2 was declined on …: reason"
	History       []AgreementVersionRow
	CanManage     bool
	// Error is the message of a refused action (send, record, terminate).
	Error     Form
	Record    RecordAgreementForm
	Terminate TerminateAgreementForm
}

// RecordAgreementForm records a version signed elsewhere.
type RecordAgreementForm struct {
	Form
	SignedBy string
}

// TerminateAgreementForm ends the active version.
type TerminateAgreementForm struct {
	Form
	EndedOn string
	Reason  string
}

// AgreementVersionProps shows one version in full.
type AgreementVersionProps struct {
	Header  PartnerHeaderProps
	Base    string
	Doc     AgreementDoc
	DiffURL string
	Ended   string // "Superseded by version 3." / the termination reason
	Note    string // the version's change note
}

// AgreementChange is one line of a diff.
type AgreementChange struct {
	Field string
	From  string
	To    string
}

// AgreementDiffProps compares two versions of a partner's agreement.
type AgreementDiffProps struct {
	Header   PartnerHeaderProps
	Base     string
	Action   string // the diff page (GET form)
	FromID   string
	ToID     string
	FromName string
	ToName   string
	Versions []Option
	Changes  []AgreementChange
}

// AgreementListRow is one agreement in the firm-wide list.
type AgreementListRow struct {
	ID          string
	PartnerID   string
	PartnerName string
	Version     int
	Status      string
	StatusLabel string
	Model       string
	InForce     string
	Ends        string // "31 Dec 2026" or ""
	// Expiring: the term ends within 30 days.
	Expiring bool
	URL      string
}

// AgreementListProps is the firm-wide agreements page.
type AgreementListProps struct {
	Base string // /t/{slug}/agreements
	Q    string
	// ExportURL is the Download CSV link: the filters in force.
	ExportURL string
	Status    string
	Expiring  bool
	Statuses  []Option
	Rows      []AgreementListRow
	Counts    []AgreementCount
}

// AgreementCount is a status with how many agreements have it.
type AgreementCount struct {
	Label string
	Count int
	URL   string
}

// AgreementTemplateRow is a template in the settings list.
type AgreementTemplateRow struct {
	ID      string
	Name    string
	Model   string
	Tier    string
	Payment string
	Term    string
	Rules   []string
	InUse   int
}

// AgreementTemplatesProps is the settings page of the firm's templates.
type AgreementTemplatesProps struct {
	Base string // /t/{slug}/settings/agreement-templates
	Rows []AgreementTemplateRow
}

// AgreementTemplateFormProps adds or edits a template.
type AgreementTemplateFormProps struct {
	AgreementFields
	Base   string
	ID     string // "" for a new template
	Name   string // the stored name (heading, delete button)
	Action string
	Submit string
	Tiers  []Option
	InUse  int
}
