package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/enablement"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// enablementRoutes are the enablement library and the monthly hot
// opportunity profile under /t/{tenant}/library. Everyone on staff reads
// them; partner managers write them.
func (s *Server) enablementRoutes(r chi.Router) {
	r.Route("/library", func(r chi.Router) {
		r.Get("/", s.libraryList)
		r.Get("/hot", s.hotProfile)
		r.Get("/hot/{id}", s.hotProfileShow)
		r.Get("/{id}", s.libraryItem)
		r.Get("/{id}/attachments/{file}", s.libraryFileDownload)
		r.Group(func(r chi.Router) {
			r.Use(s.requireCap(auth.ManagePartners))
			r.Get("/new", s.libraryNew)
			r.Post("/", s.libraryCreate)
			r.Post("/hot", s.hotProfileSave)
			r.Post("/hot/{id}/send", s.hotProfileSend)
			r.Get("/{id}/edit", s.libraryEdit)
			r.Post("/{id}", s.libraryUpdate)
			r.Post("/{id}/delete", s.libraryDelete)
			r.Post("/{id}/attachments", s.libraryUpload)
			r.Post("/{id}/attachments/{file}/delete", s.libraryFileDelete)
		})
	})
}

func libraryPath(sc *staffCtx) string { return "/t/" + sc.Tenant.Slug + "/library" }

func kindOptions() []view.Option {
	out := make([]view.Option, 0, len(enablement.Kinds))
	for _, k := range enablement.Kinds {
		out = append(out, view.Option{Value: k, Label: enablement.KindLabels[k]})
	}
	return out
}

// tierNames describes who sees an item: "All tiers" or the tiers' names.
func tierNames(ids []uuid.UUID, tiers []partner.Tier) string {
	if len(ids) == 0 {
		return "All tiers"
	}
	var names []string
	for _, t := range tiers {
		for _, id := range ids {
			if t.ID == id {
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		return "No current tier (its tiers were deleted)"
	}
	return strings.Join(names, ", ")
}

func fmtDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// libraryList shows the library, filtered by kind and words.
func (s *Server) libraryList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := enablement.Filter{Kind: q.Get("kind"), Q: strings.TrimSpace(q.Get("q"))}
	if _, ok := enablement.KindLabels[f.Kind]; !ok {
		f.Kind = ""
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	var items []enablement.Item
	var tiers []partner.Tier
	var hot *enablement.HotProfile
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if items, err = enablement.List(ctx, tx, sc.Tenant.ID, f); err != nil {
			return err
		}
		if tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		hot, err = enablement.HotForMonth(ctx, tx, sc.Tenant.ID, s.now())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.LibraryProps{Path: libraryPath(sc), CanManage: sc.Role.Can(auth.ManagePartners), Kind: f.Kind, Q: f.Q,
		KindOptions: kindOptions()}
	for _, it := range items {
		d.Items = append(d.Items, view.LibraryRow{ID: it.ID.String(), Title: it.Title, Kind: it.KindLabel(), Summary: it.Summary,
			Published: it.Published, Tiers: tierNames(it.TierIDs, tiers), Files: it.FileCount, HasLink: it.LinkURL != "",
			Updated: fmtDate(it.UpdatedAt)})
	}
	if hot != nil {
		d.Hot = &view.HotSummary{ID: hot.ID.String(), Title: hot.Title, MonthLabel: hot.MonthLabel(), URL: libraryPath(sc) + "/hot"}
	}
	s.render(w, r, http.StatusOK, view.LibraryPage(s.page(r, "Enablement library", "library"), d))
}

// placeholderRows lists the placeholders with the firm's example values.
func placeholderRows(firmName string) []view.PlaceholderRow {
	ex := enablement.ExampleValues(firmName)
	out := []view.PlaceholderRow{}
	for _, p := range enablement.Placeholders {
		out = append(out, view.PlaceholderRow{Key: p.Key, Label: p.Label, Example: ex[p.Key]})
	}
	return out
}

// loadItem resolves the {id} item of the firm in tx (404 for another firm's).
func loadItem(r *http.Request, tx pgx.Tx, sc *staffCtx) (enablement.Item, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return enablement.Item{}, err
	}
	return enablement.Get(r.Context(), tx, sc.Tenant.ID, id)
}

// libraryItem shows one item with its attachments.
func (s *Server) libraryItem(w http.ResponseWriter, r *http.Request) {
	s.renderLibraryItem(w, r, http.StatusOK, view.Form{})
}

func (s *Server) renderLibraryItem(w http.ResponseWriter, r *http.Request, status int, upload view.Form) {
	ctx := r.Context()
	var it enablement.Item
	var files []enablement.File
	var tiers []partner.Tier
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if it, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		if files, err = enablement.Files(ctx, tx, sc.Tenant.ID, it.ID); err != nil {
			return err
		}
		tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	path := libraryPath(sc) + "/" + it.ID.String()
	d := view.LibraryItemProps{Path: path, ListURL: libraryPath(sc), CanManage: sc.Role.Can(auth.ManagePartners),
		Kind: it.Kind, KindLabel: it.KindLabel(), Summary: it.Summary, BodyMD: it.BodyMD, PreviewMD: it.BodyMD,
		LinkURL: it.LinkURL, Tiers: tierNames(it.TierIDs, tiers), Published: it.Published, Updated: fmtDate(it.UpdatedAt),
		Upload: view.UploadProps{Form: upload, Action: path + "/attachments", Accept: enablement.AcceptAttr, MaxSize: enablement.MaxFileSize}}
	if it.Kind == "email_template" || len(enablement.UsedPlaceholders(it.BodyMD)) > 0 {
		d.Placeholders = placeholderRows(sc.Tenant.Name)
		d.PreviewMD = enablement.Fill(it.BodyMD, enablement.ExampleValues(sc.Tenant.Name))
	}
	d.Files = fileRows(files, path)
	s.render(w, r, status, view.LibraryItemPage(s.page(r, it.Title, "library"), d))
}

// fileTypeWord names a content type for people.
func fileTypeWord(ct string) string {
	switch strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]) {
	case "application/pdf":
		return "PDF"
	case "image/png":
		return "PNG image"
	case "image/jpeg":
		return "JPEG image"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "Word document"
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "PowerPoint"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "Excel workbook"
	case "text/csv":
		return "CSV"
	case "text/markdown":
		return "Markdown"
	default:
		return "Text"
	}
}

