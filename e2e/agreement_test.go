package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// TestBrowserAgreementJourney is the agreements issue's journey in a real
// browser: a partner manager drafts an agreement for a partner in
// onboarding from the firm's template and sends it; the partner's admin,
// in the portal, reads it, is told what is missing, and accepts it; the
// manager then ticks the remaining onboarding steps and the partner turns
// active with the last one. No page may log an error to the console.
func TestBrowserAgreementJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)

	const (
		firmName    = "Lantern Advisory"
		slug        = "lantern"
		mgrEmail    = "morgan@lantern.example"
		mgrPass     = "copper-meadow-signal-58"
		partnerName = "Brightline Tax"
		adminEmail  = "pat@brightline.example"
		adminName   = "Pat Partner"
		adminPass   = "lilac-orbit-thunder-93"
		template    = "Referral partner — standard terms"
	)
	firm := "/t/" + slug
	partnerID, stepsLeft := arrangeAgreementFirm(t, a, slug, firmName, mgrEmail, mgrPass, partnerName, adminEmail, adminName, adminPass)
	partnerPath := firm + "/partners/" + partnerID.String()
	agreementsPath := partnerPath + "/agreements"

	b := startBrowser(t, chromium)
	mgr := b.tab("manager")
	signIn(mgr, a, mgrEmail, mgrPass, firm)

	mgr.step("draft an agreement from the firm's template", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+partnerPath, partnerName); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Partner sections"]//a[normalize-space()="Agreements"]`)))
		if err := wantPage(resp, err, 200, agreementsPath); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(link("Draft an agreement")))
		if err := wantPage(resp, err, 200, agreementsPath+"/new"); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(link(template)))
		if err := wantPage(resp, err, 200, agreementsPath+"/new"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main"), "Starting from the template"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(field("What we refer to them"), "Tax structuring for carve-outs.")); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(button("Save draft")))
		if err := wantPage(resp, err, 200, agreementsPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "Draft version 1 saved.")
	})

	mgr.step("send it to the partner", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Send to the partner for acceptance")))
		if err := wantPage(resp, err, 200, agreementsPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "Version 1 sent to "+partnerName+" for acceptance")
	})

	var portalLink string
	mgr.step("the partner admin is emailed", func(ctx context.Context) error {
		m, err := newestEmail(ctx, a, adminEmail)
		if err != nil {
			return err
		}
		if !strings.Contains(m.Text, a.URL+"/p/"+slug+"/agreement") {
			return fmt.Errorf("the email has no link to the portal's agreement page:\n%s", m.Text)
		}
		portalLink = a.URL + "/p/" + slug + "/agreement"
		return nil
	})

	pat := b.privateTab("partner admin")
	signIn(pat, a, adminEmail, adminPass, "/p/"+slug)

	pat.step("read the agreement in the portal", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Portal"]//a[normalize-space()="Agreement"]`)))
		if err := wantPage(resp, err, 200, pathOf(portalLink)); err != nil {
			return err
		}
		for _, want := range []string{"Version 1 waits for your acceptance", "Tax structuring for carve-outs.",
			"of client payments on the first project", "Payable when the client pays"} {
			if err := wantText(ctx, chromedp.CSS("#pending"), want); err != nil {
				return err
			}
		}
		return nil
	})

	pat.step("open the print page and come back", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//section[@id="pending"]//a[starts-with(normalize-space(), "Print")]`)))
		if err != nil {
			return err
		}
		if !strings.HasSuffix(pathOf(resp.URL), "/print") || resp.Status != 200 {
			return fmt.Errorf("print page: %d %s", resp.Status, resp.URL)
		}
		if err := wantText(ctx, chromedp.CSS("h1"), "Partnership agreement"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".doc-print__parties"), firmName+" and "+partnerName); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Document"]//a[normalize-space()="Back"]`)))
		return wantPage(resp, err, 200, pathOf(portalLink))
	})

	// The form comes back with status 422, which Chromium logs as a failed
	// resource: expected here, and only here.
	pat.step("accept without ticking the box", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.SendKeys(field("Your full name"), adminName)); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Accept the agreement")))
		if err != nil {
			return err
		}
		if resp.Status != 422 || !strings.HasSuffix(pathOf(resp.URL), "/accept") {
			return fmt.Errorf("got %d %s, want 422 from …/accept", resp.Status, resp.URL)
		}
		if err := wantText(ctx, chromedp.CSS(".form-errors"), "There is a problem"); err != nil {
			return err
		}
		if err := wantText(ctx, fieldError("I have read the agreement and accept it on behalf of "+partnerName),
			"Tick the box to confirm you have read and accept the agreement."); err != nil {
			return err
		}
		got, err := chromedp.Run(ctx, chromedp.Value(field("Your full name")))
		if err != nil {
			return err
		}
		if got != adminName {
			return fmt.Errorf("after the error the name holds %q, want %q", got, adminName)
		}
		return nil
	}, allowStatus(422))

	pat.step("accept the agreement", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Click(field("I have read the agreement and accept it on behalf of "+partnerName))); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Accept the agreement")))
		if err := wantPage(resp, err, 200, pathOf(portalLink)); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "You accepted version 1 of the agreement. "+firmName+" has been told."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("#current"), "In force: version 1"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("#current"), "Accepted by "+adminName+" on")
	})

	mgr.step("the acceptance is recorded once, with the partner still onboarding", func(ctx context.Context) error {
		var name, ip, via, status string
		err := a.Owner.QueryRow(ctx, `SELECT a.accepted_name, a.accepted_ip, a.accepted_via, p.status
			FROM agreements a JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
			WHERE a.partner_id = $1 AND a.status = 'active'`, partnerID).Scan(&name, &ip, &via, &status)
		if err != nil {
			return err
		}
		if name != adminName || ip != "127.0.0.1" || via != "portal" || status != "onboarding" {
			return fmt.Errorf("recorded %q %q %q, partner %s", name, ip, via, status)
		}
		m, err := newestEmail(ctx, a, mgrEmail)
		if err != nil {
			return err
		}
		if m.Subject != partnerName+" accepted version 1 of the agreement" {
			return fmt.Errorf("the drafter's newest email is %q", m.Subject)
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(a.URL+agreementsPath))
		if err := wantPage(resp, err, 200, agreementsPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), "In force: version 1")
	})

	markDone := func(title string, last bool) {
		mgr.step("tick "+title, func(ctx context.Context) error {
			btn := chromedp.Search(`//main//li[.//h3[normalize-space()=` + lit(title) + `]]//button[starts-with(normalize-space(), "Mark done")]`)
			resp, err := chromedp.RunResponse(ctx, chromedp.Click(btn))
			if err := wantPage(resp, err, 200, partnerPath+"/onboarding"); err != nil {
				return err
			}
			want := "“" + title + "” is done."
			if last {
				want += " Onboarding is complete and the agreement is accepted: " + partnerName + " is now active."
			}
			return wantText(ctx, chromedp.CSS(".flash"), want)
		})
	}
	mgr.step("open the onboarding tab", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Partner sections"]//a[normalize-space()="Onboarding"]`)))
		return wantPage(resp, err, 200, partnerPath+"/onboarding")
	})
	for i, title := range stepsLeft {
		markDone(title, i == len(stepsLeft)-1)
	}

	mgr.step("the partner is active", func(ctx context.Context) error {
		if err := wantText(ctx, chromedp.CSS(".partner-header__facts"), "Active"); err != nil {
			return err
		}
		var status string
		if err := a.Owner.QueryRow(ctx, `SELECT status FROM partners WHERE id = $1`, partnerID).Scan(&status); err != nil {
			return err
		}
		if status != "active" {
			return fmt.Errorf("the partner is %s", status)
		}
		return nil
	})
}

