// Package agreement keeps a firm's partnership agreements: versioned,
// structured terms (scope, money rules, payment, exclusivity and
// territories, governance, confidentiality, term and termination,
// disputes), the firm's templates, the profession policy checks, conflicts
// of scope between partners and a readable diff between versions.
//
// A partner's versions are numbered 1, 2, …: at most one is being drafted
// or waits for the partner (draft, sent) and at most one is active. A
// version moves draft → sent → active (accepted in the portal, or recorded
// as signed elsewhere) → superseded | expired | terminated, or sent →
// declined. Once a version leaves draft its terms are frozen (a database
// trigger enforces it): changing an active agreement makes a new draft
// version with its own effective date, and when that one becomes active the
// old one is superseded the day before. Each version that was in force keeps
// its dates, so "the version in force on a date" is a lookup (InForce).
package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// Status is where a version is in its life.
type Status string

// The statuses.
const (
	StatusDraft      Status = "draft"
	StatusSent       Status = "sent"
	StatusActive     Status = "active"
	StatusDeclined   Status = "declined"
	StatusSuperseded Status = "superseded"
	StatusExpired    Status = "expired"
	StatusTerminated Status = "terminated"
)

// Statuses in the order people read them.
var Statuses = []Status{StatusDraft, StatusSent, StatusActive, StatusDeclined, StatusSuperseded, StatusExpired, StatusTerminated}

// StatusLabels are how people name the statuses.
var StatusLabels = map[Status]string{
	StatusDraft:      "Draft",
	StatusSent:       "Awaiting acceptance",
	StatusActive:     "Active",
	StatusDeclined:   "Declined",
	StatusSuperseded: "Superseded",
	StatusExpired:    "Expired",
	StatusTerminated: "Terminated",
}

// Label is the status as people name it.
func (s Status) Label() string {
	if l, ok := StatusLabels[s]; ok {
		return l
	}
	return string(s)
}

// WasInForce reports whether a version in this status has been in force
// (it has dates that count for "the version in force on a date").
func (s Status) WasInForce() bool {
	switch s {
	case StatusActive, StatusSuperseded, StatusExpired, StatusTerminated:
		return true
	}
	return false
}

// Models are the partnership models (as partners.type).
var Models = []string{"referral", "delivery", "alliance", "technology", "channel"}

// ModelLabels are how people name the models.
var ModelLabels = map[string]string{
	"referral":   "Referral",
	"delivery":   "Subcontracting / delivery",
	"alliance":   "Strategic alliance / JV",
	"technology": "Technology / platform",
	"channel":    "Channel / reseller",
}

// PaymentTriggers are the events that make a commission payable.
var PaymentTriggers = []string{"client_payment", "project_start", "completion", "monthly"}

// PaymentTriggerLabels are how people name the payment triggers.
var PaymentTriggerLabels = map[string]string{
	"client_payment": "When the client pays",
	"project_start":  "When the project starts",
	"completion":     "On completion",
	"monthly":        "Monthly (retainers)",
}

// Exclusivities are the kinds of exclusivity.
var Exclusivities = []string{"none", "service_category", "geography", "industry"}

// ExclusivityLabels are how people name the kinds of exclusivity.
var ExclusivityLabels = map[string]string{
	"none":             "None (non-exclusive)",
	"service_category": "By service category",
	"geography":        "By geography",
	"industry":         "By industry",
}

// Professions a partner may have (as the firm's, in the policy packs).
var Professions = []string{"law", "accounting", "consulting", "marketing_agency", "other"}

// ProfessionLabels are how people name a partner's profession.
var ProfessionLabels = map[string]string{
	"law":              "Law",
	"accounting":       "Accounting",
	"consulting":       "Consulting",
	"marketing_agency": "Marketing agency",
	"other":            "Other",
}

// Agreement is one version of a partner's agreement.
type Agreement struct {
	ID          uuid.UUID
	PartnerID   uuid.UUID
	PartnerName string
	Version     int
	Status      Status
	Model       string
	Title       string
	TemplateID  *uuid.UUID
	// EffectiveFrom is the first day in force; EffectiveTo the last (nil:
	// open-ended). Dates are UTC midnight.
	EffectiveFrom         time.Time
	EffectiveTo           *time.Time
	AutoRenew             bool
	RenewalMonths         int
	TerminationNoticeDays int
	PaymentTrigger        string
	PaymentNetDays        int
	Exclusivity           string
	ExclusivityScope      []string
	Territories           []string
	Terms                 Terms
	Rules                 []commission.Rule
	ChangeNote            string
	CreatedBy             *uuid.UUID
	CreatedByName         string
	CreatedAt             time.Time
	UpdatedAt             time.Time
	SentAt                *time.Time
	SentBy                *uuid.UUID
	AcceptedAt            *time.Time
	DeclinedAt            *time.Time
	EndedAt               *time.Time
	RenewalRemindedAt     *time.Time
	AcceptedBy            *uuid.UUID
	DeclinedBy            *uuid.UUID
	// AcceptedName is the name typed by who accepted (or the staff member
	// who recorded it); AcceptedVia is "portal" or "recorded".
	AcceptedName   string
	AcceptedIP     string
	AcceptedVia    string
	DeclinedReason string
	EndedReason    string
}

