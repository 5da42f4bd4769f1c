package view

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// render renders c (with children, if any) and parses the result.
func render(t *testing.T, c templ.Component, children ...templ.Component) (*goquery.Document, string) {
	t.Helper()
	ctx := context.Background()
	if len(children) > 0 {
		ctx = templ.WithChildren(ctx, templ.Join(children...))
	}
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, buf.String()
}

func attr(t *testing.T, s *goquery.Selection, name string) string {
	t.Helper()
	v, ok := s.Attr(name)
	if !ok {
		t.Fatalf("%s has no %s attribute", goquery.NodeName(s), name)
	}
	return v
}

func TestFieldWithErrorKeepsValueAndLinksError(t *testing.T) {
	doc, _ := render(t, Field(FieldProps{
		Name: "email", Label: "Email address", Type: "email",
		Value: "ann@example", Error: "Enter a valid email address.",
		Hint: "We send the invitation here.", Required: true, Max: 254,
	}))

	input := doc.Find("input")
	if input.Length() != 1 {
		t.Fatalf("want 1 input, got %d", input.Length())
	}
	if got := attr(t, input, "value"); got != "ann@example" {
		t.Errorf("value = %q, want the user's input", got)
	}
	if got := attr(t, input, "aria-invalid"); got != "true" {
		t.Errorf("aria-invalid = %q", got)
	}
	if got := attr(t, input, "type"); got != "email" {
		t.Errorf("type = %q", got)
	}
	if got := attr(t, input, "maxlength"); got != "254" {
		t.Errorf("maxlength = %q", got)
	}
	if _, ok := input.Attr("required"); !ok {
		t.Error("required missing")
	}

	id := attr(t, input, "id")
	if got := attr(t, doc.Find("label"), "for"); got != id {
		t.Errorf("label for=%q, input id=%q", got, id)
	}
	described := strings.Fields(attr(t, input, "aria-describedby"))
	if len(described) != 2 {
		t.Fatalf("aria-describedby = %v, want error and hint ids", described)
	}
	var sawError, sawHint bool
	for _, ref := range described {
		el := doc.Find("#" + ref)
		if el.Length() != 1 {
			t.Fatalf("aria-describedby points at missing #%s", ref)
		}
		text := el.Text()
		if strings.Contains(text, "Enter a valid email address.") {
			sawError = true
		}
		if strings.Contains(text, "We send the invitation here.") {
			sawHint = true
		}
	}
	if !sawError || !sawHint {
		t.Errorf("described-by elements: error %v, hint %v", sawError, sawHint)
	}
	// The error is after the input, in reading order.
	if doc.Find("input ~ .field__error").Length() != 1 {
		t.Error("error text should follow the input")
	}
}

func TestFieldWithoutErrorHasNoInvalidMarkers(t *testing.T) {
	doc, _ := render(t, Field(FieldProps{Name: "name", Label: "Name", Value: "Ann"}))
	input := doc.Find("input")
	if _, ok := input.Attr("aria-invalid"); ok {
		t.Error("aria-invalid on a valid field")
	}
	if _, ok := input.Attr("aria-describedby"); ok {
		t.Error("aria-describedby without error or hint")
	}
	if got := attr(t, input, "type"); got != "text" {
		t.Errorf("default type = %q, want text", got)
	}
}

func TestPasswordFieldNeverEchoes(t *testing.T) {
	for _, typ := range []string{"password", "PASSWORD"} {
		doc, html := render(t, Field(FieldProps{
			Name: "password", Label: "Password", Type: typ,
			Value: "hunter2-secret", Error: "Too short.",
		}))
		if strings.Contains(html, "hunter2-secret") {
			t.Fatalf("type %q: password echoed in %s", typ, html)
		}
		if v, ok := doc.Find("input").Attr("value"); ok && v != "" {
			t.Errorf("type %q: value=%q", typ, v)
		}
	}
}

func TestFieldIDsAreSafe(t *testing.T) {
	doc, _ := render(t, Field(FieldProps{Name: "contact[0].email", Label: "Email", Error: "x"}))
	id := attr(t, doc.Find("input"), "id")
	if strings.ContainsAny(id, "[]. ") {
		t.Errorf("id %q has selector-unsafe characters", id)
	}
	if doc.Find("#"+id+"-error").Length() != 1 {
		t.Error("error id not derived from input id")
	}
}

func TestTextareaAndSelectKeepInput(t *testing.T) {
	doc, _ := render(t, TextareaField(FieldProps{Name: "notes", Label: "Notes", Value: "a <b> & c", Error: "Too long."}))
	ta := doc.Find("textarea")
	if ta.Text() != "a <b> & c" {
		t.Errorf("textarea text = %q", ta.Text())
	}
	if attr(t, ta, "aria-invalid") != "true" {
		t.Error("textarea not invalid")
	}

	doc, _ = render(t, SelectField(SelectProps{
		Name: "role", Label: "Role", Value: "admin", Placeholder: "Choose a role",
		Options: []Option{{"viewer", "Viewer"}, {"admin", "Admin"}},
	}))
	sel := doc.Find("option[selected]")
	if sel.Length() != 1 || attr(t, sel, "value") != "admin" {
		t.Errorf("selected options: %d, want admin only", sel.Length())
	}
}

