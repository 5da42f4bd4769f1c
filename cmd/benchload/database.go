package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/pgcluster"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
)

// server is the PostgreSQL server the data sets live on: a private cluster
// under DATA/pg (kept between runs, so a data set is seeded once), or the
// server of -db.
type server struct {
	adminURL string // a superuser on the maintenance database
	cluster  *pgcluster.Cluster
	describe string
}

func startServer(ctx context.Context, o options, stdout io.Writer) (*server, error) {
	if o.dbURL != "" {
		s := &server{adminURL: o.dbURL}
		return s, s.describeVersion(ctx, "the server of BENCH_DATABASE_URL")
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{
		DataDir: filepath.Join(o.dataDir, "pg"),
		Logf:    func(f string, a ...any) { fmt.Fprintf(stdout, f+"\n", a...) },
	})
	if err != nil {
		return nil, fmt.Errorf("start the bench's PostgreSQL under %s: %w", o.dataDir, err)
	}
	s := &server{adminURL: c.URL("postgres"), cluster: c}
	if err := s.describeVersion(ctx, "private cluster "+c.DataDir()); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return s, nil
}

func (s *server) describeVersion(ctx context.Context, where string) error {
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var version, ssl, fsync, sync, buffers string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('ssl'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('shared_buffers')`).Scan(&version, &ssl, &fsync, &sync, &buffers); err != nil {
		return err
	}
	s.describe = fmt.Sprintf("PostgreSQL %s, %s (ssl %s, fsync %s, synchronous_commit %s, shared_buffers %s)",
		version, where, ssl, fsync, sync, buffers)
	return nil
}

func (s *server) stop() {
	if s.cluster != nil {
		_ = s.cluster.Stop()
	}
}

// postmasterPID is the cluster's server process (0 for an outside server):
// its processes' CPU time is PostgreSQL's share of a request.
func (s *server) postmasterPID() int {
	if s.cluster == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(s.cluster.DataDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// dataSet is one size of the scale data set, ready to serve.
type dataSet struct {
	Referrals int    `json:"referrals"`
	Database  string `json:"database"`
	ownerURL  string
	appURL    string
	Largest   seed.ScaleFirm `json:"largest"`
	Seeded    bool           `json:"seeded_now"`
	SeedTime  string         `json:"seed_time"`
	Written   seed.ScaleCounts
	// RolledUp firms had their rollups rebuilt by this run, in RollupTime.
	RolledUp   int    `json:"rolled_up_firms"`
	RollupTime string `json:"rollup_time,omitempty"`
}

// dataSet makes sure the data set of n referrals exists: its database,
// migrated, seeded (or found seeded: seed.Scale checks the size).
func (s *server) dataSet(ctx context.Context, o options, n int, stdout io.Writer) (dataSet, error) {
	name := fmt.Sprintf("allyway_scale_f%d_p%d_r%d_y%d", o.firms, o.partners, n, o.years)
	ds := dataSet{Referrals: n, Database: name}
	var err error
	if ds.ownerURL, err = withDatabase(s.adminURL, name); err != nil {
		return ds, err
	}
	if err := ensureDatabase(ctx, s.adminURL, name); err != nil {
		return ds, err
	}
	owner, err := db.Connect(ctx, ds.ownerURL, 4)
	if err != nil {
		return ds, err
	}
	defer owner.Close()
	role := db.RoleSetup{Password: db.AppRolePassword(ds.ownerURL), ResetPassword: true}
	ds.appURL, err = db.AppURL(ds.ownerURL, role.Password)
	if o.appDBURL != "" {
		// A shared server: its app role is someone else's; only create it if missing.
		role = db.RoleSetup{Password: db.PasswordOf(o.appDBURL)}
		ds.appURL, err = withDatabase(o.appDBURL, name)
	}
	if err != nil {
		return ds, err
	}
	if err := schema.Up(ctx, owner, role); err != nil {
		return ds, fmt.Errorf("migrate %s: %w", name, err)
	}
	app, err := db.Connect(ctx, ds.appURL, 8)
	if err != nil {
		return ds, err
	}
	defer app.Close()
	start := time.Now()
	fmt.Fprintf(stdout, "\n== Data set: %d firms × %d partners, %d referrals over %d years (database %s)\n",
		o.firms, o.partners, n, o.years, name)
	res, err := seed.Scale(ctx, db.New(app), auth.NewHasher(1), seed.ScaleOptions{Firms: o.firms, Partners: o.partners,
		Referrals: n, Years: o.years, Owner: owner,
		Logf: func(f string, a ...any) {
			fmt.Fprintf(stdout, "%7.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(f, a...))
		}})
	if err != nil {
		return ds, err
	}
	ds.Largest, ds.Seeded, ds.SeedTime, ds.Written = res.Largest(), res.Seeded > 0, res.Elapsed.Round(time.Second).String(), res.Written
	if ds.RolledUp = res.RolledUp; ds.RolledUp > 0 {
		ds.RollupTime = res.RollupTime.Round(100 * time.Millisecond).String()
	}
	if ds.Seeded {
		w := res.Written
		fmt.Fprintf(stdout, "seeded in %s: %d partners, %d referrals, %d events, %d SLA breaches, %d engagements, "+
			"%d payments, %d refunds, %d ledger entries, %d payouts\n", ds.SeedTime, w.Partners, w.Referrals, w.Events,
			w.Breaches, w.Engagements, w.Payments, w.Refunds, w.Entries, w.Payouts)
	} else {
		fmt.Fprintf(stdout, "already seeded: reused (checked in %s)\n", res.Elapsed.Round(time.Millisecond))
	}
	if ds.RolledUp > 0 {
		fmt.Fprintf(stdout, "rollups rebuilt for %d firms in %s\n", ds.RolledUp, ds.RollupTime)
	}
	return ds, nil
}

// withDatabase returns u connecting to database name instead.
func withDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", fmt.Errorf("want a postgres:// URL, got %q", u)
	}
	p.Path = "/" + name
	return p.String(), nil
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// busiestPartner is the largest firm's partner with the most referrals:
// the partner page measured.
func busiestPartner(ctx context.Context, ds dataSet) (string, int, error) {
	pool, err := pgxpool.New(ctx, ds.appURL)
	if err != nil {
		return "", 0, err
	}
	defer pool.Close()
	var id string
	var n int
	err = db.New(pool).InTenant(ctx, ds.Largest.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT partner_id::text, count(*) FROM referrals WHERE tenant_id = $1
			GROUP BY partner_id ORDER BY count(*) DESC, partner_id LIMIT 1`, ds.Largest.ID).Scan(&id, &n)
	})
	return id, n, err
}
