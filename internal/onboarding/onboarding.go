// Package onboarding keeps the firm's onboarding checklist template and each
// partner's copy of it, with progress, and moves a partner from onboarding to
// active once the checklist is done and an agreement is accepted.
package onboarding

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

// Limits of the fields (the schema's checks, and sane sizes).
const (
	titleMax       = 200
	descriptionMax = 2000
	noteMax        = 2000
	positionMax    = 1000
)

func notFound() error { return apperr.NotFound("Partner") }

// DefaultSteps are the field guide's onboarding steps, in order.
func DefaultSteps() []StepInput {
	return []StepInput{
		{Title: "Kickoff call", Description: "Meet the partner's key people: goals, how each side works, what a good first quarter looks like."},
		{Title: "Share ideal client profile and triggers", Description: "Who our best clients are and the situations that mean a client needs us."},
		{Title: "Share collateral", Description: "Send the one-pager, case studies and the referral email template from the library."},
		{Title: "Introduce the team", Description: "Introduce the people the partner will work with and who to call for what."},
		{Title: "Set up the referral process", Description: "Agree how referrals are sent, acknowledged and followed up, and give the partner portal access."},
		{Title: "First referral made", Description: "The partner sends its first referral (or we send ours)."},
		{Title: "Announce to clients", Description: "Tell clients about the partnership where it helps them."},
	}
}

// Step is one step of the firm's checklist template.
type Step struct {
	ID          uuid.UUID
	Title       string
	Description string
	Position    int
	Active      bool
	CreatedAt   time.Time
}

// StepInput is a template step or a custom step as a person sets it.
type StepInput struct {
	Title       string
	Description string
	Position    int  // template steps only; 0 = at the end when adding
	Active      bool // template steps only
}

