package enablement

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// Attachment limits.
const (
	MaxFileBytes    = 5 << 20 // 5 MiB, the schema's check
	MaxFileSize     = "5 MB"
	MaxFilesPerItem = 20
	filenameMax     = 255
)

// fileType is an allowed kind of attachment: the extensions that name it,
// the content type it is served with, and how its content is recognised.
type fileType struct {
	name        string // with its article: "a PDF"
	exts        []string
	contentType string
	matches     func([]byte) bool
}

var fileTypes = []fileType{
	{"a PDF", []string{".pdf"}, "application/pdf", func(b []byte) bool { return bytes.HasPrefix(b, []byte("%PDF-")) }},
	{"a PNG image", []string{".png"}, "image/png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }},
	{"a JPEG image", []string{".jpg", ".jpeg"}, "image/jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) }},
	{"a Word document", []string{".docx"}, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		func(b []byte) bool { return isOOXML(b, "word/") }},
	{"a PowerPoint presentation", []string{".pptx"}, "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		func(b []byte) bool { return isOOXML(b, "ppt/") }},
	{"an Excel workbook", []string{".xlsx"}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		func(b []byte) bool { return isOOXML(b, "xl/") }},
	{"a text file", []string{".txt"}, "text/plain; charset=utf-8", isText},
	{"a CSV file", []string{".csv"}, "text/csv; charset=utf-8", isText},
	{"a Markdown file", []string{".md", ".markdown"}, "text/markdown; charset=utf-8", isText},
}

// AllowedTypesMessage lists the allowed attachments in words.
const AllowedTypesMessage = "Attach a PDF, PNG or JPEG image, Word (.docx), PowerPoint (.pptx) or Excel (.xlsx) file, or a text, CSV or Markdown file."

// AcceptAttr is the file input's accept attribute.
const AcceptAttr = ".pdf,.png,.jpg,.jpeg,.docx,.pptx,.xlsx,.txt,.csv,.md,.markdown"

// isOOXML reports whether b is a zip holding an Office Open XML package with
// parts under dir. Only the central directory is read (nothing is inflated).
func isOOXML(b []byte, dir string) bool {
	if !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return false
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return false
	}
	var types, part bool
	for _, f := range zr.File {
		types = types || f.Name == "[Content_Types].xml"
		part = part || strings.HasPrefix(f.Name, dir)
	}
	return types && part
}

// isText reports whether b is UTF-8 text (an optional byte-order mark, no
// NUL or other control characters than tab, line breaks and form feed) and
// isn't a PDF in disguise.
func isText(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			continue
		}
		if unicode.IsControl(r) {
			return false
		}
	}
	// A PDF can be plain ASCII; the other binary formats fail the checks above.
	return !bytes.HasPrefix(b, []byte("%PDF-"))
}

