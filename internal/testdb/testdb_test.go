package testdb

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/peterldowns/pgtestdb"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// itemsMigrator creates the app role and one table the app role may read.
type itemsMigrator struct{}

var migrations int // how many times Migrate ran in this process

func (itemsMigrator) Hash() (string, error) { return "testdb-items-v1", nil }

func (itemsMigrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	migrations++
	for _, q := range []string{
		EnsureAppRoleSQL,
		"create table items (id int primary key, name text not null)",
		"grant select on items to " + AppRole,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestTwoTestsGetTheirOwnDatabase(t *testing.T) {
	var mu sync.Mutex
	names := map[string]bool{}
	for _, sub := range []string{"a", "b"} {
		t.Run(sub, func(t *testing.T) {
			t.Parallel()
			begin := time.Now()
			db := New(t, itemsMigrator{})
			t.Logf("New took %s", time.Since(begin).Round(time.Millisecond))
			mu.Lock()
			names[db.Name] = true
			mu.Unlock()

			ctx := context.Background()
			owner := connect(t, db.OwnerURL)
			var user, tableOwner, dbName string
			if err := owner.QueryRow(ctx, "select current_user, tableowner, current_database() from pg_tables where tablename = 'items'").Scan(&user, &tableOwner, &dbName); err != nil {
				t.Fatal(err)
			}
			if user != OwnerRole || tableOwner != OwnerRole || dbName != db.Name {
				t.Errorf("owner connection: user %s, table owner %s, database %s; want %s, %s, %s", user, tableOwner, dbName, OwnerRole, OwnerRole, db.Name)
			}
			// Each test writes its row; it must be alone in its database.
			if _, err := owner.Exec(ctx, "insert into items values (1, $1)", sub); err != nil {
				t.Fatal(err)
			}

			app := connect(t, db.AppURL)
			var n int
			var name string
			if err := app.QueryRow(ctx, "select current_user, count(*), max(name) from items").Scan(&user, &n, &name); err != nil {
				t.Fatal(err)
			}
			if user != AppRole || n != 1 || name != sub {
				t.Errorf("app connection sees user %s, %d rows, name %q; want %s, 1, %q", user, n, name, AppRole, sub)
			}
			if _, err := app.Exec(ctx, "insert into items values (2, 'x')"); err == nil {
				t.Error("the app role could insert without a grant")
			}
		})
	}
	t.Cleanup(func() {
		if len(names) != 2 {
			t.Errorf("want 2 distinct databases, got %v", names)
		}
		if migrations > 1 {
			t.Errorf("migrator ran %d times, want at most once per process", migrations)
		}
	})
}

func TestServerURL(t *testing.T) {
	conn := connect(t, ServerURL(t))
	var super bool
	if err := conn.QueryRow(context.Background(), "select rolsuper from pg_roles where rolname = current_user").Scan(&super); err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Error("ServerURL does not connect as a superuser")
	}
}

// BenchmarkNew measures the cost of one test database (a template clone)
// once the server and template exist.
func BenchmarkNew(b *testing.B) {
	New(b, itemsMigrator{}) // server start and template build
	for b.Loop() {
		New(b, itemsMigrator{})
	}
}
