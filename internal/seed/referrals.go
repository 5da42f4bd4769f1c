package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/referral"
)

// Two years of Northwind's referrals, both ways (December 2024 to November
// 2026): partners refer clients to Northwind (inbound) and Northwind refers
// clients to partners (outbound), across every stage, with the timeline of
// each (status moves with their partner-facing notes, internal and partner
// notes, owners, fit feedback, conflicts and attribution, SLA reminders and
// breaches), the clients and engagements won referrals became, assisting
// partners and the qualification checklist as answered.
//
// Deterministic: a fixed random seed and a fixed reference date
// (2026-11-27), so the same history comes out every time. Open referrals
// are placed relative to the present instead (shifted by now − reference
// date), so their SLA clocks look live whenever the demo is seeded.
// Written with plain SQL in the firm's transaction, a few bulk statements
// (jsonb_to_recordset), and no emails queued.

// seedRefFlow is how many referrals a partner sent us (in) and we sent it
// (out) over the two years. Brightline is the busiest; Northstar is the
// uneven one ("we referred 12, received 2").
var seedRefFlows = []struct {
	partner string
	in, out int
	winRate float64
}{
	{"Brightline Tax", 68, 44, 0.48},
	{"Keystone Legal", 38, 29, 0.42},
	{"Meridian Change Partners", 30, 24, 0.40},
	{"Ironbridge Systems", 19, 27, 0.35},
	{"Vanguard ERP Consulting", 13, 17, 0.33},
	{"Oakridge Interim", 10, 14, 0.36},
	{"Northstar Talent", 2, 12, 0.30},
	{"Clearwater PR", 8, 5, 0.30},
	{"Evergreen Learning", 6, 8, 0.32},
	{"Atlas Capital Group", 9, 6, 0.38},
	{"Crestview Accountants", 5, 2, 0.25},
	{"Sable & Finch Communications", 4, 3, 0.30},
	{"Copperline Research", 4, 1, 0.25},
	{"Summit Data Partners", 3, 2, 0.30},
}

// The reference date of the demo history (the firm's zone is applied at
// seeding time).
var seedRefDay = [3]int{2026, 11, 27}

// seedRefStart is the first day of the history.
var seedRefStart = [3]int{2024, 12, 2}

var seedRefCompanyA = []string{"Halden", "Corvid", "Lumen", "Brindle", "Nordvik", "Ashcombe", "Tandem", "Quill", "Harrow",
	"Kestrel", "Marlow", "Pennant", "Radley", "Saxby", "Thornbury", "Uplands", "Wexford", "Yarrow", "Alder", "Belmont",
	"Calder", "Dunmore", "Elmstead", "Fenwick", "Glenrock", "Holloway", "Ingram", "Juniper", "Kingsley", "Larkspur",
	"Millbrook", "Newbury", "Orchard", "Pemberton", "Quarry", "Rowan", "Stirling", "Trafalgar", "Vale", "Westbrook",
	"Ashby", "Bramble", "Cobalt", "Driftwood", "Everly"}

var seedRefCompanyB = []struct{ word, industry string }{
	{"Foods", "food"}, {"Health", "health"}, {"Software", "tech"}, {"Retail", "retail"}, {"Energy", "energy"},
	{"Manufacturing", "manufacturing"}, {"Pay", "fintech"}, {"Logistics", "logistics"}, {"Pharma", "health"},
	{"Engineering", "manufacturing"}, {"Capital", "finance"}, {"Hotels", "hospitality"}, {"Labs", "tech"},
	{"Care Group", "health"}, {"Components", "manufacturing"},
}

var seedRefLegal = []string{"", "", "", " Ltd", " Ltd", " Group", " plc", " Holdings"}

var seedRefFirst = []string{"Olivia", "James", "Amelia", "Oliver", "Isla", "Harry", "Ava", "George", "Mia", "Noah",
	"Sophie", "Jack", "Grace", "Leo", "Freya", "Arthur", "Chloe", "Oscar", "Ella", "Charlie", "Priya", "Tomasz",
	"Aisha", "Ravi", "Ingrid", "Mateo", "Niamh", "Kwame", "Mei", "Daniel"}

var seedRefLast = []string{"Hughes", "Patel", "Walsh", "Clarke", "Murphy", "Khan", "Evans", "Turner", "Nowak", "Fraser",
	"Bennett", "Okafor", "Lindqvist", "Reid", "Chen", "Doyle", "Hartley", "Singh", "Moreau", "Ellis"}

// What a client needs, by service: inbound for Northwind's own services,
// outbound for the partners'.
var seedRefChallenges = map[string][]string{
	"Strategy consulting": {
		"Growth has stalled at around £40m revenue and the board wants a credible three-year plan before the next funding round.",
		"Weighing entry into the Netherlands against doubling down at home; they need the numbers to decide by year end.",
		"Private-equity owner wants a value-creation plan for the next hold period.",
		"Two product lines are cannibalising each other; the leadership team can't agree which to back.",
	},
	"Operations improvement": {
		"Margins are down four points in two years and they suspect the warehouse network.",
		"Month-end close takes fifteen days; the CFO wants it in five.",
		"Customer complaints doubled after moving to a new 3PL; they need the operation stabilised fast.",
		"Working capital is tied up in stock: they want to release £5m without hurting service levels.",
	},
	"Post-merger integration": {
		"Closed the acquisition of a competitor in the spring; the integration has no owner and the synergies are slipping.",
		"Buying a German business next quarter and want a first-100-days plan before signing.",
		"Two finance teams, two ERPs and one board deadline for combined reporting.",
	},
	"Tax advice":              {"Restructuring the group ahead of a sale and want the tax position clean.", "R&D tax credits never claimed in five years of product development."},
	"Legal":                   {"Employment-law questions on a redundancy programme across three sites.", "Contract templates for a new subscription offer; the old ones predate the business model."},
	"Recruiting":              {"Need an interim CFO and a head of operations for the new structure.", "Hiring a COO who has run a multi-site operation through change."},
	"IT implementation":       {"ERP replacement: the current system is out of support next year.", "CRM rollout stalled after the first pilot team."},
	"Change management":       {"Operating-model change touching 400 people; they want help with engagement and communications.", "Adoption of the new planning process is patchy across regions."},
	"PR & communications":     {"Announcing a site closure and want the message handled carefully.", "Repositioning the brand after the merger."},
	"Data & analytics":        {"Board pack takes a week to assemble from spreadsheets; they want live dashboards.", "Want a single view of customer profitability across channels."},
	"Interim management":      {"Operations director left suddenly mid-programme; need cover for six months.", "Interim programme director for the integration."},
	"Training & coaching":     {"New leadership team needs coaching through the first year of the plan.", "Managers promoted in the restructure need a leadership programme."},
	"Financial due diligence": {"Considering a bolt-on acquisition and need quality-of-earnings work fast."},
	"Market research":         {"Need to size the Dutch market before committing to entry.", "Customer research to test a new pricing model."},
	"Managed IT support":      {"Want someone to run the new systems once the programme ends."},
	"ESG reporting":           {"CSRD reporting applies from next year and nobody owns it."},
	"Cybersecurity":           {"Board wants a security review alongside the operating-model work."},
}

var seedRefContexts = []string{
	"We have advised them on tax for three years; the CFO asked us who we would trust with this.",
	"Met the COO at a client dinner; they mentioned it twice.",
	"Long-standing client of ours. The decision sits with the CEO and the PE board member.",
	"They are mid-way through a refinancing, so timing matters.",
	"I have worked with the finance director before; she is expecting a call.",
	"Came up in our quarterly review with them; budget is set aside for next quarter.",
	"",
	"",
}

var seedRefPromises = []string{
	"Told them you would call this week.",
	"Said you could do an initial conversation free of charge.",
	"",
	"",
	"",
	"Mentioned you have done similar work in their sector.",
}

