package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/allyway/allyway/internal/config"
)

const usage = `Allyway — partner relationship management for professional services firms.

Usage:
  allyway serve                      run the web server and background jobs (DATABASE_URL required)
  allyway dev                        development: a private PostgreSQL under ./.data unless
                                     DATABASE_URL is set, migrate, seed the demo once, serve
  allyway migrate up|down|status     apply, roll back (all) or list migrations
  allyway seed demo                  add the demo firms (safe to repeat)
  allyway seed scale [-firms 200 -partners 100 -referrals 1000000 -years 3]
                                     the large data set for make bench, in its own database
  allyway tenant create --slug S --name N --owner-email E [--owner-name N] [--password P]
  allyway user create --email E --name N [--password P]
  allyway user disable|enable --email E   stop (or restore) a person's sign-in; disabling ends their sessions
  allyway token create --tenant S --name N --role admin|manager|finance|viewer
  allyway backup --out F             pg_dump -Fc of the database (as a superuser or BYPASSRLS role)
  allyway restore --in F [--no-owner]  pg_restore into an empty database, then what migrate up does

Settings come from the environment (and ./.env): DATABASE_URL, APP_DATABASE_URL,
ADDR (:8080), BASE_URL, SMTP_URL, MAIL_FROM, DATA_DIR (.data), LOG_LEVEL, LOG_FORMAT.
`

// env is what every subcommand gets.
type env struct {
	cfg    config.Config
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

// run is the whole program: it parses args and the environment and runs one
// subcommand until it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if getenv("ALLYWAY_NO_DOTENV") == "" {
		if err := config.LoadDotEnv(".env", os.Setenv, getenv); err != nil {
			return err
		}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	e := &env{cfg: cfg, getenv: getenv, stdout: stdout, stderr: stderr, logger: newLogger(cfg, stderr)}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "dev":
		return e.dev(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "seed":
		return e.seed(ctx, rest)
	case "tenant":
		return e.tenantCmd(ctx, rest)
	case "user":
		return e.userCmd(ctx, rest)
	case "token":
		return e.tokenCmd(ctx, rest)
	case "backup":
		return e.backupCmd(ctx, rest)
	case "restore":
		return e.restoreCmd(ctx, rest)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// flags parses a subcommand's flags, with errors written to stderr.
func (e *env) flags(name string, args []string, define func(fs *flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return nil
}
