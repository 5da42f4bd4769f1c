package view

import "strconv"

// PartnerImportProps is the import page: upload a file or paste CSV.
type PartnerImportProps struct {
	Form
	Base    string
	CSV     string // pasted text, kept when the form is shown again
	MaxSize string // e.g. "1 MB"
	MaxRows int
}

// ImportPreviewRow is one CSV line in the preview.
type ImportPreviewRow struct {
	Line     int
	Name     string
	Domain   string
	Contact  string
	Outcome  string // "Added", "Contact added", "Skipped: exists", "Not imported"
	Tone     string // badge tone
	Errors   []string
	Warnings []string
}

// PartnerImportPreviewProps is the preview: what confirming would write.
type PartnerImportPreviewProps struct {
	Base string
	// Data is the file, packed, to send back with the confirmation; Hash
	// identifies what was previewed.
	Data     string
	Hash     string
	Notice   string // why the preview is shown again, if it is
	Summary  string
	Partners int
	Contacts int
	Errors   int // rows with errors
	Existing int // existing partners skipped
	Warnings []string
	Rows     []ImportPreviewRow
	Hidden   int // rows without problems not shown
}

// confirmLabel is the confirm button: what it will do.
func confirmLabel(d PartnerImportPreviewProps) string {
	l := "Import " + importPlural(d.Partners, "partner", "partners")
	if d.Contacts > 0 {
		l += " and " + importPlural(d.Contacts, "contact", "contacts")
	}
	if d.Errors > 0 {
		l += " (skip " + importPlural(d.Errors, "row", "rows") + " with errors)"
	}
	return l
}

func importPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
