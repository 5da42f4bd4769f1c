// Package review runs a firm's periodic reviews of its partners: when each
// partner's next review is due (its tier's check-in cadence), scheduling
// one with attendees and an agenda pre-filled from sections, holding it
// (notes, attendance, action items tracked to done, the next review date),
// cancelling it, and the review as an iCalendar file.
//
// The agenda is built from sections; the scorecard step plugs its own in
// through Scorecard. Every write records its audit entry in the caller's
// transaction.
package review

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// Statuses of a review.
const (
	StatusScheduled = "scheduled"
	StatusHeld      = "held"
	StatusCancelled = "cancelled"
)

// StatusLabels are how people name the statuses.
var StatusLabels = map[string]string{
	StatusScheduled: "Scheduled",
	StatusHeld:      "Held",
	StatusCancelled: "Cancelled",
}

// Sides of an attendee or an action item's owner.
const (
	SideFirm    = "firm"
	SidePartner = "partner"
)

// Review is one review of a partner.
type Review struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	PartnerID       uuid.UUID
	PartnerName     string
	Quarter         period.Quarter // the quarter being reviewed
	ScheduledAt     time.Time
	DurationMinutes int
	Location        string // a place or a video link
	Status          string
	Agenda          string // Markdown; the partner sees it
	Notes           string // Markdown; the firm's own
	SharedSummary   string // Markdown; what the partner sees of a held review
	CancelReason    string
	HeldAt          *time.Time
	NextReviewOn    *time.Time // a day (UTC midnight), set when held
	ICSSequence     int
	CreatedBy       *uuid.UUID
	CreatedByName   string
	CreatedByEmail  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Attendees and Actions are loaded by Get (and Attendees by List).
	Attendees []Attendee
	Actions   []Action
}

// EndsAt is when the meeting ends.
func (r Review) EndsAt() time.Time {
	return r.ScheduledAt.Add(time.Duration(r.DurationMinutes) * time.Minute)
}

// Attendee is a person invited to a review, on the firm's or the partner's side.
type Attendee struct {
	ID       uuid.UUID
	Side     string
	Name     string
	Email    string // "" when unknown
	Attended *bool  // recorded when the review is held
}

const reviewCols = `r.id, r.tenant_id, r.partner_id, p.name, r.quarter, r.scheduled_at, r.duration_minutes, r.location,
	r.status, r.agenda, r.notes, r.shared_summary, r.cancel_reason, r.held_at, r.next_review_on, r.ics_sequence,
	r.created_by, coalesce(u.name, ''), coalesce(u.email, ''), r.created_at, r.updated_at
	FROM partner_reviews r
	JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id
	LEFT JOIN users u ON u.id = r.created_by `

func scanReview(row pgx.Row) (Review, error) {
	var r Review
	var quarter string
	err := row.Scan(&r.ID, &r.TenantID, &r.PartnerID, &r.PartnerName, &quarter, &r.ScheduledAt, &r.DurationMinutes, &r.Location,
		&r.Status, &r.Agenda, &r.Notes, &r.SharedSummary, &r.CancelReason, &r.HeldAt, &r.NextReviewOn, &r.ICSSequence,
		&r.CreatedBy, &r.CreatedByName, &r.CreatedByEmail, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return r, err
	}
	r.Quarter, err = period.ParseQuarter(quarter)
	return r, err
}

func queryReviews(ctx context.Context, q db.Querier, sql string, args ...any) ([]Review, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Review, error) { return scanReview(row) })
}

// Get returns one review of the partner with its attendees and action
// items; ENotFound for another partner's or another firm's review.
func Get(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) (Review, error) {
	r, err := scanReview(q.QueryRow(ctx, `SELECT `+reviewCols+`WHERE r.tenant_id = $1 AND r.partner_id = $2 AND r.id = $3`,
		tenantID, partnerID, id))
	if db.IsNoRows(err) {
		return r, apperr.NotFound("Review")
	}
	if err != nil {
		return r, err
	}
	as, err := attendeesOf(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return r, err
	}
	for _, a := range as {
		r.Attendees = append(r.Attendees, a.Attendee)
	}
	r.Actions, err = listActions(ctx, q, `a.tenant_id = $1 AND a.partner_id = $2 AND a.review_id = $3`,
		`a.created_at, a.id`, tenantID, partnerID, id)
	return r, err
}

// lock reads a review for update (its status decides what may change).
func lock(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) (Review, error) {
	r, err := scanReview(q.QueryRow(ctx, `SELECT `+reviewCols+`WHERE r.tenant_id = $1 AND r.partner_id = $2 AND r.id = $3
		FOR UPDATE OF r`, tenantID, partnerID, id))
	if db.IsNoRows(err) {
		return r, apperr.NotFound("Review")
	}
	return r, err
}

