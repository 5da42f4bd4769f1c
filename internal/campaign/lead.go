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
	"github.com/allyway/allyway/internal/identity"
)

// LeadStatuses are the follow-up statuses of a lead, in order.
var LeadStatuses = []string{"new", "contacted", "qualified", "converted", "not_interested"}

// LeadStatusLabels name the statuses.
var LeadStatusLabels = map[string]string{"new": "New", "contacted": "Contacted", "qualified": "Qualified",
	"converted": "Converted to a referral", "not_interested": "Not interested"}

// FollowUpStatuses are the statuses people set by hand: "converted" comes
// only from turning the lead into a referral.
var FollowUpStatuses = []string{"new", "contacted", "qualified", "not_interested"}

// Lead sources.
const (
	SourceStaff  = "staff"
	SourceImport = "import"
	SourcePortal = "portal"
	SourceAPI    = "api"
)

// Lead is one registrant or attendee of a campaign.
type Lead struct {
	ID         uuid.UUID
	CampaignID uuid.UUID
	Name       string
	Email      string
	Company    string
	Title      string
	Consent    *bool
	Notes      string
	// OwnerPartnerID is the partner that follows up; nil: we do.
	OwnerPartnerID *uuid.UUID
	OwnerName      string // the owning partner's name ("" for us, or a partner the viewer can't see)
	Status         string
	ReferralID     *uuid.UUID
	ReferralNumber int64 // 0 unless converted (and visible)
	Source         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// OwnedByUs reports whether the firm follows the lead up.
func (l Lead) OwnedByUs() bool { return l.OwnerPartnerID == nil }

// LeadInput is a lead as typed. Owner is "us" or a partner id ("partner:<id>"
// or the bare id).
type LeadInput struct {
	Name    string
	Email   string
	Company string
	Title   string
	Consent string // yes/no/true/false/1/0 or ""
	Notes   string
	Owner   string
	Status  string
	Source  string
}

// ParseOwner reads "us", "" (us), "partner:<id>" or "<id>".
func ParseOwner(s string) (*uuid.UUID, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "us" {
		return nil, true
	}
	id, err := uuid.Parse(strings.TrimPrefix(s, "partner:"))
	if err != nil {
		return nil, false
	}
	return &id, true
}

// ParseConsent reads a consent cell: yes/no, true/false, y/n, 1/0, or
// empty (unknown).
func ParseConsent(s string) (*bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return nil, true
	case "yes", "y", "true", "1", "opted in", "opt-in", "x":
		t := true
		return &t, true
	case "no", "n", "false", "0", "opted out", "opt-out":
		f := false
		return &f, true
	}
	return nil, false
}

// checkLead validates the lead's own fields (not its owner), with messages
// per field: name, email, company, title, consent, notes.
func checkLead(in LeadInput) (Lead, map[string]string) {
	fe := map[string]string{}
	l := Lead{Name: strings.TrimSpace(in.Name), Company: strings.TrimSpace(in.Company), Title: strings.TrimSpace(in.Title),
		Notes: strings.TrimSpace(in.Notes)}
	switch n := utf8.RuneCountInString(l.Name); {
	case n == 0:
		fe["name"] = "Enter the person's name."
	case n > maxName:
		fe["name"] = "Keep the name under 200 characters."
	}
	if e := strings.TrimSpace(in.Email); e != "" {
		norm, err := identity.NormalizeEmail(e)
		if err != nil {
			fe["email"] = "Enter an email address like jane@acme.com, or leave it empty."
		}
		l.Email = norm
	}
	if utf8.RuneCountInString(l.Company) > maxName {
		fe["company"] = "Keep the company under 200 characters."
	}
	if utf8.RuneCountInString(l.Title) > maxName {
		fe["title"] = "Keep the title under 200 characters."
	}
	if c, ok := ParseConsent(in.Consent); ok {
		l.Consent = c
	} else {
		fe["consent"] = "Use yes or no (or leave it empty when unknown)."
	}
	if utf8.RuneCountInString(l.Notes) > maxRulesNote {
		fe["notes"] = "Keep the notes under 2000 characters."
	}
	return l, fe
}

// Actor is who writes a lead: staff or an API token (PartnerID Nil), or a
// partner's portal user.
type Actor struct {
	UserID    uuid.UUID
	PartnerID uuid.UUID // set for portal users
}

func (a Actor) portal() bool { return a.PartnerID != uuid.Nil }

