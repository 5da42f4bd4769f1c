package markdown

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Allowed output: what bluemonday's UGC policy lets through that goldmark
// can produce. Anything else in the output is a sanitising failure.
var forbiddenElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "applet": true, "form": true, "input": true, "button": true, "textarea": true,
	"select": true, "option": true, "link": true, "meta": true, "base": true, "svg": true, "math": true,
	"template": true, "noscript": true, "html": true, "head": true, "body": true, "title": true,
}

// check parses out as an HTML fragment and reports what must never be there:
// forbidden elements, event handlers, style or srcdoc attributes, and URLs
// that aren't http(s), mailto or relative. It also checks link rels.
func check(t *testing.T, src, out string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if forbiddenElements[n.Data] {
				t.Errorf("element <%s> survived\nsrc: %q\nout: %s", n.Data, src, out)
			}
			var rel, target, href string
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "formaction", key == "class":
					t.Errorf("attribute %s on <%s> survived\nsrc: %q\nout: %s", key, n.Data, src, out)
				case key == "href" || key == "src" || key == "cite" || key == "action" || key == "poster" || key == "background":
					if !safeURL(a.Val) {
						t.Errorf("unsafe URL %s=%q on <%s>\nsrc: %q\nout: %s", key, a.Val, n.Data, src, out)
					}
				}
				switch key {
				case "rel":
					rel = a.Val
				case "target":
					target = a.Val
				case "href":
					href = a.Val
				}
			}
			if n.Data == "a" && href != "" {
				if !strings.Contains(rel, "nofollow") {
					t.Errorf("link %q without rel=nofollow: %s", href, out)
				}
				if target == "_blank" && !strings.Contains(rel, "noopener") {
					t.Errorf("new-tab link %q without noopener: %s", href, out)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

func safeURL(v string) bool {
	v = strings.TrimSpace(v)
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https", "mailto":
		return true
	}
	return false
}

func TestRenderNastyInputs(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		absent    []string // substrings (lower-cased output) that must not appear
		present   []string // substrings that must appear
	}{
		{"script tag", "Hello <script>alert(1)</script> world", []string{"<script", "alert(1)</"}, []string{"Hello", "world"}},
		{"script block", "<script>\nalert(document.cookie)\n</script>\n\ntext", []string{"<script", "document.cookie"}, []string{"text"}},
		{"uppercase script", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", []string{"<script", "evil.example"}, nil},
		{"style tag", "<style>body{display:none}</style>hi", []string{"<style", "display:none"}, nil},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, []string{"<iframe", "evil.example"}, nil},
		{"img onerror", `<img src=x onerror="alert(1)">`, []string{"onerror", "alert"}, nil},
		{"svg onload", `<svg onload=alert(1)>`, []string{"<svg", "onload"}, nil},
		{"a onclick", `<a href="https://ok.example" onclick="steal()">x</a>`, []string{"onclick", "steal"}, nil},
		{"javascript link", "[click](javascript:alert(1))", []string{"javascript:"}, []string{"click"}},
		{"javascript link encoded", "[click](jav&#x09;ascript:alert(1))", []string{"javascript:", "ascript:alert"}, nil},
		{"javascript link spaced case", "[x](JaVaScRiPt:alert(1))", []string{"javascript:"}, nil},
		{"vbscript link", "[x](vbscript:msgbox(1))", []string{"vbscript:"}, nil},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", []string{"data:text"}, nil},
		{"javascript autolink", "<javascript:alert(1)>", []string{`href="javascript`}, nil},
		{"data image", "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)", []string{"data:image"}, nil},
		{"javascript image", "![x](javascript:alert(1))", []string{"javascript:"}, nil},
		{"reference link", "[x][r]\n\n[r]: javascript:alert(1)", []string{"javascript:"}, nil},
		{"form", `<form action="https://evil.example"><input name=p><button>go</button></form>`, []string{"<form", "<input", "<button"}, nil},
		{"object embed", `<object data="x.swf"></object><embed src="x.swf">`, []string{"<object", "<embed"}, nil},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example">`, []string{"<meta", "refresh"}, nil},
		{"base", `<base href="https://evil.example/">`, []string{"<base"}, nil},
		{"style attribute", `<p style="position:fixed;top:0">x</p>`, []string{"style=", "position:fixed"}, nil},
		{"html comment", "<!-- <script>alert(1)</script> -->\n\nok", []string{"<script"}, []string{"ok"}},
		{"inline html in paragraph", "Text <b onmouseover=alert(1)>bold</b>", []string{"onmouseover"}, nil},
		{"attribute breakout in link title", `[x](https://ok.example "a\" onmouseover=\"alert(1)")`, []string{" onmouseover="}, nil},
		{"attribute breakout in url", `[x](https://ok.example/"onmouseover="alert(1))`, []string{` onmouseover="`}, nil},
		{"nested markdown in html", "<div markdown=1>[x](javascript:alert(1))</div>", []string{`href="javascript`, "markdown="}, nil},
		{"mutation xss", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, []string{"onerror", "<noscript"}, nil},
		{"template", `<template><script>alert(1)</script></template>`, []string{"<template", "<script"}, nil},
		{"math", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, []string{"<math", "javascript:"}, nil},
		{"null bytes", "<scr\x00ipt>alert(1)</scr\x00ipt>", []string{"<script"}, nil},
		{"invalid utf8", "caf\xe9 <script>x</script>", []string{"<script"}, []string{"caf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Render(tc.src)
			check(t, tc.src, out)
			low := strings.ToLower(out)
			for _, a := range tc.absent {
				if strings.Contains(low, strings.ToLower(a)) {
					t.Errorf("%q in output: %s", a, out)
				}
			}
			for _, p := range tc.present {
				if !strings.Contains(out, p) {
					t.Errorf("%q missing from output: %s", p, out)
				}
			}
		})
	}
}

