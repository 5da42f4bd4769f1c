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
	"github.com/allyway/allyway/internal/db"
)

// EventKinds are the timeline's kinds (the schema's list).
var EventKinds = []string{"submitted", "status", "note", "partner_note", "conflict", "attribution", "sla_reminder",
	"sla_breach", "owner", "fit", "guardrail", "partner_accepted", "partner_declined", "reassigned", "engagement",
	"claim_lapsed"}

// Event is one timeline entry.
type Event struct {
	ID               int64
	At               time.Time
	ActorName        string // "" for the system, an API token or a person since removed
	ActorKind        string // staff, partner, system, api
	Kind             string
	FromStatus       string
	ToStatus         string
	Reason           string
	Body             string
	VisibleToPartner bool
}

// event is a timeline entry to write.
type event struct {
	Referral, Partner uuid.UUID
	At                time.Time
	Actor             uuid.UUID
	ActorKind         string
	Kind              string
	From, To          string
	Reason, Body      string
	Visible           bool
}

func addEvent(ctx context.Context, q db.Querier, tenantID uuid.UUID, e event) error {
	if e.ActorKind == "" {
		e.ActorKind = "system"
	}
	_, err := q.Exec(ctx, `INSERT INTO referral_events (tenant_id, referral_id, partner_id, at, actor_user_id, actor_kind,
		kind, from_status, to_status, reason, body, visible_to_partner)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		tenantID, e.Referral, e.Partner, e.At, ptrID(e.Actor), e.ActorKind, e.Kind, ptrStr(e.From), ptrStr(e.To),
		ptrStr(e.Reason), e.Body, e.Visible)
	return err
}

// Timeline returns a referral's events, oldest first. Under a portal
// transaction only the entries meant for the partner come back (RLS).
func Timeline(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.at, coalesce(u.name, ''), e.actor_kind, e.kind, coalesce(e.from_status, ''),
		coalesce(e.to_status, ''), coalesce(e.reason, ''), e.body, e.visible_to_partner
		FROM referral_events e LEFT JOIN users u ON u.id = e.actor_user_id
		WHERE e.tenant_id = $1 AND e.referral_id = $2 ORDER BY e.at, e.id`, tenantID, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		err := row.Scan(&e.ID, &e.At, &e.ActorName, &e.ActorKind, &e.Kind, &e.FromStatus, &e.ToStatus, &e.Reason,
			&e.Body, &e.VisibleToPartner)
		return e, err
	})
}

