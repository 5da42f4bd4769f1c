package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// dirPartner is a partner arranged for directory tests.
type dirPartner struct {
	name, typ, status, services, notes string
	industries, regions                []string
	tier, owner                        *uuid.UUID
}

// addDirPartner inserts a partner with profile fields (the trigger fills its
// search document).
func (h *harness) addDirPartner(tenantID uuid.UUID, p dirPartner) uuid.UUID {
	h.t.Helper()
	if p.typ == "" {
		p.typ = "referral"
	}
	if p.status == "" {
		p.status = "prospect"
	}
	if p.industries == nil {
		p.industries = []string{}
	}
	if p.regions == nil {
		p.regions = []string{}
	}
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO partners (tenant_id, name, type, status, services_text, notes, industries,
			regions, tier_id, owner_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			tenantID, p.name, p.typ, p.status, p.services, p.notes, p.industries, p.regions, p.tier, p.owner).Scan(&id)
	}))
	return id
}

// addDirTier adds a tier straight into the table.
func (h *harness) addDirTier(tenantID uuid.UUID, name string, rank int) uuid.UUID {
	h.t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(h.t, h.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, $2, $3, 90)
			RETURNING id`, tenantID, name, rank).Scan(&id)
	}))
	return id
}

var dirRowName = regexp.MustCompile(`<td><a href="/t/[a-z0-9-]+/partners/[0-9a-f-]{36}">([^<]*)</a>`)

// dirNames lists the partner names in a directory page's table, in order.
func dirNames(body string) []string {
	out := []string{}
	for _, m := range dirRowName.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// dirSortLink returns the query of the sort link in the header labelled label.
func dirSortLink(t *testing.T, body, label string) url.Values {
	t.Helper()
	m := regexp.MustCompile(`<th scope="col" aria-sort="[a-z]+"><a href="([^"]+)">` + label).FindStringSubmatch(body)
	require.NotNil(t, m, "no sort link for %s", label)
	u, err := url.Parse(html.UnescapeString(m[1]))
	require.NoError(t, err)
	return u.Query()
}

// readCSV parses an export (after its byte order mark).
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	require.True(t, strings.HasPrefix(body, "\ufeff"), "the export starts with a UTF-8 BOM")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	return recs
}

func TestPartnerDirectorySearchAndFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("dir-a", "Directory A")
	other := h.createFirm("dir-b", "Directory B")
	tier := h.addDirTier(f.ID, "Directory test tier", 9)
	h.addDirPartner(f.ID, dirPartner{name: "Acme Cloud Partners", status: "active", services: "Cloud migration, DevOps",
		industries: []string{"Fintech"}, regions: []string{"EMEA"}, tier: &tier, owner: &f.Owner.ID})
	h.addDirPartner(f.ID, dirPartner{name: "Brightline Legal", typ: "alliance", services: "Contract law", regions: []string{"North America"}})
	h.addDirPartner(f.ID, dirPartner{name: "Cedar Design", status: "active", services: "Brand design", regions: []string{"emea"},
		notes: "Met them at the Zürich summit"})
	h.addDirPartner(f.ID, dirPartner{name: "Delta Data", status: "paused", services: "Data warehouses", industries: []string{"fintech"}})
	// Another firm has partners with the same names.
	h.addDirPartner(other.ID, dirPartner{name: "Acme Cloud Partners", status: "active", services: "Cloud migration", regions: []string{"EMEA"}})
	h.addDirPartner(other.ID, dirPartner{name: "Acme Secret Ventures", status: "active"})
	c := h.loggedIn(f.Owner.Email)

	list := func(query string) []string {
		t.Helper()
		resp, body := h.get(c, "/t/dir-a/partners"+query)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		return dirNames(body)
	}
	require.Equal(t, []string{"Acme Cloud Partners", "Brightline Legal", "Cedar Design", "Delta Data"}, list(""))
	// By name prefix, by service text, by notes; every word must match.
	require.Equal(t, []string{"Acme Cloud Partners"}, list("?q=acm"))
	require.Equal(t, []string{"Brightline Legal"}, list("?q=contr"))
	require.Equal(t, []string{"Delta Data"}, list("?q=warehouse"))
	require.Equal(t, []string{"Cedar Design"}, list("?q="+url.QueryEscape("ZÜRICH")))
	require.Equal(t, []string{"Acme Cloud Partners"}, list("?q="+url.QueryEscape("clou devops")))
	require.Equal(t, []string{"Cedar Design"}, list("?q="+url.QueryEscape(`!(design:* | ) & '`)), "operators are only separators")
	// Filters combine with AND; region and industry ignore case.
	require.Equal(t, []string{"Acme Cloud Partners", "Cedar Design"}, list("?region=Emea"))
	require.Equal(t, []string{"Acme Cloud Partners", "Cedar Design"}, list("?status=active&region=emea"))
	require.Equal(t, []string{"Acme Cloud Partners"}, list("?status=active&region=emea&industry=FINTECH"))
	require.Equal(t, []string{"Acme Cloud Partners", "Cedar Design", "Delta Data"}, list("?status=active&status=paused"))
	require.Equal(t, []string{"Brightline Legal"}, list("?type=alliance"))
	require.Equal(t, []string{"Acme Cloud Partners"}, list("?tier="+tier.String()))
	require.Equal(t, []string{"Acme Cloud Partners"}, list("?owner="+f.Owner.ID.String()))
	require.Equal(t, []string{"Delta Data", "Cedar Design", "Brightline Legal", "Acme Cloud Partners"}, list("?dir=desc"))
	require.Equal(t, []string{"Brightline Legal", "Acme Cloud Partners", "Cedar Design", "Delta Data"}, list("?sort=status"))

	// Nothing matches: the empty state offers to clear the filters.
	_, body := h.get(c, "/t/dir-a/partners?q=nothing-like-this")
	require.Contains(t, body, "No partners match")
	require.Contains(t, body, `href="/t/dir-a/partners">Clear the filters</a>`)
	// Another firm's names never appear, searched or listed.
	require.NotContains(t, list("?q=acme"), "Acme Secret Ventures")
	require.Len(t, list("?q=acme"), 1)
	// Nonsense in the URL is ignored, never a 500.
	for _, q := range []string{"?page=abc", "?per=7", "?tier=nope", "?owner=" + uuid.NewString(), "?sort=1;drop", "?dir=sideways",
		"?status=bogus", "?type=x", "?region=%00", "?industry=%ff%fe", "?q=%00%ff", "?page=99999999999", "?q=" + url.QueryEscape("'\\:*&|!()<->")} {
		resp, body := h.get(c, "/t/dir-a/partners"+q)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", q, body)
	}
}

func TestPartnerDirectorySortLinksAndPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("dir-pages", "Pages")
	for i := range 30 {
		h.addDirPartner(f.ID, dirPartner{name: fmt.Sprintf("Firm %02d", i), status: "active", services: "consulting", regions: []string{"EMEA"}})
	}
	h.addDirPartner(f.ID, dirPartner{name: "Paused Consulting", status: "paused", services: "consulting"})
	c := h.loggedIn(f.Owner.Email)

	resp, body := h.get(c, "/t/dir-pages/partners?q=consult&status=active&region=emea&sort=name")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Showing 1–25 of 30")
	require.Len(t, dirNames(body), 25)
	require.Equal(t, "Firm 00", dirNames(body)[0])

	// The sort links keep the search and the filters, and go back to page 1.
	st := dirSortLink(t, body, "Status")
	require.Equal(t, url.Values{"q": {"consult"}, "status": {"active"}, "region": {"emea"}, "sort": {"status"}}, st)
	name := dirSortLink(t, body, "Name")
	require.Equal(t, "desc", name.Get("dir"), "the sorted column flips")
	require.Equal(t, "consult", name.Get("q"))
	require.Contains(t, body, `aria-sort="ascending"`)

	// Next keeps everything and shows the rest.
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	require.NotNil(t, next)
	nextURL := html.UnescapeString(next[1])
	require.Contains(t, nextURL, "page=2")
	require.Contains(t, nextURL, "region=emea")
	_, body = h.get(c, nextURL)
	require.Contains(t, body, "Showing 26–30 of 30")
	require.Equal(t, []string{"Firm 25", "Firm 26", "Firm 27", "Firm 28", "Firm 29"}, dirNames(body))
	require.NotContains(t, body, `rel="next"`)

	// 50 a page: all of them.
	_, body = h.get(c, "/t/dir-pages/partners?per=50")
	require.Contains(t, body, "Showing 1–31 of 31")
	// Past the end shows the last page.
	_, body = h.get(c, "/t/dir-pages/partners?page=9")
	require.Contains(t, body, "Showing 26–31 of 31")

	// The CSV link exports the same set, all pages.
	csvLink := regexp.MustCompile(`href="([^"]+export\.csv[^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, csvLink)
	require.NotContains(t, html.UnescapeString(csvLink[1]), "page=")
}

func TestPartnerDirectoryExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("dir-csv", "Export Firm")
	other := h.createFirm("dir-csv-b", "Other Firm")
	h.addDirPartner(f.ID, dirPartner{name: `=HYPERLINK("http://evil.example","Click")`, status: "active", services: "Tax advisory",
		regions: []string{"EMEA", "+Nordics"}, industries: []string{"Fintech"}})
	h.addDirPartner(f.ID, dirPartner{name: "Zürich Tax Partners", status: "active", services: "Tax audit"})
	h.addDirPartner(f.ID, dirPartner{name: "@Tax Prospect", status: "prospect", services: "Tax"})
	h.addDirPartner(f.ID, dirPartner{name: "Unrelated Design", status: "active", services: "Design"})
	h.addDirPartner(other.ID, dirPartner{name: "Other Tax Firm", status: "active", services: "Tax"})
	viewer := h.staffUser(f, "viewer@dir-csv.test", auth.RoleViewer)

	// A viewer sees the directory and may export it: read-only, what they already see.
	c := h.loggedIn(viewer.Email)
	resp, body := h.get(c, "/t/dir-csv/partners?q=tax&status=active&sort=name&dir=desc")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Add a partner", "a viewer can't add partners")
	link := regexp.MustCompile(`href="([^"]+export\.csv[^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, link)

	resp, body = h.get(c, html.UnescapeString(link[1]))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Regexp(t, `^attachment; filename=dir-csv-partners-\d{4}-\d{2}-\d{2}\.csv$`, resp.Header.Get("Content-Disposition"))
	recs := readCSV(t, body)
	require.Equal(t, []string{"name", "domain", "model", "status", "tier", "owner", "positioning", "focus", "industries", "regions",
		"client sizes", "stages", "website", "created", "updated"}, recs[0])
	require.Len(t, recs, 3, "exactly the filtered set: %v", recs)
	// Sorted by name, descending, as on the page.
	require.Equal(t, "Zürich Tax Partners", recs[1][0])
	require.Equal(t, `'=HYPERLINK("http://evil.example","Click")`, recs[2][0], "a formula comes out as text")
	require.Equal(t, "Referral", recs[2][2])
	require.Equal(t, "Active", recs[2][3])
	require.Equal(t, "Fintech", recs[2][8])
	require.Equal(t, "EMEA; +Nordics", recs[2][9])

	// Everything, when nothing is filtered; never another firm's.
	_, body = h.get(c, "/t/dir-csv/partners/export.csv")
	recs = readCSV(t, body)
	require.Len(t, recs, 5)
	for _, r := range recs[1:] {
		require.NotEqual(t, "Other Tax Firm", r[0])
	}
	require.Contains(t, body, "'@Tax Prospect")

	// The other firm's export from this firm's user is not found.
	resp, _ = h.get(c, "/t/dir-csv-b/partners/export.csv")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestPartnerDirectoryEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("dir-empty", "Empty")
	c := h.loggedIn(f.Owner.Email)
	resp, body := h.get(c, "/t/dir-empty/partners")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "No partners yet")
	require.Contains(t, body, "/t/dir-empty/partners/new")
	resp, body = h.get(c, "/t/dir-empty/partners/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, readCSV(t, body), 1, "just the header")
}
