package referral

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// referralFrom is the FROM clause of every referral read. Under a portal
// transaction the partners join hides another partner credited with the
// referral (its name comes back empty).
const referralFrom = `
	FROM referrals r
	JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id
	JOIN referral_prospects rp ON rp.tenant_id = r.tenant_id AND rp.id = r.prospect_id
	LEFT JOIN services sv ON sv.tenant_id = r.tenant_id AND sv.id = r.service_id
	LEFT JOIN users ou ON ou.id = r.owner_user_id
	LEFT JOIN users og ON og.id = r.originator_user_id
	LEFT JOIN partners cp ON cp.tenant_id = r.tenant_id AND cp.id = r.credited_partner_id
	LEFT JOIN tenant_settings ts ON ts.tenant_id = r.tenant_id`

const referralColumns = `r.id, r.number, r.direction, r.partner_id, p.name, r.prospect_id,
	rp.contact_name, rp.contact_email, rp.contact_phone, rp.erased_at IS NOT NULL,
	r.client_id, r.client_company, coalesce(r.client_domain, ''), r.service_id, coalesce(sv.name, ''),
	r.challenge, r.context, r.promises_made, r.urgency, r.estimated_value_cents, r.currency,
	r.checklist, r.status, r.status_changed_at, r.source, r.submitted_at, r.submitted_by,
	r.originator_user_id, r.owner_user_id, coalesce(og.name, ''), coalesce(ou.name, ''),
	r.credited_partner_id, coalesce(cp.name, ''), r.conflict_with_id, r.conflict_status, r.conflict_note,
	r.claim_expires_at, r.first_response_due_at, r.first_responded_at, r.first_contact_due_at, r.contacted_at,
	r.meeting_due_at, r.meeting_at, r.partner_response_due_at, r.partner_accepted_at, r.partner_declined_at,
	coalesce(r.partner_decline_reason, ''), r.closed_at, coalesce(r.close_reason, ''), coalesce(r.fit, ''), r.fit_note,
	r.fee_disclosed_at, r.conflicts_cleared_at, r.attest_client, r.agreement_id, r.created_at, r.updated_at,
	coalesce(ts.sla_reminder_hours, 4)`

func scanReferral(row pgx.Row) (Referral, error) {
	var r Referral
	var checklist []byte
	var reminderHours int
	err := row.Scan(&r.ID, &r.Number, &r.Direction, &r.PartnerID, &r.PartnerName, &r.ProspectID,
		&r.Contact.Name, &r.Contact.Email, &r.Contact.Phone, &r.Contact.Erased,
		&r.ClientID, &r.ClientCompany, &r.ClientDomain, &r.ServiceID, &r.ServiceName,
		&r.Challenge, &r.Context, &r.PromisesMade, &r.Urgency, &r.EstimatedValueCents, &r.Currency,
		&checklist, &r.Status, &r.StatusChangedAt, &r.Source, &r.SubmittedAt, &r.SubmittedBy,
		&r.OriginatorUserID, &r.OwnerUserID, &r.OriginatorName, &r.OwnerName,
		&r.CreditedPartnerID, &r.CreditedPartnerName, &r.ConflictWithID, &r.ConflictStatus, &r.ConflictNote,
		&r.ClaimExpiresAt, &r.FirstResponseDueAt, &r.FirstRespondedAt, &r.FirstContactDueAt, &r.ContactedAt,
		&r.MeetingDueAt, &r.MeetingAt, &r.PartnerResponseDueAt, &r.PartnerAcceptedAt, &r.PartnerDeclinedAt,
		&r.PartnerDeclineReason, &r.ClosedAt, &r.CloseReason, &r.Fit, &r.FitNote,
		&r.FeeDisclosedAt, &r.ConflictsClearedAt, &r.AttestClient, &r.AgreementID, &r.CreatedAt, &r.UpdatedAt,
		&reminderHours)
	if err != nil {
		return r, err
	}
	r.RiskWindow = time.Duration(reminderHours) * time.Hour
	r.Checklist = []Answer{}
	if len(checklist) > 0 {
		if err := json.Unmarshal(checklist, &r.Checklist); err != nil {
			return r, fmt.Errorf("referral: checklist of %s: %w", r.ID, err)
		}
	}
	return r, nil
}