var seedRefStatusNotes = map[string][]string{
	referral.Acknowledged: {"Thanks — this looks like a good fit. We'll call the client this week.", "Thank you for thinking of us. We've picked this up and will be in touch with the client shortly.", ""},
	referral.Contacted:    {"Spoke to the client; a meeting is in the diary.", "Good first call with the finance director. Meeting next week.", "Reached the client by email; call booked."},
	referral.Meeting:      {"Good first meeting with the leadership team. Proposal to follow.", "Met the COO and CFO; they want a phased proposal.", "Workshop held with the board; scoping the work now."},
	referral.Proposal:     {"Proposal sent for a twelve-week engagement.", "Proposal with the client; decision expected at the next board.", "Sent a phased proposal; first phase fixed fee."},
}

var seedRefLostNotes = map[string][]string{
	"timing":      {"The client has put the project on hold until after their year end. We'll pick it up again in the spring.", "They want to revisit this after the refinancing closes."},
	"budget":      {"The client couldn't free up budget this year; they asked us to check back in Q2.", "Budget was cut at the last board meeting."},
	"fit":         {"The work turned out to be mostly systems implementation, which isn't ours to do well.", "They needed a much smaller piece of work than we are set up for."},
	"competitor":  {"The client went with their incumbent adviser, mainly on price.", "They chose a larger firm with a sector specialism."},
	"no_response": {"We tried several times by phone and email but couldn't get a meeting.", "The contact left the company and nobody picked it up."},
	"other":       {"The company was sold before the project started.", "The client decided to do the work in-house."},
}

var seedRefDeclineNotes = []string{
	"Thank you — this one is outside what we do; it's an IT implementation rather than operations work.",
	"We're not the right firm for a business this size; happy to suggest someone better placed.",
	"The client already works with us through another introduction — see the attribution note.",
	"This is a pure cost-cutting brief at very short notice, which isn't where we add value.",
}

var seedRefPartnerDecline = []string{
	"No capacity this quarter, sorry.",
	"Outside our specialism: they need a larger team than ours.",
	"We have a conflict with one of their competitors.",
}

var seedRefInternal = []string{
	"Checked: no existing relationship with this client.",
	"Owner to loop in the sector lead before the meeting.",
	"Pricing agreed with the practice lead.",
	"Client asked for references; sent two.",
	"Follow-up call moved twice by the client.",
}

var seedRefPartnerNotes = []string{
	"The CFO asked me today when you would be in touch.",
	"Heads-up: their board meets on the 15th, worth having something to them before.",
	"They were very positive about the first meeting.",
	"Any news on this one?",
	"Happy to join the first call if it helps.",
}

var seedRefFitGood = []string{"Exactly the kind of client we want: mid-market, clear need, budget set aside.", "Warm introduction, well briefed.", "Great fit; the context you gave saved us a week.", ""}
var seedRefFitPoor = []string{"Too small for us: under our minimum engagement size.", "The need was IT delivery, not operations.", "Client wasn't expecting our call."}

var seedRefEngagementNames = map[string][]string{
	"Strategy consulting":     {"Three-year growth strategy", "Market-entry assessment", "Value-creation plan"},
	"Operations improvement":  {"Operations review", "Finance transformation", "Network redesign", "Working-capital programme"},
	"Post-merger integration": {"Integration programme", "First 100 days", "Finance integration"},
}

var seedRefAssistNotes = []string{"Introduced us to the CFO.", "Shared the background on the deal.", "Vouched for us with the board.", ""}

// seedRefPartner is a partner the history runs for.
type seedRefPartner struct {
	id                 uuid.UUID
	name, status       string
	created, changed   time.Time
	services           []uuid.UUID // the partner's covered services
	agreements         []seedRefAgreement
	flowIn, flowOut    int
	winRate            float64
	portalUser         *uuid.UUID
	windowStart, until time.Time
}

// seedRefAgreement is a version of a partner's agreement that was in force
// (the agreements demo makes them).
type seedRefAgreement struct {
	id       uuid.UUID
	version  int
	from, to time.Time // to: zero when open-ended
}

// agreementOn is the version in force on the day of t.
func (p *seedRefPartner) agreementOn(t time.Time) *uuid.UUID {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	var best *seedRefAgreement
	for i, a := range p.agreements {
		if !a.from.After(day) && (a.to.IsZero() || !a.to.Before(day)) && (best == nil || a.version > best.version) {
			best = &p.agreements[i]
		}
	}
	if best == nil {
		return nil
	}
	return &best.id
}

// refRow is one referral as inserted (jsonb_to_recordset columns).
type refRow struct {
	ID                   uuid.UUID       `json:"id"`
	Direction            string          `json:"direction"`
	PartnerID            uuid.UUID       `json:"partner_id"`
	ProspectID           uuid.UUID       `json:"prospect_id"`
	ClientID             *uuid.UUID      `json:"client_id"`
	ClientCompany        string          `json:"client_company"`
	ClientDomain         string          `json:"client_domain"`
	ClientNameNorm       string          `json:"client_name_norm"`
	ServiceID            *uuid.UUID      `json:"service_id"`
	Challenge            string          `json:"challenge"`
	Context              string          `json:"context"`
	PromisesMade         string          `json:"promises_made"`
	Urgency              string          `json:"urgency"`
	EstimatedValueCents  *int64          `json:"estimated_value_cents"`
	Checklist            json.RawMessage `json:"checklist"`
	Status               string          `json:"status"`
	StatusChangedAt      time.Time       `json:"status_changed_at"`
	Source               string          `json:"source"`
	SubmittedAt          time.Time       `json:"submitted_at"`
	SubmittedBy          *uuid.UUID      `json:"submitted_by"`
	OriginatorUserID     *uuid.UUID      `json:"originator_user_id"`
	OwnerUserID          *uuid.UUID      `json:"owner_user_id"`
	CreditedPartnerID    *uuid.UUID      `json:"credited_partner_id"`
	ConflictWithID       *uuid.UUID      `json:"conflict_with_id"`
	ConflictStatus       string          `json:"conflict_status"`
	ConflictNote         string          `json:"conflict_note"`
	ClaimExpiresAt       *time.Time      `json:"claim_expires_at"`
	FirstResponseDueAt   *time.Time      `json:"first_response_due_at"`
	FirstRespondedAt     *time.Time      `json:"first_responded_at"`
	FirstContactDueAt    *time.Time      `json:"first_contact_due_at"`
	ContactedAt          *time.Time      `json:"contacted_at"`
	MeetingDueAt         *time.Time      `json:"meeting_due_at"`
	MeetingAt            *time.Time      `json:"meeting_at"`
	PartnerResponseDueAt *time.Time      `json:"partner_response_due_at"`
	PartnerAcceptedAt    *time.Time      `json:"partner_accepted_at"`
	PartnerDeclinedAt    *time.Time      `json:"partner_declined_at"`
	PartnerDeclineReason *string         `json:"partner_decline_reason"`
	ClosedAt             *time.Time      `json:"closed_at"`
	CloseReason          *string         `json:"close_reason"`
	Fit                  *string         `json:"fit"`
	FitNote              string          `json:"fit_note"`
	AgreementID          *uuid.UUID      `json:"agreement_id"`
	CreatedAt            time.Time       `json:"created_at"`
	UpdatedAt            time.Time       `json:"updated_at"`

	// Not columns: the contact (a prospect row) and the history.
	contact  seedRefContact
	events   []refEvent
	assist   *uuid.UUID
	won      *refEngagement
	breaches []refBreach
	open     bool
}

