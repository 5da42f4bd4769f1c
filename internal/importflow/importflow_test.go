package importflow_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/importflow"
)

var cols = []importflow.Column{
	{Name: "name", Aliases: []string{"company"}, Required: true},
	{Name: "client_domain", Aliases: []string{"domain"}},
	{Name: "notes"},
}

func TestPrepareAndParse(t *testing.T) {
	t.Parallel()
	// A BOM, semicolons, a quoted newline, a blank line, a neutralised
	// cell, an unknown column: lines stay the user's.
	in := "\ufeffCompany;Domain;Notes;Colour\r\n" +
		"Acme;acme.example;\"two\r\nlines\";red\r\n" +
		"\r\n" +
		"'=Evil;'-x.example;'''@;blue\r\n"
	data, fe := importflow.Prepare([]byte(in), "partner", 10)
	require.Nil(t, fe)
	tab, err := importflow.Parse(data, cols)
	require.NoError(t, err)
	require.Equal(t, []string{"name", "client_domain", "notes"}, tab.Columns)
	require.Equal(t, []string{"Colour"}, tab.Ignored)
	require.Len(t, tab.Records, 2)
	require.Equal(t, 2, tab.Records[0].Line)
	require.Equal(t, "two\nlines", tab.Records[0].Get("notes"))
	require.Equal(t, 5, tab.Records[1].Line, "after the quoted newline and the blank line")
	require.Equal(t, "=Evil", tab.Records[1].Get("name"))
	require.Equal(t, "-x.example", tab.Records[1].Get("client_domain"))
	require.Equal(t, "''@", tab.Records[1].Get("notes"))

	for _, tc := range []struct{ in, want string }{
		{"\xff\xfen\x00", "line 1: the file is UTF-16 text"},
		{"name\nCaf\xe9\n", "line 2: the file is not UTF-8 text"},
		{"name\nA\x00\n", "line 2: the file contains a NUL byte"},
		{"name\n\"Acme\n", "a quoted cell is not closed"},
		{"name\n" + strings.Repeat("A\n", 11), "the file has more than 10 rows, the most one import takes"},
	} {
		_, fe := importflow.Prepare([]byte(tc.in), "partner", 10)
		require.NotNil(t, fe, tc.in)
		require.Contains(t, fe.Error(), tc.want)
	}
	_, err = importflow.Parse([]byte("domain,notes\nx,y\n"), cols)
	require.ErrorContains(t, err, "line 1: the header row has no “name” column")
	_, err = importflow.Parse([]byte("name,Company\nx,y\n"), cols)
	require.ErrorContains(t, err, "two “name” columns")
	_, err = importflow.Parse([]byte("name\n\n"), cols)
	require.ErrorContains(t, err, "no rows to import")
}

// TestRowLimitIsStreamed: a file of 100,000 rows is refused at the first
// row over the limit, without reading it all into rows.
func TestRowLimitIsStreamed(t *testing.T) {
	t.Parallel()
	in := "name\n" + strings.Repeat("Acme\n", 100_000)
	_, fe := importflow.Prepare([]byte(in), "partner", importflow.DefaultMaxRows)
	require.NotNil(t, fe)
	require.Equal(t, "the file has more than 5,000 rows, the most one import takes; split it into files of up to 5,000 rows and import them one after the other", fe.Error())
}

func TestUnneutraliseUndoesNeutralise(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "'", "''", "=1", "'=1", "''=1", "-", "a-b", "@x", "\t", "'\r", "plain", "'quoted'"} {
		require.Equal(t, s, importflow.Unneutralise(csvout.Neutralise(s)), "%q", s)
	}
}

// roundTrip writes rows as an export does (csvout) and reads them back as
// an import does (Prepare, Parse).
func roundTrip(t *testing.T, rows [][3]string) []importflow.Record {
	var b bytes.Buffer
	w, err := csvout.NewWriter(&b, "name", "client_domain", "notes")
	require.NoError(t, err)
	for _, r := range rows {
		require.NoError(t, w.Write(r[0], r[1], r[2]))
	}
	require.NoError(t, w.Flush())
	data, fe := importflow.Prepare(b.Bytes(), "row", len(rows)+1)
	require.Nil(t, fe, "%v", fe)
	tab, err := importflow.Parse(data, cols)
	require.NoError(t, err)
	return tab.Records
}

// FuzzExportImportRoundTrip: whatever text an export writes (formulas,
// quotes, newlines, delimiters, accents), importing the file gives the
// same cells back.
func FuzzExportImportRoundTrip(f *testing.F) {
	f.Add("Acme", "acme.example", "plain")
	f.Add("=HYPERLINK(\"http://evil.example\",\"x\")", "+1 555", "@SUM(A1)")
	f.Add("'=1", "-", "\ttabbed")
	f.Add("Zürich; Genève", "a,b", "line one\nline \"two\"")
	f.Add("\r=1", "''@x", "\"")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, s := range []string{a, b, c} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\ufeff") {
				t.Skip() // not text a spreadsheet keeps (CR is folded into LF by CSV readers)
			}
		}
		if strings.TrimSpace(a+b+c) == "" {
			t.Skip() // a blank row is not a row
		}
		recs := roundTrip(t, [][3]string{{a, b, c}})
		require.Len(t, recs, 1)
		require.Equal(t, [3]string{a, b, c}, [3]string{recs[0].Raw("name"), recs[0].Raw("client_domain"), recs[0].Raw("notes")})
	})
}

// TestReadUploadParams: a kind's own fields come with the file, others
// are left out, and a scoped kind keeps its batches apart.
func TestReadUploadParams(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("owner", "us"))
	require.NoError(t, mw.WriteField("other", "x"))
	fw, err := mw.CreateFormFile("file", "a.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte("name\nAda\n"))
	require.NoError(t, mw.Close())
	r := httptest.NewRequest(http.MethodPost, "/", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	up, err := importflow.ReadUploadParams(r, 1000, []string{"owner"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"owner": "us"}, up.Params)
	require.Equal(t, "name\nAda\n", string(up.Data))

	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("csv=name%0AAda&owner=p1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	up, err = importflow.ReadUploadParams(r, 1000, []string{"owner"})
	require.NoError(t, err)
	require.Equal(t, "p1", up.Params["owner"])

	s := importflow.Spec{Kind: "leads"}
	require.Equal(t, "leads", s.BatchKind())
	s.Scope = "0123456789abcdef0123456789abcdef"
	require.Equal(t, "leads-0123456789abcdef0123456789abcdef", s.BatchKind())
}
