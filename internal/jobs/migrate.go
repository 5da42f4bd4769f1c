package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate applies River's migrations up to the latest version (up) or
// removes River's schema entirely (down). Run it with the owner pool, before
// the application's own migrations, then call GrantApp.
func Migrate(ctx context.Context, pool *pgxpool.Pool, up bool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.Default()})
	if err != nil {
		return fmt.Errorf("jobs: river migrator: %w", err)
	}
	if up {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	} else {
		_, err = m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1})
	}
	if err != nil {
		return fmt.Errorf("jobs: river migrate: %w", err)
	}
	return nil
}

// GrantApp grants role what River needs at run time on River's objects in
// the current schema: SELECT, INSERT, UPDATE, DELETE on every river_* table,
// USAGE, SELECT on their sequences, EXECUTE on river_* functions and USAGE
// on river_* types and on the schema. Run it with the owner pool after
// Migrate; it is idempotent.
func GrantApp(ctx context.Context, owner *pgxpool.Pool, role string) error {
	if role == "" {
		return errors.New("jobs: GrantApp: empty role")
	}
	grantee := pgx.Identifier{role}.Sanitize()

	tx, err := owner.Begin(ctx)
	if err != nil {
		return fmt.Errorf("jobs: grant: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	// Each name is already quoted (quote_ident / regprocedure output).
	query := func(sql string) ([]string, error) {
		rows, err := tx.Query(ctx, sql)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	}
	tables, err := query(`
		SELECT quote_ident(c.relname) FROM pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		  AND c.relkind IN ('r', 'p') AND c.relname LIKE 'river\_%'
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("jobs: grant: list tables: %w", err)
	}
	if len(tables) == 0 {
		return errors.New("jobs: grant: no river_* tables in the current schema (run Migrate first)")
	}
	seqs, err := query(`
		SELECT quote_ident(c.relname) FROM pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		  AND c.relkind = 'S' AND c.relname LIKE 'river\_%'
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("jobs: grant: list sequences: %w", err)
	}
	funcs, err := query(`
		SELECT p.oid::regprocedure::text FROM pg_proc p
		WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		  AND p.prokind = 'f' AND p.proname LIKE 'river\_%'
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("jobs: grant: list functions: %w", err)
	}
	types, err := query(`
		SELECT quote_ident(t.typname) FROM pg_type t
		WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		  AND t.typtype IN ('e', 'd', 'c') AND t.typname LIKE 'river\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')
		ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("jobs: grant: list types: %w", err)
	}

	var schema string
	if err := tx.QueryRow(ctx, `SELECT quote_ident(current_schema())`).Scan(&schema); err != nil {
		return fmt.Errorf("jobs: grant: current schema: %w", err)
	}

	stmts := []string{
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + grantee,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE ` + strings.Join(tables, ", ") + ` TO ` + grantee,
	}
	if len(seqs) > 0 {
		stmts = append(stmts, `GRANT USAGE, SELECT ON SEQUENCE `+strings.Join(seqs, ", ")+` TO `+grantee)
	}
	if len(funcs) > 0 {
		stmts = append(stmts, `GRANT EXECUTE ON FUNCTION `+strings.Join(funcs, ", ")+` TO `+grantee)
	}
	if len(types) > 0 {
		stmts = append(stmts, `GRANT USAGE ON TYPE `+strings.Join(types, ", ")+` TO `+grantee)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("jobs: grant: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("jobs: grant: %w", err)
	}
	return nil
}
