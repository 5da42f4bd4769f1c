package view

// Invitation page states: what the person opening the link can do.
const (
	InviteAccept    = "accept"     // signed in as the invited email
	InviteOtherUser = "other_user" // signed in as someone else
	InviteSignIn    = "sign_in"    // anonymous; an account exists for the email
	InviteCreate    = "create"     // anonymous; no account yet
)

// InvitationProps is the accept-an-invitation page.
type InvitationProps struct {
	Form
	State       string // one of the Invite* constants
	Action      string // where the form posts (this page's URL)
	FirmName    string
	PartnerName string // portal invitations: the partner firm joined
	Role        string
	Email       string // the invited address
	InvitedBy   string
	Expires     string
	SignedInAs  string // InviteOtherUser: the signed-in person's email
	LoginURL    string // InviteSignIn: /login?next=<this page>
	Name        string // InviteCreate: the name typed so far
}

// joinWhat is what the invitation joins, for sentences.
func joinWhat(d InvitationProps) string {
	if d.PartnerName != "" {
		return d.FirmName + "'s partner portal for " + d.PartnerName
	}
	return d.FirmName
}
