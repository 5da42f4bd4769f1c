package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/csvin"
	"github.com/allyway/allyway/internal/db"
)

// CSV import of client payments (revenue events).
//
// ParseRevenueCSV is pure: it reads a file into a RevenueImportPlan with
// each row's problems with its own cells. ImportRevenue then, in the
// caller's transaction, finds each row's engagement, checks every row as
// RecordRevenue does (same rules, same messages), writes them all in one
// statement — 50,000 calls of RecordRevenue would take minutes — and
// accrues them: all rows or none, a single row with an error writes
// nothing. PreviewRevenueImport does the same and always rolls back, so
// the preview shows exactly what confirming would write, commissions
// included (for files up to AccrueInlineMaxRows; larger imports are
// accrued by the accrual job right after they commit).
//
// Dates are ISO (2025-03-10) or day, month name, year (10 Mar 2025 or
// 10 March 2025). Slashed dates (03/04/2025) are refused: they read
// differently in the US and elsewhere.

// The limits of a revenue import.
const (
	RevenueImportMaxBytes = 5_000_000
	RevenueImportMaxRows  = 50_000
)

// RevenueImportOptions bound an import; zero values take the defaults.
type RevenueImportOptions struct {
	MaxBytes int64
	MaxRows  int
}

// RevenueImportIssue is what is wrong with one cell (Field names its
// column) or one line (Field "").
type RevenueImportIssue struct {
	Line    int
	Field   string
	Message string
}

func (e RevenueImportIssue) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, %s: %s", e.Line, e.Field, e.Message)
}

// RevenueImportFileError is a problem with the file as a whole (not text,
// too large, no header); it names the line where it was found.
type RevenueImportFileError struct {
	Line    int
	Message string
}

