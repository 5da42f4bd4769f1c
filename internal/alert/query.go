package alert

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Read models for the alerts page, the dashboard card, a partner's page
// and the API. Any staff role may read alerts; partners never see them
// (the table is staff-only under Row-Level Security).

// The partner's name is looked up per alert listed, after the sort and
// limit, not joined before them: the dashboard's card sorted a firm's
// hundred open alerts joined to its hundred partners on every view.
const selectAlerts = `SELECT a.id, a.kind, a.partner_id,
	coalesce((SELECT p.name FROM partners p WHERE p.tenant_id = a.tenant_id AND p.id = a.partner_id), ''),
	a.key, a.message, a.details, a.created_at, a.updated_at, a.resolved_at, a.emailed_at
FROM alerts a`

func query(ctx context.Context, q db.Querier, sql string, args ...any) ([]Alert, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("alert: query: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		err := r.Scan(&a.ID, &a.Kind, &a.PartnerID, &a.PartnerName, &a.Key, &a.Message, &a.Details,
			&a.CreatedAt, &a.UpdatedAt, &a.ResolvedAt, &a.EmailedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("alert: query: %w", err)
	}
	return out, nil
}

// Filter narrows a list of alerts. The zero Filter is every alert.
type Filter struct {
	Kind      string     // one of Kinds, or "" for any
	PartnerID *uuid.UUID // nil for any partner
	Resolved  *bool      // true: resolved only; false: open only; nil: both
}

// Validate checks the kind (EInvalid on the field "kind").
func (f Filter) Validate() error {
	if f.Kind != "" && !ValidKind(f.Kind) {
		return apperr.Invalid(map[string]string{"kind": "Use one of " + strings.Join(Kinds, ", ") + "."})
	}
	return nil
}

// where builds the filter's conditions after tenant_id = $1.
func (f Filter) where(args []any) (string, []any) {
	var b strings.Builder
	b.WriteString(` WHERE a.tenant_id = $1`)
	if f.Kind != "" {
		args = append(args, f.Kind)
		b.WriteString(` AND a.kind = $` + strconv.Itoa(len(args)))
	}
	if f.PartnerID != nil {
		args = append(args, *f.PartnerID)
		b.WriteString(` AND a.partner_id = $` + strconv.Itoa(len(args)))
	}
	if f.Resolved != nil {
		if *f.Resolved {
			b.WriteString(` AND a.resolved_at IS NOT NULL`)
		} else {
			b.WriteString(` AND a.resolved_at IS NULL`)
		}
	}
	return b.String(), args
}

// PagePos is a position in the API's (created_at, id) order; zero is the start.
type PagePos struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// List returns up to limit alerts matching f after the position, oldest
// first (the API's order). EInvalid for a bad filter.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, after PagePos, limit int) ([]Alert, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where([]any{tenantID})
	if after.ID != uuid.Nil {
		args = append(args, after.CreatedAt, after.ID)
		where += fmt.Sprintf(` AND (a.created_at, a.id) > ($%d, $%d)`, len(args)-1, len(args))
	}
	args = append(args, limit)
	return query(ctx, q, selectAlerts+where+` ORDER BY a.created_at, a.id LIMIT $`+strconv.Itoa(len(args)), args...)
}

// Page returns one page of alerts matching f for the alerts page and how
// many match in all: open ones most pressing kind first and newest first
// within a kind, resolved ones most recently resolved first. EInvalid for
// a bad filter.
func Page(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, offset, limit int) ([]Alert, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	where, args := f.where([]any{tenantID})
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM alerts a`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("alert: count: %w", err)
	}
	args = append(args, Kinds, offset, limit)
	n := len(args)
	order := fmt.Sprintf(` ORDER BY a.resolved_at DESC NULLS FIRST, array_position($%d::text[], a.kind), a.created_at DESC, a.id
		OFFSET $%d LIMIT $%d`, n-2, n-1, n)
	as, err := query(ctx, q, selectAlerts+where+order, args...)
	return as, total, err
}

// Top returns the n most pressing open alerts (by kind, then newest) and
// how many are open in all: the dashboard's card.
func Top(ctx context.Context, q db.Querier, tenantID uuid.UUID, n int) ([]Alert, int, error) {
	open := false
	return Page(ctx, q, tenantID, Filter{Resolved: &open}, 0, n)
}

// OpenForPartner returns a partner's open alerts, most pressing first:
// for its overview and a review's agenda.
func OpenForPartner(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Alert, error) {
	return query(ctx, q, selectAlerts+` WHERE a.tenant_id = $1 AND a.partner_id = $2 AND a.resolved_at IS NULL
		ORDER BY array_position($3::text[], a.kind), a.created_at DESC`, tenantID, partnerID, Kinds)
}

// CountOpen returns how many alerts are open, by kind.
func CountOpen(ctx context.Context, q db.Querier, tenantID uuid.UUID) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT kind, count(*) FROM alerts WHERE tenant_id = $1 AND resolved_at IS NULL GROUP BY kind`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("alert: count: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
