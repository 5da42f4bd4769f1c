package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/commission"
)

// Northwind's agreements, made through the agreement package so they obey
// its rules (versions, one active at a time, frozen terms, supersession):
//   - Brightline Tax: version 1 recorded as signed, superseded by version 2
//     which Pat Partner accepted in the portal;
//   - Meridian Change Partners: a co-delivery split, 60% to the partner;
//   - Atlas Capital Group: an alliance on reciprocity only;
//   - Ironbridge Systems and Vanguard ERP Consulting: ongoing and
//     conversion-tier commissions;
//   - Summit Data Partners: sent, waiting for acceptance;
//   - Keystone Legal: ends within 30 days;
//   - Crestview Accountants: expired;
//   - Pinnacle Market Insight: declined, with the reason.

// seedTerms are Northwind's usual written terms, with the scope of each partner.
func seedTerms(weRefer, theyRefer, offLimits, involvement string, reciprocal bool) agreement.Terms {
	return agreement.Terms{
		WeReferToThem: weRefer, TheyReferToUs: theyRefer, OffLimits: offLimits,
		Involvement: involvement, PartnerProfession: "consulting", Reciprocal: reciprocal,
		Governance: agreement.Governance{CheckinCadenceDays: 90, OurEscalation: "Alex Admin, managing partner (admin@northwind.example)",
			TheirEscalation:  "The partner's executive sponsor",
			ClientAcceptance: "The firm that would do the work decides whether to take the client on, within 5 working days.",
			ScopeChanges:     "Agreed in writing by both engagement leads before work starts."},
		Confidentiality: "Each party keeps the other's client and business information confidential during the agreement and for three years after it.",
		DataProtection: "Each party is an independent controller of the personal data it receives and shares only what an introduction needs, " +
			"under the UK GDPR.",
		DisputeResolution: "The escalation contacts meet within 10 working days; if that fails, mediation in London before any court.",
		ClientDisclosure:  "The client is told in the introduction email that the firms have a referral arrangement and that a fee may be paid.",
	}
}

type seedVersion struct {
	in       agreement.Input
	send     bool   // sent for acceptance
	accept   string // accepted in the portal by this name (send must be set)
	recorded string // recorded as signed elsewhere by this name
	decline  string // declined with this reason (send must be set)
	at       time.Time
}

type seedAgreement struct {
	partner  string
	versions []seedVersion
}

