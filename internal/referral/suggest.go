package referral

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// Outbound referrals: we refer a client of ours to a partner. Suggest ranks
// the partners that cover the service the client needs; the partner accepts
// or declines in the portal (PartnerRespond) and then moves the stages
// itself; one that declines or doesn't answer in time is handed on
// (Reassign).

// Suggestion is a partner that could take an outbound referral.
type Suggestion struct {
	PartnerID              uuid.UUID
	Name, TierName, Status string
	Rank                   int // 1 = best; paused partners come last
	Score                  int
	Reasons                []string // why it ranks where it does, in words
	Paused                 bool     // not selectable
	PauseReason            string
	// Conversion is the percentage of our closed outbound referrals to it
	// that it won; Received counts the referrals we sent it, Sent those it
	// sent us.
	Conversion, Received, Sent int
}

// suggestFacts are what a suggestion is scored on.
type suggestFacts struct {
	TierName          string
	TierRank          *int
	Status            string
	Received, Sent    int // outbound to it, inbound from it
	OutWon, OutClosed int
	ResponseBreaches  int
	Declines          int
}

// score is the pure ranking rule: tier (up to 30), conversion of what we
// sent (up to 30; 15 with no history yet), reciprocity (up to +25 for a
// partner that has sent us more than it received, down to -20 the other
// way), minus 5 per missed response deadline (at most 20), 3 per referral
// of ours it declined (at most 15) and 5 while still onboarding.
func score(f suggestFacts) (int, int, []string) {
	s := 0
	var reasons []string
	if f.TierRank != nil {
		pts := max(30-10*(*f.TierRank-1), 5)
		s += pts
		reasons = append(reasons, "Tier: "+f.TierName)
	}
	conv := 0
	if f.OutClosed > 0 {
		conv = f.OutWon * 100 / f.OutClosed
		s += conv * 30 / 100
		reasons = append(reasons, fmt.Sprintf("Won %d of the %d referrals we sent that closed (%d%%)", f.OutWon, f.OutClosed, conv))
	} else {
		s += 15
		reasons = append(reasons, "No closed referrals from us yet")
	}
	gap := f.Sent - f.Received
	s += min(max(gap*5, -20), 25)
	switch {
	case gap > 0:
		reasons = append(reasons, fmt.Sprintf("Sent us %d, received %d: our turn to give back", f.Sent, f.Received))
	case gap < 0:
		reasons = append(reasons, fmt.Sprintf("Sent us %d, received %d from us", f.Sent, f.Received))
	default:
		reasons = append(reasons, fmt.Sprintf("Balanced: sent us %d, received %d", f.Sent, f.Received))
	}
	if f.ResponseBreaches > 0 {
		s -= min(5*f.ResponseBreaches, 20)
		reasons = append(reasons, fmt.Sprintf("Missed the response deadline %d time(s)", f.ResponseBreaches))
	}
	if f.Declines > 0 {
		s -= min(3*f.Declines, 15)
		reasons = append(reasons, fmt.Sprintf("Declined %d of our referrals", f.Declines))
	}
	if f.Status == "onboarding" {
		s -= 5
		reasons = append(reasons, "Still onboarding")
	}
	return s, conv, reasons
}