// lockReferral loads a referral for update (ENotFound when it is not the
// firm's, or under a portal transaction not the partner's).
func lockReferral(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Referral, error) {
	var locked uuid.UUID
	err := q.QueryRow(ctx, `SELECT id FROM referrals WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&locked)
	if db.IsNoRows(err) {
		return Referral{}, apperr.NotFound("Referral")
	}
	if err != nil {
		return Referral{}, err
	}
	return Get(ctx, q, tenantID, id)
}

func validActorKind(k string) bool { return k == "staff" || k == "partner" || k == "api" }

// AddNote adds a note to a referral's timeline. actorKind is staff, api or
// partner. A staff or API note with forPartner is shown to the partner and
// emailed to its portal users; without it, it is internal. A partner's note
// (portal) is always visible to the partner and is emailed to the owner.
// Field: body.
func AddNote(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, id, actor uuid.UUID, actorKind, body string, forPartner bool) error {
	body = strings.TrimSpace(body)
	switch c := utf8.RuneCountInString(body); {
	case c == 0:
		return apperr.Invalid(map[string]string{"body": "Write the note."})
	case c > maxLongText:
		return apperr.Invalid(map[string]string{"body": "Keep the note under 5000 characters."})
	}
	if !validActorKind(actorKind) {
		return apperr.Invalid(map[string]string{"actor_kind": "Unknown actor."})
	}
	r, err := Get(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	kind := "note"
	if actorKind == "partner" {
		kind, forPartner = "partner_note", true
	} else if forPartner {
		kind = "partner_note"
	}
	now := n.now()
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: now, Actor: actor,
		ActorKind: actorKind, Kind: kind, Body: body, Visible: forPartner}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET updated_at = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, now); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, tenantID, "referral.note", "referral", id.String(),
		map[string]any{"number": r.Number, "for_partner": forPartner, "actor_kind": actorKind}); err != nil {
		return err
	}
	if !forPartner {
		return nil
	}
	f, err := loadFirm(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if actorKind == "partner" {
		staff, err := staffRecipients(ctx, tx, tenantID, r.OwnerUserID, r.PartnerID)
		if err != nil {
			return err
		}
		return n.send(ctx, tx, staff, f, message{
			Subject: fmt.Sprintf("%s %s: a note from %s", r.Ref(), r.ClientCompany, r.PartnerName),
			Paras:   []string{quote(r.PartnerName+" wrote", body)}, Link: n.staffLink(f, id), Action: "Open the referral"})
	}
	partners, err := partnerRecipients(ctx, tx, tenantID, r.PartnerID)
	if err != nil {
		return err
	}
	return n.send(ctx, tx, partners, f, message{
		Subject: fmt.Sprintf("%s %s: a note from %s", r.Ref(), r.ClientCompany, f.Name),
		Paras:   []string{quote(f.Name+" wrote", body)}, Link: n.portalLink(f, id), Action: "See the referral"})
}

// SetOwner records who inside the firm owns the referral and who originated
// it (nil clears). Fields: owner_user_id, originator_user_id (must be on the
// firm's team).
func SetOwner(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, owner, originator *uuid.UUID, actor uuid.UUID) error {
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	fe := map[string]string{}
	if err := checkStaff(ctx, tx, tenantID, fe, "owner_user_id", owner); err != nil {
		return err
	}
	if err := checkStaff(ctx, tx, tenantID, fe, "originator_user_id", originator); err != nil {
		return err
	}
	if len(fe) > 0 {
		return apperr.Invalid(fe)
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET owner_user_id = $3, originator_user_id = $4, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, owner, originator); err != nil {
		return err
	}
	var ownerName, origName string
	if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT name FROM users WHERE id = $1), ''),
		coalesce((SELECT name FROM users WHERE id = $2), '')`, owner, originator).Scan(&ownerName, &origName); err != nil {
		return err
	}
	body := "Owner: " + orNobody(ownerName) + ". Originated by: " + orNobody(origName) + "."
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: time.Now(), Actor: actor,
		ActorKind: "staff", Kind: "owner", Body: body}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, tenantID, "referral.owner", "referral", id.String(),
		map[string]any{"number": r.Number, "owner_user_id": owner, "originator_user_id": originator})
}

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

// Fits are the quality feedback values.
var Fits = []string{"good", "poor"}

// SetFit records whether a closed referral was a good fit, with why (the
// note is required for a poor fit). The partner sees it on its timeline and
// by email. EConflict for an open referral. Fields: fit, fit_note.
func SetFit(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, id uuid.UUID, fit, note string, actor uuid.UUID) error {
	fit, note = strings.TrimSpace(fit), strings.TrimSpace(note)
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	fe := map[string]string{}
	if !slices.Contains(Fits, fit) {
		fe["fit"] = "Choose good fit or poor fit."
	}
	if fit == "poor" && note == "" {
		fe["fit_note"] = "Say why it wasn't a good fit, so the partner can learn from it."
	}
	if utf8.RuneCountInString(note) > maxPromises {
		fe["fit_note"] = "Keep it under 2000 characters."
	}
	if len(fe) > 0 {
		return apperr.Invalid(fe)
	}
	if r.Open() {
		return apperr.Errorf(apperr.EConflict, "Feedback on fit is given once the referral is closed.")
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET fit = $3, fit_note = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
		tenantID, id, fit, note); err != nil {
		return err
	}
	words := "a good fit"
	if fit == "poor" {
		words = "not a good fit"
	}
	now := n.now()
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: now, Actor: actor, ActorKind: "staff",
		Kind: "fit", Reason: fit, Body: strings.TrimSpace("We rated this referral " + words + ". " + note), Visible: true}); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, tenantID, "referral.fit", "referral", id.String(),
		map[string]any{"number": r.Number, "fit": fit}); err != nil {
		return err
	}
	f, err := loadFirm(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	partners, err := partnerRecipients(ctx, tx, tenantID, r.PartnerID)
	if err != nil {
		return err
	}
	return n.send(ctx, tx, partners, f, message{
		Subject: fmt.Sprintf("%s %s: feedback on the referral", r.Ref(), r.ClientCompany),
		Paras: []string{fmt.Sprintf("Looking back on %s (%s), we think it was %s for us.", r.ClientCompany, r.Ref(), words),
			quote("Why", note), "Thank you for the introduction: feedback like this helps us both spot the best opportunities."},
		Link: n.portalLink(f, id), Action: "See the referral"})
}

