package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allyway/allyway/internal/backup"
	"github.com/allyway/allyway/internal/schema"
)

// backupCmd: allyway backup --out F. pg_dump -Fc of DATABASE_URL's
// database into F, with the pg_dump of the server's version
// (docs/operations.md).
func (e *env) backupCmd(ctx context.Context, args []string) error {
	var out string
	if err := e.flags("backup", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the file to write (custom format, for pg_restore)")
	}); err != nil {
		return err
	}
	if out == "" {
		return errors.New("usage: allyway backup --out FILE")
	}
	pool, dbURL, err := e.ownerPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	major, err := checkBackupRole(ctx, pool)
	if err != nil {
		return err
	}
	tool, err := backup.FindTool("pg_dump", major)
	if err != nil {
		return err
	}
	if err := backup.Dump(ctx, tool, dbURL, out); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s (%d bytes) with %s\n", out, fi.Size(), tool)
	return nil
}

// restoreCmd: allyway restore --in F [--no-owner]. pg_restore of F into
// DATABASE_URL's database, which must be empty, in one transaction; then
// what `migrate up` does (the app role, its password and grants, newer
// migrations), so the app can serve the restored data at once.
func (e *env) restoreCmd(ctx context.Context, args []string) error {
	var in string
	var noOwner bool
	if err := e.flags("restore", args, func(fs *flag.FlagSet) {
		fs.StringVar(&in, "in", "", "the backup file (from allyway backup or pg_dump -Fc)")
		fs.BoolVar(&noOwner, "no-owner", false, "make DATABASE_URL's role own everything (when the backup's owner role does not exist here)")
	}); err != nil {
		return err
	}
	if in == "" {
		return errors.New("usage: allyway restore --in FILE [--no-owner]")
	}
	if _, err := os.Stat(in); err != nil {
		return err
	}
	pool, dbURL, err := e.ownerPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	major, err := checkBackupRole(ctx, pool)
	if err != nil {
		return err
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		return err
	}
	if tables > 0 {
		return fmt.Errorf("refusing to restore: the database already holds %d tables; restore into a new, empty database (createdb)", tables)
	}
	tool, err := backup.FindTool("pg_restore", major)
	if err != nil {
		return err
	}
	if err := backup.Restore(ctx, tool, dbURL, in, noOwner); err != nil {
		return err
	}
	if err := schema.Up(ctx, pool, e.roleSetup(dbURL)); err != nil {
		return fmt.Errorf("restored, but preparing it for the app failed (run allyway migrate up): %w", err)
	}
	fmt.Fprintf(e.stdout, "restored %s with %s; the app role is set up and migrations are current\n", in, tool)
	return schema.Status(ctx, pool, e.stdout)
}

// checkBackupRole returns the server's major version, or an error when the
// connection's role can't see every row (dumps and restores must not be
// filtered by Row-Level Security).
func checkBackupRole(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var versionNum int
	var bypass bool
	var user string
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_user,
			(SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)`).Scan(&versionNum, &user, &bypass); err != nil {
		return 0, err
	}
	if !bypass {
		return 0, fmt.Errorf("%q is subject to Row-Level Security: run backups and restores as a superuser or a role with BYPASSRLS (docs/operations.md)", user)
	}
	return versionNum / 10000, nil
}