// InForceOn reports whether this version was (or is) the one in force on
// day d: it has been in force and d is within its dates.
func (a Agreement) InForceOn(d time.Time) bool {
	if !a.Status.WasInForce() {
		return false
	}
	d = Day(d)
	if d.Before(a.EffectiveFrom) {
		return false
	}
	return a.EffectiveTo == nil || !d.After(*a.EffectiveTo)
}

// Label names the version for people: "Version 2 (Referral)".
func (a Agreement) Label() string {
	if a.Title != "" {
		return fmt.Sprintf("Version %d — %s", a.Version, a.Title)
	}
	return fmt.Sprintf("Version %d", a.Version)
}

// ExpiredOn reports whether an active version's term has ended by day d
// (and it does not renew itself).
func (a Agreement) ExpiredOn(d time.Time) bool {
	return a.Status == StatusExpired || (a.Status == StatusActive && a.EffectiveTo != nil && Day(d).After(*a.EffectiveTo) && !a.AutoRenew)
}

// Day truncates t to its calendar day at UTC midnight (dates in this
// package are compared that way).
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// cols selects an agreement from "agreements a" joined with the partner
// (p) and the creator (cu).
const cols = `a.id, a.partner_id, p.name, a.version, a.status, a.model, a.title, a.template_id,
	a.effective_from, a.effective_to, a.auto_renew, a.renewal_months, a.termination_notice_days,
	a.payment_trigger, a.payment_net_days, a.exclusivity, a.exclusivity_scope, a.territories,
	a.terms, a.rules, a.change_note, a.created_by, coalesce(cu.name, ''), a.created_at, a.updated_at,
	a.sent_at, a.sent_by, a.accepted_at, a.declined_at, a.ended_at, a.renewal_reminded_at, a.accepted_by, a.declined_by,
	coalesce(a.accepted_name, ''), coalesce(a.accepted_ip, ''), coalesce(a.accepted_via, ''),
	coalesce(a.declined_reason, ''), coalesce(a.ended_reason, '')`

const fromAgreements = ` FROM agreements a
	JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
	LEFT JOIN users cu ON cu.id = a.created_by `

func scan(row pgx.Row) (Agreement, error) {
	var a Agreement
	var status string
	var terms, rules []byte
	err := row.Scan(&a.ID, &a.PartnerID, &a.PartnerName, &a.Version, &status, &a.Model, &a.Title, &a.TemplateID,
		&a.EffectiveFrom, &a.EffectiveTo, &a.AutoRenew, &a.RenewalMonths, &a.TerminationNoticeDays,
		&a.PaymentTrigger, &a.PaymentNetDays, &a.Exclusivity, &a.ExclusivityScope, &a.Territories,
		&terms, &rules, &a.ChangeNote, &a.CreatedBy, &a.CreatedByName, &a.CreatedAt, &a.UpdatedAt,
		&a.SentAt, &a.SentBy, &a.AcceptedAt, &a.DeclinedAt, &a.EndedAt, &a.RenewalRemindedAt, &a.AcceptedBy, &a.DeclinedBy,
		&a.AcceptedName, &a.AcceptedIP, &a.AcceptedVia, &a.DeclinedReason, &a.EndedReason)
	if err != nil {
		return a, err
	}
	a.Status = Status(status)
	a.EffectiveFrom = Day(a.EffectiveFrom)
	if a.EffectiveTo != nil {
		t := Day(*a.EffectiveTo)
		a.EffectiveTo = &t
	}
	if err := json.Unmarshal(terms, &a.Terms); err != nil {
		return a, fmt.Errorf("agreement %s: terms: %w", a.ID, err)
	}
	if err := json.Unmarshal(rules, &a.Rules); err != nil {
		return a, fmt.Errorf("agreement %s: rules: %w", a.ID, err)
	}
	if a.Rules == nil {
		a.Rules = []commission.Rule{}
	}
	return a, nil
}

func query(ctx context.Context, q db.Querier, sql string, args ...any) ([]Agreement, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Agreement, error) { return scan(row) })
}

