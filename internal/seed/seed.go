// Package seed fills a database with a demo firm so a newcomer has something
// to click through: two firms (to try isolation), staff of several roles, a
// partner-portal user and, for Northwind, a whole partner network of ~25
// firms (partners.go).
package seed

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// DemoPassword is every demo account's password. Demo data only.
const DemoPassword = "allyway-demo-2026"

// Login is one demo account to print.
type Login struct {
	Who      string
	Email    string
	Password string
	URL      string
}

type demoUser struct {
	email, name string
	role        auth.Role
	partner     string // portal user of this partner
}

type demoFirm struct {
	slug, name string
	partners   []partner.Input
	statuses   map[string]string
	users      []demoUser
}

var firms = []demoFirm{
	{
		slug: "northwind", name: "Northwind Advisory",
		partners: []partner.Input{
			{Name: "Brightline Tax", Domain: "brightline.example", Type: "referral"},
			{Name: "Keystone Legal", Domain: "keystonelegal.example", Type: "referral"},
			{Name: "Summit Data Partners", Domain: "summitdata.example", Type: "technology"},
			{Name: "Harbor Creative", Domain: "harborcreative.example", Type: "delivery"},
			{Name: "Atlas Capital Group", Domain: "atlascapital.example", Type: "alliance"},
			{Name: "Beacon Software Resellers", Domain: "beaconsoft.example", Type: "channel"},
		},
		statuses: map[string]string{"Brightline Tax": "active", "Keystone Legal": "active", "Summit Data Partners": "onboarding",
			"Harbor Creative": "qualifying", "Atlas Capital Group": "paused"},
		users: []demoUser{
			{email: "admin@northwind.example", name: "Alex Admin", role: auth.RoleOwner},
			{email: "manager@northwind.example", name: "Morgan Manager", role: auth.RoleManager},
			{email: "finance@northwind.example", name: "Fran Finance", role: auth.RoleFinance},
			{email: "partner@brightline.example", name: "Pat Partner", role: auth.RolePartnerAdmin, partner: "Brightline Tax"},
		},
	},
	{
		slug: "contoso", name: "Contoso Legal",
		partners: []partner.Input{
			{Name: "Fabrikam Accounting", Domain: "fabrikam.example", Type: "referral"},
		},
		statuses: map[string]string{"Fabrikam Accounting": "active"},
		users: []demoUser{
			{email: "admin@contoso.example", name: "Casey Contoso", role: auth.RoleOwner},
		},
	},
}

// Demo seeds the demo firms unless they exist; it reports the logins either
// way. Safe to run again.
func Demo(ctx context.Context, d *db.DB, h *auth.Hasher, baseURL string) ([]Login, error) {
	hash, err := h.Hash(ctx, DemoPassword)
	if err != nil {
		return nil, err
	}
	var logins []Login
	for _, f := range firms {
		if err := seedFirm(ctx, d, f, hash); err != nil {
			return nil, fmt.Errorf("seed %s: %w", f.slug, err)
		}
		for _, u := range f.users {
			who := f.name + " — " + string(u.role)
			url := baseURL + "/t/" + f.slug
			if u.partner != "" {
				who = u.partner + " — partner portal of " + f.name
				url = baseURL + "/p/" + f.slug
			}
			logins = append(logins, Login{Who: who, Email: u.email, Password: DemoPassword, URL: url})
		}
	}
	return logins, nil
}

func seedFirm(ctx context.Context, d *db.DB, f demoFirm, hash string) error {
	var exists bool
	err := d.Global(ctx, func(tx pgx.Tx) error {
		_, err := tenant.BySlug(ctx, tx, f.slug)
		if apperr.Code(err) == apperr.ENotFound {
			return nil
		}
		exists = err == nil
		return err
	})
	if err != nil || exists {
		return err
	}
	id := uuid.New()
	return d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) error {
		if _, err := tenant.Create(ctx, tx, id, f.slug, f.name); err != nil {
			return err
		}
		if err := setup.Firm(ctx, tx, id); err != nil {
			return err
		}
		partners := map[string]uuid.UUID{}
		for _, in := range f.partners {
			p, err := partner.Create(ctx, tx, id, in)
			if err != nil {
				return err
			}
			partners[p.Name] = p.ID
			if st := f.statuses[p.Name]; st != "" {
				if err := partner.SetStatus(ctx, tx, id, p.ID, st); err != nil {
					return err
				}
			}
		}
		staff := map[string]uuid.UUID{}
		for _, du := range f.users {
			u, err := identity.UserByEmail(ctx, tx, du.email)
			if apperr.Code(err) == apperr.ENotFound {
				u, err = identity.CreateUser(ctx, tx, du.email, du.name, hash)
			}
			if err != nil {
				return err
			}
			if du.partner != "" {
				err = tenant.AddPortal(ctx, tx, id, u.ID, partners[du.partner], du.role)
			} else {
				err = tenant.AddStaff(ctx, tx, id, u.ID, du.role)
			}
			if err != nil {
				return err
			}
			staff[du.email] = u.ID
		}
		if f.slug != "northwind" {
			return nil
		}
		for _, seed := range []func(context.Context, pgx.Tx, uuid.UUID, map[string]uuid.UUID, map[string]uuid.UUID) error{
			seedPartnerNetwork, // partners.go
			seedAgreements,     // agreements.go: agreements of several models and versions
			seedEnablement,     // enablement.go: onboarding in progress, the content library
			seedReferrals,      // referrals.go: two years of referrals both ways
			seedRevenue,        // revenue.go: client payments, a credit note, their accruals
			seedPayouts,        // payouts.go: review, paid and open payout batches, tax details, statements
			seedInsights,       // insights.go: reviews, client and partner satisfaction, program inputs
			seedCampaigns,      // campaigns.go: joint webinars and content with partners, their leads
		} {
			if err := seed(ctx, tx, id, partners, staff); err != nil {
				return err
			}
		}
		return nil
	})
}