func (e *RevenueImportFileError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// RevenueImportRow is one payment line of the file.
type RevenueImportRow struct {
	Line int
	// As read from the file.
	Referral       string    // the cell as given ("R-1024")
	ReferralNumber int64     // 0 when the cell is empty or holds an id
	ReferralID     uuid.UUID // when the referral cell holds an id
	EngagementID   uuid.UUID // the engagement_id column
	Engagement     string    // the engagement's name, to choose among the referral's
	AmountCents    int64
	Currency       string // "" → the engagement's
	PaidOn         time.Time
	ExternalRef    string
	RefundOf       string // the external reference of the payment a refund refunds
	Note           string
	Errors         []RevenueImportIssue

	// Filled in by ImportRevenue / PreviewRevenueImport.
	Resolved       uuid.UUID // the engagement the payment is recorded on
	ResolvedRef    uuid.UUID // its referral
	EngagementName string
	ReferralNo     int64
	PartnerName    string
	ClientCompany  string
	EventID        uuid.UUID // the revenue event written
	AccrualStatus  string
	AccrualNote    string
	AccruedCents   int64      // what the accrual entries of the payment add up to
	DueOn          *time.Time // the earliest due date of those entries

	partnerID, refundOfID uuid.UUID
	engagementCurrency    string
}

// RevenueImportPlan is a parsed file.
type RevenueImportPlan struct {
	Delimiter rune
	Columns   []string // the recognised columns, by their canonical name, in file order
	Ignored   []string // headers of columns that are not imported
	Warnings  []string // about the file as a whole
	Rows      []RevenueImportRow
}

// ErrorRows is the number of rows with errors.
func (p RevenueImportPlan) ErrorRows() int {
	n := 0
	for _, r := range p.Rows {
		if len(r.Errors) > 0 {
			n++
		}
	}
	return n
}

// Issues lists every row error in line order.
func (p RevenueImportPlan) Issues() []RevenueImportIssue {
	var out []RevenueImportIssue
	for _, r := range p.Rows {
		out = append(out, r.Errors...)
	}
	return out
}

// Hash identifies what the plan would write — each row's facts and, once
// resolved, its engagement — so a confirmation writes what was previewed.
func (p RevenueImportPlan) Hash() string {
	h := sha256.New()
	for _, r := range p.Rows {
		fmt.Fprintf(h, "%d\x1f%s\x1f%s\x1f%d\x1f%s\x1f%s\x1f%q\x1f%q\x1f%q\x1e", r.Line, r.Resolved, r.EngagementID,
			r.AmountCents, r.Currency, r.PaidOn.Format(time.DateOnly), r.ExternalRef, r.RefundOf, r.Note)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Column names.
const (
	RevColReferral     = "referral"
	RevColEngagementID = "engagement_id"
	RevColEngagement   = "engagement"
	RevColAmount       = "amount"
	RevColPaidOn       = "paid_on"
	RevColCurrency     = "currency"
	RevColExternalRef  = "external_ref"
	RevColRefundOf     = "refund_of"
	RevColNote         = "note"
)

// RevenueImportColumns are the template's columns, in order.
var RevenueImportColumns = []string{RevColReferral, RevColEngagement, RevColAmount, RevColPaidOn, RevColCurrency,
	RevColExternalRef, RevColRefundOf, RevColNote, RevColEngagementID}

// revColumnAliases maps a squeezed header (lower case without spaces,
// underscores, hyphens or dots) to its column.
var revColumnAliases = map[string]string{
	"referral": RevColReferral, "referralnumber": RevColReferral, "referralno": RevColReferral,
	"referral#": RevColReferral, "referralref": RevColReferral, "referralid": RevColReferral,
	"engagementid": RevColEngagementID, "engagementuuid": RevColEngagementID,
	"engagement": RevColEngagement, "engagementname": RevColEngagement, "project": RevColEngagement,
	"projectname": RevColEngagement,
	"amount":      RevColAmount, "amountpaid": RevColAmount, "paidamount": RevColAmount, "payment": RevColAmount,
	"paymentamount": RevColAmount, "amountusd": RevColAmount, "total": RevColAmount,
	"paidon": RevColPaidOn, "paiddate": RevColPaidOn, "datepaid": RevColPaidOn, "paymentdate": RevColPaidOn,
	"date": RevColPaidOn, "paid": RevColPaidOn, "paidat": RevColPaidOn,
	"currency": RevColCurrency, "ccy": RevColCurrency, "cur": RevColCurrency,
	"externalref": RevColExternalRef, "externalreference": RevColExternalRef, "reference": RevColExternalRef,
	"ref": RevColExternalRef, "invoice": RevColExternalRef, "invoicenumber": RevColExternalRef,
	"invoiceno": RevColExternalRef, "invoice#": RevColExternalRef, "paymentref": RevColExternalRef,
	"paymentreference": RevColExternalRef, "transactionid": RevColExternalRef,
	"refundof": RevColRefundOf, "refunds": RevColRefundOf, "refundfor": RevColRefundOf,
	"originalref": RevColRefundOf, "originalreference": RevColRefundOf, "creditnotefor": RevColRefundOf,
	"note": RevColNote, "notes": RevColNote, "memo": RevColNote, "comment": RevColNote, "comments": RevColNote,
	"description": RevColNote,
}

// Cell limits (those of RecordRevenue and the engagements table).
const (
	revMaxRefLen        = 200
	revMaxNoteLen       = 2000
	revMaxEngagementLen = 200
	revMaxColumns       = 200
)

// ParseRevenueCSV reads a CSV of client payments. The error is about the
// file as a whole (*RevenueImportFileError); problems with single rows are
// in the plan's rows.
func ParseRevenueCSV(r io.Reader, opt RevenueImportOptions) (RevenueImportPlan, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = RevenueImportMaxBytes
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = RevenueImportMaxRows
	}
	data, err := io.ReadAll(io.LimitReader(r, opt.MaxBytes+1))
	if err != nil {
		return RevenueImportPlan{}, err
	}
	fileErr := func(line int, format string, args ...any) (RevenueImportPlan, error) {
		return RevenueImportPlan{}, &RevenueImportFileError{Line: line, Message: fmt.Sprintf(format, args...)}
	}
	if int64(len(data)) > opt.MaxBytes {
		return fileErr(1+bytes.Count(data[:opt.MaxBytes], []byte{'\n'}),
			"the file is over %s; split it into smaller files and import them one after the other", revSizeText(opt.MaxBytes))
	}
	data, line, msg := csvin.CheckText(data, "payment")
	if msg != "" {
		return fileErr(line, "%s", msg)
	}

	plan := RevenueImportPlan{Delimiter: csvin.DetectDelimiter(data)}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = plan.Delimiter
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fileErr(max(pe.StartLine, 1), "the header row can't be read: %s", csvin.ErrText(pe.Err))
		}
		return fileErr(1, "the file has no header row")
	}
	headerLine, _ := cr.FieldPos(0)
	if len(header) > revMaxColumns {
		return fileErr(headerLine, "the header row has %d columns; an import reads at most %d", len(header), revMaxColumns)
	}
	cols := make([]string, len(header))
	seen := map[string]string{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		key, ok := revColumnAliases[csvin.Squeeze(h)]
		switch {
		case h == "":
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
	var missing []string
	if seen[RevColReferral] == "" && seen[RevColEngagementID] == "" {
		missing = append(missing, "“referral” (like R-1024) or “engagement_id”")
	}
	if seen[RevColAmount] == "" {
		missing = append(missing, "“amount”")
	}
	if seen[RevColPaidOn] == "" {
		missing = append(missing, "“paid_on”")
	}
	if len(missing) > 0 {
		return fileErr(headerLine, "the header row has no %s column; the first row must name the columns, e.g. referral, amount, paid_on, external_ref",
			strings.Join(missing, " and no "))
	}
	if len(plan.Ignored) > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("line %d: these columns are not imported: %s", headerLine, strings.Join(plan.Ignored, ", ")))
	}

	refLines := map[string]int{} // external_ref → the line that has it
	for {
		lastOffset := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if len(plan.Rows) >= opt.MaxRows && (err != nil || !csvin.Blank(rec)) {
			line := 0
			if err == nil {
				line, _ = cr.FieldPos(0)
			} else {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
			}
			return fileErr(line, "the file has more than %s payments; split it into smaller files and import them one after the other",
				revThousands(opt.MaxRows))
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return RevenueImportPlan{}, err
			}
			plan.Rows = append(plan.Rows, RevenueImportRow{Line: pe.StartLine,
				Errors: []RevenueImportIssue{{Line: pe.StartLine, Message: "the row can't be read: " + csvin.ErrText(pe.Err)}}})
			if cr.InputOffset() == lastOffset {
				break // no progress: stop rather than loop
			}
			continue
		}
		if csvin.Blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		row := revParseRow(line, rec, cols)
		if len(rec) > len(header) {
			for _, v := range rec[len(header):] {
				if strings.TrimSpace(v) != "" {
					row.Errors = append(row.Errors, RevenueImportIssue{Line: line,
						Message: fmt.Sprintf("the row has %d cells but the header %d; put every value under a named column", len(rec), len(header))})
					break
				}
			}
		}
		if row.ExternalRef != "" {
			if first, dup := refLines[row.ExternalRef]; dup {
				row.Errors = append(row.Errors, RevenueImportIssue{Line: line, Field: RevColExternalRef,
					Message: fmt.Sprintf("“%s” is also on line %d; each payment's reference must be unique", csvin.Clip(row.ExternalRef), first)})
			} else {
				refLines[row.ExternalRef] = line
			}
		}
		plan.Rows = append(plan.Rows, row)
	}
	if len(plan.Rows) == 0 {
		return fileErr(headerLine, "the file has a header row but no payments below it")
	}
	return plan, nil
}

