package referral

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// SubmitInput is a new referral as typed.
type SubmitInput struct {
	Direction      string // inbound (partner → us, the default) | outbound (us → partner)
	PartnerID      uuid.UUID
	ClientCompany  string
	ClientDomain   string // a domain, a URL or empty
	ContactName    string
	ContactEmail   string
	ContactPhone   string
	Challenge      string
	Context        string
	PromisesMade   string
	Urgency        string // low, normal (default), high, urgent
	EstimatedValue string // dollars as typed ("25,000", "$1,200", "25000.50"); optional
	ServiceID      *uuid.UUID
	Answers        map[uuid.UUID]bool // checklist answers by question
	IdempotencyKey string             // form token or API Idempotency-Key
	Source         string             // portal, staff, api, import
	SubmittedBy    uuid.UUID          // user (portal or staff); Nil for an API token
	// OriginatorUserID: who in the firm received or brought the referral
	// (default: the submitting staff user). OwnerUserID: who works it
	// (default: the partner's relationship owner).
	OriginatorUserID, OwnerUserID *uuid.UUID
}

// Urgencies are the allowed urgency values, least urgent first.
var Urgencies = []string{"low", "normal", "high", "urgent"}

// Sources are the allowed submission sources.
var Sources = []string{"portal", "staff", "api", "import"}

// Field limits.
const (
	maxCompany  = 200
	maxName     = 200
	maxPhone    = 50
	maxLongText = 5000
	maxPromises = 2000
	maxKey      = 200
)

