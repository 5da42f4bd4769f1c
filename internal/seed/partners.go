package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The demo partner network of Northwind Advisory, a mid-market management
// consultancy: ~25 partner firms across the five models, every lifecycle
// status and the three default tiers, with profiles, contacts (some gone),
// the complementary service map, a year of gaps, qualification scores,
// references, red flags, potential assessments and decisions. Written with
// plain SQL in the firm's transaction (RLS applies), so it depends on the
// schema only.

type seedContact struct {
	name, email, title, level string
	departed                  bool
}

type seedPartner struct {
	name, domain, typ, status, tier    string
	positioning, focus                 string
	industries, sizes, stages, regions []string
	notes                              string
	services                           []string
	contacts                           []seedContact
	monthsAgo                          int    // when it was added
	rejected                           string // the rejection reason, when the decision was no
}

var seedServices = []struct{ name, phase, desc string }{
	{"Strategy consulting", "ours", "Growth strategy, portfolio and market-entry work."},
	{"Operations improvement", "ours", "Process redesign, cost and working-capital programmes."},
	{"Post-merger integration", "ours", "Integration planning and the first 100 days."},
	{"Tax advice", "before", "Structuring and tax due diligence before a transaction or reorganisation."},
	{"Legal", "before", "Corporate, employment and contract law."},
	{"Financial due diligence", "before", "Quality of earnings and deal support."},
	{"Market research", "before", "Customer and competitor research to size an opportunity."},
	{"IT implementation", "during", "ERP, CRM and data-platform delivery."},
	{"Change management", "during", "Stakeholder engagement, communications and adoption."},
	{"Data & analytics", "during", "Dashboards, data engineering and advanced analytics."},
	{"Interim management", "during", "Interim executives while a programme runs."},
	{"Cybersecurity", "during", "Security assessments and remediation during a transformation."},
	{"Recruiting", "after", "Executive search and hiring for the new organisation."},
	{"PR & communications", "after", "External communications about the change."},
	{"Training & coaching", "after", "Leadership coaching and capability building."},
	{"Managed IT support", "after", "Running the systems once they are live."},
	{"ESG reporting", "after", "Sustainability reporting and assurance readiness."},
}

var seedTiers = []struct {
	name                     string
	rank, min, max, days, bp int
	benefits                 string
}{
	{"Tier 1 – Strategic", 1, 3, 5, 30, 2000, "Highest commission rate, dedicated account management, priority access to our team, active co-marketing."},
	{"Tier 2 – Active", 2, 10, 20, 90, 1500, "Standard commission rate, quarterly check-ins, some co-marketing."},
	{"Tier 3 – Referral network", 3, 20, 100, 365, 1000, "Lower commission rate, annual check-in, mostly self-service enablement; coverage of niches and regions."},
}

var seedCriteria = []struct {
	name string
}{
	{"Target market fit"},
	{"Quality and reputation"},
	{"Financial stability and capacity"},
	{"Commitment and reciprocity"},
	{"Cultural and values fit"},
	{"Positioning compatibility"},
}

func l(s ...string) []string { return s }