func TestFormErrors(t *testing.T) {
	_, html := render(t, FormErrors(Form{}))
	if strings.TrimSpace(html) != "" {
		t.Errorf("valid form renders %q", html)
	}
	doc, _ := render(t, FormErrors(Form{
		Errors:   FieldErrors{"email": "Required."},
		NonField: []string{"Email or password is wrong."},
	}))
	box := doc.Find(".form-errors")
	if attr(t, box, "role") != "alert" || attr(t, box, "tabindex") != "-1" {
		t.Error("summary must be role=alert and tabindex=-1")
	}
	if !strings.Contains(box.Text(), "Email or password is wrong.") ||
		!strings.Contains(box.Text(), "Please correct the fields marked below.") {
		t.Errorf("summary text = %q", box.Text())
	}
}

func TestSmallComponents(t *testing.T) {
	doc, _ := render(t, EmptyState("No partners yet", "Invite your first partner firm."),
		templ.Raw(`<a class="btn btn--primary" href="/new">Add partner</a>`))
	if doc.Find(".empty-state h2").Text() != "No partners yet" || doc.Find(".empty-state__actions a").Length() != 1 {
		t.Error("empty state: title or action missing")
	}

	doc, _ = render(t, Badge("revoked", "Revoked"))
	if !doc.Find("span.badge").HasClass("badge--danger") {
		t.Error("revoked badge should be danger")
	}

	doc, _ = render(t, Pagination(PaginationProps{NextURL: "?page=2", From: 1, To: 25, Total: 60}))
	if got := doc.Find(".pagination__status").Text(); got != "Showing 1–25 of 60" {
		t.Errorf("status = %q", got)
	}
	if doc.Find(`a[rel="next"]`).AttrOr("href", "") != "?page=2" {
		t.Error("next link missing")
	}
	if doc.Find(`a[rel="prev"]`).Length() != 0 || doc.Find(`[aria-disabled="true"]`).Text() != "Previous" {
		t.Error("previous should be disabled")
	}

	doc, _ = render(t, DangerButton("Revoke"))
	if b := doc.Find("button"); attr(t, b, "type") != "submit" || !b.HasClass("btn--danger") {
		t.Error("danger button")
	}
}

func staffPage() Page {
	return Page{
		Title:  "Partners",
		User:   &UserNav{Name: "Ann Admin", Email: "ann@example.com", HasChoices: true},
		Staff:  &StaffNav{TenantSlug: "acme", TenantName: "Acme Advisory", Role: "owner", CanAdmin: true},
		Active: "partners",
		Flash:  &Flash{Kind: "success", Message: "Partner saved."},
	}
}

func TestLayoutStaff(t *testing.T) {
	doc, _ := render(t, Layout(staffPage()), templ.Raw(`<p id="content">Hello</p>`))

	if attr(t, doc.Find("html"), "lang") != "en" {
		t.Error("lang")
	}
	if got := doc.Find("title").Text(); got != "Partners · Allyway" {
		t.Errorf("title = %q", got)
	}
	cur := doc.Find(`nav [aria-current="page"]`)
	if cur.Length() != 1 || cur.Text() != "Partners" || attr(t, cur, "href") != "/t/acme/partners" {
		t.Errorf("active item: %d %q", cur.Length(), cur.Text())
	}
	for _, href := range []string{"/t/acme", "/t/acme/settings/team", "/t/acme/settings/tokens", "/t/acme/settings/security", "/t/acme/settings/audit"} {
		if doc.Find(`.sidenav a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("nav link %s missing", href)
		}
	}
	logout := doc.Find(`form[action="/logout"]`)
	if logout.Length() != 1 || strings.ToLower(attr(t, logout, "method")) != "post" || logout.Find(`button[type="submit"]`).Length() != 1 {
		t.Error("sign out must be a POST form with a submit button")
	}
	if doc.Find(`a[href="/logout"]`).Length() != 0 {
		t.Error("no GET link to /logout")
	}
	if doc.Find(`header a[href="/home"]`).Length() < 2 { // logo + Switch
		t.Error("logo and Switch should link to /home")
	}
	if !strings.Contains(doc.Find("header").Text(), "Acme Advisory") {
		t.Error("firm name missing from header")
	}
	if doc.Find(`main#main #content`).Length() != 1 || doc.Find(`a.skip-link[href="#main"]`).Length() != 1 {
		t.Error("main or skip link")
	}
	if f := doc.Find(".flash"); attr(t, f, "role") != "status" || !strings.Contains(f.Text(), "Partner saved.") {
		t.Error("success flash should be role=status")
	}
	if doc.Find(`a[href="/dev/mail"]`).Length() != 0 {
		t.Error("dev mail link without DevMail")
	}
}

func TestLayoutStaffWithoutAdmin(t *testing.T) {
	p := staffPage()
	p.Staff.CanAdmin = false
	p.User.HasChoices = false
	p.DevMail = true
	p.Flash = &Flash{Kind: "error", Message: "Could not save."}
	doc, _ := render(t, Layout(p))
	if doc.Find(`a[href^="/t/acme/settings"]`).Length() != 0 {
		t.Error("settings links shown to a non-admin")
	}
	if doc.Find(`header a`).FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Switch" }).Length() != 0 {
		t.Error("Switch shown without choices")
	}
	if attr(t, doc.Find(".flash"), "role") != "alert" {
		t.Error("error flash should be role=alert")
	}
	if doc.Find(`footer a[href="/dev/mail"]`).Length() != 1 {
		t.Error("dev mail link missing")
	}
}

