package view

import (
	"regexp"
	"strings"
)

// MailRow is one message of the dev outbox.
type MailRow struct {
	ID      string
	To      string
	Subject string
	Text    string
	Created string
	Sent    string
}

// segment is a piece of a text body: plain text or a link.
type segment struct {
	Text string
	Link bool
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify splits text so URLs can be rendered as links, escaped as usual.
func linkify(s string) []segment {
	var out []segment
	last := 0
	for _, m := range urlRE.FindAllStringIndex(s, -1) {
		if m[0] > last {
			out = append(out, segment{Text: s[last:m[0]]})
		}
		out = append(out, segment{Text: strings.TrimRight(s[m[0]:m[1]], ".,)"), Link: true})
		last = m[0] + len(strings.TrimRight(s[m[0]:m[1]], ".,)"))
	}
	if last < len(s) {
		out = append(out, segment{Text: s[last:]})
	}
	return out
}