func fileRows(files []enablement.File, itemPath string) []view.FileRow {
	out := []view.FileRow{}
	for _, f := range files {
		out = append(out, view.FileRow{ID: f.ID.String(), Name: f.Filename, Size: enablement.FormatSize(f.SizeBytes),
			Type: fileTypeWord(f.ContentType), URL: itemPath + "/attachments/" + f.ID.String()})
	}
	return out
}

// itemForm is the item form as typed.
type itemForm struct {
	in       enablement.ItemInput
	rawTiers []string
	preview  bool
}

func itemFormFrom(r *http.Request) itemForm {
	f := r.PostForm
	form := itemForm{in: enablement.ItemInput{Kind: f.Get("kind"), Title: f.Get("title"), Summary: f.Get("summary"),
		BodyMD: f.Get("body_md"), LinkURL: f.Get("link_url"), Published: f.Get("published") != ""},
		rawTiers: f["tier_ids"], preview: f.Get("preview") != ""}
	return form
}

// parseTiers reads the tier checkboxes; a malformed id is a field error.
func (f *itemForm) parseTiers() error {
	f.in.TierIDs = nil
	for _, v := range f.rawTiers {
		id, err := uuid.Parse(v)
		if err != nil {
			return apperr.Invalid(map[string]string{"tier_ids": "Choose among the firm's tiers."})
		}
		f.in.TierIDs = append(f.in.TierIDs, id)
	}
	return nil
}

func (s *Server) itemFormProps(sc *staffCtx, f itemForm, tiers []partner.Tier, action, submit, cancel string) view.LibraryFormProps {
	d := view.LibraryFormProps{Action: action, Submit: submit, CancelURL: cancel, Kind: f.in.Kind, KindOptions: kindOptions(),
		Title: f.in.Title, Summary: f.in.Summary, BodyMD: f.in.BodyMD, LinkURL: f.in.LinkURL, Published: f.in.Published}
	checked := map[string]bool{}
	for _, v := range f.rawTiers {
		checked[v] = true
	}
	for _, id := range f.in.TierIDs {
		checked[id.String()] = true
	}
	for _, t := range tiers {
		d.Tiers = append(d.Tiers, view.TierChoice{ID: t.ID.String(), Name: t.Name, Checked: checked[t.ID.String()]})
	}
	if f.preview {
		d.ShowPreview = true
		d.Preview = f.in.BodyMD
		if f.in.Kind == "email_template" || len(enablement.UsedPlaceholders(f.in.BodyMD)) > 0 {
			d.Placeholders = placeholderRows(sc.Tenant.Name)
			d.Preview = enablement.Fill(f.in.BodyMD, enablement.ExampleValues(sc.Tenant.Name))
		}
	}
	return d
}