// Suggest ranks the partners covering a service (from the service map) for
// an outbound referral: active and onboarding partners by score (tier,
// conversion of our referrals, reciprocity, responsiveness), then paused
// ones with their pause reason, not selectable. Partners in exclude (e.g.
// the ones that already declined) are left out.
func Suggest(ctx context.Context, q db.Querier, tenantID uuid.UUID, serviceID uuid.UUID, exclude []uuid.UUID) ([]Suggestion, error) {
	if exclude == nil {
		exclude = []uuid.UUID{}
	}
	rows, err := q.Query(ctx, `
		SELECT p.id, p.name, coalesce(t.name, ''), t.rank, p.status,
			coalesce((SELECT h.reason FROM partner_status_history h WHERE h.tenant_id = p.tenant_id AND h.partner_id = p.id
				AND h.to_status = 'paused' ORDER BY h.at DESC LIMIT 1), ''),
			st.received, st.sent, st.out_won, st.out_closed, st.declines,
			(SELECT count(*) FROM sla_breaches b WHERE b.tenant_id = p.tenant_id AND b.partner_id = p.id AND b.clock = 'partner_response')
		FROM partners p
		JOIN partner_services ps ON ps.tenant_id = p.tenant_id AND ps.partner_id = p.id AND ps.service_id = $2
		LEFT JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id
		CROSS JOIN LATERAL (SELECT
			count(*) FILTER (WHERE r.direction = 'outbound') AS received,
			count(*) FILTER (WHERE r.direction = 'inbound') AS sent,
			count(*) FILTER (WHERE r.direction = 'outbound' AND r.status = 'won') AS out_won,
			count(*) FILTER (WHERE r.direction = 'outbound' AND r.closed_at IS NOT NULL) AS out_closed,
			count(*) FILTER (WHERE r.direction = 'outbound' AND r.partner_declined_at IS NOT NULL) AS declines
			FROM referrals r WHERE r.tenant_id = p.tenant_id AND r.partner_id = p.id) st
		WHERE p.tenant_id = $1 AND p.status IN ('active', 'onboarding', 'paused') AND NOT (p.id = ANY($3))`,
		tenantID, serviceID, exclude)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Suggestion, error) {
		var sg Suggestion
		var f suggestFacts
		err := row.Scan(&sg.PartnerID, &sg.Name, &f.TierName, &f.TierRank, &f.Status, &sg.PauseReason,
			&f.Received, &f.Sent, &f.OutWon, &f.OutClosed, &f.Declines, &f.ResponseBreaches)
		if err != nil {
			return sg, err
		}
		sg.TierName, sg.Status, sg.Paused = f.TierName, f.Status, f.Status == "paused"
		sg.Received, sg.Sent = f.Received, f.Sent
		sg.Score, sg.Conversion, sg.Reasons = score(f)
		if sg.Paused {
			why := "Paused: no new referrals go to it"
			if sg.PauseReason != "" {
				why += " (" + strings.TrimRight(sg.PauseReason, ".") + ")"
			}
			sg.Reasons = append([]string{why}, sg.Reasons...)
		}
		return sg, nil
	})
	if err != nil {
		return nil, err
	}
	sortSuggestions(out)
	return out, nil
}

// sortSuggestions puts selectable partners first by score, then paused
// ones, and numbers them.
func sortSuggestions(out []Suggestion) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Paused != b.Paused {
			return !a.Paused
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
}

// IntroEmail drafts the introduction email for an outbound referral, to
// send or copy: from us (ourName at firmName) to the partner's contact,
// introducing the client's contact.
func IntroEmail(r Referral, partnerContactName, ourName, firmName string) (subject, body string) {
	contact := strings.TrimSpace(r.Contact.Name)
	if contact == "" || r.Contact.Erased {
		contact = "the team"
	}
	partnerContact := strings.TrimSpace(partnerContactName)
	hello := "Hi,"
	if first := strings.Fields(partnerContact); len(first) > 0 {
		hello = "Hi " + first[0] + ","
	}
	need := firstSentence(r.Challenge)
	if need == "" {
		need = "what they are working on"
	}
	subject = oneLine(fmt.Sprintf("Introduction: %s (%s) and %s", contact, r.ClientCompany, r.PartnerName))
	var b strings.Builder
	b.WriteString(hello + "\n\n")
	fmt.Fprintf(&b, "I was talking to %s at %s and thought you might help with %s.\n\n", contact, r.ClientCompany, need)
	if c := strings.TrimSpace(r.Context); c != "" {
		b.WriteString(c + "\n\n")
	}
	meet := partnerContact
	if meet == "" {
		meet = "the team"
	}
	if contact != "the team" {
		fmt.Fprintf(&b, "%s, meet %s at %s, who I trust with work like this. ", strings.Fields(contact)[0], meet, r.PartnerName)
	} else {
		fmt.Fprintf(&b, "Meet %s at %s, who I trust with work like this. ", meet, r.PartnerName)
	}
	b.WriteString("I'll let you both take it from here.\n\nBest,\n")
	if ourName = strings.TrimSpace(ourName); ourName != "" {
		b.WriteString(ourName + "\n")
	}
	b.WriteString(firmName + "\n")
	return subject, b.String()
}

