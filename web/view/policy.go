package view

// PolicyRuleRow is one rule of the firm's profession pack.
type PolicyRuleRow struct {
	Key         string
	Title       string
	Explanation string
	// Where: "Checked when an agreement is sent, recorded or accepted" / referrals.
	Where      string
	Overridden bool
	Reason     string
	SetBy      string
	SetAt      string
	// Override is the override form of this rule (kept input and errors).
	Override PolicyOverrideForm
}

// PolicyOverrideForm switches a rule off with the counsel's reason.
type PolicyOverrideForm struct {
	Form
	Reason string
}

// PolicyProps is the settings page of the firm's profession policy.
type PolicyProps struct {
	Base        string // /t/{slug}/settings/policy
	Profession  string
	Label       string // the profession as people name it
	Professions []Option
	Form        Form // the profession form
	Rules       []PolicyRuleRow
	// Stale are overrides of rules outside the current pack (kept in case
	// the profession changes back).
	Stale []PolicyRuleRow
}
