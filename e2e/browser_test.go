package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/tenant"
)

// stepTimeout bounds every step of a journey (a page load, a form
// submission, a check), so a test never hangs.
const stepTimeout = 30 * time.Second

// TestBrowserSignupToPartnerPortal is the foundation's journey, as a real
// person in a real browser: create a firm (after a rejected short
// password), add a partner, invite one of its people to the portal, and,
// as that person in a fresh browser profile, accept the emailed invitation
// and land in the partner portal. No page may log an error to the console.
func TestBrowserSignupToPartnerPortal(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)
	b := startBrowser(t, chromium)
	owner := b.tab("owner")

	const (
		firmName    = "Harbor & Lane Advisory"
		ownerName   = "Ada Lovelace"
		ownerEmail  = "ada@harborlane.example"
		ownerPass   = "quiet-lantern-orbit-77"
		partnerName = "Brightline Referrals"
		inviteEmail = "sam@brightline.example"
		inviteeName = "Sam Rivera"
		inviteePass = "marble-tundra-kettle-42"
	)
	slug := tenant.SlugFrom(firmName)
	firm := "/t/" + slug

	owner.step("open the sign-up page", func(ctx context.Context) error {
		return visit(ctx, a.URL+"/signup", "Create your firm's Allyway")
	})

	// The form comes back with status 422, which Chromium logs as a failed
	// resource: expected here, and only here.
	owner.step("sign up with a short password", func(ctx context.Context) error {
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Firm name"), firmName),
			chromedp.SendKeys(field("Your name"), ownerName),
			chromedp.SendKeys(field("Work email"), ownerEmail),
			chromedp.SendKeys(field("Password"), "too-short"),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Create firm")))
		if err := wantPage(resp, err, 422, "/signup"); err != nil {
			return err
		}
		if err := wantText(ctx, fieldError("Password"), "Use at least 12 characters."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".form-errors"), "There is a problem"); err != nil {
			return err
		}
		// What the person typed is still there, except the password.
		for label, want := range map[string]string{"Firm name": firmName, "Your name": ownerName, "Work email": ownerEmail, "Password": ""} {
			got, err := chromedp.Run(ctx, chromedp.Value(field(label)))
			if err != nil {
				return fmt.Errorf("reading %q: %w", label, err)
			}
			if got != want {
				return fmt.Errorf("after the error, %q holds %q, want %q", label, got, want)
			}
		}
		return nil
	}, allowStatus(422))

	owner.step("sign up", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.SendKeys(field("Password"), ownerPass)); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Create firm")))
		if err := wantPage(resp, err, 200, firm); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".site-header__context"), firmName); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "Welcome to Allyway. Your firm "+firmName+" is ready.")
	})

	var partnerPath string
	owner.step("add a partner", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Partners")))
		if err := wantPage(resp, err, 200, firm+"/partners"); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(link("Add a partner")))
		if err := wantPage(resp, err, 200, firm+"/partners/new"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Firm name"), partnerName),
			chromedp.SendKeys(field("Website"), "brightline.example"),
		); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(button("Add partner")))
		if err != nil {
			return err
		}
		partnerPath = pathOf(resp.URL)
		if !strings.HasPrefix(partnerPath, firm+"/partners/") || partnerPath == firm+"/partners/new" {
			return fmt.Errorf("after adding the partner the browser is on %s, want the partner's page", resp.URL)
		}
		if err := wantPage(resp, nil, 200, partnerPath); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("h1"), partnerName); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), partnerName+" was added as a prospect.")
	})

	owner.step("invite a partner user", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Team")))
		if err := wantPage(resp, err, 200, firm+"/settings/team"); err != nil {
			return err
		}
		const form = `//section[@id="invite-portal"]`
		partnerID, err := optionValue(ctx, fieldIn(form, "Partner firm"), partnerName)
		if err != nil {
			return err
		}
		role, err := optionValue(ctx, fieldIn(form, "Role"), "Partner admin")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(fieldIn(form, "Email"), inviteEmail),
			chromedp.SetValue(fieldIn(form, "Partner firm"), partnerID),
			chromedp.SetValue(fieldIn(form, "Role"), role),
		); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(form+`//button[normalize-space()="Send invitation"]`)))
		if err := wantPage(resp, err, 200, firm+"/settings/team"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Invitation sent to "+inviteEmail+"."); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), inviteEmail)
	})

	var link string
	owner.step("read the invitation email", func(ctx context.Context) error {
		var err error
		link, err = invitationLink(ctx, a, inviteEmail, partnerName)
		return err
	})

	invitee := b.privateTab("invitee")
	invitee.step("open the invitation link", func(ctx context.Context) error {
		if err := visit(ctx, link, "Join "+firmName+"'s partner portal"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), inviteEmail)
	})

	invitee.step("create the account and join", func(ctx context.Context) error {
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Your name"), inviteeName),
			chromedp.SendKeys(field("Password"), inviteePass),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Create account and join")))
		if err := wantPage(resp, err, 200, "/p/"+slug); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("h1"), "Welcome, "+partnerName); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".site-header__context"), partnerName); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".user-menu__name"), inviteeName); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "Welcome to "+firmName+".")
	})

	owner.step("see the partner user on the team page", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+firm+"/settings/team", "Team"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), inviteeName)
	})
}

