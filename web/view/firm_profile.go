package view

// CheckOption is one checkbox of a group.
type CheckOption struct {
	Value   string
	Label   string
	Checked bool
}

// FirmProfileProps is the firm profile settings form: our positioning, the
// ideal client profile and the recruiting goal, as the user typed them.
type FirmProfileProps struct {
	Form
	Base         string
	Positioning  string
	Positionings []Option
	Industries   string // comma-separated
	Regions      string // comma-separated
	ClientSizes  []CheckOption
	Stages       []CheckOption
	GoalMin      string
	GoalMax      string
}
