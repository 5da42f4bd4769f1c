package view

import (
	"strconv"
	"strings"

	"github.com/allyway/allyway/web"
)

// FieldProps describes one labelled form control (Field, TextareaField).
type FieldProps struct {
	Name  string // the form field name; also gives the element id
	Label string
	// Type is the input type ("text" when empty): email, password, tel, url,
	// number, date, search, … A password input never echoes Value back.
	Type         string
	Value        string // the user's input, kept when the form is re-shown
	Error        string // shown under the control; marks it aria-invalid
	Hint         string // help text between label and control
	Autocomplete string // e.g. "email", "current-password", "new-password", "off"
	Placeholder  string
	Required     bool
	Autofocus    bool
	Max          int // maxlength; 0 = none
	// ID overrides the element id (default "f-" + Name), for a page that has
	// two forms with the same field name.
	ID string
}

// Option is one choice of a SelectField.
type Option struct {
	Value string
	Label string
}

// SelectProps describes a labelled <select>; the option whose Value equals
// Value is selected.
type SelectProps struct {
	Name     string
	Label    string
	Value    string
	Options  []Option
	Error    string
	Hint     string
	Required bool
	// Placeholder, when set, adds a first option with an empty value
	// ("Choose…"), selected while Value matches no option.
	Placeholder string
	ID          string // default "f-" + Name
}

// CheckboxProps describes a single labelled checkbox (label to its right).
type CheckboxProps struct {
	Name    string
	Label   string
	Value   string // submitted when checked; "on" when empty
	Checked bool
	Error   string
	Hint    string
	ID      string // default "f-" + Name
}

// PaginationProps drives Pagination. From and To are 1-based positions of
// the first and last item shown; Total is the number of items overall. An
// empty PrevURL / NextURL renders that link disabled.
type PaginationProps struct {
	PrevURL string
	NextURL string
	From    int
	To      int
	Total   int
	More    bool   // Total is a lower bound: "of more than Total"
	Label   string // aria-label of the <nav>; "Pagination" when empty
}

// fieldID is the element id for a form control: explicit, or derived from
// the field name with characters unsafe in ids and CSS selectors replaced.
func fieldID(id, name string) string {
	if id != "" {
		return id
	}
	var b strings.Builder
	b.WriteString("f-")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// describedBy joins the ids of the error and hint that describe a control;
// "" when there are none (templ then omits the attribute).
func describedBy(id, errMsg, hint string) string {
	var ids []string
	if errMsg != "" {
		ids = append(ids, id+"-error")
	}
	if hint != "" {
		ids = append(ids, id+"-hint")
	}
	return strings.Join(ids, " ")
}

func inputType(t string) string {
	if t == "" {
		return "text"
	}
	return t
}

// inputValue is what goes into value=: never a password.
func inputValue(f FieldProps) string {
	if strings.EqualFold(f.Type, "password") {
		return ""
	}
	return f.Value
}

// BadgeTone maps a badge kind — a tone or a common status/role word — to
// one of the five styles: neutral, info, success, warning, danger.
func BadgeTone(kind string) string {
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "success", "active", "accepted", "enabled", "won", "approved", "paid", "ok":
		return "success"
	case "warning", "pending", "invited", "draft", "expiring", "review", "in_review":
		return "warning"
	case "danger", "error", "disabled", "revoked", "expired", "rejected", "lost", "failed", "suspended":
		return "danger"
	case "info", "owner", "admin", "partner_admin", "new":
		return "info"
	default:
		return "neutral"
	}
}

// flashRole is role="alert" for errors (interrupts), "status" otherwise.
func flashRole(kind string) string {
	if kind == "error" {
		return "alert"
	}
	return "status"
}

func flashKind(kind string) string {
	switch kind {
	case "success", "error":
		return kind
	default:
		return "info"
	}
}

func pageTitle(t string) string {
	if t == "" {
		return "Allyway"
	}
	return t + " · Allyway"
}

