package rollup

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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

// where is the query's condition on the rollups and its arguments. Each
// combination of filters gets its own text, without "$n IS NULL OR …"
// alternatives, so PostgreSQL can keep one generic plan per statement
// (an index range on the partner's or the firm's months) instead of
// planning the query again on every page view.
func (q Query) where(tenantID uuid.UUID) (string, []any) {
	cond := `tenant_id = $1 AND month >= $2::date`
	args := []any{tenantID, dateOnly(q.From)}
	if q.PartnerID != nil {
		args = append(args, *q.PartnerID)
		cond += fmt.Sprintf(` AND partner_id = $%d`, len(args))
	}
	if !q.To.IsZero() {
		args = append(args, dateOnly(q.To))
		cond += fmt.Sprintf(` AND month < $%d::date`, len(args))
	}
	return cond, args
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Sum reads the rollups (never raw history) and sums them per group, in
// the group's order (months and quarters ascending). Groups with no
// partner-month are absent; callers fill the gaps they show.
func Sum(ctx context.Context, q db.Querier, tenantID uuid.UUID, qry Query) ([]Row, error) {
	key := qry.key()
	where, args := qry.where(tenantID)
	byKey := map[string]*Row{}
	var order []string
	// The sums in SQL; the response-time percentiles in Go, from the
	// months' arrays (each already ascending). Percentiles are over every
	// received referral answered in the period, so their cost grows with
	// the partner's volume: at 1M referrals the busiest partner's 9
	// quarters hold ~3,800 values, and PostgreSQL's percentile_disc over
	// them (unnest, sort, ordered-set aggregate) took 2.5–7 ms, most of
	// the scorecard's database time; merging them here takes ~0.1 ms.
	rows, err := q.Query(ctx, `SELECT nullif(coalesce(`+key+`::text, ''), '') AS g, sum(received), sum(sent), sum(open_submitted),
			sum(open_acknowledged), sum(open_contacted), sum(open_meeting), sum(open_proposal), sum(reached_contacted),
			sum(reached_meeting), sum(reached_proposal), sum(reached_won), sum(won_received), sum(lost_received),
			sum(won_sent), sum(lost_sent), sum(fit_good), sum(fit_poor), sum(sla_ours), sum(sla_theirs),
			sum(csat_sum), sum(csat_count)
		FROM partner_months WHERE `+where+`
		GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("rollup: sum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g *string
		var c Counts
		if err := rows.Scan(&g, &c.Received, &c.Sent, &c.OpenSubmitted, &c.OpenAcknowledged, &c.OpenContacted,
			&c.OpenMeeting, &c.OpenProposal, &c.ReachedContacted, &c.ReachedMeeting, &c.ReachedProposal,
			&c.ReachedWon, &c.WonReceived, &c.LostReceived, &c.WonSent, &c.LostSent,
			&c.FitGood, &c.FitPoor, &c.SLAOurs, &c.SLATheirs, &c.CSATSum, &c.CSATCount); err != nil {
			return nil, fmt.Errorf("rollup: sum: %w", err)
		}
		k := deref(g)
		byKey[k] = &Row{Counts: c}
		order = append(order, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollup: sum: %w", err)
	}
	if err := responsePercentiles(ctx, q, tenantID, qry, byKey); err != nil {
		return nil, err
	}
	money, err := q.Query(ctx, `SELECT `+key+`::text AS g, currency,
			sum(revenue_received_cents), sum(revenue_sent_cents), sum(commission_earned_cents),
			sum(commission_paid_cents), sum(fee_earned_cents), sum(fee_received_cents)
		FROM partner_month_money WHERE `+where+`
		GROUP BY 1, 2 ORDER BY 1, 2`, args...)
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

// responsePercentiles sets each group's Responded and its nearest-rank
// median and 90th percentile (what percentile_disc gives) from the
// months' response minutes.
func responsePercentiles(ctx context.Context, q db.Querier, tenantID uuid.UUID, qry Query, byKey map[string]*Row) error {
	where, args := qry.where(tenantID)
	rows, err := q.Query(ctx, `SELECT nullif(coalesce(`+qry.key()+`::text, ''), ''), response_minutes
		FROM partner_months WHERE `+where+` AND response_minutes <> '{}'`, args...)
	if err != nil {
		return fmt.Errorf("rollup: response times: %w", err)
	}
	values := map[string][]int32{}
	var g *string
	var mins []int32
	if _, err := pgx.ForEachRow(rows, []any{&g, &mins}, func() error {
		k := deref(g)
		values[k] = append(values[k], mins...)
		return nil
	}); err != nil {
		return fmt.Errorf("rollup: response times: %w", err)
	}
	for k, vs := range values {
		r := byKey[k]
		if r == nil { // a month holds minutes only with counts, so never
			continue
		}
		slices.Sort(vs)
		r.Responded = int64(len(vs))
		r.ResponseP50Min, r.ResponseP90Min = percentileDisc(vs, 0.5), percentileDisc(vs, 0.9)
	}
	return nil
}

// percentileDisc is PostgreSQL's percentile_disc(f) of sorted vs: the
// first value whose position (1-based) is at least f × len(vs).
func percentileDisc(vs []int32, f float64) *int64 {
	if len(vs) == 0 {
		return nil
	}
	i := max(int(math.Ceil(f*float64(len(vs)))), 1)
	v := int64(vs[min(i, len(vs))-1])
	return &v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
