// Package enablement is the content library partners use to refer well —
// one-pagers, case studies, referral email templates, trainings, FAQs and
// "if the client says…" checklists, in Markdown with optional attachments,
// each visible to chosen tiers — and the monthly hot opportunity profile.
package enablement

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Kinds of library items, in the order the forms list them.
var Kinds = []string{"one_pager", "case_study", "email_template", "training", "faq", "checklist", "pitch", "other"}

// KindLabels are how people name the kinds.
var KindLabels = map[string]string{
	"one_pager":      "One-pager",
	"case_study":     "Case study",
	"email_template": "Referral email template",
	"training":       "Training",
	"faq":            "FAQ",
	"checklist":      "Referral checklist",
	"pitch":          "Pitch",
	"other":          "Other",
}

// Limits of an item's fields (the schema's checks).
const (
	titleMax   = 200
	summaryMax = 500
	bodyMax    = 100000
	linkMax    = 2000
)

// Item is one entry of the library.
type Item struct {
	ID        uuid.UUID
	Kind      string
	Title     string
	Summary   string
	BodyMD    string
	LinkURL   string
	TierIDs   []uuid.UUID // empty: every tier and partners without one
	Published bool
	CreatedBy *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
	FileCount int
}

// KindLabel names the item's kind.
func (i Item) KindLabel() string { return KindLabels[i.Kind] }

// VisibleTo reports whether a partner in tier tierID (nil: no tier) sees
// the item in the portal: it is published and for every tier or for its tier.
func (i Item) VisibleTo(tierID *uuid.UUID) bool {
	if !i.Published {
		return false
	}
	if len(i.TierIDs) == 0 {
		return true
	}
	return tierID != nil && slices.Contains(i.TierIDs, *tierID)
}

// ItemInput is an item as staff write it.
type ItemInput struct {
	Kind      string
	Title     string
	Summary   string
	BodyMD    string
	LinkURL   string
	TierIDs   []uuid.UUID
	Published bool
}