var referralNumberRE = regexp.MustCompile(`^(?i:r-?\s*|#)?([0-9]{1,18})$`)

// revParseRow reads one record's cells.
func revParseRow(line int, rec []string, cols []string) RevenueImportRow {
	row := RevenueImportRow{Line: line}
	get := map[string]string{}
	for i, v := range rec {
		if i < len(cols) && cols[i] != "" {
			get[cols[i]] = strings.TrimSpace(v)
		}
	}
	bad := func(field, format string, args ...any) {
		row.Errors = append(row.Errors, RevenueImportIssue{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	text := func(field string, limit int, multiline bool) string {
		v := get[field]
		if len(v) > limit {
			bad(field, "keep it under %d characters", limit)
			return ""
		}
		if csvin.HasControl(v, multiline) {
			bad(field, "contains a control character")
			return ""
		}
		return v
	}

	row.Referral = text(RevColReferral, 100, false)
	if v := row.Referral; v != "" {
		if id, err := uuid.Parse(v); err == nil {
			row.ReferralID = id
		} else if m := referralNumberRE.FindStringSubmatch(v); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil || n <= 0 {
				bad(RevColReferral, "'%s' is not a referral number like R-1024", csvin.Clip(v))
			} else {
				row.ReferralNumber = n
			}
		} else {
			bad(RevColReferral, "'%s' is not a referral number like R-1024 or 1024", csvin.Clip(v))
		}
	}
	if v := text(RevColEngagementID, 100, false); v != "" {
		if id, err := uuid.Parse(v); err == nil {
			row.EngagementID = id
		} else {
			bad(RevColEngagementID, "'%s' is not an engagement id (a UUID like 0b6c…)", csvin.Clip(v))
		}
	}
	row.Engagement = text(RevColEngagement, revMaxEngagementLen, false)
	if row.Referral == "" && get[RevColEngagementID] == "" && !revHasField(row.Errors, RevColReferral, RevColEngagementID) {
		bad(RevColReferral, "say which referral the payment is for (like R-1024), or give the engagement_id")
	}

	if v := get[RevColAmount]; v == "" {
		bad(RevColAmount, "enter the amount paid (negative for a refund or credit note)")
	} else if c, msg := ParseSignedAmount(v); msg != "" {
		bad(RevColAmount, "'%s': %s", csvin.Clip(v), msg)
	} else {
		row.AmountCents = c
	}

	if v := get[RevColPaidOn]; v == "" {
		bad(RevColPaidOn, "enter the day the client paid, like 2025-03-10")
	} else if d, msg := ParsePaidOn(v); msg != "" {
		bad(RevColPaidOn, "%s", msg)
	} else {
		row.PaidOn = d
	}

	if v := get[RevColCurrency]; v != "" {
		cur := strings.ToUpper(v)
		if !currencyRE.MatchString(cur) {
			bad(RevColCurrency, "'%s' is not a 3-letter currency code like USD", csvin.Clip(v))
		} else {
			row.Currency = cur
		}
	}
	row.ExternalRef = text(RevColExternalRef, revMaxRefLen, false)
	row.RefundOf = text(RevColRefundOf, revMaxRefLen, false)
	if row.RefundOf != "" {
		switch {
		case row.AmountCents > 0:
			bad(RevColRefundOf, "a refund must have a negative amount")
		case row.RefundOf == row.ExternalRef:
			bad(RevColRefundOf, "a payment can't refund itself")
		}
	}
	row.Note = text(RevColNote, revMaxNoteLen, true)
	return row
}

func revHasField(is []RevenueImportIssue, fields ...string) bool {
	for _, i := range is {
		for _, f := range fields {
			if i.Field == f {
				return true
			}
		}
	}
	return false
}

// ParseSignedAmount reads an amount in dollars that may be negative (a
// refund or credit note): "20,000.00", "-10000", "$1,250.50", "-$75",
// "(1,250.00)". It returns a message when the amount is not one, is zero
// or is too large.
func ParseSignedAmount(s string) (int64, string) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	for _, p := range []string{"-$", "$-", "-", "−", "$−", "−$"} {
		if strings.HasPrefix(s, p) {
			if neg {
				return 0, "use either parentheses or a minus sign"
			}
			neg, s = true, "$"+strings.TrimSpace(strings.TrimPrefix(s, p))
			break
		}
	}
	if s == "" || s == "$" {
		return 0, "enter the amount paid"
	}
	c, ok, msg := commission.ParseDollars(s)
	if !ok {
		if msg == "" || strings.Contains(msg, "negative") {
			msg = "Enter an amount in dollars, like 20,000.00 or -1250.50."
		}
		return 0, strings.TrimSuffix(strings.ToLower(msg[:1])+msg[1:], ".")
	}
	if c == 0 {
		return 0, "must not be zero (negative for a refund or credit note)"
	}
	if c > commission.MaxAmountCents {
		return 0, "that amount is too large"
	}
	if neg {
		c = -c
	}
	return c, ""
}

var slashedDateRE = regexp.MustCompile(`^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}$`)

// ParsePaidOn reads a payment date: ISO (2025-03-10) or day, month name
// and year (10 Mar 2025, 10 March 2025). It returns a message otherwise.
func ParsePaidOn(s string) (time.Time, string) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{time.DateOnly, "2 Jan 2006", "2 January 2006", "2-Jan-2006", "2-January-2006"} {
		if d, err := time.Parse(layout, s); err == nil {
			if d.Year() < 2000 || d.Year() > 9999 {
				return time.Time{}, fmt.Sprintf("'%s' is not a real payment date", csvin.Clip(s))
			}
			return d, ""
		}
	}
	if slashedDateRE.MatchString(s) {
		return time.Time{}, fmt.Sprintf("'%s' could be read two ways (day/month or month/day); write it as 2025-03-10 (year-month-day) or 10 Mar 2025", csvin.Clip(s))
	}
	return time.Time{}, fmt.Sprintf("'%s' is not a date like 2025-03-10 or 10 Mar 2025", csvin.Clip(s))
}

