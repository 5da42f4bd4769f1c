// Package backup takes and restores backups of an Allyway database with
// PostgreSQL's own tools: pg_dump in the custom format (-Fc) and
// pg_restore. docs/operations.md is the procedure around them (roles to
// create first, what the app needs after a restore, how to verify).
//
// The tools must be at least as new as the server (pg_dump refuses a newer
// server), so FindTool looks for the ones of the server's major version
// first, where pgcluster looks for initdb and pg_ctl.
//
// Both run as a role that is not subject to Row-Level Security (a superuser
// or a role with BYPASSRLS): every tenant table forces RLS, even on its
// owner, and pg_dump (which turns row_security off) and COPY into a table
// under RLS refuse rather than dump or load a filtered table.
package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
)

// BinDirEnv names the folder of PostgreSQL's binaries to use, as for
// pgcluster (which is wiring, so this plumbing package repeats the name).
const BinDirEnv = "ALLYWAY_PG_BINDIR"

// searchGlobs are the usual install folders of PostgreSQL's client tools,
// as pgcluster searches them for the server binaries.
var searchGlobs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/local/pgsql/bin",
	"/opt/homebrew/opt/postgresql*/bin",
	"/usr/local/opt/postgresql*/bin",
	"/usr/pgsql-*/bin",
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

// ErrNoTool is wrapped by FindTool's error when no usable binary exists.
var ErrNoTool = errors.New("backup: PostgreSQL client tool not found")

var toolVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// FindTool returns the path of name ("pg_dump", "pg_restore") for a server
// of major version serverMajor (e.g. 16): the same major version if one is
// installed, else the oldest newer one. Places searched: $ALLYWAY_PG_BINDIR,
// the usual install folders, then PATH.
func FindTool(name string, serverMajor int) (string, error) {
	var candidates []string
	if d := os.Getenv(BinDirEnv); d != "" {
		candidates = append(candidates, filepath.Join(d, name))
	}
	for _, g := range searchGlobs {
		matches, _ := filepath.Glob(filepath.Join(g, name))
		candidates = append(candidates, matches...)
	}
	if p, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, p)
	}
	best, bestMajor := "", 0
	var seen []string
	for _, c := range candidates {
		major, err := toolMajor(c)
		if err != nil {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s (%d)", c, major))
		if major < serverMajor {
			continue
		}
		if best == "" || major < bestMajor {
			best, bestMajor = c, major
		}
	}
	if best == "" {
		found := "none installed"
		if len(seen) > 0 {
			found = "found only " + strings.Join(slices.Compact(seen), ", ")
		}
		return "", fmt.Errorf("%w: %s for PostgreSQL %d or newer (%s); install the PostgreSQL %d client tools or set %s",
			ErrNoTool, name, serverMajor, found, serverMajor, BinDirEnv)
	}
	return best, nil
}

// toolMajor runs `path --version` and returns the major version.
func toolMajor(path string) (int, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return 0, fmt.Errorf("%s: not an executable", path)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", path, err)
	}
	m := toolVersionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version: no version in %q", path, out)
	}
	return strconv.Atoi(string(m[1]))
}

// DumpArgs are pg_dump's arguments for a backup of the database at dbURL
// into file: the custom format (compressed, restorable selectively and in
// parallel), every schema object and row, ownership and privileges
// included (the GRANTs to allyway_app are part of the schema).
func DumpArgs(dbURL, file string) []string {
	return []string{"--format=custom", "--file=" + file, "--no-password", "--dbname=" + dbURL}
}

// RestoreArgs are pg_restore's arguments to load file into the empty
// database at dbURL: in one transaction (a failed restore leaves the
// database empty, never half-loaded), stopping at the first error. With
// noOwner the restoring role owns every object (restoring into a server
// whose owner role has another name); else the owners of the dump must
// exist.
func RestoreArgs(dbURL, file string, noOwner bool) []string {
	args := []string{"--exit-on-error", "--single-transaction", "--no-password", "--dbname=" + dbURL}
	if noOwner {
		args = append(args, "--no-owner")
	}
	return append(args, file)
}

// Dump writes a backup of the database at dbURL to file with pg_dump (the
// binary at tool).
func Dump(ctx context.Context, tool, dbURL, file string) error {
	u, password, err := withoutPassword(dbURL)
	if err != nil {
		return err
	}
	return runTool(ctx, tool, DumpArgs(u, file), password)
}

// Restore loads the backup in file into the empty database at dbURL with
// pg_restore (the binary at tool).
func Restore(ctx context.Context, tool, dbURL, file string, noOwner bool) error {
	u, password, err := withoutPassword(dbURL)
	if err != nil {
		return err
	}
	return runTool(ctx, tool, RestoreArgs(u, file, noOwner), password)
}

// withoutPassword takes the password out of a connection URL, so that it is
// handed to the tool in PGPASSWORD rather than shown in the process list.
func withoutPassword(dbURL string) (string, string, error) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", errors.New("backup: want a database URL like postgres://user:password@host:5432/db")
	}
	password, ok := u.User.Password()
	if !ok {
		return dbURL, "", nil
	}
	u.User = url.User(u.User.Username())
	return u.String(), password, nil
}

func runTool(ctx context.Context, tool string, args []string, password string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stderr = &stderr
	if password != "" {
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 4000 {
			msg = msg[:4000] + "…"
		}
		return fmt.Errorf("%s: %w: %s", filepath.Base(tool), err, msg)
	}
	return nil
}

// TableSum is what a table holds, to compare a restored database with its
// source: the number of rows and the MD5 of every row's text, in order.
type TableSum struct {
	Table string
	Rows  int64
	MD5   string
}

// Summarize returns a TableSum of every table of the public schema (River's
// and goose's included), by name. q must see every row: a superuser or a
// role with BYPASSRLS.
func Summarize(ctx context.Context, q db.Querier) ([]TableSum, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	out := make([]TableSum, 0, len(tables))
	for _, t := range tables {
		s := TableSum{Table: t}
		ident := pgx.Identifier{"public", t}.Sanitize()
		if err := q.QueryRow(ctx, `SELECT count(*), coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '')
			FROM `+ident+` r`).Scan(&s.Rows, &s.MD5); err != nil {
			return nil, fmt.Errorf("backup: summarize %s: %w", t, err)
		}
		out = append(out, s)
	}
	return out, nil
}
