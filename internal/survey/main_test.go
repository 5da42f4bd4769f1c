package survey_test

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
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/survey"
	"github.com/allyway/allyway/internal/testdb"
)

// The survey tests run against a real PostgreSQL, as the application role.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

const baseURL = "https://allyway.test"

// fixture is a migrated database; data is arranged with the owner pool
// (bypassing RLS) and the code under test runs as the app role.
type fixture struct {
	t     testing.TB
	owner *pgxpool.Pool
	db    *db.DB
	out   *notify.Outbox
}

var seq atomic.Int64

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	client, err := jobs.NewClient(jobs.Deps{Pool: app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	return &fixture{t: t, owner: owner, db: db.New(app), out: notify.NewOutbox(client)}
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	_, err := f.owner.Exec(context.Background(), sql, args...)
	require.NoError(f.t, err, sql)
}

func (f *fixture) id(sql string, args ...any) uuid.UUID {
	f.t.Helper()
	var id uuid.UUID
	require.NoError(f.t, f.owner.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

// firm creates a tenant in the time zone.
func (f *fixture) firm(name, tz string) survey.Firm {
	f.t.Helper()
	fm := survey.Firm{ID: uuid.New(), Slug: fmt.Sprintf("firm-%d", seq.Add(1)), Name: name}
	f.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, fm.ID, fm.Slug, fm.Name)
	f.exec(`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, $2)`, fm.ID, tz)
	return fm
}

func (f *fixture) partner(tenantID uuid.UUID, name string) uuid.UUID {
	return f.id(`INSERT INTO partners (tenant_id, name, status) VALUES ($1, $2, 'active') RETURNING id`, tenantID, name)
}

// ref is a referral to arrange.
type ref struct {
	direction string // default inbound
	status    string // default won
	email     string // the client's email; "" for none
	name      string // the client contact's name
	erased    bool
}

// referral adds a referral of the partner.
func (f *fixture) referral(tenantID, partnerID uuid.UUID, company string, r ref) uuid.UUID {
	f.t.Helper()
	if r.direction == "" {
		r.direction = "inbound"
	}
	if r.status == "" {
		r.status = "won"
	}
	prospect := f.id(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name, contact_email, erased_at)
		VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING id`, tenantID, partnerID, r.name, r.email, r.erased)
	closed := r.status == "won" || r.status == "lost"
	return f.id(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, closed_at, close_reason)
		VALUES ($1, $2, $3, $4, $5, lower($5), $6, CASE WHEN $7 THEN now() END, CASE WHEN $6 = 'lost' THEN 'other' END)
		RETURNING id`, tenantID, r.direction, partnerID, prospect, company, r.status, closed)
}

// engagement adds an engagement of the referral that started on the day.
func (f *fixture) engagement(tenantID, referralID uuid.UUID, name string, started time.Time) uuid.UUID {
	return f.id(`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on)
		SELECT $1, $2, partner_id, 'project', $3, 1000000, $4 FROM referrals WHERE tenant_id = $1 AND id = $2 RETURNING id`,
		tenantID, referralID, name, started)
}

// send runs the daily job for every firm at now.
func (f *fixture) send(now time.Time) survey.SendRun {
	f.t.Helper()
	run, err := survey.RunSendDue(context.Background(), f.db, f.out, now, baseURL)
	require.NoError(f.t, err)
	return run
}

func (f *fixture) emails() []notify.OutboxMessage {
	f.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), f.owner, 500)
	require.NoError(f.t, err)
	return msgs
}

// tokenIn is the token of the survey link in an email's text.
func tokenIn(t testing.TB, text, slug string) string {
	t.Helper()
	prefix := baseURL + "/s/" + slug + "/"
	i := strings.Index(text, prefix)
	require.GreaterOrEqual(t, i, 0, "no survey link in:\n%s", text)
	rest := text[i+len(prefix):]
	return strings.Fields(rest)[0]
}

// inTenant runs fn in the firm's scope as the app role.
func (f *fixture) inTenant(tenantID uuid.UUID, fn func(tx pgx.Tx) error) error {
	return f.db.InTenant(context.Background(), tenantID, fn)
}

// day is a calendar day at UTC midnight.
func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
