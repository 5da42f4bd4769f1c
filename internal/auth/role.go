package auth

import (
	"fmt"
	"slices"
)

// Role is a user's or API token's role. Staff, portal and API-token roles
// share the type; use the Parse function for the context to validate input.
type Role string

// Staff roles.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleFinance Role = "finance"
	RoleViewer  Role = "viewer"
)

// Partner-portal roles.
const (
	RolePartnerAdmin  Role = "partner_admin"
	RolePartnerMember Role = "partner_member"
)

// Valid roles of each kind, most privileged first. Unexported so no caller
// can alter the allowlists the Parse functions check against.
var (
	staffRoles  = []Role{RoleOwner, RoleAdmin, RoleManager, RoleFinance, RoleViewer}
	portalRoles = []Role{RolePartnerAdmin, RolePartnerMember}
	// API tokens may carry any staff role except owner, so a leaked token
	// can never manage owners.
	tokenRoles = []Role{RoleAdmin, RoleManager, RoleFinance, RoleViewer}
)

// StaffRoles returns the staff roles, most privileged first (for select boxes).
func StaffRoles() []Role { return slices.Clone(staffRoles) }

// PortalRoles returns the partner-portal roles, most privileged first.
func PortalRoles() []Role { return slices.Clone(portalRoles) }

// TokenRoles returns the roles an API token may carry, most privileged first.
func TokenRoles() []Role { return slices.Clone(tokenRoles) }

func parseRole(kind, s string, valid []Role) (Role, error) {
	if r := Role(s); slices.Contains(valid, r) {
		return r, nil
	}
	return "", fmt.Errorf("auth: unknown %s role %q", kind, truncate(s))
}

// ParseStaffRole returns s as a staff role, or an error if it is not one.
// Matching is exact (case-sensitive).
func ParseStaffRole(s string) (Role, error) { return parseRole("staff", s, staffRoles) }

// ParsePortalRole returns s as a partner-portal role, or an error.
func ParsePortalRole(s string) (Role, error) { return parseRole("portal", s, portalRoles) }

// ParseTokenRole returns s as an API-token role, or an error. "owner" is
// not a token role.
func ParseTokenRole(s string) (Role, error) { return parseRole("token", s, tokenRoles) }

// Capability is something a role may be allowed to do. Finance and manager
// are different capabilities, not steps on one ladder, so check
// capabilities rather than comparing roles.
type Capability int

// Capabilities. View..ManageOwners are staff capabilities; ViewPortal and
// ManagePortalTeam are partner-portal ones. The zero value is deliberately
// invalid and granted to no role.
const (
	_ Capability = iota
	View
	ManagePartners
	ManageMoney
	ManageSettings
	ManageTeam
	ManageTokens
	ManageOwners
	ViewPortal
	ManagePortalTeam
)

var capabilityNames = map[Capability]string{
	View:             "View",
	ManagePartners:   "ManagePartners",
	ManageMoney:      "ManageMoney",
	ManageSettings:   "ManageSettings",
	ManageTeam:       "ManageTeam",
	ManageTokens:     "ManageTokens",
	ManageOwners:     "ManageOwners",
	ViewPortal:       "ViewPortal",
	ManagePortalTeam: "ManagePortalTeam",
}

func (c Capability) String() string {
	if n, ok := capabilityNames[c]; ok {
		return n
	}
	return fmt.Sprintf("Capability(%d)", int(c))
}

// grants is the whole permission model: role -> capabilities. Anything not
// listed, including unknown roles, is denied.
var grants = map[Role]map[Capability]bool{
	RoleOwner: {
		View: true, ManagePartners: true, ManageMoney: true, ManageSettings: true,
		ManageTeam: true, ManageTokens: true, ManageOwners: true,
	},
	RoleAdmin: {
		View: true, ManagePartners: true, ManageMoney: true, ManageSettings: true,
		ManageTeam: true, ManageTokens: true,
	},
	RoleManager: {View: true, ManagePartners: true},
	RoleFinance: {View: true, ManageMoney: true},
	RoleViewer:  {View: true},

	// Portal roles get no staff capability (not even View), so a partner
	// session can never pass a staff-route check by accident.
	RolePartnerAdmin:  {ViewPortal: true, ManagePortalTeam: true},
	RolePartnerMember: {ViewPortal: true},
}

// Can reports whether role r has capability c. Unknown roles (including
// the empty Role) can do nothing.
func (r Role) Can(c Capability) bool { return grants[r][c] }

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool { return slices.Contains(staffRoles, r) }

// IsPortal reports whether r is a partner-portal role.
func (r Role) IsPortal() bool { return slices.Contains(portalRoles, r) }

func (r Role) String() string { return string(r) }
