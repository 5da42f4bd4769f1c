package agreement_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

type fixture struct {
	t      *testing.T
	owner  *pgxpool.Pool
	db     *db.DB
	tenant uuid.UUID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	f := &fixture{t: t, owner: owner, db: db.New(app)}
	f.tenant = f.firm("alpha")
	return f
}

func (f *fixture) firm(slug string) uuid.UUID {
	id := uuid.New()
	_, err := f.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, id, slug, "Firm "+slug)
	require.NoError(f.t, err)
	return id
}

func (f *fixture) partner(tenantID uuid.UUID, name string) uuid.UUID {
	var id uuid.UUID
	f.in(tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO partners (tenant_id, name, type) VALUES ($1, $2, 'referral') RETURNING id`,
			tenantID, name).Scan(&id)
	})
	return id
}

func (f *fixture) in(tenantID uuid.UUID, fn func(tx pgx.Tx) error) {
	f.t.Helper()
	require.NoError(f.t, f.db.InTenant(context.Background(), tenantID, fn))
}

// try runs fn in a transaction and returns its error (the transaction rolls back on error).
func (f *fixture) try(fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx := context.Background()
	return f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error { return fn(ctx, tx) })
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func input(from string) agreement.Input {
	in := agreement.DefaultInput("referral", day(from))
	in.Rules = []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}
	in.Terms.ClientDisclosure = "Told in writing."
	return in
}

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// draftAndRecord makes a version and records it as signed.
func (f *fixture) draftAndRecord(partnerID uuid.UUID, in agreement.Input) agreement.Agreement {
	f.t.Helper()
	var a agreement.Agreement
	require.NoError(f.t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if a, err = agreement.CreateDraft(ctx, tx, f.tenant, partnerID, in, uuid.Nil); err != nil {
			return err
		}
		a, err = agreement.Record(ctx, tx, f.tenant, a.ID, uuid.Nil, "Pat Partner", now)
		return err
	}))
	return a
}

func (f *fixture) get(id uuid.UUID) agreement.Agreement {
	var a agreement.Agreement
	require.NoError(f.t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		a, err = agreement.Get(ctx, tx, f.tenant, id)
		return err
	}))
	return a
}

func (f *fixture) inForce(partnerID uuid.UUID, on string) int {
	var a *agreement.Agreement
	require.NoError(f.t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		a, err = agreement.InForce(ctx, tx, f.tenant, partnerID, day(on))
		return err
	}))
	if a == nil {
		return 0
	}
	return a.Version
}

func TestVersionsAndInForce(t *testing.T) {
	f := newFixture(t)
	p := f.partner(f.tenant, "Brightline")

	v1 := f.draftAndRecord(p, input("2026-01-01"))
	assert.Equal(t, 1, v1.Version)
	assert.Equal(t, agreement.StatusActive, v1.Status)
	assert.Equal(t, "recorded", v1.AcceptedVia)
	assert.Equal(t, "Pat Partner", v1.AcceptedName)

	// Change terms: version 2 may not start on or before version 1's start.
	err := f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.CreateDraft(ctx, tx, f.tenant, p, input("2026-01-01"), uuid.Nil)
		return err
	})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	assert.Contains(t, apperr.FieldErrors(err)["effective_from"], "Version 1 takes effect on 1 Jan 2026")

	in2 := input("2026-07-01")
	in2.PaymentNetDays = 45
	v2 := f.draftAndRecord(p, in2)
	assert.Equal(t, 2, v2.Version)
	old := f.get(v1.ID)
	assert.Equal(t, agreement.StatusSuperseded, old.Status)
	require.NotNil(t, old.EffectiveTo)
	assert.Equal(t, day("2026-06-30"), *old.EffectiveTo, "superseded the day before")

	assert.Equal(t, 0, f.inForce(p, "2025-12-31"), "before v1")
	assert.Equal(t, 1, f.inForce(p, "2026-01-01"))
	assert.Equal(t, 1, f.inForce(p, "2026-06-30"), "superseded, on its last day")
	assert.Equal(t, 2, f.inForce(p, "2026-07-01"), "the switch day")
	assert.Equal(t, 2, f.inForce(p, "2027-05-01"))

	// Terminate: in force up to and including the last day, then nothing.
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Terminate(ctx, tx, f.tenant, v2.ID, day("2026-10-31"), "Partner closed its tax practice.", now)
		return err
	}))
	assert.Equal(t, 2, f.inForce(p, "2026-10-31"))
	assert.Equal(t, 0, f.inForce(p, "2026-11-01"), "after termination")
	assert.Equal(t, 1, f.inForce(p, "2026-03-01"), "history stays")

	// A new agreement after a termination starts after its last day.
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.CreateDraft(ctx, tx, f.tenant, p, input("2026-10-31"), uuid.Nil)
		return err
	})
	assert.Contains(t, apperr.FieldErrors(err)["effective_from"], "was in force until 31 Oct 2026")
	v3 := f.draftAndRecord(p, input("2026-12-01"))
	assert.Equal(t, 3, v3.Version)
	assert.Equal(t, 0, f.inForce(p, "2026-11-15"), "a gap between agreements")

	var list []agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		list, err = agreement.ListForPartner(ctx, tx, f.tenant, p)
		return err
	}))
	require.Len(t, list, 3)
	assert.Equal(t, []int{3, 2, 1}, []int{list[0].Version, list[1].Version, list[2].Version})

	// Terms of a version that left draft are frozen in the database too.
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE agreements SET payment_net_days = 60 WHERE tenant_id = $1 AND id = $2`, f.tenant, v2.ID)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "frozen")
}