var seedPartners = []seedPartner{
	{name: "Brightline Tax", domain: "brightline.example", typ: "referral", status: "active", tier: "Tier 1 – Strategic",
		positioning: "mid_market", focus: "specialist", industries: l("Healthcare", "Technology"), sizes: l("Mid-market", "Enterprise"),
		stages: l("Series B", "Growth"), regions: l("UK", "Ireland"), monthsAgo: 30, services: l("Tax advice"),
		notes: "Our most reliable referral partner. Quarterly pipeline review with Dana; co-hosted the CFO breakfast series.",
		contacts: []seedContact{{"Dana Reyes", "dana@brightline.example", "Managing partner", "executive_sponsor", false},
			{"Sam Ito", "sam@brightline.example", "Senior manager", "account_manager", false},
			{"Lee Okafor", "lee@brightline.example", "Tax director", "delivery", false}}},
	{name: "Keystone Legal", domain: "keystonelegal.example", typ: "referral", status: "active", tier: "Tier 1 – Strategic",
		positioning: "premium", focus: "generalist", industries: l("Financial services", "Manufacturing", "Healthcare"),
		sizes: l("Enterprise", "Mid-market"), stages: l("Growth", "Mature"), regions: l("UK"), monthsAgo: 26, services: l("Legal"),
		notes: "Corporate and employment law. Refers restructuring work our way after deals close.",
		contacts: []seedContact{{"Priya Shah", "priya@keystonelegal.example", "Partner, corporate", "executive_sponsor", false},
			{"Tom Becker", "tom@keystonelegal.example", "Business development lead", "account_manager", false}}},
	{name: "Summit Data Partners", domain: "summitdata.example", typ: "technology", status: "onboarding", tier: "Tier 2 – Active",
		positioning: "mid_market", focus: "specialist", industries: l("Technology", "Retail"), sizes: l("Mid-market"),
		stages: l("Series B", "Growth"), regions: l("UK", "Netherlands"), monthsAgo: 4, services: l("Data & analytics", "IT implementation"),
		notes: "Snowflake and Power BI specialists. Qualified in March; onboarding the delivery team now.",
		contacts: []seedContact{{"Ava Lindgren", "ava@summitdata.example", "CEO", "executive_sponsor", false},
			{"Marco Ruiz", "marco@summitdata.example", "Head of delivery", "delivery", false}}},
	{name: "Harbor Creative", domain: "harborcreative.example", typ: "delivery", status: "qualifying",
		positioning: "value", focus: "generalist", industries: l("Retail", "Consumer goods"), sizes: l("SME"),
		stages: l("Seed", "Series A"), regions: l("UK"), monthsAgo: 2, services: l("PR & communications"),
		notes:    "Creative agency pitching to co-deliver change communications. Cheaper than we are used to.",
		contacts: []seedContact{{"Nina Hart", "nina@harborcreative.example", "Founder", "executive_sponsor", false}}},
	{name: "Atlas Capital Group", domain: "atlascapital.example", typ: "alliance", status: "paused", tier: "Tier 2 – Active",
		positioning: "premium", focus: "specialist", industries: l("Financial services", "Manufacturing"), sizes: l("Enterprise"),
		stages: l("Mature"), regions: l("UK", "Germany"), monthsAgo: 20, services: l("Financial due diligence"),
		notes: "Joint buy-side offer (diligence + integration). Paused after their sponsor left; relaunch under discussion.",
		contacts: []seedContact{{"Richard Vale", "richard@atlascapital.example", "Managing director", "executive_sponsor", true},
			{"Hannah Cho", "hannah@atlascapital.example", "Associate director", "account_manager", false}}},
	{name: "Beacon Software Resellers", domain: "beaconsoft.example", typ: "channel", status: "prospect",
		positioning: "value", focus: "generalist", industries: l("Retail", "Technology"), sizes: l("SME", "Mid-market"),
		regions: l("UK", "US"), monthsAgo: 1, services: l("Managed IT support"),
		notes:    "Resells and supports Microsoft Dynamics. Met at the Leeds ERP forum.",
		contacts: []seedContact{{"Gary Moss", "gary@beaconsoft.example", "Channel manager", "account_manager", false}}},
	{name: "Meridian Change Partners", domain: "meridianchange.example", typ: "delivery", status: "active", tier: "Tier 1 – Strategic",
		positioning: "mid_market", focus: "specialist", industries: l("Healthcare", "Public sector"), sizes: l("Mid-market", "Enterprise"),
		stages: l("Growth", "Mature"), regions: l("UK", "Ireland"), monthsAgo: 22, services: l("Change management", "Training & coaching"),
		notes: "Subcontracted on every large operations programme this year; same people, same standards.",
		contacts: []seedContact{{"Claire Dubois", "claire@meridianchange.example", "Director", "executive_sponsor", false},
			{"Owen Price", "owen@meridianchange.example", "Engagement lead", "delivery", false},
			{"Ruth Adeyemi", "ruth@meridianchange.example", "Partnerships manager", "account_manager", false}}},
	{name: "Northstar Talent", domain: "northstartalent.example", typ: "referral", status: "active", tier: "Tier 2 – Active",
		positioning: "mid_market", focus: "specialist", industries: l("Technology", "Financial services"), sizes: l("Mid-market"),
		stages: l("Series B", "Growth"), regions: l("UK"), monthsAgo: 15, services: l("Recruiting"),
		notes: "Executive search. Places the leaders our restructurings call for.",
		contacts: []seedContact{{"Jonas Weber", "jonas@northstartalent.example", "Partner", "executive_sponsor", false},
			{"Emily Ford", "emily@northstartalent.example", "Consultant", "account_manager", false}}},
	{name: "Clearwater PR", domain: "clearwaterpr.example", typ: "referral", status: "active", tier: "Tier 3 – Referral network",
		positioning: "mid_market", focus: "generalist", industries: l("Healthcare", "Energy"), sizes: l("Mid-market", "Enterprise"),
		regions: l("UK"), monthsAgo: 11, services: l("PR & communications"),
		contacts: []seedContact{{"Isla Murray", "isla@clearwaterpr.example", "Account director", "account_manager", false}}},
	{name: "Ironbridge Systems", domain: "ironbridge.example", typ: "technology", status: "active", tier: "Tier 2 – Active",
		positioning: "mid_market", focus: "generalist", industries: l("Manufacturing", "Retail"), sizes: l("Mid-market", "Enterprise"),
		stages: l("Growth", "Mature"), regions: l("UK", "Netherlands", "Germany"), monthsAgo: 18, services: l("IT implementation", "Managed IT support"),
		notes: "SAP and Dynamics implementer; our default for ERP work after an operations review.",
		contacts: []seedContact{{"Pieter de Vries", "pieter@ironbridge.example", "COO", "executive_sponsor", false},
			{"Sofia Rossi", "sofia@ironbridge.example", "Alliance manager", "account_manager", false},
			{"Daniel Kim", "daniel@ironbridge.example", "Solution architect", "delivery", true}}},
	{name: "Fjord Analytics", domain: "fjordanalytics.example", typ: "technology", status: "qualifying",
		positioning: "premium", focus: "specialist", industries: l("Energy", "Manufacturing"), sizes: l("Enterprise"),
		stages: l("Mature"), regions: l("Nordics", "Germany"), monthsAgo: 3, services: l("Data & analytics"),
		notes: "Industrial analytics; would open the Nordics for us.",
		contacts: []seedContact{{"Ingrid Solberg", "ingrid@fjordanalytics.example", "Founder", "executive_sponsor", false},
			{"Erik Nilsen", "erik@fjordanalytics.example", "Partner manager", "account_manager", false}}},
	{name: "Lindqvist & Berg Advokater", domain: "lindqvistberg.example", typ: "referral", status: "prospect",
		positioning: "premium", focus: "generalist", industries: l("Financial services", "Energy"), sizes: l("Enterprise"),
		regions: l("Nordics"), monthsAgo: 1, services: l("Legal"),
		contacts: []seedContact{{"Karin Lindqvist", "karin@lindqvistberg.example", "Partner", "executive_sponsor", false}}},
	{name: "Oakridge Interim", domain: "oakridgeinterim.example", typ: "delivery", status: "active", tier: "Tier 2 – Active",
		positioning: "mid_market", focus: "specialist", industries: l("Manufacturing", "Healthcare"), sizes: l("Mid-market"),
		stages: l("Growth", "Mature"), regions: l("UK"), monthsAgo: 14, services: l("Interim management"),
		contacts: []seedContact{{"Graham Holt", "graham@oakridgeinterim.example", "Managing director", "executive_sponsor", false},
			{"Leah Byrne", "leah@oakridgeinterim.example", "Client partner", "account_manager", false}}},
	{name: "Pinnacle Market Insight", domain: "pinnacleinsight.example", typ: "referral", status: "onboarding", tier: "Tier 3 – Referral network",
		positioning: "mid_market", focus: "specialist", industries: l("Retail", "Consumer goods"), sizes: l("Mid-market"),
		stages: l("Series A", "Series B"), regions: l("UK", "US"), monthsAgo: 2, services: l("Market research"),
		contacts: []seedContact{{"Chloe Martin", "chloe@pinnacleinsight.example", "Research director", "delivery", false}}},
	{name: "Crestview Accountants", domain: "crestview.example", typ: "referral", status: "inactive", tier: "Tier 3 – Referral network",
		positioning: "value", focus: "generalist", industries: l("Retail", "Manufacturing"), sizes: l("SME"),
		regions: l("UK"), monthsAgo: 28, services: l("Tax advice", "Financial due diligence"),
		notes: "No referral either way in 14 months after both our contacts left.",
		contacts: []seedContact{{"Martin Hughes", "martin@crestview.example", "Partner", "executive_sponsor", true},
			{"Zoe Clarke", "zoe@crestview.example", "Manager", "account_manager", true}}},
	{name: "Sable & Finch Communications", domain: "sablefinch.example", typ: "referral", status: "ended",
		positioning: "premium", focus: "specialist", industries: l("Financial services"), sizes: l("Enterprise"),
		regions: l("UK"), monthsAgo: 34, services: l("PR & communications"),
		notes:    "Ended after their merger with a competitor of ours.",
		contacts: []seedContact{{"Oliver Finch", "oliver@sablefinch.example", "Founder", "executive_sponsor", true}}},
	{name: "Velocity Growth Labs", domain: "velocitygrowth.example", typ: "alliance", status: "qualifying",
		positioning: "value", focus: "generalist", industries: l("Technology"), sizes: l("SME"),
		stages: l("Seed", "Series A"), regions: l("US"), monthsAgo: 2,
		notes:    "Approached us wanting a joint venture. Keen to receive referrals; vague about what they would send us.",
		contacts: []seedContact{{"Brad Keller", "brad@velocitygrowth.example", "Growth partner", "account_manager", false}}},
	{name: "Quickfix IT Services", domain: "quickfixit.example", typ: "delivery", status: "ended",
		positioning: "value", focus: "generalist", industries: l("Retail"), sizes: l("SME"), regions: l("UK"), monthsAgo: 7,
		rejected: "Positioning mismatch: budget IT support for small firms; our clients are mid-market and expect senior delivery.",
		contacts: []seedContact{{"Kevin Dunn", "kevin@quickfixit.example", "Owner", "executive_sponsor", false}}},
	{name: "Evergreen Learning", domain: "evergreenlearning.example", typ: "delivery", status: "active", tier: "Tier 3 – Referral network",
		positioning: "mid_market", focus: "specialist", industries: l("Public sector", "Healthcare"), sizes: l("Mid-market", "Enterprise"),
		regions: l("UK", "Ireland"), monthsAgo: 16, services: l("Training & coaching"),
		contacts: []seedContact{{"Fiona Walsh", "fiona@evergreenlearning.example", "Director", "executive_sponsor", false},
			{"Ben Carter", "ben@evergreenlearning.example", "Programme lead", "delivery", false}}},
	{name: "Granite Cyber", domain: "granitecyber.example", typ: "technology", status: "prospect",
		positioning: "mid_market", focus: "specialist", industries: l("Financial services", "Healthcare"), sizes: l("Mid-market"),
		regions: l("UK"), monthsAgo: 0,
		notes:    "Cybersecurity is our most-asked-for gap; Granite came recommended by Keystone.",
		contacts: []seedContact{{"Aisha Rahman", "aisha@granitecyber.example", "CEO", "executive_sponsor", false}}},
	{name: "Bluehaven People", domain: "bluehaven.example", typ: "referral", status: "qualifying",
		positioning: "mid_market", focus: "specialist", industries: l("Technology", "Healthcare"), sizes: l("Mid-market"),
		stages: l("Series B", "Growth"), regions: l("UK", "Netherlands"), monthsAgo: 3, services: l("Recruiting", "Training & coaching"),
		notes: "HR advisory and mid-level hiring. Strong fit; references checked.",
		contacts: []seedContact{{"Grace Thompson", "grace@bluehaven.example", "Managing director", "executive_sponsor", false},
			{"Noah Evans", "noah@bluehaven.example", "Partnerships lead", "account_manager", false}}},
	{name: "Vanguard ERP Consulting", domain: "vanguarderp.example", typ: "channel", status: "active", tier: "Tier 2 – Active",
		positioning: "mid_market", focus: "specialist", industries: l("Manufacturing", "Energy"), sizes: l("Mid-market", "Enterprise"),
		regions: l("UK", "Germany"), monthsAgo: 12, services: l("IT implementation"),
		contacts: []seedContact{{"Stefan Koch", "stefan@vanguarderp.example", "Partner", "executive_sponsor", false},
			{"Laura Jensen", "laura@vanguarderp.example", "Channel manager", "account_manager", false}}},
	{name: "Rhine Valley Partners", domain: "rhinevalley.example", typ: "alliance", status: "onboarding",
		positioning: "premium", focus: "generalist", industries: l("Manufacturing", "Financial services"), sizes: l("Enterprise"),
		stages: l("Mature"), regions: l("Germany", "Netherlands"), monthsAgo: 5, services: l("Change management", "Interim management"),
		notes:    "Joint post-merger integration offer for German acquisitions by UK groups.",
		contacts: []seedContact{{"Matthias Braun", "matthias@rhinevalley.example", "Managing partner", "executive_sponsor", false}}},
	{name: "Copperline Research", domain: "copperline.example", typ: "referral", status: "paused", tier: "Tier 3 – Referral network",
		positioning: "value", focus: "specialist", industries: l("Consumer goods"), sizes: l("SME", "Mid-market"),
		regions: l("UK"), monthsAgo: 19, services: l("Market research"),
		notes: "Paused while they restructure.",
		contacts: []seedContact{{"Hugo Bell", "hugo@copperline.example", "Director", "executive_sponsor", false},
			{"Amy Shaw", "amy@copperline.example", "Analyst", "delivery", true}}},
	{name: "Mosaic ESG Advisors", domain: "mosaicesg.example", typ: "referral", status: "prospect",
		positioning: "mid_market", focus: "specialist", industries: l("Energy", "Manufacturing"), sizes: l("Mid-market", "Enterprise"),
		regions: l("UK", "Netherlands"), monthsAgo: 0, services: l("ESG reporting"),
		contacts: []seedContact{{"Maya Patel", "maya@mosaicesg.example", "Founder", "executive_sponsor", false},
			{"Sean O'Neill", "sean@mosaicesg.example", "Consultant", "delivery", false}}},
}

