package partner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// The lifecycle of a partnership. The allowed moves:
//
//	from        → to
//	prospect    → qualifying, ended
//	qualifying  → onboarding (qualified), prospect (back to the pool), ended (rejected)
//	onboarding  → active, ended
//	active      → paused, inactive, ended
//	paused      → active, inactive, ended
//	inactive    → active, ended
//	ended       → nothing: ending is final (add the firm again to start over)
//
// A move to paused, inactive or ended needs a reason.
var moves = map[string][]string{
	"prospect":   {"qualifying", "ended"},
	"qualifying": {"onboarding", "prospect", "ended"},
	"onboarding": {"active", "ended"},
	"active":     {"paused", "inactive", "ended"},
	"paused":     {"active", "inactive", "ended"},
	"inactive":   {"active", "ended"},
	"ended":      {},
}

// StatusLabels are how people name the lifecycle states.
var StatusLabels = map[string]string{
	"prospect":   "Prospect",
	"qualifying": "Qualifying",
	"onboarding": "Onboarding",
	"active":     "Active",
	"paused":     "Paused",
	"inactive":   "Inactive",
	"ended":      "Ended",
}

// CanMove reports whether a partner may move from one status to another.
func CanMove(from, to string) bool {
	return slices.Contains(moves[from], to)
}

// Moves returns the statuses a partner in from may move to, in lifecycle
// order (none for an unknown or final status).
func Moves(from string) []string {
	out := []string{}
	for _, s := range Statuses {
		if CanMove(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// ReasonRequired reports whether a move to status needs a reason.
func ReasonRequired(to string) bool {
	return to == "paused" || to == "inactive" || to == "ended"
}

// article is "a" or "an" before a status word.
func article(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an"
	}
	return "a"
}

// MoveMessage says why a move is not allowed ("" when it is).
func MoveMessage(from, to string) string {
	switch {
	case !slices.Contains(Statuses, to):
		return "Choose one of: " + strings.Join(Statuses, ", ") + "."
	case CanMove(from, to):
		return ""
	case from == to:
		return fmt.Sprintf("The partner is already %s.", to)
	case from == "ended":
		return "An ended partnership is final: add the firm again to start over."
	case from == "prospect":
		return fmt.Sprintf("A prospect can't go straight to %s: qualify it first.", to)
	case from == "qualifying":
		return fmt.Sprintf("A partner being qualified can't go straight to %s: qualify it and onboard it first.", to)
	case from == "onboarding":
		return "A partner being onboarded can only become active or end."
	default:
		return fmt.Sprintf("%s %s partner can't move to %s; it can move to: %s.",
			strings.ToUpper(article(from)[:1])+article(from)[1:], from, to, strings.Join(Moves(from), ", "))
	}
}

// StatusChange is one line of a partner's lifecycle history.
type StatusChange struct {
	ID          uuid.UUID
	PartnerID   uuid.UUID
	From        string // "" for the creation
	To          string
	Reason      string
	ActorUserID *uuid.UUID
	ActorName   string // "" when made by an API token, the system or a person since removed
	At          time.Time
}

// recordStatus appends a history line.
func recordStatus(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, from, to, reason string, actorID uuid.UUID) (StatusChange, error) {
	var fromArg *string
	if from != "" {
		fromArg = &from
	}
	var actor *uuid.UUID
	if actorID != uuid.Nil {
		actor = &actorID
	}
	c := StatusChange{PartnerID: partnerID, From: from, To: to, Reason: reason, ActorUserID: actor}
	err := q.QueryRow(ctx, `WITH h AS (
			INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, reason, actor_user_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, at, actor_user_id)
		SELECT h.id, h.at, coalesce(u.name, '') FROM h LEFT JOIN users u ON u.id = h.actor_user_id`,
		tenantID, partnerID, fromArg, to, reason, actor).Scan(&c.ID, &c.At, &c.ActorName)
	return c, err
}

// MoveStatus moves a partner through the lifecycle: it checks the move
// against the table above (EInvalid on field "status" with a message that
// says why not; on "reason" when one is needed and missing), updates the
// partner and appends the history line it returns. The partner row is
// locked, so two concurrent moves can't both start from the same status.
// actorID is uuid.Nil for an API token or the system.
func MoveStatus(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, to, reason string, actorID uuid.UUID) (StatusChange, error) {
	to = strings.TrimSpace(to)
	reason = strings.TrimSpace(reason)
	var from string
	err := q.QueryRow(ctx, `SELECT status FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, partnerID).Scan(&from)
	if db.IsNoRows(err) {
		return StatusChange{}, apperr.NotFound("Partner")
	}
	if err != nil {
		return StatusChange{}, err
	}
	if msg := MoveMessage(from, to); msg != "" {
		return StatusChange{}, &apperr.Error{Code: apperr.EInvalid, Message: msg, Fields: map[string]string{"status": msg}}
	}
	switch {
	case reason == "" && ReasonRequired(to):
		msg := fmt.Sprintf("Say why the partner becomes %s.", to)
		return StatusChange{}, &apperr.Error{Code: apperr.EInvalid, Message: msg, Fields: map[string]string{"reason": msg}}
	case len(reason) > 1000:
		return StatusChange{}, apperr.Invalid(map[string]string{"reason": "Keep the reason under 1,000 characters."})
	}
	if _, err := q.Exec(ctx, `UPDATE partners SET status = $3, status_changed_at = now(), updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, partnerID, to); err != nil {
		return StatusChange{}, err
	}
	return recordStatus(ctx, q, tenantID, partnerID, from, to, reason, actorID)
}

// History returns a partner's lifecycle history, newest first.
func History(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]StatusChange, error) {
	rows, err := q.Query(ctx, `SELECT h.id, h.partner_id, coalesce(h.from_status, ''), h.to_status, h.reason,
			h.actor_user_id, coalesce(u.name, ''), h.at
		FROM partner_status_history h LEFT JOIN users u ON u.id = h.actor_user_id
		WHERE h.tenant_id = $1 AND h.partner_id = $2
		ORDER BY h.at DESC, h.from_status IS NULL, h.id`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StatusChange{}
	for rows.Next() {
		var c StatusChange
		if err := rows.Scan(&c.ID, &c.PartnerID, &c.From, &c.To, &c.Reason, &c.ActorUserID, &c.ActorName, &c.At); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
