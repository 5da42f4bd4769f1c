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
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// TestBrowserReferralJourney is the Referrals issue's journey, in a real
// browser: a partner user refers a client in the portal (the checklist,
// after being told a required answer must be yes, then the form); the
// firm's partner manager, in another browser, acknowledges it and moves it
// through contacted → meeting → proposal → won with the engagement; after
// each step the partner sees it in the portal — the progress steps, the
// timeline with the firm's notes — and in the end the outcome. No page may
// log an error to the console.
func TestBrowserReferralJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)

	const (
		firmName    = "Ferncliff Advisory"
		slug        = "ferncliff"
		mgrEmail    = "morgan@ferncliff.example"
		mgrPass     = "harbor-lantern-quartz-19"
		partnerName = "Brightline Tax"
		patEmail    = "pat@brightline.example"
		patPass     = "cobalt-meadow-signal-64"
		company     = "Halden Foods"
	)
	arrangeReferralFirm(t, a, slug, firmName, mgrEmail, mgrPass, partnerName, patEmail, patPass)
	portal := "/p/" + slug

	b := startBrowser(t, chromium)
	pat := b.tab("partner")
	signIn(pat, a, patEmail, patPass, portal)

	// The portal home's big button.
	pat.step("open the referral form from the portal home", func(ctx context.Context) error {
		if err := wantText(ctx, chromedp.CSS(`section[aria-labelledby="home-referrals-heading"]`), "0 open"); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(link("Refer a client")))
		if err := wantPage(resp, err, 200, portal+"/referrals/new"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("h1"), "Refer a client")
	})

	fill := func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.SendKeys(field("Client company"), company),
			chromedp.SendKeys(field("Website or domain"), "https://www.haldenfoods.example/"),
			chromedp.SendKeys(field("Contact name"), "Dana Reyes"),
			chromedp.SendKeys(field("Contact email"), "dana@haldenfoods.example"),
			chromedp.SendKeys(field("Contact phone"), "+44 20 7946 0100"),
			chromedp.SendKeys(field("The client's challenge"), "Margins are down four points; they suspect the warehouse network."),
			chromedp.SendKeys(field("Context"), "Our client for three years; the CFO asked who we trust."),
			chromedp.SendKeys(field("Promises already made"), "Said you would call this week."),
			chromedp.SendKeys(field("Estimated value (USD)"), "45,000"),
		)
	}
	// A required question answered no: the page explains, keeps the input.
	pat.step("answer a required question no", func(ctx context.Context) error {
		if err := chromedp.Do(ctx,
			chromedp.Click(answer("Does the client know you are introducing them to us", "No")),
			chromedp.Click(answer("Is the client's need something we do", "Yes")),
			chromedp.Click(answer("Have you spoken with the client about this need", "Yes")),
		); err != nil {
			return err
		}
		if err := fill(ctx); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Send referral")))
		if err := wantPage(resp, err, 422, portal+"/referrals"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".form-errors"), "There is a problem"); err != nil {
			return err
		}
		if err := wantText(ctx, questionError("Does the client know you are introducing them to us"),
			"This must be yes before you can refer the client."); err != nil {
			return err
		}
		got, err := chromedp.Run(ctx, chromedp.Value(field("Client company")))
		if err != nil || got != company {
			return fmt.Errorf("after the error the company field holds %q (%v)", got, err)
		}
		return nil
	}, allowStatus(422))

	var refPath, ref string
	pat.step("send the referral", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Click(answer("Does the client know you are introducing them to us", "Yes"))); err != nil {
			return err
		}
		start := time.Now()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Send referral")))
		if err != nil {
			return err
		}
		refPath = pathOf(resp.URL)
		if !strings.HasPrefix(refPath, portal+"/referrals/") {
			return fmt.Errorf("after sending, the browser is on %s", resp.URL)
		}
		if err := wantPage(resp, nil, 200, refPath); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Received — we respond within 24 business hours."); err != nil {
			return err
		}
		h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			return err
		}
		ref, _, _ = strings.Cut(h1, " ·")
		if !strings.HasPrefix(ref, "R-") || !strings.Contains(h1, company) {
			return fmt.Errorf("the referral's heading is %q", h1)
		}
		pat.t.Logf("submitted %s in %s", ref, time.Since(start).Round(time.Millisecond))
		if err := wantStep(ctx, "Sent"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.ID("timeline"), "Referral received")
	})

	pat.step("find the acknowledgment email", func(ctx context.Context) error {
		m, err := newestEmailTo(ctx, a, patEmail)
		if err != nil {
			return err
		}
		if !strings.Contains(m.Subject+m.Text, ref) {
			return fmt.Errorf("the acknowledgment %q doesn't name %s", m.Subject, ref)
		}
		return nil
	})

	staff := b.privateTab("manager")
	signIn(staff, a, mgrEmail, mgrPass, "/t/"+slug)
	staffPath := "/t/" + slug + "/referrals/" + strings.TrimPrefix(refPath, portal+"/referrals/")
	staff.step("open the referral", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+staffPath, ref); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("main"), company)
	})

	// Each move, as the partner manager, then what the partner sees.
	moves := []struct {
		option, note, step string
	}{
		{"Acknowledged", "Thanks, Pat — Morgan will call Dana this week.", "Acknowledged"},
		{"Client contacted", "Spoke to Dana; meeting booked for Tuesday.", "Client contacted"},
		{"Meeting held", "Good first meeting with the CFO and COO.", "Meeting held"},
		{"Proposal sent", "Proposal sent for a twelve-week operations review.", "Proposal sent"},
	}
	for _, m := range moves {
		staff.step("move to "+m.option, func(ctx context.Context) error {
			const form = `//form[.//input[@name="form" and @value="advance"]]`
			to, err := optionValue(ctx, fieldIn(form, "Move to"), m.option)
			if err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.SetValue(fieldIn(form, "Move to"), to),
				chromedp.SendKeys(fieldIn(form, "Note for the partner (optional)"), m.note),
			); err != nil {
				return err
			}
			resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(form+`//button[normalize-space()="Move"]`)))
			if err := wantPage(resp, err, 200, staffPath); err != nil {
				return err
			}
			return wantText(ctx, chromedp.CSS(".flash"), ref+" is now "+m.option+".")
		})
		pat.step("see "+m.step+" in the portal", func(ctx context.Context) error {
			if err := visit(ctx, a.URL+refPath, ref); err != nil {
				return err
			}
			if err := wantStep(ctx, m.step); err != nil {
				return err
			}
			return wantText(ctx, chromedp.ID("timeline"), m.note)
		})
	}

	staff.step("mark it won with the engagement", func(ctx context.Context) error {
		const form = `//form[.//input[@name="form" and @value="won"]]`
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(fieldIn(form, "Engagement name"), "Operations review"),
			chromedp.SendKeys(fieldIn(form, "Value (USD)"), "48,000"),
			chromedp.SetValue(fieldIn(form, "Start date"), time.Now().Format(time.DateOnly)),
			chromedp.SendKeys(fieldIn(form, "Scope"), "Twelve weeks: the warehouse network and working capital."),
			chromedp.SendKeys(fieldIn(form, "Note for the partner (optional)"), "Signed today — thank you for the introduction!"),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(form+`//button[normalize-space()="Mark won"]`)))
		if err := wantPage(resp, err, 200, staffPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), ref+" is now Won.")
	})

	pat.step("see the outcome", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+refPath, ref); err != nil {
			return err
		}
		if err := wantStep(ctx, "Won"); err != nil {
			return err
		}
		for _, want := range []string{"Operations review", "$48,000.00", "Twelve weeks: the warehouse network and working capital."} {
			if err := wantText(ctx, chromedp.ID("outcome"), want); err != nil {
				return err
			}
		}
		if err := wantText(ctx, chromedp.ID("timeline"), "Signed today — thank you for the introduction!"); err != nil {
			return err
		}
		// Every step, in order, is in the partner's timeline.
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("timeline")))
		if err != nil {
			return err
		}
		last := -1
		for _, s := range []string{"Referral received", "Acknowledged", "Client contacted", "Meeting held", "Proposal sent", "Won"} {
			i := strings.Index(text[last+1:], s)
			if i < 0 {
				return fmt.Errorf("the timeline lacks %q after position %d:\n%s", s, last, text)
			}
			last += 1 + i
		}
		return nil
	})

	pat.step("find it among the closed referrals", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+portal+"/referrals?show=closed", "Referrals"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("tbody"), ref)
	})
}

