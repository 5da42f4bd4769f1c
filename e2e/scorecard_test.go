package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/seed"
)

// TestBrowserQuarterlyReviewJourney is the scorecards issue's journey on
// the demo firm: the admin opens the program dashboard from the
// dashboard, drills into the top partner's scorecard, holds its quarterly
// review from there (scheduling it first when none is scheduled), adds an
// action item, and finds it on the scorecard.
func TestBrowserQuarterlyReviewJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)
	_, err := seed.Demo(context.Background(), a.DB, auth.NewHasher(4), a.URL)
	require.NoError(t, err)
	// What the minute job would have done by the time an admin signs in:
	// the first page then reads fresh rollups instead of refreshing them.
	_, err = rollup.RunAll(context.Background(), a.DB, false)
	require.NoError(t, err)

	firm := "/t/northwind"
	today := time.Now().UTC().Format(time.DateOnly)
	const action = "Send the joint case study draft"

	b := startBrowser(t, chromium)
	adm := b.tab("admin")
	signIn(adm, a, "admin@northwind.example", seed.DemoPassword, firm)

	var partnerName, scorecardPath string
	adm.step("open the program dashboard from the dashboard", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Program")))
		if err := wantPage(resp, err, 200, firm+"/program"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(`[data-testid="program-verdict"]`), "return on the program"); err != nil {
			return err
		}
		top := chromedp.Search(`//section[@aria-labelledby="program-top-heading"]//tbody//a`)
		name, err := chromedp.Run(ctx, chromedp.Text(top))
		if err != nil {
			return fmt.Errorf("top partners: %w", err)
		}
		partnerName = strings.TrimSpace(name)
		if partnerName == "" {
			return fmt.Errorf("the top partners table names no partner")
		}
		return nil
	})

	adm.step("drill into the top partner's scorecard", func(ctx context.Context) error {
		top := chromedp.Search(`//section[@aria-labelledby="program-top-heading"]//tbody//a`)
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(top)); err != nil {
			return err
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		scorecardPath = pathOf(loc)
		if !strings.HasPrefix(scorecardPath, firm+"/partners/") || !strings.HasSuffix(scorecardPath, "/scorecard") {
			return fmt.Errorf("landed on %s, want a partner's scorecard", loc)
		}
		if err := wantText(ctx, chromedp.CSS("h1"), partnerName); err != nil {
			return err
		}
		for _, want := range []string{"Health score", "Tier recommendation", "Balance of trade", "Trend over 8 quarters"} {
			if err := wantText(ctx, chromedp.CSS("main"), want); err != nil {
				return err
			}
		}
		return nil
	})

	adm.step("hold the review from the scorecard", func(ctx context.Context) error {
		scheduled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.getElementById("hold-review")`))
		if err != nil {
			return err
		}
		if !scheduled {
			if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#schedule-review"))); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.SetValue(field("Date"), today),
				chromedp.SetValue(field("Time"), "10:00"),
			); err != nil {
				return err
			}
			if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Schedule the review"))); err != nil {
				return err
			}
			if err := visit(ctx, a.URL+scorecardPath, partnerName); err != nil {
				return err
			}
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#hold-review"))); err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SetValue(field("Held on"), today),
			chromedp.SendKeys(field("Notes (Markdown)"), "Went through the scorecard; agreed to co-write a case study."),
		); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Hold the review"))); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "The review is recorded as held.")
	})

	adm.step("add an action item", func(ctx context.Context) error {
		owner, err := optionValue(ctx, chromedp.Search(`//select[@id="add-owner"]`), "Alex Admin")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#add-title"), action),
			chromedp.SetValue(chromedp.CSS("#add-owner"), owner),
			chromedp.SetValue(chromedp.CSS("#add-due"), time.Now().UTC().AddDate(0, 0, 14).Format(time.DateOnly)),
		); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Add an action item"))); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("#actions"), action)
	})

	adm.step("the scorecard lists the open action item", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+scorecardPath, partnerName); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), action)
	})
}
