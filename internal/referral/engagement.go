package referral

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// EngagementInput is an engagement as typed.
type EngagementInput struct {
	Kind      string // project (default) | retainer
	Name      string // default: the client's company
	Scope     string
	Value     string // dollars as typed; required
	StartedOn string // YYYY-MM-DD; default: today in the firm's time zone
}

// EngagementKinds are the allowed engagement kinds.
var EngagementKinds = []string{"project", "retainer"}

// Engagement is what a won referral became; the commissions issue pays on it.
type Engagement struct {
	ID, ReferralID, PartnerID uuid.UUID
	ClientID                  *uuid.UUID
	Kind, Name, Scope         string
	ValueCents                int64
	Currency                  string
	StartedOn                 time.Time
	EndedOn                   *time.Time
	CreatedAt                 time.Time
	ReferralNumber            int64
	ClientCompany             string
	PartnerName               string
}

// engagementValues is a validated EngagementInput.
type engagementValues struct {
	kind, name, scope string
	value             int64
	started           time.Time
}

// validateEngagement checks in; field names are prefix + kind, name, scope,
// value, started_on.
func validateEngagement(in EngagementInput, r Referral, today time.Time, prefix string) (engagementValues, map[string]string) {
	fe := map[string]string{}
	v := engagementValues{kind: strings.TrimSpace(in.Kind), name: strings.TrimSpace(in.Name), scope: strings.TrimSpace(in.Scope)}
	if v.kind == "" {
		v.kind = "project"
	}
	if v.kind != "project" && v.kind != "retainer" {
		fe[prefix+"kind"] = "Choose project or retainer."
	}
	if v.name == "" {
		v.name = r.ClientCompany
	}
	if utf8.RuneCountInString(v.name) > 200 {
		fe[prefix+"name"] = "Keep the name under 200 characters."
	}
	if utf8.RuneCountInString(v.scope) > maxLongText {
		fe[prefix+"scope"] = "Keep the scope under 5000 characters."
	}
	cents, ok, msg := commission.ParseDollars(in.Value)
	switch {
	case msg != "":
		fe[prefix+"value"] = msg
	case !ok:
		fe[prefix+"value"] = "Enter the engagement's value in dollars (the project fee, or the retainer's yearly value)."
	}
	v.value = cents
	if s := strings.TrimSpace(in.StartedOn); s == "" {
		v.started = today
	} else if d, err := time.Parse(time.DateOnly, s); err != nil {
		fe[prefix+"started_on"] = "Enter the start date as YYYY-MM-DD."
	} else if d.Year() < 2000 || d.Year() > 2100 {
		fe[prefix+"started_on"] = "Enter a start date between 2000 and 2100."
	} else {
		v.started = d
	}
	return v, fe
}

// CreateEngagement records an engagement on a won referral (EConflict when
// it is not won). Fields: kind, name, scope, value, started_on.
func CreateEngagement(ctx context.Context, tx pgx.Tx, tenantID, referralID uuid.UUID, in EngagementInput, actor uuid.UUID) (Engagement, error) {
	r, err := lockReferral(ctx, tx, tenantID, referralID)
	if err != nil {
		return Engagement{}, err
	}
	s, err := GetSettings(ctx, tx, tenantID)
	if err != nil {
		return Engagement{}, err
	}
	v, fe := validateEngagement(in, r, today(time.Now(), s), "")
	if len(fe) > 0 {
		return Engagement{}, apperr.Invalid(fe)
	}
	if r.Status != Won {
		return Engagement{}, apperr.Errorf(apperr.EConflict, "Engagements are recorded on won referrals; %s is %s.", r.Ref(), StatusLabel(r.Status))
	}
	return insertEngagement(ctx, tx, tenantID, r, v, actor, "staff", time.Now())
}