// Validate trims and checks the input (field errors: title, description, position).
func (in *StepInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	errs := map[string]string{}
	switch {
	case in.Title == "":
		errs["title"] = "Enter the step's title."
	case utf8.RuneCountInString(in.Title) > titleMax:
		errs["title"] = "Keep the title to 200 characters."
	}
	if utf8.RuneCountInString(in.Description) > descriptionMax {
		errs["description"] = "Keep the description to 2000 characters."
	}
	if in.Position < 0 || in.Position > positionMax {
		errs["position"] = "Use a position from 1 to 1000."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// SetUpFirm gives a firm the default checklist template when it has no
// steps yet. Steps are deactivated, never deleted, so a firm with any step
// has had its defaults. Idempotent and safe under concurrent calls.
func SetUpFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	if err := db.XactLock(ctx, q, "onboarding_defaults:"+tenantID.String()); err != nil {
		return err
	}
	var has bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM onboarding_steps WHERE tenant_id = $1)`, tenantID).Scan(&has); err != nil || has {
		return err
	}
	for i, s := range DefaultSteps() {
		if _, err := q.Exec(ctx, `INSERT INTO onboarding_steps (tenant_id, title, description, position)
			VALUES ($1, $2, $3, $4)`, tenantID, s.Title, s.Description, (i+1)*10); err != nil {
			return err
		}
	}
	return nil
}

func scanStep(row interface{ Scan(...any) error }) (Step, error) {
	var s Step
	err := row.Scan(&s.ID, &s.Title, &s.Description, &s.Position, &s.Active, &s.CreatedAt)
	return s, err
}

const stepCols = `id, title, description, position, active, created_at`

// Template returns the firm's checklist template (inactive steps too), in order.
func Template(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Step, error) {
	rows, err := q.Query(ctx, `SELECT `+stepCols+` FROM onboarding_steps WHERE tenant_id = $1
		ORDER BY active DESC, position, created_at, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Step{}
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// GetStep returns one template step (ENotFound for another firm's).
func GetStep(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Step, error) {
	s, err := scanStep(q.QueryRow(ctx, `SELECT `+stepCols+` FROM onboarding_steps WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return s, apperr.NotFound("Step")
	}
	return s, err
}

// AddTemplateStep adds an active step to the template, at in.Position or
// after the last step when it is 0. Partners already onboarding get it when
// staff add the template's new steps to their checklist.
func AddTemplateStep(ctx context.Context, q db.Querier, tenantID uuid.UUID, in StepInput) (Step, error) {
	if err := in.Validate(); err != nil {
		return Step{}, err
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO onboarding_steps (tenant_id, title, description, position)
		VALUES ($1, $2, $3, CASE WHEN $4 > 0 THEN $4 ELSE
			(SELECT coalesce(max(position), 0) + 10 FROM onboarding_steps WHERE tenant_id = $1) END)
		RETURNING id`, tenantID, in.Title, in.Description, in.Position).Scan(&id)
	if err != nil {
		return Step{}, err
	}
	s, err := GetStep(ctx, q, tenantID, id)
	if err != nil {
		return s, err
	}
	return s, audit.Record(ctx, q, tenantID, "onboarding.template_step_added", "onboarding_step", id.String(),
		map[string]any{"title": s.Title, "position": s.Position})
}

// UpdateTemplateStep renames, re-describes, moves or (de)activates a template
// step. Partners' copies keep the wording they were given.
func UpdateTemplateStep(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in StepInput) (Step, error) {
	if err := in.Validate(); err != nil {
		return Step{}, err
	}
	if in.Position < 1 {
		return Step{}, apperr.Invalid(map[string]string{"position": "Use a position from 1 to 1000."})
	}
	before, err := GetStep(ctx, q, tenantID, id)
	if err != nil {
		return Step{}, err
	}
	if _, err := q.Exec(ctx, `UPDATE onboarding_steps SET title = $3, description = $4, position = $5, active = $6
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, in.Title, in.Description, in.Position, in.Active); err != nil {
		return Step{}, err
	}
	s, err := GetStep(ctx, q, tenantID, id)
	if err != nil {
		return s, err
	}
	return s, audit.Record(ctx, q, tenantID, "onboarding.template_step_updated", "onboarding_step", id.String(),
		map[string]any{"title": s.Title, "previous_title": before.Title, "position": s.Position, "active": s.Active})
}

// Item is one step of a partner's checklist.
type Item struct {
	ID          uuid.UUID
	PartnerID   uuid.UUID
	StepID      *uuid.UUID // nil for a custom step added for this partner
	Title       string
	Description string
	Position    int
	DueOn       *time.Time
	DoneAt      *time.Time
	DoneBy      *uuid.UUID
	DoneByName  string
	Note        string
	CreatedAt   time.Time
}

// Done reports whether the item is ticked.
func (i Item) Done() bool { return i.DoneAt != nil }

// Overdue reports whether the item is open past its due date on day today.
func (i Item) Overdue(today time.Time) bool {
	if i.DoneAt != nil || i.DueOn == nil {
		return false
	}
	y, m, d := today.Date()
	return i.DueOn.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// Progress counts a checklist's items.
type Progress struct{ Done, Total int }

// Percent is the share done, 0–100 (0 for an empty checklist).
func (p Progress) Percent() int {
	if p.Total == 0 {
		return 0
	}
	return p.Done * 100 / p.Total
}

// Left is how many items are still open.
func (p Progress) Left() int { return p.Total - p.Done }

// ProgressOf counts a list of items.
func ProgressOf(items []Item) Progress {
	p := Progress{Total: len(items)}
	for _, i := range items {
		if i.Done() {
			p.Done++
		}
	}
	return p
}

const itemCols = `o.id, o.partner_id, o.step_id, o.title, o.description, o.position, o.due_on, o.done_at,
	o.done_by, coalesce(u.name, ''), o.note, o.created_at`

const fromItems = ` FROM partner_onboarding o LEFT JOIN users u ON u.id = o.done_by `

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var i Item
	err := row.Scan(&i.ID, &i.PartnerID, &i.StepID, &i.Title, &i.Description, &i.Position, &i.DueOn, &i.DoneAt,
		&i.DoneBy, &i.DoneByName, &i.Note, &i.CreatedAt)
	return i, err
}

// Checklist returns a partner's checklist in order (empty before Start).
func Checklist(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Item, error) {
	rows, err := q.Query(ctx, `SELECT `+itemCols+fromItems+`WHERE o.tenant_id = $1 AND o.partner_id = $2
		ORDER BY o.position, o.created_at, o.id`, tenantID, partnerID)
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

// GetItem returns one item of a partner's checklist (ENotFound otherwise).
func GetItem(ctx context.Context, q db.Querier, tenantID, partnerID, itemID uuid.UUID) (Item, error) {
	i, err := scanItem(q.QueryRow(ctx, `SELECT `+itemCols+fromItems+`WHERE o.tenant_id = $1 AND o.partner_id = $2 AND o.id = $3`,
		tenantID, partnerID, itemID))
	if db.IsNoRows(err) {
		return i, apperr.NotFound("Step")
	}
	return i, err
}

// MissingSteps counts the template's active steps not yet on a partner's checklist.
func MissingSteps(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM onboarding_steps s WHERE s.tenant_id = $1 AND s.active
		AND NOT EXISTS (SELECT 1 FROM partner_onboarding o WHERE o.tenant_id = $1 AND o.partner_id = $2 AND o.step_id = s.id)`,
		tenantID, partnerID).Scan(&n)
	return n, err
}

// Start copies the template's active steps to a partner's checklist and
// returns how many it added. It is idempotent: a step already on the
// checklist (the unique step key) is skipped, so calling it again only adds
// steps the template gained since. The firm's defaults are made first if it
// has no template.
func Start(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partners WHERE tenant_id = $1 AND id = $2)`,
		tenantID, partnerID).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, notFound()
	}
	if err := SetUpFirm(ctx, q, tenantID); err != nil {
		return 0, err
	}
	tag, err := q.Exec(ctx, `INSERT INTO partner_onboarding (tenant_id, partner_id, step_id, title, description, position)
		SELECT s.tenant_id, $2, s.id, s.title, s.description, s.position
		FROM onboarding_steps s WHERE s.tenant_id = $1 AND s.active
		ON CONFLICT (tenant_id, partner_id, step_id) DO NOTHING`, tenantID, partnerID)
	if err != nil {
		return 0, err
	}
	n := int(tag.RowsAffected())
	if n > 0 {
		if err := audit.Record(ctx, q, tenantID, "onboarding.started", "partner", partnerID.String(),
			map[string]any{"steps_added": n}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ItemInput is what staff set on a checklist item: its note and due date
// (and, for a new custom step, its title and description).
type ItemInput struct {
	Title       string
	Description string
	Note        string
	DueOn       *time.Time
}

func (in *ItemInput) validate(custom bool) error {
	in.Note = strings.TrimSpace(in.Note)
	errs := map[string]string{}
	if custom {
		s := StepInput{Title: in.Title, Description: in.Description}
		if err := s.Validate(); err != nil {
			for k, v := range apperr.FieldErrors(err) {
				errs[k] = v
			}
		}
		in.Title, in.Description = s.Title, s.Description
	}
	if utf8.RuneCountInString(in.Note) > noteMax {
		errs["note"] = "Keep the note to 2000 characters."
	}
	if in.DueOn != nil && (in.DueOn.Year() < 2000 || in.DueOn.Year() > 2100) {
		errs["due_on"] = "Enter a date between 2000 and 2100."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// AddStep adds a custom step at the end of a partner's checklist.
func AddStep(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in ItemInput) (Item, error) {
	if err := in.validate(true); err != nil {
		return Item{}, err
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO partner_onboarding (tenant_id, partner_id, title, description, note, due_on, position)
		VALUES ($1, $2, $3, $4, $5, $6,
			(SELECT coalesce(max(position), 0) + 10 FROM partner_onboarding WHERE tenant_id = $1 AND partner_id = $2))
		RETURNING id`, tenantID, partnerID, in.Title, in.Description, in.Note, in.DueOn).Scan(&id)
	if err != nil {
		return Item{}, err
	}
	i, err := GetItem(ctx, q, tenantID, partnerID, id)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "onboarding.step_added", "partner_onboarding", id.String(),
		map[string]any{"partner_id": partnerID, "title": i.Title})
}