func TestLayoutPortal(t *testing.T) {
	doc, _ := render(t, Layout(Page{
		Title:  "Team",
		User:   &UserNav{Name: "Pat Partner"},
		Portal: &PortalNav{TenantSlug: "acme", TenantName: "Acme Advisory", PartnerName: "Birch Legal", Role: "partner_member"},
		Active: "team",
	}))
	if doc.Find(".sidenav").Length() != 0 {
		t.Error("portal has no staff sidebar")
	}
	cur := doc.Find(`nav [aria-current="page"]`)
	if cur.Length() != 1 || attr(t, cur, "href") != "/p/acme/team" {
		t.Errorf("active portal item: %d", cur.Length())
	}
	if doc.Find(`nav a[href="/p/acme"]`).Length() != 1 {
		t.Error("portal home link missing")
	}
	ctx := strings.Join(strings.Fields(doc.Find(".site-header__context").Text()), " ")
	if ctx != "Birch Legal · portal of Acme Advisory" {
		t.Errorf("portal context = %q", ctx)
	}
}

func TestAuthLayoutAnonymous(t *testing.T) {
	doc, _ := render(t, AuthLayout(Page{Title: "Sign in"}), templ.Raw(`<form method="post"></form>`))
	if doc.Find("nav").Length() != 0 {
		t.Error("auth layout has no navigation")
	}
	if attr(t, doc.Find("a.brand"), "href") != "/" {
		t.Error("anonymous logo should link to /")
	}
	if doc.Find("main#main.auth-card h1").Text() != "Sign in" || doc.Find("main#main form").Length() != 1 {
		t.Error("auth card")
	}
}

// TestNoInlineScriptsOrStyles guards the CSP: no inline <script>, no <style>
// element, no style= attribute, no on* handlers.
func TestNoInlineScriptsOrStyles(t *testing.T) {
	portal := Page{Title: "Home", User: &UserNav{Name: "P"}, Portal: &PortalNav{TenantSlug: "a", TenantName: "A", PartnerName: "B"}, Active: "home"}
	pages := map[string]templ.Component{
		"staff":  Layout(staffPage()),
		"portal": Layout(portal),
		"auth":   AuthLayout(Page{Title: "Sign in", Flash: &Flash{Kind: "info", Message: "Check your email."}}),
	}
	body := templ.Join(
		FormErrors(Form{Errors: FieldErrors{"a": "b"}}),
		Field(FieldProps{Name: "a", Label: "A", Error: "b", Hint: "c"}),
		TextareaField(FieldProps{Name: "t", Label: "T"}),
		SelectField(SelectProps{Name: "s", Label: "S", Options: []Option{{"1", "One"}}}),
		CheckboxField(CheckboxProps{Name: "c", Label: "C", Checked: true}),
		EmptyState("x", "y"), Badge("active", "Active"), TableWrap("t"),
		Pagination(PaginationProps{Total: 0}), SubmitButton("Save"),
	)
	for name, c := range pages {
		doc, html := render(t, c, body)
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline script %q", name, s.Text())
			}
			if _, ok := s.Attr("defer"); !ok {
				t.Errorf("%s: script without defer", name)
			}
		})
		if doc.Find("style").Length() != 0 {
			t.Errorf("%s: <style> element", name)
		}
		if doc.Find("[style]").Length() != 0 || strings.Contains(html, "style=") {
			t.Errorf("%s: style= attribute", name)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("%s: inline handler %s", name, a.Key)
				}
			}
		})
		cfg := doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")
		if !strings.Contains(cfg, `"includeIndicatorStyles":false`) {
			t.Errorf("%s: htmx-config = %q", name, cfg)
		}
		if doc.Find(`meta[name="viewport"]`).AttrOr("content", "") != "width=device-width, initial-scale=1" {
			t.Errorf("%s: viewport", name)
		}
		for _, sel := range []string{`link[rel="stylesheet"]`, `script[src*="htmx.min.js"]`, `script[src*="app.js"]`} {
			el := doc.Find(sel)
			ref := el.AttrOr("href", el.AttrOr("src", ""))
			if !strings.HasPrefix(ref, "/static/") || !strings.Contains(ref, "?v=") {
				t.Errorf("%s: %s = %q, want /static/…?v=", name, sel, ref)
			}
		}
	}
}