func today(now time.Time, s Settings) time.Time {
	y, m, d := now.In(s.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func insertEngagement(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r Referral, v engagementValues, actor uuid.UUID, actorKind string, now time.Time) (Engagement, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `INSERT INTO engagements (tenant_id, referral_id, partner_id, client_id, kind, name, scope,
		value_cents, currency, started_on, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		tenantID, r.ID, r.PartnerID, r.ClientID, v.kind, v.name, v.scope, v.value, r.Currency, v.started, ptrID(actor)).Scan(&id)
	if err != nil {
		return Engagement{}, err
	}
	kind := "Project"
	if v.kind == "retainer" {
		kind = "Retainer"
	}
	if err := addEvent(ctx, tx, tenantID, event{Referral: r.ID, Partner: r.PartnerID, At: now, Actor: actor,
		ActorKind: actorKind, Kind: "engagement",
		Body: fmt.Sprintf("%s: %s, starting %s.", kind, v.name, v.started.Format("2 January 2006")), Visible: true}); err != nil {
		return Engagement{}, err
	}
	if err := audit.Record(ctx, tx, tenantID, "engagement.created", "engagement", id.String(),
		map[string]any{"referral_id": r.ID, "number": r.Number, "kind": v.kind, "value_cents": v.value}); err != nil {
		return Engagement{}, err
	}
	return GetEngagement(ctx, tx, tenantID, id)
}

const engagementSelect = `SELECT e.id, e.referral_id, e.partner_id, e.client_id, e.kind, e.name, e.scope, e.value_cents,
	e.currency, e.started_on, e.ended_on, e.created_at, r.number, r.client_company, p.name
	FROM engagements e
	JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
	JOIN partners p ON p.tenant_id = e.tenant_id AND p.id = e.partner_id`

func scanEngagement(row pgx.Row) (Engagement, error) {
	var e Engagement
	err := row.Scan(&e.ID, &e.ReferralID, &e.PartnerID, &e.ClientID, &e.Kind, &e.Name, &e.Scope, &e.ValueCents,
		&e.Currency, &e.StartedOn, &e.EndedOn, &e.CreatedAt, &e.ReferralNumber, &e.ClientCompany, &e.PartnerName)
	return e, err
}

// GetEngagements returns the engagements with these ids in the order given
// (one query); ids not in the firm are left out.
func GetEngagements(ctx context.Context, q db.Querier, tenantID uuid.UUID, ids []uuid.UUID) ([]Engagement, error) {
	rows, err := q.Query(ctx, engagementSelect+` WHERE e.tenant_id = $1 AND e.id = ANY($2)`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Engagement, error) { return scanEngagement(row) })
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]Engagement, len(got))
	for _, e := range got {
		byID[e.ID] = e
	}
	out := make([]Engagement, 0, len(ids))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// GetEngagement returns one engagement (ENotFound when it is not the firm's).
func GetEngagement(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Engagement, error) {
	e, err := scanEngagement(q.QueryRow(ctx, engagementSelect+` WHERE e.tenant_id = $1 AND e.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return e, apperr.NotFound("Engagement")
	}
	return e, err
}

// ListEngagements lists engagements, newest start first (started_on DESC,
// id DESC), optionally of one referral or partner. Keyset pagination: pass
// the last row's StartedOn and ID as afterStarted/afterID for the next page
// (afterID uuid.Nil for the first). limit 0 means 50; at most 500.
func ListEngagements(ctx context.Context, q db.Querier, tenantID uuid.UUID, referralID, partnerID *uuid.UUID, limit int, afterStarted time.Time, afterID uuid.UUID) ([]Engagement, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := q.Query(ctx, engagementSelect+` WHERE e.tenant_id = $1
		AND ($2::uuid IS NULL OR e.referral_id = $2) AND ($3::uuid IS NULL OR e.partner_id = $3)
		AND ($4::uuid IS NULL OR (e.started_on, e.id) < ($5::date, $4))
		ORDER BY e.started_on DESC, e.id DESC LIMIT $6`,
		tenantID, referralID, partnerID, ptrID(afterID), afterStarted, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Engagement, error) { return scanEngagement(row) })
	if out == nil {
		out = []Engagement{}
	}
	return out, err
}

// ensureClient links an inbound won referral to the firm's client record:
// the one it already matched, else one with the same domain or normalised
// name, else a new one.
func ensureClient(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r *Referral) error {
	if r.ClientID != nil || r.Direction != "inbound" {
		return nil
	}
	k := keysFor(r.ClientCompany, r.ClientDomain, "")
	c, err := findClient(ctx, tx, tenantID, k)
	if err != nil {
		return err
	}
	var id uuid.UUID
	if c != nil {
		id = c.ID
	} else if err := tx.QueryRow(ctx, `INSERT INTO clients (tenant_id, name, name_norm, domain) VALUES ($1, $2, $3, $4) RETURNING id`,
		tenantID, r.ClientCompany, k.Name, ptrStr(k.Domain)).Scan(&id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE referrals SET client_id = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, r.ID, id); err != nil {
		return err
	}
	r.ClientID = &id
	return nil
}
