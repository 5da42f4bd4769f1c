package view

import "github.com/a-h/templ"

// The one CSV import flow (issue 8): upload → preview → confirm, the same
// pages for every kind of record (partners, referrals, payments, …).

// ImportColumn is a column of an import file, for the page's table.
type ImportColumn struct {
	Name     string
	Aliases  string // "also: firm, company"
	Required bool
	Help     string
}

// ImportProps is the upload page of a kind.
type ImportProps struct {
	Form
	Top         templ.Component // above the page (a section's tabs); may be nil
	Intro       string          // the lead paragraph
	Action      string          // where the form posts (the preview)
	Cancel      string          // where Cancel goes
	TemplateURL string
	Noun        string // "partner"
	Plural      string // "partners"
	MaxSize     string // "5 MB"
	MaxRows     string // "5,000"
	CSV         string // pasted text, kept when the form is shown again
	Placeholder string // the paste box's example header
	Columns     []ImportColumn
	Example     string          // a small CSV file, shown as an example
	Extra       templ.Component // after the intro (a kind's own links); may be nil
	Fields      templ.Component // a kind's own inputs, in the form before the file; may be nil
}

// ImportCell is a cell of the preview's table.
type ImportCell struct {
	Text  string
	Note  string
	Href  string
	Badge string
}

// ImportRow is a line of the file in the preview.
type ImportRow struct {
	Line     int
	Cells    []ImportCell
	Outcome  string
	Tone     string
	Errors   []string
	Warnings []string
}

// ImportStat is a figure of the preview.
type ImportStat struct {
	Value string
	Label string
}

// ImportPreviewProps is the preview of an upload: every row and its problems.
type ImportPreviewProps struct {
	Top      templ.Component
	Action   string // the confirmation's URL
	Batch    string // the kept upload's id
	Hash     string // the previewed plan's
	Label    string // the confirm button; "" when nothing can be confirmed
	Again    string // the upload page
	Notice   string // why the preview is shown again
	Summary  string
	Whole    bool // a file is imported whole or not at all
	Errors   int
	Stats    []ImportStat
	Warnings []string
	Headers  []string
	Rows     []ImportRow
	Hidden   int
	Footer   templ.Component // a kind's notes under the buttons; may be nil
	Params   []ImportParam   // a kind's own values, carried to the confirmation
}

// ImportParam is a kind's own value on the preview's confirmation form.
type ImportParam struct {
	Name, Value string
}