// Get returns one referral with its assisting partners (ENotFound when it is
// not the firm's, or under a portal transaction not the partner's).
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Referral, error) {
	r, err := scanReferral(q.QueryRow(ctx, `SELECT `+referralColumns+referralFrom+`
		WHERE r.tenant_id = $1 AND r.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return r, apperr.NotFound("Referral")
	}
	if err != nil {
		return r, err
	}
	r.Assists, err = assists(ctx, q, tenantID, id)
	return r, err
}

// GetMany returns the referrals with these ids, in the order given, with
// their assisting partners: two queries whatever the number (lists that page
// by their own keys, like the API, use it instead of Get per row). Ids not
// in the firm are left out.
func GetMany(ctx context.Context, q db.Querier, tenantID uuid.UUID, ids []uuid.UUID) ([]Referral, error) {
	if len(ids) == 0 {
		return []Referral{}, nil
	}
	rows, err := q.Query(ctx, `SELECT `+referralColumns+referralFrom+`
		WHERE r.tenant_id = $1 AND r.id = ANY($2)`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Referral, error) { return scanReferral(row) })
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*Referral, len(got))
	for i := range got {
		got[i].Assists = []Assist{}
		byID[got[i].ID] = &got[i]
	}
	arows, err := q.Query(ctx, `SELECT a.referral_id, a.partner_id, coalesce(p.name, ''), a.note FROM referral_assists a
		LEFT JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
		WHERE a.tenant_id = $1 AND a.referral_id = ANY($2) ORDER BY p.name, a.partner_id`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var rid uuid.UUID
		var a Assist
		if err := arows.Scan(&rid, &a.PartnerID, &a.PartnerName, &a.Note); err != nil {
			return nil, err
		}
		if r := byID[rid]; r != nil {
			r.Assists = append(r.Assists, a)
		}
	}
	if err := arows.Err(); err != nil {
		return nil, err
	}
	out := make([]Referral, 0, len(ids))
	for _, id := range ids {
		if r := byID[id]; r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// GetByNumber returns the referral with the given number ("R-1042" → 1042).
func GetByNumber(ctx context.Context, q db.Querier, tenantID uuid.UUID, number int64) (Referral, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `SELECT id FROM referrals WHERE tenant_id = $1 AND number = $2`, tenantID, number).Scan(&id)
	if db.IsNoRows(err) {
		return Referral{}, apperr.NotFound("Referral")
	}
	if err != nil {
		return Referral{}, err
	}
	return Get(ctx, q, tenantID, id)
}

// assists loads the assisting partners. Under a portal transaction the
// table is not readable and none come back.
func assists(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) ([]Assist, error) {
	rows, err := q.Query(ctx, `SELECT a.partner_id, coalesce(p.name, ''), a.note FROM referral_assists a
		LEFT JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
		WHERE a.tenant_id = $1 AND a.referral_id = $2 ORDER BY p.name, a.partner_id`, tenantID, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Assist, error) {
		var a Assist
		err := row.Scan(&a.PartnerID, &a.PartnerName, &a.Note)
		return a, err
	})
}

// Filter selects referrals for List and CountByStatus.
type Filter struct {
	Statuses  []string
	Direction string // inbound, outbound or "" for both
	PartnerID *uuid.UUID
	OwnerID   *uuid.UUID
	// Q searches the client's company and domain, the partner's name and the
	// number ("R-1042" or "1042").
	Q string
	// Open: not won, lost or declined. AtRisk: open with a clock not met and
	// due within the firm's reminder hours or past due, or outbound that the
	// partner declined or did not answer in time (hand it on). Breached: a
	// breach was recorded (sla_breaches). ConflictsOnly: an open conflict.
	Open, AtRisk, Breached, ConflictsOnly bool
	From, To                              time.Time // submitted in [From, To) when set
	Sort                                  string    // submitted (default, newest first), due, value, company
	Limit, Offset                         int       // Limit 0 means 50; at most 500
}

// Sorts are the Filter.Sort values.
var Sorts = []string{"submitted", "due", "value", "company"}

var refNumber = regexp.MustCompile(`^(?i)r?-?\s*(\d{1,18})$`)

// where builds the WHERE clause of f (without statuses when withStatus is
// false) with args starting after tenantID ($1); now is when "at risk" is
// judged.
func (f Filter) where(now time.Time, withStatus bool) (string, []any) {
	conds := []string{"r.tenant_id = $1"}
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)+1)
	}
	if withStatus && len(f.Statuses) > 0 {
		conds = append(conds, "r.status = ANY("+arg(f.Statuses)+")")
	}
	if f.Direction == "inbound" || f.Direction == "outbound" {
		conds = append(conds, "r.direction = "+arg(f.Direction))
	}
	if f.PartnerID != nil {
		conds = append(conds, "r.partner_id = "+arg(*f.PartnerID))
	}
	if f.OwnerID != nil {
		conds = append(conds, "r.owner_user_id = "+arg(*f.OwnerID))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		if len(q) > 200 {
			q = q[:200]
		}
		like := arg("%" + likeEscape(q) + "%")
		c := "(r.client_company ILIKE " + like + " OR p.name ILIKE " + like +
			" OR r.client_domain = " + arg(NormalizeDomain(q))
		if m := refNumber.FindStringSubmatch(q); m != nil {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				c += " OR r.number = " + arg(n)
			}
		}
		conds = append(conds, c+")")
	}
	if f.Open || f.AtRisk {
		// The same rows twice over (a check constraint ties them); the
		// status lets the planner use the open referrals' partial index.
		conds = append(conds, "r.closed_at IS NULL AND r.status <> ALL ('{won,lost,declined}'::text[])")
	}
	if f.AtRisk {
		horizon := arg(now) + "::timestamptz + make_interval(hours => coalesce(ts.sla_reminder_hours, 4))"
		conds = append(conds, `(
			(r.direction = 'inbound' AND (
				(r.first_responded_at IS NULL AND r.first_response_due_at <= `+horizon+`)
			 OR (r.contacted_at IS NULL AND r.first_contact_due_at <= `+horizon+`)
			 OR (r.meeting_at IS NULL AND r.meeting_due_at <= `+horizon+`)))
		 OR (r.direction = 'outbound' AND r.partner_accepted_at IS NULL AND (r.partner_declined_at IS NOT NULL
			 OR r.partner_response_due_at <= `+horizon+`)))`)
	}
	if f.Breached {
		conds = append(conds, `EXISTS (SELECT 1 FROM sla_breaches b WHERE b.tenant_id = r.tenant_id AND b.referral_id = r.id)`)
	}
	if f.ConflictsOnly {
		conds = append(conds, "r.conflict_status = 'open'")
	}
	if !f.From.IsZero() {
		conds = append(conds, "r.submitted_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "r.submitted_at < "+arg(f.To))
	}
	return strings.Join(conds, " AND "), args
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// nextDueSQL is the earliest unmet due time of a referral.
const nextDueSQL = `CASE WHEN r.closed_at IS NOT NULL THEN NULL WHEN r.direction = 'outbound' THEN
	CASE WHEN r.partner_accepted_at IS NULL AND r.partner_declined_at IS NULL THEN r.partner_response_due_at END
	ELSE LEAST(CASE WHEN r.first_responded_at IS NULL THEN r.first_response_due_at END,
		CASE WHEN r.contacted_at IS NULL THEN r.first_contact_due_at END,
		CASE WHEN r.meeting_at IS NULL THEN r.meeting_due_at END) END`

// CountByStatus counts the referrals matching f, ignoring f.Statuses and
// the page, by status (every status is present, zero when none).
func CountByStatus(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter) (map[string]int, error) {
	where, args := f.where(time.Now(), false)
	// Planned for its arguments each time: a cached generic plan guesses
	// the average firm and misses the open referrals' index (see listRows).
	rows, err := q.Query(ctx, `SELECT r.status, count(*)`+f.countFrom()+` WHERE `+where+` GROUP BY r.status`,
		append([]any{pgx.QueryExecModeExec, tenantID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int, len(Statuses))
	for _, s := range Statuses {
		out[s] = 0
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Conflicts returns the referrals with an open conflict, oldest first.
func Conflicts(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Referral, error) {
	rs, _, err := List(ctx, q, tenantID, Filter{ConflictsOnly: true, Limit: 500}, time.Now())
	if err != nil {
		return nil, err
	}
	// List sorts newest first; the queue is worked oldest first.
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs, nil
}
