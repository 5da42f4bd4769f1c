package partner

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// DirectorySorts are the directory's sorts, in the order the page offers them.
var DirectorySorts = []string{"name", "status", "tier", "updated", "created", "relevance"}

// PerPageChoices are the page sizes the directory offers; the first is the default.
var PerPageChoices = []int{25, 50, 100}

// maxTerms and maxTermLen bound what a search box can ask of the database.
const (
	maxTerms   = 8
	maxTermLen = 64
	// maxExport bounds a CSV export (all pages of a filtered directory).
	maxExport = 100_000
)

// DirectoryQuery is what the directory page asks for: a text search, filters
// that combine with AND, a sort and a page. The zero value is page 1 of all
// partners by name.
type DirectoryQuery struct {
	Q           string     // words matched by prefix against name, domain, services, industries, regions, notes
	Type        string     // a partnership model, "" for any
	Statuses    []string   // any of these lifecycle statuses; empty for any
	TierID      *uuid.UUID // nil for any
	Region      string     // a region the partner targets (case-insensitive), "" for any
	Industry    string     // an industry the partner targets (case-insensitive), "" for any
	OwnerUserID *uuid.UUID // who on our side owns the relationship; nil for any
	Sort        string     // one of DirectorySorts; "" is relevance when searching, else name
	Desc        bool
	Page        int // 1-based
	PerPage     int // one of PerPageChoices
	// All ignores Page and PerPage and returns every match (the CSV export).
	All bool
}

// DirectoryPage is one page of the directory.
type DirectoryPage struct {
	Partners []Partner
	Total    int // matches over all pages
	Page     int
	PerPage  int
	Sort     string // the sort applied
}

// From is the 1-based position of the first partner shown (0 when none).
func (d DirectoryPage) From() int {
	if len(d.Partners) == 0 {
		return 0
	}
	return (d.Page-1)*d.PerPage + 1
}

// To is the position of the last partner shown.
func (d DirectoryPage) To() int {
	if len(d.Partners) == 0 {
		return 0
	}
	return d.From() + len(d.Partners) - 1
}

// Pages is the number of pages (at least 1).
func (d DirectoryPage) Pages() int {
	if d.PerPage <= 0 || d.Total == 0 {
		return 1
	}
	return (d.Total + d.PerPage - 1) / d.PerPage
}

// Normalize trims the query and replaces what it can't use — an unknown
// model, status, sort or page size — by the default, so any URL gives a page.
func (dq *DirectoryQuery) Normalize() {
	dq.Q = cleanText(dq.Q, 200)
	dq.Type = strings.TrimSpace(dq.Type)
	if _, ok := TypeLabels[dq.Type]; !ok {
		dq.Type = ""
	}
	var sts []string
	for _, s := range dq.Statuses {
		s = strings.TrimSpace(s)
		if slices.Contains(Statuses, s) && !slices.Contains(sts, s) {
			sts = append(sts, s)
		}
	}
	dq.Statuses = sts
	dq.Region = cleanText(dq.Region, 100)
	dq.Industry = cleanText(dq.Industry, 100)
	if !slices.Contains(DirectorySorts, dq.Sort) || (dq.Sort == "relevance" && TSQuery(dq.Q) == "") {
		dq.Sort = ""
	}
	if dq.Sort == "" {
		if TSQuery(dq.Q) != "" {
			dq.Sort = "relevance"
		} else {
			dq.Sort = "name"
		}
	}
	if !slices.Contains(PerPageChoices, dq.PerPage) {
		dq.PerPage = PerPageChoices[0]
	}
	if dq.Page < 1 {
		dq.Page = 1
	}
	if dq.Page > 100_000 {
		dq.Page = 100_000
	}
}

// cleanText makes typed text safe to show and compare: valid UTF-8, no NUL
// (PostgreSQL refuses both), at most n characters, trimmed.
func cleanText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	if rs := []rune(s); len(rs) > n {
		s = string(rs[:n])
	}
	return strings.TrimSpace(s)
}

// TSQuery turns what someone typed into a PostgreSQL tsquery text that
// matches every word by prefix: "acme cloud-ops" → 'acme':* & 'cloud':* &
// 'ops':*. Words are runs of letters, digits and combining marks; everything
// else (quotes, & | ! : * ( ) < > \ …) only separates words, so the result
// never carries an operator the user typed. Case is left to the 'simple'
// dictionary, so query and document fold the same way. "" when there is no
// word. At most 8 words of at most 64 characters each are kept.
func TSQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	var terms []string
	for _, w := range words {
		if rs := []rune(w); len(rs) > maxTermLen {
			w = string(rs[:maxTermLen])
		}
		t := "'" + strings.ReplaceAll(w, "'", "''") + "':*"
		if slices.Contains(terms, t) {
			continue
		}
		terms = append(terms, t)
		if len(terms) == maxTerms {
			break
		}
	}
	return strings.Join(terms, " & ")
}