// signIn signs a person in on tab and checks where they land.
func signIn(tb *tab, a *app, email, password, landing string) {
	tb.step("sign in as "+email, func(ctx context.Context) error {
		if err := visit(ctx, a.URL+"/login", "Sign in"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Email"), email),
			chromedp.SendKeys(field("Password"), password),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Sign in")))
		return wantPage(resp, err, 200, landing)
	})
}

// newestEmail is the newest outbox message to an address.
func newestEmail(ctx context.Context, a *app, to string) (notify.OutboxMessage, error) {
	msgs, err := notify.ListOutbox(ctx, a.Owner, 200)
	if err != nil {
		return notify.OutboxMessage{}, err
	}
	for _, m := range msgs {
		if strings.EqualFold(m.To, to) {
			return m, nil
		}
	}
	return notify.OutboxMessage{}, fmt.Errorf("no email to %s", to)
}

// arrangeAgreementFirm makes a firm with its defaults (templates, the
// onboarding checklist), a partner manager, a partner in onboarding whose
// checklist has its first steps done, and the partner's portal admin. It
// returns the partner and the titles of the steps left, in order.
func arrangeAgreementFirm(t *testing.T, a *app, slug, name, mgrEmail, mgrPass, partnerName, adminEmail, adminName, adminPass string) (uuid.UUID, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := db.New(a.Owner)
	hasher := auth.NewHasher(1)
	var mgr, admin identity.User
	require.NoError(t, d.Global(ctx, func(tx pgx.Tx) error {
		for _, u := range []struct {
			who                   *identity.User
			email, name, password string
		}{{&mgr, mgrEmail, "Morgan Reyes", mgrPass}, {&admin, adminEmail, adminName, adminPass}} {
			hash, err := hasher.Hash(ctx, u.password)
			if err != nil {
				return err
			}
			if *u.who, err = identity.CreateUser(ctx, tx, u.email, u.name, hash); err != nil {
				return err
			}
		}
		return nil
	}))
	id := uuid.New()
	var p partner.Partner
	var left []string
	require.NoError(t, d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) (err error) {
		if _, err := tenant.Create(ctx, tx, id, slug, name); err != nil {
			return err
		}
		if err := setup.Firm(ctx, tx, id); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, id, mgr.ID, auth.RoleManager); err != nil {
			return err
		}
		if p, err = partner.Create(ctx, tx, id, partner.Input{Name: partnerName, Domain: "brightline.example", Type: "referral"}); err != nil {
			return err
		}
		for _, to := range []string{"qualifying", "onboarding"} {
			if _, err := partner.MoveStatus(ctx, tx, id, p.ID, to, "", mgr.ID); err != nil {
				return err
			}
		}
		if err := tenant.AddPortal(ctx, tx, id, admin.ID, p.ID, auth.RolePartnerAdmin); err != nil {
			return err
		}
		if _, err := onboarding.Start(ctx, tx, id, p.ID); err != nil {
			return err
		}
		items, err := onboarding.Checklist(ctx, tx, id, p.ID)
		if err != nil {
			return err
		}
		if len(items) < 3 {
			return fmt.Errorf("the default checklist has %d steps", len(items))
		}
		for i, it := range items {
			if i < len(items)-2 {
				if _, err := onboarding.Complete(ctx, tx, id, p.ID, it.ID, mgr.ID, onboarding.ItemInput{Title: it.Title}, time.Now()); err != nil {
					return err
				}
				continue
			}
			left = append(left, it.Title)
		}
		return nil
	}))
	return p.ID, left
}
