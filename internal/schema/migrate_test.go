package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// TestMigrationsUpDownUp applies every migration, rolls all of them back to
// an empty schema, and applies them again.
func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testdb.ServerURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	name := fmt.Sprintf("allyway_updown_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	serverURL := testdb.ServerURL(t)
	t.Cleanup(func() {
		// admin is closed by now: drop over a fresh connection.
		c, err := pgx.Connect(context.Background(), serverURL)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u := strings.Replace(testdb.ServerURL(t), "/postgres?", "/"+name+"?", 1)
	require.Contains(t, u, name, "server URL must name the postgres database")
	pool, err := pgxpool.New(ctx, u)
	require.NoError(t, err)
	defer pool.Close()

	tables := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&n))
		return n
	}
	require.NoError(t, schema.Up(ctx, pool, db.RoleSetup{Password: testdb.AppPassword, ResetPassword: true}))
	up := tables()
	require.Greater(t, up, 10)
	require.NoError(t, schema.Down(ctx, pool))
	require.Zero(t, tables(), "down leaves no tables behind")
	require.NoError(t, schema.Up(ctx, pool, db.RoleSetup{Password: testdb.AppPassword, ResetPassword: true}))
	require.Equal(t, up, tables())
	var current bool
	current, err = schema.Current(ctx, pool)
	require.NoError(t, err)
	require.True(t, current)
}