// Qualification: scores in criterion order, references, red flags and the
// potential assessment (expected referrals in, out; clients who benefit).
var seedScores = map[string][]int{
	"Brightline Tax":           {5, 5, 4, 5, 4, 4},
	"Keystone Legal":           {4, 5, 5, 4, 4, 3},
	"Meridian Change Partners": {5, 4, 4, 5, 5, 5},
	"Summit Data Partners":     {4, 4, 3, 4, 4, 4},
	"Fjord Analytics":          {3, 5, 4, 3, 4, 4},
	"Bluehaven People":         {5, 4, 4, 4, 5, 4},
	"Harbor Creative":          {3, 3, 2},
	"Velocity Growth Labs":     {2, 2, 2, 1, 2, 1},
	"Quickfix IT Services":     {2, 2, 3, 3, 3, 1},
}

var seedReferences = []struct{ partner, who, relationship, sentiment, notes string }{
	{"Brightline Tax", "CFO, Corvid Health", "Client of both firms", "positive", "Joined-up advice on the carve-out; would hire both again."},
	{"Brightline Tax", "Partner, Keystone Legal", "Referral partner", "positive", "Reliable, refers both ways."},
	{"Summit Data Partners", "Head of data, Halden Foods", "Client", "positive", "Delivered the data platform on time."},
	{"Summit Data Partners", "Former employee", "Ex-staff", "neutral", "Small team; stretched in busy quarters."},
	{"Fjord Analytics", "COO, Nordvik Energy", "Client", "positive", "Deep industrial know-how."},
	{"Bluehaven People", "HR director, Lumen Software", "Client", "positive", "Filled six roles in a quarter."},
	{"Harbor Creative", "Marketing lead, Brindle Retail", "Client", "neutral", "Good ideas, uneven execution."},
	{"Velocity Growth Labs", "Founder, Quill Apps", "Former client", "negative", "Promised leads that never came."},
	{"Velocity Growth Labs", "Partner, Ashgrove Consulting", "Former partner", "negative", "Took referrals, never returned any."},
	{"Velocity Growth Labs", "CEO, Tandem Pay", "Former client", "negative", "Overstated their results in the pitch."},
}

