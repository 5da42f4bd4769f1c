package review

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
)

// DefaultCadenceDays is the review cadence of a partner without a tier, and
// the longest a new partner waits for its first review.
const DefaultCadenceDays = 90

// Cadence is the days between reviews for a tier's cadence (0: no tier).
func Cadence(tierDays int) int {
	if tierDays <= 0 {
		return DefaultCadenceDays
	}
	return tierDays
}

// Why a review is due when it is.
const (
	BasisNextSet = "next_set" // the date set when the last review was held
	BasisCadence = "cadence"  // the last review + the cadence
	BasisFirst   = "first"    // the first review after becoming active
)

// DueState is what a partner's next review date depends on. Days are
// calendar days in the firm's zone, at UTC midnight.
type DueState struct {
	CadenceDays  int        // the tier's; 0 without a tier
	ActiveSince  time.Time  // when it (last) became active
	LastHeldOn   *time.Time // the last review held
	NextReviewOn *time.Time // the next review date set at the last review
}

// NextDue says when the partner's next review is due, and why: the date
// set at the last review; without one, the last review + the cadence
// (DefaultCadenceDays without a tier); with no review yet, the first
// review comes within a quarter of becoming active — the cadence, but at
// most DefaultCadenceDays.
func NextDue(s DueState) (time.Time, string) {
	switch {
	case s.LastHeldOn != nil && s.NextReviewOn != nil:
		return *s.NextReviewOn, BasisNextSet
	case s.LastHeldOn != nil:
		return s.LastHeldOn.AddDate(0, 0, Cadence(s.CadenceDays)), BasisCadence
	default:
		return s.ActiveSince.AddDate(0, 0, min(Cadence(s.CadenceDays), DefaultCadenceDays)), BasisFirst
	}
}

// DueItem is an active partner with its next review date.
type DueItem struct {
	PartnerID   uuid.UUID
	PartnerName string
	TierName    string
	DueState
	DueOn time.Time
	Basis string
	// The partner's earliest scheduled review, if any.
	ScheduledID *uuid.UUID
	ScheduledAt *time.Time
}

// Overdue reports whether the review is past due on today (a day).
func (d DueItem) Overdue(today time.Time) bool { return d.DueOn.Before(today) }

// day is t's calendar day in loc, at UTC midnight.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Due returns the next review of each active partner of the firm (or of
// the one partner given; an inactive partner gives none), earliest due
// first. Reviews are for active partners only: a paused partner is not
// expected to meet.
func Due(ctx context.Context, q db.Querier, tenantID uuid.UUID, loc *time.Location, partnerID uuid.UUID) ([]DueItem, error) {
	if loc == nil {
		loc = time.UTC
	}
	// One partner's or all: separate texts (no "$2 IS NULL OR …"), so each
	// keeps a generic plan instead of being planned on every page view.
	filter, args := ``, []any{tenantID}
	if partnerID != uuid.Nil {
		filter, args = ` AND p.id = $2`, append(args, partnerID)
	}
	rows, err := q.Query(ctx, `SELECT p.id, p.name, coalesce(t.name, ''), coalesce(t.checkin_cadence_days, 0), p.status_changed_at,
			lr.held_at, lr.next_review_on, nr.id, nr.scheduled_at
		FROM partners p
		LEFT JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id
		LEFT JOIN LATERAL (SELECT r.held_at, r.next_review_on FROM partner_reviews r
			WHERE r.tenant_id = p.tenant_id AND r.partner_id = p.id AND r.status = 'held'
			ORDER BY r.held_at DESC LIMIT 1) lr ON true
		LEFT JOIN LATERAL (SELECT r.id, r.scheduled_at FROM partner_reviews r
			WHERE r.tenant_id = p.tenant_id AND r.partner_id = p.id AND r.status = 'scheduled'
			ORDER BY r.scheduled_at LIMIT 1) nr ON true
		WHERE p.tenant_id = $1 AND p.status = 'active'`+filter, args...)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (DueItem, error) {
		var d DueItem
		var activeAt time.Time
		var heldAt *time.Time
		err := row.Scan(&d.PartnerID, &d.PartnerName, &d.TierName, &d.CadenceDays, &activeAt, &heldAt, &d.NextReviewOn,
			&d.ScheduledID, &d.ScheduledAt)
		d.ActiveSince = day(activeAt, loc)
		if heldAt != nil {
			h := day(*heldAt, loc)
			d.LastHeldOn = &h
		}
		d.DueOn, d.Basis = NextDue(d.DueState)
		return d, err
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].DueOn.Equal(items[j].DueOn) {
			return items[i].DueOn.Before(items[j].DueOn)
		}
		return strings.ToLower(items[i].PartnerName) < strings.ToLower(items[j].PartnerName)
	})
	return items, nil
}
