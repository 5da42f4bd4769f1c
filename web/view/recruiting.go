package view

import "strconv"

// RecruitingCard is a partner on the recruiting board.
type RecruitingCard struct {
	ID     string
	Name   string
	Model  string // label of the partnership model
	Owner  string // "" when nobody owns it
	Status string
	Days   int // days in the current stage
	// TierAction is the TierSelectForm action; "" hides the form.
	TierAction string
	TierID     string
}

// RecruitingColumn is one stage of the board.
type RecruitingColumn struct {
	Status string
	Label  string
	Empty  string // shown when the column has no cards
	Cards  []RecruitingCard
}

// RecruitingProps is the recruiting board and the year's goal.
type RecruitingProps struct {
	Base    string
	Year    int
	GoalMin int
	GoalMax int
	Actual  int // partners that became active for the first time this year
	// GoalStatus is "below", "at", "over" or "" (no goal).
	GoalStatus string
	Columns    []RecruitingColumn
	// NewActive are this year's new partners (the fourth column).
	NewActive []RecruitingCard
	Tiers     []Option
	CanManage bool // may add partners and assign tiers
	CanAdmin  bool // may change the goal
	// ExportURL is the Download CSV link: every candidate with its stage.
	ExportURL string
}

func goalMax(d RecruitingProps) int {
	if d.GoalMax < 1 {
		return 1
	}
	return d.GoalMax
}

// goalWidth is n's share of the goal's maximum as an SVG width (0–100).
func goalWidth(n int, d RecruitingProps) string {
	if n <= 0 {
		return "0"
	}
	if n >= goalMax(d) {
		return "100"
	}
	return strconv.Itoa(n * 100 / goalMax(d))
}

func daysText(n int) string {
	switch n {
	case 0:
		return "In stage since today"
	case 1:
		return "1 day in stage"
	}
	return strconv.Itoa(n) + " days in stage"
}
