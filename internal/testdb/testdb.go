// Package testdb gives each test its own migrated PostgreSQL database, using
// github.com/peterldowns/pgtestdb: the migrations run once per migrator
// hash into a template database, and each test gets a clone of it (tens of
// milliseconds). A passing test's database is dropped at the end of the test;
// a failing test's database is kept for inspection (its URL is in the test
// log).
//
// Server: if TEST_DATABASE_URL is set (a superuser URL, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), that server
// is used. Otherwise one private, throwaway cluster per test binary is
// started with pgcluster from the installed PostgreSQL binaries, in a folder
// under os.TempDir() that is removed at the end. Every package using testdb
// must therefore run its tests through Main:
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
//
// Usage:
//
//	db := testdb.New(t, migrator)
//	pool, err := pgxpool.New(ctx, db.AppURL) // as the application's role
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", used by pgtestdb
	"github.com/peterldowns/pgtestdb"

	"github.com/allyway/allyway/internal/pgcluster"
)

// EnvURL names the environment variable selecting an existing server.
const EnvURL = "TEST_DATABASE_URL"

// The application's restricted login role. The migrator creates it (see
// EnsureAppRoleSQL); testdb only builds DB.AppURL with these credentials.
const (
	AppRole     = "allyway_app"
	AppPassword = "allyway_app_test"
)

// EnsureAppRoleSQL creates AppRole with AppPassword, or resets the password
// of an existing one. Roles are server-wide and several test binaries may
// build templates at once on a shared server, so a concurrent CREATE ROLE
// (unique_violation) is tolerated as well as an existing role
// (duplicate_object). A migrator can run it before the migrations.
const EnsureAppRoleSQL = `DO $$
BEGIN
  CREATE ROLE ` + AppRole + ` LOGIN PASSWORD '` + AppPassword + `';
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  ALTER ROLE ` + AppRole + ` LOGIN PASSWORD '` + AppPassword + `';
END
$$`

// OwnerRole is the role that runs the migrations and owns the template and
// test databases and everything in them (pgtestdb's Config.TestRole).
//
// Choice: pgtestdb runs Migrate connected as TestRole, and the objects the
// migrations create are owned by it, so the owner of the schema is
// necessarily TestRole. pgtestdb's default TestRole (NOSUPERUSER NOCREATEDB
// NOCREATEROLE) could not create allyway_app, so OwnerRole is a dedicated
// SUPERUSER role. Superuser rather than just CREATEROLE because since
// PostgreSQL 16 a CREATEROLE role may only alter roles it has ADMIN on (an
// allyway_app created earlier by another role on a shared server would break
// the migrations), and because extensions that are not "trusted" need it. A
// dedicated role rather than the admin role of TEST_DATABASE_URL so the
// tables are owned by allyway_owner and not by "postgres", like in an
// installation where an owner role runs the migrations. Consequence for
// tests: OwnerURL bypasses row level security and all privilege checks; test
// restricted access through AppURL.
//
// Its password (see ownerPassword) is derived from the admin password of
// the server, so no superuser with a publicly known password is created on a
// password-protected shared server.
const OwnerRole = "allyway_owner"

const ownerCapabilities = "SUPERUSER"

// DB is one test's database.
type DB struct {
	// OwnerURL connects as OwnerRole, which owns the schema (and is a
	// superuser).
	OwnerURL string
	// AppURL connects to the same database as AppRole with AppPassword.
	AppURL string
	// Name is the database name.
	Name string
}

type server struct {
	adminURL string
	conf     pgtestdb.Config // admin connection, TestRole = OwnerRole
	cluster  *pgcluster.Cluster
	dir      string // temp folder of the private cluster, removed by Main
}

var (
	mainCalled atomic.Bool
	serverOnce sync.Once
	srv        *server
	srvErr     error
)

// Main runs the tests, then stops the private cluster (if one was started)
// and removes its files. It returns m.Run's exit code:
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
func Main(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	if srv != nil && srv.cluster != nil {
		if err := srv.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testdb: stopping the test cluster: %v\n", err)
		}
		_ = os.RemoveAll(srv.dir)
	}
	return code
}

// New returns a fresh database for the test, cloned from the template built
// by migrator (built once per migrator hash, as OwnerRole). The database is
// dropped when the test passes. The test fails (t.Fatal) if no server is
// available.
func New(t testing.TB, migrator pgtestdb.Migrator) DB {
	t.Helper()
	s := getServer(t)
	inst := pgtestdb.Custom(t, s.conf, migrator)
	app := *inst
	app.User, app.Password = url.User(AppRole).String(), AppPassword
	return DB{OwnerURL: inst.URL(), AppURL: app.URL(), Name: inst.Database}
}

