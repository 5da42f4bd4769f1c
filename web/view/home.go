package view

// Workplace is one firm or portal a person may enter.
type Workplace struct {
	URL  string
	Name string
	Kind string // "Staff" or "Partner portal"
	Role string
}
