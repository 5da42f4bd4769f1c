package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/web/view"
)

// The attendee list import of a campaign, the "leads" kind of the one
// import flow (import.go), at the campaign's own URLs
// (/campaigns/{id}/import…): upload → the file kept on the server
// (import_batches, under the campaign: Spec.Scope) → preview with each
// row's problems → confirm, which parses the kept file again and writes
// every new row in one transaction, or nothing. campaign.ParseAttendees
// reads the file (its header aliases and checks); someone already a lead of
// the campaign is skipped. The owner of the new leads is the kind's own
// form value (Spec.Params), checked against the campaign and part of the
// plan's hash.

// campaignImportPreviewRows is how many rows without problems the preview lists.
const campaignImportPreviewRows = 200

// leadImportKind is the batch kind of attendee imports.
const leadImportKind = "leads"

func (s *Server) campaignImportRoutes(r chi.Router) {
	r.Get("/import", s.withLeadImport(s.showImport))
	r.Get("/import/template.csv", s.withLeadImport(s.importTemplate))
	r.Post("/import/preview", s.withLeadImport(s.previewImport))
	r.Post("/import/confirm", s.withLeadImport(s.confirmImport))
}

// withLeadImport reads the campaign of the URL (another firm's is not
// found) and runs h with the campaign's kind of import.
func (s *Server) withLeadImport(h func(http.ResponseWriter, *http.Request, *importKind)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.inCampaign(r, func(pgx.Tx, *staffCtx, campaign.Campaign) error { return nil })
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, s.leadImportKind(c, staffFrom(r.Context()).Tenant.Name))
	}
}

// leadImportColumns are an attendee list's columns, as the page explains them.
var leadImportColumns = []importflow.Column{
	{Name: "name", Aliases: []string{"full name", "attendee", "registrant", "contact", "participant"}, Example: "Ada Lovelace",
		Help: "Required: the person's full name — or first name and last name columns instead."},
	{Name: "first name", Aliases: []string{"first", "given name"}, Help: "With last name, instead of name."},
	{Name: "last name", Aliases: []string{"last", "surname", "family name"}, Help: "With first name, instead of name."},
	{Name: "email", Aliases: []string{"email address", "work email", "business email", "mail"}, Example: "ada@analytical.example",
		Help: "Email address; someone already a lead of this campaign is skipped."},
	{Name: "company", Aliases: []string{"company name", "organisation", "organization", "firm", "employer", "account"}, Example: "Analytical Ltd",
		Help: "Company, organisation or firm."},
	{Name: "title", Aliases: []string{"job title", "position", "role"}, Example: "CFO", Help: "Job title or position."},
	{Name: "consent", Aliases: []string{"opt in", "opted in", "marketing consent", "consent to contact", "gdpr consent", "can be contacted"},
		Example: "yes", Help: "Consent to be contacted: yes or no (empty when unknown)."},
	{Name: "notes", Aliases: []string{"note", "comments", "questions", "consent notes"}, Example: "Asked about R&D credits",
		Help: "Notes, comments or questions asked."},
}

// leadImportTemplate is the template file: the columns a file needs, not
// the alternatives.
var leadImportTemplate = []byte("name,email,company,title,consent,notes\nAda Lovelace,ada@analytical.example,Analytical Ltd,CFO,yes,Asked about R&D credits\n")

// leadImportOwner reads the owner of the imported leads ("us" or a partner
// of the campaign); anything else is an error on the owner field.
func leadImportOwner(c campaign.Campaign, v string) (*uuid.UUID, error) {
	id, ok := campaign.ParseOwner(v)
	if !ok || (id != nil && !c.HasPartner(*id)) {
		return nil, apperr.Invalid(map[string]string{"owner": "Choose who follows the new leads up: us or one of the campaign's partners."})
	}
	return id, nil
}