// AddLead adds one lead to a campaign. Staff may give it any owner among
// the campaign's partners (or us); a partner's lead is always its own.
// EInvalid per field (those of checkLead, owner, status); EConflict-free:
// an email already on the campaign is a field error.
func AddLead(ctx context.Context, q db.Querier, tenantID uuid.UUID, c Campaign, in LeadInput, by Actor) (Lead, error) {
	l, fe := checkLead(in)
	owner, ok := ParseOwner(in.Owner)
	switch {
	case by.portal():
		owner = &by.PartnerID
	case !ok || (owner != nil && !c.HasPartner(*owner)):
		fe["owner"] = "Choose us or one of the campaign's partners."
	}
	l.OwnerPartnerID = owner
	l.Status = strings.TrimSpace(in.Status)
	if l.Status == "" {
		l.Status = "new"
	}
	if !slices.Contains(FollowUpStatuses, l.Status) {
		fe["status"] = "Choose new, contacted, qualified or not interested."
	}
	l.Source = in.Source
	if l.Source == "" {
		l.Source = SourceStaff
	}
	if by.portal() {
		l.Source = SourcePortal
	}
	if l.Email != "" && fe["email"] == "" {
		taken, err := emailTaken(ctx, q, tenantID, c.ID, l.Email, uuid.Nil)
		if err != nil {
			return l, err
		}
		if taken {
			fe["email"] = "Someone with this email is already a lead of this campaign."
		}
	}
	if len(fe) > 0 {
		return l, apperr.Invalid(fe)
	}
	if err := insertLead(ctx, q, tenantID, c.ID, &l, by.UserID); err != nil {
		if db.IsUniqueViolation(err, "campaign_leads_email_key") {
			return l, apperr.Invalid(map[string]string{"email": "Someone with this email is already a lead of this campaign."})
		}
		return l, err
	}
	if err := audit.Record(ctx, q, tenantID, "campaign.lead_added", "campaign_lead", l.ID.String(), map[string]any{
		"campaign_id": c.ID, "source": l.Source}); err != nil {
		return l, err
	}
	return GetLead(ctx, q, tenantID, c.ID, l.ID)
}

func insertLead(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID, l *Lead, by uuid.UUID) error {
	l.CampaignID = campaignID
	return q.QueryRow(ctx, `INSERT INTO campaign_leads (tenant_id, campaign_id, name, email, company, title, consent, notes,
			owner_partner_id, status, source, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id, created_at, updated_at`,
		tenantID, campaignID, l.Name, l.Email, l.Company, l.Title, l.Consent, l.Notes, l.OwnerPartnerID, l.Status, l.Source,
		nullID(by)).Scan(&l.ID, &l.CreatedAt, &l.UpdatedAt)
}