const refColumns = `id uuid, direction text, partner_id uuid, prospect_id uuid, client_id uuid, client_company text,
	client_domain text, client_name_norm text, service_id uuid, challenge text, context text, promises_made text,
	urgency text, estimated_value_cents bigint, checklist jsonb, status text, status_changed_at timestamptz,
	source text, submitted_at timestamptz, submitted_by uuid, originator_user_id uuid, owner_user_id uuid,
	credited_partner_id uuid, conflict_with_id uuid, conflict_status text, conflict_note text,
	claim_expires_at timestamptz, first_response_due_at timestamptz, first_responded_at timestamptz,
	first_contact_due_at timestamptz, contacted_at timestamptz, meeting_due_at timestamptz, meeting_at timestamptz,
	partner_response_due_at timestamptz, partner_accepted_at timestamptz, partner_declined_at timestamptz,
	partner_decline_reason text, closed_at timestamptz, close_reason text, fit text, fit_note text,
	agreement_id uuid, created_at timestamptz, updated_at timestamptz`

type seedRefContact struct {
	ID        uuid.UUID `json:"id"`
	PartnerID uuid.UUID `json:"partner_id"`
	Name      string    `json:"contact_name"`
	Email     string    `json:"contact_email"`
	Phone     string    `json:"contact_phone"`
	CreatedAt time.Time `json:"created_at"`
}

type refEvent struct {
	ReferralID  uuid.UUID  `json:"referral_id"`
	PartnerID   uuid.UUID  `json:"partner_id"`
	At          time.Time  `json:"at"`
	ActorUserID *uuid.UUID `json:"actor_user_id"`
	ActorKind   string     `json:"actor_kind"`
	Kind        string     `json:"kind"`
	FromStatus  *string    `json:"from_status"`
	ToStatus    *string    `json:"to_status"`
	Reason      *string    `json:"reason"`
	Body        string     `json:"body"`
	Visible     bool       `json:"visible_to_partner"`
}

type refBreach struct {
	ReferralID uuid.UUID  `json:"referral_id"`
	Clock      string     `json:"clock"`
	PartnerID  uuid.UUID  `json:"partner_id"`
	DueAt      time.Time  `json:"due_at"`
	BreachedAt time.Time  `json:"breached_at"`
	RemindedAt *time.Time `json:"reminded_at"`
}

