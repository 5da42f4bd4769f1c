package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/backup"
	"github.com/allyway/allyway/internal/testdb"
)

// TestBackupAndRestoreCommands: `allyway backup` of a firm's database and
// `allyway restore` of it into another, empty database; the restored
// database serves the old API token at once. A restore into a database
// that is not empty is refused.
func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testdb.ServerURL(t))
	require.NoError(t, err)
	var versionNum int
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&versionNum))
	conn.Close(ctx)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := backup.FindTool(tool, versionNum/10000); errors.Is(err, backup.ErrNoTool) {
			t.Skipf("no backup command test: %v", err)
		}
	}

	src := freshDatabase(t)
	env := envFunc(map[string]string{"DATABASE_URL": src, "ALLYWAY_NO_DOTENV": "1", "LOG_LEVEL": "warn"})
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"allyway", "migrate", "up"}, env, &out, &errOut))
	require.NoError(t, run(ctx, []string{"allyway", "tenant", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "owner@acme.test", "--password", "correct horse battery staple"}, env, &out, &errOut))
	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "token", "create", "--tenant", "acme", "--name", "CRM", "--role", "viewer"}, env, &out, &errOut))
	token := strings.TrimSpace(out.String())

	file := filepath.Join(t.TempDir(), "acme.dump")
	out.Reset()
	require.ErrorContains(t, run(ctx, []string{"allyway", "backup"}, env, &out, &errOut), "usage")
	require.NoError(t, run(ctx, []string{"allyway", "backup", "--out", file}, env, &out, &errOut))
	require.Contains(t, out.String(), "backup written to "+file)
	_, err = os.Stat(file)
	require.NoError(t, err)

	// Into a database that already holds the schema: refused.
	require.ErrorContains(t, run(ctx, []string{"allyway", "restore", "--in", file}, env, &out, &errOut), "empty database")

	dst := freshDatabase(t)
	addr := freeAddr(t)
	denv := envFunc(map[string]string{"DATABASE_URL": dst, "ADDR": addr, "ALLYWAY_NO_DOTENV": "1", "LOG_LEVEL": "warn"})
	out.Reset()
	require.NoError(t, run(ctx, []string{"allyway", "restore", "--in", file}, denv, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "restored")
	require.NotContains(t, out.String(), "pending")

	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	var serveOut safeBuffer
	go func() { done <- run(sctx, []string{"allyway", "serve"}, denv, &serveOut, &serveOut) }()
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
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