// Update sets an item's note and due date.
func Update(ctx context.Context, q db.Querier, tenantID, partnerID, itemID uuid.UUID, in ItemInput) (Item, error) {
	if err := in.validate(false); err != nil {
		return Item{}, err
	}
	tag, err := q.Exec(ctx, `UPDATE partner_onboarding SET note = $4, due_on = $5
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, itemID, in.Note, in.DueOn)
	if err != nil {
		return Item{}, err
	}
	if tag.RowsAffected() == 0 {
		return Item{}, apperr.NotFound("Step")
	}
	i, err := GetItem(ctx, q, tenantID, partnerID, itemID)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "onboarding.step_updated", "partner_onboarding", itemID.String(),
		map[string]any{"partner_id": partnerID, "title": i.Title, "due_on": in.DueOn})
}

// Complete ticks an item, recording who and when, with the note (and due
// date) as given. Ticking an item already done keeps who and when it was
// first done. The caller then calls MaybeActivate in the same transaction.
func Complete(ctx context.Context, q db.Querier, tenantID, partnerID, itemID, by uuid.UUID, in ItemInput, now time.Time) (Item, error) {
	if err := in.validate(false); err != nil {
		return Item{}, err
	}
	var byArg *uuid.UUID
	if by != uuid.Nil {
		byArg = &by
	}
	tag, err := q.Exec(ctx, `UPDATE partner_onboarding SET note = $4, due_on = $5,
			done_by = CASE WHEN done_at IS NULL THEN $7 ELSE done_by END,
			done_at = coalesce(done_at, $6)
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, itemID, in.Note, in.DueOn, now, byArg)
	if err != nil {
		return Item{}, err
	}
	if tag.RowsAffected() == 0 {
		return Item{}, apperr.NotFound("Step")
	}
	i, err := GetItem(ctx, q, tenantID, partnerID, itemID)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "onboarding.step_completed", "partner_onboarding", itemID.String(),
		map[string]any{"partner_id": partnerID, "title": i.Title, "note": i.Note})
}

