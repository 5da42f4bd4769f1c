package e2e

import (
	"context"
	"fmt"
	"net/url"
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
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
)

// TestBrowserPartnerQualificationJourney is the Partners issue's journey, as
// a partner manager (not the owner) in a real browser: add a prospect, score
// it on every criterion, qualify it, put it in a tier from the recruiting
// board, and find it in the directory filtered by tier, status and a search
// — while three partners that each miss one of those filters stay out. No
// page may log an error to the console.
func TestBrowserPartnerQualificationJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)

	const (
		firmName    = "Keel & Compass Advisory"
		slug        = "keel-compass"
		mgrEmail    = "morgan@keelcompass.example"
		mgrPass     = "granite-harbor-violet-31"
		partnerName = "Northstar Legal"
		reason      = "Strong referral fit: same mid-market clients, two good references."
	)
	firm := "/t/" + slug
	// The partners the filters must leave out: each matches all but one.
	const (
		otherTier   = "Northgate Consulting"   // "north", onboarding, but Strategic
		otherStatus = "Northbank Tax Partners" // "north", Active, but already active
		otherName   = "Meridian Advisory"      // onboarding, Active, but not "north"
	)
	arrangeFirm(t, a, slug, firmName, mgrEmail, mgrPass, []arrangedPartner{
		{Name: otherTier, Domain: "northgate.example", Status: "onboarding", Tier: "Tier 1 – Strategic"},
		{Name: otherStatus, Domain: "northbank.example", Status: "active", Tier: "Tier 2 – Active"},
		{Name: otherName, Domain: "meridian.example", Status: "onboarding", Tier: "Tier 2 – Active"},
	})

	b := startBrowser(t, chromium)
	mgr := b.tab("manager")

	mgr.step("sign in as the partner manager", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+"/login", "Sign in"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Email"), mgrEmail),
			chromedp.SendKeys(field("Password"), mgrPass),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Sign in")))
		if err := wantPage(resp, err, 200, firm); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".site-header__context"), firmName)
	})

	var partnerPath string
	mgr.step("add a prospect", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Partners")))
		if err := wantPage(resp, err, 200, firm+"/partners"); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(link("Add a partner")))
		if err := wantPage(resp, err, 200, firm+"/partners/new"); err != nil {
			return err
		}
		model, err := optionValue(ctx, field("Partnership model"), "Referral")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Firm name"), partnerName),
			chromedp.SendKeys(field("Website"), "northstar-legal.example"),
			chromedp.SetValue(field("Partnership model"), model),
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
		if err := wantText(ctx, chromedp.CSS(".flash"), partnerName+" was added as a prospect."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".partner-header__facts .badge"), "Prospect"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".partner-header__facts"), "Referral")
	})

	// Scores 5, 4, 4, 3, 4, 5 on the default weights 20, 20, 15, 15, 15, 15:
	// (100 + 80 + 60 + 45 + 60 + 75) ÷ 100 = 4.20.
	scores := []struct {
		criterion string
		score     string
	}{
		{"Target market fit", "5"},
		{"Quality and reputation", "4"},
		{"Financial stability and capacity", "4"},
		{"Commitment and reciprocity", "3"},
		{"Cultural and values fit", "4"},
		{"Positioning compatibility", "5"},
	}
	mgr.step("score every criterion", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(link("Qualification")))
		if err := wantPage(resp, err, 200, partnerPath+"/qualification"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.ID("weighted-score"), "Not scored"); err != nil {
			return err
		}
		for _, s := range scores {
			if err := chromedp.Do(ctx, chromedp.Click(scoreLabel(s.criterion, s.score))); err != nil {
				return fmt.Errorf("scoring %s %s: %w", s.criterion, s.score, err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(field("Note on Commitment and reciprocity"), "Keen, but no named referrals yet.")); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(button("Save scores")))
		if err := wantPage(resp, err, 200, partnerPath+"/qualification"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Scores saved."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.ID("weighted-score"), "4.20 out of 5"); err != nil {
			return err
		}
		// All six are scored: no "Incomplete" warning.
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("scorecard")))
		if err != nil {
			return err
		}
		if strings.Contains(txt, "Incomplete") {
			return fmt.Errorf("the scorecard says it is incomplete after scoring every criterion:\n%s", txt)
		}
		// The page shows what was saved: the chosen radio of each criterion is checked.
		for _, s := range scores {
			ok, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](scoreRadio(s.criterion, s.score), "checked"))
			if err != nil {
				return fmt.Errorf("reading %s's score: %w", s.criterion, err)
			}
			if !ok {
				return fmt.Errorf("after saving, %s's %s is not checked", s.criterion, s.score)
			}
		}
		return nil
	})

	mgr.step("qualify it", func(ctx context.Context) error {
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.Search(`//main//label[normalize-space()="Qualify — move to onboarding"]`)),
			chromedp.SendKeys(field("Reason"), reason),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Record decision")))
		if err := wantPage(resp, err, 200, partnerPath+"/qualification"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), partnerName+" is qualified and moves to onboarding."); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".partner-header__facts .badge"), "Onboarding"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.ID("decision"), reason)
	})

	const card = `//section[@aria-labelledby="col-onboarding"]//li[.//a[normalize-space()="` + partnerName + `"]]`
	mgr.step("put it in a tier from the recruiting board", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Recruiting")))
		if err := wantPage(resp, err, 200, firm+"/recruiting"); err != nil {
			return err
		}
		tier, err := optionValue(ctx, fieldIn(card, "Tier"), "Tier 2 – Active")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SetValue(fieldIn(card, "Tier"), tier)); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(card+`//button[normalize-space()="Set tier"]`)))
		if err := wantPage(resp, err, 200, firm+"/recruiting"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), partnerName+" is in Tier 2 – Active now."); err != nil {
			return err
		}
		// The board shows the tier it is in now.
		got, err := chromedp.Run(ctx, chromedp.Value(fieldIn(card, "Tier")))
		if err != nil {
			return err
		}
		if got != tier {
			return fmt.Errorf("after setting the tier, the card's select holds %q, want %q (Active)", got, tier)
		}
		// And so does the partner's page: its header and its own tier form.
		if err := visit(ctx, a.URL+partnerPath, partnerName); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".partner-header__facts"), "Onboarding Referral · Tier 2 – Active"); err != nil {
			return err
		}
		if got, err = chromedp.Run(ctx, chromedp.Value(field("Tier"))); err != nil {
			return err
		}
		if got != tier {
			return fmt.Errorf("the overview's tier select holds %q, want %q (Active)", got, tier)
		}
		return nil
	})

	// The directory's form narrows the results in place (htmx, on change,
	// typing and submit) and pushes the URL; the same URL opened afresh
	// renders the same results on the server.
	var filtered string
	mgr.step("find it in the filtered directory", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Partners")))
		if err := wantPage(resp, err, 200, firm+"/partners"); err != nil {
			return err
		}
		for _, name := range []string{partnerName, otherTier, otherStatus, otherName} {
			if err := wantText(ctx, chromedp.ID("directory"), name); err != nil {
				return err
			}
		}
		tier, err := optionValue(ctx, field("Tier"), "Tier 2 – Active")
		if err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SetValue(field("Tier"), tier),
			chromedp.Click(field("Onboarding")),
			chromedp.SendKeys(field("Search"), "north"),
			chromedp.Click(button("Search")),
		); err != nil {
			return err
		}
		want := url.Values{"q": {"north"}, "tier": {tier}, "status": {"onboarding"}}
		filtered, err = waitDirectory(ctx, want, partnerName, otherTier, otherStatus, otherName)
		return err
	})

	mgr.step("open the filtered directory's address", func(ctx context.Context) error {
		if err := visit(ctx, filtered, "Partners"); err != nil {
			return err
		}
		if _, err := directoryShows(ctx, partnerName, otherTier, otherStatus, otherName); err != nil {
			return err
		}
		// The form shows the filters it was opened with.
		q, err := chromedp.Run(ctx, chromedp.Value(field("Search")))
		if err != nil {
			return err
		}
		checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](field("Onboarding"), "checked"))
		if err != nil {
			return err
		}
		tierLabel, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.getElementById(
			document.evaluate('//label[normalize-space()="Tier"]/@for', document, null, XPathResult.STRING_TYPE, null).stringValue);
			return s.options[s.selectedIndex].text })()`))
		if err != nil {
			return err
		}
		if q != "north" || !checked || tierLabel != "Tier 2 – Active" {
			return fmt.Errorf("the form shows search %q, onboarding checked %v, tier %v; want north, true, Active", q, checked, tierLabel)
		}
		return nil
	})
}

// scoreLabel is the label of a criterion's radio for score (1–5) on the
// scorecard: "5 · Excellent" in the fieldset whose legend starts with the
// criterion's name.
func scoreLabel(criterion, score string) chromedp.Search {
	return chromedp.Search(scoreFieldset(criterion) + `//label[starts-with(normalize-space(), ` + lit(score+" ·") + `)]`)
}

