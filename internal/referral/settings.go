package referral

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Settings are the firm's referral settings (tenant_settings columns of
// migration 00005).
type Settings struct {
	TimeZone             string // IANA zone, the firm's clock for SLA hours
	SLAClock             string // business | calendar
	FirstResponseHours   int
	FirstContactHours    int
	MeetingDays          int
	PartnerResponseHours int
	ReminderHours        int    // remind the owner this many hours before a breach (0: no reminders)
	AttributionRule      string // first_introduction | staff_decides
	ClaimWindowDays      int
	ShareWonScope        bool
}

// SLAClocks and AttributionRules are the allowed setting values.
var (
	SLAClocks        = []string{"business", "calendar"}
	AttributionRules = []string{"first_introduction", "staff_decides"}
)

// DefaultSettings are the schema's defaults.
func DefaultSettings() Settings {
	return Settings{TimeZone: "UTC", SLAClock: "business", FirstResponseHours: 24, FirstContactHours: 72,
		MeetingDays: 7, PartnerResponseHours: 48, ReminderHours: 4, AttributionRule: "first_introduction",
		ClaimWindowDays: 90, ShareWonScope: true}
}

const settingsColumns = `time_zone, sla_clock, sla_first_response_hours, sla_first_contact_hours, sla_meeting_days,
	sla_partner_response_hours, sla_reminder_hours, attribution_rule, claim_window_days, share_won_scope`

// settingsCoalesced reads the settings columns of a LEFT JOINed
// tenant_settings ts, with the schema's defaults when the row is missing.
const settingsCoalesced = `coalesce(ts.time_zone, 'UTC'), coalesce(ts.sla_clock, 'business'),
	coalesce(ts.sla_first_response_hours, 24), coalesce(ts.sla_first_contact_hours, 72), coalesce(ts.sla_meeting_days, 7),
	coalesce(ts.sla_partner_response_hours, 48), coalesce(ts.sla_reminder_hours, 4),
	coalesce(ts.attribution_rule, 'first_introduction'), coalesce(ts.claim_window_days, 90), coalesce(ts.share_won_scope, true)`

// GetSettings reads the firm's referral settings (the defaults when the firm
// has no settings row).
func GetSettings(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Settings, error) {
	var s Settings
	err := q.QueryRow(ctx, `SELECT `+settingsColumns+` FROM tenant_settings WHERE tenant_id = $1`, tenantID).Scan(
		&s.TimeZone, &s.SLAClock, &s.FirstResponseHours, &s.FirstContactHours, &s.MeetingDays,
		&s.PartnerResponseHours, &s.ReminderHours, &s.AttributionRule, &s.ClaimWindowDays, &s.ShareWonScope)
	if db.IsNoRows(err) {
		return DefaultSettings(), nil
	}
	return s, err
}

// Validate checks the settings against the schema's limits; the fields are
// time_zone, sla_clock, first_response_hours, first_contact_hours,
// meeting_days, partner_response_hours, reminder_hours, attribution_rule and
// claim_window_days.
func (s Settings) Validate() error {
	fe := map[string]string{}
	if tz := strings.TrimSpace(s.TimeZone); tz == "" || utf8.RuneCountInString(tz) > 64 {
		fe["time_zone"] = "Choose a time zone, like America/New_York."
	} else if _, err := loadLocation(tz); err != nil {
		fe["time_zone"] = "Unknown time zone; use a name like America/New_York or Europe/London."
	}
	if s.SLAClock != "business" && s.SLAClock != "calendar" {
		fe["sla_clock"] = "Choose business hours or calendar hours."
	}
	between := func(field string, v, lo, hi int, unit string) {
		if v < lo || v > hi {
			fe[field] = "Enter " + unit + " between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi) + "."
		}
	}
	between("first_response_hours", s.FirstResponseHours, 1, 720, "hours")
	between("first_contact_hours", s.FirstContactHours, 1, 720, "hours")
	between("meeting_days", s.MeetingDays, 1, 90, "days")
	between("partner_response_hours", s.PartnerResponseHours, 1, 720, "hours")
	if s.ReminderHours < 0 || s.ReminderHours > 168 {
		fe["reminder_hours"] = "Enter hours between 0 (no reminders) and 168."
	}
	if s.AttributionRule != "first_introduction" && s.AttributionRule != "staff_decides" {
		fe["attribution_rule"] = "Choose first introduction or staff decide."
	}
	between("claim_window_days", s.ClaimWindowDays, 1, 730, "days")
	if len(fe) > 0 {
		return apperr.Invalid(fe)
	}
	return nil
}

// SaveSettings validates and stores the referral settings (only these
// columns; the row is created when missing).
func SaveSettings(ctx context.Context, q db.Querier, tenantID uuid.UUID, s Settings) error {
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	if err := s.Validate(); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, `+settingsColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, sla_clock = EXCLUDED.sla_clock,
			sla_first_response_hours = EXCLUDED.sla_first_response_hours,
			sla_first_contact_hours = EXCLUDED.sla_first_contact_hours, sla_meeting_days = EXCLUDED.sla_meeting_days,
			sla_partner_response_hours = EXCLUDED.sla_partner_response_hours,
			sla_reminder_hours = EXCLUDED.sla_reminder_hours, attribution_rule = EXCLUDED.attribution_rule,
			claim_window_days = EXCLUDED.claim_window_days, share_won_scope = EXCLUDED.share_won_scope,
			updated_at = now()`,
		tenantID, s.TimeZone, s.SLAClock, s.FirstResponseHours, s.FirstContactHours, s.MeetingDays,
		s.PartnerResponseHours, s.ReminderHours, s.AttributionRule, s.ClaimWindowDays, s.ShareWonScope)
	return err
}

