package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/setup"
	"github.com/allyway/allyway/internal/tenant"
)

// appDB connects as the application role: admin commands go through the same
// scoped transactions and Row-Level Security as requests do.
func (e *env) appDB(ctx context.Context) (*db.DB, func(), error) {
	var url string
	if e.cfg.AppDatabaseURL != "" {
		url = e.cfg.AppDatabaseURL
	} else {
		owner, err := e.ownerURL()
		if err != nil {
			return nil, nil, err
		}
		if url, err = e.appURL(owner); err != nil {
			return nil, nil, err
		}
	}
	pool, err := db.Connect(ctx, url, 2)
	if err != nil {
		return nil, nil, err
	}
	return db.New(pool), pool.Close, nil
}

func (e *env) seed(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "scale" {
		return e.seedScale(ctx, args[1:]) // seed_scale.go
	}
	if len(args) != 1 || args[0] != "demo" {
		return fmt.Errorf("usage: allyway seed demo")
	}
	d, done, err := e.appDB(ctx)
	if err != nil {
		return err
	}
	defer done()
	logins, err := seed.Demo(ctx, d, auth.NewHasher(1), e.cfg.BaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Demo firms ready. Logins (password %s):\n", seed.DemoPassword)
	for _, l := range logins {
		fmt.Fprintf(e.stdout, "  %-28s %s\n", l.Email, l.Who)
	}
	return nil
}

// userCmd: allyway user create --email E --name N [--password P]
func (e *env) userCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && (args[0] == "disable" || args[0] == "enable") {
		return e.userDisable(ctx, args[0] == "disable", args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: allyway user create --email E --name N [--password P] | user disable|enable --email E")
	}
	var email, name, password string
	if err := e.flags("user create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&name, "name", "", "display name (required)")
		fs.StringVar(&password, "password", "", "password (default: a random one, printed)")
	}); err != nil {
		return err
	}
	d, done, err := e.appDB(ctx)
	if err != nil {
		return err
	}
	defer done()
	u, pw, err := e.createUser(ctx, d, email, name, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s created (id %s)\n", u.Email, u.ID)
	if pw != "" {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

// createUser validates and creates a person; with no password it makes a
// random one and returns it.
func (e *env) createUser(ctx context.Context, d *db.DB, email, name, password string) (identity.User, string, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return identity.User{}, "", fmt.Errorf("--email: %s", apperr.FieldErrors(err)["email"])
	}
	if strings.TrimSpace(name) == "" {
		return identity.User{}, "", errors.New("--name is required")
	}
	shown := ""
	if password == "" {
		password = auth.NewToken()[:20]
		shown = password
	}
	if err := auth.ValidateNewPassword(password, email, name); err != nil {
		return identity.User{}, "", fmt.Errorf("--password: %w", err)
	}
	hash, err := auth.NewHasher(1).Hash(ctx, password)
	if err != nil {
		return identity.User{}, "", err
	}
	var u identity.User
	err = d.Global(ctx, func(tx pgx.Tx) (err error) {
		u, err = identity.CreateUser(ctx, tx, email, name, hash)
		return err
	})
	if err != nil {
		return identity.User{}, "", fmt.Errorf("%s", apperr.Message(err))
	}
	return u, shown, nil
}

// tenantCmd: allyway tenant create --slug S --name N --owner-email E ...
func (e *env) tenantCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: allyway tenant create --slug S --name N --owner-email E [--owner-name N] [--password P]")
	}
	var slug, name, ownerEmail, ownerName, password string
	if err := e.flags("tenant create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "slug", "", "URL name, e.g. northwind (required)")
		fs.StringVar(&name, "name", "", "firm name (required)")
		fs.StringVar(&ownerEmail, "owner-email", "", "the owner's email (required; created when new)")
		fs.StringVar(&ownerName, "owner-name", "", "the owner's name (for a new user)")
		fs.StringVar(&password, "password", "", "the new owner's password (default: random, printed)")
	}); err != nil {
		return err
	}
	if slug == "" || name == "" || ownerEmail == "" {
		return errors.New("--slug, --name and --owner-email are required")
	}
	d, done, err := e.appDB(ctx)
	if err != nil {
		return err
	}
	defer done()
	var owner identity.User
	shown := ""
	err = d.Global(ctx, func(tx pgx.Tx) (err error) {
		owner, err = identity.UserByEmail(ctx, tx, ownerEmail)
		return err
	})
	if apperr.Code(err) == apperr.ENotFound {
		if ownerName == "" {
			ownerName = strings.Split(ownerEmail, "@")[0]
		}
		owner, shown, err = e.createUser(ctx, d, ownerEmail, ownerName, password)
	}
	if err != nil {
		return err
	}
	id := uuid.New()
	var t tenant.Tenant
	err = d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) (err error) {
		if t, err = tenant.Create(ctx, tx, id, slug, name); err != nil {
			return err
		}
		if err := tenant.AddStaff(ctx, tx, id, owner.ID, auth.RoleOwner); err != nil {
			return err
		}
		ctx := audit.WithActor(ctx, audit.Actor{UserID: owner.ID, IP: "cli"})
		if err := audit.Record(ctx, tx, id, "tenant.created", "tenant", id.String(), map[string]any{"slug": slug, "via": "cli"}); err != nil {
			return err
		}
		return setup.Firm(ctx, tx, id)
	})
	if err != nil {
		if f := apperr.FieldErrors(err); len(f) > 0 {
			return fmt.Errorf("%s", strings.Join(mapValues(f), "; "))
		}
		return err
	}
	fmt.Fprintf(e.stdout, "firm %s created: %s/t/%s (owner %s)\n", t.Name, e.cfg.BaseURL, t.Slug, owner.Email)
	if shown != "" {
		fmt.Fprintf(e.stdout, "owner password: %s\n", shown)
	}
	return nil
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// tokenCmd: allyway token create --tenant S --name N --role R
func (e *env) tokenCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: allyway token create --tenant S --name N --role admin|manager|finance|viewer")
	}
	var slug, name, role string
	if err := e.flags("token create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "tenant", "", "the firm's slug (required)")
		fs.StringVar(&name, "name", "", "what uses the token, e.g. CRM sync (required)")
		fs.StringVar(&role, "role", "viewer", "admin, manager, finance or viewer")
	}); err != nil {
		return err
	}
	r, err := auth.ParseTokenRole(role)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	d, done, err := e.appDB(ctx)
	if err != nil {
		return err
	}
	defer done()
	var t tenant.Tenant
	if err := d.Global(ctx, func(tx pgx.Tx) (err error) {
		t, err = tenant.BySlug(ctx, tx, slug)
		return err
	}); err != nil {
		return fmt.Errorf("--tenant %q: %s", slug, apperr.Message(err))
	}
	var secret string
	err = d.InTenant(ctx, t.ID, func(tx pgx.Tx) error {
		tok, s, err := tenant.CreateToken(ctx, tx, t.ID, name, r, uuid.Nil)
		if err != nil {
			return err
		}
		secret = s
		ctx := audit.WithActor(ctx, audit.Actor{IP: "cli"})
		return audit.Record(ctx, tx, t.ID, "api_token.created", "api_token", tok.ID.String(), map[string]any{"name": tok.Name, "role": tok.Role, "via": "cli"})
	})
	if err != nil {
		return fmt.Errorf("%s", apperr.Message(err))
	}
	fmt.Fprintln(e.stderr, "API token created; it is shown once — store it now:")
	fmt.Fprintln(e.stdout, secret)
	return nil
}

// userDisable stops (or restores) a person's sign-in everywhere; disabling
// ends every session they have at once.
func (e *env) userDisable(ctx context.Context, disable bool, args []string) error {
	var email string
	if err := e.flags("user disable", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the person's email (required)")
	}); err != nil {
		return err
	}
	d, done, err := e.appDB(ctx)
	if err != nil {
		return err
	}
	defer done()
	var ended int64
	err = d.Global(ctx, func(tx pgx.Tx) error {
		u, err := identity.UserByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := identity.SetDisabled(ctx, tx, u.ID, disable); err != nil {
			return err
		}
		if disable {
			ended, err = identity.EndSessions(ctx, tx, u.ID, "")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("--email %q: %s", email, apperr.Message(err))
	}
	if disable {
		fmt.Fprintf(e.stdout, "%s disabled; %d session(s) ended\n", email, ended)
	} else {
		fmt.Fprintf(e.stdout, "%s enabled\n", email)
	}
	return nil
}