func revSizeText(n int64) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%d MB", n/1_000_000)
	}
	if n >= 1_000_000 {
		return fmt.Sprintf("%.1f MB", float64(n)/1_000_000)
	}
	if n >= 1000 {
		return fmt.Sprintf("%d KB", n/1000)
	}
	return fmt.Sprintf("%d bytes", n)
}

func revThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// RevenueTemplateCSV is a file to start from: the header and examples — a
// payment, a second invoice, a refund of part of it.
func RevenueTemplateCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(RevenueImportColumns)
	_ = w.Write([]string{"R-1024", "", "20,000.00", "2025-03-10", "USD", "INV-2025-0042", "", "First invoice", ""})
	_ = w.Write([]string{"R-1024", "", "30,000.00", "2025-05-10", "USD", "INV-2025-0057", "", "", ""})
	_ = w.Write([]string{"R-1024", "", "-2,500.00", "2025-06-01", "USD", "CN-2025-0003", "INV-2025-0057", "Credit note: scope reduced", ""})
	w.Flush()
	return b.Bytes()
}

// RevenueImportInput says who imports and when.
type RevenueImportInput struct {
	CreatedBy uuid.UUID
	// Now is the time of the import: accrual's clock, and (in the firm's
	// time zone) the day no payment may be after.
	Now time.Time
	// Hash, when set, is the previewed plan's: if the plan resolves to
	// something else now, nothing is written and ErrRevenueImportChanged
	// is returned.
	Hash string
}

// RevenueImportResult counts what an import wrote (or, previewed, would write).
type RevenueImportResult struct {
	Payments int // rows with a positive amount
	Refunds  int // rows with a negative amount
	// Totals are the rows' amounts and AccruedTotals what their accrual
	// entries add up to, per currency, in the currencies' first order.
	Totals        []RevenueAmount
	AccruedTotals []RevenueAmount
	Accrual       Stats
	// AccrualDeferred: the import is larger than AccrueInlineMaxRows; its
	// payments are pending, for the accrual job.
	AccrualDeferred bool
	// Flagged are the rows with no agreement in force (recorded,
	// nothing accrued until resolved).
	Flagged    int
	NothingDue int
}

// RevenueAmount is an amount in one currency.
type RevenueAmount struct {
	Currency    string
	AmountCents int64
}

// ErrRevenueImportRows: some rows have errors (in the plan's rows);
// nothing was written.
var ErrRevenueImportRows = &apperr.Error{Code: apperr.EInvalid, Message: "Some rows have errors, so nothing was imported."}

// ErrRevenueImportChanged: the plan resolves differently than when it was
// previewed; nothing was written.
var ErrRevenueImportChanged = &apperr.Error{Code: apperr.EConflict, Message: "The payments changed since the preview."}