var seedRedFlags = []struct{ partner, flag, note string }{
	{"Velocity Growth Labs", "one_sided_interest", "Every conversation is about the referrals they want from us."},
	{"Velocity Growth Labs", "vague_commitments", "No named clients or sectors they would send."},
	{"Velocity Growth Labs", "unrealistic_expectations", "Expect 30 referrals in year one."},
	{"Quickfix IT Services", "cant_say_what_they_refer", "Couldn't name a client of theirs who would need us."},
}

var seedAssessments = []struct {
	partner          string
	in, out, clients int
	notes            string
	decision, reason string
}{
	{"Brightline Tax", 8, 6, 40, "Shared mid-market healthcare and tech clients.", "qualified", "Strong fit, proven referrals both ways."},
	{"Keystone Legal", 6, 5, 30, "", "", ""},
	{"Summit Data Partners", 4, 3, 15, "Data work follows most of our operations reviews.", "qualified", "Fills our data & analytics gap; good references."},
	{"Fjord Analytics", 3, 2, 10, "Mostly Nordic energy clients.", "", ""},
	{"Bluehaven People", 5, 4, 20, "", "", ""},
	{"Harbor Creative", 2, 2, 8, "Below our bar of three referrals a year.", "", ""},
	{"Velocity Growth Labs", 1, 0, 3, "Little overlap with our clients.", "", ""},
	{"Quickfix IT Services", 1, 2, 5, "", "rejected", "Positioning mismatch: budget IT support for small firms; our clients are mid-market and expect senior delivery."},
}

