package partner

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// ContactLevels are the levels at which we know people at a partner firm.
var ContactLevels = []string{"executive_sponsor", "delivery", "account_manager", "other"}

// ContactLevelLabels name the levels for people.
var ContactLevelLabels = map[string]string{
	"executive_sponsor": "Executive sponsor",
	"delivery":          "Delivery lead",
	"account_manager":   "Account manager",
	"other":             "Other",
}

// Contact is a person at a partner firm. A contact who left keeps the row
// (DepartedAt set) so the history of the relationship stays.
type Contact struct {
	ID            uuid.UUID
	PartnerID     uuid.UUID
	Name          string
	Email         string
	Phone         string
	Title         string
	Level         string
	IsPrimary     bool
	DepartedAt    *time.Time
	DepartureNote string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Active reports whether the contact is still at the partner firm.
func (c Contact) Active() bool { return c.DepartedAt == nil }

// RelationshipRisk says why a relationship is at risk: fewer than two
// active contacts, or no active executive sponsor. No reasons: not at risk.
func RelationshipRisk(cs []Contact) []string {
	active, sponsor := 0, false
	for _, c := range cs {
		if !c.Active() {
			continue
		}
		active++
		if c.Level == "executive_sponsor" {
			sponsor = true
		}
	}
	reasons := []string{}
	switch active {
	case 0:
		reasons = append(reasons, "No active contacts.")
	case 1:
		reasons = append(reasons, "Only one active contact.")
	}
	if !sponsor {
		reasons = append(reasons, "No active executive sponsor.")
	}
	return reasons
}

// AtRiskFlag is the header badge for a relationship at risk.
const AtRiskFlag = "Relationship at risk"

// ContactInput is what a person fills in for a contact.
type ContactInput struct {
	Name    string
	Email   string
	Phone   string
	Title   string
	Level   string
	Primary bool
}

// Validate trims and checks the input; EInvalid with per-field messages.
func (in *ContactInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Phone = strings.TrimSpace(in.Phone)
	in.Title = strings.TrimSpace(in.Title)
	in.Level = strings.TrimSpace(in.Level)
	if in.Level == "" {
		in.Level = "other"
	}
	errs := map[string]string{}
	switch {
	case in.Name == "":
		errs["name"] = "Enter the contact's name."
	case len(in.Name) > 200:
		errs["name"] = "Keep the name under 200 characters."
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			errs["email"] = "Enter an email address like name@partnerfirm.com."
		}
	}
	if len(in.Phone) > 50 {
		errs["phone"] = "Keep the phone number under 50 characters."
	}
	if len(in.Title) > 200 {
		errs["title"] = "Keep the title under 200 characters."
	}
	if !slices.Contains(ContactLevels, in.Level) {
		errs["level"] = "Choose executive sponsor, delivery lead, account manager or other."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

const contactCols = `id, partner_id, name, email, phone, title, level, is_primary, departed_at, departure_note, created_at, updated_at`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	err := row.Scan(&c.ID, &c.PartnerID, &c.Name, &c.Email, &c.Phone, &c.Title, &c.Level, &c.IsPrimary,
		&c.DepartedAt, &c.DepartureNote, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// ListContacts returns a partner's contacts: current ones first (the
// primary first, then by level and name), then former ones, latest
// departure first.
func ListContacts(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Contact, error) {
	rows, err := q.Query(ctx, `SELECT `+contactCols+` FROM partner_contacts
		WHERE tenant_id = $1 AND partner_id = $2
		ORDER BY departed_at IS NOT NULL, departed_at DESC, is_primary DESC,
			array_position(ARRAY['executive_sponsor','account_manager','delivery','other'], level), lower(name), id`,
		tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetContact returns one contact of a partner; ENotFound for another
// partner's or another firm's contact.
func GetContact(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) (Contact, error) {
	c, err := scanContact(q.QueryRow(ctx, `SELECT `+contactCols+` FROM partner_contacts
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, id))
	if db.IsNoRows(err) {
		return Contact{}, apperr.NotFound("Contact")
	}
	return c, err
}

// clearPrimary makes no current contact of the partner primary.
func clearPrimary(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) error {
	_, err := q.Exec(ctx, `UPDATE partner_contacts SET is_primary = false, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND is_primary`, tenantID, partnerID)
	return err
}

// AddContact adds a contact to a partner (validate-first; a primary one
// takes over from the current primary). The partner must be the firm's.
func AddContact(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in ContactInput) (Contact, error) {
	if err := in.Validate(); err != nil {
		return Contact{}, err
	}
	if _, err := Get(ctx, q, tenantID, partnerID); err != nil {
		return Contact{}, err
	}
	if in.Primary {
		if err := clearPrimary(ctx, q, tenantID, partnerID); err != nil {
			return Contact{}, err
		}
	}
	return scanContact(q.QueryRow(ctx, `INSERT INTO partner_contacts (tenant_id, partner_id, name, email, phone, title, level, is_primary)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+contactCols,
		tenantID, partnerID, in.Name, in.Email, in.Phone, in.Title, in.Level, in.Primary))
}

// UpdateContact changes a contact's details. Making a former contact
// primary is refused (EInvalid on "primary").
func UpdateContact(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID, in ContactInput) (Contact, error) {
	c, err := GetContact(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return Contact{}, err
	}
	if err := in.Validate(); err != nil {
		return Contact{}, err
	}
	if in.Primary && !c.Active() {
		return Contact{}, apperr.Invalid(map[string]string{"primary": "A former contact can't be the primary contact."})
	}
	if in.Primary && !c.IsPrimary {
		if err := clearPrimary(ctx, q, tenantID, partnerID); err != nil {
			return Contact{}, err
		}
	}
	return scanContact(q.QueryRow(ctx, `UPDATE partner_contacts SET name = $4, email = $5, phone = $6, title = $7,
			level = $8, is_primary = $9, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3 RETURNING `+contactCols,
		tenantID, partnerID, id, in.Name, in.Email, in.Phone, in.Title, in.Level, in.Primary))
}

// MakePrimary makes a current contact the partner's one primary contact,
// clearing the others.
func MakePrimary(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) (Contact, error) {
	c, err := GetContact(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return Contact{}, err
	}
	if !c.Active() {
		return Contact{}, apperr.Errorf(apperr.EConflict, "%s has left the firm; a former contact can't be the primary contact.", c.Name)
	}
	if err := clearPrimary(ctx, q, tenantID, partnerID); err != nil {
		return Contact{}, err
	}
	return scanContact(q.QueryRow(ctx, `UPDATE partner_contacts SET is_primary = true, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3 RETURNING `+contactCols, tenantID, partnerID, id))
}

// DepartContact marks a contact as gone on the given day with a note. The
// row stays (a former contact); a departing primary stops being primary.
func DepartContact(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID, on time.Time, note string) (Contact, error) {
	c, err := GetContact(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return Contact{}, err
	}
	note = strings.TrimSpace(note)
	errs := map[string]string{}
	switch {
	case !c.Active():
		return Contact{}, apperr.Errorf(apperr.EConflict, "%s is already marked as departed.", c.Name)
	case on.IsZero():
		errs["departed_on"] = "Enter the day they left."
	case on.After(time.Now().AddDate(0, 0, 1)):
		errs["departed_on"] = "The day they left can't be in the future."
	}
	if len(note) > 2000 {
		errs["note"] = "Keep the note under 2,000 characters."
	}
	if len(errs) > 0 {
		return Contact{}, apperr.Invalid(errs)
	}
	return scanContact(q.QueryRow(ctx, `UPDATE partner_contacts SET departed_at = $4, departure_note = $5,
			is_primary = false, updated_at = now()
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3 RETURNING `+contactCols, tenantID, partnerID, id, on, note))
}
