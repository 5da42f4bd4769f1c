package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// TestBrowserCommissionJourney is the commissions issue's journey in a real
// browser: finance records the client's $20,000 payment on a referred
// engagement and sees the 20% accrual ($4,000.00, due 30 days after the
// payment); approves it in the review queue; previews a payout run,
// creates the batch and marks it paid with the bank's reference; the
// partner is emailed and, in the portal, sees the commission paid.
func TestBrowserCommissionJourney(t *testing.T) {
	chromium := chromiumPath(t)
	a := startApp(t)

	const (
		slug        = "lantern"
		finEmail    = "fran@lantern.example"
		finPass     = "amber-ledger-canyon-41"
		partnerName = "Brightline Tax"
		adminEmail  = "pat@brightline.example"
		adminPass   = "lilac-orbit-thunder-93"
	)
	firm := "/t/" + slug
	today := time.Now().UTC()
	paidOn := today.AddDate(0, 0, -35)
	partnerID := arrangeCommissionFirm(t, a, slug, finEmail, finPass, partnerName, adminEmail, adminPass)
	tabPath := firm + "/partners/" + partnerID.String() + "/commissions"

	b := startBrowser(t, chromium)
	fin := b.tab("finance")
	signIn(fin, a, finEmail, finPass, firm)

	fin.step("record the client's payment and see the accrual", func(ctx context.Context) error {
		if err := visit(ctx, a.URL+tabPath, partnerName); err != nil {
			return err
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(field("Amount (dollars)"), "20,000"),
			chromedp.SetValue(field("Paid on"), paidOn.Format(time.DateOnly)),
			chromedp.SendKeys(field("External reference (optional)"), "INV-2041"),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Record payment")))
		if err := wantPage(resp, err, 200, tabPath); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS(".flash"), "Payment of $20,000.00 recorded and accrued: 1 ledger entry."); err != nil {
			return err
		}
		for _, want := range []string{"$4,000.00", paidOn.AddDate(0, 0, 30).Format("2 Jan 2006"), "Awaiting approval"} {
			if err := wantText(ctx, chromedp.CSS("#entries"), want); err != nil {
				return err
			}
		}
		return nil
	})

	fin.step("approve it in the review queue", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(navLink("Commissions")))
		if err := wantPage(resp, err, 200, firm+"/commissions"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main"), partnerName); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//input[@type="checkbox" and @name="entry"]`))); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(button("Approve selected")))
		if err := wantPage(resp, err, 200, firm+"/commissions"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "1 commission approved")
	})

	var batchPath string
	fin.step("preview the payout run and create the batch", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Commissions"]//a[normalize-space()="Payouts"]`)))
		if err := wantPage(resp, err, 200, firm+"/commissions/payouts"); err != nil {
			return err
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button("Preview the payout"))); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main"), partnerName); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("main"), "$4,000.00"); err != nil {
			return err
		}
		resp, err = chromedp.RunResponse(ctx, chromedp.Click(button("Create payout batch")))
		if err != nil {
			return err
		}
		if resp.Status != 200 || !strings.Contains(pathOf(resp.URL), firm+"/commissions/payouts/") {
			return fmt.Errorf("after creating the batch: %d %s", resp.Status, resp.URL)
		}
		batchPath = pathOf(resp.URL)
		return wantText(ctx, chromedp.CSS(".flash"), "Payout batch #1 created: 1 partner, $4,000.00")
	})

	fin.step("mark the batch paid with the bank's reference", func(ctx context.Context) error {
		if err := chromedp.Do(ctx,
			chromedp.SetValue(field("Paid on"), today.Format(time.DateOnly)),
			chromedp.SendKeys(field("Reference"), "ACH-7781"),
		); err != nil {
			return err
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(button("Mark paid")))
		if err := wantPage(resp, err, 200, batchPath); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS(".flash"), "Batch #1 marked paid on "+today.Format("2 Jan 2006")+" (ref ACH-7781); 1 partner was emailed.")
	})

	fin.step("the partner is emailed", func(ctx context.Context) error {
		m, err := newestEmail(ctx, a, adminEmail)
		if err != nil {
			return err
		}
		for _, want := range []string{"$4,000.00", "ACH-7781", a.URL + "/p/" + slug + "/commissions"} {
			if !strings.Contains(m.Subject+"\n"+m.Text, want) {
				return fmt.Errorf("the payout email lacks %q:\n%s\n%s", want, m.Subject, m.Text)
			}
		}
		return nil
	})

	pat := b.privateTab("partner admin")
	signIn(pat, a, adminEmail, adminPass, "/p/"+slug)
	pat.step("the partner sees the commission paid", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Portal"]//a[normalize-space()="Commissions"]`)))
		if err := wantPage(resp, err, 200, "/p/"+slug+"/commissions"); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("#commissions"), "Paid "+today.Format("2 Jan 2006")); err != nil {
			return err
		}
		if err := wantText(ctx, chromedp.CSS("#commissions"), "20% of $20,000.00"); err != nil {
			return err
		}
		return wantText(ctx, chromedp.CSS("#payouts"), "$4,000.00")
	})

	// And the ledger behind the pages reconciles to the cent.
	var problems []ledger.Discrepancy
	var tenantID uuid.UUID
	require.NoError(t, a.Owner.QueryRow(context.Background(), `SELECT id FROM tenants WHERE slug = $1`, slug).Scan(&tenantID))
	require.NoError(t, db.New(a.Owner).InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		problems, err = ledger.Reconcile(context.Background(), tx, tenantID)
		return err
	}))
	require.Empty(t, problems)
}