// ServerURL returns the superuser URL of the test server (connected to its
// maintenance database), for tests that create databases themselves.
func ServerURL(t testing.TB) string {
	t.Helper()
	return getServer(t).adminURL
}

func getServer(t testing.TB) *server {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatalf("testdb: the tests of this package must run through testdb.Main, which stops the test database server at the end; " +
			"add to one of the package's _test.go files:\n\n\tfunc TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }")
	}
	var logs []string
	serverOnce.Do(func() {
		srv, srvErr = startServer(func(format string, args ...any) {
			logs = append(logs, fmt.Sprintf(format, args...))
		})
	})
	for _, l := range logs {
		t.Log(l)
	}
	if srvErr != nil {
		t.Fatalf("testdb: %v", srvErr)
	}
	return srv
}

func startServer(logf func(string, ...any)) (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()

	if raw := os.Getenv(EnvURL); raw != "" {
		s := &server{adminURL: raw}
		if err := s.configure(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		logf("testdb: using the server of %s", EnvURL)
		return s, nil
	}

	hint := fmt.Sprintf("For tests, you can also set %s to a superuser URL, e.g. %s=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", EnvURL, EnvURL)
	if _, err := pgcluster.FindBinaries(); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, hint)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	// Not created here: pgcluster creates it, so that (when we are root) it
	// is owned by and reachable for the server's OS user.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("allyway-testdb-%d-%s", os.Getpid(), hex.EncodeToString(rnd[:])))
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "data"), Ephemeral: true, Logf: logf})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting a private PostgreSQL cluster for the tests: %w\n%s", err, hint)
	}
	s := &server{adminURL: c.URL("postgres"), cluster: c, dir: dir}
	if err := s.configure(ctx); err != nil {
		_ = c.Stop()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	logf("testdb: private test cluster ready in %s", time.Since(begin).Round(time.Millisecond))
	return s, nil
}

// configure builds the pgtestdb config and makes sure OwnerRole exists with
// the expected capabilities and password (pgtestdb only creates a missing
// role, it never updates an existing one).
func (s *server) configure(ctx context.Context) error {
	u, err := url.Parse(s.adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("want a URL like postgres://user:password@host:5432/postgres?sslmode=disable")
	}
	user := u.User.Username()
	if user == "" {
		return errors.New("the URL names no user; give a superuser, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	}
	password, _ := u.User.Password()
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	dbname := strings.TrimPrefix(u.Path, "/")
	if dbname == "" {
		dbname = "postgres"
	}
	ownerPW := ownerPassword(password)
	// pgtestdb pastes these fields into a URL unescaped: escape them here.
	s.conf = pgtestdb.Config{
		DriverName: "pgx",
		Host:       host,
		Port:       port,
		User:       url.User(user).String(),
		Password:   strings.TrimPrefix(url.UserPassword("", password).String(), ":"),
		Database:   url.PathEscape(dbname),
		Options:    u.RawQuery,
		TestRole: &pgtestdb.Role{
			Username:     OwnerRole,
			Password:     ownerPW,
			Capabilities: ownerCapabilities,
		},
		// Drop a passing test's database even if the code under test left
		// connections open (e.g. a pool closed asynchronously).
		ForceTerminateConnections: true,
	}

	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	var super bool
	if err := conn.QueryRow(ctx, "select rolsuper from pg_roles where rolname = current_user").Scan(&super); err != nil {
		return err
	}
	if !super {
		return fmt.Errorf("user %q is not a superuser; the test server URL must connect as one (it creates roles and databases)", user)
	}
	// The same advisory lock as pgtestdb's own role creation, so concurrent
	// test binaries on a shared server do not race.
	lockID := int64(crc32.ChecksumIEEE([]byte("sessionlock-" + OwnerRole)))
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockID); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "select pg_advisory_unlock($1)", lockID) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "select exists (select from pg_roles where rolname = $1)", OwnerRole).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "create role "+OwnerRole); err != nil {
			return fmt.Errorf("create role %s: %w", OwnerRole, err)
		}
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("alter role %s with login %s password '%s'", OwnerRole, ownerCapabilities, ownerPW)); err != nil {
		return fmt.Errorf("alter role %s: %w", OwnerRole, err)
	}
	return nil
}

// ownerPassword derives OwnerRole's password from the admin password: stable
// for a server (so pgtestdb, which hashes the role into the template name,
// reuses templates across runs), and not guessable where the admin password
// is secret.
func ownerPassword(adminPassword string) string {
	sum := sha256.Sum256([]byte("allyway testdb owner\x00" + adminPassword))
	return "owner_" + hex.EncodeToString(sum[:12])
}
