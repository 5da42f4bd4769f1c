package campaign_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func TestCampaignReach(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r       campaign.Reach
		net     int64
		formula string
	}{
		{campaign.Reach{Ours: 12000, Partners: []int64{8000}, OverlapBP: 2500}, 15000, "(12,000 + 8,000) × (100% − 25%) = 15,000"},
		{campaign.Reach{Ours: 1000, OverlapBP: 0}, 1000, "1,000 × (100% − 0%) = 1,000"},
		// Rounded down to whole people: 3333 × 0.875 = 2916.375.
		{campaign.Reach{Ours: 1111, Partners: []int64{1111, 1111}, OverlapBP: 1250}, 2916, "(1,111 + 1,111 + 1,111) × (100% − 12.5%) = 2,916"},
		{campaign.Reach{Ours: 500, Partners: []int64{500}, OverlapBP: 10000}, 0, "(500 + 500) × (100% − 100%) = 0"},
		{campaign.Reach{Ours: 100_000_000, Partners: []int64{100_000_000}, OverlapBP: 1}, 199_980_000, "(100,000,000 + 100,000,000) × (100% − 0.01%) = 199,980,000"},
	} {
		require.Equal(t, c.net, c.r.Net())
		require.Equal(t, c.formula, c.r.Formula())
	}
}

func TestCampaignParsePercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"25": 2500, "12.5": 1250, "7,25 %": 725, "": 0, "100": 10000, "0.01": 1, ".5": 50} {
		got, ok := campaign.ParsePercentBP(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"101", "-1", "abc", "1.234", "5.", "100.01"} {
		_, ok := campaign.ParsePercentBP(in)
		require.False(t, ok, in)
	}
	for bp, want := range map[int64]string{2500: "25", 1250: "12.5", 725: "7.25", 1: "0.01", 0: "0", 10000: "100"} {
		require.Equal(t, want, campaign.PercentText(bp))
	}
}

func TestCampaignParseAttendees(t *testing.T) {
	t.Parallel()
	// A BOM, semicolons, a quoted newline in the notes, first/last names,
	// an ignored column, a bad email, a duplicate and an existing lead.
	data := "\ufeffFirst Name;Last Name;E-mail;Organisation;Job title;Opted in;Questions;Minutes watched\n" +
		"Ada;Lovelace;ADA@analytical.example;Analytical Ltd;CFO;yes;\"Two questions:\nfirst, second\";54\n" +
		"Bob;;not-an-email;;;maybe;;3\n" +
		";;;;;;;\n" +
		"Cy;Young;ada@analytical.example;;;;;1\n" +
		"Dee;Old;dee@old.example;;;no;;2\n"
	plan, err := campaign.ParseAttendees([]byte(data), map[string]bool{"dee@old.example": true})
	require.NoError(t, err)
	require.Equal(t, []string{"Minutes watched"}, plan.Ignored)
	require.Len(t, plan.Rows, 4)
	ada := plan.Rows[0]
	require.Empty(t, ada.Errors)
	require.Equal(t, "Ada Lovelace", ada.Lead.Name)
	require.Equal(t, "ada@analytical.example", ada.Lead.Email)
	require.Equal(t, "Analytical Ltd", ada.Lead.Company)
	require.Equal(t, "Two questions:\nfirst, second", ada.Lead.Notes)
	require.True(t, *ada.Lead.Consent)
	bob := plan.Rows[1]
	require.Equal(t, 4, bob.Line)
	require.Len(t, bob.Errors, 2) // email, consent
	cy := plan.Rows[2]
	require.Equal(t, 6, cy.Line)
	require.Contains(t, strings.Join(cy.Errors, " "), "the same email as line 2")
	require.True(t, plan.Rows[3].Existing)
	require.Equal(t, 1, plan.New())
	require.Equal(t, 2, plan.ErrorRows())
	require.Equal(t, 1, plan.ExistingRows())
	again, err := campaign.ParseAttendees([]byte(data), map[string]bool{"dee@old.example": true})
	require.NoError(t, err)
	require.Equal(t, plan.Hash(), again.Hash(), "the same file gives the same plan")

	// Whole-file problems.
	for data, want := range map[string]string{
		"\xff\xfen\x00a\x00":                "UTF-16",
		"name,email\n\"Ada,ada@x.example\n": "quoted cell is not closed",
		"email,company\nada@x.example,X\n":  "no name column",
		"name\n":                            "no attendees",
		"":                                  "empty",
	} {
		_, err := campaign.ParseAttendees([]byte(data), nil)
		var ie *campaign.ImportError
		require.ErrorAs(t, err, &ie, data)
		require.Contains(t, ie.Error(), want)
	}
	_, err = campaign.ParseAttendees([]byte("name\n"+strings.Repeat("x\n", campaign.ImportMaxBytes/2)), nil)
	require.ErrorContains(t, err, "over "+campaign.ImportMaxSize)
	_, err = campaign.ParseAttendees([]byte("name\n"+strings.Repeat("x\n", campaign.ImportMaxRows+1)), nil)
	require.ErrorContains(t, err, "more than 5000")
}