// firstSentence returns the first sentence of s, its first letter lowered
// (to follow "help with"), without the final full stop.
func firstSentence(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if i := strings.IndexAny(s, ".!?"); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	if s == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(s)
	if len(s) > size {
		if r2, _ := utf8.DecodeRuneInString(s[size:]); r2 >= 'A' && r2 <= 'Z' {
			return s // an acronym ("ERP migration")
		}
	}
	return strings.ToLower(string(r)) + s[size:]
}

// PartnerRespond records a partner's answer to an outbound referral sent to
// it: accept (the referral becomes acknowledged and the partner moves it on
// from there) or decline with a reason (field "reason"; the referral stays
// open for staff to hand on, see Reassign). ENotFound when it is not the
// partner's; EConflict when it is not an open outbound referral waiting for
// an answer. The owner is emailed.
func PartnerRespond(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, partnerID, id uuid.UUID, accept bool, reason string, actor uuid.UUID) (Referral, error) {
	reason = strings.TrimSpace(reason)
	r, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return r, err
	}
	if r.PartnerID != partnerID {
		return Referral{}, apperr.NotFound("Referral")
	}
	switch {
	case r.Direction != "outbound":
		return r, apperr.Errorf(apperr.EConflict, "Only referrals we send you are accepted or declined.")
	case !r.Open():
		return r, apperr.Errorf(apperr.EConflict, "%s is closed.", r.Ref())
	case r.PartnerAcceptedAt != nil:
		return r, apperr.Errorf(apperr.EConflict, "You already accepted %s.", r.Ref())
	case r.PartnerDeclinedAt != nil:
		return r, apperr.Errorf(apperr.EConflict, "You already declined %s.", r.Ref())
	}
	if !accept {
		switch c := utf8.RuneCountInString(reason); {
		case c == 0:
			return r, apperr.Invalid(map[string]string{"reason": "Tell us why, so we can find the right partner for the client."})
		case c > maxPromises:
			return r, apperr.Invalid(map[string]string{"reason": "Keep it under 2000 characters."})
		}
	}
	s, err := GetSettings(ctx, tx, tenantID)
	if err != nil {
		return r, err
	}
	now := n.now()
	e := event{Referral: id, Partner: r.PartnerID, At: now, Actor: actor, ActorKind: "partner", Visible: true}
	if accept {
		claim := now.Add(claimWindow(s))
		_, err = tx.Exec(ctx, `UPDATE referrals SET partner_accepted_at = $3, first_responded_at = coalesce(first_responded_at, $3),
			status = 'acknowledged', status_changed_at = $3, updated_at = $3, claim_expires_at = $4
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, claim)
		e.Kind, e.From, e.To, e.Body = "partner_accepted", r.Status, Acknowledged, r.PartnerName+" accepted the referral."
	} else {
		_, err = tx.Exec(ctx, `UPDATE referrals SET partner_declined_at = $3, partner_decline_reason = $4,
			first_responded_at = coalesce(first_responded_at, $3), updated_at = $3
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, reason)
		e.Kind, e.Reason, e.Body = "partner_declined", "declined", reason
	}
	if err != nil {
		return r, err
	}
	if err := addEvent(ctx, tx, tenantID, e); err != nil {
		return r, err
	}
	if err := audit.Record(ctx, tx, tenantID, "referral."+e.Kind, "referral", id.String(),
		map[string]any{"number": r.Number, "partner_id": partnerID}); err != nil {
		return r, err
	}
	r, err = Get(ctx, tx, tenantID, id)
	if err != nil {
		return r, err
	}
	f, err := loadFirm(ctx, tx, tenantID)
	if err != nil {
		return r, err
	}
	staff, err := staffRecipients(ctx, tx, tenantID, r.OwnerUserID, r.PartnerID)
	if err != nil {
		return r, err
	}
	m := message{Subject: fmt.Sprintf("%s %s: %s accepted", r.Ref(), r.ClientCompany, r.PartnerName),
		Paras: []string{fmt.Sprintf("%s accepted the referral of %s (%s) and will take it from here.", r.PartnerName, r.ClientCompany, r.Ref())},
		Link:  n.staffLink(f, r.ID), Action: "Open the referral"}
	if !accept {
		m.Subject = fmt.Sprintf("%s %s: %s declined; hand it on", r.Ref(), r.ClientCompany, r.PartnerName)
		m.Paras = []string{fmt.Sprintf("%s declined the referral of %s (%s).", r.PartnerName, r.ClientCompany, r.Ref()),
			quote("Their reason", reason), "Hand it to the next suggested partner from the referral's page."}
	}
	return r, n.send(ctx, tx, staff, f, m)
}