// Guardrails are the RecordGuardrail values.
var Guardrails = []string{"fee_disclosed", "conflicts_cleared", "attest_client"}

// RecordGuardrail records a profession guardrail on a referral:
// "fee_disclosed" (the client was told of the referral fee) and
// "conflicts_cleared" are stamped once (recording again keeps the first
// time); "attest_client" toggles the attest flag. Field: which.
func RecordGuardrail(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, which string, actor uuid.UUID) error {
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	var body string
	switch which {
	case "fee_disclosed":
		if r.FeeDisclosedAt != nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE referrals SET fee_disclosed_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		body = "The client was told of the referral fee."
	case "conflicts_cleared":
		if r.ConflictsClearedAt != nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE referrals SET conflicts_cleared_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		body = "Conflicts of interest were checked and cleared."
	case "attest_client":
		_, err = tx.Exec(ctx, `UPDATE referrals SET attest_client = NOT attest_client, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		body = "Marked as an attest client: no commission is paid on it."
		if r.AttestClient {
			body = "No longer marked as an attest client."
		}
	default:
		return apperr.Invalid(map[string]string{"which": "Choose fee_disclosed, conflicts_cleared or attest_client."})
	}
	if err != nil {
		return err
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: time.Now(), Actor: actor,
		ActorKind: "staff", Kind: "guardrail", Reason: which, Body: body}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, tenantID, "referral.guardrail", "referral", id.String(),
		map[string]any{"number": r.Number, "which": which})
}

// SetAssists replaces the partners that assisted a referral (influence, no
// fee unless an agreement says so). The sourcing partner can't assist its
// own referral. Field: assists.
func SetAssists(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, partnerIDs []uuid.UUID, actor uuid.UUID) error {
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	ids := []uuid.UUID{}
	for _, p := range partnerIDs {
		if p != uuid.Nil && !slices.Contains(ids, p) {
			ids = append(ids, p)
		}
	}
	if slices.Contains(ids, r.PartnerID) {
		return apperr.Invalid(map[string]string{"assists": r.PartnerName + " sourced this referral; it can't also assist it."})
	}
	var names []string
	if len(ids) > 0 {
		rows, err := tx.Query(ctx, `SELECT name FROM partners WHERE tenant_id = $1 AND id = ANY($2) ORDER BY name`, tenantID, ids)
		if err != nil {
			return err
		}
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(names) != len(ids) {
			return apperr.Invalid(map[string]string{"assists": "Choose among the firm's partners."})
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM referral_assists WHERE tenant_id = $1 AND referral_id = $2 AND NOT (partner_id = ANY($3))`,
		tenantID, id, ids); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO referral_assists (tenant_id, referral_id, partner_id)
		SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`, tenantID, id, ids); err != nil {
		return err
	}
	body := "No assisting partners."
	if len(names) > 0 {
		body = "Assisted by " + strings.Join(names, ", ") + "."
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: r.PartnerID, At: time.Now(), Actor: actor,
		ActorKind: "staff", Kind: "note", Reason: "assists", Body: body}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, tenantID, "referral.assists", "referral", id.String(),
		map[string]any{"number": r.Number, "partner_ids": ids})
}

// ResolveConflict decides an open conflict: creditedPartnerID is the partner
// credited with the client — the referral's own partner or the partner of
// the referral it collided with — or uuid.Nil for nobody (an existing
// client). The decision is recorded on this referral and on the one it
// collided with (when still open); a partner not credited is told kindly, by
// email and on its timeline. EConflict when there is no open conflict.
// Fields: credited_partner_id, note.
func ResolveConflict(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, id uuid.UUID, creditedPartnerID uuid.UUID, note string, actor uuid.UUID) error {
	note = strings.TrimSpace(note)
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if r.ConflictStatus != "open" {
		return apperr.Errorf(apperr.EConflict, "%s has no open conflict to resolve.", r.Ref())
	}
	var other *Referral
	if r.ConflictWithID != nil {
		o, err := lockReferral(ctx, tx, tenantID, *r.ConflictWithID)
		if err != nil && apperr.Code(err) != apperr.ENotFound {
			return err
		}
		if err == nil {
			other = &o
		}
	}
	allowed := []uuid.UUID{r.PartnerID, uuid.Nil}
	if other != nil {
		allowed = append(allowed, other.PartnerID)
	}
	if !slices.Contains(allowed, creditedPartnerID) {
		return apperr.Invalid(map[string]string{"credited_partner_id": "Credit one of the partners in the conflict, or nobody."})
	}
	if utf8.RuneCountInString(note) > maxPromises {
		return apperr.Invalid(map[string]string{"note": "Keep the note under 2000 characters."})
	}
	now := n.now()
	f, err := loadFirm(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	creditedName := "nobody"
	if creditedPartnerID != uuid.Nil {
		if err := tx.QueryRow(ctx, `SELECT name FROM partners WHERE tenant_id = $1 AND id = $2`, tenantID, creditedPartnerID).Scan(&creditedName); err != nil {
			return err
		}
	}
	decided := "Credit: " + creditedName + "."
	if note != "" {
		decided += " " + note
	}
	resolve := func(x Referral, ownConflict bool) error {
		if _, err := tx.Exec(ctx, `UPDATE referrals SET credited_partner_id = $3, updated_at = now(),
			conflict_status = CASE WHEN $5 THEN 'resolved' ELSE conflict_status END,
			conflict_note = CASE WHEN $5 THEN trim(conflict_note || ' Resolved: ' || $4) ELSE conflict_note END
			WHERE tenant_id = $1 AND id = $2`,
			tenantID, x.ID, ptrID(creditedPartnerID), decided, ownConflict); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, tenantID, event{Referral: x.ID, Partner: x.PartnerID, At: now, Actor: actor,
			ActorKind: "staff", Kind: "attribution", Reason: "resolved", Body: decided}); err != nil {
			return err
		}
		if creditedPartnerID == x.PartnerID {
			return nil
		}
		// Tell this partner kindly.
		why := "decided"
		switch {
		case creditedPartnerID == uuid.Nil && r.ClientID != nil:
			why = "client"
		case creditedPartnerID != uuid.Nil && other != nil && x.ID == r.ID && other.SubmittedAt.Before(r.SubmittedAt):
			why = "first"
		}
		kind := kindWords(x, why)
		if err := addEvent(ctx, tx, tenantID, event{Referral: x.ID, Partner: x.PartnerID, At: now, Actor: actor,
			ActorKind: "staff", Kind: "attribution", Reason: "not_credited", Body: kind, Visible: true}); err != nil {
			return err
		}
		rs, err := partnerRecipients(ctx, tx, tenantID, x.PartnerID)
		if err != nil {
			return err
		}
		return n.send(ctx, tx, rs, f, message{
			Subject: fmt.Sprintf("About your referral of %s (%s)", x.ClientCompany, x.Ref()),
			Paras:   []string{kind, quote("Our note", note)}, Link: n.portalLink(f, x.ID), Action: "See the referral"})
	}
	if err := resolve(r, true); err != nil {
		return err
	}
	if other != nil && other.Open() {
		if err := resolve(*other, other.ConflictStatus == "open" && other.ConflictWithID != nil && *other.ConflictWithID == r.ID); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, tenantID, "referral.conflict_resolved", "referral", id.String(),
		map[string]any{"number": r.Number, "credited_partner_id": ptrID(creditedPartnerID)})
}

// kindWords tells a partner, kindly, that its introduction is not credited:
// why is "client" (already our client), "first" (another partner's
// introduction came first) or "decided" (staff weighed who influenced the
// client most).
func kindWords(x Referral, why string) string {
	switch why {
	case "client":
		return fmt.Sprintf("Thank you for thinking of us for %s. It turns out they already work with us, so this introduction "+
			"can't be credited as a new referral. We're grateful you thought of us, and we'd love to hear about the next one.", x.ClientCompany)
	case "first":
		return fmt.Sprintf("Thank you for introducing %s. Another introduction to the same client reached us first, so under our "+
			"attribution policy this one can't be credited to you. It says nothing about the quality of your referral, "+
			"and we're grateful you thought of us.", x.ClientCompany)
	}
	return fmt.Sprintf("Thank you for introducing %s. More than one partner introduced this client to us; after looking at "+
		"how the client came to us, we have credited another introduction this time. We're grateful you thought of us, "+
		"and we'd love to hear about the next one.", x.ClientCompany)
}