// ImportRevenue records the plan's payments in tx: all rows (in one
// statement, after RecordRevenue's checks on each: see checkRevenue),
// then their accrual (up to AccrueInlineMaxRows rows; else the result
// says AccrualDeferred and the caller enqueues AccrueArgs in tx), then one
// audit row for the import — or, when any row
// has an error (unknown or ambiguous engagement, reference already
// recorded, future date, another currency, a refund of more than is
// left, …), nothing, with ErrRevenueImportRows and the errors in the
// plan's rows. Imports are serialised per firm. The plan's rows are
// filled in with what was written.
func ImportRevenue(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, plan *RevenueImportPlan, in RevenueImportInput) (RevenueImportResult, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('revenue-import'), hashtext($1::text))`, tenantID); err != nil {
		return RevenueImportResult{}, apperr.Internal(err)
	}
	return inSavepoint(ctx, tx, false, func(sp pgx.Tx) (RevenueImportResult, error) {
		return importRevenue(ctx, sp, tenantID, plan, in, len(plan.Rows) <= AccrueInlineMaxRows)
	})
}

// AccrueInlineMaxRows bounds the imports accrued in their own
// transaction (a few seconds at most). A larger import leaves its payments
// pending (RevenueImportResult.AccrualDeferred): the caller enqueues
// AccrueArgs in the same transaction, and the job accrues them right after
// the commit. Its preview checks and writes the rows (then rolls back) but
// does not compute the commissions.
const AccrueInlineMaxRows = 5000

// PreviewRevenueImport does what ImportRevenue would and rolls it back:
// the plan's rows get their errors, or their engagement and accrual.
// Returns ErrRevenueImportRows when some rows have errors.
func PreviewRevenueImport(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, plan *RevenueImportPlan, in RevenueImportInput) (RevenueImportResult, error) {
	in.Hash = ""
	return inSavepoint(ctx, tx, true, func(sp pgx.Tx) (RevenueImportResult, error) {
		return importRevenue(ctx, sp, tenantID, plan, in, len(plan.Rows) <= AccrueInlineMaxRows)
	})
}

// inSavepoint runs fn in a savepoint of tx, rolled back when fn fails or
// always is set.
func inSavepoint[T any](ctx context.Context, tx pgx.Tx, always bool, fn func(pgx.Tx) (T, error)) (T, error) {
	var zero T
	sp, err := tx.Begin(ctx)
	if err != nil {
		return zero, apperr.Internal(err)
	}
	v, err := fn(sp)
	if err != nil || always {
		if rerr := sp.Rollback(ctx); rerr != nil && err == nil {
			return zero, apperr.Internal(rerr)
		}
		return v, err
	}
	if err := sp.Commit(ctx); err != nil {
		return zero, apperr.Internal(err)
	}
	return v, nil
}

// impEngagement is an engagement a row may name.
type impEngagement struct {
	id, referralID uuid.UUID
	name           string
	currency       string
}

type impReferral struct {
	id, partnerID uuid.UUID
	number        int64
	clientCompany string
	partnerName   string
	engagements   []impEngagement
}

func importRevenue(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, plan *RevenueImportPlan, in RevenueImportInput, accrue bool) (RevenueImportResult, error) {
	var res RevenueImportResult
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	var today time.Time
	if err := tx.QueryRow(ctx, `SELECT ($2::timestamptz AT TIME ZONE
			coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC'))::date`, tenantID, in.Now).Scan(&today); err != nil {
		return res, apperr.Internal(err)
	}
	if err := resolveRevenueRows(ctx, tx, tenantID, plan); err != nil {
		return res, err
	}
	if in.Hash != "" && in.Hash != plan.Hash() {
		return res, ErrRevenueImportChanged
	}
	recorded, err := refundedPayments(ctx, tx, tenantID, plan)
	if err != nil {
		return res, err
	}

	// Each row, in file order, with RecordRevenue's checks: a refund can
	// name a payment of an earlier line, and sees what earlier lines
	// refunded of it.
	inFile := map[string]*paymentLeft{}
	for i := range plan.Rows {
		row := &plan.Rows[i]
		if len(row.Errors) > 0 {
			continue
		}
		id, err := uuid.NewV7() // in file order: accrual takes same-day payments in this order
		if err != nil {
			return res, apperr.Internal(err)
		}
		var orig *paymentLeft
		if row.RefundOf != "" {
			if orig = inFile[row.RefundOf]; orig == nil {
				orig = recorded[row.RefundOf]
			}
			if orig == nil {
				row.Errors = append(row.Errors, RevenueImportIssue{Line: row.Line, Field: RevColRefundOf,
					Message: fmt.Sprintf("no payment with reference “%s” is recorded or on an earlier line", csvin.Clip(row.RefundOf))})
				continue
			}
		}
		if fe := checkRevenue(RevenueInput{EngagementID: row.Resolved, AmountCents: row.AmountCents, Currency: row.Currency,
			PaidOn: row.PaidOn, ExternalRef: row.ExternalRef, Note: row.Note, Source: SourceImport, Today: today},
			row.engagementCurrency, orig); len(fe) > 0 {
			row.Errors = append(row.Errors, recordIssues(row.Line, apperr.Invalid(fe))...)
			continue
		}
		row.EventID = id
		if orig != nil {
			orig.refunded += -row.AmountCents
			row.refundOfID = orig.id
		}
		if row.ExternalRef != "" {
			inFile[row.ExternalRef] = &paymentLeft{id: id, engagementID: row.Resolved, amount: row.AmountCents, paidOn: row.PaidOn}
		}
	}
	if plan.ErrorRows() > 0 {
		for i := range plan.Rows {
			plan.Rows[i].EventID = uuid.Nil
		}
		return res, ErrRevenueImportRows
	}
	if err := insertRevenueRows(ctx, tx, tenantID, plan, in.CreatedBy); err != nil {
		return res, err
	}

	if accrue {
		// Batches until no pending event is left (the firm's other pending
		// events too — the periodic job would accrue them anyway). The
		// rows just written have no statistics yet: a generic plan of
		// accrual's bookkeeping UPDATE would probe every pending row once
		// per event of the batch (minutes for 50,000 rows), a custom plan
		// sees the batch's size and hashes it (seconds). SET LOCAL ends
		// with the transaction (or this savepoint).
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return res, apperr.Internal(err)
		}
		for {
			st, err := AccrueBatch(ctx, tx, tenantID, DefaultBatch, in.Now)
			if err != nil {
				return res, err
			}
			res.Accrual.add(st)
			if st.Events < DefaultBatch {
				break
			}
		}
		if err := fillOutcomes(ctx, tx, tenantID, plan); err != nil {
			return res, err
		}
	} else {
		res.AccrualDeferred = true
	}

	totals := map[string]int64{}
	accrued := map[string]int64{}
	var order []string
	for _, row := range plan.Rows {
		if row.AmountCents < 0 {
			res.Refunds++
		} else {
			res.Payments++
		}
		if _, ok := totals[row.Currency]; !ok {
			order = append(order, row.Currency)
		}
		totals[row.Currency] += row.AmountCents
		accrued[row.Currency] += row.AccruedCents
		switch row.AccrualStatus {
		case StatusNoAgreement:
			res.Flagged++
		case StatusNothingDue:
			res.NothingDue++
		}
	}
	for _, c := range order {
		res.Totals = append(res.Totals, RevenueAmount{c, totals[c]})
		res.AccruedTotals = append(res.AccruedTotals, RevenueAmount{c, accrued[c]})
	}
	detail := map[string]any{"rows": len(plan.Rows), "payments": res.Payments, "refunds": res.Refunds,
		"entries": res.Accrual.Entries, "accrual_deferred": res.AccrualDeferred, "no_agreement": res.Flagged, "nothing_due": res.NothingDue,
		"first_event_id": plan.Rows[0].EventID, "last_event_id": plan.Rows[len(plan.Rows)-1].EventID}
	for _, t := range res.Totals {
		detail["total_cents_"+strings.ToLower(t.Currency)] = t.AmountCents
	}
	if err := audit.Record(ctx, tx, tenantID, "revenue.imported", "revenue_event", "", detail); err != nil {
		return res, apperr.Internal(err)
	}
	return res, nil
}