// orderBy is the ORDER BY clause of a sort; every sort ends on the id so
// pages never overlap.
func orderBy(sort string, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	switch sort {
	case "status":
		return "array_position(" + statusArray + ", p.status)" + dir + ", lower(p.name), p.id"
	case "tier":
		return "t.rank" + dir + " NULLS LAST, lower(p.name), p.id"
	case "updated":
		return "p.updated_at" + dir + ", p.id"
	case "created":
		return "p.created_at" + dir + ", p.id"
	case "relevance":
		// Most relevant first unless reversed.
		rdir := " DESC"
		if desc {
			rdir = " ASC"
		}
		return "relevance" + rdir + ", lower(p.name), p.id"
	default:
		return "lower(p.name)" + dir + ", p.id" + dir
	}
}

// statusArray is the lifecycle order as an SQL array literal.
var statusArray = "ARRAY['" + strings.Join(Statuses, "','") + "']"

// directoryWhere builds the WHERE clause and its arguments; $1 is the tenant.
func directoryWhere(tenantID uuid.UUID, dq DirectoryQuery) (where string, args []any, tsq string) {
	args = []any{tenantID}
	conds := []string{"p.tenant_id = $1"}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if tsq = TSQuery(dq.Q); tsq != "" {
		conds = append(conds, "p.search @@ to_tsquery('simple', "+arg(tsq)+")")
	}
	if dq.Type != "" {
		conds = append(conds, "p.type = "+arg(dq.Type))
	}
	if len(dq.Statuses) > 0 {
		conds = append(conds, "p.status = ANY("+arg(dq.Statuses)+")")
	}
	if dq.TierID != nil {
		conds = append(conds, "p.tier_id = "+arg(*dq.TierID))
	}
	if dq.Region != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM unnest(p.regions) x WHERE lower(x) = lower("+arg(dq.Region)+"))")
	}
	if dq.Industry != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM unnest(p.industries) x WHERE lower(x) = lower("+arg(dq.Industry)+"))")
	}
	if dq.OwnerUserID != nil {
		conds = append(conds, "p.owner_user_id = "+arg(*dq.OwnerUserID))
	}
	return " WHERE " + strings.Join(conds, " AND "), args, tsq
}

// directorySQL is the query of a normalised dq: cols, the total and the
// relevance; also its WHERE clause for a count. The inner query finds,
// counts and orders the matches on narrow rows (the window count would
// otherwise carry every match's whole row); the outer one reads the page's
// partners with their owner and tier names.
func directorySQL(tenantID uuid.UUID, dq DirectoryQuery) (sql string, args []any, where string) {
	where, args, tsq := directoryWhere(tenantID, dq)
	rank := "0::real"
	if tsq != "" && dq.Sort == "relevance" {
		// $2 is the tsquery (the first argument after the tenant). Ranked
		// only when it orders the page: ts_rank reads every match.
		rank = "ts_rank(p.search, to_tsquery('simple', $2))"
	}
	order := orderBy(dq.Sort, dq.Desc)
	tierJoin := ""
	if dq.Sort == "tier" {
		tierJoin = " LEFT JOIN tiers t ON t.tenant_id = p.tenant_id AND t.id = p.tier_id"
	}
	limit := fmt.Sprintf(" LIMIT %d OFFSET %d", dq.PerPage, (dq.Page-1)*dq.PerPage)
	if dq.All {
		limit = fmt.Sprintf(" LIMIT %d", maxExport)
	}
	sql = `SELECT ` + cols + `, m.total, m.relevance` + fromPartners + `JOIN (
		SELECT p.id, count(*) OVER () AS total, ` + rank + ` AS relevance
		FROM partners p` + tierJoin + where + ` ORDER BY ` + order + limit + `
	) m ON m.id = p.id
	WHERE p.tenant_id = $1 ORDER BY ` + order
	return sql, args, where
}

// Search returns a page of the firm's partners matching dq (normalised
// first), with the total number of matches. Anyone who may see the firm's
// partners may search them.
func Search(ctx context.Context, q db.Querier, tenantID uuid.UUID, dq DirectoryQuery) (DirectoryPage, error) {
	dq.Normalize()
	sql, args, where := directorySQL(tenantID, dq)
	out := DirectoryPage{Page: dq.Page, PerPage: dq.PerPage, Sort: dq.Sort}
	if dq.All {
		out.Page = 1
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var rk float32
		p, err := scan(scanExtra{rows, []any{&out.Total, &rk}})
		if err != nil {
			return out, err
		}
		out.Partners = append(out.Partners, p)
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	// Past the last page the window count has no row to ride on.
	if len(out.Partners) == 0 && out.Page > 1 {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM partners p`+where, args...).Scan(&out.Total); err != nil {
			return out, err
		}
	}
	return out, nil
}

// scanExtra scans a row of cols followed by more columns into scan's
// destinations and then extra.
type scanExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// DirectoryTier is a tier as the directory's filter offers it.
type DirectoryTier struct {
	ID   uuid.UUID
	Name string
}

// DirectoryTiers lists the firm's tiers by rank, for the directory's filter.
func DirectoryTiers(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]DirectoryTier, error) {
	rows, err := q.Query(ctx, `SELECT id, name FROM tiers WHERE tenant_id = $1 ORDER BY rank`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DirectoryTier
	for rows.Next() {
		var t DirectoryTier
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