// List returns a partner's reviews, newest first, with their attendees.
// In the portal (RLS) it is the partner's own.
func List(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Review, error) {
	rs, err := queryReviews(ctx, q, `SELECT `+reviewCols+`WHERE r.tenant_id = $1 AND r.partner_id = $2
		ORDER BY r.scheduled_at DESC, r.id LIMIT 500`, tenantID, partnerID)
	if err != nil || len(rs) == 0 {
		return rs, err
	}
	as, err := attendeesOf(ctx, q, tenantID, partnerID, uuid.Nil)
	if err != nil {
		return nil, err
	}
	byReview := map[uuid.UUID][]Attendee{}
	for _, a := range as {
		byReview[a.reviewID] = append(byReview[a.reviewID], a.Attendee)
	}
	for i := range rs {
		rs[i].Attendees = byReview[rs[i].ID]
	}
	return rs, nil
}

// Upcoming returns the firm's scheduled reviews, earliest first (those
// whose time has passed without being recorded as held come first).
func Upcoming(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]Review, error) {
	return queryReviews(ctx, q, `SELECT `+reviewCols+`WHERE r.tenant_id = $1 AND r.status = 'scheduled'
		ORDER BY r.scheduled_at, r.id LIMIT $2`, tenantID, limit)
}

type reviewAttendee struct {
	Attendee
	reviewID uuid.UUID
}

// attendeesOf loads the attendees of one review, or of all the partner's
// reviews when reviewID is Nil; the firm's side first, by name.
func attendeesOf(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID uuid.UUID) ([]reviewAttendee, error) {
	rows, err := q.Query(ctx, `SELECT a.id, a.review_id, a.side, a.name, coalesce(a.email, ''), a.attended
		FROM review_attendees a
		WHERE a.tenant_id = $1 AND a.partner_id = $2 AND ($3::uuid IS NULL OR a.review_id = $3)
		ORDER BY a.side, lower(a.name), a.id`, tenantID, partnerID, nullID(reviewID))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (reviewAttendee, error) {
		var a reviewAttendee
		err := row.Scan(&a.ID, &a.reviewID, &a.Side, &a.Name, &a.Email, &a.Attended)
		return a, err
	})
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// partnerLive refuses a write for a partner whose partnership has ended.
func partnerLive(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) error {
	var status string
	err := q.QueryRow(ctx, `SELECT status FROM partners WHERE tenant_id = $1 AND id = $2`, tenantID, partnerID).Scan(&status)
	if db.IsNoRows(err) {
		return apperr.NotFound("Partner")
	}
	if err != nil {
		return err
	}
	if status == "ended" {
		return apperr.Errorf(apperr.EConflict, "The partnership has ended: there is nothing to review.")
	}
	return nil
}

// Create schedules a review of the partner (any partner whose partnership
// hasn't ended) with its attendees, and audits it (review.scheduled).
func Create(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, s Schedule, createdBy uuid.UUID) (Review, error) {
	if err := partnerLive(ctx, q, tenantID, partnerID); err != nil {
		return Review{}, err
	}
	var id uuid.UUID
	if err := q.QueryRow(ctx, `INSERT INTO partner_reviews (tenant_id, partner_id, quarter, scheduled_at, duration_minutes,
			location, agenda, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tenantID, partnerID, s.Quarter.String(), s.StartsAt, s.DurationMinutes, s.Location, s.Agenda, nullID(createdBy)).Scan(&id); err != nil {
		return Review{}, err
	}
	if err := insertAttendees(ctx, q, tenantID, partnerID, id, s.Attendees); err != nil {
		return Review{}, err
	}
	if err := audit.Record(ctx, q, tenantID, "review.scheduled", "partner_review", id.String(), map[string]any{
		"partner_id": partnerID, "quarter": s.Quarter.String(), "scheduled_at": s.StartsAt.UTC(),
		"duration_minutes": s.DurationMinutes, "attendees": len(s.Attendees)}); err != nil {
		return Review{}, err
	}
	return Get(ctx, q, tenantID, partnerID, id)
}

func insertAttendees(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID uuid.UUID, as []AttendeeInput) error {
	for _, a := range as {
		var email *string
		if a.Email != "" {
			email = &a.Email
		}
		if _, err := q.Exec(ctx, `INSERT INTO review_attendees (tenant_id, review_id, partner_id, side, name, email)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, reviewID, partnerID, a.Side, a.Name, email); err != nil {
			return err
		}
	}
	return nil
}

