package onboarding

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/partner"
)

// ActivationReason is the lifecycle history reason when onboarding activates a partner.
const ActivationReason = "Onboarding complete and agreement accepted"

// Readiness says what a partner in onboarding still needs to become active.
type Readiness struct {
	Status          string // the partner's lifecycle status
	Total, Done     int    // checklist items
	ActiveAgreement bool   // the partner has an active (accepted) agreement
	// PendingAgreement is the status of a version being drafted or waiting
	// for the partner ("draft" or "sent"), "" when there is none.
	PendingAgreement string
}

// StepsLeft is the number of checklist items not done yet.
func (r Readiness) StepsLeft() int { return r.Total - r.Done }

// ChecklistComplete reports whether there is a checklist and every item on it is done.
func (r Readiness) ChecklistComplete() bool { return r.Total > 0 && r.Done == r.Total }

// Needs says in words what the partner still needs to become active ("" when
// nothing, or when it isn't in onboarding).
func (r Readiness) Needs() string {
	if r.Status != "onboarding" {
		return ""
	}
	var parts []string
	switch left := r.StepsLeft(); {
	case r.Total == 0:
		parts = append(parts, "an onboarding checklist (start it below)")
	case left == 1:
		parts = append(parts, "1 more step done")
	case left > 1:
		parts = append(parts, strconv.Itoa(left)+" more steps done")
	}
	if !r.ActiveAgreement {
		switch r.PendingAgreement {
		case "sent":
			parts = append(parts, "the partner to accept the agreement sent to them")
		case "draft":
			parts = append(parts, "the draft agreement sent and accepted")
		default:
			parts = append(parts, "an agreement the partner has accepted (none yet)")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "To become active, this partner needs " + strings.Join(parts, " and ") + "."
}

// Ready reports whether a partner in onboarding may become active now.
func (r Readiness) Ready() bool {
	return r.Status == "onboarding" && r.ChecklistComplete() && r.ActiveAgreement
}

// LoadReadiness reads the partner's status, checklist progress and whether it
// has an active agreement (ENotFound for an unknown partner).
func LoadReadiness(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (Readiness, error) {
	var r Readiness
	err := q.QueryRow(ctx, `SELECT p.status,
			(SELECT count(*) FROM partner_onboarding o WHERE o.tenant_id = $1 AND o.partner_id = $2),
			(SELECT count(*) FROM partner_onboarding o WHERE o.tenant_id = $1 AND o.partner_id = $2 AND o.done_at IS NOT NULL),
			EXISTS (SELECT 1 FROM agreements a WHERE a.tenant_id = $1 AND a.partner_id = $2 AND a.status = 'active'),
			coalesce((SELECT a.status FROM agreements a WHERE a.tenant_id = $1 AND a.partner_id = $2
				AND a.status IN ('draft', 'sent') ORDER BY a.version DESC LIMIT 1), '')
		FROM partners p WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, partnerID).
		Scan(&r.Status, &r.Total, &r.Done, &r.ActiveAgreement, &r.PendingAgreement)
	if db.IsNoRows(err) {
		return r, notFound()
	}
	return r, err
}

// MaybeActivate moves a partner from onboarding to active when every item of
// its checklist is done (and there is at least one) and it has an active
// agreement, with the lifecycle history line (reason ActivationReason). It
// reports whether it moved the partner, and records the audit entry
// "partner.status_changed" when it did. Call it in the same
// transaction after a step is completed or an agreement is accepted or
// recorded as signed; actorID is uuid.Nil for the system. The transaction
// must be firm-scoped, not a portal one: portal transactions may not write
// the lifecycle history.
func MaybeActivate(ctx context.Context, q db.Querier, tenantID, partnerID, actorID uuid.UUID) (bool, error) {
	// Lock the partner first so two concurrent completions can't both move it.
	var status, name string
	err := q.QueryRow(ctx, `SELECT status, name FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		tenantID, partnerID).Scan(&status, &name)
	if db.IsNoRows(err) {
		return false, notFound()
	}
	if err != nil {
		return false, err
	}
	if status != "onboarding" {
		return false, nil
	}
	r, err := LoadReadiness(ctx, q, tenantID, partnerID)
	if err != nil {
		return false, err
	}
	if !r.Ready() {
		return false, nil
	}
	if _, err := partner.MoveStatus(ctx, q, tenantID, partnerID, "active", ActivationReason, actorID); err != nil {
		return false, err
	}
	return true, auditActivation(ctx, q, tenantID, partnerID, name)
}

// auditActivation records the audit entry of a move MaybeActivate made.
func auditActivation(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, partnerName string) error {
	return audit.Record(ctx, q, tenantID, "partner.status_changed", "partner", partnerID.String(),
		map[string]any{"name": partnerName, "from": "onboarding", "to": "active", "reason": ActivationReason})
}
