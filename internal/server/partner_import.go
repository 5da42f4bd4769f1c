package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/internal/partner"
)

// CSV import of partners and contacts, a kind of the one import flow
// (import.go, /imports/partners): partner.ParseCSV reads the file into a
// plan (a partner per name or domain, a contact per row, the firm's
// existing partners skipped) and partner.ApplyImport writes its good
// partners. The old URLs under /partners/import still work.

// importMaxBytes bounds an imported file (the 5 MB).
const importMaxBytes = importflow.DefaultMaxBytes

// importPreviewRows is how many rows without problems a preview lists.
const importPreviewRows = 200

func init() { registerImportKind("partners", (*Server).partnerImportKind) }

// partnerImportRoutes keeps the import's first URLs (/partners/import…)
// working: they are the flow's pages for the partners kind.
func (s *Server) partnerImportRoutes(r chi.Router) {
	kind := func(h func(http.ResponseWriter, *http.Request, *importKind)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			k := s.importKind("partners")
			s.requireCap(k.Cap)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, k) })).ServeHTTP(w, r)
		}
	}
	r.Get("/import", kind(s.showImport))
	r.Get("/import/template.csv", kind(s.importTemplate))
	r.Post("/import/preview", kind(s.previewImport))
	r.Post("/import/confirm", kind(s.confirmImport))
}

var partnerImportHelp = map[string]struct{ help, aliases string }{
	"name":          {"Required. The partner firm's name.", "firm, company, partner"},
	"domain":        {"e.g. partnerfirm.com. A partner whose domain (or, without one, name) is already in your directory is skipped.", "web domain"},
	"website":       {"The firm's website.", "url, homepage"},
	"model":         {"referral, delivery, alliance, technology or channel — labels like “Strategic alliance / JV” work too. Default: referral.", "type"},
	"status":        {"prospect, qualifying, onboarding, active, paused, inactive or ended. Default: prospect.", ""},
	"positioning":   {"premium, mid-market or value.", ""},
	"focus":         {"specialist or generalist.", ""},
	"industries":    {"Several values in one cell, separated by semicolons or commas.", "industry, sectors"},
	"regions":       {"Several values, separated by semicolons or commas.", "region, countries"},
	"client sizes":  {"Several values, separated by semicolons or commas.", "sizes"},
	"stages":        {"Several values, separated by semicolons or commas.", "client stages"},
	"notes":         {"Free text.", "comments"},
	"contact name":  {"One contact per row; repeat the partner's name and domain on more rows to add more contacts. A partner's first contact becomes its primary contact.", "contact"},
	"contact email": {"The contact's email.", "email"},
	"contact title": {"The contact's job title.", "title"},
	"contact level": {"executive sponsor, delivery, account manager or other.", "level"},
	"contact phone": {"The contact's phone number.", "phone"},
}

// partnerImportKind is the partners kind of import.
func (s *Server) partnerImportKind() *importKind {
	spec := &importflow.Spec{Kind: "partners", Noun: "partner", Plural: "partners",
		MaxBytes: importMaxBytes, MaxRows: partner.DefaultImportMaxRows, Template: partner.TemplateCSV()}
	for _, c := range partner.ImportColumns {
		h := partnerImportHelp[c]
		col := importflow.Column{Name: c, Required: c == "name", Help: h.help}
		if h.aliases != "" {
			col.Aliases = strings.Split(h.aliases, ", ")
		}
		spec.Columns = append(spec.Columns, col)
	}
	parse := func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte) (partner.ImportPlan, error) {
		existing, err := partner.ExistingForImport(ctx, tx, env.TenantID)
		if err != nil {
			return partner.ImportPlan{}, err
		}
		plan, err := partner.ParseCSV(bytes.NewReader(data), partner.ImportOptions{MaxBytes: importMaxBytes,
			MaxRows: partner.DefaultImportMaxRows, Existing: existing})
		if ie, ok := err.(*partner.ImportError); ok {
			return plan, &importflow.FileError{Line: ie.Line, Message: ie.Message}
		}
		return plan, err
	}
	spec.Preview = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte) (importflow.Plan, error) {
		plan, err := parse(ctx, tx, env, data)
		if err != nil {
			return importflow.Plan{}, err
		}
		return partnerFlowPlan(plan), nil
	}
	spec.Confirm = func(ctx context.Context, tx pgx.Tx, env importflow.Env, data []byte, hash string) (importflow.Plan, importflow.Result, error) {
		// One import at a time per firm: a double click confirms once.
		if err := partner.LockImport(ctx, tx, env.TenantID); err != nil {
			return importflow.Plan{}, importflow.Result{}, err
		}
		plan, err := parse(ctx, tx, env, data)
		if err != nil {
			return importflow.Plan{}, importflow.Result{}, err
		}
		fp := partnerFlowPlan(plan)
		if plan.Hash() != hash || len(plan.Partners) == 0 {
			return fp, importflow.Result{}, importflow.ErrChanged
		}
		actor := env.UserID
		res, err := partner.ApplyImport(ctx, tx, env.TenantID, &actor, plan)
		if err != nil {
			return fp, importflow.Result{}, err
		}
		if err := audit.Record(ctx, tx, env.TenantID, "partner.imported", "partner", "", map[string]any{
			"partners": res.Partners, "contacts": res.Contacts, "rows": len(plan.Rows),
			"rows_with_errors": plan.ErrorRows(), "existing_skipped": plan.ExistingPartners()}); err != nil {
			return fp, importflow.Result{}, err
		}
		return fp, importflow.Result{Written: res.Partners, Message: "Imported " + importCount(res.Partners, "partner", "partners") + " and " +
			importCount(res.Contacts, "contact", "contacts") + "."}, nil
	}
	return &importKind{Spec: spec, Cap: auth.ManagePartners, Title: "Import partners", Section: "partners",
		Intro: "Add partners and their contacts from a spreadsheet. You'll see a preview with each row's problems first; nothing is saved until you confirm.",
		Back:  "/partners", Done: "/partners", Placeholder: "name,domain,model,status,contact name,contact email"}
}