func emailTaken(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID, email string, except uuid.UUID) (bool, error) {
	var taken bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaign_leads WHERE tenant_id = $1 AND campaign_id = $2
		AND email = $3 AND id <> $4)`, tenantID, campaignID, email, except).Scan(&taken)
	return taken, err
}

// LeadUpdate is a change to a lead; nil fields stay as they are. Owner is
// as in LeadInput.
type LeadUpdate struct {
	Owner  *string
	Status *string
	Notes  *string
	// Staff may correct the contact details too.
	Name, Email, Company, Title *string
}

// UpdateLead changes a lead's owner, follow-up status, notes (and, for
// staff, its contact details). A partner may take a lead over (owner: its
// own partner) and update the status and notes of leads it owns, nothing
// else. A converted lead keeps its status and owner. ENotFound for a lead
// of another campaign; EForbidden for a partner acting on another's lead;
// EInvalid per field (owner, status, notes, name, email, company, title).
func UpdateLead(ctx context.Context, q db.Querier, tenantID uuid.UUID, c Campaign, leadID uuid.UUID, u LeadUpdate, by Actor) (Lead, error) {
	before, err := lockLead(ctx, q, tenantID, c.ID, leadID)
	if err != nil {
		return Lead{}, err
	}
	after := before
	fe := map[string]string{}
	if u.Owner != nil {
		owner, ok := ParseOwner(*u.Owner)
		switch {
		case !ok || (owner != nil && !c.HasPartner(*owner)):
			fe["owner"] = "Choose us or one of the campaign's partners."
		case by.portal() && (owner == nil || *owner != by.PartnerID):
			fe["owner"] = "You can take a lead over for your firm, not give it to someone else."
		default:
			after.OwnerPartnerID = owner
		}
	}
	if u.Status != nil {
		st := strings.TrimSpace(*u.Status)
		switch {
		case st == before.Status:
		case !slices.Contains(FollowUpStatuses, st):
			fe["status"] = "Choose new, contacted, qualified or not interested."
		default:
			after.Status = st
		}
	}
	if u.Notes != nil {
		after.Notes = strings.TrimSpace(*u.Notes)
		if utf8.RuneCountInString(after.Notes) > maxRulesNote {
			fe["notes"] = "Keep the notes under 2000 characters."
		}
	}
	if u.Name != nil || u.Email != nil || u.Company != nil || u.Title != nil {
		if by.portal() {
			return Lead{}, apperr.Errorf(apperr.EForbidden, "Only %s's staff can change a lead's contact details.", "the firm")
		}
		in := LeadInput{Name: before.Name, Email: before.Email, Company: before.Company, Title: before.Title}
		for dst, src := range map[*string]*string{&in.Name: u.Name, &in.Email: u.Email, &in.Company: u.Company, &in.Title: u.Title} {
			if src != nil {
				*dst = *src
			}
		}
		l, errs := checkLead(in)
		for _, k := range []string{"name", "email", "company", "title"} {
			if errs[k] != "" {
				fe[k] = errs[k]
			}
		}
		after.Name, after.Email, after.Company, after.Title = l.Name, l.Email, l.Company, l.Title
		if after.Email != "" && after.Email != before.Email && fe["email"] == "" {
			taken, err := emailTaken(ctx, q, tenantID, c.ID, after.Email, leadID)
			if err != nil {
				return Lead{}, err
			}
			if taken {
				fe["email"] = "Someone with this email is already a lead of this campaign."
			}
		}
	}
	if before.Status == "converted" && (after.Status != before.Status || !sameID(after.OwnerPartnerID, before.OwnerPartnerID)) {
		return Lead{}, apperr.Errorf(apperr.EConflict, "This lead is already a referral; follow it up there.")
	}
	if len(fe) > 0 {
		return Lead{}, apperr.Invalid(fe)
	}
	// A partner updates only what it owns (after taking it over, if it did).
	if by.portal() && (after.OwnerPartnerID == nil || *after.OwnerPartnerID != by.PartnerID) {
		return Lead{}, apperr.Errorf(apperr.EForbidden, "Take the lead over for your firm before updating it.")
	}
	if _, err := q.Exec(ctx, `UPDATE campaign_leads SET owner_partner_id = $4, status = $5, notes = $6, name = $7, email = $8,
			company = $9, title = $10, updated_at = now()
		WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3`, tenantID, c.ID, leadID, after.OwnerPartnerID, after.Status,
		after.Notes, after.Name, after.Email, after.Company, after.Title); err != nil {
		return Lead{}, err
	}
	detail := map[string]any{"campaign_id": c.ID}
	if after.Status != before.Status {
		detail["status"] = map[string]string{"from": before.Status, "to": after.Status}
	}
	if !sameID(after.OwnerPartnerID, before.OwnerPartnerID) {
		detail["owner"] = map[string]string{"from": OwnerValue(before.OwnerPartnerID), "to": OwnerValue(after.OwnerPartnerID)}
	}
	if by.portal() {
		detail["partner_id"] = by.PartnerID
	}
	if err := audit.Record(ctx, q, tenantID, "campaign.lead_updated", "campaign_lead", leadID.String(), detail); err != nil {
		return Lead{}, err
	}
	return GetLead(ctx, q, tenantID, c.ID, leadID)
}

func sameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func lockLead(ctx context.Context, q db.Querier, tenantID, campaignID, id uuid.UUID) (Lead, error) {
	l, err := scanLead(q.QueryRow(ctx, `SELECT `+leadCols+`WHERE l.tenant_id = $1 AND l.campaign_id = $2 AND l.id = $3 FOR UPDATE OF l`,
		tenantID, campaignID, id))
	if db.IsNoRows(err) {
		return l, apperr.NotFound("Lead")
	}
	return l, err
}

// MarkConverted records that a lead became the referral referralID: the
// lead is converted and linked, and the referral counts for the campaign
// (referrals.campaign_id). Call it in the transaction that made the
// referral. EConflict when the lead is already converted.
func MarkConverted(ctx context.Context, q db.Querier, tenantID, campaignID, leadID, referralID uuid.UUID) error {
	l, err := lockLead(ctx, q, tenantID, campaignID, leadID)
	if err != nil {
		return err
	}
	if l.ReferralID != nil {
		return apperr.Errorf(apperr.EConflict, "This lead is already a referral.")
	}
	if _, err := q.Exec(ctx, `UPDATE campaign_leads SET status = 'converted', referral_id = $4, updated_at = now()
		WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3`, tenantID, campaignID, leadID, referralID); err != nil {
		return err
	}
	tag, err := q.Exec(ctx, `UPDATE referrals SET campaign_id = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, referralID, campaignID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return apperr.NotFound("Referral")
	}
	return audit.Record(ctx, q, tenantID, "campaign.lead_converted", "campaign_lead", leadID.String(), map[string]any{
		"campaign_id": campaignID, "referral_id": referralID})
}

