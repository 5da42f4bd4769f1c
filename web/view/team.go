package view

// roleDescriptions say in a sentence what each role lets a person do (in
// invitation emails and next to role choices).
var roleDescriptions = map[string]string{
	"owner":          "Owners can do everything, including making and removing other owners.",
	"admin":          "Admins can do everything except manage owners: partners, money, the team, API tokens and settings.",
	"manager":        "Partner managers find, qualify and work with partner firms and their referrals.",
	"finance":        "Finance handles commissions, payouts and partner statements.",
	"viewer":         "Viewers can see everything but change nothing.",
	"partner_admin":  "Partner admins refer clients, follow referrals and commissions, and invite or remove colleagues.",
	"partner_member": "Partner members refer clients and follow their referrals and commissions.",
}

// RoleDescription is the one-sentence description of a role ("" if unknown).
func RoleDescription(role string) string { return roleDescriptions[role] }

// roleSummaries are the short forms shown in role choices.
var roleSummaries = map[string]string{
	"owner":          "everything, including other owners",
	"admin":          "everything except managing owners",
	"manager":        "partners and referrals",
	"finance":        "commissions and payouts",
	"viewer":         "read only",
	"partner_admin":  "refers clients and manages the team",
	"partner_member": "refers clients and follows referrals",
}

// RoleOption is a role as a choice: "Admin — everything except managing
// owners" when described, the plain label otherwise.
func RoleOption(role string, described bool) Option {
	if s := roleSummaries[role]; described && s != "" {
		return Option{Value: role, Label: roleLabel(role) + " — " + s}
	}
	return Option{Value: role, Label: roleLabel(role)}
}

// MemberRow is a person on the firm's staff.
type MemberRow struct {
	ID       string
	Name     string
	Email    string
	Role     string
	Has2FA   bool
	Disabled bool
	IsMe     bool
	// Roles are the choices of the role <select>; empty when the viewer
	// may not change this person's role (an owner, for a non-owner).
	Roles     []Option
	CanRemove bool
}

// InviteRow is an open invitation.
type InviteRow struct {
	ID          string
	Email       string
	Role        string
	PartnerName string // portal invitations
	InvitedBy   string
	Expires     string
	CanRevoke   bool
}

// PortalUserRow is a partner user in the portal.
type PortalUserRow struct {
	ID        string
	Name      string
	Email     string
	Role      string
	IsMe      bool
	CanRemove bool
}

// PortalGroup is one partner firm's portal users.
type PortalGroup struct {
	PartnerID   string
	PartnerName string
	Users       []PortalUserRow
}

// StaffInviteForm invites a colleague to the firm's staff.
type StaffInviteForm struct {
	Form
	Email string
	Role  string
	Roles []Option
}

// PortalInviteForm invites a partner firm's person to the portal. Partners
// is empty on the partner's own team page (the partner is implied).
type PortalInviteForm struct {
	Form
	Email     string
	PartnerID string
	Partners  []Option
	Role      string
	Roles     []Option
}

// TeamProps is the firm's team page: staff, portal users, invitations.
type TeamProps struct {
	Base          string // "/t/<slug>"
	Members       []MemberRow
	StaffInvites  []InviteRow
	PortalGroups  []PortalGroup
	PortalInvites []InviteRow
	Invite        StaffInviteForm
	PortalInvite  PortalInviteForm
	// ExportURL is the Download CSV link: staff and portal users.
	ExportURL string
}

// PortalTeamProps is a partner's own team page in the portal.
type PortalTeamProps struct {
	Base        string // "/p/<slug>"
	FirmName    string
	PartnerName string
	CanManage   bool
	Users       []PortalUserRow
	Invites     []InviteRow
	Invite      PortalInviteForm
}