// visit opens url and checks that it answered 200 with an <h1> containing
// heading.
func visit(ctx context.Context, u, heading string) error {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err := wantPage(resp, err, 200, pathOf(u)); err != nil {
		return err
	}
	return wantText(ctx, chromedp.CSS("h1"), heading)
}

// wantPage checks the document a navigation ended on: its status and path.
func wantPage(resp *network.Response, err error, status int64, path string) error {
	if err != nil {
		return err
	}
	if resp == nil {
		return fmt.Errorf("no response (want %d %s)", status, path)
	}
	if resp.Status != status || pathOf(resp.URL) != path {
		return fmt.Errorf("got %d %s, want %d %s", resp.Status, resp.URL, status, path)
	}
	return nil
}

// wantText waits for sel and checks that its visible text contains want.
func wantText[S chromedp.Selectable](ctx context.Context, sel S, want string) error {
	got, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		return fmt.Errorf("reading %v: %w", sel, err)
	}
	if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
		return fmt.Errorf("%v says %q, want it to contain %q", sel, got, want)
	}
	return nil
}

// optionValue is the value of the first option of the select sel whose
// label starts with label (role options read "Partner admin — …").
func optionValue(ctx context.Context, sel chromedp.Search, label string) (string, error) {
	opt := chromedp.Search(string(sel) + `/option[starts-with(normalize-space(), ` + lit(label) + `)]`)
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(opt, "value", chromedp.NodeReady))
	if err != nil {
		return "", fmt.Errorf("option %q: %w", label, err)
	}
	if !v.Exists || v.Value == "" {
		return "", fmt.Errorf("option %q has no value", label)
	}
	return v.Value, nil
}

func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}

// Selectors by what a person sees: labels, link and button texts (XPath,
// through DOM.performSearch).

// field is the form control labelled label.
func field(label string) chromedp.Search { return fieldIn("", label) }

// fieldIn is the control labelled label inside scope (an XPath).
func fieldIn(scope, label string) chromedp.Search {
	return chromedp.Search(scope + `//*[@id=` + scope + `//label[normalize-space()=` + lit(label) + `]/@for]`)
}

// fieldError is the error message shown under the control labelled label.
func fieldError(label string) chromedp.Search {
	return chromedp.Search(`//*[@id=concat(//label[normalize-space()=` + lit(label) + `]/@for, "-error")]`)
}

func link(text string) chromedp.Search {
	return chromedp.Search(`//main//a[normalize-space()=` + lit(text) + `]`)
}

func navLink(text string) chromedp.Search {
	return chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()=` + lit(text) + `]`)
}

func button(text string) chromedp.Search {
	return chromedp.Search(`//main//button[normalize-space()=` + lit(text) + `]`)
}

// lit quotes s as an XPath 1.0 string literal.
func lit(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `'` + s + `'`
}

// invitationLink reads the newest email to `to` from the outbox (the server
// runs without SMTP) and returns the invitation link in it.
func invitationLink(ctx context.Context, a *app, to, partnerName string) (string, error) {
	msgs, err := notify.ListOutbox(ctx, a.Owner, 50)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if !strings.EqualFold(m.To, to) {
			continue
		}
		if !strings.Contains(m.Subject, partnerName) {
			return "", fmt.Errorf("the invitation's subject %q does not name %s", m.Subject, partnerName)
		}
		prefix := a.URL + "/invitations/"
		i := strings.Index(m.Text, prefix)
		if i < 0 {
			return "", fmt.Errorf("no %s… link in the email:\n%s", prefix, m.Text)
		}
		return strings.Fields(m.Text[i:])[0], nil
	}
	return "", fmt.Errorf("no email to %s in the outbox (%d messages)", to, len(msgs))
}

// browser is one headless Chromium with a profile of its own.
type browser struct {
	t   *testing.T
	ctx context.Context // the first tab, whose context owns the browser
	out *syncBuffer     // Chromium's stdout and stderr
	// first is the first tab, handed out by the first call of tab.
	first *tab
}

// startBrowser starts Chromium; it stops when the test ends.
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	b := &browser{t: t, out: &syncBuffer{}}
	b.first = &tab{t: t, b: b}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // we may run as root, in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(b.out),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.first.listen))
	t.Cleanup(func() {
		cancel()
		acancel()
		if t.Failed() {
			t.Logf("Chromium's output (last 4 kB):\n%s", b.out.tail(4096))
		}
	})
	b.ctx = ctx
	b.first.ctx = ctx
	if err := boundedStart(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v\n%s", path, err, b.out.tail(4096))
	}
	return b
}

// boundedStart runs the first action on a chromedp context (which starts
// the browser or opens the tab) without tying the browser's life to a
// deadline, but gives up after a minute.
func boundedStart(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		return fmt.Errorf("no answer within a minute")
	}
}

// tab returns the browser's first tab, in its default profile.
func (b *browser) tab(name string) *tab {
	b.first.name = name
	return b.first
}