// ResponsePromise says the first-response SLA in words for partners
// ("24 business hours", "48 hours").
func (s Settings) ResponsePromise() string {
	return hoursWords(s.FirstResponseHours, s.SLAClock == "business")
}

func hoursWords(h int, business bool) string {
	unit := " hours"
	if h == 1 {
		unit = " hour"
	}
	if business {
		unit = " business" + unit
	}
	return strconv.Itoa(h) + unit
}

var locations sync.Map // name → *time.Location

// loadLocation is time.LoadLocation with a cache (it reads the zone database
// on every call).
func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// Question is one qualification checklist question.
type Question struct {
	ID       uuid.UUID
	Question string
	Help     string
	Required bool // must be answered yes before a partner can submit
	Position int
	Active   bool
}

// Questions lists the checklist by position.
func Questions(ctx context.Context, q db.Querier, tenantID uuid.UUID, activeOnly bool) ([]Question, error) {
	rows, err := q.Query(ctx, `SELECT id, question, help, required, position, active FROM referral_questions
		WHERE tenant_id = $1 AND (active OR NOT $2) ORDER BY position, created_at, id`, tenantID, activeOnly)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Question{}
	for rows.Next() {
		var qu Question
		if err := rows.Scan(&qu.ID, &qu.Question, &qu.Help, &qu.Required, &qu.Position, &qu.Active); err != nil {
			return nil, err
		}
		out = append(out, qu)
	}
	return out, rows.Err()
}

// SaveQuestion creates a question (ID Nil; Position 0 puts it last) or
// updates one (ENotFound when it is not the firm's). Fields: question, help,
// position.
func SaveQuestion(ctx context.Context, q db.Querier, tenantID uuid.UUID, qu Question) (Question, error) {
	qu.Question = strings.TrimSpace(qu.Question)
	qu.Help = strings.TrimSpace(qu.Help)
	fe := map[string]string{}
	switch n := utf8.RuneCountInString(qu.Question); {
	case n == 0:
		fe["question"] = "Write the question, answered yes or no."
	case n > 300:
		fe["question"] = "Keep the question under 300 characters."
	}
	if utf8.RuneCountInString(qu.Help) > 1000 {
		fe["help"] = "Keep the help under 1000 characters."
	}
	if qu.Position < 0 || qu.Position > 1000 {
		fe["position"] = "Enter a position between 0 and 1000."
	}
	if len(fe) > 0 {
		return qu, apperr.Invalid(fe)
	}
	if qu.ID == uuid.Nil {
		err := q.QueryRow(ctx, `INSERT INTO referral_questions (tenant_id, question, help, required, position, active)
			VALUES ($1, $2, $3, $4, CASE WHEN $5 > 0 THEN $5 ELSE
				(SELECT coalesce(max(position), 0) + 1 FROM referral_questions WHERE tenant_id = $1) END, $6)
			RETURNING id, position`, tenantID, qu.Question, qu.Help, qu.Required, qu.Position, qu.Active).Scan(&qu.ID, &qu.Position)
		return qu, err
	}
	tag, err := q.Exec(ctx, `UPDATE referral_questions SET question = $3, help = $4, required = $5, position = $6, active = $7
		WHERE tenant_id = $1 AND id = $2`, tenantID, qu.ID, qu.Question, qu.Help, qu.Required, qu.Position, qu.Active)
	if err != nil {
		return qu, err
	}
	if tag.RowsAffected() == 0 {
		return qu, apperr.NotFound("Question")
	}
	return qu, nil
}

// DeleteQuestion removes a question; referrals keep the answers they were
// submitted with (their checklist is a copy).
func DeleteQuestion(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) error {
	tag, err := q.Exec(ctx, `DELETE FROM referral_questions WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Question")
	}
	return nil
}

// DefaultQuestions is the checklist a new firm starts with.
var DefaultQuestions = []Question{
	{Question: "Does the client know you are introducing them to us, and are they happy to be contacted?",
		Help: "We only contact people who expect to hear from us.", Required: true, Position: 1, Active: true},
	{Question: "Is the client's need something we do (see our services)?",
		Help: "If you're unsure, say no and tell us more in the context.", Required: true, Position: 2, Active: true},
	{Question: "Have you spoken with the client about this need in the last 30 days?",
		Help: "Recent conversations convert far better.", Required: false, Position: 3, Active: true},
	{Question: "Is someone who can decide or hold the budget involved?",
		Required: false, Position: 4, Active: true},
}

// SetUpFirm gives a firm the default checklist when it has no questions yet
// (idempotent: a firm that has questions, even edited ones, is left alone).
func SetUpFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM referral_questions WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, qu := range DefaultQuestions {
		if _, err := q.Exec(ctx, `INSERT INTO referral_questions (tenant_id, question, help, required, position, active)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, qu.Question, qu.Help, qu.Required, qu.Position, qu.Active); err != nil {
			return err
		}
	}
	return nil
}

func claimWindow(s Settings) time.Duration { return time.Duration(s.ClaimWindowDays) * 24 * time.Hour }