type refEngagement struct {
	ID         uuid.UUID  `json:"id"`
	ReferralID uuid.UUID  `json:"referral_id"`
	PartnerID  uuid.UUID  `json:"partner_id"`
	ClientID   *uuid.UUID `json:"client_id"`
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	ValueCents int64      `json:"value_cents"`
	StartedOn  string     `json:"started_on"`
	CreatedBy  *uuid.UUID `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
}

type refClient struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	NameNorm  string    `json:"name_norm"`
	Domain    string    `json:"domain"`
	CreatedAt time.Time `json:"created_at"`
}

type refAssist struct {
	ReferralID uuid.UUID `json:"referral_id"`
	PartnerID  uuid.UUID `json:"partner_id"`
	Note       string    `json:"note"`
	CreatedAt  time.Time `json:"created_at"`
}

// refGen generates the history.
type refGen struct {
	rng      *rand.Rand
	st       referral.Settings
	loc      *time.Location
	ref      time.Time // the reference date: closed history ends before it
	shift    time.Duration
	now      time.Time
	staff    []uuid.UUID // owners: manager, admin
	names    map[uuid.UUID]string
	ours     map[string]uuid.UUID // our services by name
	svcNames map[uuid.UUID]string
	qs       []referral.Question
	used     map[string]bool
	ids      *rand.ChaCha8 // ids, from their own stream
	// end is the present on the reference calendar (now − shift): where
	// the scripted referrals' histories end.
	end time.Time
	// force, when set, is the outcome of the next referral generated, with
	// forceNote as the partner-facing note (a duplicate declined).
	force, forceNote string
}

// seedReferrals gives Northwind two years of referrals both ways.
func seedReferrals(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, _, staff map[string]uuid.UUID) error {
	exec := func(sql string, args ...any) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	}
	// The checklist (normally there from setup) and the firm's clock: a
	// London consultancy.
	if err := referral.SetUpFirm(ctx, tx, tenantID); err != nil {
		return fmt.Errorf("referral checklist: %w", err)
	}
	if err := exec(`INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ($1, 'Europe/London')
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone`, tenantID); err != nil {
		return fmt.Errorf("referral settings: %w", err)
	}
	st, err := referral.GetSettings(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	qs, err := referral.Questions(ctx, tx, tenantID, true)
	if err != nil {
		return err
	}
	loc := st.Location()
	now := time.Now().Truncate(time.Second)
	refDay := time.Date(seedRefDay[0], time.Month(seedRefDay[1]), seedRefDay[2], 0, 0, 0, 0, loc)
	g := &refGen{
		rng: rand.New(rand.NewPCG(20261127, 42)), ids: rand.NewChaCha8([32]byte{'n', 'o', 'r', 't', 'h', 'w', 'i', 'n', 'd'}), st: st, loc: loc, ref: refDay, now: now,
		ours: map[string]uuid.UUID{}, svcNames: map[uuid.UUID]string{}, qs: qs, used: map[string]bool{},
		names: map[uuid.UUID]string{},
	}
	// The closed history stays on its fixed dates (and never after now).
	// Open referrals move with the present by whole days (so they keep
	// their working-day times), and the scripted ones sit just before now:
	// their clocks run live.
	if now.Before(refDay) {
		g.ref = now
	}
	g.shift = now.Sub(g.ref).Truncate(24 * time.Hour)
	g.end = now.Add(-g.shift)
	for _, email := range []string{"manager@northwind.example", "admin@northwind.example"} {
		if id, ok := staff[email]; ok {
			g.staff = append(g.staff, id)
		}
	}
	if len(g.staff) == 0 {
		return fmt.Errorf("referrals: no Northwind staff to own them")
	}
	var portalUser *uuid.UUID
	if id, ok := staff["partner@brightline.example"]; ok {
		portalUser = &id
	}
	rows, err := tx.Query(ctx, `SELECT id, name FROM users WHERE id = ANY($1)`, g.staff)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		g.names[id] = name
	}
	if err := rows.Err(); err != nil {
		return err
	}

	// Services: ours (inbound) and what each partner covers (outbound).
	rows, err = tx.Query(ctx, `SELECT id, name, phase FROM services WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var name, phase string
		if err := rows.Scan(&id, &name, &phase); err != nil {
			return err
		}
		g.svcNames[id] = name
		if phase == "ours" {
			g.ours[name] = id
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	partnersByName := map[string]*seedRefPartner{}
	rows, err = tx.Query(ctx, `SELECT p.id, p.name, p.status, p.created_at, p.status_changed_at,
			coalesce(array_agg(ps.service_id) FILTER (WHERE ps.service_id IS NOT NULL), '{}')
		FROM partners p LEFT JOIN partner_services ps ON ps.tenant_id = p.tenant_id AND ps.partner_id = p.id
		WHERE p.tenant_id = $1 GROUP BY p.tenant_id, p.id`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		p := &seedRefPartner{}
		if err := rows.Scan(&p.id, &p.name, &p.status, &p.created, &p.changed, &p.services); err != nil {
			return err
		}
		slices.SortFunc(p.services, func(a, b uuid.UUID) int { return strings.Compare(g.svcNames[a], g.svcNames[b]) })
		partnersByName[p.name] = p
	}
	if err := rows.Err(); err != nil {
		return err
	}

	// The agreement versions that were in force, for each referral's terms.
	rows, err = tx.Query(ctx, `SELECT partner_id, id, version, effective_from, coalesce(effective_to, '0001-01-01')
		FROM agreements WHERE tenant_id = $1 AND status IN ('active', 'superseded', 'expired', 'terminated')`, tenantID)
	if err != nil {
		return err
	}
	byID := map[uuid.UUID]*seedRefPartner{}
	for _, p := range partnersByName {
		byID[p.id] = p
	}
	for rows.Next() {
		var pid uuid.UUID
		var a seedRefAgreement
		if err := rows.Scan(&pid, &a.id, &a.version, &a.from, &a.to); err != nil {
			return err
		}
		if a.to.Year() == 1 {
			a.to = time.Time{}
		}
		if p, ok := byID[pid]; ok {
			p.agreements = append(p.agreements, a)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	var all []*refRow
	var flows []*seedRefPartner
	for _, f := range seedRefFlows {
		p, ok := partnersByName[f.partner]
		if !ok {
			continue // a demo without that partner
		}
		p.flowIn, p.flowOut, p.winRate = f.in, f.out, f.winRate
		if p.name == "Brightline Tax" {
			p.portalUser = portalUser
		}
		g.window(p)
		flows = append(flows, p)
	}
	for _, p := range flows {
		for k := 0; k < p.flowIn; k++ {
			all = append(all, g.referral(p, "inbound", g.submittedIn(p), ""))
		}
		for k := 0; k < p.flowOut; k++ {
			all = append(all, g.referral(p, "outbound", g.submittedIn(p), ""))
		}
	}
	all = append(all, g.scripted(partnersByName)...)
	all = append(all, g.conflicts(all, partnersByName)...)
	g.assists(all, flows)
	slices.SortStableFunc(all, func(a, b *refRow) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	return g.insert(ctx, tx, tenantID, all)
}

// window is when a partner could refer: from a little after it joined (and
// not before the history starts) to its pause, inactivity or end.
func (g *refGen) window(p *seedRefPartner) {
	// The partner's dates, which the partner demo set relative to now, on
	// the reference date's calendar (whole days), so the history is the
	// same whenever it is seeded.
	day := func(t time.Time) time.Time {
		// Those dates are "now" minus whole days, so on the reference
		// calendar they fall on a midnight, give or take the moments
		// between the two clocks' reads: round to the nearest day.
		t = t.Add(-g.shift).Add(12 * time.Hour).In(g.loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, g.loc)
	}
	created, changed := day(p.created), day(p.changed)
	start := time.Date(seedRefStart[0], time.Month(seedRefStart[1]), seedRefStart[2], 9, 0, 0, 0, g.loc)
	if joined := created.AddDate(0, 0, 45); joined.After(start) {
		start = joined
	}
	until := g.ref
	switch p.status {
	case "paused":
		until = changed.AddDate(0, 0, -3)
	case "inactive":
		until = changed.AddDate(-1, 0, 0) // "no referrals either way for a year"
	case "ended":
		until = changed.AddDate(0, -1, 0)
	}
	if until.After(g.ref) {
		until = g.ref
	}
	if !until.After(start) {
		until = start.Add(14 * 24 * time.Hour)
	}
	p.windowStart, p.until = start, until
}

// submittedIn is a working-day time in the partner's window.
func (g *refGen) submittedIn(p *seedRefPartner) time.Time {
	span := p.until.Sub(p.windowStart)
	t := p.windowStart.Add(time.Duration(g.rng.Int64N(int64(span))))
	t = time.Date(t.Year(), t.Month(), t.Day(), 8+g.rng.IntN(10), g.rng.IntN(60), 0, 0, g.loc)
	switch t.Weekday() {
	case time.Saturday:
		t = t.AddDate(0, 0, -1)
	case time.Sunday:
		t = t.AddDate(0, 0, 1)
	}
	if t.After(p.until) {
		t = t.AddDate(0, 0, -7)
	}
	return t
}

// id is the next id of the history: deterministic, like the rest.
func (g *refGen) id() uuid.UUID { return uuid.Must(uuid.NewRandomFromReader(g.ids)) }

func (g *refGen) pick(ss []string) string { return ss[g.rng.IntN(len(ss))] }

// bhours is about h business hours after t (the firm's clock), moved into
// the working day (8:00–19:00, Monday to Friday) as people work.
func (g *refGen) bhours(t time.Time, h float64) time.Time {
	return g.workTime(referral.DueAt(t, time.Duration(h*float64(time.Hour)), g.st.SLAClock, g.loc).Truncate(time.Minute))
}

// workTime moves t forward into the next working hours.
func (g *refGen) workTime(t time.Time) time.Time {
	t = t.In(g.loc)
	if t.Hour() >= 19 {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 8, g.rng.IntN(90), 0, 0, g.loc)
	} else if t.Hour() < 8 {
		t = time.Date(t.Year(), t.Month(), t.Day(), 8, g.rng.IntN(90), 0, 0, g.loc)
	}
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// company is a new client company, unique across the history.
func (g *refGen) company() (name, domain string) {
	for range 1000 {
		a := g.pick(seedRefCompanyA)
		b := seedRefCompanyB[g.rng.IntN(len(seedRefCompanyB))]
		base := a + " " + b.word
		if g.used[base] {
			continue
		}
		g.used[base] = true
		domain = strings.ToLower(a+strings.ReplaceAll(b.word, " ", "")) + ".example"
		return base + g.pick(seedRefLegal), domain
	}
	// The combinations ran out: number them.
	n := len(g.used)
	g.used[fmt.Sprint(n)] = true
	return fmt.Sprintf("Client %d Ltd", n), fmt.Sprintf("client%d.example", n)
}

func (g *refGen) contact(domain string) (name, email, phone string) {
	first, last := g.pick(seedRefFirst), g.pick(seedRefLast)
	return first + " " + last, strings.ToLower(first+"."+last) + "@" + domain,
		fmt.Sprintf("+44 20 7946 0%03d", g.rng.IntN(1000))
}

func (g *refGen) checklist() json.RawMessage {
	out := make([]referral.Answer, 0, len(g.qs))
	for _, q := range g.qs {
		out = append(out, referral.Answer{QuestionID: q.ID, Question: q.Question, Required: q.Required,
			Answer: q.Required || g.rng.Float64() < 0.7})
	}
	b, _ := json.Marshal(out)
	return b
}

func ptrT(t time.Time) *time.Time { return &t }
func ptrS(s string) *string       { return &s }

// referral generates one referral's facts and history. open, when set,
// stops it open at that stage (scripted referrals).
func (g *refGen) referral(p *seedRefPartner, dir string, sub time.Time, openAt string) *refRow {
	company, domain := g.company()
	owner := g.staff[0] // the partner manager works most of them
	if len(g.staff) > 1 && g.rng.Float64() < 0.35 {
		owner = g.staff[1]
	}
	r := &refRow{ID: g.id(), Direction: dir, PartnerID: p.id, ProspectID: g.id(), ClientCompany: company,
		ClientDomain: domain, ClientNameNorm: referral.NormalizeCompany(company), ConflictStatus: "none",
		SubmittedAt: sub, CreatedAt: sub, Checklist: json.RawMessage("[]"), OwnerUserID: &owner}
	name, email, phone := g.contact(domain)
	if g.rng.Float64() < 0.15 {
		phone = ""
	}
	r.contact = seedRefContact{ID: r.ProspectID, PartnerID: p.id, Name: name, Email: email, Phone: phone, CreatedAt: sub}

	// What the client needs.
	var service string
	if dir == "inbound" {
		names := []string{"Strategy consulting", "Operations improvement", "Operations improvement", "Post-merger integration"}
		service = g.pick(names)
		if id, ok := g.ours[service]; ok {
			r.ServiceID = &id
		}
		r.Checklist = g.checklist()
	} else if len(p.services) > 0 {
		id := p.services[g.rng.IntN(len(p.services))]
		r.ServiceID, service = &id, g.svcNames[id]
	}
	if cs, ok := seedRefChallenges[service]; ok {
		r.Challenge = g.pick(cs)
	} else {
		r.Challenge = g.pick(seedRefChallenges["Operations improvement"])
	}
	if dir == "inbound" {
		r.Context, r.PromisesMade = g.pick(seedRefContexts), g.pick(seedRefPromises)
	} else {
		r.Context = "Long-standing client of ours; " + g.pick([]string{"they asked us for a name we trust.", "the CFO is expecting your call.", "we are running their operations programme."})
	}
	switch u := g.rng.Float64(); {
	case u < 0.15:
		r.Urgency = "low"
	case u < 0.7:
		r.Urgency = "normal"
	case u < 0.92:
		r.Urgency = "high"
	default:
		r.Urgency = "urgent"
	}
	if g.rng.Float64() < 0.82 {
		// Log-uniform between $5k and $300k, in hundreds.
		v := int64(math.Exp(math.Log(5000)+g.rng.Float64()*(math.Log(300000)-math.Log(5000)))) / 500 * 500 * 100
		r.EstimatedValueCents = &v
	}

	// Who brought it in, inside the firm.
	if dir == "inbound" {
		switch {
		case sub.Before(time.Date(2025, 2, 1, 0, 0, 0, 0, g.loc)):
			r.Source = "import" // from the spreadsheet the firm kept before
		case p.portalUser != nil && g.rng.Float64() < 0.85:
			r.Source, r.SubmittedBy = "portal", p.portalUser
		default:
			r.Source, r.SubmittedBy = "staff", &owner // logged on the partner's behalf after a call
		}
		orig := owner
		if g.rng.Float64() < 0.25 && len(g.staff) > 1 {
			orig = g.staff[(slices.Index(g.staff, owner)+1)%len(g.staff)]
		}
		r.OriginatorUserID = &orig
	} else {
		r.Source, r.SubmittedBy, r.OriginatorUserID = "staff", &owner, &owner
	}
	r.CreditedPartnerID = &p.id
	r.AgreementID = p.agreementOn(sub.In(g.loc))

	g.history(r, p, openAt)
	return r
}

// history walks the referral through the pipeline from its submission,
// stopping at the reference date (it is then open, and shifted to the
// present) or at its planned close.
func (g *refGen) history(r *refRow, p *seedRefPartner, openAt string) {
	st := g.st
	sub := r.SubmittedAt
	actorPartner := p.portalUser
	staffActor := r.OwnerUserID
	ev := func(at time.Time, actor *uuid.UUID, kind, actorKind string, from, to, reason *string, body string, visible bool) {
		r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: at, ActorUserID: actor,
			ActorKind: actorKind, Kind: kind, FromStatus: from, ToStatus: to, Reason: reason, Body: body, Visible: visible})
	}
	subActor, subKind := r.SubmittedBy, "staff"
	if r.Source == "portal" {
		subKind = "partner"
	}
	if r.Source == "import" {
		subActor, subKind = nil, "system"
	}
	ev(sub, subActor, "submitted", subKind, nil, ptrS(referral.Submitted), nil, "", true)

	// The plan: how it ends and how long each step takes.
	outcome := referral.Won
	switch u := g.rng.Float64(); {
	case u < 0.14:
		outcome = referral.Declined
	case u < 0.14+p.winRate:
		outcome = referral.Won
	default:
		outcome = referral.Lost
	}
	if g.force != "" {
		outcome = g.force
	}
	lostAt := g.pick([]string{referral.Contacted, referral.Meeting, referral.Proposal, referral.Proposal})
	wonFrom := referral.Proposal
	if g.rng.Float64() < 0.2 {
		wonFrom = referral.Meeting
	}

	var steps []string // the stages it goes through, then the outcome
	switch outcome {
	case referral.Declined:
		steps = []string{referral.Declined}
		if g.force == "" && g.rng.Float64() < 0.5 {
			steps = []string{referral.Acknowledged, referral.Declined}
		}
	case referral.Lost:
		for _, s := range referral.OpenStatuses[1:] {
			steps = append(steps, s)
			if s == lostAt {
				break
			}
		}
		steps = append(steps, referral.Lost)
	default:
		for _, s := range referral.OpenStatuses[1:] {
			steps = append(steps, s)
			if s == wonFrom {
				break
			}
		}
		steps = append(steps, referral.Won)
	}
	if openAt != "" {
		steps = steps[:0]
		for _, s := range referral.OpenStatuses[1:] {
			if slices.Index(referral.OpenStatuses, s) > slices.Index(referral.OpenStatuses, openAt) {
				break
			}
			steps = append(steps, s)
		}
		steps = append(steps, "stop")
	}

	fr, fc, mt, pr := time.Duration(st.FirstResponseHours)*time.Hour, time.Duration(st.FirstContactHours)*time.Hour,
		time.Duration(st.MeetingDays)*24*time.Hour, time.Duration(st.PartnerResponseHours)*time.Hour
	if r.Direction == "inbound" {
		r.FirstResponseDueAt = ptrT(referral.DueAt(sub, fr, st.SLAClock, g.loc))
		r.FirstContactDueAt = ptrT(referral.DueAt(sub, fc, st.SLAClock, g.loc))
		r.MeetingDueAt = ptrT(referral.DueAt(sub, mt, st.SLAClock, g.loc))
	} else {
		r.PartnerResponseDueAt = ptrT(referral.DueAt(sub, pr, st.SLAClock, g.loc))
	}

	limit := g.ref
	if openAt != "" {
		limit = g.end // scripted: every step happens before the present
	}
	status, t := referral.Submitted, sub
	r.StatusChangedAt = sub
	owner := staffActor

	// Outbound: the partner answers first.
	if r.Direction == "outbound" {
		answer := g.bhours(sub, 2+g.rng.Float64()*30)
		if g.rng.Float64() < 0.1 {
			answer = g.bhours(sub, 50+g.rng.Float64()*30) // late: a partner_response breach
		}
		if openAt != "" {
			answer = sub.Add(time.Duration(float64(g.end.Sub(sub)) * (0.05 + 0.1*g.rng.Float64()))).Truncate(time.Minute)
		}
		declines := outcome == referral.Declined && len(steps) == 1 && openAt == ""
		if answer.After(limit) {
			r.open = true
			g.finish(r, status, t)
			return
		}
		if declines {
			// As PartnerRespond and Reassign record it: the partner's
			// answer, then staff hand the client to another partner.
			reason := g.pick(seedRefPartnerDecline)
			r.PartnerDeclinedAt, r.PartnerDeclineReason, r.FirstRespondedAt = ptrT(answer), &reason, ptrT(answer)
			ev(answer, actorPartner, "partner_declined", "partner", nil, nil, ptrS("declined"), reason, true)
			closed := g.bhours(answer, 2+g.rng.Float64()*20)
			if closed.After(limit) {
				r.open = true
				g.finish(r, status, answer)
				return
			}
			ev(closed, staffActor, "reassigned", "staff", ptrS(status), ptrS(referral.Declined), ptrS("other"),
				"We have passed this referral to another partner.", true)
			ev(closed, staffActor, "note", "staff", nil, nil, ptrS("reassigned"),
				"Handed to another partner. "+p.name+" declined: "+reason, false)
			r.Status, r.StatusChangedAt, r.ClosedAt, r.CloseReason = referral.Declined, closed, ptrT(closed), ptrS("other")
			g.finish(r, referral.Declined, closed)
			return
		}
		r.PartnerAcceptedAt, r.FirstRespondedAt = ptrT(answer), ptrT(answer)
		ev(answer, actorPartner, "partner_accepted", "partner", ptrS(status), ptrS(referral.Acknowledged), nil,
			p.name+" accepted the referral.", true)
		status, t = referral.Acknowledged, answer
		r.StatusChangedAt = answer
		owner = actorPartner
		if len(steps) > 0 && steps[0] == referral.Acknowledged {
			steps = steps[1:]
		}
		if steps[0] == referral.Declined {
			steps[0] = referral.Lost // an accepted referral that came to nothing
			if g.rng.Float64() < 0.5 {
				steps = append([]string{referral.Contacted}, steps...)
			}
		}
	}

	for _, next := range steps {
		if next == "stop" {
			break
		}
		var at time.Time
		switch next {
		case referral.Acknowledged:
			h := 1 + g.rng.Float64()*18
			if g.rng.Float64() < 0.12 {
				h = 26 + g.rng.Float64()*30 // late: a first_response breach
			}
			at = g.bhours(t, h)
		case referral.Contacted:
			h := 4 + g.rng.Float64()*40
			if g.rng.Float64() < 0.08 {
				h = 60 + g.rng.Float64()*40
			}
			at = g.bhours(t, h)
		case referral.Meeting: // 24 business hours are one working day
			at = g.bhours(t, 24+g.rng.Float64()*150)
		case referral.Proposal:
			at = g.bhours(t, 100+g.rng.Float64()*380)
		case referral.Won, referral.Lost:
			at = g.bhours(t, 200+g.rng.Float64()*880)
		case referral.Declined:
			at = g.bhours(t, 1+g.rng.Float64()*20)
		}
		if openAt != "" {
			// Scripted: every step fits before the reference date.
			at = t.Add(time.Duration(float64(g.end.Sub(t)) * (0.2 + 0.3*g.rng.Float64())))
		}
		at = at.Truncate(time.Minute)
		if at.After(limit) {
			r.open = true
			break
		}
		actor, kind := owner, "staff"
		if r.Direction == "outbound" {
			kind = "partner"
		}
		from := status
		var reason *string
		body := ""
		switch next {
		case referral.Won:
			body = "Signed — thank you for the introduction."
		case referral.Lost:
			rs := g.pick([]string{"timing", "budget", "competitor", "competitor", "no_response", "other", "fit"})
			reason, body = &rs, g.pick(seedRefLostNotes[rs])
		case referral.Declined:
			rs := g.pick([]string{"fit", "fit", "timing", "budget"})
			reason, body = &rs, g.pick(seedRefDeclineNotes)
			if g.forceNote != "" {
				rs := "other"
				reason, body = &rs, g.forceNote
			}
		default:
			if r.Direction == "inbound" {
				body = g.pick(seedRefStatusNotes[next])
			} else if g.rng.Float64() < 0.5 {
				body = g.pick(seedRefStatusNotes[next])
			}
		}
		if r.Direction == "inbound" && next == referral.Acknowledged {
			ev(at, staffActor, "owner", "staff", nil, nil, nil, "Owner: "+g.names[*staffActor], false)
		}
		ev(at, actor, "status", kind, ptrS(from), ptrS(next), reason, body, true)
		// The SLA stamps: any move out of submitted is the first response.
		if from == referral.Submitted && r.Direction == "inbound" {
			r.FirstRespondedAt = ptrT(at)
		}
		idx := slices.Index(referral.OpenStatuses, next)
		if idx >= 2 && r.ContactedAt == nil {
			r.ContactedAt = ptrT(at)
		}
		if idx >= 3 && r.MeetingAt == nil {
			r.MeetingAt = ptrT(at)
		}
		if next == referral.Won && r.MeetingAt == nil {
			r.MeetingAt = ptrT(at)
		}
		status, t = next, at
		r.StatusChangedAt = at
		if referral.IsClosed(next) {
			r.ClosedAt, r.CloseReason = ptrT(at), reason
			if next == referral.Won {
				g.won(r, at, staffActor)
			}
			break
		}
		// Now and then a note between steps.
		if g.rng.Float64() < 0.25 {
			nt := g.workTime(at.Add(time.Duration(1+g.rng.IntN(20)) * time.Hour))
			if nt.Before(limit) {
				ev(nt, staffActor, "note", "staff", nil, nil, nil, g.pick(seedRefInternal), false)
			}
		}
		if r.Direction == "inbound" && g.rng.Float64() < 0.15 {
			nt := g.workTime(at.Add(time.Duration(2+g.rng.IntN(40)) * time.Hour))
			if nt.Before(limit) {
				ev(nt, actorPartner, "partner_note", "partner", nil, nil, nil, g.pick(seedRefPartnerNotes), true)
			}
		}
	}
	r.Status = status
	if openAt != "" {
		r.open = true
	}
	g.finish(r, status, t)
}

// won records the client and the engagement a won referral became.
func (g *refGen) won(r *refRow, at time.Time, by *uuid.UUID) {
	// An inbound referral won becomes (or finds) a client of the firm; an
	// outbound one is the partner's client.
	cid := g.id()
	if r.Direction == "inbound" {
		r.ClientID = &cid
	}
	service := "Operations improvement"
	if r.ServiceID != nil {
		service = g.svcNames[*r.ServiceID]
	}
	names, ok := seedRefEngagementNames[service]
	if !ok {
		names = []string{service + " engagement"}
	}
	kind := "project"
	if g.rng.Float64() < 0.3 {
		kind = "retainer"
	}
	// $5k–$250k, log-uniform, in thousands.
	v := int64(math.Exp(math.Log(5000)+g.rng.Float64()*(math.Log(250000)-math.Log(5000)))) / 1000 * 1000 * 100
	start := at.AddDate(0, 0, g.rng.IntN(21))
	if start.After(g.ref) {
		start = at
	}
	name := g.pick(names)
	e := &refEngagement{ID: g.id(), ReferralID: r.ID, PartnerID: r.PartnerID, ClientID: r.ClientID, Kind: kind,
		Name: name, ValueCents: v, StartedOn: start.Format(time.DateOnly), CreatedBy: by, CreatedAt: at,
		Scope: name + " for " + r.ClientCompany + ": " + strings.ToLower(r.Challenge[:1]) + r.Challenge[1:]}
	r.won = e
	r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: at.Add(time.Minute), ActorUserID: by,
		ActorKind: "staff", Kind: "engagement", Body: fmt.Sprintf("%s (%s), $%d", name, kind, v/100), Visible: false})
}

