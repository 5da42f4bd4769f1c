// Package importflow is the one CSV import flow every kind of record
// shares: upload (a file or pasted text, streamed, with a size limit) →
// preview (every row with its problems, nothing written) → confirm (the
// file kept on the server is read and checked again, and every good row is
// written in one transaction, or nothing).
//
// It is plumbing: it knows files, rows, limits and batches, not partners or
// payments. Each kind is a Spec, registered by the server, with its columns
// and its hooks; a kind that checks and writes row by row builds its Spec
// with FromRows. A kind that imports into one record (a campaign's
// attendees) names it with Scope and carries its own form values (the
// leads' owner) with Params.
package importflow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Default limits of an import: the 5 MB, and a row count each kind
// may lower (rows cost database work in the preview).
const (
	DefaultMaxBytes = 5_000_000
	DefaultMaxRows  = 5_000
)

// Column is a column of an import file.
type Column struct {
	Name     string   // the canonical header, as in the template ("client_company")
	Aliases  []string // other headers accepted, matched ignoring case, spaces, _ - .
	Required bool
	Help     string // what goes in it, for the page
	Example  string // the template's example cell
}

// Env is who imports, where and when.
type Env struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Now      time.Time
	// Params are the kind's own form values (Spec.Params), read with the
	// upload and carried to its confirmation: the hooks check them.
	Params map[string]string
}

// Cell is a cell of the preview's table; Href makes it a link.
type Cell struct {
	Text  string
	Note  string // a muted addition after the text
	Href  string // a path under the firm's base (/t/{slug}/): "referrals/…"
	Badge string // a badge after the text (e.g. "Refund"), warning tone
}

// Row is one line of the file as the preview shows it.
type Row struct {
	Line     int
	Cells    []Cell // one per Plan.Headers
	Outcome  string // what confirming does with it, in words
	Tone     string // the outcome badge's tone: success, info, warning, danger, neutral
	Errors   []string
	Warnings []string
}

// Stat is a figure of the preview's summary.
type Stat struct {
	Value string
	Label string
}

// Plan is what confirming a file would do.
type Plan struct {
	Headers  []string // the preview table's columns after "Line"
	Rows     []Row    // the rows to show (see Hidden)
	Hidden   int      // rows without problems left out of Rows
	Ready    int      // rows confirming writes
	Errors   int      // rows with errors, not written
	Summary  string   // one sentence: "12 rows ready, 3 with errors."
	Stats    []Stat
	Warnings []string // about the file as a whole
	Confirm  string   // the confirm button's label; "" when nothing can be imported
	// Whole: the kind imports a file whole or not at all, so a row with an
	// error blocks the confirmation.
	Whole bool
	// Hash identifies what confirming writes: a confirmation whose file now
	// resolves to another hash is refused with ErrChanged.
	Hash string
}

// FileError is a problem with the file as a whole: nothing can be shown
// row by row.
type FileError struct {
	Line    int // 0 when no line is to blame
	Message string
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Message
}

// ErrChanged: what the confirmation would write is not what was previewed
// (the data changed meanwhile). The plan returned with it is the new one.
var ErrChanged = errors.New("importflow: the import changed since its preview")

// ErrRows: a Whole kind's file has rows with errors; nothing was written.
var ErrRows = errors.New("importflow: rows have errors")

// Result is what a confirmation did.
type Result struct {
	Message string // for the flash: "Imported 12 referrals."
	Written int    // rows written
}

// Spec is a kind of import.
type Spec struct {
	Kind    string // the URL segment and batch kind: "partners"
	Noun    string // one row is a …: "partner"
	Plural  string // "partners"
	Columns []Column
	// MaxBytes and MaxRows bound a file; DefaultMaxBytes and DefaultMaxRows when 0.
	MaxBytes int64
	MaxRows  int
	// Template overrides the template CSV built from Columns.
	Template []byte
	// Params name the kind's own fields of the upload form (a campaign
	// import's owner of the new leads): read with the file, given to the
	// hooks in Env.Params and carried on the preview's confirmation form.
	// A plan should fold them into its hash, so the confirmation writes
	// with what was previewed.
	Params []string
	// Scope is the import's context when a kind imports into one record
	// (the campaign's id, as 32 hex digits): a batch previewed in a scope
	// is confirmed only in the same scope. See BatchKind.
	Scope string
	// Preview reads a file (checked by Prepare) and says what confirming
	// would do. What it writes in tx must not outlive it (a savepoint
	// rolled back). A *FileError is shown on the upload form.
	Preview func(ctx context.Context, tx pgx.Tx, env Env, data []byte) (Plan, error)
	// Confirm reads the file again in tx and writes its good rows, provided
	// they resolve to hash; else it returns the new plan with ErrChanged
	// (or, for a Whole kind with rows in error, ErrRows), having written
	// nothing.
	Confirm func(ctx context.Context, tx pgx.Tx, env Env, data []byte, hash string) (Plan, Result, error)
}

// BatchKind is the kind its batches are kept under: Kind, or Kind-Scope
// (at most 40 of a-z, 0-9, _ and -, import_batches' rule).
func (s *Spec) BatchKind() string {
	if s.Scope == "" {
		return s.Kind
	}
	return s.Kind + "-" + s.Scope
}

// Limits returns the spec's limits, defaults filled in.
func (s *Spec) Limits() (maxBytes int64, maxRows int) {
	maxBytes, maxRows = s.MaxBytes, s.MaxRows
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	return maxBytes, maxRows
}

// Count is "1 partner", "1,200 partners".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// Thousands writes 50000 as "50,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// SizeText is a byte count in words: "5 MB", "800 KB".
func SizeText(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1_000_000)
	case n >= 1000:
		return fmt.Sprintf("%d KB", n/1000)
	}
	return fmt.Sprintf("%d bytes", n)
}
