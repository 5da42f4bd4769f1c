package agreement

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

// PageFilter narrows a page of agreements for the API; zero fields don't filter.
type PageFilter struct {
	PartnerID    uuid.UUID
	Status       string
	UpdatedSince time.Time
}

// Validate checks the filter; EInvalid named like the query parameters.
func (f PageFilter) Validate() error {
	if f.Status != "" && !slices.Contains(Statuses, Status(f.Status)) {
		names := make([]string, len(Statuses))
		for i, s := range Statuses {
			names[i] = string(s)
		}
		return apperr.Invalid(map[string]string{"status": "Use one of: " + strings.Join(names, ", ") + "."})
	}
	return nil
}

// Cursor is a position in the (created_at, id) order of a firm's
// agreement versions; the zero Cursor is the start.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ListPage returns up to limit of the firm's versions that match f, oldest
// first, after the cursor (a stable, total order).
func ListPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, f PageFilter, after Cursor, limit int) ([]Agreement, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var sql strings.Builder
	sql.WriteString(`SELECT ` + cols + fromAgreements + `WHERE a.tenant_id = $1`)
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.PartnerID != uuid.Nil {
		sql.WriteString(` AND a.partner_id = ` + arg(f.PartnerID))
	}
	if f.Status != "" {
		sql.WriteString(` AND a.status = ` + arg(f.Status))
	}
	if !f.UpdatedSince.IsZero() {
		sql.WriteString(` AND a.updated_at >= ` + arg(f.UpdatedSince))
	}
	if after.ID != uuid.Nil {
		sql.WriteString(` AND (a.created_at, a.id) > (` + arg(after.CreatedAt) + `, ` + arg(after.ID) + `)`)
	}
	sql.WriteString(` ORDER BY a.created_at, a.id LIMIT ` + arg(limit))
	return query(ctx, q, sql.String(), args...)
}
