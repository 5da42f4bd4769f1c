package referral

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/policy"
)

// TransitionInput is a pipeline move.
type TransitionInput struct {
	To             string
	Reason         string // lost/declined: one of CloseReasons
	NoteForPartner string // shown to the partner and emailed; required for lost/declined
	NoteInternal   string // stays inside the firm
	// Engagement is what a won referral became; required when To == Won.
	Engagement  *EngagementInput
	ActorUserID uuid.UUID // Nil for an API token
	ActorKind   string    // staff, partner (portal), api
}

// Transition moves a referral along the pipeline (see CanMove).
//
// Errors: apperr.Invalid with field "to" for an illegal move (the message
// names the allowed moves) or a profession guardrail not yet recorded;
// "reason" and "note_for_partner" for lost/declined without them;
// "engagement" (or engagement_kind, engagement_name, engagement_scope,
// engagement_value, engagement_started_on) for won; EForbidden when a portal
// actor moves an inbound referral (partners don't move our pipeline; they
// move only outbound referrals sent to them, once accepted); EConflict for
// won while an attribution conflict is open (credit must be decided first).
//
// Guardrails: when the firm's policy pack has law.client_disclosure or
// accounting.fee_disclosure active, the fee disclosure must be recorded
// (RecordGuardrail "fee_disclosed"), and with law.conflicts_check
// "conflicts_cleared", before an inbound referral is accepted (any move out
// of submitted to an open stage) or won.
//
// It stamps the SLA "met" times (any move out of submitted is the first
// response; contacted or later the first contact; meeting or later the
// meeting), closes won/lost/declined, pushes the claim window forward,
// records a "status" event visible to the partner (with the partner note)
// and an internal note, creates the engagement and links the client for
// won, and emails the partner (staff moves: the note, for won the scope when
// Settings.ShareWonScope and the commission to expect under the agreement in
// force, for lost/declined the reason in plain words) or the referral's
// owner (partner moves).
func Transition(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, id uuid.UUID, in TransitionInput) (Referral, error) {
	in.To, in.Reason = strings.TrimSpace(in.To), strings.TrimSpace(in.Reason)
	in.NoteForPartner, in.NoteInternal = strings.TrimSpace(in.NoteForPartner), strings.TrimSpace(in.NoteInternal)
	if in.ActorKind == "" {
		in.ActorKind = "staff"
	}
	if !validActorKind(in.ActorKind) {
		return Referral{}, apperr.Invalid(map[string]string{"actor_kind": "Unknown actor."})
	}
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return r, err
	}
	if in.ActorKind == "partner" {
		if r.Direction != "outbound" {
			return r, apperr.Errorf(apperr.EForbidden,
				"We move the referrals you send us and keep you posted at every step; you can move only the referrals we send you.")
		}
		if r.PartnerAcceptedAt == nil && r.Open() {
			return r, apperr.Invalid(map[string]string{"to": "Accept or decline the referral first."})
		}
	}
	if msg := MoveMessage(r.Status, in.To); msg != "" {
		return r, apperr.Invalid(map[string]string{"to": msg})
	}
	s, err := GetSettings(ctx, tx, tenantID)
	if err != nil {
		return r, err
	}
	now := n.now()
	fe := map[string]string{}
	closing := in.To == Lost || in.To == Declined
	if closing {
		if !ValidCloseReason(in.Reason) {
			fe["reason"] = "Choose why: timing, budget, fit, competitor, no response or other."
		}
		if in.NoteForPartner == "" {
			fe["note_for_partner"] = "Write a note for the partner: what happened, in words they can learn from."
		}
	} else if in.Reason != "" && !ValidCloseReason(in.Reason) {
		fe["reason"] = "Choose why: timing, budget, fit, competitor, no response or other."
	}
	if utf8.RuneCountInString(in.NoteForPartner) > maxLongText {
		fe["note_for_partner"] = "Keep the note under 5000 characters."
	}
	if utf8.RuneCountInString(in.NoteInternal) > maxLongText {
		fe["note_internal"] = "Keep the note under 5000 characters."
	}
	var ev engagementValues
	if in.To == Won {
		if in.Engagement == nil {
			fe["engagement"] = "Record the engagement the referral became (project or retainer, value, start date)."
		} else {
			var efe map[string]string
			ev, efe = validateEngagement(*in.Engagement, r, today(now, s), "engagement_")
			for k, v := range efe {
				fe[k] = v
			}
		}
	}
	if len(fe) > 0 {
		return r, apperr.Invalid(fe)
	}
	accepting := r.Status == Submitted && slices.Contains(OpenStatuses, in.To)
	if r.Direction == "inbound" && (accepting || in.To == Won) {
		if msg, err := guardrailMessage(ctx, tx, tenantID, r, in.To == Won); err != nil {
			return r, err
		} else if msg != "" {
			return r, apperr.Invalid(map[string]string{"to": msg})
		}
	}
	if in.To == Won && r.ConflictStatus == "open" {
		return r, apperr.Errorf(apperr.EConflict, "%s has an open attribution conflict: decide who is credited before marking it won.", r.Ref())
	}

	reached := func(stage string) bool {
		return slices.Index(OpenStatuses, in.To) >= slices.Index(OpenStatuses, stage) || in.To == Won
	}
	var closeReason *string
	if closing {
		closeReason = &in.Reason
	}
	claim := now.Add(time.Duration(s.ClaimWindowDays) * 24 * time.Hour)
	if _, err := tx.Exec(ctx, `UPDATE referrals SET status = $3, status_changed_at = $4, updated_at = $4,
			first_responded_at = coalesce(first_responded_at, $4),
			contacted_at = CASE WHEN $5 THEN coalesce(contacted_at, $4) ELSE contacted_at END,
			meeting_at = CASE WHEN $6 THEN coalesce(meeting_at, $4) ELSE meeting_at END,
			closed_at = CASE WHEN $7 THEN $4 END, close_reason = $8, claim_expires_at = $9
		WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, in.To, now, reached(Contacted), reached(Meeting), IsClosed(in.To), closeReason, claim); err != nil {
		return r, err
	}
	from := r.Status
	r.Status = in.To
	var eng Engagement
	if in.To == Won {
		if err := ensureClient(ctx, tx, tenantID, &r); err != nil {
			return r, err
		}
		if eng, err = insertEngagement(ctx, tx, tenantID, r, ev, in.ActorUserID, in.ActorKind, now); err != nil {
			return r, err
		}
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: now, Actor: in.ActorUserID,
		ActorKind: in.ActorKind, Kind: "status", From: from, To: in.To, Reason: in.Reason, Body: in.NoteForPartner,
		Visible: true}); err != nil {
		return r, err
	}
	if in.NoteInternal != "" && in.ActorKind != "partner" {
		if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: now, Actor: in.ActorUserID,
			ActorKind: in.ActorKind, Kind: "note", Body: in.NoteInternal}); err != nil {
			return r, err
		}
	}
	if err := audit.Record(ctx, tx, tenantID, "referral.status", "referral", id.String(), map[string]any{
		"number": r.Number, "from": from, "to": in.To, "reason": in.Reason, "actor_kind": in.ActorKind}); err != nil {
		return r, err
	}
	r, err = Get(ctx, tx, tenantID, id)
	if err != nil {
		return r, err
	}
	if err := transitionEmails(ctx, tx, n, tenantID, r, s, in, eng); err != nil {
		return r, err
	}
	return r, nil
}

// guardrailMessage says what the firm's profession policy still needs
// before the referral is accepted or won ("" when nothing).
func guardrailMessage(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r Referral, won bool) (string, error) {
	set, err := policy.Load(ctx, tx, tenantID)
	if err != nil {
		return "", err
	}
	var missing []string
	if (set.Active(policy.LawClientDisclosure) || set.Active(policy.AcctFeeDisclosure)) && r.FeeDisclosedAt == nil {
		missing = append(missing, "that the client was told of the referral fee")
	}
	if set.Active(policy.LawConflictsCheck) && r.ConflictsClearedAt == nil {
		missing = append(missing, "that conflicts of interest are cleared")
	}
	if len(missing) == 0 {
		return "", nil
	}
	what := "accepted"
	if won {
		what = "won"
	}
	return fmt.Sprintf("Your firm's %s policy requires recording %s before a referral is %s.",
		strings.ToLower(policy.ProfessionLabels[set.Profession]), strings.Join(missing, " and "), what), nil
}

// transitionEmails tells the partner (staff and API moves) or the owner
// (partner moves) about a status change.
func transitionEmails(ctx context.Context, tx pgx.Tx, n Notifier, tenantID uuid.UUID, r Referral, s Settings, in TransitionInput, eng Engagement) error {
	f, err := loadFirm(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if in.ActorKind == "partner" {
		staff, err := staffRecipients(ctx, tx, tenantID, r.OwnerUserID, r.PartnerID)
		if err != nil {
			return err
		}
		paras := []string{fmt.Sprintf("%s moved %s (%s) to %s.", r.PartnerName, r.ClientCompany, r.Ref(), StatusLabel(r.Status))}
		if r.CloseReason != "" {
			paras = append(paras, "Why: "+ReasonLabel(r.CloseReason)+".")
		}
		paras = append(paras, quote(r.PartnerName+" wrote", in.NoteForPartner))
		return n.send(ctx, tx, staff, f, message{
			Subject: fmt.Sprintf("%s %s: %s (by %s)", r.Ref(), r.ClientCompany, StatusLabel(r.Status), r.PartnerName),
			Paras:   paras, Link: n.staffLink(f, r.ID), Action: "Open the referral"})
	}
	var extra []string
	switch r.Status {
	case Won:
		expected := ""
		if r.Direction == "inbound" {
			set, err := policy.Load(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			if r.AttestClient && set.Active(policy.AcctNoCommissionAttest) {
				expected = "The client is one we perform attest work for, so independence rules mean no commission is paid on this referral."
			} else {
				rules, err := agreementRules(ctx, tx, tenantID, r.AgreementID)
				if err != nil {
					return err
				}
				expected = ExpectedCommission(rules, eng.ValueCents)
			}
		}
		extra = wonWords(eng, s.ShareWonScope, expected)
	case Lost, Declined:
		extra = closedWords(r.CloseReason)
	}
	partners, err := partnerRecipients(ctx, tx, tenantID, r.PartnerID)
	if err != nil {
		return err
	}
	return n.send(ctx, tx, partners, f, statusMessage(r, in.NoteForPartner, extra, n.portalLink(f, r.ID)))
}
