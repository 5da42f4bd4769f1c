package server

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// CSV import of partners and contacts: upload (or paste) → preview with each
// row's problems → confirm. The preview keeps nothing on the server: the
// file travels back with the confirmation (gzip, base64) and is parsed again
// there, inside the transaction that writes it, and the confirmation must
// match the previewed plan's hash. Cancel is a link: nothing to undo.

// importMaxBytes bounds an imported file (the 5 MB). limitBody lets
// the preview's body grow to maxUploadBody for it.
const (
	importMaxBytes = 5_000_000
	importMaxSize  = "5 MB"
	// importPreviewRows is how many rows without problems the preview lists.
	importPreviewRows = 200
)

func (s *Server) partnerImportRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManagePartners))
		r.Get("/import", s.showPartnerImport)
		r.Get("/import/template.csv", s.partnerImportTemplate)
		r.Post("/import/preview", s.previewPartnerImport)
		r.Post("/import/confirm", s.confirmPartnerImport)
	})
}

func (s *Server) importProps(r *http.Request) view.PartnerImportProps {
	sc := staffFrom(r.Context())
	return view.PartnerImportProps{Base: "/t/" + sc.Tenant.Slug, MaxSize: importMaxSize, MaxRows: partner.DefaultImportMaxRows}
}

// showPartnerImport is the upload form.
func (s *Server) showPartnerImport(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, view.PartnerImportPage(s.page(r, "Import partners", "partners"), s.importProps(r)))
}

