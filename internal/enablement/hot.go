package enablement

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// HotProfile is "the referral we'd love to receive right now": one per month.
type HotProfile struct {
	ID        uuid.UUID
	Month     time.Time // the first day of the month (UTC)
	Title     string
	BodyMD    string
	CreatedBy *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
	EmailedAt *time.Time // when it was emailed to active partners; nil: not yet
}

// MonthLabel is the profile's month in words ("November 2026").
func (h HotProfile) MonthLabel() string { return h.Month.Format("January 2006") }

// HotInput is a profile as staff write it.
type HotInput struct {
	Title  string
	BodyMD string
}

// Validate trims and checks the input (field errors: title, body_md).
func (in *HotInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.BodyMD = strings.TrimRight(strings.ReplaceAll(in.BodyMD, "\r\n", "\n"), " \n\t")
	errs := map[string]string{}
	switch {
	case in.Title == "":
		errs["title"] = "Enter a title: the kind of client or situation you want referred."
	case utf8.RuneCountInString(in.Title) > titleMax:
		errs["title"] = "Keep the title to 200 characters."
	}
	if utf8.RuneCountInString(in.BodyMD) > 20000 {
		errs["body_md"] = "Keep the text to 20,000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// MonthOf returns the first day of t's month, UTC.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

const hotCols = `id, month, title, body_md, created_by, created_at, updated_at, emailed_at`

func scanHot(row interface{ Scan(...any) error }) (HotProfile, error) {
	var h HotProfile
	err := row.Scan(&h.ID, &h.Month, &h.Title, &h.BodyMD, &h.CreatedBy, &h.CreatedAt, &h.UpdatedAt, &h.EmailedAt)
	return h, err
}

func queryHot(ctx context.Context, q db.Querier, sql string, args ...any) ([]HotProfile, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HotProfile{}
	for rows.Next() {
		h, err := scanHot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HotForMonth returns the profile of a month, or nil.
func HotForMonth(ctx context.Context, q db.Querier, tenantID uuid.UUID, month time.Time) (*HotProfile, error) {
	h, err := scanHot(q.QueryRow(ctx, `SELECT `+hotCols+` FROM hot_profiles WHERE tenant_id = $1 AND month = $2`,
		tenantID, MonthOf(month)))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// LatestHot returns the newest profile whose month has begun on day today
// (this month's, or the last one written), or nil.
func LatestHot(ctx context.Context, q db.Querier, tenantID uuid.UUID, today time.Time) (*HotProfile, error) {
	h, err := scanHot(q.QueryRow(ctx, `SELECT `+hotCols+` FROM hot_profiles WHERE tenant_id = $1 AND month <= $2
		ORDER BY month DESC LIMIT 1`, tenantID, MonthOf(today)))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// GetHot returns one profile (ENotFound for another firm's).
func GetHot(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (HotProfile, error) {
	h, err := scanHot(q.QueryRow(ctx, `SELECT `+hotCols+` FROM hot_profiles WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return h, apperr.NotFound("Profile")
	}
	return h, err
}

// HotHistory returns the firm's profiles, newest month first.
func HotHistory(ctx context.Context, q db.Querier, tenantID uuid.UUID, limit int) ([]HotProfile, error) {
	if limit < 1 || limit > 240 {
		limit = 240
	}
	return queryHot(ctx, q, `SELECT `+hotCols+` FROM hot_profiles WHERE tenant_id = $1 ORDER BY month DESC LIMIT $2`, tenantID, limit)
}

// EditableMonths are the months staff may write a profile for on day today:
// this month and the next (to prepare it before the 1st, when it is emailed).
func EditableMonths(today time.Time) []time.Time {
	m := MonthOf(today)
	return []time.Time{m, m.AddDate(0, 1, 0)}
}

// SaveHot creates or changes the profile of a month, which must be this
// month or the next (EInvalid on "month" otherwise). It reports whether it
// created the profile.
func SaveHot(ctx context.Context, q db.Querier, tenantID uuid.UUID, month time.Time, in HotInput, by uuid.UUID, today time.Time) (HotProfile, bool, error) {
	month = MonthOf(month)
	errs := map[string]string{}
	if err := in.Validate(); err != nil {
		errs = apperr.FieldErrors(err)
	}
	ok := false
	for _, m := range EditableMonths(today) {
		ok = ok || m.Equal(month)
	}
	if !ok {
		errs["month"] = "Write the profile for this month or the next; past months are kept as they were."
	}
	if len(errs) > 0 {
		return HotProfile{}, false, apperr.Invalid(errs)
	}
	var byArg *uuid.UUID
	if by != uuid.Nil {
		byArg = &by
	}
	var created bool
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO hot_profiles (tenant_id, month, title, body_md, created_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, month) DO UPDATE SET title = EXCLUDED.title, body_md = EXCLUDED.body_md, updated_at = now()
		RETURNING id, xmax = 0`, tenantID, month, in.Title, in.BodyMD, byArg).Scan(&id, &created)
	if err != nil {
		return HotProfile{}, false, err
	}
	h, err := GetHot(ctx, q, tenantID, id)
	if err != nil {
		return h, created, err
	}
	action := "hot_profile.updated"
	if created {
		action = "hot_profile.created"
	}
	return h, created, audit.Record(ctx, q, tenantID, action, "hot_profile", id.String(),
		map[string]any{"month": month.Format("2006-01"), "title": h.Title})
}
