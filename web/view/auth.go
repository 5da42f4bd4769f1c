package view

// LoginProps is the sign-in form.
type LoginProps struct {
	Form
	Email string
	Next  string
}

// SignupProps is the new-firm form. When SignedIn, the person already has an
// account and only names the firm.
type SignupProps struct {
	Form
	SignedIn bool
	FirmName string
	Slug     string
	Name     string
	Email    string
	BaseURL  string
}
