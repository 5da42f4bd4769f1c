package importflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
)

// RowSpec is a kind of import checked and written row by row, through the
// domain's own code: FromRows makes its Spec.
//
// The preview writes every good row, as the confirmation would, inside a
// savepoint it rolls back, so what the domain finds only when it writes
// (a duplicate, a conflict with another partner's referral, a constraint)
// shows on the row in the preview; each row has its own savepoint, so a
// row the domain refuses is that row's error, not the file's. The
// confirmation does the same and keeps the writes, provided the rows
// written are the rows previewed.
type RowSpec struct {
	Kind     string
	Noun     string
	Plural   string
	Columns  []Column
	MaxBytes int64
	MaxRows  int
	Headers  []string // the preview table's columns after "Line"
	// PreviewRows is how many rows without problems the preview lists (200 when 0).
	PreviewRows int
	// Start prepares a file's import in tx (reads once what checking its
	// rows needs) and returns its rows' hooks.
	Start func(ctx context.Context, tx pgx.Tx, env Env, t Table) (RowFuncs, error)
	// After runs once after the rows of a confirmation were written (an
	// audit entry for the import).
	After func(ctx context.Context, tx pgx.Tx, env Env, written int) error
}

// Checked is a row checked without writing: its preview cells, its
// problems, and what Write gets.
type Checked struct {
	Cells    []Cell
	Errors   []string
	Warnings []string
	Value    any
}

// Written is what writing a row did.
type Written struct {
	Outcome  string // "New referral"
	Tone     string // success by default
	Warnings []string
	// Key identifies what was written, for the plan's hash (the row's
	// values when empty).
	Key string
}

// RowFuncs are a file's row hooks.
type RowFuncs struct {
	// Check validates a record and writes nothing.
	Check func(ctx context.Context, rec Record) Checked
	// Write writes a checked record in tx. An error with an apperr code
	// other than internal (invalid, conflict, not found, forbidden) is the
	// row's problem, shown on it; any other error fails the import.
	Write func(ctx context.Context, tx pgx.Tx, rec Record, value any) (Written, error)
}

// FromRows makes the Spec of a row-by-row kind.
func FromRows(rs RowSpec) *Spec {
	s := &Spec{Kind: rs.Kind, Noun: rs.Noun, Plural: rs.Plural, Columns: rs.Columns, MaxBytes: rs.MaxBytes, MaxRows: rs.MaxRows}
	s.Preview = func(ctx context.Context, tx pgx.Tx, env Env, data []byte) (Plan, error) {
		p, _, err := rs.run(ctx, tx, env, data, "", false)
		return p, err
	}
	s.Confirm = func(ctx context.Context, tx pgx.Tx, env Env, data []byte, hash string) (Plan, Result, error) {
		return rs.run(ctx, tx, env, data, hash, true)
	}
	return s
}

