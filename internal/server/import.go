package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/web/view"
)

// The one CSV import flow (issue 8), for every kind of record, under
// /t/{tenant}/imports/{kind}:
//
//	GET  /imports/{kind}               the upload form, its columns and an example
//	GET  /imports/{kind}/template.csv  a file to start from
//	POST /imports/{kind}/preview       upload → every row and its problems; nothing written
//	POST /imports/{kind}/confirm       write the good rows in one transaction, or nothing
//
// The preview keeps the uploaded file on the server (import_batches); the
// confirmation names the batch and the plan it saw, reads the file again
// and checks it again inside the transaction that writes it. Each kind
// registers itself (registerImportKind, from an init in its own file) with
// an importflow.Spec — its columns, how its rows are checked and written —
// and how the staff app shows it.

// importKind is a kind of import as the staff app shows it.
type importKind struct {
	Spec    *importflow.Spec
	Cap     auth.Capability // who may import it
	Title   string          // "Import partners"
	Section string          // the navigation's active section
	Intro   string
	// Back is where Cancel goes and Done where a confirmation lands, under /t/{slug}.
	Back, Done  string
	Placeholder string // the paste box's example header
	// Top, Extra and Footer add a kind's own pieces to the pages (tabs,
	// links, notes); any may be nil.
	Top    func(base string) templ.Component
	Extra  func(s *Server, r *http.Request, base string) templ.Component
	Footer func(base string, p importflow.Plan) templ.Component
	// Fields are the inputs of the kind's own form values (Spec.Params),
	// with the values given and the form's errors; nil when it has none.
	Fields func(params map[string]string, f view.Form) templ.Component
	// Path is the kind's pages under /t/{slug} when a kind imports into
	// one record (/campaigns/{id}/import); /imports/{kind} when "".
	Path string
}

var (
	importKindsMu sync.Mutex
	importKinds   = map[string]func(*Server) *importKind{}
)

// registerImportKind adds a kind of import; call it from an init.
func registerImportKind(kind string, make func(*Server) *importKind) {
	importKindsMu.Lock()
	defer importKindsMu.Unlock()
	if _, dup := importKinds[kind]; dup {
		panic("import kind registered twice: " + kind)
	}
	importKinds[kind] = make
}

// importKind returns the kind named, or nil.
func (s *Server) importKind(kind string) *importKind {
	importKindsMu.Lock()
	mk := importKinds[kind]
	importKindsMu.Unlock()
	if mk == nil {
		return nil
	}
	k := mk(s)
	if k.Spec.Kind != kind {
		panic("import kind " + kind + " builds a spec of " + k.Spec.Kind)
	}
	return k
}

func (s *Server) importRoutes(r chi.Router) {
	r.Route("/imports/{kind}", func(r chi.Router) {
		r.Get("/", s.withImportKind(s.showImport))
		r.Get("/template.csv", s.withImportKind(s.importTemplate))
		r.Post("/preview", s.withImportKind(s.previewImport))
		r.Post("/confirm", s.withImportKind(s.confirmImport))
	})
}

// withImportKind resolves {kind} (404 when unknown) and checks the role
// may import it (403).
func (s *Server) withImportKind(h func(http.ResponseWriter, *http.Request, *importKind)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k := s.importKind(chi.URLParam(r, "kind"))
		if k == nil {
			s.fail(w, r, apperr.NotFound("Page"))
			return
		}
		s.requireCap(k.Cap)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, k) })).ServeHTTP(w, r)
	}
}

// importBase is the kind's URL: /t/{slug}/imports/{kind}.
func importBase(r *http.Request, k *importKind) string {
	if k.Path != "" {
		return "/t/" + staffFrom(r.Context()).Tenant.Slug + k.Path
	}
	return "/t/" + staffFrom(r.Context()).Tenant.Slug + "/imports/" + k.Spec.Kind
}

func (s *Server) importEnv(r *http.Request) importflow.Env {
	env := importflow.Env{TenantID: staffFrom(r.Context()).Tenant.ID, Now: s.now()}
	if u := userFrom(r.Context()); u != nil {
		env.UserID = u.ID
	}
	return env
}