func (s *Server) listTiers(r *http.Request) ([]partner.Tier, error) {
	var tiers []partner.Tier
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		tiers, err = partner.ListTiers(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	return tiers, err
}

// libraryNew is the empty form (published by default).
func (s *Server) libraryNew(w http.ResponseWriter, r *http.Request) {
	tiers, err := s.listTiers(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	f := itemForm{in: enablement.ItemInput{Published: true, Kind: r.URL.Query().Get("kind")}}
	d := s.itemFormProps(sc, f, tiers, libraryPath(sc), "Add item", libraryPath(sc))
	s.render(w, r, http.StatusOK, view.LibraryFormPage(s.page(r, "New library item", "library"), d))
}

// libraryCreate adds an item, or shows the preview without saving.
func (s *Server) libraryCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	f := itemFormFrom(r)
	var it enablement.Item
	var tiers []partner.Tier
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if f.preview {
			return nil
		}
		if err := f.parseTiers(); err != nil {
			return err
		}
		it, err = enablement.Create(ctx, tx, sc.Tenant.ID, f.in, userFrom(ctx).ID)
		return err
	})
	if f.preview && err == nil {
		d := s.itemFormProps(sc, f, tiers, libraryPath(sc), "Add item", libraryPath(sc))
		s.render(w, r, http.StatusOK, view.LibraryFormPage(s.page(r, "New library item", "library"), d))
		return
	}
	if apperr.Code(err) == apperr.EInvalid {
		d := s.itemFormProps(sc, f, tiers, libraryPath(sc), "Add item", libraryPath(sc))
		d.Form = formErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, view.LibraryFormPage(s.page(r, "New library item", "library"), d))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "“"+it.Title+"” was added to the library.")
	redirect(w, r, libraryPath(sc)+"/"+it.ID.String())
}

// libraryEdit shows an item's form.
func (s *Server) libraryEdit(w http.ResponseWriter, r *http.Request) {
	var it enablement.Item
	var tiers []partner.Tier
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if it, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		tiers, err = partner.ListTiers(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	path := libraryPath(sc) + "/" + it.ID.String()
	f := itemForm{in: enablement.ItemInput{Kind: it.Kind, Title: it.Title, Summary: it.Summary, BodyMD: it.BodyMD,
		LinkURL: it.LinkURL, TierIDs: it.TierIDs, Published: it.Published}}
	d := s.itemFormProps(sc, f, tiers, path, "Save item", path)
	s.render(w, r, http.StatusOK, view.LibraryFormPage(s.page(r, "Edit: "+it.Title, "library"), d))
}

// libraryUpdate saves an item (found in the firm before the form is read).
func (s *Server) libraryUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sc := staffFrom(ctx)
	var before, it enablement.Item
	var tiers []partner.Tier
	var f itemForm
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if before, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		f = itemFormFrom(r)
		if tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if f.preview {
			return nil
		}
		if err := f.parseTiers(); err != nil {
			return err
		}
		it, err = enablement.Update(ctx, tx, sc.Tenant.ID, before.ID, f.in)
		return err
	})
	path := libraryPath(sc) + "/" + before.ID.String()
	if err == nil && f.preview {
		d := s.itemFormProps(sc, f, tiers, path, "Save item", path)
		s.render(w, r, http.StatusOK, view.LibraryFormPage(s.page(r, "Edit: "+before.Title, "library"), d))
		return
	}
	if apperr.Code(err) == apperr.EInvalid {
		d := s.itemFormProps(sc, f, tiers, path, "Save item", path)
		d.Form = formErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, view.LibraryFormPage(s.page(r, "Edit: "+before.Title, "library"), d))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "“"+it.Title+"” was saved.")
	redirect(w, r, path)
}