// Submit records a new referral.
//
// It validates the input (apperr.Invalid with the fields client_company,
// client_domain, contact_name, contact_email, contact_phone, challenge,
// context, promises_made, urgency, estimated_value, service_id, partner_id,
// owner_user_id, originator_user_id, idempotency_key, source, direction, and
// q_<questionID> for a required checklist question not answered yes — the
// checklist is the partner's qualification of its own referral, so it is
// enforced for inbound referrals submitted in the portal; staff, API and
// import submissions record the answers they give). It refuses a partner
// that has ended or is inactive and, for outbound, one that is paused (with
// the pause reason).
//
// Inbound referrals are matched against open inbound referrals whose claim
// has not lapsed and against the firm's clients, by normalised domain,
// contact email and company name. A match does not silently go through: the
// referral gets conflict_status "open", conflict_with_id (the earliest
// matching referral), a note saying what matched and a "conflict" event on
// both referrals, and it waits in the conflict queue for ResolveConflict.
// Credit: with the first_introduction rule the earliest submission's partner
// is credited (credited_partner_id) — the other partner is told kindly when
// staff confirm; with staff_decides credit stays empty until staff decide.
// The same partner resubmitting a client it already has open is flagged
// the same way, as a duplicate of its own referral (credit stays its own),
// since it may be a second need at the same client or just a repeat. A
// match with an existing client notes "already a client", links the client
// and leaves credit to staff. Outbound referrals are not matched: sending a
// client of ours to partners is not a claim.
//
// It stamps the SLA due times (Settings), the claim window and the agreement
// version in force on the submission date, writes the prospect (PII) and the
// referral and a "submitted" event, and queues the acknowledgment to the
// partner's portal users and a notice to the referral's owner (inbound), or
// the introduction to the partner (outbound) — all in tx. Import
// submissions send no email.
//
// The same (partner, IdempotencyKey) returns the existing referral with
// created=false, whatever the body: concurrent duplicates serialise on a
// transaction-level advisory lock of the key, so exactly one referral and
// one acknowledgment are made. Submit must run in a tenant-scoped tx
// without app.partner_id: matching reads other partners' referrals.
func Submit(ctx context.Context, tx pgx.Tx, n Notifier, tenantID uuid.UUID, in SubmitInput) (r Referral, created bool, err error) {
	in = trimInput(in)
	now := n.now()
	fe := map[string]string{}
	lockedMatchKeys := false

	if in.IdempotencyKey != "" {
		if len(in.IdempotencyKey) > maxKey {
			return r, false, apperr.Invalid(map[string]string{"idempotency_key": "Keep the idempotency key under 200 characters."})
		}
		// The key's lock and (inbound) the match keys' locks in one
		// statement, in one sorted order, so no two submissions deadlock.
		if err := takeLocks(ctx, tx, tenantID, in, "k/"+in.PartnerID.String()+"/"+in.IdempotencyKey); err != nil {
			return r, false, err
		}
		lockedMatchKeys = true
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM referrals WHERE tenant_id = $1 AND partner_id = $2 AND idempotency_key = $3`,
			tenantID, in.PartnerID, in.IdempotencyKey).Scan(&id)
		if err == nil {
			r, err = Get(ctx, tx, tenantID, id)
			return r, false, err
		}
		if !db.IsNoRows(err) {
			return r, false, err
		}
	}

	// The partner, the firm and its settings, in one round trip.
	var pt struct {
		name, status string
		owner        *uuid.UUID
	}
	var f firm
	var s Settings
	err = tx.QueryRow(ctx, `SELECT p.name, p.status, p.owner_user_id, t.name, t.slug, `+settingsCoalesced+`
		FROM partners p JOIN tenants t ON t.id = p.tenant_id
		LEFT JOIN tenant_settings ts ON ts.tenant_id = p.tenant_id
		WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, in.PartnerID).Scan(&pt.name, &pt.status, &pt.owner, &f.Name, &f.Slug,
		&s.TimeZone, &s.SLAClock, &s.FirstResponseHours, &s.FirstContactHours, &s.MeetingDays,
		&s.PartnerResponseHours, &s.ReminderHours, &s.AttributionRule, &s.ClaimWindowDays, &s.ShareWonScope)
	switch {
	case db.IsNoRows(err):
		fe["partner_id"] = "Choose one of the firm's partners."
	case err != nil:
		return r, false, err
	case pt.status == "ended":
		fe["partner_id"] = pt.name + "'s partnership has ended; referrals can't be recorded for it."
	case pt.status == "inactive":
		fe["partner_id"] = pt.name + " is inactive; reactivate the partnership before recording referrals."
	case pt.status == "paused" && in.Direction == "outbound":
		reason := ""
		_ = tx.QueryRow(ctx, `SELECT reason FROM partner_status_history WHERE tenant_id = $1 AND partner_id = $2
			AND to_status = 'paused' ORDER BY at DESC LIMIT 1`, tenantID, in.PartnerID).Scan(&reason)
		msg := pt.name + " is paused: no new referrals go to it"
		if reason != "" {
			msg += " (" + strings.TrimRight(reason, ".") + ")"
		}
		fe["partner_id"] = msg + ". Choose another partner."
	}
	validateFields(in, fe)
	value, hasValue, msg := commission.ParseDollars(in.EstimatedValue)
	if msg != "" {
		fe["estimated_value"] = msg
	}
	if in.ServiceID != nil {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM services WHERE tenant_id = $1 AND id = $2)`,
			tenantID, *in.ServiceID).Scan(&ok); err != nil {
			return r, false, err
		}
		if !ok {
			fe["service_id"] = "Choose one of the firm's services."
		}
	}
	// People inside the firm.
	if in.OriginatorUserID == nil && in.Source == "staff" && in.SubmittedBy != uuid.Nil {
		in.OriginatorUserID = ptrID(in.SubmittedBy)
	}
	if err := checkStaff(ctx, tx, tenantID, fe, "owner_user_id", in.OwnerUserID); err != nil {
		return r, false, err
	}
	if in.OwnerUserID == nil {
		in.OwnerUserID = pt.owner // the partner's relationship owner
	}
	if err := checkStaff(ctx, tx, tenantID, fe, "originator_user_id", in.OriginatorUserID); err != nil {
		return r, false, err
	}
	// The checklist.
	questions, err := Questions(ctx, tx, tenantID, true)
	if err != nil {
		return r, false, err
	}
	checklist := make([]Answer, 0, len(questions))
	for _, qu := range questions {
		a := Answer{QuestionID: qu.ID, Question: qu.Question, Required: qu.Required, Answer: in.Answers[qu.ID]}
		if qu.Required && !a.Answer && in.Direction == "inbound" && in.Source == "portal" {
			fe["q_"+qu.ID.String()] = "This must be yes before you can refer the client."
		}
		checklist = append(checklist, a)
	}
	if len(fe) > 0 {
		return r, false, apperr.Invalid(fe)
	}

	// Duplicates and attribution.
	keys := keysFor(in.ClientCompany, in.ClientDomain, in.ContactEmail)
	credited := ptrID(in.PartnerID)
	var conflict struct {
		with     *match
		client   *clientMatch
		status   string
		notes    []string
		clientID *uuid.UUID
	}
	conflict.status = "none"
	if in.Direction == "inbound" {
		// Two partners introducing the same client at the same moment must
		// not both miss each other: submissions sharing a match key take
		// its lock (in a fixed order) and the later one sees the earlier.
		if !lockedMatchKeys {
			if err := takeLocks(ctx, tx, tenantID, in); err != nil {
				return r, false, err
			}
		}
		if conflict.with, err = findOpenMatch(ctx, tx, tenantID, keys, now); err != nil {
			return r, false, err
		}
		if conflict.client, err = findClient(ctx, tx, tenantID, keys); err != nil {
			return r, false, err
		}
	}
	if m := conflict.with; m != nil {
		conflict.status = "open"
		if m.PartnerID == in.PartnerID {
			conflict.notes = append(conflict.notes, fmt.Sprintf("Duplicate: %s already referred this client as %s on %s (same %s).",
				m.PartnerName, refOf(m.Number), m.SubmittedAt.In(s.Location()).Format("2 Jan 2006"), m.By))
		} else {
			conflict.notes = append(conflict.notes, fmt.Sprintf("%s introduced this client first, as %s on %s (same %s).",
				m.PartnerName, refOf(m.Number), m.SubmittedAt.In(s.Location()).Format("2 Jan 2006"), m.By))
			if s.AttributionRule == "first_introduction" {
				credited = ptrID(m.PartnerID)
			} else {
				credited = nil
			}
		}
	}
	if c := conflict.client; c != nil {
		conflict.status = "open"
		conflict.clientID = &c.ID
		conflict.notes = append(conflict.notes, fmt.Sprintf("Already a client: %s (same %s).", c.Name, c.By))
		if conflict.with == nil {
			credited = nil
		}
	}

	// The prospect and the referral.
	loc := s.Location()
	var frDue, fcDue, mtDue, prDue *time.Time
	fr, fc, mt, pr := s.durations()
	if in.Direction == "inbound" {
		frDue, fcDue, mtDue = timePtr(DueAt(now, fr, s.SLAClock, loc)), timePtr(DueAt(now, fc, s.SLAClock, loc)), timePtr(DueAt(now, mt, s.SLAClock, loc))
	} else {
		prDue = timePtr(DueAt(now, pr, s.SLAClock, loc))
	}
	claim := now.Add(time.Duration(s.ClaimWindowDays) * 24 * time.Hour)
	checklistJSON, err := json.Marshal(checklist)
	if err != nil {
		return r, false, err
	}
	var valuePtr *int64
	if hasValue {
		valuePtr = &value
	}
	submittedOn := now.In(loc).Format(time.DateOnly)
	actorKind := map[string]string{"portal": "partner", "staff": "staff", "api": "api", "import": "system"}[in.Source]
	body := ""
	if in.Direction == "outbound" {
		body = "Referred to " + pt.name + "."
	}
	var id uuid.UUID
	err = tx.QueryRow(ctx, `
		WITH pr AS (
			INSERT INTO referral_prospects (tenant_id, partner_id, contact_name, contact_email, contact_phone)
			VALUES ($1, $2, $3, $4, $5) RETURNING id
		), ins AS (
		INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_id, client_company, client_domain,
			client_name_norm, service_id, challenge, context, promises_made, urgency, estimated_value_cents, checklist,
			status, status_changed_at, source, submitted_at, submitted_by, idempotency_key, originator_user_id,
			owner_user_id, credited_partner_id, conflict_with_id, conflict_status, conflict_note, claim_expires_at,
			first_response_due_at, first_contact_due_at, meeting_due_at, partner_response_due_at, agreement_id)
		SELECT $1, $6, $2, pr.id, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			'submitted', $18, $19, $18, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32,
			(SELECT a.id FROM agreements a WHERE a.tenant_id = $1 AND a.partner_id = $2
				AND a.status IN ('active', 'superseded', 'expired', 'terminated')
				AND a.effective_from <= $33::date AND (a.effective_to IS NULL OR a.effective_to >= $33::date)
				ORDER BY a.version DESC LIMIT 1)
		FROM pr RETURNING id`+submittedEvent,
		tenantID, in.PartnerID, in.ContactName, NormalizeEmail(in.ContactEmail), in.ContactPhone,
		in.Direction, conflict.clientID, in.ClientCompany, ptrStr(keys.Domain), keys.Name, in.ServiceID,
		in.Challenge, in.Context, in.PromisesMade, in.Urgency, valuePtr, checklistJSON,
		now, in.Source, ptrID(in.SubmittedBy), ptrStr(in.IdempotencyKey), in.OriginatorUserID,
		in.OwnerUserID, credited, matchID(conflict.with), conflict.status, strings.Join(conflict.notes, " "), claim,
		frDue, fcDue, mtDue, prDue, submittedOn, actorKind, body).Scan(&id)
	if err != nil {
		return r, false, err
	}
	if conflict.status == "open" {
		if err := addEvent(ctx, tx, tenantID, event{Referral: id, Partner: in.PartnerID, At: now, ActorKind: "system",
			Kind: "conflict", Reason: conflictReason(conflict.with, conflict.client, in.PartnerID),
			Body: strings.Join(conflict.notes, " ")}); err != nil {
			return r, false, err
		}
	}

	r, err = scanReferral(tx.QueryRow(ctx, `SELECT `+referralColumns+referralFrom+`
		WHERE r.tenant_id = $1 AND r.id = $2`, tenantID, id))
	if err != nil {
		return r, false, err
	}
	r.Assists = []Assist{}
	if m := conflict.with; m != nil {
		if err := addEvent(ctx, tx, tenantID, event{Referral: m.ID, Partner: m.PartnerID, At: now, ActorKind: "system",
			Kind: "conflict", Reason: "matched_later",
			Body: fmt.Sprintf("%s from %s matches this referral (same %s).", r.Ref(), pt.name, m.By)}); err != nil {
			return r, false, err
		}
	}
	if err := audit.Record(ctx, tx, tenantID, "referral.submitted", "referral", id.String(), map[string]any{
		"number": r.Number, "partner_id": in.PartnerID, "direction": in.Direction, "source": in.Source,
		"conflict": conflict.status}); err != nil {
		return r, false, err
	}
	if in.Source != "import" {
		if err := submitEmails(ctx, tx, n, tenantID, f, r, s, in.SubmittedBy); err != nil {
			return r, false, err
		}
	}
	return r, true, nil
}

// submittedEvent wraps the referral's INSERT (the statement text before it
// ends in RETURNING id) so the "submitted" timeline entry is written by the
// same statement: one round trip fewer on the hottest write. $34 is the
// actor kind, $35 the entry's body.
const submittedEvent = `
	), ev AS (
		INSERT INTO referral_events (tenant_id, referral_id, partner_id, at, actor_user_id, actor_kind, kind,
			to_status, body, visible_to_partner)
		SELECT $1, ins.id, $2, $18, $20, $34, 'submitted', 'submitted', $35, true FROM ins)
	SELECT id FROM ins`

// submitEmails queues the acknowledgment and the staff notice (inbound) or
// the introduction to the partner (outbound).
func submitEmails(ctx context.Context, tx pgx.Tx, n Notifier, tenantID uuid.UUID, f firm, r Referral, s Settings, submittedBy uuid.UUID) error {
	partners, err := partnerRecipients(ctx, tx, tenantID, r.PartnerID)
	if err != nil {
		return err
	}
	if r.Direction == "outbound" {
		return n.send(ctx, tx, partners, f, outboundMessage(r, s, f, n.portalLink(f, r.ID)))
	}
	staff, err := staffRecipients(ctx, tx, tenantID, r.OwnerUserID, r.PartnerID)
	if err != nil {
		return err
	}
	// Whoever logged it knows already.
	staff = slices.DeleteFunc(staff, func(rc recipient) bool { return rc.ID == submittedBy })
	// The acknowledgment and the staff notice go in one batch.
	ack, notice := ackMessage(r, s, f, n.portalLink(f, r.ID)), newInboundMessage(r, s, n.staffLink(f, r.ID))
	ms := make([]notify.Email, 0, len(partners)+len(staff))
	for _, rc := range partners {
		ms = append(ms, ack.to(rc, f.Name))
	}
	for _, rc := range staff {
		ms = append(ms, notice.to(rc, f.Name))
	}
	_, err = n.Outbox.SendMany(ctx, tx, ms)
	return err
}

func trimInput(in SubmitInput) SubmitInput {
	for _, p := range []*string{&in.Direction, &in.ClientCompany, &in.ClientDomain, &in.ContactName, &in.ContactEmail,
		&in.ContactPhone, &in.Challenge, &in.Context, &in.PromisesMade, &in.Urgency, &in.EstimatedValue,
		&in.IdempotencyKey, &in.Source} {
		*p = strings.TrimSpace(*p)
	}
	if in.Direction == "" {
		in.Direction = "inbound"
	}
	if in.Urgency == "" {
		in.Urgency = "normal"
	}
	if in.Source == "" {
		in.Source = "portal"
	}
	return in
}

// validateFields checks the typed fields of a submission into fe.
func validateFields(in SubmitInput, fe map[string]string) {
	if in.Direction != "inbound" && in.Direction != "outbound" {
		fe["direction"] = "Choose inbound or outbound."
	}
	if !slices.Contains(Sources, in.Source) {
		fe["source"] = "Unknown source."
	}
	if in.Direction == "outbound" && in.Source == "portal" {
		fe["direction"] = "Partners refer clients to the firm; outbound referrals are sent by the firm's staff."
	}
	switch n := utf8.RuneCountInString(in.ClientCompany); {
	case n == 0:
		fe["client_company"] = "Enter the client's company name."
	case n > maxCompany:
		fe["client_company"] = "Keep the company name under 200 characters."
	}
	if in.ClientDomain != "" && !ValidDomain(NormalizeDomain(in.ClientDomain)) {
		fe["client_domain"] = "Enter the client's website or domain, like acme.com."
	}
	switch n := utf8.RuneCountInString(in.ContactName); {
	case n == 0:
		fe["contact_name"] = "Enter the name of the person to contact."
	case n > maxName:
		fe["contact_name"] = "Keep the name under 200 characters."
	}
	email := NormalizeEmail(in.ContactEmail)
	switch {
	case email != "" && !ValidEmail(email):
		fe["contact_email"] = "Enter a valid email address, like jane@acme.com."
	case email == "" && in.ContactPhone == "":
		fe["contact_email"] = "Give an email address or a phone number so we can reach the client."
	}
	if in.ContactPhone != "" {
		ok := utf8.RuneCountInString(in.ContactPhone) <= maxPhone
		digits := 0
		for _, c := range in.ContactPhone {
			switch {
			case c >= '0' && c <= '9':
				digits++
			case strings.ContainsRune(" +-().x/", c) || c == 'e' || c == 't':
			default:
				ok = false
			}
		}
		if !ok || digits < 5 {
			fe["contact_phone"] = "Enter a phone number, like +1 212 555 0100."
		}
	}
	switch n := utf8.RuneCountInString(in.Challenge); {
	case n == 0:
		fe["challenge"] = "Describe the client's challenge in a sentence or two."
	case n > maxLongText:
		fe["challenge"] = "Keep it under 5000 characters."
	}
	if utf8.RuneCountInString(in.Context) > maxLongText {
		fe["context"] = "Keep it under 5000 characters."
	}
	if utf8.RuneCountInString(in.PromisesMade) > maxPromises {
		fe["promises_made"] = "Keep it under 2000 characters."
	}
	if !slices.Contains(Urgencies, in.Urgency) {
		fe["urgency"] = "Choose low, normal, high or urgent."
	}
}

// checkStaff checks that id (when set) is a staff member of the firm.
func checkStaff(ctx context.Context, q db.Querier, tenantID uuid.UUID, fe map[string]string, field string, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2)`,
		tenantID, *id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		fe[field] = "Choose someone on the firm's team."
	}
	return nil
}