var seedGaps = []struct {
	service, client, note string
	daysAgo               int
	byManager             bool
}{
	{"Cybersecurity", "Corvid Health", "Wanted a security review alongside the operating-model work.", 12, true},
	{"Cybersecurity", "Halden Foods", "Board asked who would test the new ERP's security.", 47, false},
	{"Cybersecurity", "Lumen Software", "", 130, true},
	{"IT implementation", "Brindle Retail", "Needed a Shopify Plus implementer; Ironbridge doesn't do it.", 25, true},
	{"IT implementation", "Nordvik Energy", "", 88, false},
	{"IT implementation", "Ashcombe Manufacturing", "SAP S/4 rollout in Germany.", 201, true},
	{"ESG reporting", "Nordvik Energy", "CSRD reporting from next year.", 33, true},
	{"ESG reporting", "Ashcombe Manufacturing", "", 160, false},
	{"Recruiting", "Tandem Pay", "Interim CFO and a head of operations.", 70, true},
	{"Recruiting", "Corvid Health", "", 245, true},
	{"Tax advice", "Quill Apps", "R&D tax credits.", 300, false},
	{"PR & communications", "Halden Foods", "Announcing the site closure.", 350, true},
}

// seedPartnerNetwork fills Northwind's partner network. partners are the
// partners seed.go created (by name); staff are the staff by email.
func seedPartnerNetwork(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners map[string]uuid.UUID, staff map[string]uuid.UUID) error {
	admin, manager := staff["admin@northwind.example"], staff["manager@northwind.example"]
	now := time.Now()
	exec := func(sql string, args ...any) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	}

	if err := exec(`INSERT INTO tenant_settings (tenant_id, positioning, icp_industries, icp_client_sizes, icp_stages, icp_regions,
			recruit_goal_min, recruit_goal_max) VALUES ($1, 'mid_market', $2, $3, $4, $5, 5, 10)
		ON CONFLICT (tenant_id) DO NOTHING`, tenantID,
		l("Healthcare", "Manufacturing", "Technology", "Financial services"), l("Mid-market", "Enterprise"),
		l("Series B", "Growth", "Mature"), l("UK", "Ireland", "Netherlands")); err != nil {
		return fmt.Errorf("settings: %w", err)
	}

	tiers := map[string]uuid.UUID{}
	for _, t := range seedTiers {
		var id uuid.UUID
		// The firm got the default tiers when it was created: the seed's are
		// those, with its own targets and benefits.
		if err := tx.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, target_min, target_max, checkin_cadence_days,
				default_rate_bp, benefits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (tenant_id, rank) DO UPDATE SET name = EXCLUDED.name, target_min = EXCLUDED.target_min,
				target_max = EXCLUDED.target_max, checkin_cadence_days = EXCLUDED.checkin_cadence_days,
				default_rate_bp = EXCLUDED.default_rate_bp, benefits = EXCLUDED.benefits
			RETURNING id`,
			tenantID, t.name, t.rank, t.min, t.max, t.days, t.bp, t.benefits).Scan(&id); err != nil {
			return fmt.Errorf("tier %s: %w", t.name, err)
		}
		tiers[t.name] = id
	}

	criteria := make([]uuid.UUID, len(seedCriteria))
	for i, c := range seedCriteria {
		// The firm got the default criteria when it was created; the seed
		// scores against them.
		if err := tx.QueryRow(ctx, `SELECT id FROM qualification_criteria WHERE tenant_id = $1 AND lower(name) = lower($2)`,
			tenantID, c.name).Scan(&criteria[i]); err != nil {
			return fmt.Errorf("criterion %s: %w", c.name, err)
		}
	}

	services := map[string]uuid.UUID{}
	for _, s := range seedServices {
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO services (tenant_id, name, phase, description) VALUES ($1, $2, $3, $4) RETURNING id`,
			tenantID, s.name, s.phase, s.desc).Scan(&id); err != nil {
			return fmt.Errorf("service %s: %w", s.name, err)
		}
		services[s.name] = id
	}

	ids := map[string]uuid.UUID{}
	for i, p := range seedPartners {
		owner := admin
		if i%3 != 0 {
			owner = manager
		}
		var tier *uuid.UUID
		if p.tier != "" {
			t := tiers[p.tier]
			tier = &t
		}
		added := now.AddDate(0, -p.monthsAgo, -(i % 9))
		nz := func(v []string) []string {
			if v == nil {
				return []string{}
			}
			return v
		}
		var pos, focus *string
		if p.positioning != "" {
			pos = &p.positioning
		}
		if p.focus != "" {
			focus = &p.focus
		}
		id, ok := partners[p.name]
		if !ok {
			id = uuid.New()
			if err := exec(`INSERT INTO partners (tenant_id, id, name, domain, type) VALUES ($1, $2, $3, $4, $5)`,
				tenantID, id, p.name, p.domain, p.typ); err != nil {
				return fmt.Errorf("partner %s: %w", p.name, err)
			}
		}
		ids[p.name] = id
		steps := statusPath(p.status, p.rejected != "")
		changed := added
		if len(steps) > 1 {
			changed = now.AddDate(0, 0, -7*(i%6+1))
			if changed.Before(added) {
				changed = added.Add(24 * time.Hour)
			}
		}
		if err := exec(`UPDATE partners SET domain = $3, type = $4, status = $5, website = $6, positioning = $7, focus = $8,
				industries = $9, client_sizes = $10, stages = $11, regions = $12, owner_user_id = $13, tier_id = $14,
				notes = $15, created_at = $16, updated_at = $17, status_changed_at = $17
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, p.domain, p.typ, p.status, "https://www."+p.domain, pos, focus,
			nz(p.industries), nz(p.sizes), nz(p.stages), nz(p.regions), owner, tier, p.notes, added, changed); err != nil {
			return fmt.Errorf("partner %s: %w", p.name, err)
		}
		// The lifecycle so far, spread between when it was added and its last move.
		var from *string
		for k, st := range steps {
			at := added
			if k > 0 {
				at = added.Add(changed.Sub(added) * time.Duration(k) / time.Duration(len(steps)-1))
			}
			reason := ""
			switch st {
			case "prospect":
				reason = "Added to the directory"
			case "qualifying":
				reason = "First meeting went well; qualifying"
			case "onboarding":
				reason = "Qualified"
			case "active":
				reason = "Onboarding complete"
			case "paused":
				reason = "Their executive sponsor left; relaunch after the summer"
			case "inactive":
				reason = "No referrals either way for a year"
			case "ended":
				reason = "Partnership ended"
				if p.rejected != "" {
					reason = "Rejected: " + p.rejected
				}
			}
			if err := exec(`INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, reason, actor_user_id, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenantID, id, from, st, reason, owner, at); err != nil {
				return fmt.Errorf("history %s: %w", p.name, err)
			}
			s := st
			from = &s
		}
		for k, c := range p.contacts {
			var departed *time.Time
			note := ""
			if c.departed {
				d := now.AddDate(0, -1-k, -(i % 20))
				departed, note = &d, "Left the firm"
			}
			primary := k == 0 && !c.departed
			if err := exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, email, title, level, is_primary,
					departed_at, departure_note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				tenantID, id, c.name, c.email, c.title, c.level, primary, departed, note, added); err != nil {
				return fmt.Errorf("contact %s: %w", c.name, err)
			}
		}
		for _, s := range p.services {
			sid, ok := services[s]
			if !ok {
				return fmt.Errorf("partner %s: no service %q", p.name, s)
			}
			if err := exec(`INSERT INTO partner_services (tenant_id, partner_id, service_id) VALUES ($1, $2, $3)`, tenantID, id, sid); err != nil {
				return fmt.Errorf("partner service %s: %w", s, err)
			}
		}
	}
	// The search document needs the covered services' names.
	if err := exec(`UPDATE partners p SET services_text = coalesce((SELECT string_agg(s.name, ' ' ORDER BY lower(s.name))
			FROM partner_services ps JOIN services s ON s.tenant_id = ps.tenant_id AND s.id = ps.service_id
			WHERE ps.tenant_id = p.tenant_id AND ps.partner_id = p.id), '') WHERE p.tenant_id = $1`, tenantID); err != nil {
		return fmt.Errorf("services text: %w", err)
	}

	for name, scores := range seedScores {
		for k, sc := range scores {
			note := ""
			if sc <= 2 {
				note = "Concern raised in the qualification call"
			}
			if err := exec(`INSERT INTO partner_scores (tenant_id, partner_id, criterion_id, score, note, scored_by, scored_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenantID, ids[name], criteria[k], sc, note, manager, now.AddDate(0, 0, -10-k)); err != nil {
				return fmt.Errorf("score %s: %w", name, err)
			}
		}
	}
	for k, r := range seedReferences {
		if err := exec(`INSERT INTO partner_references (tenant_id, partner_id, who, relationship, sentiment, notes, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenantID, ids[r.partner], r.who, r.relationship, r.sentiment, r.notes,
			manager, now.AddDate(0, 0, -20-k)); err != nil {
			return fmt.Errorf("reference %s: %w", r.who, err)
		}
	}
	for _, f := range seedRedFlags {
		if err := exec(`INSERT INTO partner_red_flags (tenant_id, partner_id, flag, note, created_by) VALUES ($1, $2, $3, $4, $5)`,
			tenantID, ids[f.partner], f.flag, f.note, manager); err != nil {
			return fmt.Errorf("red flag %s: %w", f.flag, err)
		}
	}
	for _, a := range seedAssessments {
		var decision *string
		var decidedBy *uuid.UUID
		var decidedAt *time.Time
		if a.decision != "" {
			d, at := a.decision, now.AddDate(0, 0, -30)
			decision, decidedBy, decidedAt = &d, &admin, &at
		}
		if err := exec(`INSERT INTO partner_assessments (tenant_id, partner_id, expected_referrals_in, expected_referrals_out,
				clients_who_benefit, notes, decision, decision_reason, decided_by, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, tenantID, ids[a.partner], a.in, a.out, a.clients, a.notes,
			decision, a.reason, decidedBy, decidedAt); err != nil {
			return fmt.Errorf("assessment %s: %w", a.partner, err)
		}
	}
	for _, g := range seedGaps {
		by := admin
		if g.byManager {
			by = manager
		}
		if err := exec(`INSERT INTO service_gaps (tenant_id, service_id, client_name, noted_by, noted_on, note)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, services[g.service], g.client, by,
			now.AddDate(0, 0, -g.daysAgo).Format(time.DateOnly), g.note); err != nil {
			return fmt.Errorf("gap %s: %w", g.service, err)
		}
	}
	return nil
}

// statusPath is the lifecycle a demo partner went through to reach status.
func statusPath(status string, rejected bool) []string {
	if rejected {
		return []string{"prospect", "qualifying", "ended"}
	}
	switch status {
	case "prospect":
		return []string{"prospect"}
	case "qualifying":
		return []string{"prospect", "qualifying"}
	case "onboarding":
		return []string{"prospect", "qualifying", "onboarding"}
	case "active":
		return []string{"prospect", "qualifying", "onboarding", "active"}
	case "paused", "inactive", "ended":
		return []string{"prospect", "qualifying", "onboarding", "active", status}
	}
	return []string{strings.TrimSpace(status)}
}