func seedAgreements(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, _, staff map[string]uuid.UUID) error {
	admin, manager := staff["admin@northwind.example"], staff["manager@northwind.example"]
	portalUser := staff["partner@brightline.example"]
	today := agreement.Day(time.Now())
	months := func(n int) time.Time { return agreement.AddMonths(today, n) }
	rule := func(kind commission.Kind, dir commission.Direction, bp int64) commission.Rule {
		return commission.Rule{Kind: kind, Direction: dir, RateBP: bp}
	}
	version := func(model, title string, from time.Time, termMonths int, autoRenew bool, terms agreement.Terms, rules ...commission.Rule) agreement.Input {
		in := agreement.DefaultInput(model, from)
		in.Title, in.TermMonths, in.AutoRenew, in.Terms, in.Rules = title, termMonths, autoRenew, terms, rules
		in.Territories = []string{"UK", "Ireland"}
		return in
	}

	brightlineV1 := version("referral", "Referral partnership", months(-26), 0, false,
		seedTerms("Tax structuring and due diligence for clients planning a carve-out or acquisition.",
			"Operating-model and integration work after a deal.", "Audit and assurance work: Brightline's, never ours.", "standard", true),
		rule(commission.PercentFirstProject, commission.WePay, 1000))
	brightlineV2 := version("referral", "Referral partnership 2026", months(-2), 24, true, brightlineV1.Terms,
		rule(commission.PercentFirstProject, commission.WePay, 1500),
		commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 500, Months: 12},
		rule(commission.PercentFirstProject, commission.WeReceive, 1000))
	brightlineV2.ChangeNote = "Tier 1 rate from this year, an ongoing share for the first year, and a fee for what we refer to Brightline."
	brightlineV2.PaymentNetDays = 45

	meridian := version("delivery", "Co-delivery of change programmes", months(-8), 12, true,
		seedTerms("Change management and adoption on our transformation programmes.",
			"Operating-model design that comes up in their change work.", "Their own change-management clients.", "high", false),
		commission.Rule{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000})
	meridian.Exclusivity, meridian.ExclusivityScope = "service_category", []string{"Change management"}

	atlas := version("alliance", "Strategic alliance", months(-12), 0, false,
		seedTerms("Buy-side clients who need a post-merger integration team.", "Portfolio companies needing operations work.",
			"Deal advisory fees.", "", true),
		commission.Rule{Kind: commission.ReciprocityOnly, Direction: commission.WePay})

	ironbridge := version("technology", "Technology partnership", months(-10), 24, false,
		seedTerms("ERP and data-platform implementations.", "Process redesign before a system goes in.", "Managed IT services.", "standard", true),
		commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WeReceive, RateBP: 1000, Months: 12},
		rule(commission.PercentFirstProject, commission.WePay, 1000))

	vanguard := version("channel", "Reseller agreement", months(-5), 12, true,
		seedTerms("Clients choosing an ERP.", "ERP clients needing operations improvement.", "Software licences.", "passive", false),
		commission.Rule{Kind: commission.TieredConversion, Direction: commission.WePay, WindowMonths: 12,
			Tiers: []commission.Tier{{RateBP: 500}, {MinConversionBP: 2500, RateBP: 750}, {MinConversionBP: 5000, RateBP: 1000}}})

	summit := version("technology", "Data partnership", today.AddDate(0, 0, 7), 12, false,
		seedTerms("Analytics and data-engineering work.", "Strategy work that starts from a data question.", "Dashboards as a product.", "standard", false),
		commission.Rule{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 250000})

	keystone := version("referral", "Referral partnership", today.AddDate(-1, 0, 20), 12, false,
		seedTerms("Corporate, employment and contract law.", "Operations work after a restructuring.", "Legal advice of any kind.", "standard", true),
		commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay, Period: commission.CalendarYear,
			Mode: commission.FromThreshold, Tiers: commission.DefaultVolumeTiers()})

	crestview := version("referral", "Referral partnership", months(-26), 24, false,
		seedTerms("Bookkeeping and statutory accounts.", "Cost reviews.", "Audit.", "passive", true),
		rule(commission.PercentFirstProject, commission.WePay, 750))

	pinnacle := version("referral", "Research referrals", today.AddDate(0, 0, 14), 12, false,
		seedTerms("Customer and competitor research.", "Strategy work that follows a research project.", "Market sizing for investors.", "passive", false),
		rule(commission.PercentFirstProject, commission.WePay, 500))

	all := []seedAgreement{
		{"Brightline Tax", []seedVersion{
			{in: brightlineV1, recorded: "Dana Reyes", at: months(-26).Add(10 * time.Hour)},
			{in: brightlineV2, send: true, accept: "Pat Partner", at: months(-2).AddDate(0, 0, -6).Add(15 * time.Hour)},
		}},
		{"Meridian Change Partners", []seedVersion{{in: meridian, recorded: "Claire Dubois", at: months(-8).Add(11 * time.Hour)}}},
		{"Atlas Capital Group", []seedVersion{{in: atlas, recorded: "Richard Vale", at: months(-12).Add(9 * time.Hour)}}},
		{"Ironbridge Systems", []seedVersion{{in: ironbridge, recorded: "Pieter de Vries", at: months(-10).Add(14 * time.Hour)}}},
		{"Vanguard ERP Consulting", []seedVersion{{in: vanguard, recorded: "Stefan Koch", at: months(-5).Add(16 * time.Hour)}}},
		{"Summit Data Partners", []seedVersion{{in: summit, send: true, at: today.AddDate(0, 0, -3).Add(10 * time.Hour)}}},
		{"Keystone Legal", []seedVersion{{in: keystone, recorded: "Priya Shah", at: today.AddDate(-1, 0, 18).Add(12 * time.Hour)}}},
		{"Crestview Accountants", []seedVersion{{in: crestview, recorded: "Martin Hughes", at: months(-26).Add(10 * time.Hour)}}},
		{"Pinnacle Market Insight", []seedVersion{{in: pinnacle, send: true, at: today.AddDate(0, 0, -9).Add(10 * time.Hour),
			decline: "A 5% fee doesn't cover the time we spend scoping a referral; we'd sign at 10% of the first project."}}},
	}
	for i, sa := range all {
		var partnerID uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT id FROM partners WHERE tenant_id = $1 AND name = $2`, tenantID, sa.partner).Scan(&partnerID); err != nil {
			return fmt.Errorf("agreement for %s: %w", sa.partner, err)
		}
		drafter := admin
		if i%2 == 1 {
			drafter = manager
		}
		for _, v := range sa.versions {
			if err := seedVersionOf(ctx, tx, tenantID, partnerID, drafter, portalUser, v); err != nil {
				return fmt.Errorf("agreement for %s: %w", sa.partner, err)
			}
		}
	}
	// Crestview's ran out two months ago: the renewal job would have
	// expired it.
	if _, err := agreement.MarkExpired(ctx, tx, tenantID, today); err != nil {
		return fmt.Errorf("expire agreements: %w", err)
	}
	return nil
}

func seedVersionOf(ctx context.Context, tx pgx.Tx, tenantID, partnerID, drafter, portalUser uuid.UUID, v seedVersion) error {
	a, err := agreement.CreateDraft(ctx, tx, tenantID, partnerID, v.in, drafter)
	if err != nil {
		return err
	}
	sentAt := v.at.Add(-2 * time.Hour)
	switch {
	case v.recorded != "":
		_, err = agreement.Record(ctx, tx, tenantID, a.ID, drafter, v.recorded, v.at)
	case v.send:
		if a, err = agreement.Send(ctx, tx, tenantID, a.ID, drafter, sentAt); err != nil {
			return err
		}
		switch {
		case v.accept != "":
			_, err = agreement.Accept(ctx, tx, tenantID, a.ID, portalUser, v.accept, "203.0.113.24", v.at)
		case v.decline != "":
			// Declined by the partner's admin, who has no demo login.
			_, err = agreement.Decline(ctx, tx, tenantID, a.ID, uuid.Nil, v.decline, v.at)
		}
	}
	if err != nil {
		return err
	}
	// Made when they were, not now.
	_, err = tx.Exec(ctx, `UPDATE agreements SET created_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, a.ID, sentAt.Add(-24*time.Hour))
	return err
}