// arrangeCommissionFirm makes a firm with a finance user, an active partner
// with a portal admin, the partner's agreement (20% of the first project,
// net 30) and a won referral with a $50,000 project that started 40 days
// ago. It returns the partner.
func arrangeCommissionFirm(t *testing.T, a *app, slug, finEmail, finPass, partnerName, adminEmail, adminPass string) uuid.UUID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := db.New(a.Owner)
	hasher := auth.NewHasher(1)
	var fin, admin identity.User
	require.NoError(t, d.Global(ctx, func(tx pgx.Tx) error {
		for _, u := range []struct {
			who                   *identity.User
			email, name, password string
		}{{&fin, finEmail, "Fran Finance", finPass}, {&admin, adminEmail, "Pat Partner", adminPass}} {
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
	rules, err := json.Marshal([]commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000}})
	require.NoError(t, err)
	now := time.Now().UTC()
	require.NoError(t, d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) (err error) {
		if _, err := tenant.Create(ctx, tx, id, slug, "Lantern Advisory"); err != nil {
			return err
		}
		if err := setup.Firm(ctx, tx, id); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, id, fin.ID, auth.RoleFinance); err != nil {
			return err
		}
		if p, err = partner.Create(ctx, tx, id, partner.Input{Name: partnerName, Domain: "brightline.example", Type: "referral"}); err != nil {
			return err
		}
		if err := partner.SetStatus(ctx, tx, id, p.ID, "active"); err != nil {
			return err
		}
		if err := tenant.AddPortal(ctx, tx, id, admin.ID, p.ID, auth.RolePartnerAdmin); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from,
				accepted_at, accepted_via, payment_net_days, rules)
			VALUES ($1, $2, 1, 'active', 'referral', $3, now(), 'recorded', 30, $4)`, id, p.ID, now.AddDate(-1, 0, 0), rules); err != nil {
			return err
		}
		var prospect, referral uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO referral_prospects (tenant_id, partner_id, contact_name, contact_email)
			VALUES ($1, $2, 'Dana Client', 'dana@corvid.example') RETURNING id`, id, p.ID).Scan(&prospect); err != nil {
			return err
		}
		won := now.AddDate(0, 0, -50)
		if err := tx.QueryRow(ctx, `INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company,
				client_name_norm, status, submitted_at, closed_at, status_changed_at)
			VALUES ($1, 'inbound', $2, $3, 'Corvid Health', 'corvid health', 'won', $4, $5, $5) RETURNING id`,
			id, p.ID, prospect, won.AddDate(0, 0, -20), won).Scan(&referral); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
			VALUES ($1, $2, $3, 'project', 'Carve-out tax structuring', 5000000, $4)`, id, referral, p.ID, now.AddDate(0, 0, -40))
		return err
	}))
	return p.ID
}
