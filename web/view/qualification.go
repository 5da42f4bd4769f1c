package view

import "strconv"

// QualificationProps is a partner's qualification tab: the scorecard, the
// references, the red-flag checklist, the potential and the decision. Each
// form keeps its own input and errors so one can be re-shown with 422.
type QualificationProps struct {
	Header PartnerHeaderProps
	// URL is the partner's page, /t/{slug}/partners/{id}; forms post under it.
	URL string
	// CriteriaURL is the settings page of the criteria ("" when the role can't open it).
	CriteriaURL string
	CanEdit     bool // the role may change the qualification

	Flags []QualFlagRow

	Score     ScoreSummary
	Criteria  []ScoreRow
	ScoreForm Form

	References []ReferenceRow
	Reference  ReferenceForm

	RedFlags  []RedFlagRow
	FlagsForm Form

	Potential PotentialForm

	Decision DecisionProps
}

// QualFlagRow is a finding of the red-flag rules.
type QualFlagRow struct {
	Severity string // red, warning, note
	Label    string
	Message  string
}

// ScoreSummary is the weighted score and how it was reached.
type ScoreSummary struct {
	Has       bool   // at least one criterion is scored
	Value     string // "3.90"
	Complete  bool
	Scored    int
	Criteria  int
	WeightSum int
	// Terms are "5 × 20" for each scored criterion, for the formula, and
	// ScoredWeight the sum of their weights.
	Terms        []string
	ScoredWeight int
}

// ScoreRow is one criterion of the scorecard with the partner's score.
type ScoreRow struct {
	ID       string
	Name     string
	Weight   int
	Score    string // "1".."5" or "" (not scored): the checked radio
	Note     string
	ScoredBy string // "Ann, 3 Mar 2026"
}

// ReferenceRow is one reference check.
type ReferenceRow struct {
	ID           string
	Who          string
	Relationship string
	Sentiment    string
	Notes        string
	Added        string
}

// ReferenceForm is the add-a-reference form.
type ReferenceForm struct {
	Form
	Who, Relationship, Sentiment, Notes string
}

// RedFlagRow is one checklist item.
type RedFlagRow struct {
	Key     string
	Label   string
	Checked bool
	Note    string
}

// PotentialForm is the potential assessment.
type PotentialForm struct {
	Form
	ExpectedIn, ExpectedOut, Clients, Notes string
	// Warning is shown when expected referrals to us are below the minimum.
	Warning string
}

// DecisionProps is the decision: made (shown) or to make (the form).
type DecisionProps struct {
	Form
	Status    string // the partner's lifecycle status
	CanDecide bool   // the status allows a decision
	Decided   string // qualified, rejected or ""
	Reason    string // the recorded reason
	DecidedBy string
	DecidedAt string
	// The form's input.
	Choice      string // qualify or reject
	ReasonInput string
}

var qualScoreChoices = []string{"1", "2", "3", "4", "5"}

var qualScoreWords = map[string]string{"1": "Poor", "2": "Weak", "3": "Adequate", "4": "Good", "5": "Excellent"}

var qualSentimentOptions = []Option{{"positive", "Positive"}, {"neutral", "Neutral"}, {"negative", "Negative"}}

func qualSentimentTone(s string) string {
	switch s {
	case "positive":
		return "success"
	case "negative":
		return "danger"
	default:
		return "neutral"
	}
}

func qualFlagTone(severity string) string {
	switch severity {
	case "red":
		return "danger"
	case "warning":
		return "warning"
	default:
		return "info"
	}
}

func qualItoa(n int) string { return strconv.Itoa(n) }

func qualRadioID(criterion, n string) string { return "score-" + criterion + "-" + n }

func qualDecisionLabel(d string) string {
	if d == "qualified" {
		return "Qualified"
	}
	return "Rejected"
}