// Update changes a scheduled review: time, length, place, quarter, agenda
// and attendees (replaced). A new time, length or place is a reschedule:
// the calendar file's SEQUENCE goes up so calendars take the change.
// EConflict once the review is held or cancelled.
func Update(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID, s Schedule) (r Review, rescheduled bool, err error) {
	old, err := lock(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return old, false, err
	}
	if old.Status != StatusScheduled {
		return old, false, apperr.Errorf(apperr.EConflict, "This review is %s: it can't be changed any more.", strings.ToLower(StatusLabels[old.Status]))
	}
	rescheduled = !old.ScheduledAt.Equal(s.StartsAt) || old.DurationMinutes != s.DurationMinutes || old.Location != s.Location
	bump := 0
	if rescheduled {
		bump = 1
	}
	if _, err = q.Exec(ctx, `UPDATE partner_reviews SET quarter = $4, scheduled_at = $5, duration_minutes = $6, location = $7,
			agenda = $8, ics_sequence = ics_sequence + $9, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`,
		tenantID, partnerID, id, s.Quarter.String(), s.StartsAt, s.DurationMinutes, s.Location, s.Agenda, bump); err != nil {
		return old, false, err
	}
	if _, err = q.Exec(ctx, `DELETE FROM review_attendees WHERE tenant_id = $1 AND review_id = $2`, tenantID, id); err != nil {
		return old, false, err
	}
	if err = insertAttendees(ctx, q, tenantID, partnerID, id, s.Attendees); err != nil {
		return old, false, err
	}
	detail := map[string]any{"partner_id": partnerID, "quarter": s.Quarter.String(), "rescheduled": rescheduled,
		"attendees": len(s.Attendees)}
	if rescheduled {
		detail["from"] = old.ScheduledAt.UTC()
		detail["to"] = s.StartsAt.UTC()
	}
	if err = audit.Record(ctx, q, tenantID, "review.updated", "partner_review", id.String(), detail); err != nil {
		return old, false, err
	}
	r, err = Get(ctx, q, tenantID, partnerID, id)
	return r, rescheduled, err
}

// Hold records a review as held — or, for a review already held, saves
// its record again: when it was held, the notes, what the partner sees,
// who attended and the next review date. Audited as review.held the first
// time, review.record_updated after. EConflict for a cancelled review.
func Hold(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID, h HoldInput, loc *time.Location) (Review, error) {
	old, err := lock(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return old, err
	}
	if old.Status == StatusCancelled {
		return old, apperr.Errorf(apperr.EConflict, "This review was cancelled: schedule a new one instead.")
	}
	if loc == nil {
		loc = time.UTC
	}
	// Held on the day given, at the time of day it was scheduled for.
	local := old.ScheduledAt.In(loc)
	heldAt := time.Date(h.HeldOn.Year(), h.HeldOn.Month(), h.HeldOn.Day(), local.Hour(), local.Minute(), 0, 0, loc)
	if _, err := q.Exec(ctx, `UPDATE partner_reviews SET status = 'held', held_at = $4, notes = $5, shared_summary = $6,
			next_review_on = $7, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`,
		tenantID, partnerID, id, heldAt, h.Notes, h.SharedSummary, h.NextReviewOn); err != nil {
		return old, err
	}
	if _, err := q.Exec(ctx, `UPDATE review_attendees SET attended = (id = ANY($3::uuid[]))
		WHERE tenant_id = $1 AND review_id = $2`, tenantID, id, h.Attended); err != nil {
		return old, err
	}
	action := "review.held"
	if old.Status == StatusHeld {
		action = "review.record_updated"
	}
	if err := audit.Record(ctx, q, tenantID, action, "partner_review", id.String(), map[string]any{
		"partner_id": partnerID, "held_on": h.HeldOn.Format(time.DateOnly), "next_review_on": h.NextReviewOn.Format(time.DateOnly),
		"attended": len(h.Attended)}); err != nil {
		return old, err
	}
	return Get(ctx, q, tenantID, partnerID, id)
}

// Cancel calls off a scheduled review with a reason (required); the
// calendar file then says so (STATUS:CANCELLED, SEQUENCE up). EConflict
// for a review already held or cancelled.
func Cancel(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID, reason string) (Review, error) {
	reason = oneLine(reason)
	switch {
	case reason == "":
		return Review{}, apperr.Invalid(map[string]string{"reason": "Say why the review is cancelled."})
	case len([]rune(reason)) > 1000:
		return Review{}, apperr.Invalid(map[string]string{"reason": "Keep the reason under 1,000 characters."})
	}
	old, err := lock(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return old, err
	}
	if old.Status != StatusScheduled {
		return old, apperr.Errorf(apperr.EConflict, "This review is %s: only a scheduled review can be cancelled.", strings.ToLower(StatusLabels[old.Status]))
	}
	if _, err := q.Exec(ctx, `UPDATE partner_reviews SET status = 'cancelled', cancel_reason = $4, ics_sequence = ics_sequence + 1,
			updated_at = now() WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, id, reason); err != nil {
		return old, err
	}
	if err := audit.Record(ctx, q, tenantID, "review.cancelled", "partner_review", id.String(), map[string]any{
		"partner_id": partnerID, "reason": reason, "scheduled_at": old.ScheduledAt.UTC()}); err != nil {
		return old, err
	}
	return Get(ctx, q, tenantID, partnerID, id)
}

// CadenceDays is the partner's tier's check-in cadence; 0 without a tier.
func CadenceDays(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (int, error) {
	var days int
	err := q.QueryRow(ctx, `SELECT coalesce(t.checkin_cadence_days, 0) FROM partners p
		LEFT JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id
		WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, partnerID).Scan(&days)
	if db.IsNoRows(err) {
		return 0, apperr.NotFound("Partner")
	}
	return days, err
}
