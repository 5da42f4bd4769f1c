package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/pgcluster"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
)

// devDatabase is the database the private development cluster serves.
const devDatabase = "allyway"

// dev runs Allyway for development: with DATABASE_URL unset it starts a
// private PostgreSQL from the installed binaries with its data under
// DATA_DIR/pg, then migrates, seeds the demo firms (once), prints the demo
// logins and serves until Ctrl-C, when it stops the cluster.
func (e *env) dev(ctx context.Context, args []string) error {
	if err := e.flags("dev", args, nil); err != nil {
		return err
	}
	e.cfg.Dev = true
	ownerURL := e.cfg.DatabaseURL
	if ownerURL == "" {
		fmt.Fprintln(e.stdout, "Starting a private PostgreSQL under", filepath.Join(e.cfg.DataDir, "pg"), "…")
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{
			DataDir: filepath.Join(e.cfg.DataDir, "pg"),
			Port:    54329,
			Logf:    func(f string, a ...any) { e.logger.Info(fmt.Sprintf(f, a...)) },
		})
		if err != nil {
			return fmt.Errorf("no PostgreSQL to run on: %w", err)
		}
		defer func() {
			if err := cluster.Stop(); err != nil {
				e.logger.Error("stop PostgreSQL", "err", err)
			} else {
				fmt.Fprintln(e.stdout, "PostgreSQL stopped.")
			}
		}()
		if ownerURL, err = ensureDatabase(ctx, cluster.URL("postgres"), cluster.URL(devDatabase), devDatabase); err != nil {
			return err
		}
	}
	owner, err := db.Connect(ctx, ownerURL, 4)
	if err != nil {
		return err
	}
	err = schema.Up(ctx, owner, e.roleSetup(ownerURL))
	owner.Close()
	if err != nil {
		return err
	}
	appURL, err := e.appURL(ownerURL)
	if err != nil {
		return err
	}
	app, err := db.Connect(ctx, appURL, 4)
	if err != nil {
		return err
	}
	logins, err := seed.Demo(ctx, db.New(app), auth.NewHasher(1), e.cfg.BaseURL)
	app.Close()
	if err != nil {
		return err
	}
	return e.serveApp(ctx, appURL, func(addr string) {
		w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "\nAllyway is running at %s\n\nDemo logins (password %s):\n", e.cfg.BaseURL, seed.DemoPassword)
		for _, l := range logins {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", l.Email, l.Who, l.URL)
		}
		if e.cfg.SMTPURL == "" {
			fmt.Fprintf(w, "\nNo SMTP_URL: emails are not sent; read them at %s/dev/mail\n", e.cfg.BaseURL)
		}
		fmt.Fprintln(w, "Press Ctrl-C to stop.")
		w.Flush()
	})
}

// ensureDatabase creates database name on the server if it is missing and
// returns the URL to it.
func ensureDatabase(ctx context.Context, adminURL, dbURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return dbURL, nil
}