// finish sets the derived columns: claim, fit feedback, breaches, the
// shift of an open referral to the present, and updated_at.
func (g *refGen) finish(r *refRow, status string, last time.Time) {
	r.Status = status
	if r.StatusChangedAt.IsZero() {
		r.StatusChangedAt = last
	}
	if referral.IsClosed(status) {
		r.open = false
		// Fit feedback on most closed referrals.
		if r.Direction == "inbound" && g.force == "" && g.rng.Float64() < 0.7 {
			fit, note := "good", g.pick(seedRefFitGood)
			switch {
			case status == referral.Declined && g.rng.Float64() < 0.8,
				status == referral.Lost && g.rng.Float64() < 0.35:
				fit, note = "poor", g.pick(seedRefFitPoor)
			}
			at := g.workTime(r.ClosedAt.Add(time.Duration(1+g.rng.IntN(72)) * time.Hour))
			if at.Before(g.ref) {
				r.Fit, r.FitNote = &fit, note
				body := "A good fit"
				if fit == "poor" {
					body = "Not a good fit"
				}
				if note != "" {
					body += ": " + note
				}
				r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: at, ActorUserID: r.OwnerUserID,
					ActorKind: "staff", Kind: "fit", Body: body, Visible: true})
			}
		}
	}
	// An open referral moves to the present; its clocks restart from its
	// (moved) submission, as Submit stamps them.
	asOf := g.ref
	if r.open {
		g.toPresent(r)
		asOf = g.now
	}
	// Breaches, as the domain computes them.
	dom := referral.Referral{Direction: r.Direction, Status: status, ClosedAt: r.ClosedAt,
		FirstResponseDueAt: r.FirstResponseDueAt, FirstRespondedAt: r.FirstRespondedAt,
		FirstContactDueAt: r.FirstContactDueAt, ContactedAt: r.ContactedAt, MeetingDueAt: r.MeetingDueAt, MeetingAt: r.MeetingAt,
		PartnerResponseDueAt: r.PartnerResponseDueAt, PartnerAcceptedAt: r.PartnerAcceptedAt, PartnerDeclinedAt: r.PartnerDeclinedAt}
	for _, cl := range dom.Clocks(asOf) {
		if !cl.Breached {
			continue
		}
		at := cl.DueAt.Add(time.Duration(1+g.rng.IntN(14)) * time.Minute)
		if at.After(asOf) {
			at = asOf
		}
		b := refBreach{ReferralID: r.ID, Clock: cl.Name, PartnerID: r.PartnerID, DueAt: cl.DueAt, BreachedAt: at}
		if rem := cl.DueAt.Add(-time.Duration(g.st.ReminderHours) * time.Hour); g.st.ReminderHours > 0 && rem.After(r.SubmittedAt) {
			b.RemindedAt = &rem
			r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: rem, ActorKind: "system",
				Kind: "sla_reminder", Body: referral.ClockLabel(cl.Name) + " due " + cl.DueAt.In(g.loc).Format("Mon 2 Jan 15:04"), Visible: false})
		}
		r.breaches = append(r.breaches, b)
		r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: at, ActorKind: "system",
			Kind: "sla_breach", Body: referral.ClockLabel(cl.Name) + " was due " + cl.DueAt.In(g.loc).Format("Mon 2 Jan 15:04"), Visible: false})
	}
	// The claim protects the introduction for the window after each move.
	r.ClaimExpiresAt = ptrT(r.StatusChangedAt.AddDate(0, 0, g.st.ClaimWindowDays))
	r.UpdatedAt = r.StatusChangedAt
	for _, e := range r.events {
		if e.At.After(r.UpdatedAt) {
			r.UpdatedAt = e.At
		}
	}
}

