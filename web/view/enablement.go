package view

import "github.com/allyway/allyway/internal/markdown"

// markdownHTML renders Markdown through the sanitiser (internal/markdown):
// the only way Markdown reaches a page.
func markdownHTML(src string) string { return markdown.Render(src) }

// LibraryRow is one item of the enablement library list.
type LibraryRow struct {
	ID        string
	Title     string
	Kind      string // label
	Summary   string
	Published bool
	Tiers     string // "All tiers" or "Tier 1, Tier 2"
	Files     int
	HasLink   bool
	Updated   string
}

// HotSummary is a hot opportunity profile in a list or card.
type HotSummary struct {
	ID         string
	Title      string
	MonthLabel string
	BodyMD     string
	Emailed    string // "Emailed 1 Dec 2026" or ""
	URL        string
}

// LibraryProps is the enablement library page.
type LibraryProps struct {
	Path        string // /t/{slug}/library
	CanManage   bool
	Kind        string
	Q           string
	KindOptions []Option
	Items       []LibraryRow
	Total       int // items in the library before filtering
	Hot         *HotSummary
}

// Filtered reports whether a filter is applied.
func (d LibraryProps) Filtered() bool { return d.Kind != "" || d.Q != "" }

// FileRow is one attachment of an item.
type FileRow struct {
	ID   string
	Name string
	Size string
	Type string // a word: PDF, PNG image, …
	URL  string
}

// PlaceholderRow explains one email template placeholder.
type PlaceholderRow struct {
	Key, Label, Example string
}

// UploadProps is the attachment form.
type UploadProps struct {
	Form
	Action  string
	Accept  string
	MaxSize string
}

// LibraryItemProps is one item's page (staff).
type LibraryItemProps struct {
	Path      string // the item's URL
	ListURL   string
	CanManage bool
	Kind      string
	KindLabel string
	Summary   string
	// BodyMD is the Markdown as written; PreviewMD is what is shown (for an
	// email template: with the placeholders filled with example values).
	BodyMD       string
	PreviewMD    string
	Placeholders []PlaceholderRow
	LinkURL      string
	Tiers        string
	Published    bool
	Updated      string
	Files        []FileRow
	Upload       UploadProps
}

// TierChoice is one tier checkbox of the item form.
type TierChoice struct {
	ID, Name string
	Checked  bool
}

// LibraryFormProps is the new/edit form of an item.
type LibraryFormProps struct {
	Form
	Action      string
	Submit      string
	CancelURL   string
	Kind        string
	KindOptions []Option
	Title       string
	Summary     string
	BodyMD      string
	LinkURL     string
	Published   bool
	Tiers       []TierChoice
	// Preview is set when the person asked to preview the text: the
	// Markdown to show under the form (placeholders filled for templates).
	Preview      string
	ShowPreview  bool
	Placeholders []PlaceholderRow
}

// HotFormProps is the form of a month's hot opportunity profile.
type HotFormProps struct {
	Form
	Action       string
	Month        string // yyyy-mm
	MonthOptions []Option
	Title        string
	BodyMD       string
	Preview      bool
}

// HotProps is the hot opportunity profile page.
type HotProps struct {
	Path       string // /t/{slug}/library/hot
	LibraryURL string
	CanManage  bool
	Current    *HotSummary // this month's
	Next       *HotSummary // next month's, prepared in advance
	// CanSend: this month's profile isn't emailed yet.
	CanSend    bool
	Recipients int // portal users of active partners
	Form       HotFormProps
	History    []HotSummary
}

// HotShowProps shows one month's profile.
type HotShowProps struct {
	HotURL  string
	Profile HotSummary
}
