// Package campaign runs a firm's co-marketing with its partners: joint
// webinars, co-authored content, email campaigns, events, co-sponsored
// research and newsletter features, each with one or more partners, who
// does what, each side's audience and the combined reach net of overlap,
// the lead rules agreed up front, and the leads (attendees, registrants)
// with an owner and a follow-up status. A lead turned into a referral is
// marked converted here; the referral itself is made by the referral area,
// in the same transaction, by the server.
//
// Both firms have equal access to the leads: portal requests (app.partner_id
// set) read every lead of the campaigns their partner is in and write only
// as the lead's owner; Row-Level Security enforces it as well as this code.
// Every write records its audit entry in the caller's transaction.
package campaign

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Kinds of campaign.
var Kinds = []string{"webinar", "co_content", "email_campaign", "event", "research", "newsletter"}

// KindLabels are how people name the kinds.
var KindLabels = map[string]string{
	"webinar":        "Webinar",
	"co_content":     "Co-authored content",
	"email_campaign": "Joint email campaign",
	"event":          "Event or shared booth",
	"research":       "Co-sponsored research",
	"newsletter":     "Newsletter feature or guest post",
}

// Statuses of a campaign.
var Statuses = []string{"planned", "active", "completed", "cancelled"}

// StatusLabels are how people name the statuses.
var StatusLabels = map[string]string{"planned": "Planned", "active": "Active", "completed": "Completed", "cancelled": "Cancelled"}

// Tasks a side can own.
var Tasks = []string{"logistics", "promotion", "content", "other"}

// TaskLabels are how people name the tasks.
var TaskLabels = map[string]string{"logistics": "Logistics", "promotion": "Promotion", "content": "Content", "other": "Other"}

// LeadRules are the structured lead rules a campaign can agree on.
var LeadRules = []string{"existing_clients_keep", "round_robin", "owner_manual"}

// LeadRuleLabels name the lead rules.
var LeadRuleLabels = map[string]string{
	"existing_clients_keep": "Existing clients stay with their firm; new ones are split by service",
	"round_robin":           "New leads are shared out in turn between the firms",
	"owner_manual":          "We assign each lead by hand",
}

// LeadRuleHelp explains what a lead rule means in practice.
var LeadRuleHelp = map[string]string{
	"existing_clients_keep": "A registrant who is already a client of one of the firms is followed up by that firm. Everyone else goes to the firm whose service fits their need: the partner when it is the partner's line of work, us when it is ours.",
	"round_robin":           "Registrants who are nobody's client are shared out in turn, one firm after the other, so each side follows up about the same number.",
	"owner_manual":          "The partner manager reads each registration and sets its owner; until then the lead is ours.",
}

// Limits.
const (
	maxName        = 200
	maxDescription = 5000
	maxNote        = 500
	maxRulesNote   = 2000
	maxAudience    = 100_000_000
	maxPartners    = 10
	maxResps       = 20
)

// Partner is one partner of a campaign. Name is empty in the portal for a
// partner other than the viewer's own.
type Partner struct {
	PartnerID uuid.UUID
	Name      string
	Audience  int64
}

// Responsibility is who does one task: us (PartnerID nil) or a partner.
type Responsibility struct {
	Task      string
	PartnerID *uuid.UUID
	Note      string
}

// Campaign is one joint campaign.
type Campaign struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	Name          string
	Kind          string
	Status        string
	StartsOn      time.Time  // a day (UTC midnight)
	EndsOn        *time.Time // optional
	Description   string
	OurAudience   int64
	OverlapBP     int64
	LeadRule      string
	LeadRulesNote string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Partners and Responsibilities, in their order.
	Partners         []Partner
	Responsibilities []Responsibility
}

// Reach is the campaign's combined reach net of overlap.
func (c Campaign) Reach() Reach {
	r := Reach{Ours: c.OurAudience, OverlapBP: c.OverlapBP}
	for _, p := range c.Partners {
		r.Partners = append(r.Partners, p.Audience)
	}
	return r
}

