// Package view holds the templ components of the staff app, the partner
// portal and the public pages. Handlers fill typed props; components never
// reach into the database.
package view

// Page is what every full page gets: the layout reads it to draw the header,
// the navigation and the flash message.
type Page struct {
	Title string // the <title> and, unless H1 is set, the <h1>
	// Who is signed in; nil for anonymous pages (login, sign-up, reset).
	User *UserNav
	// Exactly one of Staff or Portal is set inside a firm's area.
	Staff  *StaffNav
	Portal *PortalNav
	// Active is the key of the navigation item to highlight ("partners", "team", …).
	Active string
	Flash  *Flash
	// DevMail shows a link to the dev-only outbox page (no SMTP configured).
	DevMail bool
}

// UserNav is the signed-in person, shown in the header with a menu for
// their account, "switch firm" and sign out.
type UserNav struct {
	Name  string
	Email string
	// HasChoices is true when the person belongs to more than one firm or
	// portal, so the header offers "Switch" (a link to /home).
	HasChoices bool
}

// StaffNav is the firm's staff area under /t/{slug}.
type StaffNav struct {
	TenantSlug string
	TenantName string
	Role       string // owner, admin, manager, finance, viewer
	// CanAdmin shows the Settings entries (team, API tokens, security).
	CanAdmin bool
}

// PortalNav is a partner firm's portal under /p/{slug}.
type PortalNav struct {
	TenantSlug  string
	TenantName  string // the firm whose portal this is
	PartnerName string // the partner firm the user belongs to
	Role        string // partner_admin, partner_member
}

// Flash is a one-time message after a redirect.
type Flash struct {
	Kind    string // "success", "error" or "info"
	Message string
}

// FieldErrors maps a form field name to the message shown under it.
type FieldErrors map[string]string

// Form is embedded by every form's props: the user's input is kept in the
// concrete props; errors are shown per field and at the top.
type Form struct {
	Errors   FieldErrors
	NonField []string
}

// Err returns the message for field name, "" when it has none.
func (f Form) Err(name string) string {
	if f.Errors == nil {
		return ""
	}
	return f.Errors[name]
}

// HasErrors reports whether anything is wrong with the form.
func (f Form) HasErrors() bool { return len(f.Errors) > 0 || len(f.NonField) > 0 }