// libraryDelete removes an item and its attachments.
func (s *Server) libraryDelete(w http.ResponseWriter, r *http.Request) {
	var it enablement.Item
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if it, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		_, err = enablement.Delete(r.Context(), tx, sc.Tenant.ID, it.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.flash(r, "success", "“"+it.Title+"” was deleted.")
	redirect(w, r, libraryPath(sc))
}

// readUpload reads the "file" part of a multipart upload: at most
// MaxFileBytes+1 bytes, so a larger file is recognised without keeping it.
func readUpload(r *http.Request) (name string, data []byte, err error) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, apperr.Invalid(map[string]string{"file": "The file is over " + enablement.MaxFileSize + ". Attach a smaller file, or link to it instead."})
		}
		return "", nil, apperr.Invalid(map[string]string{"file": "Choose a file to attach."})
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	file, hdr, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return "", nil, apperr.Invalid(map[string]string{"file": "Choose a file to attach."})
	}
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = file.Close() }()
	if hdr.Size > enablement.MaxFileBytes {
		return hdr.Filename, nil, apperr.Invalid(map[string]string{"file": "The file is over " + enablement.MaxFileSize + ". Attach a smaller file, or link to it instead."})
	}
	data, err = io.ReadAll(io.LimitReader(file, enablement.MaxFileBytes+1))
	return hdr.Filename, data, err
}

// libraryUpload attaches a file to an item: checked by size, extension and
// content; a refused file is a 422 with the reason, and nothing is written.
func (s *Server) libraryUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var it enablement.Item
	var f enablement.File
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if it, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		name, data, err := readUpload(r)
		if err != nil {
			return err
		}
		f, err = enablement.AddFile(ctx, tx, sc.Tenant.ID, it.ID, name, data, userFrom(ctx).ID)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderLibraryItem(w, r, http.StatusUnprocessableEntity, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", f.Filename+" was attached.")
	redirect(w, r, libraryPath(sc)+"/"+it.ID.String())
}