// importProps is the upload page of a kind.
func (s *Server) importProps(r *http.Request, k *importKind, params map[string]string, f view.Form) view.ImportProps {
	base := "/t/" + staffFrom(r.Context()).Tenant.Slug
	maxBytes, maxRows := k.Spec.Limits()
	d := view.ImportProps{Intro: k.Intro, Action: importBase(r, k) + "/preview", Cancel: base + k.Back,
		TemplateURL: importBase(r, k) + "/template.csv", Noun: k.Spec.Noun, Plural: k.Spec.Plural,
		MaxSize: importflow.SizeText(maxBytes), MaxRows: importflow.Thousands(maxRows), Placeholder: k.Placeholder,
		Example: string(importflow.TemplateCSV(k.Spec)), Form: f}
	for _, c := range k.Spec.Columns {
		col := view.ImportColumn{Name: c.Name, Required: c.Required, Help: c.Help}
		if len(c.Aliases) > 0 {
			col.Aliases = "also: " + strings.Join(c.Aliases, ", ")
		}
		d.Columns = append(d.Columns, col)
	}
	if k.Top != nil {
		d.Top = k.Top(base)
	}
	if k.Extra != nil {
		d.Extra = k.Extra(s, r, base)
	}
	if k.Fields != nil {
		d.Fields = k.Fields(params, f)
	}
	return d
}

// showImport is the upload form.
func (s *Server) showImport(w http.ResponseWriter, r *http.Request, k *importKind) {
	s.render(w, r, http.StatusOK, view.ImportPage(s.page(r, k.Title, k.Section), s.importProps(r, k, map[string]string{}, view.Form{})))
}

// importTemplate downloads a CSV file to start from.
func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request, k *importKind) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+k.Spec.Kind+`-template.csv"`)
	_, _ = w.Write(importflow.TemplateCSV(k.Spec))
}

// importFormError shows the upload form again with a message on a field,
// the pasted text and the kind's own values kept.
func (s *Server) importFormError(w http.ResponseWriter, r *http.Request, k *importKind, status int, field, msg, pasted string,
	params map[string]string) {
	s.importFormErrors(w, r, k, status, view.FieldErrors{field: msg}, pasted, params)
}

// importFormErrors shows the upload form again with a message per field.
func (s *Server) importFormErrors(w http.ResponseWriter, r *http.Request, k *importKind, status int, errs view.FieldErrors,
	pasted string, params map[string]string) {
	f := view.Form{Errors: errs}
	for _, m := range errs {
		f.NonField = append(f.NonField, m)
	}
	slices.Sort(f.NonField)
	d := s.importProps(r, k, params, f)
	if maxBytes, _ := k.Spec.Limits(); int64(len(pasted)) <= maxBytes {
		d.CSV = pasted
	}
	s.render(w, r, status, view.ImportPage(s.page(r, k.Title, k.Section), d))
}

// previewImport reads the upload and shows what confirming would do. It
// keeps the file for the confirmation and writes nothing else.
func (s *Server) previewImport(w http.ResponseWriter, r *http.Request, k *importKind) {
	maxBytes, maxRows := k.Spec.Limits()
	up, err := importflow.ReadUploadParams(r, maxBytes, k.Spec.Params)
	var ue *importflow.UploadError
	if errors.As(err, &ue) {
		status := http.StatusUnprocessableEntity
		if ue.TooBig {
			status = http.StatusRequestEntityTooLarge
		}
		s.importFormError(w, r, k, status, ue.Field, ue.Message, ue.Pasted, up.Params)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, fe := importflow.Prepare(up.Data, k.Spec.Noun, maxRows)
	if fe != nil {
		s.importFormError(w, r, k, http.StatusUnprocessableEntity, up.Field, upperFirst(fe.Error()), up.Pasted, up.Params)
		return
	}
	env := s.importEnv(r)
	env.Params = up.Params
	var plan importflow.Plan
	var batch uuid.UUID
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if plan, err = k.Spec.Preview(r.Context(), tx, env, data); err != nil {
			return err
		}
		batch, err = importflow.SaveBatch(r.Context(), tx, env, k.Spec.BatchKind(), up.Filename, data, plan.Hash)
		return err
	})
	if fe, ok := importflow.IsFileError(err); ok {
		s.importFormError(w, r, k, http.StatusUnprocessableEntity, up.Field, upperFirst(fe.Error()), up.Pasted, up.Params)
		return
	}
	if fe := apperr.FieldErrors(err); apperr.Code(err) == apperr.EInvalid && len(fe) > 0 { // the kind's own values
		s.importFormErrors(w, r, k, http.StatusUnprocessableEntity, fe, up.Pasted, up.Params)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if plan.Whole && plan.Errors > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.renderImportPreview(w, r, k, status, plan, batch, "", env.Params)
}