// refundedPayments reads the recorded payments the plan's refunds name,
// by external reference.
func refundedPayments(ctx context.Context, q db.Querier, tenantID uuid.UUID, plan *RevenueImportPlan) (map[string]*paymentLeft, error) {
	var refs []string
	for _, row := range plan.Rows {
		if row.RefundOf != "" && len(row.Errors) == 0 {
			refs = append(refs, row.RefundOf)
		}
	}
	out := map[string]*paymentLeft{}
	if len(refs) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT o.external_ref, o.id, o.engagement_id, o.amount_cents, o.paid_on,
			coalesce((SELECT -sum(x.amount_cents) FROM revenue_events x WHERE x.tenant_id = o.tenant_id AND x.refund_of_id = o.id), 0)
		FROM revenue_events o WHERE o.tenant_id = $1 AND o.external_ref = ANY($2)`, tenantID, refs)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref string
		var id, eng pgtype.UUID
		p := &paymentLeft{}
		if err := rows.Scan(&ref, &id, &eng, &p.amount, &p.paidOn, &p.refunded); err != nil {
			return nil, apperr.Internal(err)
		}
		p.id, p.engagementID = id.Bytes, eng.Bytes
		out[ref] = p
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// insertRevenueRows writes the plan's payments in one statement, as
// pending accrual, with the ids checked rows were given.
func insertRevenueRows(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, plan *RevenueImportPlan, createdBy uuid.UUID) error {
	n := len(plan.Rows)
	ids, engs, refs, partners, refundOf := make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n)
	amounts := make([]int64, n)
	curs, notes := make([]string, n), make([]string, n)
	paid := make([]time.Time, n)
	extRefs := make([]pgtype.Text, n)
	for i, row := range plan.Rows {
		ids[i] = pgtype.UUID{Bytes: row.EventID, Valid: true}
		engs[i] = pgtype.UUID{Bytes: row.Resolved, Valid: true}
		refs[i] = pgtype.UUID{Bytes: row.ResolvedRef, Valid: true}
		partners[i] = pgtype.UUID{Bytes: row.partnerID, Valid: true}
		refundOf[i] = pgtype.UUID{Bytes: row.refundOfID, Valid: row.refundOfID != uuid.Nil}
		amounts[i], curs[i], notes[i], paid[i] = row.AmountCents, row.Currency, row.Note, day(row.PaidOn)
		extRefs[i] = pgtype.Text{String: row.ExternalRef, Valid: row.ExternalRef != ""}
	}
	var by *uuid.UUID
	if createdBy != uuid.Nil {
		by = &createdBy
	}
	_, err := tx.Exec(ctx, `INSERT INTO revenue_events (tenant_id, id, engagement_id, referral_id, partner_id,
			amount_cents, currency, paid_on, refund_of_id, external_ref, note, source, created_by)
		SELECT $1, u.id, u.eng, u.ref, u.partner, u.amount, u.cur, u.paid, u.refund_of, u.ext, u.note, 'import', $2
		FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::bigint[], $8::text[], $9::date[], $10::uuid[],
			$11::text[], $12::text[]) WITH ORDINALITY AS u(id, eng, ref, partner, amount, cur, paid, refund_of, ext, note, n)
		ORDER BY u.n`, tenantID, by, ids, engs, refs, partners, amounts, curs, paid, refundOf, extRefs, notes)
	if db.IsUniqueViolation(err, "revenue_events_external_ref_key") {
		return &apperr.Error{Code: apperr.EConflict, Message: "A payment with one of the file's references was recorded while the file was being imported; upload the file again."}
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// recordIssues turns RecordRevenue's error into the row's issues, with the
// file's column names.
func recordIssues(line int, err error) []RevenueImportIssue {
	fe := apperr.FieldErrors(err)
	if len(fe) == 0 {
		field := ""
		if apperr.Message(err) == "Refunded payment not found." {
			field = RevColRefundOf
		}
		return []RevenueImportIssue{{Line: line, Field: field, Message: revLower(apperr.Message(err))}}
	}
	var out []RevenueImportIssue
	for _, k := range []string{"amount_cents", "currency", "paid_on", "refund_of_id", "external_ref", "note", "source"} {
		msg, ok := fe[k]
		if !ok {
			continue
		}
		field := k
		switch k {
		case "amount_cents":
			field = RevColAmount
		case "refund_of_id":
			field = RevColRefundOf
		case "source":
			field = ""
		}
		if k == "external_ref" && apperr.Code(err) == apperr.EConflict {
			msg = apperr.Message(err)
		}
		out = append(out, RevenueImportIssue{Line: line, Field: field, Message: revLower(msg)})
	}
	return out
}

// revLower makes a sentence a clause: "Can't be in the future." → "can't be in the future".
func revLower(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	if n < len(s) {
		if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
			return s // an acronym: leave it
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// resolveRevenueRows finds each row's engagement (by referral number or
// id, and engagement name, or by engagement id) and marks references
// already recorded, with a few queries for the whole file.
func resolveRevenueRows(ctx context.Context, q db.Querier, tenantID uuid.UUID, plan *RevenueImportPlan) error {
	var numbers []int64
	var refIDs, engIDs []uuid.UUID
	var extRefs []string
	for _, row := range plan.Rows {
		if len(row.Errors) > 0 {
			continue
		}
		if row.ReferralNumber > 0 {
			numbers = append(numbers, row.ReferralNumber)
		}
		if row.ReferralID != uuid.Nil {
			refIDs = append(refIDs, row.ReferralID)
		}
		if row.EngagementID != uuid.Nil {
			engIDs = append(engIDs, row.EngagementID)
		}
		if row.ExternalRef != "" {
			extRefs = append(extRefs, row.ExternalRef)
		}
	}
	byNumber := map[int64]*impReferral{}
	byID := map[uuid.UUID]*impReferral{}
	engByID := map[uuid.UUID]impEngagement{}
	if len(numbers)+len(refIDs)+len(engIDs) > 0 {
		rows, err := q.Query(ctx, `SELECT r.id, r.number, r.client_company, p.id, p.name, g.id, g.name, g.currency
			FROM referrals r
			JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = coalesce(r.credited_partner_id, r.partner_id)
			LEFT JOIN engagements g ON g.tenant_id = r.tenant_id AND g.referral_id = r.id
			WHERE r.tenant_id = $1 AND (r.number = ANY($2) OR r.id = ANY($3)
				OR r.id IN (SELECT e.referral_id FROM engagements e WHERE e.tenant_id = $1 AND e.id = ANY($4)))
			ORDER BY r.number, g.started_on, g.created_at, g.id`, tenantID, numbers, pgUUIDs(refIDs), pgUUIDs(engIDs))
		if err != nil {
			return apperr.Internal(err)
		}
		for rows.Next() {
			var rid, pid, gid pgtype.UUID
			var number int64
			var company, partnerName string
			var gname, gcur *string
			if err := rows.Scan(&rid, &number, &company, &pid, &partnerName, &gid, &gname, &gcur); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			ref := byID[rid.Bytes]
			if ref == nil {
				ref = &impReferral{id: rid.Bytes, partnerID: pid.Bytes, number: number, clientCompany: company, partnerName: partnerName}
				byID[ref.id] = ref
				byNumber[number] = ref
			}
			if gid.Valid {
				g := impEngagement{id: gid.Bytes, referralID: ref.id, name: *gname, currency: *gcur}
				ref.engagements = append(ref.engagements, g)
				engByID[g.id] = g
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
	}
	recorded := map[string]bool{}
	if len(extRefs) > 0 {
		rows, err := q.Query(ctx, `SELECT external_ref FROM revenue_events WHERE tenant_id = $1 AND external_ref = ANY($2)`, tenantID, extRefs)
		if err != nil {
			return apperr.Internal(err)
		}
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return apperr.Internal(err)
		}
		for _, r := range refs {
			recorded[r] = true
		}
	}

	for i := range plan.Rows {
		row := &plan.Rows[i]
		if len(row.Errors) > 0 {
			continue
		}
		bad := func(field, format string, args ...any) {
			row.Errors = append(row.Errors, RevenueImportIssue{Line: row.Line, Field: field, Message: fmt.Sprintf(format, args...)})
		}
		var ref *impReferral
		switch {
		case row.ReferralNumber > 0:
			ref = byNumber[row.ReferralNumber]
			if ref == nil {
				bad(RevColReferral, "there is no referral R-%d", row.ReferralNumber)
				continue
			}
		case row.ReferralID != uuid.Nil:
			ref = byID[row.ReferralID]
			if ref == nil {
				bad(RevColReferral, "there is no referral with the id %s", row.ReferralID)
				continue
			}
		}
		var eng impEngagement
		if row.EngagementID != uuid.Nil {
			g, ok := engByID[row.EngagementID]
			if !ok {
				bad(RevColEngagementID, "there is no engagement with the id %s", row.EngagementID)
				continue
			}
			if ref != nil && g.referralID != ref.id {
				bad(RevColEngagementID, "that engagement is not one of R-%d's", ref.number)
				continue
			}
			if ref == nil {
				ref = byID[g.referralID]
			}
			eng = g
		} else {
			var matches []impEngagement
			for _, g := range ref.engagements {
				if row.Engagement == "" || strings.EqualFold(strings.TrimSpace(g.name), row.Engagement) {
					matches = append(matches, g)
				}
			}
			switch {
			case len(ref.engagements) == 0:
				bad(RevColReferral, "R-%d has no engagement yet; record the engagement the client is paying for first", ref.number)
				continue
			case len(matches) == 1:
				eng = matches[0]
			case row.Engagement == "":
				bad(RevColEngagement, "R-%d has %d engagements (%s); say which one in the engagement column", ref.number,
					len(ref.engagements), engagementNames(ref.engagements))
				continue
			case len(matches) == 0:
				bad(RevColEngagement, "R-%d has no engagement named “%s” (it has %s)", ref.number, csvin.Clip(row.Engagement),
					engagementNames(ref.engagements))
				continue
			default:
				bad(RevColEngagement, "R-%d has %d engagements named “%s”; give the engagement_id instead", ref.number,
					len(matches), csvin.Clip(row.Engagement))
				continue
			}
		}
		row.Resolved, row.EngagementName = eng.id, eng.name
		row.ReferralNo, row.PartnerName, row.ClientCompany = ref.number, ref.partnerName, ref.clientCompany
		row.ResolvedRef, row.partnerID, row.engagementCurrency = ref.id, ref.partnerID, eng.currency
		if row.Currency == "" {
			row.Currency = eng.currency
		}
		if recorded[row.ExternalRef] {
			bad(RevColExternalRef, "%s", revLower(apperr.Message(duplicateRef(row.ExternalRef))))
		}
	}
	return nil
}

func engagementNames(gs []impEngagement) string {
	names := make([]string, 0, len(gs))
	for i, g := range gs {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(gs)-5))
			break
		}
		names = append(names, "“"+csvin.Clip(g.name)+"”")
	}
	return strings.Join(names, ", ")
}

// fillOutcomes reads what accrual made of each written row.
func fillOutcomes(ctx context.Context, q db.Querier, tenantID uuid.UUID, plan *RevenueImportPlan) error {
	ids := make([]uuid.UUID, 0, len(plan.Rows))
	at := map[uuid.UUID]int{}
	for i, row := range plan.Rows {
		if row.EventID != uuid.Nil {
			ids = append(ids, row.EventID)
			at[row.EventID] = i
		}
	}
	rows, err := q.Query(ctx, `SELECT e.id, e.accrual_status, e.accrual_note,
			coalesce((SELECT sum(j.amount_cents) FROM journal_entries j
				WHERE j.tenant_id = e.tenant_id AND j.revenue_event_id = e.id AND j.kind IN ('accrual', 'reversal')), 0)::bigint,
			(SELECT min(j.due_on) FROM journal_entries j
				WHERE j.tenant_id = e.tenant_id AND j.revenue_event_id = e.id AND j.kind IN ('accrual', 'reversal'))
		FROM revenue_events e WHERE e.tenant_id = $1 AND e.id = ANY($2)`, tenantID, pgUUIDs(ids))
	if err != nil {
		return apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id pgtype.UUID
		var status, note string
		var sum int64
		var due *time.Time
		if err := rows.Scan(&id, &status, &note, &sum, &due); err != nil {
			return apperr.Internal(err)
		}
		row := &plan.Rows[at[id.Bytes]]
		row.AccrualStatus, row.AccrualNote, row.AccruedCents, row.DueOn = status, note, sum, due
	}
	if err := rows.Err(); err != nil {
		return apperr.Internal(err)
	}
	return nil
}
