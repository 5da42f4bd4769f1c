package agreement

// Governance is how the partnership is run day to day.
type Governance struct {
	// CheckinCadenceDays: how often the two sides meet (0: not stated).
	CheckinCadenceDays int `json:"checkin_cadence_days,omitempty"`
	// OurEscalation and TheirEscalation name who to go to when something
	// goes wrong, on each side.
	OurEscalation   string `json:"our_escalation,omitempty"`
	TheirEscalation string `json:"their_escalation,omitempty"`
	// ClientAcceptance says who decides whether a referred client is taken on.
	ClientAcceptance string `json:"client_acceptance,omitempty"`
	// ScopeChanges says who decides on changes to a project's scope.
	ScopeChanges string `json:"scope_changes,omitempty"`
}

// Terms is everything a written agreement says beyond the columns the
// database queries (model, dates, payment, exclusivity, territories, rules).
// It is stored in agreements.terms and agreement_templates.terms as JSON
// with these snake_case names.
type Terms struct {
	// Scope: what we refer to them, what they refer to us, and what is off
	// limits because it would make us competitors.
	WeReferToThem string `json:"we_refer_to_them,omitempty"`
	TheyReferToUs string `json:"they_refer_to_us,omitempty"`
	OffLimits     string `json:"off_limits,omitempty"`
	// Involvement: passive | standard | high ("" = not stated); see Involvements.
	Involvement string `json:"involvement,omitempty"`
	// PartnerProfession: law, accounting, consulting, marketing_agency,
	// other ("" unknown); the profession packs look at it.
	PartnerProfession string `json:"partner_profession,omitempty"`
	// Reciprocal: both sides refer to each other.
	Reciprocal        bool       `json:"reciprocal,omitempty"`
	Governance        Governance `json:"governance"`
	Confidentiality   string     `json:"confidentiality,omitempty"`
	DataProtection    string     `json:"data_protection,omitempty"`
	DisputeResolution string     `json:"dispute_resolution,omitempty"`
	// ClientDisclosure: how the client is told of the arrangement and any fee.
	ClientDisclosure string `json:"client_disclosure,omitempty"`
	// AnnualReview: the parties review the agreement every year.
	AnnualReview bool `json:"annual_review,omitempty"`
}