// asset is the URL of an embedded static file with the cache-busting version.
func asset(name string) string {
	return "/static/" + name + "?v=" + web.AssetVersion()
}

// homeURL is where the product name links: the chooser when signed in.
func homeURL(p Page) string {
	if p.User != nil {
		return "/home"
	}
	return "/"
}

func shellClass(p Page) string {
	switch {
	case p.Staff != nil:
		return "app app--staff"
	case p.Portal != nil:
		return "app app--portal"
	default:
		return "app app--plain"
	}
}

// navItem is one link of the staff or portal navigation.
type navItem struct {
	Key   string
	Label string
	Href  string
}

func staffMain(s *StaffNav) []navItem {
	base := "/t/" + s.TenantSlug
	return []navItem{
		{"dashboard", "Dashboard", base},
		{"program", "Program", base + "/program"},
		{"alerts", "Alerts", base + "/alerts"},
		{"referrals", "Referrals", base + "/referrals"},
		{"partners", "Partners", base + "/partners"},
		{"reviews", "Reviews", base + "/reviews"},
		{"agreements", "Agreements", base + "/agreements"},
		{"commissions", "Commissions", base + "/commissions"},
		{"library", "Enablement", base + "/library"},
		{"recruiting", "Recruiting", base + "/recruiting"},
		{"services", "Services & gaps", base + "/services"},
		{"campaigns", "Campaigns", base + "/campaigns"},
		{"program-inputs", "Program inputs", base + "/program/inputs"},
	}
}

func staffSettings(s *StaffNav) []navItem {
	if !s.CanAdmin {
		return nil
	}
	base := "/t/" + s.TenantSlug + "/settings"
	return []navItem{
		{"firm", "Firm profile", base + "/firm"},
		{"tiers", "Tiers", base + "/tiers"},
		{"criteria", "Qualification", base + "/criteria"},
		{"referral-settings", "Referrals & SLA", base + "/referrals"},
		{"agreement-templates", "Agreement templates", base + "/agreement-templates"},
		{"policy", "Profession policy", base + "/policy"},
		{"onboarding", "Onboarding", base + "/onboarding"},
		{"commission-settings", "Commissions", base + "/commissions"},
		{"team", "Team", base + "/team"},
		{"tokens", "API tokens", base + "/tokens"},
		{"webhooks", "Webhooks", base + "/webhooks"},
		{"security", "Security", base + "/security"},
		{"audit", "Audit log", base + "/audit"},
	}
}

func portalItems(p *PortalNav) []navItem {
	base := "/p/" + p.TenantSlug
	return []navItem{
		{"home", "Home", base},
		{"referrals", "Referrals", base + "/referrals"},
		{"agreement", "Agreement", base + "/agreement"},
		{"commissions", "Commissions", base + "/commissions"},
		{"reviews", "Reviews", base + "/reviews"},
		{"scorecard", "Scorecard", base + "/scorecard"},
		{"campaigns", "Campaigns", base + "/campaigns"},
		{"resources", "Resources", base + "/resources"},
		{"team", "Team", base + "/team"},
	}
}

// hasOption reports whether Value is one of the options.
func hasOption(f SelectProps) bool {
	for _, o := range f.Options {
		if o.Value == f.Value {
			return true
		}
	}
	return false
}

// showing is the "Showing X–Y of Z" text of Pagination.
func showing(p PaginationProps) string {
	if p.Total <= 0 {
		return "No results"
	}
	from, to := p.From, p.To
	if from < 1 {
		from = 1
	}
	if to < from {
		to = from
	}
	if p.More {
		return "Showing " + strconv.Itoa(from) + "–" + strconv.Itoa(to) + " of more than " + strconv.Itoa(p.Total)
	}
	if to > p.Total {
		to = p.Total
	}
	return "Showing " + strconv.Itoa(from) + "–" + strconv.Itoa(to) + " of " + strconv.Itoa(p.Total)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
