package partner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/partner"
)

// The directory's budget: a search over a firm with 5,000 partners answers
// in under 50 ms (median). Each sub-benchmark reports ms/median and ms/p95
// besides ns/op; run with `make bench PKG=./internal/partner/`.
const benchPartners = 5000

var (
	benchNameA = []string{"Acme", "Blue", "North", "Summit", "Harbor", "Cedar", "Atlas", "Granite", "Bright", "Silver",
		"Oak", "River", "Pioneer", "Keystone", "Vertex", "Beacon", "Crescent", "Meridian", "Evergreen", "Ironwood",
		"Lighthouse", "Redwood", "Sterling", "Union", "Westbrook", "Orchard", "Falcon", "Horizon", "Juniper", "Copper"}
	benchNameB = []string{"Consulting", "Partners", "Group", "Advisory", "Labs", "Digital", "Analytics", "Legal", "Design",
		"Systems", "Solutions", "Associates", "Strategy", "Works", "Collective", "Studio", "Capital", "Data", "Cloud", "Security"}
	benchServices = []string{"Cloud migration", "Data engineering", "Brand strategy", "Tax advisory", "Audit", "M&A due diligence",
		"Executive search", "UX research", "Penetration testing", "ERP implementation", "Salesforce consulting",
		"Employment law", "Contract law", "Intellectual property", "Payroll outsourcing", "Bookkeeping",
		"Content marketing", "SEO", "Paid media", "Public relations", "Change management", "Procurement",
		"Supply chain optimisation", "Machine learning", "BI dashboards", "DevOps", "Mobile apps", "Web development",
		"Interim CFO", "Fundraising advisory", "Grant writing", "Training", "Translation", "Market research"}
	benchIndustries = []string{"Fintech", "Healthcare", "Retail", "Manufacturing", "SaaS", "Logistics", "Energy", "Education",
		"Nonprofit", "Real estate", "Hospitality", "Media", "Insurance", "Biotech", "Public sector", "Legal services",
		"Automotive", "Agriculture", "Telecom", "Construction"}
	benchRegions = []string{"EMEA", "North America", "APAC", "LATAM", "DACH", "Nordics", "UK", "Benelux", "Iberia", "ANZ"}
	benchWords   = strings.Fields(`strong referrer met at conference introduced by client warm intro slow to respond
		great delivery team small but senior expanding into new markets looking for reciprocal referrals
		prefers quarterly reviews founder led boutique recently acquired hiring partners in several offices
		focus on midsize clients want co-marketing webinar joint proposal last year lost a deal together
		pricing is premium references were positive asked about white label possible channel for our product
		exclusive in region reliable invoices late once steady pipeline ambitious growth targets`)
	benchStatuses = []string{"prospect", "qualifying", "onboarding", "active", "active", "active", "paused", "inactive", "ended"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pickN(r *rand.Rand, s []string, lo, hi int) []string {
	n := lo + r.IntN(hi-lo+1)
	out := make([]string, 0, n)
	for len(out) < n {
		if v := pick(r, s); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// seedDirectory copies n realistic partners into a firm as the schema
// owner (COPY fires the row trigger that fills the search document).
func seedDirectory(b *testing.B, f dirFixture, tenantID uuid.UUID, n int, seed uint64, tiers, owners []uuid.UUID) {
	b.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	now := time.Now()
	rows := make([][]any, 0, n)
	for i := range n {
		name := pick(r, benchNameA) + " " + pick(r, benchNameB)
		if r.IntN(3) == 0 {
			name += " " + pick(r, benchNameB)
		}
		name = fmt.Sprintf("%s %d", name, i) // distinct, as firms are
		domain := strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
		notes := make([]string, 10+r.IntN(30))
		for j := range notes {
			notes[j] = pick(r, benchWords)
		}
		if i%1000 == 17 {
			notes = append(notes, "quokka") // the rare word: 5 partners
		}
		var tier, owner *uuid.UUID
		if len(tiers) > 0 && r.IntN(2) == 0 {
			tier = &tiers[r.IntN(len(tiers))]
		}
		if len(owners) > 0 && r.IntN(4) != 0 {
			owner = &owners[r.IntN(len(owners))]
		}
		created := now.Add(-time.Duration(r.IntN(3*365*24)) * time.Hour)
		rows = append(rows, []any{tenantID, name, domain, pick(r, partner.Types), pick(r, benchStatuses),
			strings.Join(pickN(r, benchServices, 1, 5), ", "), pickN(r, benchIndustries, 0, 3), pickN(r, benchRegions, 0, 3),
			strings.Join(notes, " "), tier, owner, created, created.Add(time.Duration(r.IntN(1000)) * time.Hour)})
	}
	ctx := context.Background()
	_, err := f.owner.CopyFrom(ctx, pgx.Identifier{"partners"},
		[]string{"tenant_id", "name", "domain", "type", "status", "services_text", "industries", "regions", "notes",
			"tier_id", "owner_user_id", "created_at", "updated_at"}, pgx.CopyFromRows(rows))
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkDirectorySearch(b *testing.B) {
	f := newDirFixture(b)
	ctx := context.Background()
	firm, other := f.firm(b, "bench"), f.firm(b, "bench-other")
	var tiers, owners []uuid.UUID
	for i, name := range []string{"Strategic", "Active", "Referral network"} {
		var id uuid.UUID
		if err := f.owner.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, $2, $3, 90) RETURNING id`,
			firm, name, i+1).Scan(&id); err != nil {
			b.Fatal(err)
		}
		tiers = append(tiers, id)
	}
	for i := range 8 {
		var id uuid.UUID
		if err := f.owner.QueryRow(ctx, `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("staff%d@bench.test", i), fmt.Sprintf("Staff %d", i)).Scan(&id); err != nil {
			b.Fatal(err)
		}
		owners = append(owners, id)
	}
	seedDirectory(b, f, firm, benchPartners, 1, tiers, owners)
	seedDirectory(b, f, other, 2000, 2, nil, owners[:1]) // another firm's rows share the table
	if _, err := f.owner.Exec(ctx, `ANALYZE partners`); err != nil {
		b.Fatal(err)
	}

	for _, bc := range []struct {
		name string
		dq   partner.DirectoryQuery
	}{
		{"common_word", partner.DirectoryQuery{Q: "consulting"}},
		{"rare_word", partner.DirectoryQuery{Q: "quokka"}},
		{"two_word_prefix", partner.DirectoryQuery{Q: "clou migr"}},
		{"status_and_region", partner.DirectoryQuery{Statuses: []string{"active"}, Region: "emea"}},
		{"by_name_page_1", partner.DirectoryQuery{Sort: "name"}},
		{"common_word_by_name_page_3", partner.DirectoryQuery{Q: "data", Sort: "name", Page: 3}},
	} {
		if os.Getenv("DIRECTORY_EXPLAIN") != "" {
			explain(b, f, firm, bc.dq)
		}
		b.Run(bc.name, func(b *testing.B) {
			var page partner.DirectoryPage
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				err := f.db.InTenant(ctx, firm, func(tx pgx.Tx) (err error) {
					page, err = partner.Search(ctx, tx, firm, bc.dq)
					return err
				})
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			if page.Total == 0 {
				b.Fatalf("%s found nothing", bc.name)
			}
			slices.Sort(took)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(took[len(took)/2]), "ms/median")
			b.ReportMetric(ms(took[len(took)*95/100]), "ms/p95")
			b.ReportMetric(float64(page.Total), "matches")
		})
	}
}

// explain logs the plan of a directory query as the app role
// (DIRECTORY_EXPLAIN=1), to see why a search misses its budget.
func explain(b *testing.B, f dirFixture, tenantID uuid.UUID, dq partner.DirectoryQuery) {
	b.Helper()
	dq.Normalize()
	sql, args, _ := partner.DirectorySQL(tenantID, dq)
	err := f.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			return err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		b.Logf("%+v\n%s", dq, strings.Join(lines, "\n"))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
