package campaign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/csvin"
	"github.com/allyway/allyway/internal/db"
)

// Attendee list import: a CSV of registrants or attendees (as a webinar or
// event platform exports it) read by header names, checked row by row, and
// written all together or not at all.

// Import limits: the shared import flow's (importflow.DefaultMaxBytes and
// DefaultMaxRows).
const (
	ImportMaxBytes = 5_000_000
	ImportMaxSize  = "5 MB"
	ImportMaxRows  = 5000
)

// importColumns maps squeezed header names (csvin.Squeeze) to the fields.
var importColumns = map[string]string{
	"name": "name", "fullname": "name", "attendee": "name", "attendeename": "name", "registrant": "name",
	"registrantname": "name", "contact": "name", "contactname": "name", "participant": "name",
	"firstname": "first", "first": "first", "givenname": "first",
	"lastname": "last", "last": "last", "surname": "last", "familyname": "last",
	"email": "email", "emailaddress": "email", "workemail": "email", "mail": "email", "businessemail": "email",
	"company": "company", "companyname": "company", "organisation": "company", "organization": "company",
	"firm": "company", "employer": "company", "account": "company",
	"title": "title", "jobtitle": "title", "position": "title", "role": "title",
	"consent": "consent", "optin": "consent", "optedin": "consent", "marketingconsent": "consent",
	"consenttocontact": "consent", "gdprconsent": "consent", "canbecontacted": "consent",
	"notes": "notes", "note": "notes", "comments": "notes", "comment": "notes", "questions": "notes", "question": "notes",
	"consentnotes": "notes",
}

// ImportRow is one data row of the file and what importing it would do.
type ImportRow struct {
	Line   int // 1-based line where the row starts
	Input  LeadInput
	Lead   Lead
	Errors []string
	// Existing is true for someone (by email) already a lead of the
	// campaign: skipped, not an error.
	Existing bool
}

// ImportPlan is a parsed attendee list.
type ImportPlan struct {
	Rows    []ImportRow
	Columns []string // the fields the header was matched to, in file order ("" for ignored)
	Ignored []string // headers not used
}

// New is how many rows would be added.
func (p ImportPlan) New() int {
	n := 0
	for _, r := range p.Rows {
		if len(r.Errors) == 0 && !r.Existing {
			n++
		}
	}
	return n
}

// ErrorRows is how many rows have errors.
func (p ImportPlan) ErrorRows() int {
	n := 0
	for _, r := range p.Rows {
		if len(r.Errors) > 0 {
			n++
		}
	}
	return n
}

// ExistingRows is how many rows name someone already a lead.
func (p ImportPlan) ExistingRows() int {
	n := 0
	for _, r := range p.Rows {
		if r.Existing && len(r.Errors) == 0 {
			n++
		}
	}
	return n
}

