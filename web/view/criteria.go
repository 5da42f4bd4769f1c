package view

// CriteriaProps is the settings page of the firm's qualification criteria.
type CriteriaProps struct {
	URL string // /t/{slug}/settings/criteria
	// Active criteria, edited together in one form; Inactive ones can be
	// switched back on.
	Active   []CriterionRow
	Inactive []CriterionRow
	// WeightSum is the active weights' total; scores are scaled when it isn't 100.
	WeightSum int
	EditForm  Form
	New       CriterionForm
}

// CriterionRow is one criterion (its name and weight as typed when re-shown).
type CriterionRow struct {
	ID     string
	Name   string
	Weight string
	Share  string // its share of the total, "20%"
}

// CriterionForm is the add-a-criterion form.
type CriterionForm struct {
	Form
	Name, Weight string
}