// takeLocks takes, in one statement, a transaction-level advisory lock per
// extra key (the idempotency key) and, for an inbound submission, per
// non-empty match key (domain, email, name), in sorted order so two
// submissions can't deadlock.
func takeLocks(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in SubmitInput, extra ...string) error {
	var locks []string
	for _, e := range extra {
		locks = append(locks, tenantID.String()+"/"+e)
	}
	if in.Direction == "inbound" {
		k := keysFor(in.ClientCompany, in.ClientDomain, in.ContactEmail)
		for _, kv := range [][2]string{{"d", k.Domain}, {"e", k.Email}, {"n", k.Name}} {
			if kv[1] != "" {
				locks = append(locks, tenantID.String()+"/"+kv[0]+"/"+kv[1])
			}
		}
	}
	if len(locks) == 0 {
		return nil
	}
	slices.Sort(locks)
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(k, 7217)) FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i`, locks)
	return err
}

// match is an open referral a submission collided with.
type match struct {
	ID          uuid.UUID
	Number      int64
	PartnerID   uuid.UUID
	PartnerName string
	SubmittedAt time.Time
	By          string // what matched, in words: "domain acme.com"
}

func matchID(m *match) *uuid.UUID {
	if m == nil {
		return nil
	}
	return &m.ID
}

func refOf(n int64) string { return fmt.Sprintf("R-%d", n) }

// findOpenMatch returns the earliest open inbound referral whose claim has
// not lapsed and that matches keys.
func findOpenMatch(ctx context.Context, q db.Querier, tenantID uuid.UUID, k matchKeys, now time.Time) (*match, error) {
	if k.Domain == "" && k.Email == "" && k.Name == "" {
		return nil, nil
	}
	var m match
	var by string
	// Three index-backed lookups (domain, contact email, name), not one OR
	// over every open referral of the firm: the cost stays flat as it grows.
	err := q.QueryRow(ctx, `
		WITH cand AS (
			SELECT r.id FROM referrals r
			WHERE $2 <> '' AND r.tenant_id = $1 AND r.client_domain = $2
			UNION
			SELECT r.id FROM referral_prospects rp
			JOIN referrals r ON r.tenant_id = rp.tenant_id AND r.prospect_id = rp.id
			WHERE $3 <> '' AND rp.tenant_id = $1 AND rp.contact_email <> '' AND rp.contact_email = $3
			  AND rp.erased_at IS NULL
			UNION
			SELECT r.id FROM referrals r
			WHERE $4 <> '' AND r.tenant_id = $1 AND r.client_name_norm = $4)
		SELECT r.id, r.number, r.partner_id, p.name, r.submitted_at,
			CASE WHEN $2 <> '' AND r.client_domain = $2 THEN 'domain'
			     WHEN $3 <> '' AND rp.contact_email = $3 AND rp.erased_at IS NULL THEN 'email' ELSE 'name' END
		FROM cand
		JOIN referrals r ON r.tenant_id = $1 AND r.id = cand.id
		JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id
		JOIN referral_prospects rp ON rp.tenant_id = r.tenant_id AND rp.id = r.prospect_id
		WHERE r.direction = 'inbound' AND r.closed_at IS NULL
		  AND (r.claim_expires_at IS NULL OR r.claim_expires_at > $5)
		ORDER BY r.submitted_at, r.number LIMIT 1`,
		tenantID, k.Domain, k.Email, k.Name, now).Scan(&m.ID, &m.Number, &m.PartnerID, &m.PartnerName, &m.SubmittedAt, &by)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m.By = k.words(by)
	return &m, nil
}

// words says what matched ("domain acme.com").
func (k matchKeys) words(by string) string {
	switch by {
	case "domain":
		return "domain " + k.Domain
	case "email":
		return "contact email " + k.Email
	}
	return "company name"
}

// clientMatch is an existing client a submission matched.
type clientMatch struct {
	ID   uuid.UUID
	Name string
	By   string
}

func findClient(ctx context.Context, q db.Querier, tenantID uuid.UUID, k matchKeys) (*clientMatch, error) {
	if k.Domain == "" && k.Name == "" {
		return nil, nil
	}
	var c clientMatch
	var by string
	err := q.QueryRow(ctx, `SELECT id, name, CASE WHEN $2 <> '' AND domain = $2 THEN 'domain' ELSE 'name' END
		FROM clients WHERE tenant_id = $1 AND active
		  AND (($2 <> '' AND domain = $2) OR ($3 <> '' AND name_norm = $3))
		ORDER BY created_at, id LIMIT 1`, tenantID, k.Domain, k.Name).Scan(&c.ID, &c.Name, &by)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.By = k.words(by)
	return &c, nil
}

// conflictReason is the conflict event's reason: duplicate (the same
// partner), introduced_first (another partner) or existing_client.
func conflictReason(m *match, c *clientMatch, partnerID uuid.UUID) string {
	switch {
	case m != nil && m.PartnerID == partnerID:
		return "duplicate"
	case m != nil:
		return "introduced_first"
	case c != nil:
		return "existing_client"
	}
	return ""
}

func timePtr(t time.Time) *time.Time { return &t }