func TestRenderMarkdown(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", ""},
		{"   \n ", ""},
		{"Hello **world**", "<p>Hello <strong>world</strong></p>\n"},
		{"# Title\n\n## Sub", "<h2>Title</h2>\n<h3>Sub</h3>\n"},
		{"###### Six", "<h6>Six</h6>\n"},
		{"- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
		{"1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n"},
		{"~~old~~", "<p><del>old</del></p>\n"},
		{"`a<b`", "<p><code>a&lt;b</code></p>\n"},
		{"> quote", "<blockquote>\n<p>quote</p>\n</blockquote>\n"},
		{"[site](https://example.com)", `<p><a href="https://example.com" rel="nofollow noopener" target="_blank">site</a></p>` + "\n"},
		{"see https://example.com/x", `<p>see <a href="https://example.com/x" rel="nofollow noopener" target="_blank">https://example.com/x</a></p>` + "\n"},
		{"[page](/t/acme/library)", `<p><a href="/t/acme/library" rel="nofollow">page</a></p>` + "\n"},
		{"[mail](mailto:a@example.com)", `<p><a href="mailto:a@example.com" rel="nofollow">mail</a></p>` + "\n"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"},
		{"Tom & Jerry <3", "<p>Tom &amp; Jerry &lt;3</p>\n"},
		{"Raw <b>bold</b> and <em title=\"t\">em</em>", "<p>Raw <b>bold</b> and <em title=\"t\">em</em></p>\n"},
		{"x <script>alert(1)</script> y", "<p>x  y</p>\n"},
		{"<style>p{}</style>\n\nok", "\n<p>ok</p>\n"},
	} {
		if got := Render(tc.src); got != tc.want {
			t.Errorf("Render(%q)\n got: %q\nwant: %q", tc.src, got, tc.want)
		}
	}
}

func TestRenderLongInputIsCut(t *testing.T) {
	src := strings.Repeat("é", MaxSource) // 2 bytes each: cut mid-rune
	out := Render(src)
	if strings.Count(out, "é") >= MaxSource {
		t.Fatal("not cut")
	}
	if !strings.HasPrefix(out, "<p>é") {
		t.Fatalf("unexpected start %q", out[:20])
	}
}

func TestSanitize(t *testing.T) {
	out := Sanitize(`<p onclick="x">hi</p><script>alert(1)</script><a href="https://e.example">e</a>`)
	check(t, "", out)
	if out != `<p>hi</p><a href="https://e.example" rel="nofollow noopener" target="_blank">e</a>` {
		t.Fatalf("got %s", out)
	}
}

// FuzzRender: whatever the source, the output parses and carries no
// script, event handler or dangerous URL. Seeds in testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"plain", "# h\n\n- [a](https://x.example)", "<script>alert(1)</script>",
		"[x](javascript:alert(1))", `<img src=x onerror=alert(1)>`, "<a href='jav\tascript:x'>y</a>",
		"![i](https://x.example/i.png \"t\")", "| a |\n|---|\n| <b onclick=x>b</b> |",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := Render(src)
		check(t, src, out)
		// Text may say "javascript:"; check covers attributes. No tag may open.
		low := strings.ToLower(out)
		for _, bad := range []string{"<script", "<style", "<iframe", "<object", "<embed", "<svg"} {
			if strings.Contains(low, bad) {
				t.Fatalf("%q in output\nsrc: %q\nout: %s", bad, src, out)
			}
		}
	})
}