const leadCols = `l.id, l.campaign_id, l.name, l.email, l.company, l.title, l.consent, l.notes, l.owner_partner_id,
	coalesce(p.name, ''), l.status, l.referral_id, coalesce(r.number, 0), l.source, l.created_at, l.updated_at
	FROM campaign_leads l
	LEFT JOIN partners p ON p.tenant_id = l.tenant_id AND p.id = l.owner_partner_id
	LEFT JOIN referrals r ON r.tenant_id = l.tenant_id AND r.id = l.referral_id `

func scanLead(row pgx.Row) (Lead, error) {
	var l Lead
	err := row.Scan(&l.ID, &l.CampaignID, &l.Name, &l.Email, &l.Company, &l.Title, &l.Consent, &l.Notes, &l.OwnerPartnerID,
		&l.OwnerName, &l.Status, &l.ReferralID, &l.ReferralNumber, &l.Source, &l.CreatedAt, &l.UpdatedAt)
	return l, err
}

// GetLead returns one lead of the campaign; ENotFound otherwise.
func GetLead(ctx context.Context, q db.Querier, tenantID, campaignID, id uuid.UUID) (Lead, error) {
	l, err := scanLead(q.QueryRow(ctx, `SELECT `+leadCols+`WHERE l.tenant_id = $1 AND l.campaign_id = $2 AND l.id = $3`,
		tenantID, campaignID, id))
	if db.IsNoRows(err) {
		return l, apperr.NotFound("Lead")
	}
	return l, err
}

// LeadFilter narrows a campaign's leads. Owner is "" (any), "us" or a
// partner id.
type LeadFilter struct {
	Owner  string
	Status string
}

// Check returns a message per filter value a list doesn't know (owner,
// status); empty when the filter is fine.
func (f LeadFilter) Check() map[string]string {
	fe := map[string]string{}
	if f.Owner != "" {
		if _, ok := ParseOwner(f.Owner); !ok {
			fe["owner"] = "Use us or a partner id."
		}
	}
	if f.Status != "" && !slices.Contains(LeadStatuses, f.Status) {
		fe["status"] = "Use new, contacted, qualified, converted or not_interested."
	}
	return fe
}

// ListLeads returns the campaign's leads matching f, oldest first.
func ListLeads(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID, f LeadFilter) ([]Lead, error) {
	return listLeads(ctx, q, tenantID, campaignID, f, nil, 0)
}

// ListLeadsPage returns up to limit leads in (created_at, id) order after pos.
func ListLeadsPage(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID, f LeadFilter, after PagePos, limit int) ([]Lead, error) {
	return listLeads(ctx, q, tenantID, campaignID, f, &after, limit)
}

func listLeads(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID, f LeadFilter, after *PagePos, limit int) ([]Lead, error) {
	where := []string{"l.tenant_id = $1", "l.campaign_id = $2"}
	args := []any{tenantID, campaignID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Owner != "" {
		owner, _ := ParseOwner(f.Owner)
		if owner == nil {
			where = append(where, "l.owner_partner_id IS NULL")
		} else {
			where = append(where, "l.owner_partner_id = "+arg(*owner))
		}
	}
	if f.Status != "" {
		where = append(where, "l.status = "+arg(f.Status))
	}
	tail := " ORDER BY l.created_at, l.id"
	if after != nil {
		if after.ID != uuid.Nil {
			where = append(where, "(l.created_at, l.id) > ("+arg(after.CreatedAt)+", "+arg(after.ID)+")")
		}
		tail += " LIMIT " + arg(limit)
	}
	rows, err := q.Query(ctx, `SELECT `+leadCols+`WHERE `+strings.Join(where, " AND ")+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Lead, error) { return scanLead(row) })
}