// CleanFilename keeps the last path element of an uploaded file's name,
// without control characters or quotes, and at most 255 characters.
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		name = ""
	}
	for utf8.RuneCountInString(name) > filenameMax {
		ext := path.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = string(r[:filenameMax-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// Sniff checks an upload's extension and content together and returns the
// content type it will be served with. EInvalid on "file" with a message
// saying what is wrong: nothing, too large, a refused type, or content that
// isn't what the extension says.
func Sniff(filename string, data []byte) (string, error) {
	fail := func(msg string) (string, error) { return "", apperr.Invalid(map[string]string{"file": msg}) }
	if filename == "" && len(data) == 0 {
		return fail("Choose a file to attach.")
	}
	if len(data) == 0 {
		return fail("The file is empty.")
	}
	if len(data) > MaxFileBytes {
		return fail("The file is over " + MaxFileSize + ". Attach a smaller file, or link to it instead.")
	}
	ext := strings.ToLower(path.Ext(filename))
	for _, t := range fileTypes {
		for _, e := range t.exts {
			if e != ext {
				continue
			}
			if !t.matches(data) {
				return fail("The file is named " + ext + " but its content isn't " + t.name + ". " + AllowedTypesMessage)
			}
			return t.contentType, nil
		}
	}
	return fail("Files of this type can't be attached. " + AllowedTypesMessage)
}

// File is an attachment's description (its bytes are read with FileData).
type File struct {
	ID          uuid.UUID
	ItemID      uuid.UUID
	Filename    string
	ContentType string
	SizeBytes   int
	SHA256      []byte
	CreatedAt   time.Time
}

const fileCols = `id, item_id, filename, content_type, size_bytes, sha256, created_at`

func scanFile(row interface{ Scan(...any) error }) (File, error) {
	var f File
	err := row.Scan(&f.ID, &f.ItemID, &f.Filename, &f.ContentType, &f.SizeBytes, &f.SHA256, &f.CreatedAt)
	return f, err
}

// Files lists an item's attachments by name.
func Files(ctx context.Context, q db.Querier, tenantID, itemID uuid.UUID) ([]File, error) {
	rows, err := q.Query(ctx, `SELECT `+fileCols+` FROM enablement_files WHERE tenant_id = $1 AND item_id = $2
		ORDER BY lower(filename), created_at, id`, tenantID, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// GetFile returns an attachment of an item (ENotFound otherwise).
func GetFile(ctx context.Context, q db.Querier, tenantID, itemID, fileID uuid.UUID) (File, error) {
	f, err := scanFile(q.QueryRow(ctx, `SELECT `+fileCols+` FROM enablement_files WHERE tenant_id = $1 AND item_id = $2 AND id = $3`,
		tenantID, itemID, fileID))
	if db.IsNoRows(err) {
		return f, apperr.NotFound("File")
	}
	return f, err
}

// FileData returns an attachment with its bytes.
func FileData(ctx context.Context, q db.Querier, tenantID, itemID, fileID uuid.UUID) (File, []byte, error) {
	var f File
	var data []byte
	err := q.QueryRow(ctx, `SELECT `+fileCols+`, data FROM enablement_files WHERE tenant_id = $1 AND item_id = $2 AND id = $3`,
		tenantID, itemID, fileID).Scan(&f.ID, &f.ItemID, &f.Filename, &f.ContentType, &f.SizeBytes, &f.SHA256, &f.CreatedAt, &data)
	if db.IsNoRows(err) {
		return f, nil, apperr.NotFound("File")
	}
	return f, data, err
}

// AddFile attaches an upload to an item after checking its name, size and
// content (Sniff); nothing is written when any check fails.
func AddFile(ctx context.Context, q db.Querier, tenantID, itemID uuid.UUID, filename string, data []byte, by uuid.UUID) (File, error) {
	item, err := Get(ctx, q, tenantID, itemID)
	if err != nil {
		return File{}, err
	}
	name := CleanFilename(filename)
	ct, err := Sniff(name, data)
	if err != nil {
		return File{}, err
	}
	if item.FileCount >= MaxFilesPerItem {
		return File{}, apperr.Invalid(map[string]string{"file": "An item can have at most 20 attachments: remove one first."})
	}
	sum := sha256.Sum256(data)
	var byArg *uuid.UUID
	if by != uuid.Nil {
		byArg = &by
	}
	var id uuid.UUID
	if err := q.QueryRow(ctx, `INSERT INTO enablement_files (tenant_id, item_id, filename, content_type, size_bytes, sha256, data, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tenantID, itemID, name, ct, len(data), sum[:], data, byArg).Scan(&id); err != nil {
		return File{}, err
	}
	if _, err := q.Exec(ctx, `UPDATE enablement_items SET updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, itemID); err != nil {
		return File{}, err
	}
	f, err := GetFile(ctx, q, tenantID, itemID, id)
	if err != nil {
		return f, err
	}
	return f, audit.Record(ctx, q, tenantID, "enablement.file_added", "enablement_file", id.String(),
		map[string]any{"item_id": itemID, "filename": f.Filename, "size_bytes": f.SizeBytes, "content_type": f.ContentType})
}

// DeleteFile removes an attachment.
func DeleteFile(ctx context.Context, q db.Querier, tenantID, itemID, fileID uuid.UUID) (File, error) {
	f, err := GetFile(ctx, q, tenantID, itemID, fileID)
	if err != nil {
		return f, err
	}
	if _, err := q.Exec(ctx, `DELETE FROM enablement_files WHERE tenant_id = $1 AND item_id = $2 AND id = $3`,
		tenantID, itemID, fileID); err != nil {
		return f, err
	}
	return f, audit.Record(ctx, q, tenantID, "enablement.file_deleted", "enablement_file", fileID.String(),
		map[string]any{"item_id": itemID, "filename": f.Filename})
}

// FormatSize shows a byte count the way people read it: 900 B, 12 KB, 1.5 MB.
func FormatSize(n int) string {
	switch {
	case n < 1000:
		return itoa(n) + " B"
	case n < 1000*1000:
		return itoa((n+500)/1000) + " KB"
	default:
		tenths := (n + 50_000) / 100_000
		return itoa(tenths/10) + "." + itoa(tenths%10) + " MB"
	}
}