// answer is the Yes or No radio of the checklist question starting with q.
func answer(q, yesNo string) chromedp.Search {
	return chromedp.Search(`//fieldset[starts-with(normalize-space(legend), ` + lit(q) + `)]//label[normalize-space()=` + lit(yesNo) + `]`)
}

// questionError is the error shown with the checklist question starting with q.
func questionError(q string) chromedp.Search {
	return chromedp.Search(`//fieldset[starts-with(normalize-space(legend), ` + lit(q) + `)]//*[contains(@class, "field__error")]`)
}

// wantStep checks the progress indicator's current step.
func wantStep(ctx context.Context, label string) error {
	return wantText(ctx, chromedp.CSS(`.portal-ref-step[aria-current="step"] .portal-ref-step__label`), label)
}

// newestEmailTo is the newest outbox message to an address, addressed
// bare or as "Name <address>".
func newestEmailTo(ctx context.Context, a *app, to string) (struct{ Subject, Text string }, error) {
	var m struct{ Subject, Text string }
	err := a.Owner.QueryRow(ctx, `SELECT subject, text_body FROM email_outbox
		WHERE lower(to_addr) = lower($1) OR lower(to_addr) LIKE '%<' || lower($1) || '>'
		ORDER BY created_at DESC LIMIT 1`, to).Scan(&m.Subject, &m.Text)
	if err != nil {
		return m, fmt.Errorf("no email to %s: %w", to, err)
	}
	return m, nil
}

