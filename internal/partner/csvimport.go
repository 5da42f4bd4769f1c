package partner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/csvin"
	"github.com/allyway/allyway/internal/db"
)

// CSV import of partners and their contacts. ParseCSV is pure: it reads a
// file into an ImportPlan that says, row by row, what would be written and
// what is wrong; nothing touches the database until ApplyImport writes the
// plan's partners in the caller's transaction.

// ImportOptions bound an import and say which partners the firm already has.
type ImportOptions struct {
	MaxBytes int64 // the whole file; DefaultImportMaxBytes when 0
	MaxRows  int   // data rows, header excluded; DefaultImportMaxRows when 0
	// Existing are the firm's partners: a row for one of them is skipped.
	Existing []ExistingPartner
}

// ExistingPartner is a partner the firm already has, for duplicate checks.
type ExistingPartner struct {
	Name   string
	Domain string
}

// The default limits of an import.
const (
	DefaultImportMaxBytes = 5 << 20
	DefaultImportMaxRows  = 5000
)

// RowIssue is what is wrong with one field of one CSV line.
type RowIssue struct {
	Line    int
	Field   string // the column's label ("model", "contact email"), "" for the whole row
	Message string
}

func (e RowIssue) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, %s: %s", e.Line, e.Field, e.Message)
}

