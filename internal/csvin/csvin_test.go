package csvin

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckText(t *testing.T) {
	clean, line, msg := CheckText([]byte("\xef\xbb\xbfname\nAcme\n"), "partner")
	require.Equal(t, "", msg)
	require.Zero(t, line)
	require.Equal(t, "name\nAcme\n", string(clean))
	for _, tc := range []struct {
		in   string
		line int
		want string
	}{
		{"\xff\xfen\x00", 1, "the file is UTF-16 text"},
		{"name\nx\x00\n", 2, "the file contains a NUL byte"},
		{"name\nCaf\xe9\n", 2, "the file is not UTF-8 text"},
		{" \r\n\n", 1, "the file is empty; it needs a header row and a row per partner"},
	} {
		_, line, msg := CheckText([]byte(tc.in), "partner")
		require.Equal(t, tc.line, line, tc.in)
		require.True(t, strings.HasPrefix(msg, tc.want), "%q: %q", tc.in, msg)
	}
}

func TestHelpers(t *testing.T) {
	require.Equal(t, ';', DetectDelimiter([]byte("a;b;\"c,d,e\"\n1,2,3,4")))
	require.Equal(t, ',', DetectDelimiter([]byte("a,b;c\n")))
	require.Equal(t, '\t', DetectDelimiter([]byte("a\tb\tc")))
	require.Equal(t, "contactemail", Squeeze("Contact_E-mail"))
	require.True(t, Blank([]string{" ", ""}))
	require.False(t, Blank([]string{" ", "x"}))
	require.True(t, HasControl("a\tb", false))
	require.False(t, HasControl("a\tb", true))
	require.Equal(t, strings.Repeat("é", 40)+"…", Clip(strings.Repeat("é", 41)))
	require.Contains(t, ErrText(csv.ErrBareQuote), "put the cell in quotes")
}
