package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/policy"
)

// DateFormat is how dates show in messages.
const DateFormat = "2 Jan 2006"

func record(ctx context.Context, q db.Querier, tenantID uuid.UUID, action string, a Agreement, extra map[string]any) error {
	d := map[string]any{"partner_id": a.PartnerID.String(), "partner": a.PartnerName, "version": a.Version}
	for k, v := range extra {
		d[k] = v
	}
	return audit.Record(ctx, q, tenantID, "agreement."+action, "agreement", a.ID.String(), d)
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// lockPartner serialises changes to one partner's versions (numbering,
// activation) and checks the partner is the firm's.
func lockPartner(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) error {
	var id uuid.UUID
	err := q.QueryRow(ctx, `SELECT id FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, partnerID).Scan(&id)
	if db.IsNoRows(err) {
		return apperr.NotFound("Partner")
	}
	return err
}

// checkStart refuses an effective date that would overlap a version that
// has been in force: a new version must take effect after the current
// active version's effective date (that one then ends the day before), or
// after the last day of an ended (expired, terminated) one.
func checkStart(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, from time.Time, self uuid.UUID) error {
	prev, err := one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2 AND a.id <> $3
			AND a.status IN ('active', 'superseded', 'expired', 'terminated')
		ORDER BY a.version DESC LIMIT 1`, tenantID, partnerID, self)
	if err != nil || prev == nil {
		return err
	}
	from = Day(from)
	switch {
	case (prev.Status == StatusExpired || prev.Status == StatusTerminated) && prev.EffectiveTo != nil:
		if !from.After(*prev.EffectiveTo) {
			return apperr.Invalid(map[string]string{"effective_from": fmt.Sprintf(
				"Version %d was in force until %s; a new version must take effect after that day, so the two don't overlap.",
				prev.Version, prev.EffectiveTo.Format(DateFormat))})
		}
	default:
		if !from.After(prev.EffectiveFrom) {
			return apperr.Invalid(map[string]string{"effective_from": fmt.Sprintf(
				"Version %d takes effect on %s; a new version must take effect after that date (it then ends the day before), so the two don't overlap.",
				prev.Version, prev.EffectiveFrom.Format(DateFormat))})
		}
	}
	return nil
}

func termsJSON(in Input) ([]byte, []byte, error) {
	t, err := json.Marshal(in.Terms)
	if err != nil {
		return nil, nil, err
	}
	r, err := json.Marshal(in.Rules)
	return t, r, err
}

// CreateDraft starts a new draft version for a partner (version = the last
// one + 1), from a template or from the current version's terms ("Change
// terms"). It fails with EInvalid on bad input or an effective date that
// overlaps a version that was in force, EConflict when a version is already
// being drafted or waiting for the partner, ENotFound for another firm's
// partner. It records agreement.drafted.
func CreateDraft(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in Input, by uuid.UUID) (Agreement, error) {
	if err := in.Validate(); err != nil {
		return Agreement{}, err
	}
	if err := lockPartner(ctx, q, tenantID, partnerID); err != nil {
		return Agreement{}, err
	}
	if p, err := Pending(ctx, q, tenantID, partnerID); err != nil {
		return Agreement{}, err
	} else if p != nil {
		what := "being drafted"
		if p.Status == StatusSent {
			what = "waiting for the partner's acceptance"
		}
		return Agreement{}, apperr.Errorf(apperr.EConflict,
			"Version %d is already %s; edit or withdraw it instead of starting another.", p.Version, what)
	}
	if err := checkStart(ctx, q, tenantID, partnerID, in.EffectiveFrom, uuid.Nil); err != nil {
		return Agreement{}, err
	}
	terms, rules, err := termsJSON(in)
	if err != nil {
		return Agreement{}, err
	}
	var id uuid.UUID
	err = q.QueryRow(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, title, template_id,
			effective_from, effective_to, auto_renew, renewal_months, termination_notice_days, payment_trigger, payment_net_days,
			exclusivity, exclusivity_scope, territories, terms, rules, change_note, created_by)
		VALUES ($1, $2, (SELECT coalesce(max(version), 0) + 1 FROM agreements WHERE tenant_id = $1 AND partner_id = $2),
			'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		RETURNING id`, tenantID, partnerID, in.Model, in.Title, in.TemplateID, in.EffectiveFrom, in.End(), in.AutoRenew,
		in.RenewalMonths, in.TerminationNoticeDays, in.PaymentTrigger, in.PaymentNetDays, in.Exclusivity,
		in.ExclusivityScope, in.Territories, terms, rules, in.ChangeNote, nullID(by)).Scan(&id)
	if db.IsUniqueViolation(err, "agreements_one_pending") {
		return Agreement{}, apperr.Errorf(apperr.EConflict, "Another version is already being drafted for this partner.")
	}
	if err != nil {
		return Agreement{}, err
	}
	a, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "drafted", a, map[string]any{"model": a.Model})
}