// privateTab opens a tab in a new browser context: no cookies or storage
// shared with the other tabs, like another person's browser.
func (b *browser) privateTab(name string) *tab {
	b.t.Helper()
	tb := &tab{t: b.t, b: b, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	b.t.Cleanup(cancel)
	tb.ctx = ctx
	if err := boundedStart(ctx); err != nil {
		b.t.Fatalf("opening the %s tab: %v", name, err)
	}
	return tb
}

// tab is one browser tab and what its pages reported to the console.
type tab struct {
	t    *testing.T
	b    *browser
	name string
	ctx  context.Context

	mu       sync.Mutex
	problems []problem // console errors, uncaught exceptions, error log entries
	checked  int       // problems already reported
}

// problem is an error a page reported to the console.
type problem struct {
	source string // "exception", "console" or the browser log's source ("network", "security", …)
	text   string
}

func (p problem) String() string { return p.source + ": " + p.text }

// stepOption relaxes the console check of one step.
type stepOption func(problem) bool

// allowStatus tolerates the browser log's "Failed to load resource"
// entry for a document answered with status (an invalid form's 422).
func allowStatus(status int) stepOption {
	want := fmt.Sprintf("the server responded with a status of %d ", status)
	return func(p problem) bool { return p.source == "network" && strings.Contains(p.text, want) }
}

// listen records the console's errors. It runs in the tab's event loop:
// it must be quick and send no command.
func (tb *tab) listen(ev any) {
	var p problem
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = problem{source: "exception", text: d.Text}
		if d.Exception != nil && d.Exception.Description != "" {
			p.text += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
		if d.URL != "" {
			p.text += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		p = problem{source: "console", text: "console." + string(ev.Type) + ": " + strings.Join(args, " ")}
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		p = problem{source: string(ev.Entry.Source), text: ev.Entry.Text}
		if ev.Entry.URL != "" {
			p.text += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.problems = append(tb.problems, p)
	tb.mu.Unlock()
}

// newProblems returns the console errors since the last call, except
// those an option tolerates.
func (tb *tab) newProblems(opts ...stepOption) []string {
	tb.mu.Lock()
	ps := tb.problems[tb.checked:]
	tb.checked = len(tb.problems)
	tb.mu.Unlock()
	var out []string
next:
	for _, p := range ps {
		for _, ok := range opts {
			if ok(p) {
				continue next
			}
		}
		out = append(out, p.String())
	}
	return out
}

// step runs one step of the journey with a deadline. The test fails, with
// a screenshot, if the step returns an error or the page logged an error
// to the console meanwhile.
func (tb *tab) step(name string, fn func(ctx context.Context) error, opts ...stepOption) {
	tb.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	err := fn(ctx)
	cancel()
	if err != nil {
		tb.fail(name, err)
	}
	if p := tb.newProblems(opts...); len(p) > 0 {
		tb.fail(name, fmt.Errorf("the page reported errors to the console:\n  %s", strings.Join(p, "\n  ")))
	}
	tb.t.Logf("%s: %s (%s)", tb.name, name, time.Since(start).Round(time.Millisecond))
}

// fail ends the test with the step's error, a screenshot and the page's HTML.
func (tb *tab) fail(step string, err error) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	msg := fmt.Sprintf("%s: %s: %v\n  page: %s", tb.name, step, err, where)
	dir, derr := artifactsDir()
	if derr != nil {
		tb.t.Fatalf("%s\n  (no screenshot: %v)", msg, derr)
	}
	base := filepath.Join(dir, fileName(tb.t.Name()+"-"+tb.name+"-"+step))
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		msg += "\n  no screenshot: " + err.Error()
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		msg += "\n  no screenshot: " + err.Error()
	} else {
		msg += "\n  screenshot: " + base + ".png"
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		if err := os.WriteFile(base+".html", []byte(html), 0o644); err == nil {
			msg += "\n  html: " + base + ".html"
		}
	}
	tb.t.Fatal(msg)
}

var (
	artifactsOnce sync.Once
	artifacts     string
	artifactsErr  error
)

// artifactsDir is where failure screenshots go: $E2E_ARTIFACTS, or a new
// folder under the temporary folder that is kept after the test (a test's
// own TempDir is removed when it ends, screenshot included).
func artifactsDir() (string, error) {
	artifactsOnce.Do(func() {
		if d := os.Getenv("E2E_ARTIFACTS"); d != "" {
			artifacts, artifactsErr = d, os.MkdirAll(d, 0o755)
			return
		}
		artifacts, artifactsErr = os.MkdirTemp("", "allyway-e2e-")
	})
	return artifacts, artifactsErr
}

// fileName makes s safe as a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// syncBuffer is a bytes.Buffer safe for the browser's output goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail is the end of the output, without the lines about D-Bus (there is
// none in a container, and Chromium complains at length).
func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keep []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if !strings.Contains(l, "dbus") && !strings.Contains(l, "D-Bus") {
			keep = append(keep, l)
		}
	}
	s := strings.Join(keep, "\n")
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
