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
	"github.com/allyway/allyway/internal/tenant"
)

// Action is an action item agreed at a review, owned by someone on our side
// (a staff member) or the partner's, tracked to done.
type Action struct {
	ID          uuid.UUID
	ReviewID    uuid.UUID
	PartnerID   uuid.UUID
	Title       string
	OwnerSide   string
	OwnerUserID *uuid.UUID
	OwnerName   string
	DueOn       *time.Time // a day
	DoneAt      *time.Time
	CreatedAt   time.Time
	// The review it came from.
	ReviewQuarter period.Quarter
	ReviewAt      time.Time
}

// Done reports whether the item is done.
func (a Action) Done() bool { return a.DoneAt != nil }

// Overdue reports whether an open item is past its due day on today.
func (a Action) Overdue(today time.Time) bool {
	return a.DoneAt == nil && a.DueOn != nil && a.DueOn.Before(today)
}

// ActionForm is an action item as typed. Owner is "user:<id>" for a staff
// member or "partner:<name>" for someone at the partner; OwnerOther names
// someone else at the partner instead.
type ActionForm struct {
	Title      string
	Owner      string
	OwnerOther string
	DueOn      string // yyyy-mm-dd or ""
}

// ActionInput is a checked ActionForm.
type ActionInput struct {
	Title       string
	OwnerSide   string
	OwnerUserID *uuid.UUID
	OwnerName   string
	DueOn       *time.Time
}

// ResolveAction checks the form; a staff owner must be on the firm's
// staff. EInvalid with messages keyed by the form's names.
func ResolveAction(ctx context.Context, q db.Querier, tenantID uuid.UUID, f ActionForm) (ActionInput, error) {
	errs := map[string]string{}
	in := ActionInput{Title: oneLine(f.Title)}
	switch n := len([]rune(in.Title)); {
	case n == 0:
		errs["title"] = "Say what is to be done."
	case n > 500:
		errs["title"] = "Keep it under 500 characters."
	}
	other := oneLine(f.OwnerOther)
	owner := strings.TrimSpace(f.Owner)
	switch {
	case other != "":
		in.OwnerSide, in.OwnerName = SidePartner, other
	case strings.HasPrefix(owner, "user:"):
		id, err := uuid.Parse(strings.TrimPrefix(owner, "user:"))
		if err != nil {
			errs["owner"] = "Choose who owns it."
			break
		}
		staff, err := tenant.ListStaff(ctx, q, tenantID)
		if err != nil {
			return in, err
		}
		for _, m := range staff {
			if m.UserID == id {
				in.OwnerSide, in.OwnerUserID, in.OwnerName = SideFirm, &m.UserID, orEmail(m.Name, m.Email)
			}
		}
		if in.OwnerUserID == nil {
			errs["owner"] = "Choose who owns it."
		}
	case strings.HasPrefix(owner, "partner:") && oneLine(strings.TrimPrefix(owner, "partner:")) != "":
		in.OwnerSide, in.OwnerName = SidePartner, oneLine(strings.TrimPrefix(owner, "partner:"))
	default:
		errs["owner"] = "Choose who owns it, or name someone at the partner."
	}
	if len([]rune(in.OwnerName)) > maxName {
		errs["owner_other"] = "Keep the name under 200 characters."
	}
	if due := strings.TrimSpace(f.DueOn); due != "" {
		d, err := time.Parse(time.DateOnly, due)
		if err != nil || d.Year() < 2000 || d.Year() > 2200 {
			errs["due_on"] = "Enter a date like 2026-12-31, or leave it empty."
		} else {
			in.DueOn = &d
		}
	}
	if len(errs) > 0 {
		return in, apperr.Invalid(errs)
	}
	return in, nil
}

const actionCols = `a.id, a.review_id, a.partner_id, a.title, a.owner_side, a.owner_user_id, a.owner_name, a.due_on, a.done_at,
	a.created_at, r.quarter, r.scheduled_at
	FROM review_actions a JOIN partner_reviews r ON r.tenant_id = a.tenant_id AND r.id = a.review_id `

