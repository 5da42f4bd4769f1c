package rollup

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Counts are referral figures summed over some partner-months.
type Counts struct {
	Received, Sent                                    int64
	OpenSubmitted, OpenAcknowledged, OpenContacted    int64
	OpenMeeting, OpenProposal                         int64
	ReachedContacted, ReachedMeeting, ReachedProposal int64
	ReachedWon                                        int64
	WonReceived, LostReceived, WonSent, LostSent      int64
	FitGood, FitPoor                                  int64
	SLAOurs, SLATheirs                                int64
	CSATSum, CSATCount                                int64
	// Responded is how many received referrals got their first response in
	// the period; the percentiles (nearest rank) are of those, in minutes,
	// and nil when there were none.
	Responded                      int64
	ResponseP50Min, ResponseP90Min *int64
}

// Open is the open referrals (both directions) among those submitted.
func (c Counts) Open() int64 {
	return c.OpenSubmitted + c.OpenAcknowledged + c.OpenContacted + c.OpenMeeting + c.OpenProposal
}

// Money is one currency's amounts, in cents.
type Money struct {
	RevenueReceived, RevenueSent     int64
	CommissionEarned, CommissionPaid int64
	FeeEarned, FeeReceived           int64
}

// Row is one group's totals: a month's or quarter's (Start set), a
// partner's (PartnerID set), or the whole period's (neither).
type Row struct {
	Start     time.Time // first day of the month or quarter (UTC midnight of that date)
	PartnerID uuid.UUID
	Counts
	Money map[string]Money // by currency; absent currencies are zero
}

// Group says how Sum groups the months.
type Group int

// The groupings.
const (
	Total Group = iota
	ByMonth
	ByQuarter
	ByPartner
)

// Query selects partner-months: the firm's, or one partner's, with months
// in [From, To) (dates; To zero means no end).
type Query struct {
	PartnerID *uuid.UUID
	From, To  time.Time
	By        Group
}

func (q Query) key() string {
	switch q.By {
	case ByMonth:
		return `month`
	case ByQuarter:
		return `date_trunc('quarter', month)::date`
	case ByPartner:
		return `partner_id`
	}
	return `NULL::date`
}