// rowError is the message of a row the domain refused, or "" when err is
// not the row's problem.
func rowError(err error) string {
	switch apperr.Code(err) {
	case apperr.EInvalid:
		fe := apperr.FieldErrors(err)
		if len(fe) == 0 {
			return apperr.Message(err)
		}
		keys := make([]string, 0, len(fe))
		for k := range fe {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		msgs := make([]string, 0, len(keys))
		for _, k := range keys {
			msgs = append(msgs, strings.ReplaceAll(k, "_", " ")+": "+fe[k])
		}
		return strings.Join(msgs, " ")
	case apperr.EConflict, apperr.ENotFound, apperr.EForbidden:
		return apperr.Message(err)
	}
	return ""
}

func (rs RowSpec) run(ctx context.Context, tx pgx.Tx, env Env, data []byte, hash string, keep bool) (Plan, Result, error) {
	plan := Plan{Headers: rs.Headers}
	var res Result
	t, err := Parse(data, rs.Columns)
	if err != nil {
		return plan, res, err
	}
	if len(t.Ignored) > 0 {
		plan.Warnings = append(plan.Warnings, "These columns are not imported: "+strings.Join(t.Ignored, ", ")+".")
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return plan, res, apperr.Internal(err)
	}
	defer func() { _ = sp.Rollback(ctx) }() // after Commit, a no-op
	fns, err := rs.Start(ctx, sp, env, t)
	if err != nil {
		return plan, res, err
	}
	limit := rs.PreviewRows
	if limit <= 0 {
		limit = 200
	}
	h := sha256.New()
	shown := 0
	for _, rec := range t.Records {
		c := fns.Check(ctx, rec)
		row := Row{Line: rec.Line, Cells: c.Cells, Errors: c.Errors, Warnings: c.Warnings}
		if len(row.Errors) == 0 {
			rsp, err := sp.Begin(ctx)
			if err != nil {
				return plan, res, apperr.Internal(err)
			}
			w, err := fns.Write(ctx, rsp, rec, c.Value)
			if err != nil {
				_ = rsp.Rollback(ctx)
				msg := rowError(err)
				if msg == "" {
					return plan, res, err
				}
				row.Errors = append(row.Errors, msg)
			} else {
				if err := rsp.Commit(ctx); err != nil {
					return plan, res, apperr.Internal(err)
				}
				row.Outcome, row.Tone = w.Outcome, w.Tone
				if row.Tone == "" {
					row.Tone = "success"
				}
				row.Warnings = append(row.Warnings, w.Warnings...)
				key := w.Key
				if key == "" {
					key = recordKey(rec, t.Columns)
				}
				h.Write([]byte(strconv.Itoa(rec.Line) + "\x1f" + key + "\x1e"))
				plan.Ready++
			}
		}
		if len(row.Errors) > 0 {
			row.Outcome, row.Tone = "Not imported", "danger"
			plan.Errors++
		} else if len(row.Warnings) == 0 {
			if shown >= limit {
				plan.Hidden++
				continue
			}
			shown++
		}
		plan.Rows = append(plan.Rows, row)
	}
	plan.Hash = hex.EncodeToString(h.Sum(nil))
	plan.Summary, plan.Confirm = summarise(plan.Ready, plan.Errors, rs.Noun, rs.Plural)
	plan.Stats = []Stat{{Thousands(plan.Ready), "ready to import"}, {Thousands(plan.Errors), "with errors"}}
	if !keep {
		return plan, res, nil
	}
	if plan.Hash != hash || plan.Ready == 0 {
		return plan, res, ErrChanged
	}
	if rs.After != nil {
		if err := rs.After(ctx, sp, env, plan.Ready); err != nil {
			return plan, res, err
		}
	}
	if err := sp.Commit(ctx); err != nil {
		return plan, res, apperr.Internal(err)
	}
	res.Written = plan.Ready
	res.Message = "Imported " + Count(plan.Ready, rs.Noun, rs.Plural) + "."
	if plan.Errors > 0 {
		res.Message += " " + Count(plan.Errors, "row with errors was", "rows with errors were") + " left out."
	}
	return plan, res, nil
}

// summarise is the preview's sentence and the confirm button's label.
func summarise(ready, errs int, noun, plural string) (summary, confirm string) {
	summary = Count(ready, "row", "rows") + " ready"
	if errs > 0 {
		summary += ", " + Thousands(errs) + " with errors"
	}
	summary += "."
	switch {
	case ready == 0:
		summary += " Nothing can be imported: fix the file and upload it again."
	case errs > 0:
		confirm = "Import the " + Count(ready, "good row", "good rows")
	default:
		confirm = "Import " + Count(ready, noun, plural)
	}
	return summary, confirm
}

func recordKey(rec Record, cols []string) string {
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(rec.Get(c))
		b.WriteByte(0x1f)
	}
	return b.String()
}

// IsFileError reports a *FileError, returning it.
func IsFileError(err error) (*FileError, bool) {
	var fe *FileError
	ok := errors.As(err, &fe)
	return fe, ok
}