// scoreRadio is the radio button scoreLabel labels.
func scoreRadio(criterion, score string) chromedp.Search {
	return chromedp.Search(scoreFieldset(criterion) + `//input[@type="radio"][@value=` + lit(score) + `]`)
}

func scoreFieldset(criterion string) string {
	return `//section[@id="scorecard"]//fieldset[legend[starts-with(normalize-space(), ` + lit(criterion+" (") + `)]]`
}

// waitDirectory waits (within ctx's deadline) until the page's address has
// the query want and the directory lists exactly the partner `in` of the
// named ones; it returns the address.
func waitDirectory(ctx context.Context, want url.Values, in string, out ...string) (string, error) {
	var last error
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil {
			last = fmt.Errorf("the address is %s, want its query to hold %v", loc, want)
			if hasQuery(loc, want) {
				if _, last = directoryShows(ctx, in, out...); last == nil {
					return loc, nil
				}
			}
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the filtered directory never showed: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// directoryShows checks that the directory lists in and none of out.
func directoryShows(ctx context.Context, in string, out ...string) (string, error) {
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("directory")))
	if err != nil {
		return "", err
	}
	if !strings.Contains(txt, in) {
		return txt, fmt.Errorf("the directory does not list %s:\n%s", in, txt)
	}
	for _, o := range out {
		if strings.Contains(txt, o) {
			return txt, fmt.Errorf("the directory lists %s, which the filters exclude:\n%s", o, txt)
		}
	}
	return txt, nil
}