// UpdateDraft replaces a draft's terms. Only a draft can change: a sent
// version is withdrawn first, an active one changes by a new version
// (EConflict otherwise). EInvalid as CreateDraft. Records agreement.updated.
func UpdateDraft(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in Input) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if err := in.Validate(); err != nil {
		return a, err
	}
	switch a.Status {
	case StatusDraft:
	case StatusSent:
		return a, apperr.Errorf(apperr.EConflict, "Version %d was sent to the partner; withdraw it before changing it.", a.Version)
	default:
		return a, apperr.Errorf(apperr.EConflict, "Version %d is %s and can't change; change the terms to make a new version.",
			a.Version, strings.ToLower(a.Status.Label()))
	}
	if err := checkStart(ctx, q, tenantID, a.PartnerID, in.EffectiveFrom, a.ID); err != nil {
		return a, err
	}
	terms, rules, err := termsJSON(in)
	if err != nil {
		return a, err
	}
	if _, err := q.Exec(ctx, `UPDATE agreements SET model = $3, title = $4, template_id = $5, effective_from = $6,
			effective_to = $7, auto_renew = $8, renewal_months = $9, termination_notice_days = $10, payment_trigger = $11,
			payment_net_days = $12, exclusivity = $13, exclusivity_scope = $14, territories = $15, terms = $16, rules = $17,
			change_note = $18, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, in.Model, in.Title, in.TemplateID, in.EffectiveFrom, in.End(),
		in.AutoRenew, in.RenewalMonths, in.TerminationNoticeDays, in.PaymentTrigger, in.PaymentNetDays, in.Exclusivity,
		in.ExclusivityScope, in.Territories, terms, rules, in.ChangeNote); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "updated", a, nil)
}

// notInState is the EConflict for a move the version's status does not allow.
func notInState(a Agreement, what string) error {
	return apperr.Errorf(apperr.EConflict, "Version %d is %s; it can't be %s.", a.Version, strings.ToLower(a.Status.Label()), what)
}

// Send offers a draft to the partner for acceptance in the portal. It is
// refused (EInvalid with the rule's explanation) when the agreement breaks
// an active rule of the firm's profession policy, or when its effective
// date now overlaps a version in force; EConflict unless it is a draft.
// The caller emails the partner's portal admins (PortalAdmins) in the same
// transaction. Records agreement.sent.
func Send(ctx context.Context, q db.Querier, tenantID, id, by uuid.UUID, now time.Time) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if a.Status != StatusDraft {
		return a, notInState(a, "sent")
	}
	if err := checkReady(ctx, q, tenantID, a); err != nil {
		return a, err
	}
	if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'sent', sent_at = $3, sent_by = $4, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, nullID(by)); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "sent", a, nil)
}

// checkReady: the firm's policy and the dates, before a version leaves draft
// or becomes active.
func checkReady(ctx context.Context, q db.Querier, tenantID uuid.UUID, a Agreement) error {
	set, err := policy.Load(ctx, q, tenantID)
	if err != nil {
		return err
	}
	if err := CheckPolicy(set, a); err != nil {
		return err
	}
	return checkStart(ctx, q, tenantID, a.PartnerID, a.EffectiveFrom, a.ID)
}

// Withdraw takes a sent version back to draft (to change it before the
// partner accepts). EConflict unless it is sent. Records agreement.withdrawn.
func Withdraw(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if a.Status != StatusSent {
		return a, notInState(a, "withdrawn")
	}
	if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'draft', sent_at = NULL, sent_by = NULL, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "withdrawn", a, nil)
}

// Record records a draft or sent version as signed elsewhere (on paper, by
// e-signature): it becomes active with accepted_via "recorded", signedBy
// as the name of who signed for the partner and by as the staff member who
// recorded it. The previous active version is superseded (see Accept).
// EInvalid without a signer's name or when the policy refuses it;
// EConflict unless draft or sent. Records agreement.recorded.
func Record(ctx context.Context, q db.Querier, tenantID, id, by uuid.UUID, signedBy string, now time.Time) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	signedBy = strings.TrimSpace(signedBy)
	if signedBy == "" {
		return a, apperr.Invalid(map[string]string{"signed_by": "Enter who signed the agreement for the partner."})
	}
	if utf8.RuneCountInString(signedBy) > 200 {
		return a, apperr.Invalid(map[string]string{"signed_by": "Keep the name under 200 characters."})
	}
	if a.Status != StatusDraft && a.Status != StatusSent {
		return a, notInState(a, "recorded as signed")
	}
	if err := activate(ctx, q, tenantID, a, by, signedBy, "", "recorded", now); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "recorded", a, map[string]any{"signed_by": signedBy})
}

// Accept records the partner's acceptance in the portal of a sent version:
// the name typed, the time and IP, via "portal". The version becomes active
// and the previous active version is superseded with effective_to = the
// new version's effective_from − 1 day (or its own end, if earlier).
// EInvalid without a name or when the firm's policy now refuses the
// agreement; EConflict with a clear message when it was already accepted,
// declined, withdrawn or superseded meanwhile (nothing is written).
// Records agreement.accepted.
func Accept(ctx context.Context, q db.Querier, tenantID, id, userID uuid.UUID, name, ip string, now time.Time) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if err := acceptable(a); err != nil {
		return a, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return a, apperr.Invalid(map[string]string{"name": "Type your full name to accept the agreement."})
	}
	if utf8.RuneCountInString(name) > 200 {
		return a, apperr.Invalid(map[string]string{"name": "Keep the name under 200 characters."})
	}
	if err := activate(ctx, q, tenantID, a, userID, name, ip, "portal", now); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "accepted", a, map[string]any{"name": name, "ip": ip})
}

// acceptable explains why a version can't be accepted or declined now.
func acceptable(a Agreement) error {
	switch a.Status {
	case StatusSent:
		return nil
	case StatusActive:
		by := a.AcceptedName
		if by == "" {
			by = "the partner"
		}
		when := ""
		if a.AcceptedAt != nil {
			when = " on " + a.AcceptedAt.UTC().Format(DateFormat)
		}
		return apperr.Errorf(apperr.EConflict, "Version %d was already accepted%s by %s.", a.Version, when, by)
	case StatusDeclined:
		return apperr.Errorf(apperr.EConflict, "Version %d was declined; it can no longer be accepted.", a.Version)
	case StatusDraft:
		return apperr.Errorf(apperr.EConflict,
			"The firm withdrew version %d to change it; it can be accepted once it is sent again.", a.Version)
	case StatusSuperseded:
		return apperr.Errorf(apperr.EConflict, "Version %d was superseded by a newer version; it can no longer be accepted.", a.Version)
	default:
		return apperr.Errorf(apperr.EConflict, "Version %d is %s; it can no longer be accepted.", a.Version, strings.ToLower(a.Status.Label()))
	}
}

// activate makes a (locked) draft or sent version the partner's active one.
func activate(ctx context.Context, q db.Querier, tenantID uuid.UUID, a Agreement, by uuid.UUID, name, ip, via string, now time.Time) error {
	if err := lockPartner(ctx, q, tenantID, a.PartnerID); err != nil {
		return err
	}
	if err := checkReady(ctx, q, tenantID, a); err != nil {
		return err
	}
	cur, err := Current(ctx, q, tenantID, a.PartnerID)
	if err != nil {
		return err
	}
	if cur != nil {
		end := a.EffectiveFrom.AddDate(0, 0, -1)
		if cur.EffectiveTo != nil && cur.EffectiveTo.Before(end) {
			end = *cur.EffectiveTo
		}
		if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'superseded', effective_to = $3, ended_at = $4,
				ended_reason = $5, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, cur.ID, end, now,
			fmt.Sprintf("Superseded by version %d.", a.Version)); err != nil {
			return err
		}
		if err := record(ctx, q, tenantID, "superseded", *cur, map[string]any{"by_version": a.Version,
			"effective_to": end.Format(time.DateOnly)}); err != nil {
			return err
		}
	}
	var ipv *string
	if ip != "" {
		ipv = &ip
	}
	_, err = q.Exec(ctx, `UPDATE agreements SET status = 'active', accepted_at = $3, accepted_by = $4, accepted_name = $5,
			accepted_ip = $6, accepted_via = $7, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, a.ID, now, nullID(by), name, ipv, via)
	return err
}