func (q Query) args(tenantID uuid.UUID) []any {
	var to *time.Time
	if !q.To.IsZero() {
		to = &q.To
	}
	return []any{tenantID, q.PartnerID, dateOnly(q.From), to}
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

const where = `tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND month >= $3::date AND ($4::date IS NULL OR month < $4::date)`

// Sum reads the rollups (never raw history) and sums them per group, in
// the group's order (months and quarters ascending). Groups with no
// partner-month are absent; callers fill the gaps they show.
func Sum(ctx context.Context, q db.Querier, tenantID uuid.UUID, qry Query) ([]Row, error) {
	key := qry.key()
	byKey := map[string]*Row{}
	var order []string
	// Sums and percentiles are grouped separately, then joined on the
	// group's text (never NULL, so a hash join): a join on IS NOT DISTINCT
	// FROM made the planner re-run the percentiles per month row.
	rows, err := q.Query(ctx, `WITH m AS MATERIALIZED (SELECT coalesce(`+key+`::text, '') AS g, * FROM partner_months WHERE `+where+`),
		p AS MATERIALIZED (SELECT g, count(v) AS n,
				percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS p50,
				percentile_disc(0.9) WITHIN GROUP (ORDER BY v) AS p90
			FROM m, unnest(m.response_minutes) v GROUP BY g),
		s AS (SELECT g, sum(received) AS received, sum(sent) AS sent, sum(open_submitted) AS open_submitted,
			sum(open_acknowledged) AS open_acknowledged, sum(open_contacted) AS open_contacted,
			sum(open_meeting) AS open_meeting, sum(open_proposal) AS open_proposal, sum(reached_contacted) AS reached_contacted,
			sum(reached_meeting) AS reached_meeting, sum(reached_proposal) AS reached_proposal,
			sum(reached_won) AS reached_won, sum(won_received) AS won_received, sum(lost_received) AS lost_received,
			sum(won_sent) AS won_sent, sum(lost_sent) AS lost_sent, sum(fit_good) AS fit_good, sum(fit_poor) AS fit_poor,
			sum(sla_ours) AS sla_ours, sum(sla_theirs) AS sla_theirs, sum(csat_sum) AS csat_sum, sum(csat_count) AS csat_count
			FROM m GROUP BY g)
		SELECT nullif(s.g, ''), s.received, s.sent, s.open_submitted, s.open_acknowledged, s.open_contacted,
			s.open_meeting, s.open_proposal, s.reached_contacted, s.reached_meeting, s.reached_proposal,
			s.reached_won, s.won_received, s.lost_received, s.won_sent, s.lost_sent,
			s.fit_good, s.fit_poor, s.sla_ours, s.sla_theirs, s.csat_sum, s.csat_count,
			coalesce(p.n, 0), p.p50, p.p90
		FROM s LEFT JOIN p ON p.g = s.g
		ORDER BY s.g`, qry.args(tenantID)...)
	if err != nil {
		return nil, fmt.Errorf("rollup: sum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g *string
		var c Counts
		var p50, p90 *int32
		if err := rows.Scan(&g, &c.Received, &c.Sent, &c.OpenSubmitted, &c.OpenAcknowledged, &c.OpenContacted,
			&c.OpenMeeting, &c.OpenProposal, &c.ReachedContacted, &c.ReachedMeeting, &c.ReachedProposal,
			&c.ReachedWon, &c.WonReceived, &c.LostReceived, &c.WonSent, &c.LostSent,
			&c.FitGood, &c.FitPoor, &c.SLAOurs, &c.SLATheirs, &c.CSATSum, &c.CSATCount,
			&c.Responded, &p50, &p90); err != nil {
			return nil, fmt.Errorf("rollup: sum: %w", err)
		}
		c.ResponseP50Min, c.ResponseP90Min = widen(p50), widen(p90)
		k := deref(g)
		byKey[k] = &Row{Counts: c}
		order = append(order, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollup: sum: %w", err)
	}
	money, err := q.Query(ctx, `SELECT `+key+`::text AS g, currency,
			sum(revenue_received_cents), sum(revenue_sent_cents), sum(commission_earned_cents),
			sum(commission_paid_cents), sum(fee_earned_cents), sum(fee_received_cents)
		FROM partner_month_money WHERE `+where+`
		GROUP BY 1, 2 ORDER BY 1, 2`, qry.args(tenantID)...)
	if err != nil {
		return nil, fmt.Errorf("rollup: sum money: %w", err)
	}
	defer money.Close()
	for money.Next() {
		var g *string
		var cur string
		var m Money
		if err := money.Scan(&g, &cur, &m.RevenueReceived, &m.RevenueSent, &m.CommissionEarned,
			&m.CommissionPaid, &m.FeeEarned, &m.FeeReceived); err != nil {
			return nil, fmt.Errorf("rollup: sum money: %w", err)
		}
		k := deref(g)
		r := byKey[k]
		if r == nil {
			r = &Row{}
			byKey[k] = r
			order = append(order, k)
		}
		if r.Money == nil {
			r.Money = map[string]Money{}
		}
		r.Money[cur] = m
	}
	if err := money.Err(); err != nil {
		return nil, fmt.Errorf("rollup: sum money: %w", err)
	}
	sort.Strings(order)
	out := make([]Row, 0, len(order))
	for _, k := range order {
		r := byKey[k]
		switch qry.By {
		case ByMonth, ByQuarter:
			t, err := time.Parse(time.DateOnly, k)
			if err != nil {
				return nil, fmt.Errorf("rollup: group %q: %w", k, err)
			}
			r.Start = t
		case ByPartner:
			id, err := uuid.Parse(k)
			if err != nil {
				return nil, fmt.Errorf("rollup: group %q: %w", k, err)
			}
			r.PartnerID = id
		}
		out = append(out, *r)
	}
	return out, nil
}

func widen(v *int32) *int64 {
	if v == nil {
		return nil
	}
	w := int64(*v)
	return &w
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
