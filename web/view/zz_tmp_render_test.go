package view

import (
	"path/filepath"
	"testing"

	"github.com/a-h/templ"
)

func TestTmpRenderOthers(t *testing.T) {
	dir := "/tmp/samples"
	staff := Page{Title: "Dashboard", User: &UserNav{Name: "Ann Admin"}, Staff: &StaffNav{TenantSlug: "acme", TenantName: "Acme Advisory Group", CanAdmin: true}, Active: "dashboard"}
	write(t, filepath.Join(dir, "dash.html"), DashboardPage(staff, DashboardProps{Base: "/t/acme", Partners: 12, ActivePartners: 5, Staff: 3, PortalUsers: 8, ByStatus: []Count{{"active", "Active", 5}, {"prospect", "Prospect", 4}, {"paused", "Paused", 1}}, CanAdmin: true, CanPartners: true}), templ.NopComponent)
	staff.Title, staff.Active = "Birch Legal LLP", "partners"
	write(t, filepath.Join(dir, "pshow.html"), PartnerShowPage(staff, PartnerShowProps{Base: "/t/acme", Partner: PartnerRow{Name: "Birch Legal LLP", Type: "Referral", Status: "active", Domain: "birch.example", Created: "2 Mar 2026"},
		PortalUsers: []PersonRow{{Name: "Jo Birch", Email: "jo@birch.example", Role: "partner_admin"}}, Invitations: []PersonRow{{Email: "sam@birch.example", Role: "partner_member", Note: "expires in 6 days"}}, CanInvite: true}), templ.NopComponent)
	write(t, filepath.Join(dir, "home2.html"), HomePage(Page{Title: "Choose", User: &UserNav{Name: "Ann"}}, []Workplace{{URL: "/t/acme", Name: "Acme", Kind: "Staff", Role: "owner"}}), templ.NopComponent)
	write(t, filepath.Join(dir, "login.html"), LoginPage(Page{Title: "Sign in"}, LoginProps{}), templ.NopComponent)
}
