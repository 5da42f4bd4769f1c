package db_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// A connection from Connect sends and reads google/uuid values, bare, as
// pointers (nil is NULL) and in arrays, with the bytes they hold.
func TestConnectUUIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	pool, err := db.Connect(ctx, tdb.AppURL, 2)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	a, b := uuid.New(), uuid.MustParse("00000000-0000-0000-0000-0000000000ff")
	var text string
	var back uuid.UUID
	var none, some *uuid.UUID
	var list []uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid::text, $1::uuid, NULL::uuid, $2::uuid, $3::uuid[]`,
		a, &b, []uuid.UUID{a, b}).Scan(&text, &back, &none, &some, &list))
	require.Equal(t, a.String(), text)
	require.Equal(t, a, back)
	require.Nil(t, none)
	require.Equal(t, b, *some)
	require.Equal(t, []uuid.UUID{a, b}, list)

	var isNull bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT $1::uuid IS NULL`, (*uuid.UUID)(nil)).Scan(&isNull))
	require.True(t, isNull)
	// Text-format results (a simple-protocol query) still scan.
	rows, err := pool.Query(ctx, `SELECT '`+a.String()+`'::uuid`)
	require.NoError(t, err)
	require.True(t, rows.Next())
	require.NoError(t, rows.Scan(&back))
	rows.Close()
	require.Equal(t, a, back)
}