// Decline records the partner's refusal of a sent version, with a reason
// (required: EInvalid). EConflict as Accept. Staff can then draft a new
// version. Records agreement.declined.
func Decline(ctx context.Context, q db.Querier, tenantID, id, userID uuid.UUID, reason string, now time.Time) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if err := acceptable(a); err != nil {
		return a, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return a, apperr.Invalid(map[string]string{"reason": "Tell the firm why you decline, so they can propose better terms."})
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return a, apperr.Invalid(map[string]string{"reason": "Keep the reason under 2000 characters."})
	}
	if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'declined', declined_at = $3, declined_by = $4,
			declined_reason = $5, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, nullID(userID), reason); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "declined", a, map[string]any{"reason": reason})
}

// Terminate ends the active version on a day (its last day in force) with a
// reason. EInvalid without a reason or with a day before the version took
// effect or after its end; EConflict unless active. Records
// agreement.terminated.
func Terminate(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, on time.Time, reason string, now time.Time) (Agreement, error) {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	if a.Status != StatusActive {
		return a, notInState(a, "terminated")
	}
	errs := map[string]string{}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		errs["reason"] = "Say why the agreement ends."
	} else if utf8.RuneCountInString(reason) > 2000 {
		errs["reason"] = "Keep the reason under 2000 characters."
	}
	on = Day(on)
	switch {
	case on.IsZero() || on.Year() < 2000:
		errs["ended_on"] = "Enter the agreement's last day in force."
	case on.Before(a.EffectiveFrom):
		errs["ended_on"] = fmt.Sprintf("The last day can't be before the version took effect (%s).", a.EffectiveFrom.Format(DateFormat))
	case a.EffectiveTo != nil && on.After(*a.EffectiveTo):
		errs["ended_on"] = fmt.Sprintf("The version already ends on %s.", a.EffectiveTo.Format(DateFormat))
	}
	if len(errs) > 0 {
		return a, apperr.Invalid(errs)
	}
	if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'terminated', effective_to = $3, ended_at = $4,
			ended_reason = $5, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, on, now, reason); err != nil {
		return a, err
	}
	a, err = Get(ctx, q, tenantID, id)
	if err != nil {
		return a, err
	}
	return a, record(ctx, q, tenantID, "terminated", a, map[string]any{"reason": reason, "ended_on": on.Format(time.DateOnly)})
}