// toPresent moves an open referral's times by the shift from the
// reference date to the present, and restamps its SLA due times from the
// moved submission (a shift of whole days can cross a weekend).
func (g *refGen) toPresent(r *refRow) {
	if g.shift != 0 {
		mv := func(t *time.Time) {
			if t != nil {
				*t = t.Add(g.shift)
			}
		}
		for _, t := range []*time.Time{&r.SubmittedAt, &r.CreatedAt, &r.StatusChangedAt} {
			mv(t)
		}
		for _, t := range []*time.Time{r.FirstRespondedAt, r.ContactedAt, r.MeetingAt, r.PartnerAcceptedAt, r.PartnerDeclinedAt} {
			mv(t)
		}
		r.contact.CreatedAt = r.contact.CreatedAt.Add(g.shift)
		for i := range r.events {
			r.events[i].At = r.events[i].At.Add(g.shift)
		}
	}
	st := g.st
	due := func(hours time.Duration) *time.Time {
		return ptrT(referral.DueAt(r.SubmittedAt, hours, st.SLAClock, g.loc))
	}
	if r.Direction == "inbound" {
		r.FirstResponseDueAt = due(time.Duration(st.FirstResponseHours) * time.Hour)
		r.FirstContactDueAt = due(time.Duration(st.FirstContactHours) * time.Hour)
		r.MeetingDueAt = due(time.Duration(st.MeetingDays) * 24 * time.Hour)
	} else {
		r.PartnerResponseDueAt = due(time.Duration(st.PartnerResponseHours) * time.Hour)
	}
}