// HasPartner reports whether id is one of the campaign's partners.
func (c Campaign) HasPartner(id uuid.UUID) bool {
	return slices.ContainsFunc(c.Partners, func(p Partner) bool { return p.PartnerID == id })
}

// PartnerName names one of the campaign's partners ("" when unknown).
func (c Campaign) PartnerName(id uuid.UUID) string {
	for _, p := range c.Partners {
		if p.PartnerID == id {
			return p.Name
		}
	}
	return ""
}

// Input is a campaign as typed (form or API). Numbers are text so a bad one
// is a field error, not a parse failure.
type Input struct {
	Name          string
	Kind          string
	Status        string
	StartsOn      string // YYYY-MM-DD
	EndsOn        string // optional
	Description   string
	OurAudience   string
	OverlapPct    string // percent as typed ("25", "12.5"), stored as basis points
	LeadRule      string
	LeadRulesNote string
	Partners      []PartnerInput
	// Responsibilities: Owner is "us" or "partner:<id>".
	Responsibilities []ResponsibilityInput
}

// PartnerInput is one partner row as typed.
type PartnerInput struct {
	PartnerID string
	Audience  string
}

// ResponsibilityInput is one responsibility row as typed.
type ResponsibilityInput struct {
	Task  string
	Owner string // "us" or "partner:<id>"
	Note  string
}

// valid is the checked input.
type valid struct {
	c Campaign
}