// serveFile sends an attachment as a download that the browser won't sniff
// or render in the page.
func serveFile(w http.ResponseWriter, f enablement.File, data []byte) {
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// fileParam parses the {file} id (404 when malformed).
func fileParam(r *http.Request) (uuid.UUID, error) { return idParam(r, "file") }

func (s *Server) libraryFileDownload(w http.ResponseWriter, r *http.Request) {
	var f enablement.File
	var data []byte
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		it, err := loadItem(r, tx, sc)
		if err != nil {
			return err
		}
		fid, err := fileParam(r)
		if err != nil {
			return err
		}
		f, data, err = enablement.FileData(r.Context(), tx, sc.Tenant.ID, it.ID, fid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	serveFile(w, f, data)
}

func (s *Server) libraryFileDelete(w http.ResponseWriter, r *http.Request) {
	var it enablement.Item
	var f enablement.File
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if it, err = loadItem(r, tx, sc); err != nil {
			return err
		}
		fid, err := fileParam(r)
		if err != nil {
			return err
		}
		f, err = enablement.DeleteFile(r.Context(), tx, sc.Tenant.ID, it.ID, fid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", f.Filename+" was removed.")
	redirect(w, r, libraryPath(staffFrom(r.Context()))+"/"+it.ID.String())
}

// ----- hot opportunity profile -----

func hotPath(sc *staffCtx) string { return libraryPath(sc) + "/hot" }

func hotSummary(h enablement.HotProfile, url string) view.HotSummary {
	v := view.HotSummary{ID: h.ID.String(), Title: h.Title, MonthLabel: h.MonthLabel(), BodyMD: h.BodyMD, URL: url}
	if h.EmailedAt != nil {
		v.Emailed = "Emailed " + fmtDate(*h.EmailedAt)
	}
	return v
}

func (s *Server) hotProfile(w http.ResponseWriter, r *http.Request) {
	s.renderHot(w, r, http.StatusOK, nil)
}

// renderHot draws the page; form, when set, is the form as typed.
func (s *Server) renderHot(w http.ResponseWriter, r *http.Request, status int, form *view.HotFormProps) {
	ctx := r.Context()
	today := s.now()
	months := enablement.EditableMonths(today)
	var cur, next *enablement.HotProfile
	var hist []enablement.HotProfile
	var recipients []enablement.Recipient
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if cur, err = enablement.HotForMonth(ctx, tx, sc.Tenant.ID, months[0]); err != nil {
			return err
		}
		if next, err = enablement.HotForMonth(ctx, tx, sc.Tenant.ID, months[1]); err != nil {
			return err
		}
		if hist, err = enablement.HotHistory(ctx, tx, sc.Tenant.ID, 0); err != nil {
			return err
		}
		recipients, err = enablement.HotRecipients(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.HotProps{Path: hotPath(sc), LibraryURL: libraryPath(sc), CanManage: sc.Role.Can(auth.ManagePartners),
		Recipients: len(recipients)}
	if cur != nil {
		v := hotSummary(*cur, hotPath(sc)+"/"+cur.ID.String())
		d.Current = &v
		d.CanSend = cur.EmailedAt == nil && len(recipients) > 0
	}
	if next != nil {
		v := hotSummary(*next, hotPath(sc)+"/"+next.ID.String())
		d.Next = &v
	}
	for _, h := range hist {
		if h.Month.Before(months[0]) {
			d.History = append(d.History, hotSummary(h, hotPath(sc)+"/"+h.ID.String()))
		}
	}
	if form == nil {
		// Edit this month's profile, or write it; once it exists and was
		// emailed, offer next month's.
		f := view.HotFormProps{Month: months[0].Format("2006-01")}
		switch {
		case cur == nil:
		case cur.EmailedAt != nil && next == nil:
			f.Month = months[1].Format("2006-01")
		case cur.EmailedAt != nil && next != nil:
			f.Month, f.Title, f.BodyMD = months[1].Format("2006-01"), next.Title, next.BodyMD
		default:
			f.Title, f.BodyMD = cur.Title, cur.BodyMD
		}
		form = &f
	}
	form.Action = hotPath(sc)
	form.MonthOptions = nil
	for _, m := range months {
		form.MonthOptions = append(form.MonthOptions, view.Option{Value: m.Format("2006-01"), Label: m.Format("January 2006")})
	}
	d.Form = *form
	s.render(w, r, status, view.HotProfilePage(s.page(r, "Hot opportunity profile", "library"), d))
}

// hotProfileSave writes a month's profile (or previews it).
func (s *Server) hotProfileSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	pf := r.PostForm
	form := view.HotFormProps{Month: pf.Get("month"), Title: pf.Get("title"), BodyMD: pf.Get("body_md"), Preview: pf.Get("preview") != ""}
	if form.Preview {
		s.renderHot(w, r, http.StatusOK, &form)
		return
	}
	var h enablement.HotProfile
	var created bool
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		month, perr := time.Parse("2006-01", strings.TrimSpace(form.Month))
		if perr != nil {
			month = time.Time{} // SaveHot refuses it with the message on "month"
		}
		var err error
		h, created, err = enablement.SaveHot(ctx, tx, sc.Tenant.ID, month, enablement.HotInput{Title: form.Title, BodyMD: form.BodyMD},
			userFrom(ctx).ID, s.now())
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		form.Form = formErrors(err)
		s.renderHot(w, r, http.StatusUnprocessableEntity, &form)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	verb := "saved"
	if created {
		verb = "created"
	}
	s.flash(r, "success", h.MonthLabel()+"'s profile was "+verb+".")
	redirect(w, r, hotPath(staffFrom(ctx)))
}

// hotProfileShow shows one month's profile.
func (s *Server) hotProfileShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var h enablement.HotProfile
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		h, err = enablement.GetHot(r.Context(), tx, sc.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.render(w, r, http.StatusOK, view.HotShowPage(s.page(r, h.Title, "library"),
		view.HotShowProps{HotURL: hotPath(sc), Profile: hotSummary(h, "")}))
}

// hotProfileSend emails this month's profile to active partners, once.
func (s *Server) hotProfileSend(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var n int
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		n, err = enablement.SendHot(r.Context(), tx, s.Outbox, sc.Tenant.ID, id, s.Config.BaseURL, s.now())
		return err
	})
	sc := staffFrom(r.Context())
	if apperr.Code(err) == apperr.EConflict {
		s.flash(r, "error", apperr.Message(err))
		redirect(w, r, hotPath(sc))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The profile was emailed to "+view.ProgressCount(n, "person", "people")+" at your active partners.")
	redirect(w, r, hotPath(sc))
}
