package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/server"
)

var errNoDatabase = errors.New("DATABASE_URL is not set.\n" +
	"  For development run `make run` (or `allyway dev`), which starts its own PostgreSQL.\n" +
	"  Otherwise set DATABASE_URL to a PostgreSQL 15+ server, e.g. postgres://user:pass@host:5432/allyway")

// ownerURL is the schema owner's connection (migrations, role set-up).
func (e *env) ownerURL() (string, error) {
	if e.cfg.DatabaseURL == "" {
		return "", errNoDatabase
	}
	return e.cfg.DatabaseURL, nil
}

// appURL is the restricted role's connection: APP_DATABASE_URL, or the
// owner's URL with the app role and its derived password.
func (e *env) appURL(ownerURL string) (string, error) {
	if e.cfg.AppDatabaseURL != "" {
		return e.cfg.AppDatabaseURL, nil
	}
	return db.AppURL(ownerURL, db.AppRolePassword(ownerURL))
}

func (e *env) serve(ctx context.Context, args []string) error {
	if err := e.flags("serve", args, nil); err != nil {
		return err
	}
	var appURL string
	if e.cfg.AppDatabaseURL != "" {
		appURL = e.cfg.AppDatabaseURL
	} else {
		owner, err := e.ownerURL()
		if err != nil {
			return err
		}
		if appURL, err = e.appURL(owner); err != nil {
			return err
		}
	}
	return e.serveApp(ctx, appURL, nil)
}

// jobConns is the size of the job workers' pool.
const jobConns = 6

// serveApp runs the HTTP server and the job workers until ctx ends, then
// shuts down gracefully: in-flight requests and jobs get ShutdownTimeout.
// ready, when set, is called with the listening address.
func (e *env) serveApp(ctx context.Context, appURL string, ready func(addr string)) error {
	// Two pools: requests get connections of their own, sized to the
	// machine, and the job workers a few of theirs, so a long job never
	// holds a request's connection. A pool much larger than the cores only
	// helps under overload, and then badly: at 300 requests/s on 2 cores a
	// short stall grew a pool of 20 by 7 new backends, each planning every
	// statement afresh while the machine was already behind. Requests
	// beyond webConns wait in the pool's queue instead.
	webConns := int32(min(max(8, 4*runtime.GOMAXPROCS(0)), 32))
	pool, err := db.Connect(ctx, appURL, webConns)
	if err != nil {
		return fmt.Errorf("%w\n  (has `allyway migrate up` run? it creates the app role %s)", err, db.AppRole)
	}
	defer pool.Close()
	if err := checkAppRole(ctx, pool); err != nil {
		return err
	}
	jobsPool, err := db.Connect(ctx, appURL, jobConns)
	if err != nil {
		return err
	}
	defer jobsPool.Close()
	mailer, err := notify.NewMailer(e.cfg.SMTPURL, e.cfg.MailFrom, e.logger)
	if err != nil {
		return err
	}
	river, err := jobs.NewClient(jobs.Deps{Pool: jobsPool, Mailer: mailer, Logger: e.logger, BaseURL: e.cfg.BaseURL,
		WebhookAllowPrivate: e.cfg.WebhookPrivateAllowed()}, true)
	if err != nil {
		return err
	}
	srv := server.New(server.Deps{
		Config:  e.cfg,
		DB:      db.New(pool),
		Logger:  e.logger,
		Hasher:  auth.NewHasher(e.cfg.HashConcurrency),
		Outbox:  notify.NewOutbox(river),
		DevMail: e.cfg.SMTPURL == "" && e.cfg.Dev,
	})
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set ADDR to use another address)", e.cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if err := river.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("start jobs: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	e.logger.Info("listening", "addr", ln.Addr().String(), "base_url", e.cfg.BaseURL, "mail", mailer.Name())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-serveErr:
		_ = river.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	e.logger.Info("shutting down", "timeout", e.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.ShutdownTimeout)
	defer cancel()
	herr := hs.Shutdown(sctx)
	jerr := river.Stop(sctx)
	if errors.Is(herr, http.ErrServerClosed) {
		herr = nil
	}
	return errors.Join(herr, jerr)
}

// checkAppRole refuses to serve as a role that could bypass Row-Level
// Security: isolation must not depend on the app being careful.
func checkAppRole(ctx context.Context, pool *pgxpool.Pool) error {
	var user string
	var super, bypass bool
	err := pool.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &bypass)
	if err != nil {
		return fmt.Errorf("check app role: %w", err)
	}
	if super || bypass {
		return fmt.Errorf("refusing to serve as %q: it is a superuser or has BYPASSRLS; connect as %s (APP_DATABASE_URL)", user, db.AppRole)
	}
	var owns int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user`).Scan(&owns); err != nil {
		return fmt.Errorf("check app role: %w", err)
	}
	if owns > 0 {
		return fmt.Errorf("refusing to serve as %q: it owns %d tables; the app role must own nothing", user, owns)
	}
	return nil
}