// fixture: a firm with two partners, as the app role sees it.
type fixture struct {
	t          *testing.T
	owner, app *pgxpool.Pool
	db         *db.DB
	tenant     uuid.UUID
	p1, p2     uuid.UUID
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	f := &fixture{t: t, owner: owner, app: app, db: db.New(app), tenant: uuid.New()}
	_, err = owner.Exec(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, 'northwind', 'Northwind Advisory')`, f.tenant)
	require.NoError(t, err)
	for _, p := range []*uuid.UUID{&f.p1, &f.p2} {
		require.NoError(t, owner.QueryRow(ctx, `INSERT INTO partners (tenant_id, name, type) VALUES ($1, $2, 'referral') RETURNING id`,
			f.tenant, "Partner "+uuid.NewString()[:4]).Scan(p))
	}
	return f
}

func (f *fixture) staff(fn func(tx pgx.Tx) error) error {
	return f.db.InTenant(context.Background(), f.tenant, fn)
}

func (f *fixture) portal(p uuid.UUID, fn func(tx pgx.Tx) error) error {
	return f.db.InPortal(context.Background(), f.tenant, p, fn)
}

// TestCampaignLeadsAcrossFirms: staff create a campaign with one partner;
// that partner's portal sees it and all its leads, takes one over and
// updates it, can't touch another's lead; the other partner sees nothing;
// validation keeps bad input out; conversion links a referral.
func TestCampaignLeadsAcrossFirms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in := campaign.Input{Name: "Year-end tax webinar", Kind: "webinar", StartsOn: "2026-03-10", EndsOn: "2026-03-10",
		OurAudience: "12,000", OverlapPct: "25", Partners: []campaign.PartnerInput{{PartnerID: f.p1.String(), Audience: "8000"}},
		Responsibilities: []campaign.ResponsibilityInput{{Task: "logistics", Owner: "us"},
			{Task: "promotion", Owner: "partner:" + f.p1.String(), Note: "Two mailings"}}}

	// Bad input: every field at once, nothing written.
	err := f.staff(func(tx pgx.Tx) error {
		_, err := campaign.Create(ctx, tx, f.tenant, campaign.Input{Name: " ", Kind: "party", StartsOn: "soon", EndsOn: "2020-01-01",
			OurAudience: "lots", OverlapPct: "120", Partners: []campaign.PartnerInput{{PartnerID: uuid.NewString()}},
			Responsibilities: []campaign.ResponsibilityInput{{Task: "cooking", Owner: "partner:" + f.p2.String()}}}, uuid.Nil)
		return err
	})
	fe := apperr.FieldErrors(err)
	for _, k := range []string{"name", "kind", "starts_on", "our_audience", "overlap", "partner_0", "resp_task_0", "resp_owner_0"} {
		require.NotEmpty(t, fe[k], k)
	}

	var c campaign.Campaign
	require.NoError(t, f.staff(func(tx pgx.Tx) (err error) {
		c, err = campaign.Create(ctx, tx, f.tenant, in, uuid.Nil)
		return err
	}))
	require.Equal(t, int64(15000), c.Reach().Net())
	require.Len(t, c.Responsibilities, 2)
	require.Equal(t, f.p1, *c.Responsibilities[1].PartnerID)

	var ours, theirs campaign.Lead
	require.NoError(t, f.staff(func(tx pgx.Tx) (err error) {
		if ours, err = campaign.AddLead(ctx, tx, f.tenant, c, campaign.LeadInput{Name: "Ada", Email: "Ada@x.example"}, campaign.Actor{}); err != nil {
			return err
		}
		theirs, err = campaign.AddLead(ctx, tx, f.tenant, c, campaign.LeadInput{Name: "Bo", Owner: f.p1.String()}, campaign.Actor{})
		return err
	}))
	require.Equal(t, "ada@x.example", ours.Email)
	require.True(t, ours.OwnedByUs())
	// The same email twice, an owner outside the campaign.
	err = f.staff(func(tx pgx.Tx) error {
		_, err := campaign.AddLead(ctx, tx, f.tenant, c, campaign.LeadInput{Name: "Ada 2", Email: "ada@x.example", Owner: f.p2.String()}, campaign.Actor{})
		return err
	})
	require.Contains(t, apperr.FieldErrors(err), "email")
	require.Contains(t, apperr.FieldErrors(err), "owner")

	// The partner in the campaign sees it and every lead.
	require.NoError(t, f.portal(f.p1, func(tx pgx.Tx) error {
		cs, err := campaign.List(ctx, tx, f.tenant, campaign.Filter{})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		ls, err := campaign.ListLeads(ctx, tx, f.tenant, c.ID, campaign.LeadFilter{})
		require.NoError(t, err)
		require.Len(t, ls, 2)
		return nil
	}))
	// The other partner sees nothing of it.
	require.NoError(t, f.portal(f.p2, func(tx pgx.Tx) error {
		cs, err := campaign.List(ctx, tx, f.tenant, campaign.Filter{})
		require.NoError(t, err)
		require.Empty(t, cs)
		_, err = campaign.Get(ctx, tx, f.tenant, c.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		ls, err := campaign.ListLeads(ctx, tx, f.tenant, c.ID, campaign.LeadFilter{})
		require.NoError(t, err)
		require.Empty(t, ls)
		return nil
	}))

	p1 := campaign.Actor{PartnerID: f.p1}
	status := "contacted"
	// A partner can't update our lead without taking it over, nor give it away.
	err = f.portal(f.p1, func(tx pgx.Tx) error {
		_, err := campaign.UpdateLead(ctx, tx, f.tenant, c, ours.ID, campaign.LeadUpdate{Status: &status}, p1)
		return err
	})
	require.Equal(t, apperr.EForbidden, apperr.Code(err))
	us := "us"
	err = f.portal(f.p1, func(tx pgx.Tx) error {
		_, err := campaign.UpdateLead(ctx, tx, f.tenant, c, theirs.ID, campaign.LeadUpdate{Owner: &us}, p1)
		return err
	})
	require.Contains(t, apperr.FieldErrors(err), "owner")
	// Take it over and follow it up.
	me := f.p1.String()
	require.NoError(t, f.portal(f.p1, func(tx pgx.Tx) error {
		l, err := campaign.UpdateLead(ctx, tx, f.tenant, c, ours.ID, campaign.LeadUpdate{Owner: &me, Status: &status}, p1)
		require.NoError(t, err)
		require.Equal(t, f.p1, *l.OwnerPartnerID)
		require.Equal(t, "contacted", l.Status)
		// Adding a lead from the portal: always the partner's own.
		nl, err := campaign.AddLead(ctx, tx, f.tenant, c, campaign.LeadInput{Name: "Cy", Owner: "us"}, p1)
		require.NoError(t, err)
		require.Equal(t, f.p1, *nl.OwnerPartnerID)
		require.Equal(t, campaign.SourcePortal, nl.Source)
		return nil
	}))
	// RLS too: a portal transaction can't write a lead it doesn't own, nor a campaign.
	err = f.portal(f.p2, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO campaign_leads (tenant_id, campaign_id, name) VALUES ($1, $2, 'X')`, f.tenant, c.ID)
		return err
	})
	require.Error(t, err)
	err = f.portal(f.p1, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE campaigns SET name = 'Hijacked' WHERE tenant_id = $1`, f.tenant)
		return err
	})
	require.ErrorContains(t, err, "row-level security")
	require.NoError(t, f.portal(f.p1, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM campaign_leads WHERE tenant_id = $1`, f.tenant)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected())
		return nil
	}))

	// A partner owning leads can't be taken off the campaign.
	err = f.staff(func(tx pgx.Tx) error {
		in2 := in
		in2.Partners = []campaign.PartnerInput{{PartnerID: f.p2.String(), Audience: "10"}}
		in2.Responsibilities = nil
		_, err := campaign.Update(ctx, tx, f.tenant, c.ID, in2)
		return err
	})
	require.Contains(t, apperr.FieldErrors(err)["partners"], "owns leads")

	// Conversion links a referral and counts in the funnel.
	var refID uuid.UUID
	require.NoError(t, f.owner.QueryRow(ctx, `WITH pr AS (INSERT INTO referral_prospects (tenant_id, partner_id, contact_name)
			VALUES ($1, $2, 'Ada') RETURNING id)
		INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, status, closed_at)
		SELECT $1, 'inbound', $2, id, 'X', 'x', 'won', now() FROM pr RETURNING id`, f.tenant, f.p1).Scan(&refID))
	require.NoError(t, f.staff(func(tx pgx.Tx) error {
		return campaign.MarkConverted(ctx, tx, f.tenant, c.ID, theirs.ID, refID)
	}))
	err = f.staff(func(tx pgx.Tx) error { return campaign.MarkConverted(ctx, tx, f.tenant, c.ID, theirs.ID, refID) })
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.NoError(t, f.staff(func(tx pgx.Tx) error {
		fn, err := campaign.FunnelOf(ctx, tx, f.tenant, c.ID)
		require.NoError(t, err)
		require.Equal(t, campaign.Funnel{Leads: 3, Qualified: 1, Referrals: 1, Won: 1}, fn)
		return nil
	}))
}