func hasQuery(loc string, want url.Values) bool {
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	got := u.Query()
	for k, vs := range want {
		if strings.Join(got[k], ",") != strings.Join(vs, ",") {
			return false
		}
	}
	return true
}

// arrangedPartner is a partner set up before the browser starts.
type arrangedPartner struct {
	Name, Domain string
	Status       string // prospect, qualifying, onboarding or active, reached in lifecycle order
	Tier         string // a default tier's name, or ""
}

// arrangeFirm makes a firm (with its default tiers and criteria, as
// sign-up does), a partner manager who signs in with password, and the
// partners, directly through the app's functions (as the owner of the
// schema, like internal/server's harness).
func arrangeFirm(t *testing.T, a *app, slug, name, email, password string, partners []arrangedPartner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := db.New(a.Owner)
	hash, err := auth.NewHasher(1).Hash(ctx, password)
	require.NoError(t, err)
	var u identity.User
	require.NoError(t, d.Global(ctx, func(tx pgx.Tx) (err error) {
		u, err = identity.CreateUser(ctx, tx, email, "Morgan Reyes", hash)
		return err
	}))
	id := uuid.New()
	require.NoError(t, d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) error {
		if _, err := tenant.Create(ctx, tx, id, slug, name); err != nil {
			return err
		}
		if err := partner.SetUpFirm(ctx, tx, id); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, id, u.ID, auth.RoleManager); err != nil {
			return err
		}
		tiers, err := partner.ListTiers(ctx, tx, id)
		if err != nil {
			return err
		}
		tierID := map[string]uuid.UUID{}
		for _, tr := range tiers {
			tierID[tr.Name] = tr.ID
		}
		for _, ap := range partners {
			p, err := partner.Create(ctx, tx, id, partner.Input{Name: ap.Name, Domain: ap.Domain, Type: "referral"})
			if err != nil {
				return err
			}
			for _, to := range []string{"qualifying", "onboarding", "active"} {
				if p.Status == ap.Status {
					break
				}
				if _, err := partner.MoveStatus(ctx, tx, id, p.ID, to, "", u.ID); err != nil {
					return err
				}
				p.Status = to
			}
			if p.Status != ap.Status {
				return fmt.Errorf("can't arrange %s as %q", ap.Name, ap.Status)
			}
			if ap.Tier != "" {
				tid, ok := tierID[ap.Tier]
				if !ok {
					return fmt.Errorf("no default tier %q", ap.Tier)
				}
				if err := partner.SetTier(ctx, tx, id, p.ID, &tid); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}
