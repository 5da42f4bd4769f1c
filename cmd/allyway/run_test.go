package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// safeBuffer is written by the server goroutine and read by the test.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freshDatabase creates an empty database on the test server and returns its URL.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testdb.ServerURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	name := fmt.Sprintf("allyway_cmd_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), testdb.ServerURL(t))
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(testdb.ServerURL(t))
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func envFunc(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func waitReady(t *testing.T, base string, out *safeBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server at %s never became ready; output:\n%s", base, out.String())
}

// TestCommands drives the binary's commands the way an operator would:
// migrate, create a firm and a token, serve, and shut down on cancel.
func TestCommands(t *testing.T) {
	t.Parallel()
	dbURL := freshDatabase(t)
	addr := freeAddr(t)
	env := envFunc(map[string]string{"DATABASE_URL": dbURL, "ADDR": addr, "ALLYWAY_NO_DOTENV": "1", "LOG_LEVEL": "warn"})
	ctx := context.Background()
	var out, errOut bytes.Buffer

	require.NoError(t, run(ctx, []string{"allyway", "migrate", "up"}, env, &out, &errOut))
	require.Contains(t, out.String(), "migrations applied")
	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "migrate", "status"}, env, &out, &errOut))
	require.Contains(t, out.String(), "applied")

	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "tenant", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "Owner@Acme.test", "--password", "correct horse battery staple"}, env, &out, &errOut))
	require.Contains(t, out.String(), "firm Acme created")
	err := run(ctx, []string{"allyway", "tenant", "create", "--slug", "acme", "--name", "Acme again", "--owner-email", "owner@acme.test"}, env, &out, &errOut)
	require.ErrorContains(t, err, "taken")

	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "token", "create", "--tenant", "acme", "--name", "CRM", "--role", "viewer"}, env, &out, &errOut))
	token := strings.TrimSpace(out.String())
	require.True(t, strings.HasPrefix(token, "aw_"), token)
	require.ErrorContains(t, run(ctx, []string{"allyway", "token", "create", "--tenant", "nope", "--name", "x"}, env, &out, &errOut), "not found")
	require.ErrorContains(t, run(ctx, []string{"allyway", "token", "create", "--tenant", "acme", "--name", "x", "--role", "owner"}, env, &out, &errOut), "role")

	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "user", "disable", "--email", "owner@acme.test"}, env, &out, &errOut))
	require.Contains(t, out.String(), "disabled")
	require.NoError(t, run(ctx, []string{"allyway", "user", "enable", "--email", "owner@acme.test"}, env, &out, &errOut))
	require.ErrorContains(t, run(ctx, []string{"allyway", "user", "disable", "--email", "nobody@acme.test"}, env, &out, &errOut), "not found")

	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	var serveOut safeBuffer
	go func() { done <- run(sctx, []string{"allyway", "serve"}, env, &serveOut, &serveOut) }()
	base := "http://" + addr
	waitReady(t, base, &serveOut)

	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"slug":"acme"`)

	stop()
	select {
	case err := <-done:
		require.NoError(t, err, "graceful shutdown")
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeRefusesWithoutDatabase: no DATABASE_URL → a message naming the ways out.
func TestServeRefusesWithoutDatabase(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"allyway", "serve"}, envFunc(map[string]string{"ALLYWAY_NO_DOTENV": "1"}), &out, &out)
	require.ErrorContains(t, err, "DATABASE_URL is not set")
	require.ErrorContains(t, err, "make run")
	require.ErrorContains(t, run(context.Background(), []string{"allyway", "bogus"}, envFunc(nil), &out, &out), "unknown command")
}

// TestDevWithItsOwnPostgres is `make run` on a fresh machine: no
// DATABASE_URL, so dev starts a private cluster under DATA_DIR, migrates,
// seeds the demo, prints the logins and serves; the demo admin can sign in;
// Ctrl-C stops the server and the cluster.
func TestDevWithItsOwnPostgres(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	env := envFunc(map[string]string{"ADDR": addr, "DATA_DIR": t.TempDir(), "ALLYWAY_NO_DOTENV": "1", "LOG_LEVEL": "warn"})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out safeBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"allyway", "dev"}, env, &out, &out) }()
	base := "http://" + addr
	waitReady(t, base, &out)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Demo logins") }, 10*time.Second, 50*time.Millisecond)
	require.Contains(t, out.String(), "admin@northwind.example")
	require.Contains(t, out.String(), "partner@brightline.example")

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/login", url.Values{"email": {"admin@northwind.example"}, "password": {seed.DemoPassword}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/t/northwind", resp.Header.Get("Location"))

	stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not stop")
	}
	require.Contains(t, out.String(), "PostgreSQL stopped.")
}
