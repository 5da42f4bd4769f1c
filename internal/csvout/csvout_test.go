package csvout_test

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/csvout"
)

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Acme", "Acme"},
		{"=HYPERLINK(\"http://evil.example\",\"click\")", "'=HYPERLINK(\"http://evil.example\",\"click\")"},
		{"=1+2", "'=1+2"},
		{"+1 555 0100", "'+1 555 0100"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{" =1", " =1"},  // spreadsheets don't run a formula after a leading space
		{"'=1", "''=1"}, // so that taking one quote off on import gives "'=1" back
		{"'x", "'x"},
		{"'", "'"},
		{"Zürich & Genève", "Zürich & Genève"},
		{"5 - 10", "5 - 10"},
	} {
		require.Equal(t, tc.want, csvout.Neutralise(tc.in), "Neutralise(%q)", tc.in)
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w, err := csvout.NewWriter(&b, "name", "notes")
	require.NoError(t, err)
	require.NoError(t, w.Write("=HYPERLINK(\"x\")", "line one\nline \"two\""))
	require.NoError(t, w.Write("Zürich", "-"))
	require.NoError(t, w.Flush())
	out := b.String()
	require.True(t, strings.HasPrefix(out, "\ufeff"), "starts with a BOM")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"name", "notes"},
		{"'=HYPERLINK(\"x\")", "line one\nline \"two\""},
		{"Zürich", "'-"},
	}, recs)
}

func TestAttach(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	name := csvout.Filename("partners", time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC))
	require.Equal(t, "partners-2026-03-04.csv", name)
	csvout.Attach(rec, name)
	require.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, `attachment; filename=partners-2026-03-04.csv`, rec.Header().Get("Content-Disposition"))
}
