package view

// ForgotPasswordProps is the "forgot your password" form.
type ForgotPasswordProps struct {
	Form
	Email string
}

// ResetPasswordProps is the new-password form reached from an emailed
// reset link. Token travels in a hidden field; Email is shown (and given to
// password managers) so the person knows which account they are resetting.
type ResetPasswordProps struct {
	Form
	Token string
	Email string
}
