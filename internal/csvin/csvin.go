// Package csvin holds what every CSV import reads the same way: the text
// checks on an uploaded file (UTF-8, no UTF-16, no NUL, not empty), the
// delimiter a spreadsheet used, header matching and messages about cells.
// Each import keeps its own columns, limits and wording for its rows.
package csvin

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText strips a UTF-8 byte-order mark and checks that data is UTF-8
// text with something in it. On a problem it returns the 1-based line and
// a message for the user ("the file is not UTF-8 text; …"); what names what
// a row is ("partner", "payment") in the empty-file message.
func CheckText(data []byte, what string) (clean []byte, line int, msg string) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, 1, "the file is UTF-16 text; save the file as UTF-8 (“CSV UTF-8” in Excel) and upload it again"
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, 1 + bytes.Count(data[:i], []byte{'\n'}),
			"the file contains a NUL byte, so it is not a CSV text file; save the file as UTF-8 (“CSV UTF-8” in Excel)"
	}
	if !utf8.Valid(data) {
		line := 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			if r == '\n' {
				line++
			}
			i += n
		}
		return nil, line, "the file is not UTF-8 text; save the file as UTF-8 (“CSV UTF-8” in Excel) and upload it again"
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, 1, "the file is empty; it needs a header row and a row per " + what
	}
	return data, 0, ""
}

// DetectDelimiter picks ';', ',' or tab: whichever the header line (outside
// quotes) has most of; ',' on a tie.
func DetectDelimiter(data []byte) rune {
	counts := map[byte]int{}
	inQuote := false
	for _, c := range data {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// ErrText says what encoding/csv could not read, in words.
func ErrText(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") inside a cell that is not quoted; put the cell in quotes and double the quote ("")`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted cell is not closed, or has a stray quote after it`
	default:
		return err.Error()
	}
}

// Squeeze lower-cases s and drops spaces, underscores, hyphens and dots,
// for matching headers: "Contact_E-mail" → "contactemail".
func Squeeze(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Blank reports a record whose cells are all blank.
func Blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// HasControl reports control characters (newlines and tabs allowed when
// multiline).
func HasControl(s string, multiline bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return true
		}
	}
	return false
}

// Clip shortens a value quoted back in a message to 40 characters.
func Clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