// ParsePercentBP reads a percentage with up to two decimals ("25", "12.5",
// "7,25 %") as basis points (2500, 1250, 725); ok false when it isn't one
// from 0 to 100.
func ParsePercentBP(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	s = strings.Replace(s, ",", ".", 1)
	if s == "" {
		return 0, true
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || (hasFrac && frac == "") {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 100 {
		return 0, false
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	bp := w*100 + f
	return bp, bp <= 10000
}

// parseCount reads a whole number of people ("12,000", "12 000").
func parseCount(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", " ", "", "_", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0 && n <= maxAudience
}

func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return t, err == nil && t.Year() >= 2000 && t.Year() <= 2200
}

// validate checks in (partners must be the firm's: known maps their ids to
// names) and returns the campaign it describes, or EInvalid with a message
// per field: name, kind, status, starts_on, ends_on, description,
// our_audience, overlap, lead_rule, lead_rules_note, partners,
// partner_<i>, audience_<i>, resp_task_<i>, resp_owner_<i>, resp_note_<i>.
func validate(in Input, known map[uuid.UUID]string) (valid, error) {
	fe := map[string]string{}
	c := Campaign{Name: strings.TrimSpace(in.Name), Kind: strings.TrimSpace(in.Kind), Status: strings.TrimSpace(in.Status),
		Description: strings.TrimSpace(in.Description), LeadRule: strings.TrimSpace(in.LeadRule),
		LeadRulesNote: strings.TrimSpace(in.LeadRulesNote)}
	switch n := utf8.RuneCountInString(c.Name); {
	case n == 0:
		fe["name"] = "Give the campaign a name."
	case n > maxName:
		fe["name"] = "Keep the name under 200 characters."
	}
	if !slices.Contains(Kinds, c.Kind) {
		fe["kind"] = "Choose what kind of campaign it is."
	}
	if c.Status == "" {
		c.Status = "planned"
	}
	if !slices.Contains(Statuses, c.Status) {
		fe["status"] = "Choose planned, active, completed or cancelled."
	}
	if d, ok := parseDay(in.StartsOn); ok {
		c.StartsOn = d
	} else {
		fe["starts_on"] = "Enter the start date, like 2026-03-14."
	}
	if strings.TrimSpace(in.EndsOn) != "" {
		d, ok := parseDay(in.EndsOn)
		switch {
		case !ok:
			fe["ends_on"] = "Enter the end date, like 2026-03-14, or leave it empty."
		case fe["starts_on"] == "" && d.Before(c.StartsOn):
			fe["ends_on"] = "The end date can't be before the start date."
		default:
			c.EndsOn = &d
		}
	}
	if utf8.RuneCountInString(c.Description) > maxDescription {
		fe["description"] = "Keep the description under 5000 characters."
	}
	if n, ok := parseCount(in.OurAudience); ok {
		c.OurAudience = n
	} else {
		fe["our_audience"] = "Enter a whole number of people, up to 100 million."
	}
	if bp, ok := ParsePercentBP(in.OverlapPct); ok {
		c.OverlapBP = bp
	} else {
		fe["overlap"] = "Enter a percentage from 0 to 100, like 25 or 12.5."
	}
	if c.LeadRule == "" {
		c.LeadRule = "existing_clients_keep"
	}
	if !slices.Contains(LeadRules, c.LeadRule) {
		fe["lead_rule"] = "Choose one of the lead rules."
	}
	if utf8.RuneCountInString(c.LeadRulesNote) > maxRulesNote {
		fe["lead_rules_note"] = "Keep the lead rules under 2000 characters."
	}
	seen := map[uuid.UUID]bool{}
	for i, p := range in.Partners {
		k := strconv.Itoa(i)
		if strings.TrimSpace(p.PartnerID) == "" {
			if strings.TrimSpace(p.Audience) != "" {
				fe["partner_"+k] = "Choose the partner whose audience this is."
			}
			continue
		}
		id, err := uuid.Parse(strings.TrimSpace(p.PartnerID))
		name, ok := known[id]
		switch {
		case err != nil || !ok:
			fe["partner_"+k] = "Choose one of your partners."
			continue
		case seen[id]:
			fe["partner_"+k] = name + " is listed twice."
			continue
		}
		seen[id] = true
		n, ok := parseCount(p.Audience)
		if !ok {
			fe["audience_"+k] = "Enter a whole number of people, up to 100 million."
		}
		c.Partners = append(c.Partners, Partner{PartnerID: id, Name: name, Audience: n})
	}
	if len(c.Partners) == 0 && !hasPrefixKey(fe, "partner_") {
		fe["partners"] = "Choose at least one partner to run the campaign with."
	}
	if len(c.Partners) > maxPartners {
		fe["partners"] = "A campaign can have up to 10 partners."
	}
	for i, r := range in.Responsibilities {
		k := strconv.Itoa(i)
		task, owner, note := strings.TrimSpace(r.Task), strings.TrimSpace(r.Owner), strings.TrimSpace(r.Note)
		if task == "" && note == "" {
			continue
		}
		if !slices.Contains(Tasks, task) {
			fe["resp_task_"+k] = "Choose logistics, promotion, content or other."
		}
		rs := Responsibility{Task: task, Note: note}
		switch {
		case owner == "us" || owner == "":
		case strings.HasPrefix(owner, "partner:"):
			id, err := uuid.Parse(strings.TrimPrefix(owner, "partner:"))
			if err != nil || !seen[id] {
				fe["resp_owner_"+k] = "Choose us or one of the campaign's partners."
			} else {
				rs.PartnerID = &id
			}
		default:
			fe["resp_owner_"+k] = "Choose us or one of the campaign's partners."
		}
		if utf8.RuneCountInString(note) > maxNote {
			fe["resp_note_"+k] = "Keep the note under 500 characters."
		}
		c.Responsibilities = append(c.Responsibilities, rs)
	}
	if len(c.Responsibilities) > maxResps {
		fe["responsibilities"] = "List up to 20 responsibilities."
	}
	if len(fe) > 0 {
		return valid{}, apperr.Invalid(fe)
	}
	return valid{c: c}, nil
}

func hasPrefixKey(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// knownPartners maps the firm's partners (of ids) to their names.
func knownPartners(ctx context.Context, q db.Querier, tenantID uuid.UUID, in Input) (map[uuid.UUID]string, error) {
	var ids []uuid.UUID
	for _, p := range in.Partners {
		if id, err := uuid.Parse(strings.TrimSpace(p.PartnerID)); err == nil {
			ids = append(ids, id)
		}
	}
	known := map[uuid.UUID]string{}
	if len(ids) == 0 {
		return known, nil
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM partners WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		known[id] = name
	}
	return known, rows.Err()
}

// Create records a new campaign with its partners and responsibilities.
// Staff only (in a tenant-scoped tx without app.partner_id). EInvalid with
// the fields of validate.
func Create(ctx context.Context, q db.Querier, tenantID uuid.UUID, in Input, by uuid.UUID) (Campaign, error) {
	known, err := knownPartners(ctx, q, tenantID, in)
	if err != nil {
		return Campaign{}, err
	}
	v, err := validate(in, known)
	if err != nil {
		return Campaign{}, err
	}
	c := v.c
	err = q.QueryRow(ctx, `INSERT INTO campaigns (tenant_id, name, kind, status, starts_on, ends_on, description,
			our_audience, overlap_bp, lead_rule, lead_rules_note, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		tenantID, c.Name, c.Kind, c.Status, c.StartsOn, c.EndsOn, c.Description, c.OurAudience, c.OverlapBP,
		c.LeadRule, c.LeadRulesNote, nullID(by)).Scan(&c.ID)
	if err != nil {
		return Campaign{}, err
	}
	if err := writeChildren(ctx, q, tenantID, c.ID, c, nil); err != nil {
		return Campaign{}, err
	}
	if err := audit.Record(ctx, q, tenantID, "campaign.created", "campaign", c.ID.String(), map[string]any{
		"name": c.Name, "kind": c.Kind, "partners": len(c.Partners)}); err != nil {
		return Campaign{}, err
	}
	return Get(ctx, q, tenantID, c.ID)
}

// writeChildren replaces the campaign's partners and responsibilities.
// A partner that owns leads can't be taken off (EInvalid on partners).
func writeChildren(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, c Campaign, before *Campaign) error {
	if before != nil {
		var keep []uuid.UUID
		for _, p := range c.Partners {
			keep = append(keep, p.PartnerID)
		}
		var owning []string
		rows, err := q.Query(ctx, `SELECT DISTINCT p.name FROM campaign_leads l
			JOIN partners p ON p.tenant_id = l.tenant_id AND p.id = l.owner_partner_id
			WHERE l.tenant_id = $1 AND l.campaign_id = $2 AND NOT (l.owner_partner_id = ANY($3)) ORDER BY 1`,
			tenantID, id, keep)
		if err != nil {
			return err
		}
		owning, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(owning) > 0 {
			return apperr.Invalid(map[string]string{"partners": strings.Join(owning, ", ") +
				" owns leads of this campaign: give those leads to another owner before taking it off."})
		}
		if _, err := q.Exec(ctx, `DELETE FROM campaign_responsibilities WHERE tenant_id = $1 AND campaign_id = $2`, tenantID, id); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM campaign_partners WHERE tenant_id = $1 AND campaign_id = $2 AND NOT (partner_id = ANY($3))`,
			tenantID, id, keep); err != nil {
			return err
		}
	}
	for i, p := range c.Partners {
		if _, err := q.Exec(ctx, `INSERT INTO campaign_partners (tenant_id, campaign_id, partner_id, audience, position)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, campaign_id, partner_id) DO UPDATE SET audience = EXCLUDED.audience, position = EXCLUDED.position`,
			tenantID, id, p.PartnerID, p.Audience, i); err != nil {
			return err
		}
	}
	for i, r := range c.Responsibilities {
		if _, err := q.Exec(ctx, `INSERT INTO campaign_responsibilities (tenant_id, campaign_id, position, task, owner_partner_id, note)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, id, i, r.Task, r.PartnerID, r.Note); err != nil {
			return err
		}
	}
	return nil
}

// Update replaces a campaign's details, partners and responsibilities.
// Staff only. ENotFound for another firm's campaign; EInvalid as Create.
func Update(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in Input) (Campaign, error) {
	before, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return Campaign{}, err
	}
	if _, err := q.Exec(ctx, `SELECT 1 FROM campaigns WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id); err != nil {
		return Campaign{}, err
	}
	known, err := knownPartners(ctx, q, tenantID, in)
	if err != nil {
		return Campaign{}, err
	}
	v, err := validate(in, known)
	if err != nil {
		return Campaign{}, err
	}
	c := v.c
	if _, err := q.Exec(ctx, `UPDATE campaigns SET name = $3, kind = $4, status = $5, starts_on = $6, ends_on = $7,
			description = $8, our_audience = $9, overlap_bp = $10, lead_rule = $11, lead_rules_note = $12, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, c.Name, c.Kind, c.Status, c.StartsOn, c.EndsOn, c.Description,
		c.OurAudience, c.OverlapBP, c.LeadRule, c.LeadRulesNote); err != nil {
		return Campaign{}, err
	}
	if err := writeChildren(ctx, q, tenantID, id, c, &before); err != nil {
		return Campaign{}, err
	}
	detail := map[string]any{"name": c.Name}
	if before.Status != c.Status {
		detail["status"] = map[string]string{"from": before.Status, "to": c.Status}
	}
	if err := audit.Record(ctx, q, tenantID, "campaign.updated", "campaign", id.String(), detail); err != nil {
		return Campaign{}, err
	}
	return Get(ctx, q, tenantID, id)
}

// InputOf is the campaign as an Input (to edit it or to patch part of it).
func InputOf(c Campaign) Input {
	in := Input{Name: c.Name, Kind: c.Kind, Status: c.Status, StartsOn: c.StartsOn.Format(time.DateOnly),
		Description: c.Description, OurAudience: strconv.FormatInt(c.OurAudience, 10), OverlapPct: PercentText(c.OverlapBP),
		LeadRule: c.LeadRule, LeadRulesNote: c.LeadRulesNote}
	if c.EndsOn != nil {
		in.EndsOn = c.EndsOn.Format(time.DateOnly)
	}
	for _, p := range c.Partners {
		in.Partners = append(in.Partners, PartnerInput{PartnerID: p.PartnerID.String(), Audience: strconv.FormatInt(p.Audience, 10)})
	}
	for _, r := range c.Responsibilities {
		in.Responsibilities = append(in.Responsibilities, ResponsibilityInput{Task: r.Task, Owner: OwnerValue(r.PartnerID), Note: r.Note})
	}
	return in
}

// OwnerValue is "us" or "partner:<id>".
func OwnerValue(id *uuid.UUID) string {
	if id == nil {
		return "us"
	}
	return "partner:" + id.String()
}

// PercentText writes basis points as a percentage without trailing zeros:
// 2500 → "25", 1250 → "12.5", 725 → "7.25".
func PercentText(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if f := bp % 100; f != 0 {
		fs := strconv.FormatInt(f+100, 10)[1:]
		s += "." + strings.TrimRight(fs, "0")
	}
	return s
}

const campaignCols = `c.id, c.tenant_id, c.name, c.kind, c.status, c.starts_on, c.ends_on, c.description,
	c.our_audience, c.overlap_bp, c.lead_rule, c.lead_rules_note, c.created_at, c.updated_at FROM campaigns c `

func scanCampaign(row pgx.Row) (Campaign, error) {
	var c Campaign
	err := row.Scan(&c.ID, &c.TenantID, &c.Name, &c.Kind, &c.Status, &c.StartsOn, &c.EndsOn, &c.Description,
		&c.OurAudience, &c.OverlapBP, &c.LeadRule, &c.LeadRulesNote, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// Get returns one campaign with its partners and responsibilities;
// ENotFound for another firm's (or, in the portal, another partner's).
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Campaign, error) {
	c, err := scanCampaign(q.QueryRow(ctx, `SELECT `+campaignCols+`WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return c, apperr.NotFound("Campaign")
	}
	if err != nil {
		return c, err
	}
	cs := []Campaign{c}
	if err := loadChildren(ctx, q, tenantID, cs); err != nil {
		return c, err
	}
	return cs[0], nil
}

// loadChildren fills the partners and responsibilities of cs.
func loadChildren(ctx context.Context, q db.Querier, tenantID uuid.UUID, cs []Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	at := map[uuid.UUID]int{}
	ids := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		at[c.ID], ids[i] = i, c.ID
	}
	rows, err := q.Query(ctx, `SELECT cp.campaign_id, cp.partner_id, coalesce(p.name, ''), cp.audience
		FROM campaign_partners cp LEFT JOIN partners p ON p.tenant_id = cp.tenant_id AND p.id = cp.partner_id
		WHERE cp.tenant_id = $1 AND cp.campaign_id = ANY($2) ORDER BY cp.campaign_id, cp.position, p.name`, tenantID, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var cid uuid.UUID
		var p Partner
		if err := rows.Scan(&cid, &p.PartnerID, &p.Name, &p.Audience); err != nil {
			rows.Close()
			return err
		}
		cs[at[cid]].Partners = append(cs[at[cid]].Partners, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT campaign_id, task, owner_partner_id, note FROM campaign_responsibilities
		WHERE tenant_id = $1 AND campaign_id = ANY($2) ORDER BY campaign_id, position, id`, tenantID, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var cid uuid.UUID
		var r Responsibility
		if err := rows.Scan(&cid, &r.Task, &r.PartnerID, &r.Note); err != nil {
			return err
		}
		cs[at[cid]].Responsibilities = append(cs[at[cid]].Responsibilities, r)
	}
	return rows.Err()
}

// Filter narrows a list of campaigns.
type Filter struct {
	Status    string     // "" for any
	PartnerID *uuid.UUID // campaigns with this partner
	Kind      string
}

// List returns the firm's campaigns (in the portal: the partner's),
// newest start first.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter) ([]Campaign, error) {
	return list(ctx, q, tenantID, f, nil, 0)
}

// PagePos is a position in the API's (created_at, id) order.
type PagePos struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ListPage returns up to limit campaigns in (created_at, id) order after pos.
func ListPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, after PagePos, limit int) ([]Campaign, error) {
	return list(ctx, q, tenantID, f, &after, limit)
}

func list(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, after *PagePos, limit int) ([]Campaign, error) {
	where := []string{"c.tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		where = append(where, "c.status = "+arg(f.Status))
	}
	if f.Kind != "" {
		where = append(where, "c.kind = "+arg(f.Kind))
	}
	if f.PartnerID != nil {
		where = append(where, "EXISTS (SELECT 1 FROM campaign_partners cp WHERE cp.tenant_id = c.tenant_id AND cp.campaign_id = c.id AND cp.partner_id = "+
			arg(*f.PartnerID)+")")
	}
	order := " ORDER BY c.starts_on DESC, c.created_at DESC, c.id"
	if after != nil {
		if after.ID != uuid.Nil {
			where = append(where, "(c.created_at, c.id) > ("+arg(after.CreatedAt)+", "+arg(after.ID)+")")
		}
		order = " ORDER BY c.created_at, c.id LIMIT " + arg(limit)
	}
	rows, err := q.Query(ctx, `SELECT `+campaignCols+`WHERE `+strings.Join(where, " AND ")+order, args...)
	if err != nil {
		return nil, err
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Campaign, error) { return scanCampaign(row) })
	if err != nil {
		return nil, err
	}
	return cs, loadChildren(ctx, q, tenantID, cs)
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