// partnerImportTemplate downloads a CSV to start from.
func (s *Server) partnerImportTemplate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="partners-template.csv"`)
	_, _ = w.Write(partner.TemplateCSV())
}

// importFormError re-shows the upload form with a message on a field.
func (s *Server) importFormError(w http.ResponseWriter, r *http.Request, status int, field, msg, pasted string) {
	props := s.importProps(r)
	props.Form = view.Form{Errors: view.FieldErrors{field: msg}, NonField: []string{msg}}
	if len(pasted) <= importMaxBytes {
		props.CSV = pasted
	}
	s.render(w, r, status, view.PartnerImportPage(s.page(r, "Import partners", "partners"), props))
}

// previewPartnerImport parses the upload and shows what confirming would do.
// It writes nothing.
func (s *Server) previewPartnerImport(w http.ResponseWriter, r *http.Request) {
	data, field, pasted, err := readImportUpload(r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.importFormError(w, r, http.StatusRequestEntityTooLarge, "file",
			"The file is over "+importMaxSize+". Split it into smaller files and import them one after the other.", "")
		return
	}
	if apperr.Code(err) == apperr.EInvalid {
		s.importFormError(w, r, http.StatusUnprocessableEntity, field, apperr.FieldErrors(err)[field], pasted)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var plan partner.ImportPlan
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		existing, err := partner.ExistingForImport(r.Context(), tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		plan, err = partner.ParseCSV(bytes.NewReader(data), importOptions(existing))
		return err
	})
	var ie *partner.ImportError
	if errors.As(err, &ie) {
		s.importFormError(w, r, http.StatusUnprocessableEntity, field, upperFirst(ie.Error()), pasted)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	packed, err := packImport(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderImportPreview(w, r, http.StatusOK, plan, packed, "")
}

// confirmPartnerImport parses the previewed file again and writes all its
// valid rows in one transaction, or nothing.
func (s *Server) confirmPartnerImport(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	packed, hash := r.PostForm.Get("data"), r.PostForm.Get("hash")
	data, err := unpackImport(packed)
	if err != nil {
		props := s.importProps(r)
		props.Form = view.Form{NonField: []string{"The previewed file could not be read back. Upload it again."}}
		s.render(w, r, http.StatusUnprocessableEntity, view.PartnerImportPage(s.page(r, "Import partners", "partners"), props))
		return
	}
	var plan partner.ImportPlan
	var res partner.ImportResult
	changed := errors.New("the plan changed since the preview")
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		// One import at a time per firm: a double-click confirms once.
		if err := partner.LockImport(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		existing, err := partner.ExistingForImport(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		if plan, err = partner.ParseCSV(bytes.NewReader(data), importOptions(existing)); err != nil {
			return err
		}
		if plan.Hash() != hash || len(plan.Partners) == 0 {
			return changed
		}
		var actor = userFrom(ctx).ID
		if res, err = partner.ApplyImport(ctx, tx, sc.Tenant.ID, &actor, plan); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.imported", "partner", "", map[string]any{
			"partners": res.Partners, "contacts": res.Contacts, "rows": len(plan.Rows),
			"rows_with_errors": plan.ErrorRows(), "existing_skipped": plan.ExistingPartners()})
	})
	var ie *partner.ImportError
	switch {
	case errors.Is(err, changed):
		notice := "Your directory changed since the preview (someone added partners, or this file was imported already), so what the import would do changed too. Check it and confirm again."
		if len(plan.Partners) == 0 {
			notice = "There is nothing left to import: every row has errors or names a partner you already have."
		}
		s.renderImportPreview(w, r, http.StatusConflict, plan, packed, notice)
		return
	case errors.As(err, &ie):
		s.importFormError(w, r, http.StatusUnprocessableEntity, "file", upperFirst(ie.Error()), "")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", "Imported "+importCount(res.Partners, "partner", "partners")+" and "+
		importCount(res.Contacts, "contact", "contacts")+".")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/partners")
}

// readImportUpload returns the file (or the pasted text), the name of the
// field it came from and the pasted text to show again.
func readImportUpload(r *http.Request) (data []byte, field, pasted string, err error) {
	err = r.ParseMultipartForm(2 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, "file", "", err
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	pasted = r.PostForm.Get("csv")
	f, _, ferr := r.FormFile("file")
	if ferr == nil {
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, importMaxBytes+1))
		if err != nil {
			return nil, "file", pasted, err
		}
	}
	if len(data) == 0 && strings.TrimSpace(pasted) != "" {
		data, field = []byte(pasted), "csv"
	} else {
		field = "file"
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, field, pasted, apperr.Invalid(map[string]string{field: "Choose a CSV file, or paste CSV below."})
	}
	if len(data) > importMaxBytes {
		return nil, field, pasted, apperr.Invalid(map[string]string{field: "The file is over " + importMaxSize + ". Split it into smaller files and import them one after the other."})
	}
	return data, field, pasted, nil
}

func importOptions(existing []partner.ExistingPartner) partner.ImportOptions {
	return partner.ImportOptions{MaxBytes: importMaxBytes, MaxRows: partner.DefaultImportMaxRows, Existing: existing}
}

// packImport compresses the file for the preview's hidden field.
func packImport(data []byte) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b.Bytes()), nil
}

// unpackImport reverses packImport, reading no more than an import may be.
func unpackImport(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, importMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > importMaxBytes || len(data) == 0 {
		return nil, fmt.Errorf("import data of %d bytes", len(data))
	}
	return data, nil
}

// renderImportPreview shows the plan.
func (s *Server) renderImportPreview(w http.ResponseWriter, r *http.Request, status int, plan partner.ImportPlan, packed, notice string) {
	sc := staffFrom(r.Context())
	d := view.PartnerImportPreviewProps{Base: "/t/" + sc.Tenant.Slug, Data: packed, Hash: plan.Hash(), Notice: notice,
		Partners: len(plan.Partners), Contacts: plan.Contacts(), Errors: plan.ErrorRows(), Existing: plan.ExistingPartners(),
		Warnings: plan.Warnings}
	d.Summary = importSummary(d)
	fine := 0 // rows without problems shown
	for _, row := range plan.Rows {
		pr := view.ImportPreviewRow{Line: row.Line, Name: row.Name, Domain: row.Domain, Contact: row.Contact, Warnings: row.Warnings}
		for _, e := range row.Errors {
			pr.Errors = append(pr.Errors, e.Error())
		}
		switch {
		case len(row.Errors) > 0:
			pr.Outcome, pr.Tone = "Not imported", "danger"
		case row.Exists != "":
			pr.Outcome, pr.Tone = "Skipped: exists", "warning"
		case plan.Partners[row.Partner].Line == row.Line:
			pr.Outcome, pr.Tone = "New partner", "success"
		case row.Contact != "":
			pr.Outcome, pr.Tone = "Adds a contact", "info"
		default:
			pr.Outcome, pr.Tone = "Same partner", "neutral"
		}
		if len(pr.Errors) == 0 && len(pr.Warnings) == 0 {
			if fine >= importPreviewRows {
				d.Hidden++
				continue
			}
			fine++
		}
		d.Rows = append(d.Rows, pr)
	}
	s.render(w, r, status, view.PartnerImportPreviewPage(s.page(r, "Import partners: preview", "partners"), d))
}

// importSummary says in one sentence what confirming does.
func importSummary(d view.PartnerImportPreviewProps) string {
	var parts []string
	if d.Partners == 0 {
		parts = append(parts, "Nothing will be added")
	} else {
		parts = append(parts, importCount(d.Partners, "partner", "partners")+" and "+importCount(d.Contacts, "contact", "contacts")+" will be added")
	}
	if d.Errors == 1 {
		parts = append(parts, "1 row has errors and will not be imported")
	} else if d.Errors > 1 {
		parts = append(parts, fmt.Sprintf("%d rows have errors and will not be imported", d.Errors))
	}
	if d.Existing == 1 {
		parts = append(parts, "1 partner already exists and is skipped")
	} else if d.Existing > 1 {
		parts = append(parts, fmt.Sprintf("%d partners already exist and are skipped", d.Existing))
	}
	return strings.Join(parts, "; ") + "."
}

func importCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
