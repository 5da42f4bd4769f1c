package scorecard

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// PagePos is a position in the firm's partners ordered by (created_at,
// id), the API's list order; zero is the start.
type PagePos struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// Listed is a scorecard with its partner's position in the list.
type Listed struct {
	Scorecard
	CreatedAt time.Time // when the partner was added
}

// List builds the scorecards of up to limit of the firm's partners after
// the position, oldest partner first. Staff scope; EInvalid for a quarter
// that hasn't started.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, qt period.Quarter, today time.Time, after PagePos, limit int) ([]Listed, error) {
	if err := CheckQuarter(qt, today); err != nil {
		return nil, err
	}
	var at *time.Time
	if after.ID != uuid.Nil {
		at = &after.CreatedAt
	}
	rows, err := q.Query(ctx, `SELECT id, created_at FROM partners
		WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
		ORDER BY created_at, id LIMIT $4`, tenantID, at, after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("scorecard: list: %w", err)
	}
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PagePos, error) {
		var p PagePos
		err := r.Scan(&p.ID, &p.CreatedAt)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("scorecard: list: %w", err)
	}
	tiers, err := loadTiers(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(page))
	for _, p := range page {
		sc, err := build(ctx, q, tenantID, p.ID, qt, today, tiers)
		if err != nil {
			return nil, err
		}
		out = append(out, Listed{Scorecard: sc, CreatedAt: p.CreatedAt})
	}
	return out, nil
}
