// Package markdown renders the Markdown people write in the app (enablement
// items, hot opportunity profiles) to HTML that is safe to put in a page or
// an email: goldmark (CommonMark plus tables, strikethrough and bare-URL
// links), then bluemonday's user-generated-content policy,
// so no script, style, iframe, form or event-handler attribute and no
// javascript:/data: URL survives whatever the source says.
//
// Links: every link gets rel="nofollow"; links to another site also open in
// a new tab with rel="nofollow noopener" (noopener only matters there).
// Headings are shifted one level down (# → h2) because the page around the
// Markdown has its own h1.
package markdown

import (
	"bytes"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxSource is the most Markdown Render reads; longer sources are cut (the
// schema allows 100,000 characters on an item).
const MaxSource = 200_000

// headingShift moves every heading one level down, h6 staying h6.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level < 6 {
			h.Level++
		}
		return ast.WalkContinue, nil
	})
}

var (
	once   sync.Once
	md     goldmark.Markdown
	policy *bluemonday.Policy
)

func setup() {
	md = goldmark.New(
		// Raw HTML passes goldmark (WithUnsafe) so that bluemonday, which
		// parses it as a browser would, decides: it keeps harmless markup
		// such as <b> and drops script and style elements with their
		// content. Without it goldmark would drop only the tags and leave
		// a script's text on the page.
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
	policy = bluemonday.UGCPolicy()
	policy.RequireNoFollowOnLinks(true)
	policy.AddTargetBlankToFullyQualifiedLinks(true)
	policy.AllowURLSchemes("http", "https", "mailto")
}

// Render turns Markdown into sanitised HTML ("" for blank input).
func Render(src string) string {
	once.Do(setup)
	if strings.TrimSpace(src) == "" {
		return ""
	}
	if len(src) > MaxSource {
		src = src[:MaxSource]
	}
	src = strings.ToValidUTF8(src, "\uFFFD")
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on a writer error, which a bytes.Buffer
		// never returns; show the text escaped rather than nothing.
		return policy.Sanitize("<p>" + escape(src) + "</p>")
	}
	return string(policy.SanitizeBytes(buf.Bytes()))
}

// Sanitize cleans a fragment of HTML with the same policy as Render.
func Sanitize(html string) string {
	once.Do(setup)
	return policy.Sanitize(html)
}

func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	return r.Replace(s)
}