func TestSendAcceptOnce(t *testing.T) {
	f := newFixture(t)
	p := f.partner(f.tenant, "Brightline")
	v1 := f.draftAndRecord(p, input("2026-01-01"))

	var v2 agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if v2, err = agreement.CreateDraft(ctx, tx, f.tenant, p, input("2026-12-01"), uuid.Nil); err != nil {
			return err
		}
		// One pending version at a time.
		_, err2 := agreement.CreateDraft(ctx, tx, f.tenant, p, input("2027-01-01"), uuid.Nil)
		require.Equal(t, apperr.EConflict, apperr.Code(err2))
		v2, err = agreement.Send(ctx, tx, f.tenant, v2.ID, uuid.Nil, now)
		return err
	}))
	assert.Equal(t, agreement.StatusSent, v2.Status)

	// Frozen while sent: edit refused with a clear message.
	err := f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.UpdateDraft(ctx, tx, f.tenant, v2.ID, input("2026-12-01"))
		return err
	})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	assert.Contains(t, apperr.Message(err), "withdraw it")

	accept := func() error {
		return f.try(func(ctx context.Context, tx pgx.Tx) error {
			_, err := agreement.Accept(ctx, tx, f.tenant, v2.ID, uuid.Nil, "Robin Admin", "203.0.113.9", now)
			return err
		})
	}
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Accept(ctx, tx, f.tenant, v2.ID, uuid.Nil, "  ", "203.0.113.9", now)
		return err
	})
	assert.Equal(t, apperr.EInvalid, apperr.Code(err), "a name is required")

	require.NoError(t, accept())
	got := f.get(v2.ID)
	assert.Equal(t, agreement.StatusActive, got.Status)
	assert.Equal(t, "Robin Admin", got.AcceptedName)
	assert.Equal(t, "203.0.113.9", got.AcceptedIP)
	assert.Equal(t, "portal", got.AcceptedVia)
	assert.Equal(t, agreement.StatusSuperseded, f.get(v1.ID).Status)

	err = accept()
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	assert.Contains(t, apperr.Message(err), "already accepted")
	assert.Contains(t, apperr.Message(err), "Robin Admin")
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Decline(ctx, tx, f.tenant, v2.ID, uuid.Nil, "Too low", now)
		return err
	})
	assert.Equal(t, apperr.EConflict, apperr.Code(err), "an accepted version can't be declined")

	// Accepting a version that was superseded meanwhile.
	var v3, v4 agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if v3, err = agreement.CreateDraft(ctx, tx, f.tenant, p, input("2027-01-01"), uuid.Nil); err != nil {
			return err
		}
		v3, err = agreement.Send(ctx, tx, f.tenant, v3.ID, uuid.Nil, now)
		return err
	}))
	// Staff withdraw it: the partner's accept says why it can't.
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Withdraw(ctx, tx, f.tenant, v3.ID)
		return err
	}))
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Accept(ctx, tx, f.tenant, v3.ID, uuid.Nil, "Robin", "", now)
		return err
	})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	assert.Contains(t, apperr.Message(err), "withdrew")
	assert.Equal(t, agreement.StatusDraft, f.get(v3.ID).Status, "nothing written")

	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if _, err = agreement.Send(ctx, tx, f.tenant, v3.ID, uuid.Nil, now); err != nil {
			return err
		}
		if _, err = agreement.Accept(ctx, tx, f.tenant, v3.ID, uuid.Nil, "Robin", "", now); err != nil {
			return err
		}
		if v4, err = agreement.CreateDraft(ctx, tx, f.tenant, p, input("2027-02-01"), uuid.Nil); err != nil {
			return err
		}
		_, err = agreement.Record(ctx, tx, f.tenant, v4.ID, uuid.Nil, "Pat", now)
		return err
	}))
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Accept(ctx, tx, f.tenant, v3.ID, uuid.Nil, "Robin", "", now)
		return err
	})
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	assert.Contains(t, apperr.Message(err), "superseded")
}

