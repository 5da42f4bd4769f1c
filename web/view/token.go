package view

// TokenRow is an API token in the list.
type TokenRow struct {
	ID        string
	Name      string
	Role      string
	CreatedBy string // "" when the person is gone or it came from the command line
	Created   string
	LastUsed  string // "" when never used
	Revoked   string // when it was revoked; "" while it works
}

// TokenListProps is the API tokens page: the firm's tokens, the form to
// create one and, right after creating one, its secret (shown only then).
type TokenListProps struct {
	Form
	Base   string // the firm's settings URL, /t/{slug}/settings
	Tokens []TokenRow
	// NewSecret is the token just created; it is never shown again.
	NewSecret string
	// APIURL is the API's base URL, for the example request.
	APIURL string
	// The create form's input.
	Name  string
	Role  string
	Roles []Option
}
