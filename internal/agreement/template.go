package agreement

import (
	"context"
	"encoding/json"
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

// Template is a firm's standard terms for a partnership model and,
// optionally, a tier: a new agreement starts from it.
type Template struct {
	ID             uuid.UUID
	Name           string
	Model          string
	TierID         *uuid.UUID
	TierName       string
	PaymentTrigger string
	PaymentNetDays int
	// TermMonths is the usual term (0: open-ended).
	TermMonths int
	Terms      Terms
	Rules      []commission.Rule
	// InUse counts the agreement versions started from it.
	InUse     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TemplateInput is a template as a person sets it. Field errors use the
// names of Input plus name and tier_id.
type TemplateInput struct {
	Name           string
	Model          string
	TierID         *uuid.UUID
	PaymentTrigger string
	PaymentNetDays int
	TermMonths     int
	Terms          Terms
	Rules          []commission.Rule
}

// Input returns a new agreement's input from the template, taking effect on
// a day.
func (t Template) Input(from time.Time) Input {
	in := DefaultInput(t.Model, from)
	id := t.ID
	in.TemplateID = &id
	in.PaymentTrigger, in.PaymentNetDays, in.TermMonths = t.PaymentTrigger, t.PaymentNetDays, t.TermMonths
	in.Terms = t.Terms
	in.Rules = append([]commission.Rule{}, t.Rules...)
	return in
}

// TemplateInputOf returns a template's editable fields.
func TemplateInputOf(t Template) TemplateInput {
	return TemplateInput{Name: t.Name, Model: t.Model, TierID: t.TierID, PaymentTrigger: t.PaymentTrigger,
		PaymentNetDays: t.PaymentNetDays, TermMonths: t.TermMonths, Terms: t.Terms, Rules: t.Rules}
}

// Validate trims and checks the template with the same rules as an
// agreement's terms; EInvalid with per-field messages.
func (in *TemplateInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	a := Input{Model: in.Model, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), TermMonths: in.TermMonths,
		RenewalMonths: 12, TerminationNoticeDays: 30, PaymentTrigger: in.PaymentTrigger, PaymentNetDays: in.PaymentNetDays,
		Exclusivity: "none", Terms: in.Terms, Rules: in.Rules}
	errs := map[string]string{}
	if err := a.Validate(); err != nil {
		errs = apperr.FieldErrors(err)
	}
	in.Model, in.PaymentTrigger, in.Terms, in.Rules = a.Model, a.PaymentTrigger, a.Terms, a.Rules
	switch {
	case in.Name == "":
		errs["name"] = "Name the template (e.g. \"Referral partner — standard terms\")."
	case utf8.RuneCountInString(in.Name) > 200:
		errs["name"] = "Keep the name under 200 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

const templateCols = `t.id, t.name, t.model, t.tier_id, coalesce(ti.name, ''), t.payment_trigger, t.payment_net_days,
	coalesce(t.term_months, 0), t.terms, t.rules,
	(SELECT count(*) FROM agreements a WHERE a.tenant_id = t.tenant_id AND a.template_id = t.id), t.created_at, t.updated_at
	FROM agreement_templates t LEFT JOIN tiers ti ON ti.tenant_id = t.tenant_id AND ti.id = t.tier_id `

func scanTemplate(row pgx.Row) (Template, error) {
	var t Template
	var terms, rules []byte
	if err := row.Scan(&t.ID, &t.Name, &t.Model, &t.TierID, &t.TierName, &t.PaymentTrigger, &t.PaymentNetDays,
		&t.TermMonths, &terms, &rules, &t.InUse, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return t, err
	}
	if err := json.Unmarshal(terms, &t.Terms); err != nil {
		return t, err
	}
	if err := json.Unmarshal(rules, &t.Rules); err != nil {
		return t, err
	}
	if t.Rules == nil {
		t.Rules = []commission.Rule{}
	}
	return t, nil
}

// ListTemplates returns the firm's templates by model, then tier, then name.
func ListTemplates(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Template, error) {
	rows, err := q.Query(ctx, `SELECT `+templateCols+`WHERE t.tenant_id = $1
		ORDER BY array_position(ARRAY['referral','delivery','alliance','technology','channel'], t.model),
			ti.rank NULLS FIRST, lower(t.name)`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
}

// GetTemplate returns one of the firm's templates; ENotFound otherwise.
func GetTemplate(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Template, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateCols+`WHERE t.tenant_id = $1 AND t.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return t, apperr.NotFound("Template")
	}
	return t, err
}

// TemplateFor picks the template for a model and tier: one for that model
// and tier, else one for the model without a tier; nil when there is none.
func TemplateFor(ctx context.Context, q db.Querier, tenantID uuid.UUID, model string, tierID *uuid.UUID) (*Template, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateCols+`WHERE t.tenant_id = $1 AND t.model = $2
			AND (t.tier_id IS NULL OR t.tier_id = $3)
		ORDER BY (t.tier_id IS NULL), lower(t.name) LIMIT 1`, tenantID, model, tierID))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func checkTier(ctx context.Context, q db.Querier, tenantID uuid.UUID, tierID *uuid.UUID) error {
	if tierID == nil {
		return nil
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tiers WHERE tenant_id = $1 AND id = $2)`, tenantID, *tierID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return apperr.Invalid(map[string]string{"tier_id": "Choose one of the firm's tiers."})
	}
	return nil
}

func templateJSON(in TemplateInput) (terms, rules []byte, term *int, err error) {
	if terms, err = json.Marshal(in.Terms); err != nil {
		return
	}
	if rules, err = json.Marshal(in.Rules); err != nil {
		return
	}
	if in.TermMonths > 0 {
		term = &in.TermMonths
	}
	return
}

var errTemplateName = apperr.Invalid(map[string]string{"name": "Another template already has this name."})

// checkName refuses a name another template has (case-insensitive) before
// the insert would fail on the unique index and abort the transaction.
func checkName(ctx context.Context, q db.Querier, tenantID, self uuid.UUID, name string) error {
	var taken bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agreement_templates
		WHERE tenant_id = $1 AND lower(name) = lower($2) AND id <> $3)`, tenantID, name, self).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return errTemplateName
	}
	return nil
}

// CreateTemplate adds a template. EInvalid on bad input or a taken name.
// Records agreement_template.created.
func CreateTemplate(ctx context.Context, q db.Querier, tenantID uuid.UUID, in TemplateInput) (Template, error) {
	if err := in.Validate(); err != nil {
		return Template{}, err
	}
	if err := checkTier(ctx, q, tenantID, in.TierID); err != nil {
		return Template{}, err
	}
	if err := checkName(ctx, q, tenantID, uuid.Nil, in.Name); err != nil {
		return Template{}, err
	}
	terms, rules, term, err := templateJSON(in)
	if err != nil {
		return Template{}, err
	}
	var id uuid.UUID
	err = q.QueryRow(ctx, `INSERT INTO agreement_templates (tenant_id, name, model, tier_id, payment_trigger, payment_net_days,
			term_months, terms, rules) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		tenantID, in.Name, in.Model, in.TierID, in.PaymentTrigger, in.PaymentNetDays, term, terms, rules).Scan(&id)
	if db.IsUniqueViolation(err, "agreement_templates_name_key") {
		return Template{}, errTemplateName
	}
	if err != nil {
		return Template{}, err
	}
	if err := audit.Record(ctx, q, tenantID, "agreement_template.created", "agreement_template", id.String(),
		map[string]any{"name": in.Name, "model": in.Model}); err != nil {
		return Template{}, err
	}
	return GetTemplate(ctx, q, tenantID, id)
}

// UpdateTemplate replaces a template (agreements started from it keep their
// own terms). ENotFound, EInvalid as CreateTemplate. Records
// agreement_template.updated.
func UpdateTemplate(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in TemplateInput) (Template, error) {
	if _, err := GetTemplate(ctx, q, tenantID, id); err != nil {
		return Template{}, err
	}
	if err := in.Validate(); err != nil {
		return Template{}, err
	}
	if err := checkTier(ctx, q, tenantID, in.TierID); err != nil {
		return Template{}, err
	}
	if err := checkName(ctx, q, tenantID, id, in.Name); err != nil {
		return Template{}, err
	}
	terms, rules, term, err := templateJSON(in)
	if err != nil {
		return Template{}, err
	}
	_, err = q.Exec(ctx, `UPDATE agreement_templates SET name = $3, model = $4, tier_id = $5, payment_trigger = $6,
			payment_net_days = $7, term_months = $8, terms = $9, rules = $10, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, in.Name, in.Model, in.TierID, in.PaymentTrigger, in.PaymentNetDays,
		term, terms, rules)
	if db.IsUniqueViolation(err, "agreement_templates_name_key") {
		return Template{}, errTemplateName
	}
	if err != nil {
		return Template{}, err
	}
	if err := audit.Record(ctx, q, tenantID, "agreement_template.updated", "agreement_template", id.String(),
		map[string]any{"name": in.Name}); err != nil {
		return Template{}, err
	}
	return GetTemplate(ctx, q, tenantID, id)
}

// DeleteTemplate removes a template; agreements started from it keep their
// terms (their template_id becomes null). Records agreement_template.deleted.
func DeleteTemplate(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) error {
	t, err := GetTemplate(ctx, q, tenantID, id)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `DELETE FROM agreement_templates WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return err
	}
	return audit.Record(ctx, q, tenantID, "agreement_template.deleted", "agreement_template", id.String(), map[string]any{"name": t.Name})
}

// Standard wording the default templates share.
const (
	defaultConfidentiality = "Each side keeps the other's confidential information and its clients' information confidential, " +
		"uses it only for this partnership, and returns or destroys it when the agreement ends."
	defaultDataProtection = "Client personal data is shared only with the client's consent and only as needed for the introduction " +
		"or the work; each side protects it as its data protection law requires and tells the other without delay of any breach."
	defaultDisputes = "Disagreements go first to the escalation contacts; if they are not resolved within 30 days, the parties " +
		"try non-binding mediation before any other step."
	defaultDisclosure = "Before the introduction we tell the client in writing that we have a referral arrangement with the partner, " +
		"including any referral fee or commission."
	defaultClientAcceptance = "The firm that will do the work decides whether to take on a referred client."
	defaultScopeChanges     = "Changes to a project's scope are agreed in writing by both firms' leads."
)

func standardTerms(involvement string, reciprocal bool, cadence int) Terms {
	return Terms{Involvement: involvement, Reciprocal: reciprocal,
		Governance:      Governance{CheckinCadenceDays: cadence, ClientAcceptance: defaultClientAcceptance, ScopeChanges: defaultScopeChanges},
		Confidentiality: defaultConfidentiality, DataProtection: defaultDataProtection, DisputeResolution: defaultDisputes,
		ClientDisclosure: defaultDisclosure}
}

// DefaultTemplates are a new firm's standard terms, one per model: a
// referral partner paid 10% of the first project (net 30 after the client
// pays); a subcontracting partner with a 60/40 co-delivery split; a
// strategic alliance on reciprocity only; a technology partner paying us
// 10% for 12 months; a channel partner paid 20% while the client is active.
// Each runs 12 months, so it is reviewed yearly.
func DefaultTemplates() []TemplateInput {
	return []TemplateInput{
		{Name: "Referral partner — standard terms", Model: "referral", PaymentTrigger: "client_payment", PaymentNetDays: 30,
			TermMonths: 12, Terms: standardTerms("standard", true, 90),
			Rules: []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}},
		{Name: "Subcontracting / delivery — standard terms", Model: "delivery", PaymentTrigger: "client_payment", PaymentNetDays: 30,
			TermMonths: 12, Terms: standardTerms("", false, 30),
			Rules: []commission.Rule{{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000}}},
		{Name: "Strategic alliance — reciprocity", Model: "alliance", PaymentTrigger: "client_payment", PaymentNetDays: 30,
			TermMonths: 12, Terms: standardTerms("", true, 30),
			Rules: []commission.Rule{{Kind: commission.ReciprocityOnly, Direction: commission.WePay}}},
		{Name: "Technology / platform — standard terms", Model: "technology", PaymentTrigger: "client_payment", PaymentNetDays: 30,
			TermMonths: 12, Terms: standardTerms("standard", false, 90),
			Rules: []commission.Rule{{Kind: commission.PercentOngoing, Direction: commission.WeReceive, RateBP: 1000, Months: 12}}},
		{Name: "Channel / reseller — standard terms", Model: "channel", PaymentTrigger: "monthly", PaymentNetDays: 30,
			TermMonths: 12, Terms: standardTerms("high", false, 90),
			Rules: []commission.Rule{{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 2000}}},
	}
}

// SetUpFirm gives a firm the default templates (idempotent: a template of
// the same name is left alone).
func SetUpFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	n := 0
	for _, in := range DefaultTemplates() {
		if err := in.Validate(); err != nil {
			return err
		}
		terms, rules, term, err := templateJSON(in)
		if err != nil {
			return err
		}
		tag, err := q.Exec(ctx, `INSERT INTO agreement_templates (tenant_id, name, model, payment_trigger, payment_net_days,
				term_months, terms, rules) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (tenant_id, lower(name)) DO NOTHING`,
			tenantID, in.Name, in.Model, in.PaymentTrigger, in.PaymentNetDays, term, terms, rules)
		if err != nil {
			return err
		}
		n += int(tag.RowsAffected())
	}
	if n == 0 {
		return nil
	}
	return audit.Record(ctx, q, tenantID, "agreement_template.defaults_created", "agreement_template", "", map[string]any{"count": n})
}
