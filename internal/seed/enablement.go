package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/enablement"
	"github.com/allyway/allyway/internal/onboarding"
)

// seedEnablement gives Northwind onboarding in progress and its content
// library:
//   - checklists (from the firm's template, made by setup.Firm) for the three
//     partners in onboarding, some steps done with notes, one custom step;
//     Brightline Tax's done long ago;
//   - eight library items of every kind, some for chosen tiers only, one
//     unpublished, one with a small Markdown attachment;
//   - last month's hot opportunity profile (emailed) and this month's.
func seedEnablement(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, partners, staff map[string]uuid.UUID) error {
	now := time.Now().UTC()
	manager := staff["manager@northwind.example"]
	admin := staff["admin@northwind.example"]

	partnerID := func(name string) (uuid.UUID, error) {
		if id, ok := partners[name]; ok {
			return id, nil
		}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM partners WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&id)
		if err != nil {
			return id, fmt.Errorf("partner %s: %w", name, err)
		}
		return id, nil
	}

	// Onboarding: how many steps are done, and their notes.
	for _, o := range []struct {
		partner string
		done    int
		daysAgo int
		notes   []string
		custom  string
	}{
		{"Summit Data Partners", 4, 20, []string{"Kickoff with their practice lead and two architects.",
			"Walked them through our ICP; they flagged three mutual prospects.", "Sent the one-pager and both case studies.",
			"Met their delivery team in person."}, ""},
		{"Pinnacle Market Insight", 2, 30, []string{"Good call; they want clearer commission terms.", "Shared the ICP deck."}, ""},
		{"Rhine Valley Partners", 1, 10, []string{"Kickoff in Basel with both managing partners."}, "Translate the one-pager into German"},
		{"Brightline Tax", 7, 400, nil, ""},
	} {
		pid, err := partnerID(o.partner)
		if err != nil {
			return err
		}
		if _, err := onboarding.Start(ctx, tx, tenantID, pid); err != nil {
			return fmt.Errorf("onboarding %s: %w", o.partner, err)
		}
		items, err := onboarding.Checklist(ctx, tx, tenantID, pid)
		if err != nil {
			return err
		}
		for k := 0; k < o.done && k < len(items); k++ {
			note := ""
			if k < len(o.notes) {
				note = o.notes[k]
			}
			at := now.AddDate(0, 0, -o.daysAgo+k*3)
			if _, err := onboarding.Complete(ctx, tx, tenantID, pid, items[k].ID, manager, onboarding.ItemInput{Note: note}, at); err != nil {
				return err
			}
		}
		// Due dates on the next open steps.
		for k := o.done; k < len(items) && k < o.done+2; k++ {
			due := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(k-o.done+1)-10)
			if _, err := onboarding.Update(ctx, tx, tenantID, pid, items[k].ID, onboarding.ItemInput{DueOn: &due}); err != nil {
				return err
			}
		}
		if o.custom != "" {
			due := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 21)
			if _, err := onboarding.AddStep(ctx, tx, tenantID, pid, onboarding.ItemInput{Title: o.custom, DueOn: &due}); err != nil {
				return err
			}
		}
	}

	// The library.
	tier := map[string]uuid.UUID{}
	rows, err := tx.Query(ctx, `SELECT rank, id FROM tiers WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var rank int
		var id uuid.UUID
		if err := rows.Scan(&rank, &id); err != nil {
			rows.Close()
			return err
		}
		tier[fmt.Sprint(rank)] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ids := func(ranks ...string) []uuid.UUID {
		out := []uuid.UUID{}
		for _, r := range ranks {
			if id, ok := tier[r]; ok {
				out = append(out, id)
			}
		}
		return out
	}
	var onePager uuid.UUID
	for _, in := range []enablement.ItemInput{
		{Kind: "one_pager", Title: "Northwind Advisory on one page", Published: true,
			Summary: "Who we help, what we do, and the signs a client needs us.",
			BodyMD: "## Who we help\n\nOwner-led and PE-backed companies with **€20–250m revenue** in healthcare, logistics and software.\n\n" +
				"## What we do\n\n- Finance transformation and carve-outs\n- ERP selection and rescue\n- Interim CFO and FP&A teams\n\n" +
				"## Why partners refer to us\n\nWe never compete with your core service, we tell you what happens to every referral, and we refer back."},
		{Kind: "case_study", Title: "Corvid Health: a carve-out in 90 days", Published: true,
			Summary: "Stand-alone finance for a divested clinic group, referred by Brightline Tax.",
			BodyMD: "**Client:** Corvid Health (clinics, €80m)\n\n**Referred by:** Brightline Tax\n\n" +
				"Corvid had 90 days to leave its parent's finance systems. We set up the ledger, payroll and reporting while Brightline handled the tax structure.\n\n" +
				"> \"Two firms that behaved like one team.\" — CFO, Corvid Health"},
		{Kind: "case_study", Title: "Harbor Freight Lines: rescuing a stalled ERP", Published: true, TierIDs: ids("1"),
			Summary: "From a failed go-live to a stable close in four months.",
			BodyMD: "A logistics company's ERP go-live had failed twice. We re-planned the programme, fixed the data migration and got the month-end close from 15 days to 6.\n\n" +
				"| Before | After |\n|---|---|\n| 15-day close | 6-day close |\n| 3 systems | 1 system |"},
		{Kind: "email_template", Title: "Introducing a client to Northwind", Published: true,
			Summary: "A short email to introduce a client; replace the parts in braces.",
			BodyMD: "Subject: Introduction — {{client_name}} and {{our_firm}}\n\nHi {{client_name}},\n\n" +
				"As promised, I'd like to introduce you to {{contact_name}} at {{our_firm}}. They helped several of our clients with exactly the finance questions you mentioned.\n\n" +
				"{{contact_name}}, {{client_name}} is looking at options for the next 6–12 months; I think a short call would help.\n\n" +
				"Best regards,\n\n{{partner_name}}"},
		{Kind: "training", Title: "Partner training: spotting the signals (recording)", Published: true, TierIDs: ids("1", "2"),
			LinkURL: "https://video.northwind.example/partner-training-2026",
			Summary: "45 minutes on the situations that mean a client needs us, with examples.",
			BodyMD:  "Watch the recording, then try the checklist \"If the client says…\"."},
		{Kind: "faq", Title: "Partner FAQ", Published: true,
			Summary: "Commission, timing, and what we tell your client.",
			BodyMD: "### When is the commission paid?\n\nWithin 30 days of the client paying our invoice, as your agreement says.\n\n" +
				"### Will you contact my client without me?\n\nNo. We agree the first step with you and keep you in copy.\n\n" +
				"### What if the client isn't a fit?\n\nWe tell you within two business days and, where we can, suggest someone better placed."},
		{Kind: "checklist", Title: "If the client says… that's a referral for us", Published: true,
			Summary: "Phrases that mean a client needs Northwind.",
			BodyMD: "- \"Our month-end close takes more than ten days.\"\n- \"We're being sold / carving out a division.\"\n" +
				"- \"The ERP project is late again.\"\n- \"Our CFO is leaving.\"\n- \"The bank wants better reporting.\"\n\n" +
				"Any of these? [Refer the client](/p/northwind/referrals/new) — it takes a minute."},
		{Kind: "pitch", Title: "Pitch deck for strategic partners (draft)", Published: false, TierIDs: ids("1"),
			Summary: "Being updated for next year; not visible to partners yet.",
			BodyMD:  "Draft: the deck we use in meetings with strategic partners."},
	} {
		it, err := enablement.Create(ctx, tx, tenantID, in, admin)
		if err != nil {
			return fmt.Errorf("library %s: %w", in.Title, err)
		}
		if in.Kind == "one_pager" {
			onePager = it.ID
		}
	}
	if _, err := enablement.AddFile(ctx, tx, tenantID, onePager, "northwind-one-pager.md",
		[]byte("# Northwind Advisory\n\nFinance transformation, ERP and interim CFO services for mid-market companies.\n\nContact: partners@northwind.example\n"),
		admin); err != nil {
		return err
	}

	// Hot opportunity profiles: last month's (emailed), this month's.
	this := enablement.MonthOf(now)
	last := this.AddDate(0, -1, 0)
	if _, err := tx.Exec(ctx, `INSERT INTO hot_profiles (tenant_id, month, title, body_md, created_by, created_at, updated_at, emailed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $6)`, tenantID, last, "Logistics companies replacing their ERP",
		"Mid-size logistics and freight firms whose ERP project is **late or over budget**. Listen for: \"go-live was postponed\".",
		admin, last.Add(8*time.Hour)); err != nil {
		return err
	}
	_, _, err = enablement.SaveHot(ctx, tx, tenantID, now, enablement.HotInput{
		Title: "Founder-led companies preparing a sale in the next two years",
		BodyMD: "We'd love introductions to **owner-led companies (€20–150m revenue)** whose founders are thinking about selling.\n\n" +
			"Signs to listen for:\n\n- \"We're talking to a few investors.\"\n- \"Our numbers need to be cleaner before a due diligence.\"\n- A new CFO hired from private equity.\n\n" +
			"Introduce us early: vendor due-diligence readiness takes six months.",
	}, admin, now)
	return err
}