// leadImportKind is the kind of import of campaign c's attendee lists.
func (s *Server) leadImportKind(c campaign.Campaign, firm string) *importKind {
	spec := &importflow.Spec{Kind: leadImportKind, Noun: "lead", Plural: "leads", Columns: leadImportColumns,
		MaxBytes: campaign.ImportMaxBytes, MaxRows: campaign.ImportMaxRows, Template: leadImportTemplate,
		Params: []string{"owner"}, Scope: strings.ReplaceAll(c.ID.String(), "-", "")}
	// parse reads the file against the campaign as it is in tx.
	parse := func(ctx context.Context, tx pgx.Tx, env importflow.Env) (campaign.Campaign, *uuid.UUID, func([]byte) (campaign.ImportPlan, error), error) {
		cur, err := campaign.Get(ctx, tx, env.TenantID, c.ID)
		if err != nil {
			return cur, nil, nil, err
		}
		owner, err := leadImportOwner(cur, env.Params["owner"])
		if err != nil {
			return cur, nil, nil, err
		}
		return cur, owner, func(data []byte) (campaign.ImportPlan, error) {
			existing, err := campaign.ExistingEmails(ctx, tx, env.TenantID, cur.ID)
			if err != nil {
				return campaign.ImportPlan{}, apperr.Internal(err)
			}
			plan, err := campaign.ParseAttendees(data, existing)
			var ie *campaign.ImportError
			if errors.As(err, &ie) {
				return plan, &importflow.FileError{Line: ie.Line, Message: ie.Msg}
			}
			return plan, err
		}, nil
	}
	spec.Preview = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte) (importflow.Plan, error) {
		cur, owner, read, err := parse(ctx, tx, env)
		if err != nil {
			return importflow.Plan{}, err
		}
		plan, err := read(data)
		if err != nil {
			return importflow.Plan{}, err
		}
		return leadFlowPlan(cur, owner, firm, plan), nil
	}
	spec.Confirm = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte, hash string) (importflow.Plan, importflow.Result, error) {
		cur, owner, read, err := parse(ctx, tx, env)
		if err != nil {
			return importflow.Plan{}, importflow.Result{}, err
		}
		// One import into a campaign at a time: its leads are checked once.
		if err := campaign.LockImport(ctx, tx, env.TenantID, cur.ID); err != nil {
			return importflow.Plan{}, importflow.Result{}, apperr.Internal(err)
		}
		plan, err := read(data)
		if err != nil {
			return importflow.Plan{}, importflow.Result{}, err
		}
		fp := leadFlowPlan(cur, owner, firm, plan)
		if fp.Hash != hash || fp.Ready == 0 {
			return fp, importflow.Result{}, importflow.ErrChanged
		}
		n, err := campaign.ApplyImport(ctx, tx, env.TenantID, cur, owner, plan, env.UserID)
		if err != nil {
			return fp, importflow.Result{}, err
		}
		return fp, importflow.Result{Written: n, Message: "Imported " + importflow.Count(n, "lead", "leads") + "."}, nil
	}
	path := "/campaigns/" + c.ID.String()
	return &importKind{Spec: spec, Cap: auth.ManagePartners, Title: "Import attendees", Section: "campaigns",
		Intro: "Add the registrants or attendees from the webinar or event platform's export. You'll see a preview with each row's problems first; nothing is saved until you confirm.",
		Back:  path, Done: path + "#leads", Path: path + "/import", Placeholder: "name,email,company,title,consent,notes",
		Top: func(base string) templ.Component { return view.CampaignBackLink(c.Name, base+path) },
		Fields: func(params map[string]string, f view.Form) templ.Component {
			owner := params["owner"]
			if owner == "" {
				owner = "us"
			}
			return view.LeadImportFields(owner, ownerOptions(c, firm), f.Err("owner"))
		}}
}

// leadFlowPlan is an attendee plan as the import flow shows it; its hash
// covers the campaign and the owner too.
func leadFlowPlan(c campaign.Campaign, owner *uuid.UUID, firm string, plan campaign.ImportPlan) importflow.Plan {
	h := sha256.Sum256([]byte(c.ID.String() + "|" + campaign.OwnerValue(owner) + "|" + plan.Hash()))
	p := importflow.Plan{Headers: []string{"Name", "Email", "Company"}, Hash: hex.EncodeToString(h[:]),
		Ready: plan.New(), Errors: plan.ErrorRows()}
	existing := plan.ExistingRows()
	p.Stats = []importflow.Stat{{Value: importflow.Thousands(p.Ready), Label: "leads to add"},
		{Value: importflow.Thousands(p.Errors), Label: "rows with errors"},
		{Value: importflow.Thousands(existing), Label: "already leads"}}
	if len(plan.Ignored) > 0 {
		p.Warnings = append(p.Warnings, "These columns are not imported: "+strings.Join(plan.Ignored, ", ")+".")
	}
	var parts []string
	if p.Ready == 0 {
		parts = append(parts, "Nothing will be added")
	} else {
		parts = append(parts, importflow.Count(p.Ready, "lead", "leads")+" will be added")
		who := firm
		if owner != nil {
			who = c.PartnerName(*owner)
		}
		p.Confirm = "Import " + importflow.Count(p.Ready, "lead", "leads") + " (" + who + " follows up)"
	}
	if p.Errors > 0 {
		parts = append(parts, importflow.Count(p.Errors, "row", "rows")+" with errors will not be imported")
	}
	if existing > 0 {
		parts = append(parts, importflow.Count(existing, "person", "people")+" already on the campaign will be skipped")
	}
	p.Summary = strings.Join(parts, "; ") + "."
	shown := 0
	for _, row := range plan.Rows {
		name, email := row.Lead.Name, row.Lead.Email
		if name == "" {
			name = row.Input.Name
		}
		if email == "" {
			email = row.Input.Email
		}
		fr := importflow.Row{Line: row.Line, Cells: []importflow.Cell{{Text: name}, {Text: email}, {Text: row.Lead.Company}},
			Errors: row.Errors}
		switch {
		case len(row.Errors) > 0:
			fr.Outcome, fr.Tone = "Not imported", "danger"
		case row.Existing:
			fr.Outcome, fr.Tone = "Skipped: already a lead", "warning"
		default:
			fr.Outcome, fr.Tone = "New lead", "success"
			if shown >= campaignImportPreviewRows {
				p.Hidden++
				continue
			}
			shown++
		}
		p.Rows = append(p.Rows, fr)
	}
	return p
}
