package view

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestWriteSamples renders sample pages for looking at in a browser. It only
// runs when ALLYWAY_SAMPLE_DIR is set; the pages link /static/… so serve
// the directory next to a copy of web/static, e.g.
//
//	ALLYWAY_SAMPLE_DIR=/tmp/samples go test ./web/view -run Samples
//	cp -r web/static /tmp/samples/ && cd /tmp/samples && python3 -m http.server
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("ALLYWAY_SAMPLE_DIR")
	if dir == "" {
		t.Skip("ALLYWAY_SAMPLE_DIR not set")
	}
	form := Form{Errors: FieldErrors{"website": "Enter a full address starting with https://."}}
	staffBody := templ.Join(
		templ.Raw(`<div class="grid">
  <div class="card"><div class="stat__value">24</div><div class="stat__label">Active partners</div></div>
  <div class="card"><div class="stat__value">7</div><div class="stat__label">Open referrals</div></div>
  <div class="card"><div class="stat__value">3</div><div class="stat__label">SLA breaches this quarter</div></div>
</div>`),
		withChildren(TableWrap("Partners"), templ.Raw(`<table><thead><tr><th>Partner</th><th>Tier</th><th>Status</th><th class="num">Referrals (12 mo)</th><th>Owner</th><th>Last contact</th></tr></thead><tbody>
<tr><td><a href="#">Birch Legal LLP</a></td><td>Strategic</td><td>`), Badge("active", "Active"), templ.Raw(`</td><td class="num">14</td><td>Ann Admin</td><td class="nowrap">2 Mar 2026</td></tr>
<tr><td><a href="#">Oak &amp; Co Accountants</a></td><td>Active</td><td>`), Badge("pending", "Onboarding"), templ.Raw(`</td><td class="num">3</td><td>Ben Manager</td><td class="nowrap">18 Feb 2026</td></tr>
<tr><td><a href="#">Cedar Digital</a></td><td>Referral network</td><td>`), Badge("disabled", "Paused"), templ.Raw(`</td><td class="num">0</td><td>Ann Admin</td><td class="nowrap">4 Jan 2026</td></tr>
</tbody></table>`)),
		Pagination(PaginationProps{PrevURL: "?page=1", NextURL: "?page=3", From: 26, To: 50, Total: 73}),
		templ.Raw(`<div class="card"><div class="card__header"><h2>Add a partner</h2></div><form method="post" action="/t/acme/partners" novalidate>`),
		FormErrors(form),
		Field(FieldProps{Name: "name", Label: "Firm name", Value: "Birch Legal LLP", Required: true, Max: 200}),
		Field(FieldProps{Name: "website", Label: "Website", Type: "url", Value: "birchlegal.example", Error: form.Err("website"), Hint: "The partner's public site.", Autocomplete: "url"}),
		SelectField(SelectProps{Name: "tier", Label: "Tier", Value: "active", Options: []Option{{"strategic", "Strategic"}, {"active", "Active"}, {"referral", "Referral network"}}}),
		TextareaField(FieldProps{Name: "notes", Label: "Notes", Hint: "Visible to your team only.", Value: "Met at the spring conference."}),
		CheckboxField(CheckboxProps{Name: "nda", Label: "NDA signed", Checked: true, Hint: "Tick once both sides have signed."}),
		templ.Raw(`<div class="actions">`), SubmitButton("Add partner"),
		templ.Raw(`<a class="btn btn--secondary" href="/t/acme/partners">Cancel</a></div></form></div>`),
		templ.Raw(`<div class="card"><h2>Details</h2><dl class="dl"><dt>Primary contact</dt><dd>Jo Birch · jo@birch.example</dd><dt>Tier</dt><dd>`),
		Badge("info", "Strategic"),
		templ.Raw(`</dd><dt>Agreement</dt><dd>Referral agreement v3, signed 12 March 2026</dd></dl>
<form method="post" class="inline-form">`), DangerButton("Archive partner"), templ.Raw(` <button class="btn btn--link" type="button">Show history</button></form></div>`),
		withChildren(EmptyState("No referrals yet", "When Birch Legal sends or receives a referral it shows up here."),
			templ.Raw(`<a class="btn btn--primary" href="#">Record a referral</a>`)),
	)
	staff := Page{
		Title:   "Partners",
		User:    &UserNav{Name: "Ann Admin", Email: "ann@acme.example", HasChoices: true},
		Staff:   &StaffNav{TenantSlug: "acme", TenantName: "Acme Advisory Group", Role: "owner", CanAdmin: true},
		Active:  "partners",
		Flash:   &Flash{Kind: "success", Message: "Partner “Oak & Co” saved."},
		DevMail: true,
	}
	write(t, filepath.Join(dir, "sample.html"), Layout(staff), staffBody)

	portalBody := templ.Join(
		templ.Raw(`<div class="card"><h2>Your referrals</h2><p class="muted">Follow every client you sent to Acme Advisory.</p>`),
		templ.Raw(`<ul class="choice-list"><li><a class="choice" href="#"><span class="choice__text"><span class="choice__title">Northwind Traders</span><span class="choice__meta">Submitted 3 days ago · </span></span></a></li></ul></div>`),
		EmptyState("No commissions yet", "Commissions appear once a referred client pays their first invoice."),
		Pagination(PaginationProps{NextURL: "?page=2", From: 1, To: 10, Total: 31}),
	)
	portal := Page{
		Title:  "Home",
		User:   &UserNav{Name: "Pat Partner", HasChoices: true},
		Portal: &PortalNav{TenantSlug: "acme", TenantName: "Acme Advisory Group", PartnerName: "Birch Legal LLP", Role: "partner_admin"},
		Active: "home",
		Flash:  &Flash{Kind: "info", Message: "Your referral was submitted."},
	}
	write(t, filepath.Join(dir, "portal.html"), Layout(portal), portalBody)

	authBody := templ.Join(
		FormErrors(Form{NonField: []string{"Email or password is incorrect."}}),
		templ.Raw(`<form method="post" action="/login">`),
		Field(FieldProps{Name: "email", Label: "Email address", Type: "email", Value: "ann@acme.example", Autocomplete: "email", Required: true}),
		Field(FieldProps{Name: "password", Label: "Password", Type: "password", Value: "secret", Autocomplete: "current-password", Required: true}),
		SubmitButton("Sign in"),
		templ.Raw(`</form><div class="auth-card__footer"><p><a href="/reset">Forgot your password?</a></p><p>New to Allyway? <a href="/signup">Create an account</a></p></div>`),
	)
	write(t, filepath.Join(dir, "auth.html"), AuthLayout(Page{Title: "Sign in to Allyway"}), authBody)

	chooser := templ.Raw(`<p>You belong to more than one firm. Where do you want to go?</p>
<h2 class="choice-list__heading">Staff</h2>
<ul class="choice-list"><li><a class="choice" href="/t/acme"><span class="choice__text"><span class="choice__title">Acme Advisory Group</span><span class="choice__meta">Owner</span></span></a></li>
<li><a class="choice" href="/t/zen"><span class="choice__text"><span class="choice__title">Zen Consulting</span><span class="choice__meta">Viewer</span></span></a></li></ul>
<h2 class="choice-list__heading">Partner portals</h2>
<ul class="choice-list"><li><a class="choice" href="/p/big"><span class="choice__text"><span class="choice__title">Big Four-ish LLP</span><span class="choice__meta">Birch Legal · partner admin</span></span></a></li></ul>`)
	write(t, filepath.Join(dir, "home.html"), Layout(Page{Title: "Choose where to go", User: &UserNav{Name: "Ann Admin"}}), chooser)
}

func withChildren(c templ.Component, children ...templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(templ.WithChildren(ctx, templ.Join(children...)), w)
	})
}

func write(t *testing.T, path string, c templ.Component, body templ.Component) {
	t.Helper()
	var sb strings.Builder
	ctx := templ.WithChildren(context.Background(), body)
	if err := c.Render(ctx, &sb); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
