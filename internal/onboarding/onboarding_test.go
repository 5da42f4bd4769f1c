package onboarding_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

type fixture struct {
	owner *pgxpool.Pool
	db    *db.DB
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return fixture{owner: owner, db: db.New(app)}
}

func (f fixture) firm(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	_, err := f.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, id, slug, "Firm "+slug)
	require.NoError(t, err)
	return id
}

func (f fixture) partner(t *testing.T, tenantID uuid.UUID, name, status string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, f.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO partners (tenant_id, name, type, status)
			VALUES ($1, $2, 'referral', $3) RETURNING id`, tenantID, name, status).Scan(&id)
	}))
	return id
}

func (f fixture) activeAgreement(t *testing.T, tenantID, partnerID uuid.UUID) {
	t.Helper()
	require.NoError(t, f.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO agreements (tenant_id, partner_id, version, status, model,
			effective_from, accepted_at, accepted_via) VALUES ($1, $2, 1, 'active', 'referral', '2026-11-01', now(), 'recorded')`,
			tenantID, partnerID)
		return err
	}))
}

func (f fixture) in(t *testing.T, tenantID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, f.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func status(t *testing.T, f fixture, tenantID, partnerID uuid.UUID) string {
	t.Helper()
	var s string
	f.in(t, tenantID, func(ctx context.Context, tx pgx.Tx) error {
		p, err := partner.Get(ctx, tx, tenantID, partnerID)
		s = p.Status
		return err
	})
	return s
}

func TestSetUpFirmIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "setup")
	for range 3 {
		f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error { return onboarding.SetUpFirm(ctx, tx, firm) })
	}
	var steps []onboarding.Step
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		steps, err = onboarding.Template(ctx, tx, firm)
		return err
	})
	require.Len(t, steps, 7)
	want := []string{"Kickoff call", "Share ideal client profile and triggers", "Share collateral", "Introduce the team",
		"Set up the referral process", "First referral made", "Announce to clients"}
	for i, s := range steps {
		require.Equal(t, want[i], s.Title)
		require.True(t, s.Active)
	}
	// A firm that deactivated every step is not given the defaults again.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		for _, s := range steps {
			if _, err := onboarding.UpdateTemplateStep(ctx, tx, firm, s.ID, onboarding.StepInput{Title: s.Title, Position: s.Position}); err != nil {
				return err
			}
		}
		return onboarding.SetUpFirm(ctx, tx, firm)
	})
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		steps, err = onboarding.Template(ctx, tx, firm)
		return err
	})
	require.Len(t, steps, 7)
	for _, s := range steps {
		require.False(t, s.Active)
	}
}

func TestStartIdempotentAndTemplateChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm, other := f.firm(t, "start"), f.firm(t, "other")
	p := f.partner(t, firm, "Acme", "onboarding")
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		n, err := onboarding.Start(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Equal(t, 7, n, "the defaults are made on first start")
		n, err = onboarding.Start(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Zero(t, n, "starting again adds nothing")

		// A deactivated step is not copied to new partners; a new step is
		// added to a started checklist only by starting again.
		tpl, err := onboarding.Template(ctx, tx, firm)
		require.NoError(t, err)
		_, err = onboarding.UpdateTemplateStep(ctx, tx, firm, tpl[6].ID, onboarding.StepInput{Title: tpl[6].Title, Position: tpl[6].Position})
		require.NoError(t, err)
		_, err = onboarding.AddTemplateStep(ctx, tx, firm, onboarding.StepInput{Title: "Joint webinar"})
		require.NoError(t, err)
		missing, err := onboarding.MissingSteps(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Equal(t, 1, missing)
		n, err = onboarding.Start(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		items, err := onboarding.Checklist(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Len(t, items, 8)
		require.Equal(t, "Joint webinar", items[7].Title)

		q := f.partner(t, firm, "Beta", "onboarding")
		n, err = onboarding.Start(ctx, tx, firm, q)
		require.NoError(t, err)
		require.Equal(t, 7, n, "six defaults still active plus the new step")
		return nil
	})
	// Another firm's partner is not found, and nothing is written.
	f.in(t, other, func(ctx context.Context, tx pgx.Tx) error {
		_, err := onboarding.Start(ctx, tx, other, p)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = onboarding.MaybeActivate(ctx, tx, other, p, uuid.Nil)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		return nil
	})
}

func TestTemplateStepValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    onboarding.StepInput
		field string
	}{
		{onboarding.StepInput{Title: "  "}, "title"},
		{onboarding.StepInput{Title: string(make([]rune, 201))}, "title"},
		{onboarding.StepInput{Title: "ok", Position: -1}, "position"},
		{onboarding.StepInput{Title: "ok", Position: 1001}, "position"},
	} {
		err := tc.in.Validate()
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "%+v", tc.in)
		require.Contains(t, apperr.FieldErrors(err), tc.field)
	}
	in := onboarding.StepInput{Title: "  Kickoff  ", Description: " x "}
	require.NoError(t, in.Validate())
	require.Equal(t, "Kickoff", in.Title)
	require.Equal(t, "x", in.Description)
}