// Reassign hands an outbound referral that its partner declined or has not
// accepted to another partner. Choice: a new referral, not a moved one —
// the old one is closed as declined (reason no_response when the partner
// never answered, other when it declined) and stays in the first partner's
// history and scorecard with its SLA breach, and a new outbound referral
// with the same client facts goes to the new partner (its own number,
// clock, timeline and introduction email). Both timelines record the hand
// over. It returns the new referral. Field: partner_id (an ended, inactive
// or paused partner is refused, as in Submit); EConflict when the referral is
// not an open outbound one or was accepted; EInvalid when the contact's
// details were erased.
func Reassign(ctx context.Context, tx pgx.Tx, n Notifier, tenantID, id, newPartnerID uuid.UUID, actor uuid.UUID) (Referral, error) {
	old, err := lockReferral(ctx, tx, tenantID, id)
	if err != nil {
		return old, err
	}
	switch {
	case old.Direction != "outbound":
		return old, apperr.Errorf(apperr.EConflict, "Only outbound referrals are handed to another partner.")
	case !old.Open():
		return old, apperr.Errorf(apperr.EConflict, "%s is closed.", old.Ref())
	case old.PartnerAcceptedAt != nil:
		return old, apperr.Errorf(apperr.EConflict, "%s accepted %s; it can't be handed on.", old.PartnerName, old.Ref())
	case newPartnerID == old.PartnerID:
		return old, apperr.Invalid(map[string]string{"partner_id": "Choose another partner."})
	case old.Contact.Erased:
		return old, apperr.Invalid(map[string]string{"partner_id": "The contact's details were erased; record a new referral instead."})
	}
	now := n.now()
	reason, why := "no_response", old.PartnerName+" did not answer in time."
	if old.PartnerDeclinedAt != nil {
		reason, why = "other", old.PartnerName+" declined: "+old.PartnerDeclineReason
	}
	value := ""
	if old.EstimatedValueCents != nil {
		value = commission.FormatDollars(*old.EstimatedValueCents)
	}
	nr, _, err := Submit(ctx, tx, n, tenantID, SubmitInput{
		Direction: "outbound", PartnerID: newPartnerID, ClientCompany: old.ClientCompany, ClientDomain: old.ClientDomain,
		ContactName: old.Contact.Name, ContactEmail: old.Contact.Email, ContactPhone: old.Contact.Phone,
		Challenge: old.Challenge, Context: old.Context, PromisesMade: old.PromisesMade, Urgency: old.Urgency,
		EstimatedValue: value, ServiceID: old.ServiceID, Source: "staff", SubmittedBy: actor,
		OriginatorUserID: old.OriginatorUserID, OwnerUserID: old.OwnerUserID,
	})
	if err != nil {
		return Referral{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET status = 'declined', status_changed_at = $3, updated_at = $3,
		closed_at = $3, close_reason = $4 WHERE tenant_id = $1 AND id = $2`, tenantID, id, now, reason); err != nil {
		return Referral{}, err
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: old.PartnerID, At: now, Actor: actor, ActorKind: "staff",
		Kind: "reassigned", From: old.Status, To: Declined, Reason: reason,
		Body: "We have passed this referral to another partner.", Visible: true}); err != nil {
		return Referral{}, err
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: old.PartnerID, At: now, Actor: actor, ActorKind: "staff",
		Kind: "note", Reason: "reassigned", Body: fmt.Sprintf("Handed to %s as %s. %s", nr.PartnerName, nr.Ref(), why)}); err != nil {
		return Referral{}, err
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: nr.ID, Partner: nr.PartnerID, At: now, Actor: actor, ActorKind: "staff",
		Kind: "reassigned", Body: fmt.Sprintf("Handed on from %s (%s). %s", old.Ref(), old.PartnerName, why)}); err != nil {
		return Referral{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "referral.reassigned", "referral", id.String(),
		map[string]any{"number": old.Number, "new_referral_id": nr.ID, "new_number": nr.Number, "partner_id": newPartnerID}); err != nil {
		return Referral{}, err
	}
	return Get(ctx, tx, tenantID, nr.ID)
}