// arrangeReferralFirm makes a firm with its defaults (the referral
// checklist among them), a partner manager who owns an active partner, and
// the partner's portal user.
func arrangeReferralFirm(t *testing.T, a *app, slug, name, mgrEmail, mgrPass, partnerName, patEmail, patPass string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := db.New(a.Owner)
	hasher := auth.NewHasher(1)
	var mgr, pat identity.User
	require.NoError(t, d.Global(ctx, func(tx pgx.Tx) error {
		for _, u := range []struct {
			who                   *identity.User
			email, name, password string
		}{{&mgr, mgrEmail, "Morgan Reyes", mgrPass}, {&pat, patEmail, "Pat Quinn", patPass}} {
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
	require.NoError(t, d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) error {
		if _, err := tenant.Create(ctx, tx, id, slug, name); err != nil {
			return err
		}
		if err := setup.Firm(ctx, tx, id); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, id, mgr.ID, auth.RoleManager); err != nil {
			return err
		}
		p, err := partner.Create(ctx, tx, id, partner.Input{Name: partnerName, Domain: "brightline.example", Type: "referral"})
		if err != nil {
			return err
		}
		for _, to := range []string{"qualifying", "onboarding", "active"} {
			if _, err := partner.MoveStatus(ctx, tx, id, p.ID, to, "", mgr.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE partners SET owner_user_id = $3 WHERE tenant_id = $1 AND id = $2`, id, p.ID, mgr.ID); err != nil {
			return err
		}
		return tenant.AddPortal(ctx, tx, id, pat.ID, p.ID, auth.RolePartnerMember)
	}))
}
