package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Northwind's co-marketing, after the referrals and revenue it points at:
//
//   - a completed webinar with Brightline Tax ("Year-end tax planning for
//     growing companies") with 40 attendees as leads: some followed up by
//     Brightline (existing clients of theirs, tax questions), most by us,
//     several qualified, a few not interested, and three converted into
//     referrals that exist in the demo history — Brightline's first won
//     referral (with client payments) in the chosen window and the next
//     two it sent — so the campaign page shows leads → referrals → won →
//     revenue;
//   - an active co-authored guide with Brightline Tax and Keystone Legal,
//     with a handful of download leads;
//   - a planned shared booth with Meridian Change Partners.
//
// Deterministic: fixed names and dates relative to the history's reference
// day (or today, when earlier), no random numbers.
func seedCampaigns(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners, staff map[string]uuid.UUID) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if ref := time.Date(seedRefDay[0], time.Month(seedRefDay[1]), seedRefDay[2], 0, 0, 0, 0, time.UTC); today.After(ref) {
		today = ref
	}
	ids, err := seedPartnerIDs(ctx, tx, tenantID, "Brightline Tax", "Keystone Legal", "Meridian Change Partners")
	if err != nil {
		return err
	}
	brightline, keystone, meridian := ids[0], ids[1], ids[2]
	admin := staff["admin@northwind.example"]

	// The webinar's referrals: Brightline's earliest won inbound referral
	// with client payments submitted 2 to 10 months before the reference
	// day; the webinar was ten days before it.
	type ref struct {
		id                   uuid.UUID
		company, name, email string
		submitted            time.Time
	}
	scan := func(rows pgx.Rows) ([]ref, error) {
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ref, error) {
			var x ref
			return x, r.Scan(&x.id, &x.company, &x.name, &x.email, &x.submitted)
		})
	}
	const refCols = `SELECT r.id, r.client_company, p.contact_name, p.contact_email, r.submitted_at
		FROM referrals r JOIN referral_prospects p ON p.tenant_id = r.tenant_id AND p.id = r.prospect_id `
	rows, err := tx.Query(ctx, refCols+`WHERE r.tenant_id = $1 AND r.partner_id = $2 AND r.direction = 'inbound' AND r.status = 'won'
			AND r.submitted_at BETWEEN $3::date - 300 AND $3::date - 60
			AND EXISTS (SELECT 1 FROM revenue_events e WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id)
		ORDER BY r.submitted_at, r.number LIMIT 1`, tenantID, brightline, today)
	if err != nil {
		return err
	}
	won, err := scan(rows)
	if err != nil {
		return err
	}
	webinarOn := today.AddDate(0, -4, 0)
	var converted []ref
	if len(won) == 1 {
		webinarOn = won[0].submitted.UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
		converted = append(converted, won[0])
		rows, err = tx.Query(ctx, refCols+`WHERE r.tenant_id = $1 AND r.partner_id = $2 AND r.direction = 'inbound'
				AND r.id <> $3 AND r.submitted_at > $4 ORDER BY r.submitted_at, r.number LIMIT 2`,
			tenantID, brightline, won[0].id, webinarOn)
		if err != nil {
			return err
		}
		more, err := scan(rows)
		if err != nil {
			return err
		}
		converted = append(converted, more...)
	}

	webinar, err := seedCampaign(ctx, tx, tenantID, admin, seedCampaignRow{
		name: "Year-end tax planning for growing companies", kind: "webinar", status: "completed",
		starts: webinarOn, ends: &webinarOn, ours: 6400, overlapBP: 1500, rule: "existing_clients_keep",
		description: "A 45-minute webinar for finance leaders of growing companies: Brightline on year-end tax moves, " +
			"Northwind on the planning and cash-flow side. Recording sent to every registrant.",
		rulesNote: "Brightline's existing clients and tax questions go to Brightline; strategy and operations questions " +
			"come to us. Either side may refer a lead to the other.",
		partners: []seedCampaignPartner{{brightline, 4800}},
		resps: []seedCampaignResp{{"logistics", nil, "Zoom webinar, registration page and reminders"},
			{"promotion", &brightline, "Two mailings to Brightline's client list"}, {"promotion", nil, "LinkedIn and our newsletter"},
			{"content", nil, "Planning and cash-flow section, slides"}, {"content", &brightline, "Year-end tax section"}},
	})
	if err != nil {
		return err
	}
	// 40 attendees: the three converted ones (the referrals' people) and 37 more.
	type lead struct {
		name, email, company, title, status, notes string
		owner                                      *uuid.UUID
		referral                                   *uuid.UUID
		consent                                    *bool
	}
	yes, no := true, false
	titles := []string{"CFO", "Finance Director", "CEO", "Head of Finance", "COO", "Financial Controller", "Founder", "Operations Director"}
	var leads []lead
	for _, c := range converted {
		id := c.id
		leads = append(leads, lead{name: c.name, email: c.email, company: c.company, title: "CFO", status: "converted",
			owner: &brightline, referral: &id, consent: &yes, notes: "Asked about year-end planning during the Q&A."})
	}
	for i := 0; len(leads) < 40; i++ {
		first, last := seedRefFirst[(i*7+3)%len(seedRefFirst)], seedRefLast[(i*11+5)%len(seedRefLast)]
		a, b := seedRefCompanyA[(i*5+2)%len(seedRefCompanyA)], seedRefCompanyB[(i*3+1)%len(seedRefCompanyB)]
		company := a + " " + b.word
		domain := strings.ToLower(a) + strings.ToLower(strings.ReplaceAll(b.word, " ", "")) + ".example"
		l := lead{name: first + " " + last, email: strings.ToLower(first+"."+last) + "@" + domain, company: company,
			title: titles[i%len(titles)], status: "new"}
		switch {
		case i%9 == 0:
			l.status, l.notes = "qualified", "Wants a follow-up call on planning for next year."
		case i%7 == 0:
			l.status, l.notes = "not_interested", "Attended for the tax update only."
		case i%4 == 0:
			l.status = "contacted"
		}
		if i%3 == 0 {
			l.owner = &brightline
		}
		switch i % 5 {
		case 0, 1, 2:
			l.consent = &yes
		case 3:
			l.consent = &no
		}
		leads = append(leads, l)
	}
	seen := map[string]bool{}
	for i, l := range leads {
		if seen[l.email] {
			l.email = ""
		}
		if l.email != "" {
			seen[l.email] = true
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO campaign_leads (tenant_id, campaign_id, name, email, company, title, consent, notes,
				owner_partner_id, status, referral_id, source, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'import', $12, $13, $13) RETURNING id`,
			tenantID, webinar, l.name, l.email, l.company, l.title, l.consent, l.notes, l.owner, l.status, l.referral, admin,
			webinarOn.Add(26*time.Hour+time.Duration(i)*time.Minute)).Scan(&id); err != nil {
			return fmt.Errorf("seed campaign lead %s: %w", l.name, err)
		}
		if l.referral != nil {
			if _, err := tx.Exec(ctx, `UPDATE referrals SET campaign_id = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, *l.referral, webinar); err != nil {
				return err
			}
		}
	}

	// The co-authored guide, under way.
	guideStart, guideEnd := today.AddDate(0, 0, -30), today.AddDate(0, 0, 30)
	guide, err := seedCampaign(ctx, tx, tenantID, admin, seedCampaignRow{
		name: "Carve-out readiness guide", kind: "co_content", status: "active", starts: guideStart, ends: &guideEnd,
		ours: 6400, overlapBP: 2000, rule: "round_robin",
		description: "A 20-page guide for boards preparing a carve-out: the operating model (Northwind), the tax " +
			"structure (Brightline) and the contracts (Keystone). Gated download on all three sites.",
		rulesNote: "Downloads from existing clients stay with their firm; the rest are shared out in turn.",
		partners:  []seedCampaignPartner{{brightline, 4800}, {keystone, 3100}},
		resps: []seedCampaignResp{{"content", nil, "Operating model chapter and editing"}, {"content", &brightline, "Tax chapter"},
			{"content", &keystone, "Legal chapter"}, {"logistics", nil, "Design and landing page"},
			{"promotion", &keystone, "Keystone's newsletter, March issue"}},
	})
	if err != nil {
		return err
	}
	guideLeads := []struct {
		name, email, company, title, status string
		owner                               *uuid.UUID
	}{
		{"Harriet Quill", "harriet.quill@nordvikenergy.example", "Nordvik Energy", "CFO", "qualified", nil},
		{"Tomasz Reid", "tomasz.reid@calderlogistics.example", "Calder Logistics", "Head of Strategy", "contacted", &keystone},
		{"Mei Fraser", "mei.fraser@ashcombehealth.example", "Ashcombe Health", "Finance Director", "new", &brightline},
		{"Kwame Ellis", "kwame.ellis@belmontcapital.example", "Belmont Capital", "Operating Partner", "new", nil},
		{"Ingrid Moreau", "ingrid.moreau@quarrypharma.example", "Quarry Pharma", "General Counsel", "contacted", &keystone},
		{"Ravi Hartley", "ravi.hartley@tandemsoftware.example", "Tandem Software", "COO", "new", nil},
	}
	for i, l := range guideLeads {
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_leads (tenant_id, campaign_id, name, email, company, title, owner_partner_id,
				status, source, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'staff', $9, $10, $10)`,
			tenantID, guide, l.name, l.email, l.company, l.title, l.owner, l.status, admin,
			guideStart.AddDate(0, 0, 3+4*i).Add(10*time.Hour)); err != nil {
			return fmt.Errorf("seed guide lead %s: %w", l.name, err)
		}
	}

	// The planned shared booth.
	boothOn := today.AddDate(0, 0, 45)
	boothEnd := boothOn.AddDate(0, 0, 1)
	_, err = seedCampaign(ctx, tx, tenantID, admin, seedCampaignRow{
		name: "Growth Summit shared booth", kind: "event", status: "planned", starts: boothOn, ends: &boothEnd,
		ours: 1200, overlapBP: 1000, rule: "owner_manual",
		description: "A shared booth at the regional Growth Summit with Meridian: operating-model diagnostics at the stand, " +
			"change-management clinic in the afternoon.",
		rulesNote: "We read the badge scans each evening and assign them by hand.",
		partners:  []seedCampaignPartner{{meridian, 900}},
		resps: []seedCampaignResp{{"logistics", &meridian, "Booth booking, stand design"}, {"promotion", nil, "Invitations to our clients"},
			{"content", nil, "Diagnostic questionnaire"}},
	})
	return err
}

type seedCampaignPartner struct {
	id       uuid.UUID
	audience int64
}

type seedCampaignResp struct {
	task  string
	owner *uuid.UUID
	note  string
}

type seedCampaignRow struct {
	name, kind, status, rule, description, rulesNote string
	starts                                           time.Time
	ends                                             *time.Time
	ours, overlapBP                                  int64
	partners                                         []seedCampaignPartner
	resps                                            []seedCampaignResp
}

// seedCampaign writes one campaign with its partners and responsibilities.
func seedCampaign(ctx context.Context, tx pgx.Tx, tenantID, by uuid.UUID, c seedCampaignRow) (uuid.UUID, error) {
	var id uuid.UUID
	created := c.starts.AddDate(0, 0, -40)
	if err := tx.QueryRow(ctx, `INSERT INTO campaigns (tenant_id, name, kind, status, starts_on, ends_on, description,
			our_audience, overlap_bp, lead_rule, lead_rules_note, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
		tenantID, c.name, c.kind, c.status, c.starts, c.ends, c.description, c.ours, c.overlapBP, c.rule, c.rulesNote,
		nilIfZero(by), created).Scan(&id); err != nil {
		return id, fmt.Errorf("seed campaign %s: %w", c.name, err)
	}
	for i, p := range c.partners {
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_partners (tenant_id, campaign_id, partner_id, audience, position)
			VALUES ($1, $2, $3, $4, $5)`, tenantID, id, p.id, p.audience, i); err != nil {
			return id, err
		}
	}
	for i, r := range c.resps {
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_responsibilities (tenant_id, campaign_id, position, task, owner_partner_id, note)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, id, i, r.task, r.owner, r.note); err != nil {
			return id, err
		}
	}
	return id, nil
}

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// seedPartnerIDs looks partners up by name (each must exist).
func seedPartnerIDs(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, names ...string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(names))
	for i, n := range names {
		if err := tx.QueryRow(ctx, `SELECT id FROM partners WHERE tenant_id = $1 AND name = $2`, tenantID, n).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("seed campaigns: partner %s: %w", n, err)
		}
	}
	return out, nil
}
