package server

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/csvin"
	"github.com/allyway/allyway/internal/importflow"
	"github.com/allyway/allyway/internal/referral"
)

// CSV import of referrals (/imports/referrals), row by row through
// referral.Submit, as staff would record each one: the same checks, the
// same duplicate and attribution matching (a match is not an error: the
// row's referral waits in the conflict queue, and the preview says so),
// no email to anyone. The submitted date, when given, is the referral's
// submission time. Only new referrals are imported (status submitted):
// moving a referral along its pipeline records what happened, which a
// file cannot say.

func init() { registerImportKind("referrals", (*Server).referralImportKind) }

// Referral import columns.
const (
	riDirection = "direction"
	riPartner   = "partner"
	riCompany   = "client_company"
	riDomain    = "client_domain"
	riContact   = "contact_name"
	riEmail     = "contact_email"
	riPhone     = "contact_phone"
	riStatus    = "status"
	riSubmitted = "submitted"
	riValue     = "estimated_value"
	riUrgency   = "urgency"
	riChallenge = "challenge"
)

// referralImportColumns are a referrals file's columns, in the template's order.
var referralImportColumns = []importflow.Column{
	{Name: riDirection, Aliases: []string{"referral direction"}, Example: "inbound",
		Help: "inbound (the partner refers a client to us, the default) or outbound (we refer a client to the partner)."},
	{Name: riPartner, Aliases: []string{"partner name", "partner id", "partner_id", "referred by"}, Required: true, Example: "Brightline Tax",
		Help: "The partner's name as in your directory (any case), or its id."},
	{Name: riCompany, Aliases: []string{"company", "client", "client name", "company name"}, Required: true, Example: "Acme Dental",
		Help: "The client's company."},
	{Name: riDomain, Aliases: []string{"domain", "website", "client website"}, Example: "acmedental.example",
		Help: "The client's website or domain; it helps catch duplicates."},
	{Name: riContact, Aliases: []string{"contact", "contact person"}, Required: true, Example: "Pat Lee",
		Help: "The person to contact at the client."},
	{Name: riEmail, Aliases: []string{"email", "e-mail", "contact e-mail"}, Example: "pat@acmedental.example",
		Help: "The contact's email. An email or a phone number is needed."},
	{Name: riPhone, Aliases: []string{"phone", "telephone"}, Example: "",
		Help: "The contact's phone number."},
	{Name: riStatus, Aliases: []string{"stage"}, Example: "submitted",
		Help: "submitted (the default). Referrals further along are moved on their page after the import."},
	{Name: riSubmitted, Aliases: []string{"submitted at", "submitted on", "date", "referred on"}, Example: "2026-03-02",
		Help: "When the partner referred the client: 2026-03-02 (year-month-day) or a full time like 2026-03-02T14:30:00Z. Default: now. Not in the future."},
	{Name: riValue, Aliases: []string{"estimated value", "value", "deal value"}, Example: "25,000",
		Help: "The work's estimated value in dollars, like 25,000 or 1200.50."},
	{Name: riUrgency, Example: "normal",
		Help: "low, normal (the default), high or urgent."},
	{Name: riChallenge, Aliases: []string{"need", "notes"}, Required: true, Example: "Needs a new practice-management system",
		Help: "The client's challenge: what they need, in a sentence or two."},
}

// referralImportMaxRows bounds a referrals file: each row is a full
// submission, twice (preview and confirmation).
const referralImportMaxRows = 2000

// refImportRow is a referrals file's row, decoded.
type refImportRow struct {
	Direction    string
	Partner      string // the cell: a name or an id
	Company      string
	Domain       string
	Contact      string
	Email        string
	Phone        string
	Submitted    *time.Time
	Value        string
	Urgency      string
	Challenge    string
	partnerID    uuid.UUID
	partnerLabel string
}

// decodeReferralRow reads a record; loc reads dates without a time, now
// refuses the future. It checks what needs no database.
func decodeReferralRow(rec importflow.Record, loc *time.Location, now time.Time) (refImportRow, []string) {
	row := refImportRow{Direction: strings.ToLower(rec.Get(riDirection)), Partner: rec.Get(riPartner), Company: rec.Get(riCompany),
		Domain: rec.Get(riDomain), Contact: rec.Get(riContact), Email: rec.Get(riEmail), Phone: rec.Get(riPhone),
		Value: rec.Get(riValue), Urgency: strings.ToLower(rec.Get(riUrgency)), Challenge: rec.Raw(riChallenge)}
	row.Challenge = strings.TrimSpace(row.Challenge)
	var errs []string
	if row.Direction == "" {
		row.Direction = "inbound"
	}
	if row.Direction != "inbound" && row.Direction != "outbound" {
		errs = append(errs, "direction: “"+csvin.Clip(row.Direction)+"” is not inbound or outbound")
	}
	if row.Partner == "" {
		errs = append(errs, "partner: name the partner")
	}
	switch st := strings.ToLower(rec.Get(riStatus)); {
	case st == "" || st == referral.Submitted:
	case referral.ValidStatus(st) || referral.ValidStatus(strings.ReplaceAll(st, " ", "_")):
		errs = append(errs, "status: only new referrals (submitted) are imported; import it as submitted and move it on its page")
	default:
		errs = append(errs, "status: “"+csvin.Clip(st)+"” is not a referral status")
	}
	if row.Urgency != "" && !slices.Contains(referral.Urgencies, row.Urgency) {
		errs = append(errs, "urgency: “"+csvin.Clip(row.Urgency)+"” is not one of low, normal, high, urgent")
	}
	if v := rec.Get(riSubmitted); v != "" {
		t, ok := parseImportTime(v, loc)
		switch {
		case !ok:
			errs = append(errs, "submitted: “"+csvin.Clip(v)+"” is not a date like 2026-03-02")
		case t.After(now):
			errs = append(errs, "submitted: can't be in the future")
		default:
			row.Submitted = &t
		}
	}
	for _, c := range []struct{ col, v string }{{riCompany, row.Company}, {riContact, row.Contact}, {riEmail, row.Email}, {riPhone, row.Phone}} {
		if csvin.HasControl(c.v, false) {
			errs = append(errs, strings.ReplaceAll(c.col, "_", " ")+": remove the control characters (tabs, line breaks)")
		}
	}
	return row, errs
}

