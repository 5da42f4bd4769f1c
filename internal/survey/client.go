package survey

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// The client satisfaction survey of a referred engagement: one per won
// inbound referral (its first engagement in the window), emailed to the
// referred client KickoffDays after kick-off (see SendDue), answered once
// through the link within LinkDays, or recorded by staff.

// Client survey timing, in days.
const (
	KickoffDays = 7  // the survey goes out a week after the engagement started
	WindowDays  = 90 // and not for an engagement started longer ago than this
	LinkDays    = 60 // a link takes an answer for this long after it was sent
)

// Errors of a survey link. A link that is malformed, unknown, or another
// firm's is ErrLinkNotFound alike.
var (
	ErrLinkNotFound = apperr.Errorf(apperr.ENotFound,
		"This survey link isn't valid. Check that you opened the whole link from the email.")
	ErrAnswered = apperr.Errorf(apperr.EConflict, "Thanks, we have your answer.")
	ErrExpired  = apperr.Errorf(apperr.EConflict,
		"This survey link has expired: links take answers for 60 days after they are sent.")
)

// Link is the survey a link opens, as the client sees it.
type Link struct {
	ID             uuid.UUID
	EngagementName string
	ClientCompany  string
	SentAt         time.Time
	Score          int // 0 until answered
	Comment        string
	AnsweredAt     *time.Time
}

// Answered reports whether the survey has its answer (by link or staff).
func (l Link) Answered() bool { return l.AnsweredAt != nil }

// ExpiresAt is when the link stops taking an answer.
func (l Link) ExpiresAt() time.Time { return l.SentAt.AddDate(0, 0, LinkDays) }

// Expired reports whether the unanswered link is past ExpiresAt at now.
func (l Link) Expired(now time.Time) bool { return !l.Answered() && !now.Before(l.ExpiresAt()) }

// OpenLink finds the firm's survey of a link's token (the token's SHA-256
// is looked up, then compared in constant time). A wrong token, or a token
// of another firm, is ErrLinkNotFound.
func OpenLink(ctx context.Context, q db.Querier, tenantID uuid.UUID, token string) (Link, error) {
	return openLink(ctx, q, tenantID, token, false)
}

func openLink(ctx context.Context, q db.Querier, tenantID uuid.UUID, token string, lock bool) (Link, error) {
	var l Link
	if len(token) < 20 || len(token) > 100 {
		return l, ErrLinkNotFound
	}
	want := auth.HashToken(token)
	sql := `SELECT s.id, s.token_hash, e.name, r.client_company, s.sent_at, coalesce(s.score, 0), s.comment, s.answered_at
		FROM client_surveys s
		JOIN engagements e ON e.tenant_id = s.tenant_id AND e.id = s.engagement_id
		JOIN referrals r ON r.tenant_id = s.tenant_id AND r.id = s.referral_id
		WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.sent_at IS NOT NULL`
	if lock {
		sql += ` FOR UPDATE OF s`
	}
	var got []byte
	err := q.QueryRow(ctx, sql, tenantID, want).Scan(&l.ID, &got, &l.EngagementName, &l.ClientCompany, &l.SentAt,
		&l.Score, &l.Comment, &l.AnsweredAt)
	if db.IsNoRows(err) {
		return Link{}, ErrLinkNotFound
	}
	if err != nil {
		return Link{}, apperr.Internal(err)
	}
	if !auth.ConstantTimeEqual(got, want) {
		return Link{}, ErrLinkNotFound
	}
	return l, nil
}

// Answer is a score and comment as typed.
type Answer struct {
	Score   string // "1".."5" (client) or "0".."10" (partner)
	Comment string
}