// Hash identifies what the plan would write, so a confirmation can check it
// writes what was previewed.
func (p ImportPlan) Hash() string {
	h := sha256.New()
	for _, r := range p.Rows {
		consent := "?"
		if r.Lead.Consent != nil {
			consent = fmt.Sprint(*r.Lead.Consent)
		}
		fmt.Fprintf(h, "%d|%d|%t|%q|%q|%q|%q|%s|%q\n", r.Line, len(r.Errors), r.Existing, r.Lead.Name, r.Lead.Email,
			r.Lead.Company, r.Lead.Title, consent, r.Lead.Notes)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ImportError is a problem with the whole file (not one row).
type ImportError struct {
	Line int
	Msg  string
}

func (e *ImportError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseAttendees reads an attendee list. existing holds the emails already
// leads of the campaign. A problem with the whole file (encoding, size,
// header, quoting) is an *ImportError; a row's problems are in its Errors.
func ParseAttendees(data []byte, existing map[string]bool) (ImportPlan, error) {
	var plan ImportPlan
	if len(data) > ImportMaxBytes {
		return plan, &ImportError{Msg: "the file is over " + ImportMaxSize + "; split it into smaller files and import them one after the other"}
	}
	clean, line, msg := csvin.CheckText(data, "attendee")
	if msg != "" {
		return plan, &ImportError{Line: line, Msg: msg}
	}
	r := csv.NewReader(bytes.NewReader(clean))
	r.Comma = csvin.DetectDelimiter(clean)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return plan, &ImportError{Line: 1, Msg: csvin.ErrText(err)}
	}
	at := map[string]int{}
	for i, h := range header {
		f := importColumns[csvin.Squeeze(h)]
		if f == "" || at[f] > 0 {
			plan.Columns = append(plan.Columns, "")
			if strings.TrimSpace(h) != "" {
				plan.Ignored = append(plan.Ignored, strings.TrimSpace(h))
			}
			continue
		}
		at[f] = i + 1
		plan.Columns = append(plan.Columns, f)
	}
	if at["name"] == 0 && at["first"] == 0 && at["last"] == 0 {
		return plan, &ImportError{Line: 1, Msg: "the header row has no name column; name the columns name, email, company, title, consent and notes (first name and last name work too)"}
	}
	cell := func(rec []string, f string) string {
		if i := at[f]; i > 0 && i <= len(rec) {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return plan, &ImportError{Line: pe.StartLine, Msg: csvin.ErrText(err)}
			}
			return plan, &ImportError{Msg: err.Error()}
		}
		ln, _ := r.FieldPos(0)
		if csvin.Blank(rec) {
			continue
		}
		if len(plan.Rows) >= ImportMaxRows {
			return plan, &ImportError{Line: ln, Msg: "the file has more than " + strconv.Itoa(ImportMaxRows) + " attendees; split it into smaller files"}
		}
		name := cell(rec, "name")
		if name == "" {
			name = strings.TrimSpace(cell(rec, "first") + " " + cell(rec, "last"))
		}
		in := LeadInput{Name: name, Email: cell(rec, "email"), Company: cell(rec, "company"), Title: cell(rec, "title"),
			Consent: cell(rec, "consent"), Notes: cell(rec, "notes")}
		row := ImportRow{Line: ln, Input: in}
		l, fe := checkLead(in)
		row.Lead = l
		for _, k := range []string{"name", "email", "company", "title", "consent", "notes"} {
			if m := fe[k]; m != "" {
				row.Errors = append(row.Errors, k+": "+m)
			}
		}
		for _, v := range []string{in.Name, in.Company, in.Title, in.Email} {
			if csvin.HasControl(v, false) {
				row.Errors = append(row.Errors, "a cell has a line break or control character: "+csvin.Clip(v))
				break
			}
		}
		if l.Email != "" && fe["email"] == "" {
			if first, ok := seen[l.Email]; ok {
				row.Errors = append(row.Errors, "email: the same email as line "+strconv.Itoa(first))
			} else {
				seen[l.Email] = ln
				row.Existing = existing[l.Email]
			}
		}
		plan.Rows = append(plan.Rows, row)
	}
	if len(plan.Rows) == 0 {
		return plan, &ImportError{Line: 2, Msg: "the file has a header row but no attendees"}
	}
	return plan, nil
}

// ExistingEmails returns the emails of the campaign's leads.
func ExistingEmails(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT email FROM campaign_leads WHERE tenant_id = $1 AND campaign_id = $2 AND email <> ''`,
		tenantID, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out[e] = true
	}
	return out, rows.Err()
}

// LockImport serialises imports into one campaign (a double-click imports once).
func LockImport(ctx context.Context, q db.Querier, tenantID, campaignID uuid.UUID) error {
	return db.XactLock(ctx, q, "campaign_import:"+tenantID.String()+":"+campaignID.String())
}

// ApplyImport writes the plan's new rows as leads owned by owner (nil: us)
// in the caller's transaction: all of them, or (on error) none.
func ApplyImport(ctx context.Context, q db.Querier, tenantID uuid.UUID, c Campaign, owner *uuid.UUID, plan ImportPlan, by uuid.UUID) (int, error) {
	if owner != nil && !c.HasPartner(*owner) {
		return 0, errors.New("campaign: import owner is not a partner of the campaign")
	}
	n := 0
	for _, r := range plan.Rows {
		if len(r.Errors) > 0 || r.Existing {
			continue
		}
		l := r.Lead
		l.OwnerPartnerID, l.Status, l.Source = owner, "new", SourceImport
		if err := insertLead(ctx, q, tenantID, c.ID, &l, by); err != nil {
			return 0, err
		}
		n++
	}
	err := audit.Record(ctx, q, tenantID, "campaign.leads_imported", "campaign", c.ID.String(), map[string]any{
		"leads": n, "rows": len(plan.Rows), "existing_skipped": plan.ExistingRows(), "owner": OwnerValue(owner)})
	return n, err
}
