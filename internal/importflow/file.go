package importflow

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/allyway/allyway/internal/csvin"
)

// Prepare checks an uploaded file and brings it to one shape for the
// kinds' readers: UTF-8 without a byte order mark (UTF-16, NUL bytes and
// other encodings are refused, naming the line), comma-separated whatever
// the spreadsheet used (semicolons, tabs), at most maxRows data rows
// (counted as the file is read, stopping at the first row too many), and
// the quote csvout puts before a cell a spreadsheet would run as a formula
// taken off again, so an exported file imports as the data it came from.
// Every record stays on the line it had, so messages name the user's lines.
// what names a row ("partner") in messages.
func Prepare(data []byte, what string, maxRows int) ([]byte, *FileError) {
	clean, line, msg := csvin.CheckText(data, what)
	if msg != "" {
		return nil, &FileError{Line: line, Message: msg}
	}
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	cr := csv.NewReader(bytes.NewReader(clean))
	cr.Comma = csvin.DetectDelimiter(clean)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out bytes.Buffer
	out.Grow(len(clean))
	cw := csv.NewWriter(&out)
	at, rows, header := 1, 0, true // at: the line out is on
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				l = pe.Line
			}
			return nil, &FileError{Line: l, Message: csvin.ErrText(err)}
		}
		line, _ := cr.FieldPos(0)
		if !header && !csvin.Blank(rec) {
			rows++
			if rows > maxRows {
				return nil, &FileError{Message: "the file has more than " + Thousands(maxRows) + " rows, the most one import takes; split it into files of up to " +
					Thousands(maxRows) + " rows and import them one after the other"}
			}
		}
		header = false
		cw.Flush()
		for ; at < line; at++ {
			out.WriteByte('\n')
		}
		for i, c := range rec {
			rec[i] = Unneutralise(c)
		}
		if err := cw.Write(rec); err != nil {
			return nil, &FileError{Line: line, Message: err.Error()}
		}
		cw.Flush()
		at += 1 + strings.Count(strings.Join(rec, ""), "\n")
	}
	cw.Flush()
	return out.Bytes(), nil
}

// Unneutralise undoes csvout.Neutralise: a cell of one or more single
// quotes followed by =, +, -, @, a tab or a carriage return loses one quote.
func Unneutralise(cell string) string {
	i := 0
	for i < len(cell) && cell[i] == '\'' {
		i++
	}
	if i == 0 || i == len(cell) {
		return cell
	}
	switch cell[i] {
	case '=', '+', '-', '@', '\t', '\r':
		return cell[1:]
	}
	return cell
}

// Record is a data row of a file read by Parse.
type Record struct {
	Line   int
	values map[string]string
}

// Get returns the cell of the column named (canonical name), trimmed.
func (r Record) Get(col string) string { return strings.TrimSpace(r.values[col]) }

// Raw returns the cell as given.
func (r Record) Raw(col string) string { return r.values[col] }

// NewRecord makes a record (for tests and callers building rows).
func NewRecord(line int, values map[string]string) Record {
	return Record{Line: line, values: values}
}

// Table is a file read by Parse.
type Table struct {
	Columns []string // the recognised columns, canonical names, in file order
	Ignored []string // headers of columns not imported
	Records []Record // blank rows left out
}

// Parse reads a prepared file (see Prepare): its header row is matched to
// cols by name, ignoring case, spaces, underscores, hyphens and dots, and
// each column's aliases. A missing required column or a column given twice
// is a *FileError.
func Parse(data []byte, cols []Column) (Table, error) {
	var t Table
	byName := map[string]string{}
	for _, c := range cols {
		byName[csvin.Squeeze(c.Name)] = c.Name
		for _, a := range c.Aliases {
			byName[csvin.Squeeze(a)] = c.Name
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return t, &FileError{Line: 1, Message: "the file is empty; it needs a header row"}
	}
	if err != nil {
		return t, &FileError{Line: 1, Message: csvin.ErrText(err)}
	}
	idx := make([]string, len(head))
	seen := map[string]string{}
	for i, h := range head {
		name, ok := byName[csvin.Squeeze(h)]
		if !ok {
			if strings.TrimSpace(h) != "" {
				t.Ignored = append(t.Ignored, strings.TrimSpace(h))
			}
			continue
		}
		if prev, dup := seen[name]; dup {
			return t, &FileError{Line: 1, Message: "the header row has two “" + name + "” columns (“" + csvin.Clip(prev) + "” and “" +
				csvin.Clip(strings.TrimSpace(h)) + "”); keep one"}
		}
		seen[name] = strings.TrimSpace(h)
		idx[i] = name
		t.Columns = append(t.Columns, name)
	}
	var missing []string
	for _, c := range cols {
		if _, ok := seen[c.Name]; c.Required && !ok {
			missing = append(missing, "“"+c.Name+"”")
		}
	}
	if len(missing) > 0 {
		return t, &FileError{Line: 1, Message: "the header row has no " + strings.Join(missing, ", ") +
			" column; start from the template, or name the columns as it does"}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				l = pe.Line
			}
			return t, &FileError{Line: l, Message: csvin.ErrText(err)}
		}
		if csvin.Blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		r := Record{Line: line, values: make(map[string]string, len(t.Columns))}
		for i, v := range rec {
			if i < len(idx) && idx[i] != "" {
				r.values[idx[i]] = v
			}
		}
		t.Records = append(t.Records, r)
	}
	if len(t.Records) == 0 {
		return t, &FileError{Line: 2, Message: "the file has a header row but no rows to import"}
	}
	return t, nil
}

// TemplateCSV is the spec's template: its columns' names and an example
// row (or the spec's own Template).
func TemplateCSV(s *Spec) []byte {
	if len(s.Template) > 0 {
		return s.Template
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := make([]string, len(s.Columns))
	ex := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		head[i], ex[i] = c.Name, c.Example
	}
	_ = w.Write(head)
	_ = w.Write(ex)
	w.Flush()
	return b.Bytes()
}
