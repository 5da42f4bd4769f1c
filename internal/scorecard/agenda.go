package scorecard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// The parts of a scorecard a firm may share with the partner
// (tenant_settings.scorecard_shared): the portal shows only those, and so
// does the review agenda, which the partner sees.
const (
	PartReferrals    = "referrals"
	PartConversion   = "conversion"
	PartRevenue      = "revenue"
	PartCommissions  = "commissions"
	PartResponse     = "response"
	PartSatisfaction = "satisfaction"
	PartReciprocity  = "reciprocity"
	PartHealth       = "health"
	PartTier         = "tier"
)

// Part is a shareable part and how people name it.
type Part struct{ Key, Label string }

// Parts are the shareable parts in the scorecard's order.
var Parts = []Part{
	{PartReferrals, "Referrals each way"},
	{PartConversion, "Conversion rate"},
	{PartRevenue, "Revenue from referrals"},
	{PartCommissions, "Commissions and fees"},
	{PartResponse, "Response times and SLA breaches"},
	{PartSatisfaction, "Client and partner satisfaction"},
	{PartReciprocity, "Reciprocity"},
	{PartHealth, "Health score"},
	{PartTier, "Tier and what the next one takes"},
}

// DefaultShared is what a firm shares until it chooses (the schema's default).
var DefaultShared = []string{PartReferrals, PartConversion, PartResponse, PartReciprocity, PartTier}

// Shared returns the parts the firm shares with its partners.
func Shared(ctx context.Context, q db.Querier, tenantID uuid.UUID) (map[string]bool, error) {
	var keys []string
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT scorecard_shared FROM tenant_settings WHERE tenant_id = $1), $2::text[])`,
		tenantID, DefaultShared).Scan(&keys)
	if err != nil {
		return nil, fmt.Errorf("scorecard: shared parts: %w", err)
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// AgendaSection is the scorecard section of a review's pre-filled agenda:
// a title and a Markdown list of the quarter's figures — only the parts
// the firm shares, since the partner sees the agenda. ok is false when the
// quarter hasn't started or nothing is shared. Staff scope (the caller
// refreshes the rollups if it needs the last minute's changes); ENotFound
// for another firm's partner.
func AgendaSection(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, qt period.Quarter, today time.Time) (title, markdownBody string, ok bool, err error) {
	if CheckQuarter(qt, today) != nil {
		return "", "", false, nil
	}
	shared, err := Shared(ctx, q, tenantID)
	if err != nil {
		return "", "", false, err
	}
	if len(shared) == 0 {
		return "", "", false, nil
	}
	sc, err := Build(ctx, q, tenantID, partnerID, qt, today)
	if err != nil {
		return "", "", false, err
	}
	body := AgendaMarkdown(sc, shared)
	if body == "" {
		return "", "", false, nil
	}
	return "Scorecard (" + qt.Label() + ")", body, true, nil
}

// AgendaMarkdown writes the shared parts of a scorecard as a Markdown list.
func AgendaMarkdown(sc Scorecard, shared map[string]bool) string {
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString("- " + fmt.Sprintf(format, args...) + "\n") }
	c := sc.Current
	year := sc.Trend[max(len(sc.Trend)-yearQuarters, 0):]
	var recvYear, sentYear int64
	for _, f := range year {
		recvYear += f.ReferralsReceived
		sentYear += f.ReferralsSent
	}
	money := func(cents int64) string { return commission.FormatCents(cents) + " " + sc.Currency }

	if shared[PartReferrals] {
		line("Referrals from %s: %d this quarter, %d over the last 4 quarters; to %s: %d this quarter, %d over the last 4 quarters.",
			sc.PartnerName, c.ReferralsReceived, recvYear, sc.PartnerName, c.ReferralsSent, sentYear)
	}
	if shared[PartConversion] {
		if c.ConversionBP != nil {
			line("Conversion of referrals from %s: %s (%d won of %d decided).", sc.PartnerName,
				commission.FormatBP(*c.ConversionBP), c.WonReceived, c.WonReceived+c.LostReceived)
		} else {
			line("Conversion of referrals from %s: none decided this quarter.", sc.PartnerName)
		}
	}
	if shared[PartRevenue] {
		line("Revenue from referrals received: %s; from referrals sent: %s.", money(c.RevenueReceivedCents), money(c.RevenueSentCents))
	}
	if shared[PartCommissions] {
		line("Commissions earned by %s: %s (paid this quarter: %s).", sc.PartnerName, money(c.CommissionsEarnedCents), money(c.CommissionsPaidCents))
		if c.FeesEarnedCents != 0 || c.FeesReceivedCents != 0 {
			line("Fees earned by us: %s (received this quarter: %s).", money(c.FeesEarnedCents), money(c.FeesReceivedCents))
		}
	}
	if shared[PartResponse] {
		if c.ResponseP50Hours != nil {
			line("Our first response to referrals: median %s, 90th percentile %s (%d answered).",
				hoursText(*c.ResponseP50Hours), hoursText(*c.ResponseP90Hours), c.Responded)
		} else {
			line("Our first response to referrals: none answered this quarter.")
		}
		line("SLA breaches: %d on our side, %d on %s's.", c.SLABreachesOurs, c.SLABreachesTheirs, sc.PartnerName)
	}
	if shared[PartSatisfaction] {
		if c.CSATX10 != nil {
			line("Client satisfaction: %s of 5 (%s).", tenths(*c.CSATX10), plural(c.CSATCount, "answer", "answers"))
		}
		if n := len(sc.Satisfaction); n > 0 {
			y := sc.Satisfaction[n-1]
			line("Partner satisfaction %d: %s of 10 (%s).", y.Year, tenths(y.AvgX10), plural(y.Answers, "answer", "answers"))
		}
	}
	if shared[PartReciprocity] {
		line("%s", sc.Reciprocity.Sentence)
	}
	if shared[PartHealth] {
		line("Health score: %d of 100.", sc.Health.Score)
	}
	if shared[PartTier] {
		rec := sc.Recommendation
		switch {
		case rec.CurrentTier != nil && rec.NextTier == nil:
			line("Tier: %s, the top tier.", rec.CurrentTier.Name)
		case rec.CurrentTier != nil:
			line("Tier: %s.", rec.CurrentTier.Name)
		case rec.NextTier != nil:
			line("Tier: not in a tier yet.")
		}
		if rec.NextTier != nil && len(rec.NextNeeds) > 0 {
			line("To reach %s: %s", rec.NextTier.Name, strings.Join(rec.NextNeeds, " "))
		}
	}
	return b.String()
}

// hoursText is "1 hour" or "20 hours".
func hoursText(h int64) string { return plural(h, "hour", "hours") }
