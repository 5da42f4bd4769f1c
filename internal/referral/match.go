package referral

import (
	"net/mail"
	"slices"
	"strings"
	"unicode"
)

// Duplicate matching compares normalised forms: a company name without case,
// punctuation, a leading "the" or legal suffixes ("The Acme Company, Inc." and
// "acme co" are both "acme"); a domain without scheme, "www.", path, port or
// trailing dot, from a URL, an email address or a bare domain; an email
// address trimmed and lower-cased.

// legalSuffixes are dropped from the end of a company name (repeatedly, so
// "Acme Holdings Co., Ltd." loses "ltd" and "co").
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "llc": true, "llp": true, "lp": true, "ltd": true, "limited": true,
	"corp": true, "corporation": true, "co": true, "company": true, "plc": true, "gmbh": true, "ag": true,
	"sa": true, "sas": true, "sarl": true, "srl": true, "spa": true, "bv": true, "nv": true, "pty": true,
	"pc": true, "pllc": true, "oy": true, "ab": true, "as": true, "kk": true, "ug": true, "kg": true,
}

// NormalizeCompany reduces a company name for duplicate matching: lower case,
// "&" as "and", dots and apostrophes removed ("L.L.C." → "llc", "O'Brien" →
// "obrien"), other punctuation as spaces, a leading "the" and trailing legal
// suffixes dropped, words joined by single spaces. A name made only of
// suffixes keeps them ("The Company" → "company").
func NormalizeCompany(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '.' || r == '\'' || r == '’':
		case r == '&' || r == '+':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	if len(words) > 1 && words[0] == "the" {
		words = words[1:]
	}
	end := len(words)
	for end > 1 && legalSuffixes[words[end-1]] {
		end--
	}
	if end == 1 && legalSuffixes[words[0]] && len(words) > 1 {
		end = len(words)
	}
	return strings.Join(words[:end], " ")
}

// NormalizeDomain reduces a URL, an email address or a domain to a bare host
// name: lower case, no scheme, user, "www.", path, query, port or trailing
// dot/slash ("https://WWW.Acme.com/about/" → "acme.com", "jane@acme.com" →
// "acme.com"). It does not validate; see ValidDomain.
func NormalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, ".")
	for strings.HasPrefix(s, "www.") {
		s = s[4:]
	}
	return s
}

// ValidDomain reports whether d (normalised) looks like a public host name:
// labels of letters, digits and hyphens, at least two, a top-level label of
// two or more letters.
func ValidDomain(d string) bool {
	if len(d) < 4 || len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for _, r := range tld {
		if !(r >= 'a' && r <= 'z') && !strings.HasPrefix(tld, "xn--") {
			return false
		}
	}
	return true
}

// NormalizeEmail trims and lower-cases an address ("" stays "").
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a single plain address (no display name)
// with a valid domain.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\r\n,;") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && ValidDomain(NormalizeDomain(s[at+1:]))
}

// freeMail are mailbox providers whose domain says nothing about the
// client's company, so a contact's email there is not matched by domain.
var freeMail = []string{
	"gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com", "live.com",
	"msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com",
	"gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com", "fastmail.com", "yandex.com", "yandex.ru",
	"hey.com", "pm.me", "qq.com", "163.com",
}

// IsFreeMail reports whether domain is a personal mailbox provider.
func IsFreeMail(domain string) bool { return slices.Contains(freeMail, domain) }

// matchKeys are what a submission is matched on.
type matchKeys struct {
	Domain string // normalised; from the client's domain, else a company email's domain
	Email  string // normalised contact email
	Name   string // normalised company name
}

// keysFor derives the match keys of a submission.
func keysFor(company, domain, email string) matchKeys {
	k := matchKeys{Domain: NormalizeDomain(domain), Email: NormalizeEmail(email), Name: NormalizeCompany(company)}
	if k.Domain == "" && k.Email != "" {
		if d := NormalizeDomain(k.Email); !IsFreeMail(d) && ValidDomain(d) {
			k.Domain = d
		}
	}
	return k
}
