package partner

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Filter narrows a page of partners; zero fields don't filter.
type Filter struct {
	Status       string
	Type         string
	UpdatedSince time.Time // updated at or after
}

// Validate checks the filter's values; EInvalid with a message per field
// (named like the query parameters).
func (f Filter) Validate() error {
	errs := map[string]string{}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		errs["status"] = "Use one of: " + strings.Join(Statuses, ", ") + "."
	}
	if f.Type != "" && !slices.Contains(Types, f.Type) {
		errs["type"] = "Use one of: " + strings.Join(Types, ", ") + "."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// Cursor is a position in the (created_at, id) order of a firm's partners:
// the last partner of the previous page. The zero Cursor is the start.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ListPage returns up to limit of the firm's partners that match f, oldest
// first, after the cursor. The order is stable and total, so walking the
// pages visits every partner once even while others are added.
func ListPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, after Cursor, limit int) ([]Partner, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var sql strings.Builder
	sql.WriteString(`SELECT ` + cols + fromPartners + `WHERE p.tenant_id = $1`)
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		sql.WriteString(` AND p.status = ` + arg(f.Status))
	}
	if f.Type != "" {
		sql.WriteString(` AND p.type = ` + arg(f.Type))
	}
	if !f.UpdatedSince.IsZero() {
		sql.WriteString(` AND p.updated_at >= ` + arg(f.UpdatedSince))
	}
	if after.ID != uuid.Nil {
		sql.WriteString(` AND (p.created_at, p.id) > (` + arg(after.CreatedAt) + `, ` + arg(after.ID) + `)`)
	}
	sql.WriteString(` ORDER BY p.created_at, p.id LIMIT ` + arg(limit))
	return queryPartners(ctx, q, sql.String(), args...)
}
