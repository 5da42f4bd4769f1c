package enablement_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/enablement"
)

// ooxml builds a minimal Office Open XML zip with a part under dir.
func ooxml(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", dir + "document.xml"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte("<x/>"))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	docx, pptx, xlsx := ooxml(t, "word/"), ooxml(t, "ppt/"), ooxml(t, "xl/")
	plainZip := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("evil.exe")
		_, _ = w.Write([]byte("MZ"))
		_ = zw.Close()
		return buf.Bytes()
	}()
	ok := []struct {
		name string
		data []byte
		ct   string
	}{
		{"brief.pdf", pdf, "application/pdf"},
		{"Brief.PDF", pdf, "application/pdf"},
		{"logo.png", png, "image/png"},
		{"photo.jpg", jpg, "image/jpeg"},
		{"photo.jpeg", jpg, "image/jpeg"},
		{"case.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"deck.pptx", pptx, "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"model.xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"notes.txt", []byte("Plain words\nand tabs\t and ünïcödé\r\n"), "text/plain; charset=utf-8"},
		{"bom.txt", []byte("\xEF\xBB\xBFwith BOM"), "text/plain; charset=utf-8"},
		{"list.csv", []byte("name,email\nA,a@x.example\n"), "text/csv; charset=utf-8"},
		{"faq.md", []byte("# FAQ\n\n- one\n"), "text/markdown; charset=utf-8"},
	}
	for _, tc := range ok {
		ct, err := enablement.Sniff(tc.name, tc.data)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.ct, ct, tc.name)
	}
	bad := []struct {
		name string
		data []byte
		msg  string
	}{
		{"", nil, "Choose a file"},
		{"empty.pdf", nil, "empty"},
		{"big.txt", bytes.Repeat([]byte("a"), enablement.MaxFileBytes+1), "over 5 MB"},
		{"virus.exe", []byte("MZ\x90\x00"), "can't be attached"},
		{"page.html", []byte("<html><script>alert(1)</script>"), "can't be attached"},
		{"image.svg", []byte(`<svg onload="alert(1)"/>`), "can't be attached"},
		{"noext", []byte("hello"), "can't be attached"},
		{"archive.zip", plainZip, "can't be attached"},
		{"fake.pdf", []byte("<html>not a pdf</html>"), "isn't a PDF"},
		{"fake.png", jpg, "isn't a PNG"},
		{"fake.jpg", png, "isn't a JPEG"},
		{"fake.docx", plainZip, "isn't a Word"},
		{"wrong.docx", xlsx, "isn't a Word"},
		{"wrong.xlsx", pptx, "isn't an Excel"},
		{"binary.txt", []byte("text\x00with nul"), "isn't a text"},
		{"latin1.csv", []byte("caf\xe9"), "isn't a CSV"},
		{"exe.txt", []byte("MZ\x90\x00\x03"), "isn't a text"},
		{"pdf.txt", []byte("%PDF-1.4 all ascii"), "isn't a text"},
		{"zip.md", plainZip, "isn't a Markdown"},
	}
	for _, tc := range bad {
		_, err := enablement.Sniff(tc.name, tc.data)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), tc.name)
		require.Contains(t, apperr.FieldErrors(err)["file"], tc.msg, tc.name)
	}
	// Exactly 5 MiB is allowed.
	_, err := enablement.Sniff("max.txt", bytes.Repeat([]byte("a"), enablement.MaxFileBytes))
	require.NoError(t, err)
}

func TestCleanFilename(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"report.pdf":                    "report.pdf",
		`C:\Users\me\Desktop\deck.pptx`: "deck.pptx",
		"../../etc/passwd":              "passwd",
		"a\"b\r\nc.txt":                 "abc.txt",
		"  spaced name.md  ":            "spaced name.md",
		"..":                            "",
		"":                              "",
		"/":                             "",
		"naïve café.txt":                "naïve café.txt",
	} {
		require.Equal(t, want, enablement.CleanFilename(in), in)
	}
	long := strings.Repeat("x", 300) + ".pdf"
	got := enablement.CleanFilename(long)
	require.Len(t, []rune(got), 255)
	require.True(t, strings.HasSuffix(got, ".pdf"))
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	require.Equal(t, "900 B", enablement.FormatSize(900))
	require.Equal(t, "12 KB", enablement.FormatSize(12_345))
	require.Equal(t, "1.5 MB", enablement.FormatSize(1_500_000))
	require.Equal(t, "5.2 MB", enablement.FormatSize(5<<20))
}