// parseScore reads a whole score in lo..hi.
func parseScore(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// validateClient checks a client survey answer; fields score, comment.
func validateClient(in Answer) (int, string, map[string]string) {
	fe := map[string]string{}
	score, ok := parseScore(in.Score, 1, 5)
	if !ok {
		fe["score"] = "Choose how satisfied you are, from 1 (very dissatisfied) to 5 (very satisfied)."
	}
	comment, msg := cleanComment(in.Comment)
	if msg != "" {
		fe["comment"] = msg
	}
	return score, comment, fe
}

// AnswerLink takes the client's answer through a link, once: ErrAnswered
// when the survey has its answer already, ErrExpired past LinkDays,
// EInvalid (fields score, comment) for a score outside 1–5 or a comment
// over MaxComment. Audited (client_survey.answered).
func AnswerLink(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, token string, in Answer, now time.Time) (Link, error) {
	l, err := openLink(ctx, tx, tenantID, token, true)
	if err != nil {
		return l, err
	}
	if l.Answered() {
		return l, ErrAnswered
	}
	if l.Expired(now) {
		return l, ErrExpired
	}
	score, comment, fe := validateClient(in)
	if len(fe) > 0 {
		return l, apperr.Invalid(fe)
	}
	tag, err := tx.Exec(ctx, `UPDATE client_surveys SET score = $3, comment = $4, answered_at = $5, source = 'link'
		WHERE tenant_id = $1 AND id = $2 AND answered_at IS NULL`, tenantID, l.ID, score, comment, now)
	if err != nil {
		return l, apperr.Internal(err)
	}
	if tag.RowsAffected() == 0 {
		return l, ErrAnswered
	}
	if err := audit.Record(ctx, tx, tenantID, "client_survey.answered", "client_survey", l.ID.String(),
		map[string]any{"score": score, "source": "link"}); err != nil {
		return l, apperr.Internal(err)
	}
	l.Score, l.Comment, l.AnsweredAt = score, comment, &now
	return l, nil
}

// RecordInput is a score staff heard from the client, as typed.
type RecordInput struct {
	EngagementID string
	Answer
}

// Record keeps a client's score that staff heard (source "staff") on one
// of the partner's engagements of a won inbound referral, in place of an
// unanswered emailed survey if there is one. EInvalid (fields
// engagement_id, score, comment) for another engagement or bad input;
// EConflict when the engagement's survey already has its answer. Audited
// (client_survey.recorded). Callers check the role (ManagePartners).
func Record(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID, in RecordInput, by uuid.UUID, now time.Time) (uuid.UUID, error) {
	score, comment, fe := validateClient(in.Answer)
	var engID, refID uuid.UUID
	if id, err := uuid.Parse(strings.TrimSpace(in.EngagementID)); err != nil {
		fe["engagement_id"] = "Choose the engagement the client spoke about."
	} else {
		err := tx.QueryRow(ctx, `SELECT e.id, e.referral_id FROM engagements e
			JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
			WHERE e.tenant_id = $1 AND e.id = $2 AND e.partner_id = $3 AND r.direction = 'inbound' AND r.status = 'won'`,
			tenantID, id, partnerID).Scan(&engID, &refID)
		switch {
		case db.IsNoRows(err):
			fe["engagement_id"] = "Choose one of this partner's engagements."
		case err != nil:
			return uuid.Nil, apperr.Internal(err)
		}
	}
	if len(fe) > 0 {
		return uuid.Nil, apperr.Invalid(fe)
	}
	var actor *uuid.UUID
	if by != uuid.Nil {
		actor = &by
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, score, comment,
			answered_at, source, recorded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'staff', $8)
		ON CONFLICT (tenant_id, engagement_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment,
			answered_at = EXCLUDED.answered_at, source = 'staff', recorded_by = EXCLUDED.recorded_by
			WHERE client_surveys.answered_at IS NULL
		RETURNING id`, tenantID, engID, refID, partnerID, score, comment, now, actor).Scan(&id)
	if db.IsNoRows(err) {
		return uuid.Nil, apperr.Errorf(apperr.EConflict, "That engagement's client satisfaction is already recorded.")
	}
	if err != nil {
		return uuid.Nil, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "client_survey.recorded", "client_survey", id.String(),
		map[string]any{"partner_id": partnerID.String(), "engagement_id": engID.String(), "score": score, "source": "staff"}); err != nil {
		return uuid.Nil, apperr.Internal(err)
	}
	return id, nil
}

// Survey states of an engagement (EngagementSurvey.State).
const (
	StateAnswered  = "answered"  // the client's score is in
	StateSent      = "sent"      // emailed, waiting for the answer
	StateExpired   = "expired"   // emailed, not answered in time
	StateScheduled = "scheduled" // will be emailed KickoffDays after the start
	StateNotAsked  = "not_asked" // no email will go out (see Why)
)

// EngagementSurvey is one of a partner's engagements with its survey.
type EngagementSurvey struct {
	EngagementID   uuid.UUID
	ReferralID     uuid.UUID
	ReferralNumber int64
	Name           string
	ClientCompany  string
	StartedOn      time.Time
	HasEmail       bool // the referred client has an email on file
	OtherAsked     bool // another engagement of the same referral has a survey
	Surveyed       bool // a client_surveys row exists
	SentAt         *time.Time
	Score          int // 0 unless answered
	Comment        string
	AnsweredAt     *time.Time
	Source         string // link | staff
}

// State is where the engagement's survey stands on the firm's day today
// at now.
func (e EngagementSurvey) State(today, now time.Time) string {
	switch {
	case e.AnsweredAt != nil:
		return StateAnswered
	case e.SentAt != nil && !now.Before(e.SentAt.AddDate(0, 0, LinkDays)):
		return StateExpired
	case e.SentAt != nil:
		return StateSent
	case e.Surveyed || e.OtherAsked || !e.HasEmail:
		return StateNotAsked
	case today.Sub(e.StartedOn) > WindowDays*24*time.Hour:
		return StateNotAsked
	}
	return StateScheduled
}

// Why says why an engagement's client is not asked ("" when they are).
func (e EngagementSurvey) Why(today, now time.Time) string {
	if e.State(today, now) != StateNotAsked {
		return ""
	}
	switch {
	case e.OtherAsked:
		return "The client was asked about another engagement of this referral."
	case !e.HasEmail:
		return "The referral has no client email."
	}
	return "It started more than " + strconv.Itoa(WindowDays) + " days ago."
}

// SendsOn is the day the survey of a scheduled engagement goes out.
func (e EngagementSurvey) SendsOn(today time.Time) time.Time {
	d := e.StartedOn.AddDate(0, 0, KickoffDays)
	if d.Before(today) {
		return today
	}
	return d
}

// PartnerEngagements lists the partner's engagements of won inbound
// referrals with their surveys, latest start first, at most limit.
func PartnerEngagements(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, limit int) ([]EngagementSurvey, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.referral_id, r.number, e.name, r.client_company, e.started_on,
			coalesce(p.contact_email, '') <> '' AND p.erased_at IS NULL,
			EXISTS (SELECT 1 FROM client_surveys o WHERE o.tenant_id = e.tenant_id AND o.referral_id = e.referral_id
				AND o.engagement_id <> e.id),
			s.id IS NOT NULL, s.sent_at, coalesce(s.score, 0), coalesce(s.comment, ''), s.answered_at, coalesce(s.source, '')
		FROM engagements e
		JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		LEFT JOIN referral_prospects p ON p.tenant_id = r.tenant_id AND p.id = r.prospect_id
		LEFT JOIN client_surveys s ON s.tenant_id = e.tenant_id AND s.engagement_id = e.id
		WHERE e.tenant_id = $1 AND e.partner_id = $2 AND r.direction = 'inbound' AND r.status = 'won'
		ORDER BY e.started_on DESC, e.created_at DESC, e.id LIMIT $3`, tenantID, partnerID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EngagementSurvey, error) {
		var e EngagementSurvey
		err := row.Scan(&e.EngagementID, &e.ReferralID, &e.ReferralNumber, &e.Name, &e.ClientCompany, &e.StartedOn,
			&e.HasEmail, &e.OtherAsked, &e.Surveyed, &e.SentAt, &e.Score, &e.Comment, &e.AnsweredAt, &e.Source)
		return e, err
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// ClientCSAT is the partner's client satisfaction answered from day from
// to day to (both included, calendar days in the firm's time zone): the
// sum of the 1–5 scores and how many there are (average = sum / count).
// The scorecard calls it per quarter (period.Quarter Start and End).
func ClientCSAT(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, from, to time.Time) (sum, count int64, err error) {
	loc, err := Location(ctx, q, tenantID)
	if err != nil {
		return 0, 0, err
	}
	err = q.QueryRow(ctx, `SELECT coalesce(sum(score), 0), count(*) FROM client_surveys
		WHERE tenant_id = $1 AND partner_id = $2 AND answered_at >= $3 AND answered_at < $4`,
		tenantID, partnerID, dayStart(from, loc), dayStart(to.AddDate(0, 0, 1), loc)).Scan(&sum, &count)
	if err != nil {
		return 0, 0, apperr.Internal(err)
	}
	return sum, count, nil
}

// QuarterCSAT is a quarter's client satisfaction.
type QuarterCSAT struct {
	Quarter period.Quarter
	Sum     int64
	Count   int64
}

// AvgX10 is the quarter's average score ×10 (0 without answers).
func (c QuarterCSAT) AvgX10() int { return avgX10(c.Sum, c.Count) }

// ClientCSATByQuarter is ClientCSAT for consecutive quarters (oldest
// first, as period.Quarter.Last gives them) in one query.
func ClientCSATByQuarter(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, quarters []period.Quarter) ([]QuarterCSAT, error) {
	out := make([]QuarterCSAT, len(quarters))
	if len(quarters) == 0 {
		return out, nil
	}
	loc, err := Location(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	idx := map[period.Quarter]int{}
	for i, qt := range quarters {
		out[i].Quarter = qt
		idx[qt] = i
	}
	first, last := quarters[0], quarters[len(quarters)-1]
	rows, err := q.Query(ctx, `SELECT (answered_at AT TIME ZONE $5)::date, score FROM client_surveys
		WHERE tenant_id = $1 AND partner_id = $2 AND answered_at >= $3 AND answered_at < $4`,
		tenantID, partnerID, dayStart(first.Start(), loc), dayStart(last.End().AddDate(0, 0, 1), loc), loc.String())
	if err != nil {
		return nil, apperr.Internal(err)
	}
	var day time.Time
	var score int64
	_, err = pgx.ForEachRow(rows, []any{&day, &score}, func() error {
		if i, ok := idx[period.QuarterOf(day)]; ok {
			out[i].Sum += score
			out[i].Count++
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// ClientComment is an answered client survey with a comment.
type ClientComment struct {
	EngagementName string
	ClientCompany  string
	Score          int
	Comment        string
	AnsweredAt     time.Time
	Source         string // link | staff
	RecordedBy     string // the staff member's name (source staff)
}

// ClientComments are the partner's latest client comments, newest first.
func ClientComments(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, limit int) ([]ClientComment, error) {
	rows, err := q.Query(ctx, `SELECT e.name, r.client_company, s.score, s.comment, s.answered_at, s.source, coalesce(u.name, '')
		FROM client_surveys s
		JOIN engagements e ON e.tenant_id = s.tenant_id AND e.id = s.engagement_id
		JOIN referrals r ON r.tenant_id = s.tenant_id AND r.id = s.referral_id
		LEFT JOIN users u ON u.id = s.recorded_by
		WHERE s.tenant_id = $1 AND s.partner_id = $2 AND s.answered_at IS NOT NULL AND s.comment <> ''
		ORDER BY s.answered_at DESC, s.id LIMIT $3`, tenantID, partnerID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ClientComment])
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
