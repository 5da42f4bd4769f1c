// Package db is the plumbing between the domain packages and PostgreSQL: the
// connection pools and the one helper every request's work runs through,
// which opens a transaction and sets the tenant (and partner, or user) for
// Row-Level Security inside it.
package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what store functions take: a pgx.Tx (always, in request code)
// or a pool (in maintenance code).
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Scope is what a transaction may see. Zero values mean "unset", and an unset
// tenant means no tenant-owned row is visible or writable.
type Scope struct {
	TenantID uuid.UUID
	// PartnerID is set for partner-portal requests; partner-scoped tables
	// then show only that partner's rows.
	PartnerID uuid.UUID
	// UserID is set only for identity work without a tenant (listing a
	// person's own memberships across firms).
	UserID uuid.UUID
}

// DB runs scoped transactions on the application role's pool.
type DB struct {
	pool *pgxpool.Pool
}

// New wraps a pool that connects as the application role.
func New(pool *pgxpool.Pool) *DB { return &DB{pool: pool} }

// Pool returns the underlying pool (for River and health checks).
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// InTenant runs fn in a transaction scoped to one firm.
func (d *DB) InTenant(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	if tenantID == uuid.Nil {
		return errors.New("db: InTenant without a tenant")
	}
	return d.In(ctx, Scope{TenantID: tenantID}, fn)
}

// InPortal runs fn in a transaction scoped to one firm and one of its partners.
func (d *DB) InPortal(ctx context.Context, tenantID, partnerID uuid.UUID, fn func(pgx.Tx) error) error {
	if tenantID == uuid.Nil || partnerID == uuid.Nil {
		return errors.New("db: InPortal without a tenant and partner")
	}
	return d.In(ctx, Scope{TenantID: tenantID, PartnerID: partnerID}, fn)
}

// AsUser runs fn in a transaction that sees only global tables and the
// person's own memberships.
func (d *DB) AsUser(ctx context.Context, userID uuid.UUID, fn func(pgx.Tx) error) error {
	return d.In(ctx, Scope{UserID: userID}, fn)
}

// Global runs fn in a transaction that sees only global tables (users,
// sessions, tenants by slug, the outbox).
func (d *DB) Global(ctx context.Context, fn func(pgx.Tx) error) error {
	return d.In(ctx, Scope{}, fn)
}

// GlobalRead runs fn's reads of global tables without Row-Level Security
// (users, their session index, tenants by slug) straight on the pool,
// outside a transaction: one round trip per query instead of four (begin,
// scope, query, commit), for the lookups every request makes. No scope is
// set, so, as in Global, no tenant-owned row is visible. Not for writes.
func (d *DB) GlobalRead(ctx context.Context, fn func(Querier) error) error {
	return fn(d.pool)
}

// FirmIDs lists every firm's id, in id order: for the jobs that visit each
// firm in its own scope (the tenants table has no Row-Level Security).
func (d *DB) FirmIDs(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := d.pool.Query(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("db: firms: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// In runs fn in a transaction with the given scope set by set_config(…, true),
// which lasts until the transaction ends — never a session-level SET on a
// pooled connection. fn's error rolls the transaction back and is returned.
func (d *DB) In(ctx context.Context, s Scope, fn func(pgx.Tx) error) (err error) {
	// BEGIN and the scope go in one round trip: a simple-protocol query of
	// two statements. The values are UUIDs formatted here (hex digits and
	// dashes) or empty, so writing them into the text is safe.
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN; SELECT set_config('app.tenant_id', '" +
		idText(s.TenantID) + "', true), set_config('app.partner_id', '" + idText(s.PartnerID) +
		"', true), set_config('app.user_id', '" + idText(s.UserID) + "', true)"})
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

func idText(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return false
	}
	return constraint == "" || pe.ConstraintName == constraint
}

// IsNoRows reports whether err says a single-row query found nothing.
func IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
