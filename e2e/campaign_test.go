package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/seed"
)

// TestBrowserCampaignJourney is the co-marketing journey on the demo firm:
// the admin creates a webinar with Brightline Tax from the Campaigns page,
// imports the attendee list (BOM, a quoted newline, one bad row shown in
// the preview), turns one attendee into a referral from Brightline, and
// sees it counted on the campaign page — which also reads at 390px wide.
func TestBrowserCampaignJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)
	_, err := seed.Demo(context.Background(), a.DB, auth.NewHasher(4), a.URL)
	require.NoError(t, err)

	firm := "/t/northwind"
	const name = "Cash-flow clinic with Brightline"
	csvPath := filepath.Join(t.TempDir(), "attendees.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte("\ufeffFirst name,Last name,Email,Company,Job title,Consent,Questions\n"+
		"Grace Hopper,,grace@cobol.example,Cobol Systems,CFO,yes,\"How do we plan\nfor next year?\"\n"+
		"Alan,Turing,alan@enigma.example,Enigma Labs,COO,yes,\n"+
		"Edsger,Dijkstra,edsger@paths.example,Paths Ltd,CEO,no,\n"+
		"Bad Row,,not-an-email,,,,\n"), 0o644))

	b := startBrowser(t, chromium)
	adm := b.tab("admin")
	signIn(adm, a, "admin@northwind.example", seed.DemoPassword, firm)

	var campaignPath string
	adm.step("create a webinar with Brightline Tax", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Campaigns")))
		if err := wantPage(resp, err, 200, firm+"/campaigns"); err != nil {
			return err
		}
		if resp, err = chromedp.RunResponse(ctx, chromedp.Click(link("New campaign"))); err != nil {
			return err
		}
		if err := wantPage(resp, nil, 200, firm+"/campaigns/new"); err != nil {
			return err
		}
		brightline, err := optionValue(ctx, chromedp.Search(`//select[@id="f-partner-0"]`), "Brightline Tax")
		if err != nil {
			return err
		}
		webinarOn := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Name"), name),
			chromedp.SetValue(field("Kind"), "webinar"),
			chromedp.SetValue(field("Starts on"), webinarOn),
			chromedp.SetValue(chromedp.CSS("#f-partner-0"), brightline),
			chromedp.SendKeys(chromedp.CSS("#f-audience-0"), "8000"),
			chromedp.SendKeys(field("Our audience"), "12000"),
			chromedp.SendKeys(field("Overlap (%)"), "25"),
			chromedp.SetValue(chromedp.CSS("#f-resp-task-0"), "promotion"),
			chromedp.SetValue(chromedp.CSS("#f-resp-owner-0"), "partner:"+brightline),
			chromedp.SendKeys(chromedp.CSS("#f-resp-note-0"), "Mailing to Brightline's clients"),
		); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Create the campaign"))); err != nil {
			return err
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		campaignPath = pathOf(loc)
		if !strings.HasPrefix(campaignPath, firm+"/campaigns/") {
			return fmt.Errorf("landed on %s, want the campaign's page", loc)
		}
		if err := wantText(ctx, chromedp.CSS("h1"), name); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(`[data-testid="campaign-reach-formula"]`), "(12,000 + 8,000) × (100% − 25%) = 15,000"); err != nil {
			return err
		}
		return axeCheck(ctx)
	})

	adm.step("import the attendee list", func(ctx context.Context) error {
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(link("Import attendees"))); err != nil {
			return err
		}
		owner, err := optionValue(ctx, chromedp.Search(`//select[@id="f-owner"]`), "Brightline Tax")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{csvPath}),
			chromedp.SetValue(chromedp.CSS("#f-owner"), owner),
		); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Preview import"))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(`#import-summary`), "3 leads will be added; 1 row with errors will not be imported."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main table"), "Enter an email address"); err != nil {
			return err
		}
		if err := axeCheck(ctx); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Import 3 leads (Brightline Tax follows up)")))
		if err := wantPage(resp, err, 200, campaignPath); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Imported 3 leads."); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(`[data-testid="campaign-leads"]`), "Grace Hopper")
	})

	adm.step("turn Grace Hopper into a referral", func(ctx context.Context) error {
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(link("Grace Hopper"))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("h1"), "Grace Hopper"); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(link("Turn into referral"))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main"), "becomes a referral from Brightline Tax to Northwind Advisory"); err != nil {
			return err
		}
		company, err := chromedp.Run(ctx, chromedp.Value(field("Client company")))
		if err != nil {
			return err
		}
		if company != "Cobol Systems" {
			return fmt.Errorf("client company prefilled %q, want Cobol Systems", company)
		}
		if err := axeCheck(ctx); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(field("Contact phone (optional)"), "+1 212 555 0100")); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Create the referral")))
		if err := wantPage(resp, err, 200, campaignPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "is created from Grace Hopper's lead")
	})

	adm.step("the campaign page counts the referral", func(ctx context.Context) error {
		if err := wantText(ctx, chromedp.CSS(`[data-testid="campaign-referrals"]`), "1"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(`[data-testid="campaign-leads"]`), "Converted to a referral"); err != nil {
			return err
		}
		if err := visit(ctx, a.URL+firm+"/campaigns", "Campaigns"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(`[data-testid="campaign-list"]`), name)
	})

	adm.step("the campaign page reads at 390px wide", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
			return err
		}
		if err := visit(ctx, a.URL+campaignPath, name); err != nil {
			return err
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			return err
		}
		if wide {
			return fmt.Errorf("the page scrolls sideways at 390px")
		}
		return axeCheck(ctx)
	})

	pat := b.privateTab("partner")
	signIn(pat, a, "partner@brightline.example", seed.DemoPassword, "/p/northwind")
	pat.step("the partner follows up a lead in the portal at 390px", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
			return err
		}
		if err := visit(ctx, a.URL+"/p/northwind/campaigns", "Joint campaigns"); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(link(name))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(`[data-testid="portal-leads"]`), "Alan Turing"); err != nil {
			return err
		}
		card := `//li[h3[normalize-space()="Alan Turing"]]`
		if err := chromedp.Do(ctx, chromedp.SetValue(fieldIn(card, "Follow-up"), "qualified")); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(card+`//button`))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Alan Turing's follow-up is saved."); err != nil {
			return err
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			return err
		}
		if wide {
			return fmt.Errorf("the portal page scrolls sideways at 390px")
		}
		return axeCheck(ctx)
	})
}

// axeCheck runs axe-core on the page when AXE_JS names its axe.min.js
// (npm install axe-core) and fails on serious or critical violations.
func axeCheck(ctx context.Context) error {
	path := os.Getenv("AXE_JS")
	if path == "" {
		return nil
	}
	js, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(js)+";true")); err != nil {
		return fmt.Errorf("loading axe: %w", err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => v.id + ": " + v.help + " (" + v.nodes.map(n => n.target.join(" ")).join(", ") + ")"))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("running axe: %w", err)
	}
	if len(found) > 0 {
		return fmt.Errorf("axe found serious problems:\n  %s", strings.Join(found, "\n  "))
	}
	return nil
}