func TestDeclineAndDelete(t *testing.T) {
	f := newFixture(t)
	p := f.partner(f.tenant, "Brightline")
	var a agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if a, err = agreement.CreateDraft(ctx, tx, f.tenant, p, input("2026-01-01"), uuid.Nil); err != nil {
			return err
		}
		a, err = agreement.Send(ctx, tx, f.tenant, a.ID, uuid.Nil, now)
		return err
	}))
	err := f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Decline(ctx, tx, f.tenant, a.ID, uuid.Nil, " ", now)
		return err
	})
	assert.Contains(t, apperr.FieldErrors(err), "reason")
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Decline(ctx, tx, f.tenant, a.ID, uuid.Nil, "The rate is too low for us.", now)
		return err
	}))
	got := f.get(a.ID)
	assert.Equal(t, agreement.StatusDeclined, got.Status)
	assert.Equal(t, "The rate is too low for us.", got.DeclinedReason)
	err = f.try(func(ctx context.Context, tx pgx.Tx) error { return agreement.DeleteDraft(ctx, tx, f.tenant, a.ID) })
	assert.Equal(t, apperr.EConflict, apperr.Code(err), "only drafts are deleted")

	// After a decline a new draft is version 2; deleting it leaves version 1.
	var d agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		d, err = agreement.CreateDraft(ctx, tx, f.tenant, p, input("2026-01-01"), uuid.Nil)
		return err
	}))
	assert.Equal(t, 2, d.Version)
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error { return agreement.DeleteDraft(ctx, tx, f.tenant, d.ID) }))
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Get(ctx, tx, f.tenant, d.ID)
		return err
	})
	assert.Equal(t, apperr.ENotFound, apperr.Code(err))
}

func TestPolicyRefusesSendAndRecord(t *testing.T) {
	f := newFixture(t)
	p := f.partner(f.tenant, "Brightline")
	in := input("2026-01-01")
	in.Terms.ClientDisclosure = ""
	in.Terms.Reciprocal = true
	in.Exclusivity, in.ExclusivityScope = "geography", []string{"Boston"}
	var a agreement.Agreement
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		if err = policy.SetProfession(ctx, tx, f.tenant, "law"); err != nil {
			return err
		}
		a, err = agreement.CreateDraft(ctx, tx, f.tenant, p, in, uuid.Nil)
		return err
	}))
	err := f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Send(ctx, tx, f.tenant, a.ID, uuid.Nil, now)
		return err
	})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	fe := apperr.FieldErrors(err)
	assert.Contains(t, fe, "exclusivity")
	assert.Contains(t, fe, "terms.client_disclosure")
	assert.Contains(t, fe, "terms.annual_review")
	assert.Contains(t, fe, "rules", "we pay a fee to a partner not known to be a lawyer")
	assert.Contains(t, apperr.Message(err), "law-firm policy")
	err = f.try(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Record(ctx, tx, f.tenant, a.ID, uuid.Nil, "Pat", now)
		return err
	})
	require.Equal(t, apperr.EInvalid, apperr.Code(err), "recording is refused too")
	assert.Equal(t, agreement.StatusDraft, f.get(a.ID).Status)

	// The counsel overrides every rule it breaks; then it can be sent.
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		for _, k := range []string{policy.LawNoExclusiveReciprocal, policy.LawClientDisclosure, policy.LawAnnualReview, policy.LawNoFeeToNonLawyer} {
			if err := policy.SetOverride(ctx, tx, f.tenant, k, "Counsel's opinion, 2026-03-01.", uuid.Nil); err != nil {
				return err
			}
		}
		err := policy.SetOverride(ctx, tx, f.tenant, policy.LawConflictsCheck, "  ", uuid.Nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "an override needs a reason")
		set, err := policy.Load(ctx, tx, f.tenant)
		require.NoError(t, err)
		assert.Equal(t, "law", set.Profession)
		assert.Len(t, set.Overrides, 4)
		assert.True(t, set.Active(policy.LawConflictsCheck))
		_, err = agreement.Send(ctx, tx, f.tenant, a.ID, uuid.Nil, now)
		return err
	}))
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		if err := policy.ClearOverride(ctx, tx, f.tenant, policy.LawClientDisclosure); err != nil {
			return err
		}
		err := policy.ClearOverride(ctx, tx, f.tenant, policy.LawClientDisclosure)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		// Activation checks again: the cleared rule refuses the accept.
		_, err = agreement.Accept(ctx, tx, f.tenant, a.ID, uuid.Nil, "Robin", "", now)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		assert.Contains(t, apperr.FieldErrors(err), "terms.client_disclosure")
		return nil
	}))
}

