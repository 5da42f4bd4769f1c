package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRoles(t *testing.T) {
	t.Parallel()
	type parseFn func(string) (Role, error)
	tests := []struct {
		name  string
		parse parseFn
		in    string
		want  Role
		ok    bool
	}{
		{"staff owner", ParseStaffRole, "owner", RoleOwner, true},
		{"staff admin", ParseStaffRole, "admin", RoleAdmin, true},
		{"staff manager", ParseStaffRole, "manager", RoleManager, true},
		{"staff finance", ParseStaffRole, "finance", RoleFinance, true},
		{"staff viewer", ParseStaffRole, "viewer", RoleViewer, true},
		{"staff rejects portal", ParseStaffRole, "partner_admin", "", false},
		{"staff rejects case", ParseStaffRole, "Owner", "", false},
		{"staff rejects space", ParseStaffRole, " owner", "", false},
		{"staff rejects empty", ParseStaffRole, "", "", false},
		{"staff rejects unknown", ParseStaffRole, "root", "", false},

		{"portal admin", ParsePortalRole, "partner_admin", RolePartnerAdmin, true},
		{"portal member", ParsePortalRole, "partner_member", RolePartnerMember, true},
		{"portal rejects staff", ParsePortalRole, "admin", "", false},
		{"portal rejects empty", ParsePortalRole, "", "", false},

		{"token admin", ParseTokenRole, "admin", RoleAdmin, true},
		{"token manager", ParseTokenRole, "manager", RoleManager, true},
		{"token finance", ParseTokenRole, "finance", RoleFinance, true},
		{"token viewer", ParseTokenRole, "viewer", RoleViewer, true},
		{"token rejects owner", ParseTokenRole, "owner", "", false},
		{"token rejects portal", ParseTokenRole, "partner_admin", "", false},
		{"token rejects empty", ParseTokenRole, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if !tt.ok {
				require.Error(t, err)
				require.Equal(t, Role(""), got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRoleCan(t *testing.T) {
	t.Parallel()
	all := []Capability{View, ManagePartners, ManageMoney, ManageSettings, ManageTeam, ManageTokens, ManageOwners, ViewPortal, ManagePortalTeam}
	// The expected matrix, written out in full.
	want := map[Role][]Capability{
		RoleOwner:         {View, ManagePartners, ManageMoney, ManageSettings, ManageTeam, ManageTokens, ManageOwners},
		RoleAdmin:         {View, ManagePartners, ManageMoney, ManageSettings, ManageTeam, ManageTokens},
		RoleManager:       {View, ManagePartners},
		RoleFinance:       {View, ManageMoney},
		RoleViewer:        {View},
		RolePartnerAdmin:  {ViewPortal, ManagePortalTeam},
		RolePartnerMember: {ViewPortal},
		"":                nil,
		"root":            nil,
		"Owner":           nil,
	}
	for role, caps := range want {
		granted := map[Capability]bool{}
		for _, c := range caps {
			granted[c] = true
		}
		for _, c := range append(all, Capability(0), Capability(99)) {
			require.Equal(t, granted[c], role.Can(c), "%q.Can(%v)", role, c)
		}
	}
	// Every declared role appears in the matrix above.
	for _, list := range [][]Role{StaffRoles(), PortalRoles(), TokenRoles()} {
		for _, r := range list {
			_, ok := want[r]
			require.True(t, ok, "role %q missing from test matrix", r)
		}
	}
}

func TestRoleKinds(t *testing.T) {
	t.Parallel()
	require.True(t, RoleOwner.IsStaff())
	require.False(t, RoleOwner.IsPortal())
	require.True(t, RolePartnerMember.IsPortal())
	require.False(t, RolePartnerMember.IsStaff())
	require.False(t, Role("").IsStaff())
	require.Equal(t, "ManageMoney", ManageMoney.String())
	require.Equal(t, "Capability(0)", Capability(0).String())
	require.Equal(t, "finance", RoleFinance.String())

	// The exported lists are copies: changing one does not widen parsing.
	l := StaffRoles()
	l[0] = "root"
	_, err := ParseStaffRole("root")
	require.Error(t, err)
	require.Equal(t, RoleOwner, StaffRoles()[0])
	require.Equal(t, []Role{RoleAdmin, RoleManager, RoleFinance, RoleViewer}, TokenRoles())
	require.Equal(t, []Role{RolePartnerAdmin, RolePartnerMember}, PortalRoles())
}
