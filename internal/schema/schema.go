// Package schema applies Allyway's database schema: River's job tables (by
// River's own migrator) and our goose migrations, in that order, after making
// sure the application role exists. It runs as the owner; the app never does.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/migrations"
)

func provider(owner *pgxpool.Pool) (*goose.Provider, *sql.DB, error) {
	sqlDB := stdlib.OpenDBFromPool(owner)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("schema: %w", err)
	}
	return p, sqlDB, nil
}

// Up makes sure the application role exists (see db.EnsureAppRole), applies
// River's migrations, grants the app role its share of River's tables, then
// applies every pending goose migration.
func Up(ctx context.Context, owner *pgxpool.Pool, role db.RoleSetup) error {
	if err := db.EnsureAppRole(ctx, owner, role); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, owner, true); err != nil {
		return fmt.Errorf("schema: river: %w", err)
	}
	if err := jobs.GrantApp(ctx, owner, db.AppRole); err != nil {
		return fmt.Errorf("schema: river grants: %w", err)
	}
	p, sqlDB, err := provider(owner)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("schema: up: %w", err)
	}
	return nil
}

// Down rolls every goose migration back, then River's: an empty database.
func Down(ctx context.Context, owner *pgxpool.Pool) error {
	p, sqlDB, err := provider(owner)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	if _, err := p.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("schema: down: %w", err)
	}
	if err := jobs.Migrate(ctx, owner, false); err != nil {
		return fmt.Errorf("schema: river down: %w", err)
	}
	return nil
}

// Status writes one line per migration: its version, file and whether it is applied.
func Status(ctx context.Context, owner *pgxpool.Pool, w io.Writer) error {
	p, sqlDB, err := provider(owner)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("schema: status: %w", err)
	}
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%05d  %-40s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}

// Latest is the newest migration version embedded in this binary.
func Latest() (int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(names) == 0 {
		return 0, fmt.Errorf("schema: no migrations embedded")
	}
	sort.Strings(names)
	v, err := goose.NumericComponent(names[len(names)-1])
	if err != nil {
		return 0, fmt.Errorf("schema: %w", err)
	}
	return v, nil
}

// Current reports whether the database has every migration this binary
// knows; the app role may read goose's version table.
func Current(ctx context.Context, q db.Querier) (bool, error) {
	latest, err := Latest()
	if err != nil {
		return false, err
	}
	var have int64
	err = q.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&have)
	if err != nil {
		return false, err
	}
	return have >= latest, nil
}