// scripted are the referrals the portal demo relies on, placed in the last
// days: Brightline has an outbound referral waiting for its answer, one it
// accepted and is working, a fresh one it sent, and one it sent that
// collides with Keystone's (an open conflict, made in conflicts).
func (g *refGen) scripted(ps map[string]*seedRefPartner) []*refRow {
	bl, ok := ps["Brightline Tax"]
	if !ok {
		return nil
	}
	at := func(hoursAgo int) time.Time {
		return g.end.Add(-time.Duration(hoursAgo) * time.Hour).Truncate(time.Minute)
	}
	var out []*refRow
	out = append(out, g.referral(bl, "outbound", at(5), referral.Submitted))   // waiting for Brightline's answer
	out = append(out, g.referral(bl, "outbound", at(150), referral.Contacted)) // accepted, client contacted
	out = append(out, g.referral(bl, "inbound", at(3), referral.Submitted))    // just sent
	out = append(out, g.referral(bl, "inbound", at(100), referral.Meeting))    // being worked
	// And every stage on the board, both ways.
	for _, s := range []struct {
		partner, dir, stage string
		hoursAgo            int
	}{
		{"Keystone Legal", "inbound", referral.Acknowledged, 20},
		{"Meridian Change Partners", "inbound", referral.Contacted, 70},
		{"Keystone Legal", "inbound", referral.Proposal, 400},
		{"Ironbridge Systems", "outbound", referral.Acknowledged, 30},
		{"Meridian Change Partners", "outbound", referral.Proposal, 500},
	} {
		if p, ok := ps[s.partner]; ok {
			out = append(out, g.referral(p, s.dir, at(s.hoursAgo), s.stage))
		}
	}
	// The outbound one waits: no answer yet.
	w := out[0]
	w.PartnerAcceptedAt, w.FirstRespondedAt, w.Status = nil, nil, referral.Submitted
	w.events = w.events[:1]
	w.StatusChangedAt, w.UpdatedAt = w.SubmittedAt, w.SubmittedAt
	w.ClaimExpiresAt = ptrT(w.SubmittedAt.AddDate(0, 0, g.st.ClaimWindowDays))
	w.breaches = nil
	return out
}

