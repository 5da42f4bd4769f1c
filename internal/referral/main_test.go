package referral_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// The domain tests run against a real PostgreSQL, as the application role.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

const baseURL = "https://allyway.test"

// fixture is a migrated database with one firm, as the app role sees it.
type fixture struct {
	t      testing.TB
	owner  *pgxpool.Pool // superuser, bypasses RLS: for setup and checks
	app    *pgxpool.Pool
	db     *db.DB
	outbox *notify.Outbox
	tenant uuid.UUID
	slug   string
	admin  uuid.UUID // a staff admin
	now    atomic.Pointer[time.Time]
}

var slugSeq atomic.Int64

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	cfg, err := pgxpool.ParseConfig(tdb.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 20
	app, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	inserter, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	f := &fixture{t: t, owner: owner, app: app, db: db.New(app), outbox: notify.NewOutbox(inserter)}
	f.tenant = f.firm("northwind")
	f.admin = f.staffUser(f.tenant, "admin@northwind.example", "Ada Admin", "admin")
	return f
}

// firm creates a tenant with the referral defaults.
func (f *fixture) firm(slug string) uuid.UUID {
	f.t.Helper()
	id := uuid.New()
	slug = fmt.Sprintf("%s-%d", slug, slugSeq.Add(1))
	f.slug = slug
	_, err := f.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, 'Northwind Advisory')`, id, slug)
	require.NoError(f.t, err)
	require.NoError(f.t, f.db.InTenant(context.Background(), id, func(tx pgx.Tx) error {
		return referral.SetUpFirm(context.Background(), tx, id)
	}))
	return id
}

func (f *fixture) user(email, name string) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	require.NoError(f.t, f.owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`,
		email, name).Scan(&id))
	return id
}

func (f *fixture) staffUser(tenant uuid.UUID, email, name, role string) uuid.UUID {
	f.t.Helper()
	id := f.user(email, name)
	_, err := f.owner.Exec(context.Background(), `INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, tenant, id, role)
	require.NoError(f.t, err)
	return id
}

func (f *fixture) portalUser(partnerID uuid.UUID, email, name string) uuid.UUID {
	f.t.Helper()
	id := f.user(email, name)
	_, err := f.owner.Exec(context.Background(), `INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role)
		VALUES ($1, $2, $3, 'partner_admin')`, f.tenant, id, partnerID)
	require.NoError(f.t, err)
	return id
}

// partner adds a partner with a status.
func (f *fixture) partner(name, status string) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	require.NoError(f.t, f.owner.QueryRow(context.Background(), `INSERT INTO partners (tenant_id, name, status)
		VALUES ($1, $2, $3) RETURNING id`, f.tenant, name, status).Scan(&id))
	return id
}

// setNow fixes the notifier's clock.
func (f *fixture) setNow(t time.Time) { f.now.Store(&t) }

func (f *fixture) notifier() referral.Notifier {
	return referral.Notifier{Outbox: f.outbox, BaseURL: baseURL, Now: func() time.Time {
		if p := f.now.Load(); p != nil {
			return *p
		}
		return time.Now()
	}}
}

// questions answers every active checklist question yes.
func (f *fixture) allYes() map[uuid.UUID]bool {
	f.t.Helper()
	var qs []referral.Question
	require.NoError(f.t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		qs, err = referral.Questions(context.Background(), tx, f.tenant, true)
		return err
	}))
	out := map[uuid.UUID]bool{}
	for _, q := range qs {
		out[q.ID] = true
	}
	return out
}

// input is a valid portal submission for partnerID.
func (f *fixture) input(partnerID, by uuid.UUID, company string) referral.SubmitInput {
	return referral.SubmitInput{PartnerID: partnerID, ClientCompany: company,
		ContactName: "Jane Doe", ContactEmail: "jane@" + strings.ToLower(strings.ReplaceAll(company, " ", "")) + ".example",
		Challenge: "They need to migrate their ERP before year end.", EstimatedValue: "25,000", Answers: f.allYes(),
		Source: "portal", SubmittedBy: by, IdempotencyKey: uuid.NewString()}
}

func (f *fixture) submit(in referral.SubmitInput) (referral.Referral, bool, error) {
	var r referral.Referral
	var created bool
	err := f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		r, created, err = referral.Submit(context.Background(), tx, f.notifier(), f.tenant, in)
		return err
	})
	return r, created, err
}

func (f *fixture) mustSubmit(in referral.SubmitInput) referral.Referral {
	f.t.Helper()
	r, created, err := f.submit(in)
	require.NoError(f.t, err)
	require.True(f.t, created)
	return r
}

func (f *fixture) transition(id uuid.UUID, in referral.TransitionInput) (referral.Referral, error) {
	var r referral.Referral
	if in.ActorKind == "" {
		in.ActorKind, in.ActorUserID = "staff", f.admin
	}
	err := f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		r, err = referral.Transition(context.Background(), tx, f.notifier(), f.tenant, id, in)
		return err
	})
	return r, err
}

func (f *fixture) get(id uuid.UUID) referral.Referral {
	f.t.Helper()
	var r referral.Referral
	require.NoError(f.t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		r, err = referral.Get(context.Background(), tx, f.tenant, id)
		return err
	}))
	return r
}

func (f *fixture) timeline(id uuid.UUID) []referral.Event {
	f.t.Helper()
	var es []referral.Event
	require.NoError(f.t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		es, err = referral.Timeline(context.Background(), tx, f.tenant, id)
		return err
	}))
	return es
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// emails returns the outbox rows whose subject contains s.
func (f *fixture) emails(s string) []notify.OutboxMessage {
	f.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), f.owner, 1000)
	require.NoError(f.t, err)
	var out []notify.OutboxMessage
	for _, m := range msgs {
		if strings.Contains(m.Subject, s) {
			out = append(out, m)
		}
	}
	return out
}

func kinds(es []referral.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}
