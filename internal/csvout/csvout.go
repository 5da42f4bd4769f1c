// Package csvout writes CSV files for people to open in a spreadsheet: UTF-8
// with a byte order mark (so Excel reads accents right), a header row, and
// every cell that a spreadsheet would run as a formula neutralised.
package csvout

import (
	"encoding/csv"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// bom tells spreadsheet programs the file is UTF-8.
const bom = "\ufeff"

// Neutralise makes a cell safe to open in a spreadsheet: a cell starting
// with =, +, -, @, a tab or a carriage return gets a leading single quote,
// so Excel, LibreOffice and Google Sheets show it as text instead of
// running it as a formula (CSV injection). A cell that already starts with
// quotes before one of those gets one more, so importing the file again
// (importflow.Unneutralise takes one quote off) gives back what was
// exported. Other cells are unchanged.
func Neutralise(cell string) string {
	i := 0
	for i < len(cell) && cell[i] == '\'' {
		i++
	}
	if i == len(cell) {
		return cell
	}
	switch cell[i] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// Writer writes neutralised CSV records.
type Writer struct {
	w   *csv.Writer
	buf []string
}

// NewWriter starts a CSV file on w: the byte order mark, then header as the
// first row.
func NewWriter(w io.Writer, header ...string) (*Writer, error) {
	if _, err := io.WriteString(w, bom); err != nil {
		return nil, err
	}
	cw := &Writer{w: csv.NewWriter(w)}
	if err := cw.Write(header...); err != nil {
		return nil, err
	}
	return cw, nil
}

// Write writes one row, each cell neutralised.
func (w *Writer) Write(cells ...string) error {
	w.buf = w.buf[:0]
	for _, c := range cells {
		w.buf = append(w.buf, Neutralise(c))
	}
	return w.w.Write(w.buf)
}

// Flush writes what is buffered and reports any error of the whole file.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Filename is name-YYYY-MM-DD.csv for the day of at (e.g. partners-2026-03-14.csv).
func Filename(name string, at time.Time) string {
	return name + "-" + at.Format("2006-01-02") + ".csv"
}

// Attach sets the headers of a CSV download named filename.
func Attach(w http.ResponseWriter, filename string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// Join lists the values of a multi-valued field in one cell.
func Join(values []string) string { return strings.Join(values, "; ") }
