package partner

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// PipelineStatuses are the recruiting board's columns, in order.
var PipelineStatuses = []string{"prospect", "qualifying", "onboarding"}

// Pipeline returns the firm's partners still being recruited (prospect,
// qualifying, onboarding), longest in their stage first.
func Pipeline(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Partner, error) {
	return queryPartners(ctx, q, `SELECT `+cols+fromPartners+`WHERE p.tenant_id = $1
		AND p.status IN ('prospect', 'qualifying', 'onboarding') ORDER BY p.status_changed_at, p.id`, tenantID)
}

// YearBounds is the calendar year of now, in now's location: [start, end).
func YearBounds(now time.Time) (time.Time, time.Time) {
	start := time.Date(now.Year(), time.January, 1, 0, 0, 0, 0, now.Location())
	return start, start.AddDate(1, 0, 0)
}

// NewActiveCount counts the partners that became active for the first
// time within [from, to): a move to 'active' in that window and none
// before it (a paused partner that resumes is not a new partner).
func NewActiveCount(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to time.Time) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM (
			SELECT h.partner_id FROM partner_status_history h
			WHERE h.tenant_id = $1 AND h.to_status = 'active'
			GROUP BY h.partner_id HAVING min(h.at) >= $2 AND min(h.at) < $3) n`, tenantID, from, to).Scan(&n)
	return n, err
}

// GoalStatus compares the year's new partners with the goal range: below,
// at or over (TargetStatus's words).
func GoalStatus(actual, min, max int) string { return TargetStatus(actual, min, max) }

// NewActive returns the partners that became active for the first time
// within [from, to) (NewActiveCount's partners), by when they did.
func NewActive(ctx context.Context, q db.Querier, tenantID uuid.UUID, from, to time.Time) ([]Partner, error) {
	return queryPartners(ctx, q, `SELECT `+cols+fromPartners+` JOIN (
			SELECT h.partner_id, min(h.at) AS at FROM partner_status_history h
			WHERE h.tenant_id = $1 AND h.to_status = 'active'
			GROUP BY h.partner_id HAVING min(h.at) >= $2 AND min(h.at) < $3
		) n ON n.partner_id = p.id
		WHERE p.tenant_id = $1 ORDER BY n.at, p.id`, tenantID, from, to)
}

// DaysInStage is how many whole days have passed since a partner's last
// status change (0 on the day itself, never negative).
func DaysInStage(now, changed time.Time) int {
	d := int(now.Sub(changed).Hours() / 24)
	if d < 0 {
		return 0
	}
	return d
}