// Validate trims and checks the input (field errors: kind, title, summary,
// body_md, link_url). Tier ids are checked against the firm's tiers on save.
func (in *ItemInput) Validate() error {
	in.Kind = strings.TrimSpace(in.Kind)
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.BodyMD = strings.TrimRight(strings.ReplaceAll(in.BodyMD, "\r\n", "\n"), " \n\t")
	in.LinkURL = strings.TrimSpace(in.LinkURL)
	errs := map[string]string{}
	if !slices.Contains(Kinds, in.Kind) {
		errs["kind"] = "Choose what kind of item this is."
	}
	switch {
	case in.Title == "":
		errs["title"] = "Enter a title."
	case utf8.RuneCountInString(in.Title) > titleMax:
		errs["title"] = "Keep the title to 200 characters."
	}
	if utf8.RuneCountInString(in.Summary) > summaryMax {
		errs["summary"] = "Keep the summary to 500 characters."
	}
	if utf8.RuneCountInString(in.BodyMD) > bodyMax {
		errs["body_md"] = "Keep the text to 100,000 characters; attach longer documents as files."
	}
	if msg := LinkMessage(in.LinkURL); msg != "" {
		errs["link_url"] = msg
	}
	in.TierIDs = dedupe(in.TierIDs)
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// LinkMessage says what is wrong with a link URL ("" when it is empty or a
// full http or https address).
func LinkMessage(s string) string {
	if s == "" {
		return ""
	}
	bad := "Enter a full web address starting with https:// or http://."
	if len(s) > linkMax {
		return "Keep the address to 2000 characters."
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(s, " \t\r\n\\<>\"") {
		return bad
	}
	return ""
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	out := []uuid.UUID{}
	for _, id := range ids {
		if id != uuid.Nil && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkTiers refuses tier ids that aren't the firm's.
func checkTiers(ctx context.Context, q db.Querier, tenantID uuid.UUID, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM tiers WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, ids).Scan(&n); err != nil {
		return err
	}
	if n != len(ids) {
		return apperr.Invalid(map[string]string{"tier_ids": "Choose among the firm's tiers."})
	}
	return nil
}

// Filter narrows the library list.
type Filter struct {
	Kind string // "" for every kind
	Q    string // words in the title, summary or text
	// Portal: only published items visible to a partner in this tier
	// (PartnerTier nil: no tier, so only items for every tier).
	Portal      bool
	PartnerTier *uuid.UUID
}

const itemCols = `i.id, i.kind, i.title, i.summary, i.body_md, i.link_url, i.tier_ids, i.published, i.created_by,
	i.created_at, i.updated_at,
	(SELECT count(*) FROM enablement_files f WHERE f.tenant_id = i.tenant_id AND f.item_id = i.id)`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var i Item
	err := row.Scan(&i.ID, &i.Kind, &i.Title, &i.Summary, &i.BodyMD, &i.LinkURL, &i.TierIDs, &i.Published, &i.CreatedBy,
		&i.CreatedAt, &i.UpdatedAt, &i.FileCount)
	return i, err
}

// likePattern turns words into an ILIKE pattern matching them literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// List returns the library by kind order and title.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter) ([]Item, error) {
	where := []string{"i.tenant_id = $1"}
	args := []any{tenantID}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, "i.kind = $"+itoa(len(args)))
	}
	for _, w := range strings.Fields(f.Q) {
		if len(args) > 12 {
			break
		}
		args = append(args, likePattern(w))
		n := "$" + itoa(len(args))
		where = append(where, "(i.title ILIKE "+n+" OR i.summary ILIKE "+n+" OR i.body_md ILIKE "+n+")")
	}
	if f.Portal {
		args = append(args, f.PartnerTier)
		where = append(where, "i.published AND (cardinality(i.tier_ids) = 0 OR $"+itoa(len(args))+"::uuid = ANY(i.tier_ids))")
	}
	rows, err := q.Query(ctx, `SELECT `+itemCols+` FROM enablement_items i WHERE `+strings.Join(where, " AND ")+`
		ORDER BY array_position($`+itoa(len(args)+1)+`::text[], i.kind), lower(i.title), i.id`, append(args, Kinds)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		i, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

func itoa(n int) string { return strconv.Itoa(n) }

// Get returns one item (ENotFound for another firm's).
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Item, error) {
	i, err := scanItem(q.QueryRow(ctx, `SELECT `+itemCols+` FROM enablement_items i WHERE i.tenant_id = $1 AND i.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return i, apperr.NotFound("Item")
	}
	return i, err
}

// GetVisible returns an item a partner in tier tierID may see; an
// unpublished item or one for other tiers is not found, as if it did not exist.
func GetVisible(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, tierID *uuid.UUID) (Item, error) {
	i, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return i, err
	}
	if !i.VisibleTo(tierID) {
		return Item{}, apperr.NotFound("Item")
	}
	return i, nil
}

// PartnerTier returns the tier of a partner (nil: none; ENotFound for an unknown partner).
func PartnerTier(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (*uuid.UUID, error) {
	var tier *uuid.UUID
	err := q.QueryRow(ctx, `SELECT tier_id FROM partners WHERE tenant_id = $1 AND id = $2`, tenantID, partnerID).Scan(&tier)
	if db.IsNoRows(err) {
		return nil, apperr.NotFound("Partner")
	}
	return tier, err
}

// Create adds an item.
func Create(ctx context.Context, q db.Querier, tenantID uuid.UUID, in ItemInput, by uuid.UUID) (Item, error) {
	if err := in.Validate(); err != nil {
		return Item{}, err
	}
	if err := checkTiers(ctx, q, tenantID, in.TierIDs); err != nil {
		return Item{}, err
	}
	var byArg *uuid.UUID
	if by != uuid.Nil {
		byArg = &by
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO enablement_items (tenant_id, kind, title, summary, body_md, link_url, tier_ids,
			published, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		tenantID, in.Kind, in.Title, in.Summary, in.BodyMD, in.LinkURL, in.TierIDs, in.Published, byArg).Scan(&id)
	if err != nil {
		return Item{}, err
	}
	i, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "enablement.item_created", "enablement_item", id.String(),
		map[string]any{"title": i.Title, "kind": i.Kind, "published": i.Published, "tier_ids": i.TierIDs})
}

// Update changes an item.
func Update(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in ItemInput) (Item, error) {
	if err := in.Validate(); err != nil {
		return Item{}, err
	}
	if err := checkTiers(ctx, q, tenantID, in.TierIDs); err != nil {
		return Item{}, err
	}
	tag, err := q.Exec(ctx, `UPDATE enablement_items SET kind = $3, title = $4, summary = $5, body_md = $6, link_url = $7,
			tier_ids = $8, published = $9, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, in.Kind, in.Title, in.Summary, in.BodyMD, in.LinkURL, in.TierIDs, in.Published)
	if err != nil {
		return Item{}, err
	}
	if tag.RowsAffected() == 0 {
		return Item{}, apperr.NotFound("Item")
	}
	i, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "enablement.item_updated", "enablement_item", id.String(),
		map[string]any{"title": i.Title, "kind": i.Kind, "published": i.Published, "tier_ids": i.TierIDs})
}

// Delete removes an item and its attachments.
func Delete(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Item, error) {
	i, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return i, err
	}
	if _, err := q.Exec(ctx, `DELETE FROM enablement_items WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "enablement.item_deleted", "enablement_item", id.String(),
		map[string]any{"title": i.Title, "files": i.FileCount})
}

// Placeholders of referral email templates, with the example values the
// staff preview shows.
var Placeholders = []struct{ Key, Label, Example string }{
	{"client_name", "the client's name", "Alex Morgan"},
	{"partner_name", "the partner firm's name", "Brightline Advisory"},
	{"our_firm", "your firm's name", "Northwind"},
	{"contact_name", "the contact at your firm", "Sam Patel"},
}

// Fill replaces {{key}} placeholders (spaces inside the braces allowed) with
// values; unknown placeholders and keys without a value stay as written.
func Fill(s string, values map[string]string) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "{{")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.Index(s[start+2:], "}}")
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := strings.TrimSpace(s[start+2 : start+2+end])
		b.WriteString(s[:start])
		if v, ok := values[key]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[start : start+2+end+2])
		}
		s = s[start+2+end+2:]
	}
}

// ExampleValues are the placeholders' example values, with the firm's real name.
func ExampleValues(firmName string) map[string]string {
	m := map[string]string{}
	for _, p := range Placeholders {
		m[p.Key] = p.Example
	}
	if firmName != "" {
		m["our_firm"] = firmName
	}
	return m
}

// UsedPlaceholders lists the known placeholders a text uses, in Placeholders order.
func UsedPlaceholders(s string) []string {
	out := []string{}
	for _, p := range Placeholders {
		probe := Fill(s, map[string]string{p.Key: "\x00"})
		if strings.Count(probe, "\x00") > strings.Count(s, "\x00") {
			out = append(out, p.Key)
		}
	}
	return out
}