// confirmImport writes the good rows of a previewed upload in one
// transaction, or nothing.
func (s *Server) confirmImport(w http.ResponseWriter, r *http.Request, k *importKind) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := uuid.Parse(r.PostForm.Get("batch"))
	if err != nil {
		s.importFormError(w, r, k, http.StatusUnprocessableEntity, "file", "The previewed file could not be found. Upload it again.", "", nil)
		return
	}
	env := s.importEnv(r)
	env.Params = map[string]string{}
	for _, name := range k.Spec.Params {
		env.Params[name] = r.PostForm.Get(name)
	}
	hash := r.PostForm.Get("hash")
	var (
		plan   importflow.Plan
		res    importflow.Result
		notice string
		status int
	)
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		b, err := importflow.LoadBatch(ctx, tx, env, k.Spec.BatchKind(), id)
		if err != nil {
			return err
		}
		if b.ConfirmedAt != nil {
			// A double click, or the back button: show the file as it
			// would import now, and confirm nothing.
			if plan, err = k.Spec.Preview(ctx, tx, env, b.Data); err != nil {
				return err
			}
			loc, err := firmLocation(ctx, tx, sc.Tenant.ID)
			if err != nil {
				return err
			}
			status, notice = http.StatusConflict, "This file was imported already, at "+b.ConfirmedAt.In(loc).Format("15:04 on 2 Jan 2006")+
				". Importing it again would add its rows twice: upload the file again if you mean to."
			plan.Confirm = ""
			return nil
		}
		if hash != b.Hash {
			hash = "" // not the plan this batch previewed: show the plan again
		}
		plan, res, err = k.Spec.Confirm(ctx, tx, env, b.Data, hash)
		switch {
		case errors.Is(err, importflow.ErrChanged):
			status = http.StatusConflict
			notice = "What the import would do changed since the preview (someone changed the records it checks against, or this file was imported already). Check it and confirm again."
			if plan.Ready == 0 {
				notice = "There is nothing left to import: every row has errors or is already here."
			}
			return importflow.UpdateBatchHash(ctx, tx, env, id, plan.Hash)
		case errors.Is(err, importflow.ErrRows):
			status = http.StatusUnprocessableEntity
			return nil
		case apperr.Code(err) == apperr.EConflict:
			status, notice = http.StatusConflict, apperr.Message(err)
			return nil
		case err != nil:
			return err
		}
		return importflow.ConfirmBatch(ctx, tx, env, id)
	})
	if apperr.Code(err) == apperr.ENotFound {
		s.importFormError(w, r, k, http.StatusUnprocessableEntity, "file",
			"The previewed file could not be found: previews expire after a day. Upload it again.", "", env.Params)
		return
	}
	if fe, ok := importflow.IsFileError(err); ok {
		s.importFormError(w, r, k, http.StatusUnprocessableEntity, "file", upperFirst(fe.Error()), "", env.Params)
		return
	}
	if fe := apperr.FieldErrors(err); apperr.Code(err) == apperr.EInvalid && len(fe) > 0 { // the kind's own values
		s.importFormErrors(w, r, k, http.StatusUnprocessableEntity, fe, "", env.Params)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if status != 0 {
		s.renderImportPreview(w, r, k, status, plan, id, notice, env.Params)
		return
	}
	s.flash(r, "success", res.Message)
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+k.Done)
}

// renderImportPreview shows a plan.
func (s *Server) renderImportPreview(w http.ResponseWriter, r *http.Request, k *importKind, status int, plan importflow.Plan,
	batch uuid.UUID, notice string, params map[string]string) {
	base := "/t/" + staffFrom(r.Context()).Tenant.Slug
	d := view.ImportPreviewProps{Action: importBase(r, k) + "/confirm", Batch: batch.String(), Hash: plan.Hash,
		Label: plan.Confirm, Again: importBase(r, k), Notice: notice, Summary: plan.Summary, Whole: plan.Whole,
		Errors: plan.Errors, Warnings: plan.Warnings, Headers: plan.Headers, Hidden: plan.Hidden}
	if plan.Whole && plan.Errors > 0 {
		d.Label = ""
	}
	for _, st := range plan.Stats {
		d.Stats = append(d.Stats, view.ImportStat{Value: st.Value, Label: st.Label})
	}
	for _, row := range plan.Rows {
		v := view.ImportRow{Line: row.Line, Outcome: row.Outcome, Tone: row.Tone, Errors: row.Errors, Warnings: row.Warnings}
		for _, c := range row.Cells {
			if c.Href != "" && !strings.HasPrefix(c.Href, "/") {
				c.Href = base + "/" + c.Href // a path under the firm
			}
			v.Cells = append(v.Cells, view.ImportCell{Text: c.Text, Note: c.Note, Href: c.Href, Badge: c.Badge})
		}
		d.Rows = append(d.Rows, v)
	}
	if k.Top != nil {
		d.Top = k.Top(base)
	}
	if k.Footer != nil {
		d.Footer = k.Footer(base, plan)
	}
	for _, name := range k.Spec.Params {
		d.Params = append(d.Params, view.ImportParam{Name: name, Value: params[name]})
	}
	s.render(w, r, status, view.ImportPreviewPage(s.page(r, k.Title+": preview", k.Section), d))
}

// upperFirst capitalises a message's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