func one(ctx context.Context, q db.Querier, sql string, args ...any) (*Agreement, error) {
	a, err := scan(q.QueryRow(ctx, sql, args...))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Get returns one version of the firm's agreements; ENotFound for another
// firm's id (or, in a portal transaction, another partner's).
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Agreement, error) {
	a, err := one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.id = $2`, tenantID, id)
	if err != nil {
		return Agreement{}, err
	}
	if a == nil {
		return Agreement{}, apperr.NotFound("Agreement")
	}
	return *a, nil
}

// getForUpdate locks and returns one version.
func getForUpdate(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Agreement, error) {
	a, err := one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.id = $2 FOR UPDATE OF a`, tenantID, id)
	if err != nil {
		return Agreement{}, err
	}
	if a == nil {
		return Agreement{}, apperr.NotFound("Agreement")
	}
	return *a, nil
}

// ListForPartner returns a partner's versions, newest first.
func ListForPartner(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Agreement, error) {
	return query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2 ORDER BY a.version DESC`,
		tenantID, partnerID)
}

// Current returns the partner's active version, or nil.
func Current(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (*Agreement, error) {
	return one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2 AND a.status = 'active'`,
		tenantID, partnerID)
}

// Pending returns the partner's version being drafted or waiting for the
// partner (draft or sent), or nil.
func Pending(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (*Agreement, error) {
	return one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2 AND a.status IN ('draft', 'sent')`,
		tenantID, partnerID)
}

// Latest returns the partner's newest version of any status, or nil.
func Latest(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (*Agreement, error) {
	return one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2 ORDER BY a.version DESC LIMIT 1`,
		tenantID, partnerID)
}

// InForce returns the partner's version in force on a date — the one whose
// dates cover the day among those that have been in force — or nil when
// none was (before the first, between a termination and a new agreement,
// after the end). Money is computed with it for a referral's date.
func InForce(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, on time.Time) (*Agreement, error) {
	return one(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.partner_id = $2
			AND a.status IN ('active', 'superseded', 'expired', 'terminated')
			AND a.effective_from <= $3::date AND (a.effective_to IS NULL OR a.effective_to >= $3::date)
		ORDER BY a.version DESC LIMIT 1`, tenantID, partnerID, Day(on))
}

// Filter narrows the firm-wide list.
type Filter struct {
	// Status: one of Statuses, or "" for every current version (draft,
	// sent, active, expired and declined — not superseded ones).
	Status string
	// Q matches the partner's name or the title (case-insensitive).
	Q string
	// ExpiringWithinDays > 0 keeps active versions whose term ends within
	// that many days of Today.
	ExpiringWithinDays int
	// Today is the day expiring counts from (zero: now).
	Today time.Time
}

// List returns the firm's agreements for the firm-wide list, with partner
// names, by partner name and newest version first.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter) ([]Agreement, error) {
	where := []string{"a.tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch {
	case f.Status != "":
		where = append(where, "a.status = "+arg(f.Status))
	case f.ExpiringWithinDays <= 0:
		where = append(where, "a.status <> 'superseded'")
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		p := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s)) + "%"
		n := arg(p)
		where = append(where, "(lower(p.name) LIKE "+n+" OR lower(a.title) LIKE "+n+")")
	}
	if f.ExpiringWithinDays > 0 {
		today := f.Today
		if today.IsZero() {
			today = time.Now()
		}
		where = append(where, "a.status = 'active' AND a.effective_to IS NOT NULL AND a.effective_to >= "+arg(Day(today))+
			"::date AND a.effective_to <= "+arg(Day(today).AddDate(0, 0, f.ExpiringWithinDays))+"::date")
	}
	return query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE `+strings.Join(where, " AND ")+
		` ORDER BY lower(p.name), p.id, a.version DESC LIMIT 1000`, args...)
}

// Expiring returns the firm's active versions whose term ends between today
// and today + days (inclusive), soonest first.
func Expiring(ctx context.Context, q db.Querier, tenantID uuid.UUID, today time.Time, days int) ([]Agreement, error) {
	t := Day(today)
	return query(ctx, q, `SELECT `+cols+fromAgreements+`WHERE a.tenant_id = $1 AND a.status = 'active'
			AND a.effective_to IS NOT NULL AND a.effective_to >= $2::date AND a.effective_to <= $3::date
		ORDER BY a.effective_to, lower(p.name)`, tenantID, t, t.AddDate(0, 0, days))
}

// HasExpired reports whether the partner's most recent agreement that was
// in force has expired (or its active version is past its end and will be
// marked expired) and nothing replaced it: the partner header shows
// "Agreement expired".
func HasExpired(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, today time.Time) (bool, error) {
	var expired bool
	err := q.QueryRow(ctx, `SELECT coalesce((
			SELECT a.status = 'expired' OR (a.status = 'active' AND NOT a.auto_renew AND a.effective_to < $3::date)
			FROM agreements a WHERE a.tenant_id = $1 AND a.partner_id = $2
				AND a.status IN ('active', 'expired', 'terminated', 'superseded')
			ORDER BY a.version DESC LIMIT 1), false)`, tenantID, partnerID, Day(today)).Scan(&expired)
	return expired, err
}