// Reopen unticks an item (the note is kept, or replaced when given).
// A partner already active stays active.
func Reopen(ctx context.Context, q db.Querier, tenantID, partnerID, itemID uuid.UUID, in ItemInput) (Item, error) {
	if err := in.validate(false); err != nil {
		return Item{}, err
	}
	tag, err := q.Exec(ctx, `UPDATE partner_onboarding SET done_at = NULL, done_by = NULL, note = $4, due_on = $5
		WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, itemID, in.Note, in.DueOn)
	if err != nil {
		return Item{}, err
	}
	if tag.RowsAffected() == 0 {
		return Item{}, apperr.NotFound("Step")
	}
	i, err := GetItem(ctx, q, tenantID, partnerID, itemID)
	if err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "onboarding.step_reopened", "partner_onboarding", itemID.String(),
		map[string]any{"partner_id": partnerID, "title": i.Title})
}

// RemoveStep deletes a custom step from a partner's checklist. Template steps
// can't be removed (Start would bring them back); EConflict for those.
func RemoveStep(ctx context.Context, q db.Querier, tenantID, partnerID, itemID uuid.UUID) (Item, error) {
	i, err := GetItem(ctx, q, tenantID, partnerID, itemID)
	if err != nil {
		return i, err
	}
	if i.StepID != nil {
		return i, apperr.Errorf(apperr.EConflict, "“%s” comes from the firm's checklist and can't be removed; tick it instead.", i.Title)
	}
	if _, err := q.Exec(ctx, `DELETE FROM partner_onboarding WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`,
		tenantID, partnerID, itemID); err != nil {
		return i, err
	}
	return i, audit.Record(ctx, q, tenantID, "onboarding.step_removed", "partner_onboarding", itemID.String(),
		map[string]any{"partner_id": partnerID, "title": i.Title})
}