// parseImportTime reads 2026-03-02 (in loc, at the start of the day) or an
// RFC 3339 time (as exported).
func parseImportTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Truncate(time.Microsecond), true
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// referralImportKind is the referrals kind of import.
func (s *Server) referralImportKind() *importKind {
	rs := importflow.RowSpec{Kind: "referrals", Noun: "referral", Plural: "referrals", Columns: referralImportColumns,
		MaxRows: referralImportMaxRows, Headers: []string{"Partner", "Direction", "Client", "Contact", "Submitted"}}
	rs.Start = func(ctx context.Context, tx pgx.Tx, env importflow.Env, t importflow.Table) (importflow.RowFuncs, error) {
		set, err := referral.GetSettings(ctx, tx, env.TenantID)
		if err != nil {
			return importflow.RowFuncs{}, err
		}
		loc := set.Location()
		byID, byName := map[uuid.UUID]string{}, map[string][]uuid.UUID{}
		rows, err := tx.Query(ctx, `SELECT id, name FROM partners WHERE tenant_id = $1`, env.TenantID)
		if err != nil {
			return importflow.RowFuncs{}, err
		}
		for rows.Next() {
			var id uuid.UUID
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return importflow.RowFuncs{}, err
			}
			byID[id] = name
			key := strings.ToLower(strings.Join(strings.Fields(name), " "))
			byName[key] = append(byName[key], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return importflow.RowFuncs{}, err
		}
		check := func(_ context.Context, rec importflow.Record) importflow.Checked {
			row, errs := decodeReferralRow(rec, loc, env.Now)
			if id, err := uuid.Parse(row.Partner); err == nil {
				if name, ok := byID[id]; ok {
					row.partnerID, row.partnerLabel = id, name
				} else {
					errs = append(errs, "partner: no partner of yours has the id "+row.Partner)
				}
			} else if row.Partner != "" {
				ids := byName[strings.ToLower(strings.Join(strings.Fields(row.Partner), " "))]
				switch len(ids) {
				case 0:
					errs = append(errs, "partner: no partner of yours is called “"+csvin.Clip(row.Partner)+"”")
				case 1:
					row.partnerID, row.partnerLabel = ids[0], byID[ids[0]]
				default:
					errs = append(errs, "partner: several partners are called “"+csvin.Clip(row.Partner)+"”; give the partner's id instead")
				}
			}
			submitted := ""
			if row.Submitted != nil {
				submitted = row.Submitted.In(loc).Format(dayFormat)
			}
			label := row.partnerLabel
			if label == "" {
				label = row.Partner
			}
			contact := row.Contact
			return importflow.Checked{Value: row, Errors: errs, Cells: []importflow.Cell{{Text: label}, {Text: row.Direction},
				{Text: row.Company, Note: row.Domain}, {Text: contact, Note: row.Email}, {Text: submitted}}}
		}
		write := func(ctx context.Context, tx pgx.Tx, _ importflow.Record, v any) (importflow.Written, error) {
			row := v.(refImportRow)
			n := s.notifier()
			if row.Submitted != nil {
				at := *row.Submitted
				n.Now = func() time.Time { return at }
			}
			ref, _, err := referral.Submit(ctx, tx, n, env.TenantID, referral.SubmitInput{
				Direction: row.Direction, PartnerID: row.partnerID, ClientCompany: row.Company, ClientDomain: row.Domain,
				ContactName: row.Contact, ContactEmail: row.Email, ContactPhone: row.Phone, Challenge: row.Challenge,
				Urgency: row.Urgency, EstimatedValue: row.Value, Source: "import", SubmittedBy: env.UserID})
			if err != nil {
				return importflow.Written{}, err
			}
			w := importflow.Written{Outcome: "New referral", Key: row.partnerID.String() + "/" + strings.ToLower(row.Company)}
			if ref.ConflictStatus == "open" {
				w.Outcome, w.Tone = "New, with a conflict to resolve", "warning"
				w.Warnings = append(w.Warnings, ref.ConflictNote)
			}
			return w, nil
		}
		return importflow.RowFuncs{Check: check, Write: write}, nil
	}
	rs.After = func(ctx context.Context, tx pgx.Tx, env importflow.Env, written int) error {
		return audit.Record(ctx, tx, env.TenantID, "referral.imported", "referral", "", map[string]any{"referrals": written})
	}
	return &importKind{Spec: importflow.FromRows(rs), Cap: auth.ManagePartners, Title: "Import referrals", Section: "referrals",
		Intro: "Record referrals from a spreadsheet or another system, as if each was entered by hand: the same checks, and duplicates and attribution conflicts caught row by row. You'll see every row and its problems first; nothing is saved until you confirm, and then every good row is saved together.",
		Back:  "/referrals", Done: "/referrals", Placeholder: "partner,client_company,contact_name,contact_email"}
}
