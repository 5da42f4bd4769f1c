package partner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

func TestTSQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"acme", "'acme':*"},
		{"Acme Cloud", "'Acme':* & 'Cloud':*"},
		{"cloud-ops", "'cloud':* & 'ops':*"},
		{"O'Brien", "'O':* & 'Brien':*"},
		{"'; DROP TABLE partners; --", "'DROP':* & 'TABLE':* & 'partners':*"},
		{"a & b | !c", "'a':* & 'b':* & 'c':*"},
		{"foo:* bar:A (baz)", "'foo':* & 'bar':* & 'A':* & 'baz':*"},
		{"x <-> y <2> z", "'x':* & 'y':* & '2':* & 'z':*"},
		{`back\slash "quoted"`, "'back':* & 'slash':* & 'quoted':*"},
		{"&|!:*()", ""},
		{"Zürich Genève", "'Zürich':* & 'Genève':*"},
		{"東京 コンサル", "'東京':* & 'コンサル':*"},
		{"cafe\u0301", "'cafe\u0301':*"}, // a combining accent stays in its word
		{"acme acme ACME", "'acme':* & 'ACME':*"},
		{"series a 2024", "'series':* & 'a':* & '2024':*"},
		{"1 2 3 4 5 6 7 8 9 10", "'1':* & '2':* & '3':* & '4':* & '5':* & '6':* & '7':* & '8':*"},
		{strings.Repeat("x", 100), "'" + strings.Repeat("x", 64) + "':*"},
	} {
		require.Equal(t, tc.want, partner.TSQuery(tc.in), "TSQuery(%q)", tc.in)
	}
}

func TestDirectoryQueryNormalize(t *testing.T) {
	t.Parallel()
	dq := partner.DirectoryQuery{Q: "  acme ", Type: "nope", Statuses: []string{"active", "bogus", "active", "paused"},
		Sort: "hacked; DROP", PerPage: 7, Page: -3}
	dq.Normalize()
	require.Equal(t, partner.DirectoryQuery{Q: "acme", Statuses: []string{"active", "paused"}, Sort: "relevance", PerPage: 25, Page: 1}, dq)

	dq = partner.DirectoryQuery{Q: "!!", Sort: "relevance", PerPage: 100, Page: 3}
	dq.Normalize()
	require.Equal(t, "name", dq.Sort, "no relevance without words")
	require.Equal(t, 100, dq.PerPage)
	require.Equal(t, 3, dq.Page)

	page := partner.DirectoryPage{Partners: make([]partner.Partner, 5), Total: 55, Page: 3, PerPage: 25}
	require.Equal(t, 51, page.From())
	require.Equal(t, 55, page.To())
	require.Equal(t, 3, page.Pages())
	require.Equal(t, 0, partner.DirectoryPage{Page: 1, PerPage: 25}.From())
}

// dirFixture is a database with two firms for directory tests.
type dirFixture struct {
	owner, app *pgxpool.Pool
	db         *db.DB
}

func newDirFixture(t testing.TB) dirFixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return dirFixture{owner: owner, app: app, db: db.New(app)}
}

// firm inserts a tenant as the owner and returns its id.
func (f dirFixture) firm(t testing.TB, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	_, err := f.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, id, slug, "Firm "+slug)
	require.NoError(t, err)
	return id
}

type dirPartner struct {
	name, typ, status, services, notes string
	industries, regions                []string
	tier                               *uuid.UUID
}

func (f dirFixture) add(t testing.TB, tenantID uuid.UUID, p dirPartner) uuid.UUID {
	t.Helper()
	if p.typ == "" {
		p.typ = "referral"
	}
	if p.status == "" {
		p.status = "prospect"
	}
	var id uuid.UUID
	require.NoError(t, f.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO partners (tenant_id, name, type, status, services_text, notes,
			industries, regions, tier_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			tenantID, p.name, p.typ, p.status, p.services, p.notes, nonNil(p.industries), nonNil(p.regions), p.tier).Scan(&id)
	}))
	return id
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (f dirFixture) search(t testing.TB, tenantID uuid.UUID, dq partner.DirectoryQuery) partner.DirectoryPage {
	t.Helper()
	var page partner.DirectoryPage
	require.NoError(t, f.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) (err error) {
		page, err = partner.Search(context.Background(), tx, tenantID, dq)
		return err
	}))
	return page
}

func names(page partner.DirectoryPage) []string {
	out := []string{}
	for _, p := range page.Partners {
		out = append(out, p.Name)
	}
	return out
}