// partnerFlowPlan is a partner plan as the import flow shows it.
func partnerFlowPlan(plan partner.ImportPlan) importflow.Plan {
	p := importflow.Plan{Headers: []string{"Partner", "Domain", "Contact"}, Hash: plan.Hash(), Warnings: plan.Warnings,
		Ready: len(plan.Partners), Errors: plan.ErrorRows()}
	contacts, existing := plan.Contacts(), plan.ExistingPartners()
	p.Stats = []importflow.Stat{{Value: importflow.Thousands(p.Ready), Label: "partners to add"},
		{Value: importflow.Thousands(contacts), Label: "contacts to add"},
		{Value: importflow.Thousands(p.Errors), Label: "rows with errors"},
		{Value: importflow.Thousands(existing), Label: "partners already here"}}
	var parts []string
	if p.Ready == 0 {
		parts = append(parts, "Nothing will be added")
	} else {
		parts = append(parts, importCount(p.Ready, "partner", "partners")+" and "+importCount(contacts, "contact", "contacts")+" will be added")
		p.Confirm = "Import " + importCount(p.Ready, "partner", "partners")
		if contacts > 0 {
			p.Confirm += " and " + importCount(contacts, "contact", "contacts")
		}
		if p.Errors > 0 {
			p.Confirm += " (skip " + importCount(p.Errors, "row", "rows") + " with errors)"
		}
	}
	if p.Errors == 1 {
		parts = append(parts, "1 row has errors and will not be imported")
	} else if p.Errors > 1 {
		parts = append(parts, fmt.Sprintf("%d rows have errors and will not be imported", p.Errors))
	}
	if existing == 1 {
		parts = append(parts, "1 partner already exists and is skipped")
	} else if existing > 1 {
		parts = append(parts, fmt.Sprintf("%d partners already exist and are skipped", existing))
	}
	p.Summary = strings.Join(parts, "; ") + "."
	shown := 0
	for _, row := range plan.Rows {
		fr := importflow.Row{Line: row.Line, Cells: []importflow.Cell{{Text: row.Name}, {Text: row.Domain}, {Text: row.Contact}},
			Warnings: row.Warnings}
		for _, e := range row.Errors {
			fr.Errors = append(fr.Errors, e.Error())
		}
		switch {
		case len(row.Errors) > 0:
			fr.Outcome, fr.Tone = "Not imported", "danger"
		case row.Exists != "":
			fr.Outcome, fr.Tone = "Skipped: exists", "warning"
		case plan.Partners[row.Partner].Line == row.Line:
			fr.Outcome, fr.Tone = "New partner", "success"
		case row.Contact != "":
			fr.Outcome, fr.Tone = "Adds a contact", "info"
		default:
			fr.Outcome, fr.Tone = "Same partner", "neutral"
		}
		if len(fr.Errors) == 0 && len(fr.Warnings) == 0 {
			if shown >= importPreviewRows {
				p.Hidden++
				continue
			}
			shown++
		}
		p.Rows = append(p.Rows, fr)
	}
	return p
}

func importCount(n int, one, many string) string { return importflow.Count(n, one, many) }