// ImportError is a problem with the file as a whole (no header, too large,
// not text); it names the line where it was found.
type ImportError struct {
	Line    int
	Message string
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// ImportRow is one data line of the file as the preview shows it.
type ImportRow struct {
	Line     int
	Name     string // the partner's name as given
	Domain   string // normalised
	Contact  string // the contact's name, "" when the row has none
	Errors   []RowIssue
	Warnings []string
	// Exists names the firm's existing partner this row matches; the row is skipped.
	Exists string
	// Partner is the index into ImportPlan.Partners the row adds to; -1 when
	// the row is not imported (errors, or the partner exists).
	Partner int
}

// Imported reports whether the row's data will be written.
func (r ImportRow) Imported() bool { return r.Partner >= 0 }

// ImportContact is a contact to add to an imported partner.
type ImportContact struct {
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Title   string `json:"title"`
	Level   string `json:"level"`
	Primary bool   `json:"primary"`
}

// ImportPartner is a partner to create, with its contacts.
type ImportPartner struct {
	Line        int             `json:"line"` // the first line that names it
	Name        string          `json:"name"`
	Domain      string          `json:"domain"`
	Website     string          `json:"website"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	Positioning string          `json:"positioning"`
	Focus       string          `json:"focus"`
	Industries  []string        `json:"industries"`
	ClientSizes []string        `json:"client_sizes"`
	Stages      []string        `json:"stages"`
	Regions     []string        `json:"regions"`
	Notes       string          `json:"notes"`
	Contacts    []ImportContact `json:"contacts"`
}

// ImportPlan is what an import would do.
type ImportPlan struct {
	Delimiter rune
	Columns   []string // the recognised columns, by their canonical label, in file order
	Ignored   []string // headers of columns that are not imported
	Warnings  []string // about the file as a whole
	Rows      []ImportRow
	Partners  []ImportPartner
}

// Contacts is the number of contacts the plan adds.
func (p ImportPlan) Contacts() int {
	n := 0
	for _, ip := range p.Partners {
		n += len(ip.Contacts)
	}
	return n
}

// ErrorRows is the number of rows that have errors (and are not imported).
func (p ImportPlan) ErrorRows() int {
	n := 0
	for _, r := range p.Rows {
		if len(r.Errors) > 0 {
			n++
		}
	}
	return n
}

// ExistingPartners is the number of distinct existing partners rows matched.
func (p ImportPlan) ExistingPartners() int {
	seen := map[string]bool{}
	for _, r := range p.Rows {
		if r.Exists != "" && len(r.Errors) == 0 {
			seen[r.Exists] = true
		}
	}
	return len(seen)
}

// Issues lists every row error in line order.
func (p ImportPlan) Issues() []RowIssue {
	var out []RowIssue
	for _, r := range p.Rows {
		out = append(out, r.Errors...)
	}
	return out
}

// Hash identifies what the plan would write, so a confirmation can check it
// writes what was previewed.
func (p ImportPlan) Hash() string {
	b, _ := json.Marshal(p.Partners) // plain strings and ints: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Column keys.
const (
	impColName         = "name"
	impColDomain       = "domain"
	impColWebsite      = "website"
	impColType         = "model"
	impColStatus       = "status"
	impColPositioning  = "positioning"
	impColFocus        = "focus"
	impColIndustries   = "industries"
	impColRegions      = "regions"
	impColClientSizes  = "client sizes"
	impColStages       = "stages"
	impColNotes        = "notes"
	impColContactName  = "contact name"
	impColContactEmail = "contact email"
	impColContactTitle = "contact title"
	impColContactLevel = "contact level"
	impColContactPhone = "contact phone"
)

// ImportColumns are the columns the template has, in order.
var ImportColumns = []string{impColName, impColDomain, impColWebsite, impColType, impColStatus, impColPositioning, impColFocus,
	impColIndustries, impColRegions, impColClientSizes, impColStages, impColNotes,
	impColContactName, impColContactEmail, impColContactTitle, impColContactLevel, impColContactPhone}

// impColumnAliases maps a squeezed header (lower case, no spaces, underscores,
// hyphens or dots) to its column.
var impColumnAliases = map[string]string{
	"name": impColName, "partner": impColName, "partnername": impColName, "firm": impColName, "firmname": impColName,
	"company": impColName, "companyname": impColName, "organisation": impColName, "organization": impColName,
	"domain": impColDomain, "webdomain": impColDomain,
	"website": impColWebsite, "web": impColWebsite, "url": impColWebsite, "site": impColWebsite, "homepage": impColWebsite,
	"model": impColType, "type": impColType, "partnershipmodel": impColType, "partnertype": impColType,
	"partnershiptype": impColType, "partnermodel": impColType,
	"status": impColStatus, "lifecycle": impColStatus, "lifecyclestatus": impColStatus, "partnerstatus": impColStatus,
	"positioning": impColPositioning, "marketpositioning": impColPositioning, "pricepositioning": impColPositioning,
	"focus":      impColFocus,
	"industries": impColIndustries, "industry": impColIndustries, "sectors": impColIndustries, "sector": impColIndustries,
	"verticals": impColIndustries,
	"regions":   impColRegions, "region": impColRegions, "geography": impColRegions, "geographies": impColRegions,
	"countries": impColRegions, "country": impColRegions,
	"clientsizes": impColClientSizes, "clientsize": impColClientSizes, "sizes": impColClientSizes, "size": impColClientSizes,
	"companysizes": impColClientSizes, "companysize": impColClientSizes,
	"stages": impColStages, "stage": impColStages, "clientstages": impColStages, "clientstage": impColStages,
	"fundingstages": impColStages, "fundingstage": impColStages,
	"notes": impColNotes, "note": impColNotes, "comments": impColNotes, "comment": impColNotes, "description": impColNotes,
	"contactname": impColContactName, "contact": impColContactName, "contactperson": impColContactName,
	"contactemail": impColContactEmail, "email": impColContactEmail, "emailaddress": impColContactEmail,
	"contacttitle": impColContactTitle, "title": impColContactTitle, "jobtitle": impColContactTitle,
	"contactlevel": impColContactLevel, "level": impColContactLevel,
	"contactphone": impColContactPhone, "phone": impColContactPhone, "telephone": impColContactPhone,
	"phonenumber": impColContactPhone, "mobile": impColContactPhone,
}

// impTypeWords maps squeezed model names and labels to the model.
var impTypeWords = map[string]string{
	"referral": "referral", "referrals": "referral", "referralpartner": "referral", "referralpartnership": "referral",
	"delivery": "delivery", "subcontracting": "delivery", "subcontractor": "delivery", "subcontract": "delivery",
	"subcontracting/delivery": "delivery", "codelivery": "delivery", "deliverypartner": "delivery",
	"alliance": "alliance", "strategicalliance": "alliance", "strategicalliance/jv": "alliance", "jv": "alliance",
	"jointventure": "alliance", "alliance/jv": "alliance",
	"technology": "technology", "tech": "technology", "platform": "technology", "technology/platform": "technology",
	"technologypartner": "technology",
	"channel":           "channel", "reseller": "channel", "channel/reseller": "channel", "channelpartner": "channel",
}

var impLevelWords = map[string]string{
	"executivesponsor": "executive_sponsor", "executive": "executive_sponsor", "sponsor": "executive_sponsor",
	"execsponsor": "executive_sponsor", "exec": "executive_sponsor",
	"delivery": "delivery", "deliverylead": "delivery",
	"accountmanager": "account_manager", "account": "account_manager", "am": "account_manager",
	"other": "other",
}

var impPositioningWords = map[string]string{"premium": "premium", "midmarket": "mid_market", "mid": "mid_market", "value": "value"}

func impLookupWord(words map[string]string, s string) (string, bool) {
	v, ok := words[csvin.Squeeze(s)]
	return v, ok
}

// Cell limits.
const (
	impMaxNameLen    = 200
	impMaxTextLen    = 200
	impMaxNotesLen   = 10000
	impMaxURLLen     = 2000
	impMaxListItems  = 50
	impMaxListItemLn = 100
	impMaxColumns    = 200
)

// ParseCSV reads a CSV of partners and contacts into a plan. The error is
// about the file as a whole (*ImportError); problems with single rows are in
// the plan's rows.
func ParseCSV(r io.Reader, opt ImportOptions) (ImportPlan, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultImportMaxBytes
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = DefaultImportMaxRows
	}
	data, err := io.ReadAll(io.LimitReader(r, opt.MaxBytes+1))
	if err != nil {
		return ImportPlan{}, err
	}
	if int64(len(data)) > opt.MaxBytes {
		return ImportPlan{}, &ImportError{Line: 1 + bytes.Count(data[:opt.MaxBytes], []byte{'\n'}),
			Message: fmt.Sprintf("the file is larger than %s; split it into smaller files", impSizeText(opt.MaxBytes))}
	}
	data, line, msg := csvin.CheckText(data, "partner")
	if msg != "" {
		return ImportPlan{}, &ImportError{Line: line, Message: msg}
	}

	plan := ImportPlan{Delimiter: csvin.DetectDelimiter(data)}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = plan.Delimiter
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false

	// The header: the first record.
	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return ImportPlan{}, &ImportError{Line: max(pe.StartLine, 1), Message: "the header row can't be read: " + csvin.ErrText(pe.Err)}
		}
		return ImportPlan{}, &ImportError{Line: 1, Message: "the file has no header row"}
	}
	headerLine, _ := cr.FieldPos(0)
	if len(header) > impMaxColumns {
		return ImportPlan{}, &ImportError{Line: headerLine, Message: fmt.Sprintf("the header row has %d columns; an import reads at most %d", len(header), impMaxColumns)}
	}
	cols := make([]string, len(header)) // column index → key, "" when ignored
	seen := map[string]string{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		key, ok := impColumnAliases[csvin.Squeeze(h)]
		switch {
		case h == "":
			// An unnamed column (a trailing delimiter): nothing to say.
		case !ok:
			plan.Ignored = append(plan.Ignored, h)
		case seen[key] != "":
			plan.Ignored = append(plan.Ignored, h)
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("line %d: the column “%s” repeats “%s” (%s); only the first is read", headerLine, h, seen[key], key))
		default:
			seen[key] = h
			cols[i] = key
			plan.Columns = append(plan.Columns, key)
		}
	}
	if seen[impColName] == "" {
		return ImportPlan{}, &ImportError{Line: headerLine, Message: "the header row has no “name” column (the partner firm's name); the first row must name the columns, e.g. name, domain, model, status"}
	}
	if len(plan.Ignored) > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("line %d: these columns are not imported: %s", headerLine, strings.Join(plan.Ignored, ", ")))
	}

	existingByDomain := map[string]string{}
	existingByName := map[string]ExistingPartner{}
	for _, e := range opt.Existing {
		if d := NormalizeDomain(e.Domain); d != "" {
			if _, dup := existingByDomain[d]; !dup {
				existingByDomain[d] = e.Name
			}
		}
		k := strings.ToLower(strings.TrimSpace(e.Name))
		if _, dup := existingByName[k]; !dup {
			existingByName[k] = e
		}
	}
	byDomain := map[string]int{} // within the file: domain → partner index
	byName := map[string]int{}   // lower name → partner index (of partners without a domain, and all first names)

	for {
		lastOffset := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if len(plan.Rows) >= opt.MaxRows {
			line := 0
			if err == nil {
				line, _ = cr.FieldPos(0)
			} else {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
			}
			return ImportPlan{}, &ImportError{Line: line, Message: fmt.Sprintf("the file has more than %d rows; split it into smaller files", opt.MaxRows)}
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return ImportPlan{}, err
			}
			plan.Rows = append(plan.Rows, ImportRow{Line: pe.StartLine, Partner: -1,
				Errors: []RowIssue{{Line: pe.StartLine, Message: "the row can't be read: " + csvin.ErrText(pe.Err)}}})
			if cr.InputOffset() == lastOffset {
				break // no progress: stop rather than loop
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if csvin.Blank(rec) {
			continue
		}
		row, ip, contact, given := impParseRow(line, rec, cols)
		if len(rec) > len(header) {
			extra := false
			for _, v := range rec[len(header):] {
				if strings.TrimSpace(v) != "" {
					extra = true
				}
			}
			if extra {
				row.Warnings = append(row.Warnings, fmt.Sprintf("the row has %d cells but the header %d; the extra cells are not imported", len(rec), len(header)))
			}
		}
		row.Partner = -1
		if len(row.Errors) > 0 {
			plan.Rows = append(plan.Rows, row)
			continue
		}
		// A partner the firm already has?
		if name, ok := existingByDomain[ip.Domain]; ok && ip.Domain != "" {
			row.Exists = name
		} else if e, ok := existingByName[strings.ToLower(ip.Name)]; ok && (ip.Domain == "" || NormalizeDomain(e.Domain) == "") {
			row.Exists = e.Name
		}
		if row.Exists != "" {
			row.Warnings = append(row.Warnings, fmt.Sprintf("partner exists: %s — the row is skipped (an import only adds new partners)", row.Exists))
			plan.Rows = append(plan.Rows, row)
			continue
		}
		// Another row of the same partner?
		idx, found := -1, false
		if ip.Domain != "" {
			idx, found = byDomain[ip.Domain]
		} else {
			idx, found = byName[strings.ToLower(ip.Name)]
		}
		if !found {
			idx = len(plan.Partners)
			ip.Contacts = nil
			plan.Partners = append(plan.Partners, ip)
			if ip.Domain != "" {
				byDomain[ip.Domain] = idx
			}
			if _, taken := byName[strings.ToLower(ip.Name)]; !taken {
				byName[strings.ToLower(ip.Name)] = idx
			}
		} else {
			row.Warnings = append(row.Warnings, impDifferences(plan.Partners[idx], ip, given)...)
		}
		if contact != nil {
			p := &plan.Partners[idx]
			if dup := impSameContact(p.Contacts, *contact); dup > 0 {
				row.Warnings = append(row.Warnings, fmt.Sprintf("the contact %s is already on line %d; it is added once", contact.Name, dup))
			} else {
				contact.Primary = len(p.Contacts) == 0
				p.Contacts = append(p.Contacts, *contact)
			}
		}
		row.Partner = idx
		plan.Rows = append(plan.Rows, row)
	}
	if len(plan.Rows) == 0 {
		return ImportPlan{}, &ImportError{Line: headerLine, Message: "the file has a header row but no partners below it"}
	}
	return plan, nil
}

// impParseRow reads one record: the row as shown, the partner it names and its
// contact (nil when the row has none).
func impParseRow(line int, rec []string, cols []string) (ImportRow, ImportPartner, *ImportContact, map[string]string) {
	row := ImportRow{Line: line}
	get := map[string]string{}
	for i, v := range rec {
		if i < len(cols) && cols[i] != "" {
			get[cols[i]] = strings.TrimSpace(v)
		}
	}
	bad := func(field, format string, args ...any) {
		row.Errors = append(row.Errors, RowIssue{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	text := func(field string, limit int) string {
		v := get[field]
		if utf8.RuneCountInString(v) > limit {
			bad(field, "keep it under %d characters", limit)
		} else if csvin.HasControl(v, field == impColNotes) {
			bad(field, "contains a control character")
		}
		return v
	}
	ip := ImportPartner{Line: line}
	ip.Name = text(impColName, impMaxNameLen)
	row.Name = ip.Name
	if ip.Name == "" {
		bad(impColName, "enter the partner firm's name")
	}
	ip.Website = text(impColWebsite, impMaxURLLen)
	if ip.Website != "" {
		w, ok := impNormalizeWebsite(ip.Website)
		if !ok {
			bad(impColWebsite, "'%s' is not a web address like https://partnerfirm.com", csvin.Clip(ip.Website))
		}
		ip.Website = w
	}
	rawDomain := text(impColDomain, 253)
	ip.Domain = NormalizeDomain(rawDomain)
	if ip.Domain == "" && ip.Website != "" {
		if u, err := url.Parse(ip.Website); err == nil && impValidDomain(NormalizeDomain(u.Hostname())) {
			ip.Domain = NormalizeDomain(u.Hostname())
		}
	}
	if ip.Domain != "" && !impValidDomain(ip.Domain) {
		bad(impColDomain, "'%s' is not a web domain like partnerfirm.com", csvin.Clip(rawDomain))
	}
	row.Domain = ip.Domain

	ip.Type = "referral"
	if v := get[impColType]; v != "" {
		if t, ok := impLookupWord(impTypeWords, v); ok {
			ip.Type = t
		} else {
			bad(impColType, "'%s' is not one of %s", csvin.Clip(v), strings.Join(Types, ", "))
		}
	}
	ip.Status = "prospect"
	if v := get[impColStatus]; v != "" {
		if s := csvin.Squeeze(v); impContains(Statuses, s) {
			ip.Status = s
		} else {
			bad(impColStatus, "'%s' is not one of %s", csvin.Clip(v), strings.Join(Statuses, ", "))
		}
	}
	if v := get[impColPositioning]; v != "" {
		if p, ok := impLookupWord(impPositioningWords, v); ok {
			ip.Positioning = p
		} else {
			bad(impColPositioning, "'%s' is not one of premium, mid-market, value", csvin.Clip(v))
		}
	}
	if v := get[impColFocus]; v != "" {
		f := csvin.Squeeze(v)
		if impContains([]string{"specialist", "generalist"}, f) {
			ip.Focus = f
		} else {
			bad(impColFocus, "'%s' is not one of specialist, generalist", csvin.Clip(v))
		}
	}
	list := func(field string) []string {
		items, msg := impSplitList(get[field])
		if msg != "" {
			bad(field, "%s", msg)
		}
		return items
	}
	ip.Industries = list(impColIndustries)
	ip.Regions = list(impColRegions)
	ip.ClientSizes = list(impColClientSizes)
	ip.Stages = list(impColStages)
	ip.Notes = text(impColNotes, impMaxNotesLen)

	c := ImportContact{Line: line}
	c.Name = text(impColContactName, impMaxNameLen)
	c.Email = text(impColContactEmail, 254)
	c.Title = text(impColContactTitle, impMaxTextLen)
	c.Phone = text(impColContactPhone, 50)
	rawLevel := get[impColContactLevel]
	c.Level = "other"
	if rawLevel != "" {
		if l, ok := impLookupWord(impLevelWords, rawLevel); ok {
			c.Level = l
		} else {
			bad(impColContactLevel, "'%s' is not one of executive sponsor, delivery, account manager, other", csvin.Clip(rawLevel))
		}
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || a.Name != "" {
			bad(impColContactEmail, "'%s' is not an email address", csvin.Clip(c.Email))
		} else {
			c.Email = strings.ToLower(c.Email)
		}
	}
	hasContact := c.Name != "" || c.Email != "" || c.Title != "" || c.Phone != "" || rawLevel != ""
	if hasContact && c.Name == "" {
		bad(impColContactName, "the row has contact details but no contact name")
	}
	row.Contact = c.Name
	if !hasContact {
		return row, ip, nil, get
	}
	return row, ip, &c, get
}

// impDifferences warns when a later row of a partner gives other details than
// the first row, whose details are kept; given holds the later row's cells.
func impDifferences(first, later ImportPartner, given map[string]string) []string {
	var out []string
	diff := func(field, a, b string) {
		if given[field] != "" && a != b {
			out = append(out, fmt.Sprintf("%s differs from line %d, whose %s is kept", field, first.Line, field))
		}
	}
	diff(impColName, first.Name, later.Name)
	diff(impColWebsite, first.Website, later.Website)
	diff(impColType, first.Type, later.Type)
	diff(impColStatus, first.Status, later.Status)
	diff(impColPositioning, first.Positioning, later.Positioning)
	diff(impColFocus, first.Focus, later.Focus)
	join := func(s []string) string { return strings.Join(s, "; ") }
	diff(impColIndustries, join(first.Industries), join(later.Industries))
	diff(impColRegions, join(first.Regions), join(later.Regions))
	diff(impColClientSizes, join(first.ClientSizes), join(later.ClientSizes))
	diff(impColStages, join(first.Stages), join(later.Stages))
	diff(impColNotes, first.Notes, later.Notes)
	return out
}

// impSameContact returns the line of a contact with the same email (or, both
// without email, the same name), 0 when there is none.
func impSameContact(cs []ImportContact, c ImportContact) int {
	for _, o := range cs {
		if (c.Email != "" && o.Email == c.Email) || (c.Email == "" && o.Email == "" && strings.EqualFold(o.Name, c.Name)) {
			return o.Line
		}
	}
	return 0
}

// impSplitList splits "Healthcare; Retail" or "Healthcare, Retail" into
// distinct trimmed items.
func impSplitList(s string) ([]string, string) {
	out := []string{}
	if s == "" {
		return out, ""
	}
	seen := map[string]bool{}
	for _, it := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '\n' || r == '|' }) {
		it = strings.TrimSpace(it)
		if it == "" || seen[strings.ToLower(it)] {
			continue
		}
		if utf8.RuneCountInString(it) > impMaxListItemLn {
			return nil, fmt.Sprintf("keep each item under %d characters", impMaxListItemLn)
		}
		if csvin.HasControl(it, false) {
			return nil, "contains a control character"
		}
		seen[strings.ToLower(it)] = true
		out = append(out, it)
	}
	if len(out) > impMaxListItems {
		return nil, fmt.Sprintf("list at most %d items", impMaxListItems)
	}
	return out, ""
}

// impNormalizeWebsite turns "firm.com" into "https://firm.com"; false when it
// isn't a web address.
func impNormalizeWebsite(s string) (string, bool) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(s, " \t") || !impValidDomain(NormalizeDomain(u.Hostname())) {
		return "", false
	}
	return s, true
}

// impValidDomain accepts host names: letters (any script), digits, hyphens
// and at least one inner dot.
func impValidDomain(d string) bool {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") ||
		strings.Contains(d, "..") {
		return false
	}
	for _, r := range d {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func impContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func impSizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	if n >= 1000_000 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// TemplateCSV is a file to start from: the header and two example partners.
func TemplateCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(ImportColumns)
	_ = w.Write([]string{"Brightline Tax", "brightline.example", "https://brightline.example", "referral", "active",
		"mid-market", "specialist", "Healthcare; Retail", "UK; Ireland", "SME; Mid-market", "Series A; Series B",
		"Refers tax clients who need restructuring", "Dana Reyes", "dana@brightline.example", "Managing partner",
		"executive sponsor", "+44 20 7946 0000"})
	_ = w.Write([]string{"Brightline Tax", "brightline.example", "", "", "", "", "", "", "", "", "", "",
		"Sam Ito", "sam@brightline.example", "Senior manager", "account manager", ""})
	_ = w.Write([]string{"Keystone Legal", "keystonelegal.example", "", "Strategic alliance / JV", "prospect",
		"premium", "generalist", "Financial services", "UK", "Enterprise", "", "", "", "", "", "", ""})
	w.Flush()
	return b.Bytes()
}

// ImportResult counts what ApplyImport wrote.
type ImportResult struct {
	Partners int
	Contacts int
}

// LockImport serialises imports within a firm for the rest of the
// transaction, so two confirmations of one file can't both add it.
func LockImport(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('partner-import'), hashtext($1::text))`, tenantID)
	return err
}