// conflicts makes duplicate introductions: three open (a partner referred
// a client another partner had referred already, and that one is still
// open) and four resolved under the first-introduction rule: the later
// referral declined and its partner told kindly. It returns the duplicates.
func (g *refGen) conflicts(all []*refRow, ps map[string]*seedRefPartner) []*refRow {
	var openFirst, closedFirst []*refRow
	for _, r := range all {
		if r.Direction != "inbound" {
			continue
		}
		if r.open && r.Status != referral.Submitted {
			openFirst = append(openFirst, r)
		}
		if !r.open && r.SubmittedAt.Before(g.ref.AddDate(0, -3, 0)) && r.SubmittedAt.After(g.ref.AddDate(-1, 0, 0)) {
			closedFirst = append(closedFirst, r)
		}
	}
	second := func(first *refRow) *seedRefPartner {
		for _, name := range []string{"Brightline Tax", "Keystone Legal", "Meridian Change Partners", "Ironbridge Systems"} {
			if p, ok := ps[name]; ok && p.id != first.PartnerID {
				return p
			}
		}
		return nil
	}
	// The duplicate is the same client typed differently.
	dup := func(first *refRow, p *seedRefPartner, sub time.Time, openAt string) *refRow {
		r := g.referral(p, "inbound", sub, openAt)
		base := strings.TrimSuffix(strings.TrimSuffix(first.ClientCompany, " Ltd"), " plc")
		switch g.rng.IntN(3) {
		case 0:
			r.ClientCompany = base + ", Inc."
		case 1:
			r.ClientCompany = "The " + base
		default:
			r.ClientCompany = base + " Limited"
		}
		r.ClientDomain = referral.NormalizeDomain("https://www." + first.ClientDomain + "/")
		local, _, _ := strings.Cut(r.contact.Email, "@")
		r.contact.Email = local + "@" + first.ClientDomain
		r.ClientNameNorm = referral.NormalizeCompany(r.ClientCompany)
		r.ConflictWithID = &first.ID
		return r
	}
	var out []*refRow
	for k := 0; k < 3 && k < len(openFirst); k++ {
		first := openFirst[(len(openFirst)-1-k*3+len(openFirst)*3)%len(openFirst)]
		p := second(first)
		if p == nil {
			continue
		}
		r := dup(first, p, g.end.Add(-time.Duration(6+k*14)*time.Hour).Truncate(time.Minute), referral.Submitted)
		r.ConflictStatus, r.CreditedPartnerID = "open", nil
		r.ConflictNote = "Same client as " + first.ClientCompany + ", referred earlier by another partner."
		r.events = append(r.events, refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: r.SubmittedAt.Add(time.Second),
			ActorKind: "system", Kind: "conflict", Visible: true,
			Body: "This client may already be in touch with us; we'll confirm attribution within " + g.promise() + "."})
		out = append(out, r)
	}
	for k := 0; k < 4 && k < len(closedFirst); k++ {
		first := closedFirst[(k*7)%len(closedFirst)]
		p := second(first)
		if p == nil {
			continue
		}
		sub := g.bhours(first.SubmittedAt, float64(20+k*30))
		g.force = referral.Declined
		g.forceNote = "Another partner introduced " + first.ClientCompany + " to us first, so the referral is credited there. " +
			"Thank you for thinking of us — please keep them coming."
		r := dup(first, p, sub, "")
		g.force, g.forceNote = "", ""
		r.ConflictStatus, r.CreditedPartnerID = "resolved", &first.PartnerID
		r.ConflictNote = "First formal introduction: " + first.ClientCompany + " was referred on " +
			first.SubmittedAt.In(g.loc).Format("2 Jan 2006") + " by another partner; credited there."
		decided := sub.Add(2 * time.Hour)
		if r.ClosedAt != nil && r.ClosedAt.Before(decided) {
			decided = r.ClosedAt.Add(-time.Minute)
		}
		r.events = append(r.events,
			refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: sub.Add(time.Second), ActorKind: "system", Kind: "conflict", Visible: true,
				Body: "This client may already be in touch with us; we'll confirm attribution within " + g.promise() + "."},
			refEvent{ReferralID: r.ID, PartnerID: r.PartnerID, At: decided, ActorUserID: r.OwnerUserID, ActorKind: "staff", Kind: "attribution",
				Visible: true, Body: "Credited to the first formal introduction, made on " + first.SubmittedAt.In(g.loc).Format("2 Jan 2006") + "."})
		out = append(out, r)
	}
	return out
}

// promise is the first-response SLA in words ("24 business hours").
func (g *refGen) promise() string {
	if g.st.SLAClock == "business" {
		return fmt.Sprintf("%d business hours", g.st.FirstResponseHours)
	}
	return fmt.Sprintf("%d hours", g.st.FirstResponseHours)
}

// assists names assisting partners on some referrals that got far.
func (g *refGen) assists(all []*refRow, flows []*seedRefPartner) {
	var active []*seedRefPartner
	for _, p := range flows {
		if p.status == "active" {
			active = append(active, p)
		}
	}
	if len(active) < 2 {
		return
	}
	n := 0
	for _, r := range all {
		if n >= 28 || r.Direction != "inbound" || (r.Status != referral.Won && r.Status != referral.Proposal) {
			continue
		}
		if g.rng.Float64() > 0.25 {
			continue
		}
		p := active[g.rng.IntN(len(active))]
		if p.id == r.PartnerID {
			continue
		}
		r.assist = &p.id
		n++
	}
}

// insert writes the history: one statement per table.
func (g *refGen) insert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, all []*refRow) error {
	var (
		prospects []seedRefContact
		clients   []refClient
		engs      []*refEngagement
		events    []refEvent
		breaches  []refBreach
		assists   []refAssist
	)
	for _, r := range all {
		prospects = append(prospects, r.contact)
		if r.won != nil {
			if r.ClientID != nil {
				clients = append(clients, refClient{ID: *r.ClientID, Name: strings.TrimSpace(r.ClientCompany),
					NameNorm: r.ClientNameNorm, Domain: r.ClientDomain, CreatedAt: r.won.CreatedAt})
			}
			engs = append(engs, r.won)
		}
		events = append(events, r.events...)
		breaches = append(breaches, r.breaches...)
		if r.assist != nil {
			assists = append(assists, refAssist{ReferralID: r.ID, PartnerID: *r.assist, Note: g.pick(seedRefAssistNotes),
				CreatedAt: r.StatusChangedAt})
		}
	}
	slices.SortStableFunc(events, func(a, b refEvent) int { return a.At.Compare(b.At) })

	bulk := func(what, table, defs, order string, rows any) error {
		b, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		if string(b) == "null" || string(b) == "[]" {
			return nil
		}
		cols := columnNames(defs)
		sql := `INSERT INTO ` + table + ` (tenant_id, ` + cols + `) SELECT $1, ` + cols +
			` FROM jsonb_to_recordset($2::jsonb) AS x(` + defs + `)`
		if order != "" {
			sql += ` ORDER BY ` + order
		}
		if _, err := tx.Exec(ctx, sql, tenantID, string(b)); err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		return nil
	}
	if err := bulk("prospects", "referral_prospects", `id uuid, partner_id uuid, contact_name text, contact_email text,
		contact_phone text, created_at timestamptz`, "", prospects); err != nil {
		return err
	}
	if err := bulk("clients", "clients", `id uuid, name text, name_norm text, domain text, created_at timestamptz`, "", clients); err != nil {
		return err
	}
	rows := make([]*refRow, len(all))
	copy(rows, all)
	if err := bulk("referrals", "referrals", refColumns, "submitted_at, id", rows); err != nil {
		return err
	}
	if err := bulk("assists", "referral_assists", `referral_id uuid, partner_id uuid, note text, created_at timestamptz`, "", assists); err != nil {
		return err
	}
	// The events are most of the rows: typed arrays (binary) rather than JSON.
	n := len(events)
	var (
		evRef, evPartner            = make([]uuid.UUID, n), make([]uuid.UUID, n)
		evAt                        = make([]time.Time, n)
		evActor                     = make([]*uuid.UUID, n)
		evActorKind, evKind, evBody = make([]string, n), make([]string, n), make([]string, n)
		evFrom, evTo, evReason      = make([]*string, n), make([]*string, n), make([]*string, n)
		evVisible                   = make([]bool, n)
	)
	for i, e := range events {
		evRef[i], evPartner[i], evAt[i], evActor[i] = e.ReferralID, e.PartnerID, e.At, e.ActorUserID
		evActorKind[i], evKind[i], evBody[i] = e.ActorKind, e.Kind, e.Body
		evFrom[i], evTo[i], evReason[i], evVisible[i] = e.FromStatus, e.ToStatus, e.Reason, e.Visible
	}
	if _, err := tx.Exec(ctx, `INSERT INTO referral_events (tenant_id, referral_id, partner_id, at, actor_user_id, actor_kind,
			kind, from_status, to_status, reason, body, visible_to_partner)
		SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::uuid[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::boolean[])`,
		tenantID, evRef, evPartner, evAt, evActor, evActorKind, evKind, evFrom, evTo, evReason, evBody, evVisible); err != nil {
		return fmt.Errorf("seed events: %w", err)
	}
	if err := bulk("breaches", "sla_breaches", `referral_id uuid, clock text, partner_id uuid, due_at timestamptz,
		breached_at timestamptz, reminded_at timestamptz`, "", breaches); err != nil {
		return err
	}
	if err := bulk("engagements", "engagements", `id uuid, referral_id uuid, partner_id uuid, client_id uuid, kind text,
		name text, scope text, value_cents bigint, started_on date, created_by uuid, created_at timestamptz`, "", engs); err != nil {
		return err
	}
	return nil
}

// columnNames lists the names of a column definition list ("id uuid,
// name text" → "id, name").
func columnNames(defs string) string {
	var names []string
	for _, d := range strings.Split(defs, ",") {
		if f := strings.Fields(d); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return strings.Join(names, ", ")
}
