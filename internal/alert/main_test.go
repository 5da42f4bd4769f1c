package alert_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// The store tests run against a real PostgreSQL (see internal/testdb):
// data is arranged as the schema owner, the code under test runs as the
// application role.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type world struct {
	t     *testing.T
	owner *pgxpool.Pool
	app   *pgxpool.Pool
	db    *db.DB
	out   *notify.Outbox
}

var seq atomic.Int64

func newWorld(t *testing.T) *world {
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
	return &world{t: t, owner: owner, app: app, db: db.New(app), out: notify.NewOutbox(client)}
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.t, err, sql)
}

func (w *world) id(sql string, args ...any) uuid.UUID {
	w.t.Helper()
	var id uuid.UUID
	require.NoError(w.t, w.owner.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

// firm is a tenant with settings (time zone zone).
type firm struct {
	w    *world
	id   uuid.UUID
	slug string
	name string
}

func (w *world) firm(name, zone string) *firm {
	n := seq.Add(1)
	f := &firm{w: w, id: uuid.New(), slug: fmt.Sprintf("firm-%d", n), name: name}
	w.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, f.id, f.slug, name)
	w.exec(`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, $2)`, f.id, zone)
	return f
}

func (f *firm) staff(email, name, role string) uuid.UUID {
	id := f.w.id(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, email, name)
	f.w.exec(`INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, f.id, id, role)
	return id
}

// partner adds a partner in status, in it since `since`.
func (f *firm) partner(name, status, since string) uuid.UUID {
	return f.w.id(`INSERT INTO partners (tenant_id, name, status, status_changed_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		f.id, name, status, at(since))
}

// referral adds a referral submitted at `on`, closed the same day when
// status is won, lost or declined. It returns its id.
func (f *firm) referral(partnerID uuid.UUID, direction, status, on string) uuid.UUID {
	f.w.t.Helper()
	prospect := f.w.id(`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Pat') RETURNING id`,
		f.id, partnerID)
	var closed *time.Time
	var reason *string
	switch status {
	case "won", "lost", "declined":
		t := at(on)
		closed = &t
		if status != "won" {
			r := "fit"
			reason = &r
		}
	}
	return f.w.id(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, status_changed_at, closed_at, close_reason)
		VALUES ($1, $2, $3, $4, 'Acme', 'acme', $5, $6, $6, $7, $8) RETURNING id`,
		f.id, direction, partnerID, prospect, status, at(on), closed, reason)
}

// referrals adds n referrals a day apart from `from`.
func (f *firm) referrals(n int, partnerID uuid.UUID, direction, status, from string) {
	for i := range n {
		f.referral(partnerID, direction, status, day(from).AddDate(0, 0, i).Format(time.DateOnly))
	}
}

func (f *firm) scan(now time.Time) alert.Result {
	f.w.t.Helper()
	var r alert.Result
	require.NoError(f.w.t, f.w.db.InTenant(context.Background(), f.id, func(tx pgx.Tx) (err error) {
		r, err = alert.Scan(context.Background(), tx, f.id, now)
		return err
	}))
	return r
}

// open returns the firm's open alerts as the app role, by kind.
func (f *firm) open() map[string][]alert.Alert {
	f.w.t.Helper()
	out := map[string][]alert.Alert{}
	require.NoError(f.w.t, f.w.db.InTenant(context.Background(), f.id, func(tx pgx.Tx) error {
		no := false
		as, err := alert.List(context.Background(), tx, f.id, alert.Filter{Resolved: &no}, alert.PagePos{}, 1000)
		for _, a := range as {
			out[a.Kind] = append(out[a.Kind], a)
		}
		return err
	}))
	return out
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// at is noon UTC of a day.
func at(s string) time.Time { return day(s).Add(12 * time.Hour) }

// now is the scans' clock: Friday 27 Nov 2026, 06:00 UTC.
var now = day("2026-11-27").Add(6 * time.Hour)