func TestConflictsAndExpiry(t *testing.T) {
	f := newFixture(t)
	acme := f.partner(f.tenant, "Acme Advisory")
	bolt := f.partner(f.tenant, "Bolt Legal")
	in := input("2026-01-01")
	in.Exclusivity, in.ExclusivityScope = "geography", []string{"Northeast"}
	in.Territories = []string{"Northeast", "Ohio"}
	in.TermMonths = 6
	a := f.draftAndRecord(acme, in)

	// Another firm's identical agreement never conflicts.
	other := f.firm("beta")
	var conflicts []agreement.Conflict
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) (err error) {
		draft := agreement.Agreement{PartnerID: bolt, Exclusivity: "none", Territories: []string{"OHIO", "Texas"}}
		conflicts, err = agreement.Conflicts(ctx, tx, f.tenant, draft)
		return err
	}))
	require.Len(t, conflicts, 1)
	assert.Equal(t, "Territories overlap Acme Advisory's active agreement (version 1): OHIO.", conflicts[0].Message())
	f.in(other, func(tx pgx.Tx) error {
		c, err := agreement.Conflicts(context.Background(), tx, other, agreement.Agreement{PartnerID: uuid.New(), Territories: []string{"Ohio"}})
		assert.Empty(t, c)
		return err
	})

	// Expiring within 30 days of 2026-06-15; then expired after its end.
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		exp, err := agreement.Expiring(ctx, tx, f.tenant, day("2026-06-15"), 30)
		require.NoError(t, err)
		require.Len(t, exp, 1)
		assert.Equal(t, a.ID, exp[0].ID)
		n, err := agreement.MarkExpired(ctx, tx, f.tenant, day("2026-06-30"))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "in force on its last day")
		n, err = agreement.MarkExpired(ctx, tx, f.tenant, day("2026-07-01"))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		expired, err := agreement.HasExpired(ctx, tx, f.tenant, acme, day("2026-07-01"))
		require.NoError(t, err)
		assert.True(t, expired)
		return nil
	}))
	assert.Equal(t, agreement.StatusExpired, f.get(a.ID).Status)

	// Auto-renewal extends the term instead.
	in = input("2026-01-01")
	in.TermMonths, in.AutoRenew, in.RenewalMonths = 12, true, 12
	b := f.draftAndRecord(bolt, in)
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		n, err := agreement.MarkExpired(ctx, tx, f.tenant, day("2027-01-05"))
		assert.Equal(t, 0, n)
		return err
	}))
	got := f.get(b.ID)
	assert.Equal(t, agreement.StatusActive, got.Status)
	assert.Equal(t, day("2027-12-31"), *got.EffectiveTo)
}

func TestTemplatesAndSetUp(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.try(func(ctx context.Context, tx pgx.Tx) error {
		require.NoError(t, agreement.SetUpFirm(ctx, tx, f.tenant))
		require.NoError(t, agreement.SetUpFirm(ctx, tx, f.tenant), "idempotent")
		ts, err := agreement.ListTemplates(ctx, tx, f.tenant)
		require.NoError(t, err)
		require.Len(t, ts, 5)
		assert.Equal(t, "referral", ts[0].Model)
		assert.Equal(t, []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}, ts[0].Rules)
		assert.Equal(t, 30, ts[0].PaymentNetDays)
		assert.Equal(t, commission.CoDeliverySplit, ts[1].Rules[0].Kind)
		assert.Equal(t, commission.ReciprocityOnly, ts[2].Rules[0].Kind)

		pick, err := agreement.TemplateFor(ctx, tx, f.tenant, "alliance", nil)
		require.NoError(t, err)
		require.NotNil(t, pick)
		in := pick.Input(day("2026-02-01"))
		assert.Equal(t, day("2027-01-31"), *in.End())
		require.NoError(t, in.Validate())

		_, err = agreement.CreateTemplate(ctx, tx, f.tenant, agreement.TemplateInput{Name: "referral partner — STANDARD terms",
			Model: "referral", PaymentNetDays: 30})
		assert.Contains(t, apperr.FieldErrors(err), "name", "names are unique, case-insensitively")
		bad := uuid.New()
		_, err = agreement.CreateTemplate(ctx, tx, f.tenant, agreement.TemplateInput{Name: "Gold referral", Model: "referral", TierID: &bad})
		assert.Contains(t, apperr.FieldErrors(err), "tier_id")
		return nil
	}))
}