func listActions(ctx context.Context, q db.Querier, where, order string, args ...any) ([]Action, error) {
	rows, err := q.Query(ctx, `SELECT `+actionCols+`WHERE `+where+` ORDER BY `+order+` LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Action, error) { return scanAction(row) })
}

func scanAction(row pgx.Row) (Action, error) {
	var a Action
	var quarter string
	err := row.Scan(&a.ID, &a.ReviewID, &a.PartnerID, &a.Title, &a.OwnerSide, &a.OwnerUserID, &a.OwnerName, &a.DueOn, &a.DoneAt,
		&a.CreatedAt, &quarter, &a.ReviewAt)
	if err != nil {
		return a, err
	}
	a.ReviewQuarter, err = period.ParseQuarter(quarter)
	return a, err
}

// OpenActions returns the partner's open action items across its reviews,
// earliest due first (undated last).
func OpenActions(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Action, error) {
	return listActions(ctx, q, `a.tenant_id = $1 AND a.partner_id = $2 AND a.done_at IS NULL`,
		`a.due_on NULLS LAST, a.created_at, a.id`, tenantID, partnerID)
}

// PartnerActions returns the items the partner's side owns: the open ones
// first (earliest due first), then the done ones, newest first.
func PartnerActions(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Action, error) {
	return listActions(ctx, q, `a.tenant_id = $1 AND a.partner_id = $2 AND a.owner_side = 'partner'`,
		`a.done_at IS NOT NULL, CASE WHEN a.done_at IS NULL THEN a.due_on END NULLS LAST, a.done_at DESC, a.created_at, a.id`, tenantID, partnerID)
}

// GetAction reads one action item of the review, locked for update;
// ENotFound for another review's item.
func GetAction(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID, id uuid.UUID) (Action, error) {
	a, err := scanAction(q.QueryRow(ctx, `SELECT `+actionCols+`WHERE a.tenant_id = $1 AND a.partner_id = $2
		AND a.review_id = $3 AND a.id = $4 FOR UPDATE OF a`, tenantID, partnerID, reviewID, id))
	if db.IsNoRows(err) {
		return a, apperr.NotFound("Action item")
	}
	return a, err
}

// reviewOpenForActions refuses items on a cancelled review.
func reviewOpenForActions(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID uuid.UUID) error {
	var status string
	err := q.QueryRow(ctx, `SELECT status FROM partner_reviews WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`,
		tenantID, partnerID, reviewID).Scan(&status)
	if db.IsNoRows(err) {
		return apperr.NotFound("Review")
	}
	if err != nil {
		return err
	}
	if status == StatusCancelled {
		return apperr.Errorf(apperr.EConflict, "This review was cancelled: add action items to another one.")
	}
	return nil
}

// AddAction adds an item to a scheduled or held review (audited as
// review.action_added). EConflict for a cancelled review.
func AddAction(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID uuid.UUID, in ActionInput) (Action, error) {
	if err := reviewOpenForActions(ctx, q, tenantID, partnerID, reviewID); err != nil {
		return Action{}, err
	}
	var id uuid.UUID
	if err := q.QueryRow(ctx, `INSERT INTO review_actions (tenant_id, review_id, partner_id, title, owner_side, owner_user_id,
			owner_name, due_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tenantID, reviewID, partnerID, in.Title, in.OwnerSide, in.OwnerUserID, in.OwnerName, in.DueOn).Scan(&id); err != nil {
		return Action{}, err
	}
	if err := audit.Record(ctx, q, tenantID, "review.action_added", "review_action", id.String(), map[string]any{
		"review_id": reviewID, "partner_id": partnerID, "title": in.Title, "owner": in.OwnerName, "owner_side": in.OwnerSide,
		"due_on": dayText(in.DueOn)}); err != nil {
		return Action{}, err
	}
	return GetAction(ctx, q, tenantID, partnerID, reviewID, id)
}

// UpdateAction changes an item's title, owner and due day
// (review.action_updated).
func UpdateAction(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID, id uuid.UUID, in ActionInput) (Action, error) {
	old, err := GetAction(ctx, q, tenantID, partnerID, reviewID, id)
	if err != nil {
		return old, err
	}
	if _, err := q.Exec(ctx, `UPDATE review_actions SET title = $4, owner_side = $5, owner_user_id = $6, owner_name = $7, due_on = $8
		WHERE tenant_id = $1 AND review_id = $2 AND id = $3`,
		tenantID, reviewID, id, in.Title, in.OwnerSide, in.OwnerUserID, in.OwnerName, in.DueOn); err != nil {
		return old, err
	}
	if err := audit.Record(ctx, q, tenantID, "review.action_updated", "review_action", id.String(), map[string]any{
		"review_id": reviewID, "partner_id": partnerID, "title": in.Title, "owner": in.OwnerName, "owner_side": in.OwnerSide,
		"due_on": dayText(in.DueOn), "was": map[string]any{"title": old.Title, "owner": old.OwnerName, "due_on": dayText(old.DueOn)}}); err != nil {
		return old, err
	}
	return GetAction(ctx, q, tenantID, partnerID, reviewID, id)
}

// SetDone marks an item done (at now) or open again (review.action_done,
// review.action_reopened); doing what is already so changes nothing.
func SetDone(ctx context.Context, q db.Querier, tenantID, partnerID, reviewID, id uuid.UUID, done bool, now time.Time) (Action, error) {
	a, err := GetAction(ctx, q, tenantID, partnerID, reviewID, id)
	if err != nil || a.Done() == done {
		return a, err
	}
	var at *time.Time
	action := "review.action_reopened"
	if done {
		at, action = &now, "review.action_done"
	}
	if _, err := q.Exec(ctx, `UPDATE review_actions SET done_at = $4 WHERE tenant_id = $1 AND review_id = $2 AND id = $3`,
		tenantID, reviewID, id, at); err != nil {
		return a, err
	}
	if err := audit.Record(ctx, q, tenantID, action, "review_action", id.String(), map[string]any{
		"review_id": reviewID, "partner_id": partnerID, "title": a.Title}); err != nil {
		return a, err
	}
	return GetAction(ctx, q, tenantID, partnerID, reviewID, id)
}

func dayText(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}
