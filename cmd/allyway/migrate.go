package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
)

// ownerPool connects as the schema owner.
func (e *env) ownerPool(ctx context.Context) (*pgxpool.Pool, string, error) {
	url, err := e.ownerURL()
	if err != nil {
		return nil, "", err
	}
	pool, err := db.Connect(ctx, url, 4)
	return pool, url, err
}

func (e *env) migrate(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: allyway migrate up|down|status")
	}
	pool, url, err := e.ownerPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	switch args[0] {
	case "up":
		if err := schema.Up(ctx, pool, e.roleSetup(url)); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "migrations applied")
		return schema.Status(ctx, pool, e.stdout)
	case "down":
		if err := schema.Down(ctx, pool); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "all migrations rolled back")
		return nil
	case "status":
		return schema.Status(ctx, pool, e.stdout)
	default:
		return fmt.Errorf("usage: allyway migrate up|down|status")
	}
}

// roleSetup: with APP_DATABASE_URL the operator owns the app role's password
// (it is only used to create a missing role); without it the password is
// derived from the owner's credentials and kept in step.
func (e *env) roleSetup(ownerURL string) db.RoleSetup {
	if e.cfg.AppDatabaseURL != "" {
		return db.RoleSetup{Password: db.PasswordOf(e.cfg.AppDatabaseURL)}
	}
	return db.RoleSetup{Password: db.AppRolePassword(ownerURL), ResetPassword: true}
}