// TestMaybeActivate: not without an agreement, not with steps left, yes when
// both, and only from onboarding.
func TestMaybeActivate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "activate")
	var staff uuid.UUID
	require.NoError(t, f.owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ('a@x.example', 'Ann Staff') RETURNING id`).Scan(&staff))
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

	completeAll := func(p uuid.UUID, skip int) {
		f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
			items, err := onboarding.Checklist(ctx, tx, firm, p)
			require.NoError(t, err)
			for _, it := range items[skip:] {
				_, err := onboarding.Complete(ctx, tx, firm, p, it.ID, staff, onboarding.ItemInput{Note: "done"}, now)
				require.NoError(t, err)
			}
			return nil
		})
	}
	activate := func(p uuid.UUID) bool {
		var moved bool
		f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
			moved, err = onboarding.MaybeActivate(ctx, tx, firm, p, staff)
			return err
		})
		return moved
	}
	start := func(p uuid.UUID) {
		f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error { _, err := onboarding.Start(ctx, tx, firm, p); return err })
	}

	// No checklist at all: never active, even with an agreement.
	empty := f.partner(t, firm, "Empty", "onboarding")
	f.activeAgreement(t, firm, empty)
	require.False(t, activate(empty))
	require.Equal(t, "onboarding", status(t, f, firm, empty))

	// Every step done, no agreement: stays onboarding.
	noAgreement := f.partner(t, firm, "No agreement", "onboarding")
	start(noAgreement)
	completeAll(noAgreement, 0)
	require.False(t, activate(noAgreement))
	require.Equal(t, "onboarding", status(t, f, firm, noAgreement))
	// A draft or sent agreement is not enough either.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, sent_at)
			VALUES ($1, $2, 1, 'sent', 'referral', '2026-11-01', now())`, firm, noAgreement)
		return err
	})
	require.False(t, activate(noAgreement))
	r := readiness(t, f, firm, noAgreement)
	require.True(t, r.ChecklistComplete())
	require.False(t, r.ActiveAgreement)

	// Agreement, one step left: stays onboarding.
	stepsLeft := f.partner(t, firm, "Steps left", "onboarding")
	f.activeAgreement(t, firm, stepsLeft)
	start(stepsLeft)
	completeAll(stepsLeft, 1)
	require.False(t, activate(stepsLeft))
	require.Equal(t, "onboarding", status(t, f, firm, stepsLeft))
	r = readiness(t, f, firm, stepsLeft)
	require.Equal(t, 1, r.StepsLeft())
	require.True(t, r.ActiveAgreement)

	// Both: active, with the history reason and actor; only once.
	completeAll(stepsLeft, 0)
	require.True(t, activate(stepsLeft))
	require.Equal(t, "active", status(t, f, firm, stepsLeft))
	require.False(t, activate(stepsLeft), "already active")
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		h, err := partner.History(ctx, tx, firm, stepsLeft)
		require.NoError(t, err)
		require.Equal(t, "onboarding", h[0].From)
		require.Equal(t, "active", h[0].To)
		require.Equal(t, onboarding.ActivationReason, h[0].Reason)
		require.Equal(t, "Ann Staff", h[0].ActorName)
		return nil
	})

	// A partner not in onboarding (e.g. qualifying or paused) is never moved.
	for _, st := range []string{"qualifying", "paused"} {
		p := f.partner(t, firm, "Status "+st, st)
		f.activeAgreement(t, firm, p)
		start(p)
		completeAll(p, 0)
		require.False(t, activate(p))
		require.Equal(t, st, status(t, f, firm, p))
	}
}

func readiness(t *testing.T, f fixture, firm, p uuid.UUID) onboarding.Readiness {
	t.Helper()
	var r onboarding.Readiness
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		r, err = onboarding.LoadReadiness(ctx, tx, firm, p)
		return err
	})
	return r
}

func TestCompleteReopenCustomSteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "steps")
	var staff, other uuid.UUID
	require.NoError(t, f.owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ('b@x.example', 'Bo') RETURNING id`).Scan(&staff))
	require.NoError(t, f.owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ('c@x.example', 'Cy') RETURNING id`).Scan(&other))
	p := f.partner(t, firm, "Acme", "onboarding")
	q := f.partner(t, firm, "Beta", "onboarding")
	t1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := onboarding.Start(ctx, tx, firm, p)
		require.NoError(t, err)
		items, err := onboarding.Checklist(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Equal(t, onboarding.Progress{Done: 0, Total: 7}, onboarding.ProgressOf(items))

		it, err := onboarding.Complete(ctx, tx, firm, p, items[0].ID, staff, onboarding.ItemInput{Note: " Went well ", DueOn: &due}, t1)
		require.NoError(t, err)
		require.True(t, it.Done())
		require.Equal(t, "Went well", it.Note)
		require.Equal(t, "Bo", it.DoneByName)
		require.True(t, it.DoneAt.Equal(t1))
		// Ticking again keeps who and when.
		it, err = onboarding.Complete(ctx, tx, firm, p, items[0].ID, other, onboarding.ItemInput{Note: "Went well"}, t1.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, "Bo", it.DoneByName)
		require.True(t, it.DoneAt.Equal(t1))

		it, err = onboarding.Reopen(ctx, tx, firm, p, items[0].ID, onboarding.ItemInput{Note: "Needs a second call"})
		require.NoError(t, err)
		require.False(t, it.Done())
		require.Nil(t, it.DoneBy)
		require.Equal(t, "Needs a second call", it.Note)

		// An item of another partner is not found through this partner.
		_, err = onboarding.Complete(ctx, tx, firm, q, items[1].ID, staff, onboarding.ItemInput{}, t1)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))

		// Custom steps go at the end and can be removed; template steps can't.
		c, err := onboarding.AddStep(ctx, tx, firm, p, onboarding.ItemInput{Title: "Visit their office", DueOn: &due})
		require.NoError(t, err)
		require.Nil(t, c.StepID)
		items, err = onboarding.Checklist(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Len(t, items, 8)
		require.Equal(t, c.ID, items[7].ID)
		require.True(t, items[7].Overdue(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)))
		require.False(t, items[7].Overdue(time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)))
		_, err = onboarding.RemoveStep(ctx, tx, firm, p, items[0].ID)
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		_, err = onboarding.RemoveStep(ctx, tx, firm, p, c.ID)
		require.NoError(t, err)

		_, err = onboarding.AddStep(ctx, tx, firm, p, onboarding.ItemInput{Title: " "})
		require.Contains(t, apperr.FieldErrors(err), "title")
		bad := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
		_, err = onboarding.Update(ctx, tx, firm, p, items[1].ID, onboarding.ItemInput{DueOn: &bad})
		require.Contains(t, apperr.FieldErrors(err), "due_on")
		return nil
	})
}

func TestProgress(t *testing.T) {
	t.Parallel()
	require.Equal(t, 0, onboarding.Progress{}.Percent())
	require.Equal(t, 57, onboarding.Progress{Done: 4, Total: 7}.Percent())
	require.Equal(t, 3, onboarding.Progress{Done: 4, Total: 7}.Left())
	r := onboarding.Readiness{Status: "onboarding", Total: 0, Done: 0, ActiveAgreement: true}
	require.False(t, r.Ready(), "an empty checklist is not complete")
	r.Total, r.Done = 2, 2
	require.True(t, r.Ready())
	r.Status = "active"
	require.False(t, r.Ready())
}

func TestReadinessNeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    onboarding.Readiness
		want string
	}{
		{onboarding.Readiness{Status: "onboarding", Total: 7, Done: 4},
			"To become active, this partner needs 3 more steps done and an agreement the partner has accepted (none yet)."},
		{onboarding.Readiness{Status: "onboarding", Total: 7, Done: 6, PendingAgreement: "sent"},
			"To become active, this partner needs 1 more step done and the partner to accept the agreement sent to them."},
		{onboarding.Readiness{Status: "onboarding", Total: 7, Done: 7, PendingAgreement: "draft"},
			"To become active, this partner needs the draft agreement sent and accepted."},
		{onboarding.Readiness{Status: "onboarding", Total: 0, ActiveAgreement: true},
			"To become active, this partner needs an onboarding checklist (start it below)."},
		{onboarding.Readiness{Status: "onboarding", Total: 7, Done: 7, ActiveAgreement: true}, ""},
		{onboarding.Readiness{Status: "active", Total: 7, Done: 2}, ""},
		{onboarding.Readiness{Status: "qualifying"}, ""},
	} {
		require.Equal(t, tc.want, tc.r.Needs(), "%+v", tc.r)
	}
}

func TestMaybeActivateAudits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "audit")
	p := f.partner(t, firm, "Audited", "onboarding")
	f.activeAgreement(t, firm, p)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := onboarding.Start(ctx, tx, firm, p); err != nil {
			return err
		}
		items, err := onboarding.Checklist(ctx, tx, firm, p)
		require.NoError(t, err)
		for _, it := range items {
			_, err := onboarding.Complete(ctx, tx, firm, p, it.ID, uuid.Nil, onboarding.ItemInput{}, now)
			require.NoError(t, err)
		}
		moved, err := onboarding.MaybeActivate(ctx, tx, firm, p, uuid.Nil)
		require.NoError(t, err)
		require.True(t, moved)
		// A second call finds it active already: no second move, no second entry.
		moved, err = onboarding.MaybeActivate(ctx, tx, firm, p, uuid.Nil)
		require.NoError(t, err)
		require.False(t, moved)
		return nil
	})
	var n int
	require.NoError(t, f.owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE tenant_id = $1
		AND action = 'partner.status_changed' AND target_id = $2 AND detail->>'to' = 'active'`, firm, p.String()).Scan(&n))
	require.Equal(t, 1, n)
}
