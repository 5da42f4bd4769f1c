// Package e2e drives the real application in a real browser: Chromium,
// through the DevTools protocol (github.com/chromedp/chromedp), against the
// real server on a fresh, migrated PostgreSQL database of its own.
//
// Run: go test -run Browser ./e2e/...
//
// The browser is found in $CHROMIUM, /usr/bin/chromium or "chromium" on the
// PATH. Without one the tests skip, except in CI (CI set), where they fail:
// there the browser must be installed. On failure a screenshot and the
// page's HTML go to $E2E_ARTIFACTS (or a new folder under the system's
// temporary folder); the test log names the files.
package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/config"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/server"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// app is the real server on a fresh, migrated database, serving over a
// real listener. No workers run and no SMTP is configured: emails stay in
// email_outbox, where the test reads them.
type app struct {
	// URL is the server's base URL (also its BASE_URL, so links in emails
	// point at it).
	URL string
	// Owner connects as the schema owner (a superuser in tests), for
	// inspecting what the browser did.
	Owner *pgxpool.Pool
	// DB is the app role's, for arranging data as the app would (the demo seed).
	DB *db.DB
}

// startApp mirrors internal/server's test harness (newHarness).
func startApp(t *testing.T) *app {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	pool, err := db.Connect(ctx, tdb.AppURL, 0)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	river, err := jobs.NewClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)

	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	cfg, err := config.Load(func(k string) string {
		if k == "BASE_URL" {
			return ts.URL
		}
		return ""
	})
	require.NoError(t, err)
	ts.Config.Handler = server.New(server.Deps{
		Config:  cfg,
		DB:      db.New(pool),
		Logger:  testLogger(),
		Hasher:  auth.NewHasher(4),
		Outbox:  notify.NewOutbox(river),
		DevMail: true,
	})
	return &app{URL: ts.URL, Owner: owner, DB: db.New(pool)}
}

// testLogger discards the server's logs unless TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// chromiumPath finds the browser: $CHROMIUM, /usr/bin/chromium, or
// chromium on the PATH. Without one the test skips locally and fails in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "" {
		t.Skip("no Chromium: set CHROMIUM or install it (apt-get install chromium); in CI this test fails instead")
	}
	t.Fatal("no Chromium in CI: set CHROMIUM or install it (apt-get install chromium)")
	return ""
}