// DeleteDraft discards a draft (EConflict for any other status: versions
// that left draft are kept). Records agreement.deleted.
func DeleteDraft(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) error {
	a, err := getForUpdate(ctx, q, tenantID, id)
	if err != nil {
		return err
	}
	if a.Status != StatusDraft {
		return notInState(a, "deleted (only drafts can)")
	}
	if _, err := q.Exec(ctx, `DELETE FROM agreements WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return err
	}
	return record(ctx, q, tenantID, "deleted", a, nil)
}

// MarkExpired ends the firm's active versions whose term ended before today:
// a version without auto-renewal becomes expired (ended_at now); an
// auto-renewing one is extended in place by its renewal months (as many
// times as needed to cover today) — same terms, same version — and its
// renewal reminder is reset so the next end is reminded again. It returns
// how many versions it expired; each change is audited (agreement.expired,
// agreement.renewed).
func MarkExpired(ctx context.Context, q db.Querier, tenantID uuid.UUID, today time.Time) (int, error) {
	t := Day(today)
	due, err := query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.status = 'active'
			AND a.effective_to IS NOT NULL AND a.effective_to < $2::date
		ORDER BY a.effective_to FOR UPDATE OF a`, tenantID, t)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range due {
		if a.AutoRenew {
			end := *a.EffectiveTo
			for end.Before(t) {
				end = AddMonths(end.AddDate(0, 0, 1), a.RenewalMonths).AddDate(0, 0, -1)
			}
			if _, err := q.Exec(ctx, `UPDATE agreements SET effective_to = $3, renewal_reminded_at = NULL, updated_at = now()
				WHERE tenant_id = $1 AND id = $2`, tenantID, a.ID, end); err != nil {
				return n, err
			}
			if err := record(ctx, q, tenantID, "renewed", a, map[string]any{
				"from": a.EffectiveTo.Format(time.DateOnly), "to": end.Format(time.DateOnly)}); err != nil {
				return n, err
			}
			continue
		}
		if _, err := q.Exec(ctx, `UPDATE agreements SET status = 'expired', ended_at = now(), ended_reason = $3, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, a.ID,
			"The term ended on "+a.EffectiveTo.Format(DateFormat)+"."); err != nil {
			return n, err
		}
		if err := record(ctx, q, tenantID, "expired", a, nil); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Recipient is someone to email about an agreement.
type Recipient struct {
	UserID uuid.UUID
	Name   string
	Email  string
}

// PortalAdmins returns the partner's portal admins (who can accept), by name.
func PortalAdmins(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Recipient, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.name, u.email FROM portal_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.partner_id = $2 AND m.role = 'partner_admin' AND u.disabled_at IS NULL
		ORDER BY lower(u.name), u.id`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.UserID, &r.Name, &r.Email); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