// ExistingForImport lists the firm's partners for ParseCSV's duplicate check.
func ExistingForImport(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]ExistingPartner, error) {
	rows, err := q.Query(ctx, `SELECT name, coalesce(domain, '') FROM partners WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExistingPartner
	for rows.Next() {
		var e ExistingPartner
		if err := rows.Scan(&e.Name, &e.Domain); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ApplyImport writes the plan's partners, their contacts and their first
// lifecycle step in the caller's transaction: three statements, whatever
// the number of rows. actor is who imports (nil for none).
func ApplyImport(ctx context.Context, q db.Querier, tenantID uuid.UUID, actor *uuid.UUID, plan ImportPlan) (ImportResult, error) {
	type contactRow struct {
		ImportContact
		PartnerID uuid.UUID `json:"partner_id"`
	}
	type partnerRow struct {
		ImportPartner
		ID uuid.UUID `json:"id"`
	}
	var ps []partnerRow
	var cs []contactRow
	for _, ip := range plan.Partners {
		id := uuid.New()
		ps = append(ps, partnerRow{ImportPartner: ip, ID: id})
		for _, c := range ip.Contacts {
			cs = append(cs, contactRow{ImportContact: c, PartnerID: id})
		}
	}
	res := ImportResult{Partners: len(ps), Contacts: len(cs)}
	if len(ps) == 0 {
		return res, nil
	}
	pj, err := json.Marshal(ps)
	if err != nil {
		return ImportResult{}, err
	}
	arr := func(k string) string {
		return `coalesce(ARRAY(SELECT jsonb_array_elements_text(e->'` + k + `')), '{}')`
	}
	if _, err := q.Exec(ctx, `INSERT INTO partners (tenant_id, id, name, domain, website, type, status,
			positioning, focus, industries, client_sizes, stages, regions, notes)
		SELECT $1, (e->>'id')::uuid, e->>'name', nullif(e->>'domain', ''), nullif(e->>'website', ''),
			e->>'type', e->>'status', nullif(e->>'positioning', ''), nullif(e->>'focus', ''),
			`+arr("industries")+`, `+arr("client_sizes")+`, `+arr("stages")+`, `+arr("regions")+`, e->>'notes'
		FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n`, tenantID, pj); err != nil {
		return ImportResult{}, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, reason, actor_user_id)
		SELECT $1, (e->>'id')::uuid, NULL, e->>'status', 'Imported from CSV', $3
		FROM jsonb_array_elements($2::jsonb) AS x(e)`, tenantID, pj, actor); err != nil {
		return ImportResult{}, err
	}
	if len(cs) > 0 {
		cj, err := json.Marshal(cs)
		if err != nil {
			return ImportResult{}, err
		}
		if _, err := q.Exec(ctx, `INSERT INTO partner_contacts (tenant_id, partner_id, name, email, phone, title, level, is_primary)
			SELECT $1, (e->>'partner_id')::uuid, e->>'name', e->>'email', e->>'phone', e->>'title', e->>'level',
				(e->>'primary')::boolean
			FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n`, tenantID, cj); err != nil {
			return ImportResult{}, err
		}
	}
	return res, nil
}