func TestSearch(t *testing.T) {
	t.Parallel()
	f := newDirFixture(t)
	a, b := f.firm(t, "alpha"), f.firm(t, "beta")
	ctx := context.Background()
	var tier1 uuid.UUID
	require.NoError(t, f.db.InTenant(ctx, a, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Strategic', 1, 30) RETURNING id`, a).Scan(&tier1)
	}))
	f.add(t, a, dirPartner{name: "Acme Cloud Partners", status: "active", services: "Cloud migration, DevOps", industries: []string{"Fintech"}, regions: []string{"EMEA"}, tier: &tier1})
	f.add(t, a, dirPartner{name: "Brightline Legal", typ: "alliance", status: "prospect", services: "Contract law", industries: []string{"Healthcare"}, regions: []string{"North America"}})
	f.add(t, a, dirPartner{name: "Cloudburst Design", status: "active", services: "Brand design", notes: "Met at the Zürich summit", regions: []string{"emea", "APAC"}})
	f.add(t, a, dirPartner{name: "Delta Data", status: "paused", services: "Data engineering, cloud warehouses", industries: []string{"fintech"}})
	// The other firm has a partner of the same name that must never show.
	f.add(t, b, dirPartner{name: "Acme Cloud Partners", status: "active", services: "Cloud migration"})

	require.Equal(t, []string{"Acme Cloud Partners", "Brightline Legal", "Cloudburst Design", "Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{})))
	// Prefix matching on every word; name (A) ranks above services (B).
	require.Equal(t, []string{"Acme Cloud Partners", "Cloudburst Design", "Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{Q: "clou"}))[:3])
	require.Equal(t, "Acme Cloud Partners", names(f.search(t, a, partner.DirectoryQuery{Q: "cloud"}))[0])
	require.Equal(t, []string{"Acme Cloud Partners"}, names(f.search(t, a, partner.DirectoryQuery{Q: "acm clo"})))
	require.Equal(t, []string{"Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{Q: "warehouse"})))
	require.Equal(t, []string{"Cloudburst Design"}, names(f.search(t, a, partner.DirectoryQuery{Q: "zürich"})), "notes, case folded")
	require.Empty(t, names(f.search(t, a, partner.DirectoryQuery{Q: "acme nothing"})))
	// Filters combine with AND; region and industry ignore case.
	require.Equal(t, []string{"Acme Cloud Partners", "Cloudburst Design"}, names(f.search(t, a, partner.DirectoryQuery{Region: "emea"})))
	require.Equal(t, []string{"Acme Cloud Partners", "Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{Industry: "FINTECH"})))
	require.Equal(t, []string{"Acme Cloud Partners"}, names(f.search(t, a, partner.DirectoryQuery{Industry: "fintech", Statuses: []string{"active"}})))
	require.Equal(t, []string{"Acme Cloud Partners", "Cloudburst Design", "Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{Statuses: []string{"active", "paused"}})))
	require.Equal(t, []string{"Brightline Legal"}, names(f.search(t, a, partner.DirectoryQuery{Type: "alliance"})))
	require.Equal(t, []string{"Acme Cloud Partners"}, names(f.search(t, a, partner.DirectoryQuery{TierID: &tier1})))
	// Sorts.
	require.Equal(t, []string{"Delta Data", "Cloudburst Design", "Brightline Legal", "Acme Cloud Partners"}, names(f.search(t, a, partner.DirectoryQuery{Desc: true})))
	require.Equal(t, []string{"Brightline Legal", "Acme Cloud Partners", "Cloudburst Design", "Delta Data"}, names(f.search(t, a, partner.DirectoryQuery{Sort: "status"})))
	require.Equal(t, "Acme Cloud Partners", names(f.search(t, a, partner.DirectoryQuery{Sort: "tier"}))[0])
	require.Equal(t, "Acme Cloud Partners", names(f.search(t, a, partner.DirectoryQuery{Sort: "tier", Desc: true}))[0], "no tier sorts last either way")

	// Hostile input is only ever words.
	for _, q := range []string{"'", "\\", "a:*", "!(", "&&", "'; SELECT 1; --", "<->", "\x00", "東京 コンサル", "cafe\u0301", "x\u200by", "٣٤٥ ⅻ ²"} {
		f.search(t, a, partner.DirectoryQuery{Q: q})
	}

	// The other firm sees only its own.
	page := f.search(t, b, partner.DirectoryQuery{Q: "acme"})
	require.Equal(t, 1, page.Total)
	require.Equal(t, b, page.Partners[0].TenantID)
}

func TestSearchPages(t *testing.T) {
	t.Parallel()
	f := newDirFixture(t)
	a := f.firm(t, "pages")
	for i := range 60 {
		f.add(t, a, dirPartner{name: fmt.Sprintf("Firm %02d", i), services: "consulting"})
	}
	p1 := f.search(t, a, partner.DirectoryQuery{Q: "consult", Sort: "name"})
	require.Equal(t, 60, p1.Total)
	require.Len(t, p1.Partners, 25)
	require.Equal(t, "Firm 00", p1.Partners[0].Name)
	p3 := f.search(t, a, partner.DirectoryQuery{Q: "consult", Sort: "name", Page: 3})
	require.Equal(t, []string{"Firm 50", "Firm 51", "Firm 52", "Firm 53", "Firm 54", "Firm 55", "Firm 56", "Firm 57", "Firm 58", "Firm 59"}, names(p3))
	require.Equal(t, 51, p3.From())
	require.Equal(t, 60, p3.To())
	past := f.search(t, a, partner.DirectoryQuery{Page: 9})
	require.Empty(t, past.Partners)
	require.Equal(t, 60, past.Total, "the total is known past the last page")
	all := f.search(t, a, partner.DirectoryQuery{All: true, Desc: true})
	require.Len(t, all.Partners, 60)
	require.Equal(t, "Firm 59", all.Partners[0].Name)
}
