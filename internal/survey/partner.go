package survey

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// The partner satisfaction survey: once a calendar year (the firm's time
// zone) each portal user of a partner is asked "How is the partnership
// going?" (0–10) with an optional comment. One answer per user and year;
// the firm sees it with the user's name.

// ErrAlreadyAnswered refuses a second answer for the same user and year.
var ErrAlreadyAnswered = apperr.Errorf(apperr.EConflict, "You have already answered this year's survey. Thank you!")

// PartnerResponse is one portal user's answer for a year.
type PartnerResponse struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	UserName   string
	Year       int
	Score      int
	Comment    string
	AnsweredAt time.Time
}

// Year is the firm's calendar year at now.
func Year(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time) (int, error) {
	today, err := Today(ctx, q, tenantID, now)
	if err != nil {
		return 0, err
	}
	return today.Year(), nil
}

const partnerCols = `s.id, s.user_id, coalesce(u.name, ''), s.year, s.score, s.comment, s.answered_at
	FROM partner_surveys s LEFT JOIN users u ON u.id = s.user_id`

// PartnerAnswer is the user's answer for the year; nil when none yet.
func PartnerAnswer(ctx context.Context, q db.Querier, tenantID, partnerID, userID uuid.UUID, year int) (*PartnerResponse, error) {
	rows, err := q.Query(ctx, `SELECT `+partnerCols+`
		WHERE s.tenant_id = $1 AND s.partner_id = $2 AND s.user_id = $3 AND s.year = $4`, tenantID, partnerID, userID, year)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PartnerResponse])
	if err != nil {
		return nil, apperr.Internal(err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}

// PromptDue reports whether the portal should ask the user this year's
// question, and which year it is.
func PromptDue(ctx context.Context, q db.Querier, tenantID, partnerID, userID uuid.UUID, now time.Time) (int, bool, error) {
	year, err := Year(ctx, q, tenantID, now)
	if err != nil {
		return 0, false, err
	}
	var answered bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partner_surveys
		WHERE tenant_id = $1 AND partner_id = $2 AND user_id = $3 AND year = $4)`,
		tenantID, partnerID, userID, year).Scan(&answered); err != nil {
		return 0, false, apperr.Internal(err)
	}
	return year, !answered, nil
}

// SubmitPartner keeps a portal user's answer for the firm's current year:
// ErrAlreadyAnswered when the user answered it already (checked before the
// input), EInvalid (fields score, comment) for a score outside 0–10 or a
// comment over MaxComment. Audited (partner_survey.answered). Runs in the
// portal's transaction (the partner's scope).
func SubmitPartner(ctx context.Context, tx pgx.Tx, tenantID, partnerID, userID uuid.UUID, in Answer, now time.Time) (PartnerResponse, error) {
	year, due, err := PromptDue(ctx, tx, tenantID, partnerID, userID, now)
	if err != nil {
		return PartnerResponse{}, err
	}
	if !due {
		return PartnerResponse{}, ErrAlreadyAnswered
	}
	fe := map[string]string{}
	score, ok := parseScore(in.Score, 0, 10)
	if !ok {
		fe["score"] = "Choose a score from 0 (not well at all) to 10 (extremely well)."
	}
	comment, msg := cleanComment(in.Comment)
	if msg != "" {
		fe["comment"] = msg
	}
	if len(fe) > 0 {
		return PartnerResponse{}, apperr.Invalid(fe)
	}
	r := PartnerResponse{UserID: userID, Year: year, Score: score, Comment: comment, AnsweredAt: now}
	err = tx.QueryRow(ctx, `INSERT INTO partner_surveys (tenant_id, partner_id, user_id, year, score, comment, answered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, partner_id, user_id, year) DO NOTHING RETURNING id`,
		tenantID, partnerID, userID, year, score, comment, now).Scan(&r.ID)
	if db.IsNoRows(err) {
		return PartnerResponse{}, ErrAlreadyAnswered
	}
	if err != nil {
		return PartnerResponse{}, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "partner_survey.answered", "partner_survey", r.ID.String(),
		map[string]any{"partner_id": partnerID.String(), "year": year, "score": score}); err != nil {
		return PartnerResponse{}, apperr.Internal(err)
	}
	return r, nil
}

// PartnerSatisfaction is the partner's satisfaction in a year: the
// average 0–10 score ×10 (rounded half to even; 0 without answers) and
// how many answered. The scorecard calls it for its yearly trend.
func PartnerSatisfaction(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, year int) (avg10, n int, err error) {
	var sum, count int64
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(score), 0), count(*) FROM partner_surveys
		WHERE tenant_id = $1 AND partner_id = $2 AND year = $3`, tenantID, partnerID, year).Scan(&sum, &count); err != nil {
		return 0, 0, apperr.Internal(err)
	}
	return avgX10(sum, count), int(count), nil
}

// YearSatisfaction is a year's partner satisfaction with the NPS-like
// split: detractors 0–6, passives 7–8, promoters 9–10.
type YearSatisfaction struct {
	Year       int
	N          int
	Sum        int64
	Detractors int
	Passives   int
	Promoters  int
}

// AvgX10 is the year's average ×10.
func (y YearSatisfaction) AvgX10() int { return avgX10(y.Sum, int64(y.N)) }

// NPS is promoters minus detractors in percent of answers, rounded half
// away from zero (0 without answers); from -100 to 100.
func (y YearSatisfaction) NPS() int {
	if y.N == 0 {
		return 0
	}
	d := (y.Promoters - y.Detractors) * 100
	if d < 0 {
		return -((-d*2 + y.N) / (2 * y.N))
	}
	return (d*2 + y.N) / (2 * y.N)
}

// PartnerYears is the partner's satisfaction per year, latest first, for
// the years with answers (at most limit).
func PartnerYears(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, limit int) ([]YearSatisfaction, error) {
	rows, err := q.Query(ctx, `SELECT year, count(*)::int, sum(score)::bigint,
			(count(*) FILTER (WHERE score <= 6))::int, (count(*) FILTER (WHERE score IN (7, 8)))::int,
			(count(*) FILTER (WHERE score >= 9))::int
		FROM partner_surveys WHERE tenant_id = $1 AND partner_id = $2
		GROUP BY year ORDER BY year DESC LIMIT $3`, tenantID, partnerID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[YearSatisfaction])
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// PartnerComments are the partner's latest survey answers with a comment,
// newest first.
func PartnerComments(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, limit int) ([]PartnerResponse, error) {
	rows, err := q.Query(ctx, `SELECT `+partnerCols+`
		WHERE s.tenant_id = $1 AND s.partner_id = $2 AND s.comment <> ''
		ORDER BY s.answered_at DESC, s.id LIMIT $3`, tenantID, partnerID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PartnerResponse])
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// LastQuarters are the n quarters up to the firm's current one, oldest
// first (the satisfaction page shows 8).
func LastQuarters(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time, n int) ([]period.Quarter, error) {
	today, err := Today(ctx, q, tenantID, now)
	if err != nil {
		return nil, err
	}
	return period.QuarterOf(today).Last(n), nil
}
