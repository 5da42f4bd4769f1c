package scorecard

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/rollup"
)

// DefaultCurrency is the scorecard's currency for a partner without money.
const DefaultCurrency = "USD"

// yearQuarters is how many quarters "the year" of the health score, the
// reciprocity and the attendance spans (the trailing 12 months).
const yearQuarters = 4

// maxAlerts bounds the open alerts a scorecard lists.
const maxAlerts = 50

// CheckQuarter says whether a scorecard can be built for qt on the day
// today: any quarter that has started. EInvalid (field "quarter") for a
// later one.
func CheckQuarter(qt period.Quarter, today time.Time) error {
	cur := period.QuarterOf(today)
	if cur.Before(qt) {
		msg := fmt.Sprintf("%s hasn't started yet: choose %s or an earlier quarter.", qt.Label(), cur.Label())
		return &apperr.Error{Code: apperr.EInvalid, Message: msg, Fields: map[string]string{"quarter": msg}}
	}
	return nil
}

// Build computes one partner's scorecard for the quarter from the rollups,
// never from raw referral history: the quarter's figures, the 8-quarter
// trend (zero-filled), reciprocity over the 4 quarters ending with qt, the
// health score, the tier recommendation, partner satisfaction by year,
// review attendance over the 4 quarters, open alerts and open action items.
// Money is in the partner's main currency (the one with the most revenue in
// its rollups, else USD); other currencies are left out.
//
// Staff call it in the firm's transaction, after rollup.Fresh when the
// figures must include the last change; a portal transaction may call it
// for its own partner (alerts, staff-only, then come back empty). today is
// the firm's day. Fails with ENotFound for a partner that isn't the firm's
// and EInvalid for a quarter that hasn't started.
func Build(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, qt period.Quarter, today time.Time) (Scorecard, error) {
	if err := CheckQuarter(qt, today); err != nil {
		return Scorecard{}, err
	}
	tiers, err := loadTiers(ctx, q, tenantID)
	if err != nil {
		return Scorecard{}, err
	}
	return build(ctx, q, tenantID, partnerID, qt, today, tiers)
}

func loadTiers(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]TierRef, error) {
	rows, err := q.Query(ctx, `SELECT id, name, rank FROM tiers WHERE tenant_id = $1 ORDER BY rank, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("scorecard: tiers: %w", err)
	}
	tiers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TierRef, error) {
		var t TierRef
		err := r.Scan(&t.ID, &t.Name, &t.Rank)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("scorecard: tiers: %w", err)
	}
	return tiers, nil
}

// facts are the partner's row and the small things read beside it.
type facts struct {
	name, kind, status string
	tierID             *uuid.UUID
	createdAt          time.Time
	firstMonth         *time.Time
	currency           *string
	openActions        int64
	attendance         Attendance
	alerts             []string
}

func loadFacts(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, year []period.Quarter, today time.Time) (facts, error) {
	labels := make([]string, len(year))
	for i, y := range year {
		labels[i] = y.String()
	}
	var f facts
	err := q.QueryRow(ctx, `SELECT p.name, p.type, p.status, p.tier_id, p.created_at,
			(SELECT min(m.month) FROM partner_months m WHERE m.tenant_id = p.tenant_id AND m.partner_id = p.id),
			(SELECT m.currency FROM partner_month_money m WHERE m.tenant_id = p.tenant_id AND m.partner_id = p.id
				GROUP BY m.currency
				ORDER BY sum(m.revenue_received_cents + m.revenue_sent_cents) DESC,
					sum(abs(m.commission_earned_cents) + abs(m.fee_earned_cents)) DESC, m.currency
				LIMIT 1),
			(SELECT count(*) FROM review_actions a WHERE a.tenant_id = p.tenant_id AND a.partner_id = p.id AND a.done_at IS NULL),
			r.due, r.held, r.cancelled, r.attended,
			ARRAY(SELECT al.message FROM alerts al WHERE al.tenant_id = p.tenant_id AND al.partner_id = p.id
				AND al.resolved_at IS NULL ORDER BY al.created_at, al.id LIMIT $5)
		FROM partners p,
		LATERAL (SELECT
				count(*) FILTER (WHERE r.status <> 'scheduled' OR r.scheduled_at < $4) AS due,
				count(*) FILTER (WHERE r.status = 'held') AS held,
				count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
				count(*) FILTER (WHERE r.status = 'held' AND EXISTS (SELECT 1 FROM review_attendees ra
					WHERE ra.tenant_id = r.tenant_id AND ra.review_id = r.id AND ra.side = 'partner' AND ra.attended)) AS attended
			FROM partner_reviews r
			WHERE r.tenant_id = p.tenant_id AND r.partner_id = p.id AND r.quarter = ANY ($3::text[])) r
		WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, partnerID, labels, today, maxAlerts).Scan(
		&f.name, &f.kind, &f.status, &f.tierID, &f.createdAt, &f.firstMonth, &f.currency, &f.openActions,
		&f.attendance.Scheduled, &f.attendance.Held, &f.attendance.Cancelled, &f.attendance.PartnerAttended, &f.alerts)
	if db.IsNoRows(err) {
		return f, apperr.NotFound("Partner")
	}
	if err != nil {
		return f, fmt.Errorf("scorecard: partner: %w", err)
	}
	return f, nil
}

func loadSatisfaction(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, upTo int) ([]YearScore, error) {
	rows, err := q.Query(ctx, `SELECT year, count(*), round(avg(score) * 10)::bigint FROM partner_surveys
		WHERE tenant_id = $1 AND partner_id = $2 AND year <= $3 GROUP BY year ORDER BY year`, tenantID, partnerID, upTo)
	if err != nil {
		return nil, fmt.Errorf("scorecard: satisfaction: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (YearScore, error) {
		var y YearScore
		err := r.Scan(&y.Year, &y.Answers, &y.AvgX10)
		return y, err
	})
	if err != nil {
		return nil, fmt.Errorf("scorecard: satisfaction: %w", err)
	}
	return out, nil
}

func build(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, qt period.Quarter, today time.Time, tiers []TierRef) (Scorecard, error) {
	quarters := qt.Last(TrendQuarters)
	year := quarters[len(quarters)-yearQuarters:]
	f, err := loadFacts(ctx, q, tenantID, partnerID, year, today)
	if err != nil {
		return Scorecard{}, err
	}
	sat, err := loadSatisfaction(ctx, q, tenantID, partnerID, qt.Year)
	if err != nil {
		return Scorecard{}, err
	}
	rows, err := rollup.Sum(ctx, q, tenantID, rollup.Query{PartnerID: &partnerID,
		From: quarters[0].Start(), To: qt.Next().Start(), By: rollup.ByQuarter})
	if err != nil {
		return Scorecard{}, err
	}
	byStart := make(map[time.Time]rollup.Row, len(rows))
	for _, r := range rows {
		byStart[r.Start] = r
	}

	sc := Scorecard{PartnerID: partnerID, PartnerName: f.name, PartnerType: f.kind, Status: f.status, Quarter: qt,
		Currency: DefaultCurrency, Satisfaction: sat, Attendance: f.attendance, OpenAlerts: f.alerts, OpenActions: f.openActions}
	if f.currency != nil {
		sc.Currency = *f.currency
	}
	if sc.Satisfaction == nil {
		sc.Satisfaction = []YearScore{}
	}
	if sc.OpenAlerts == nil {
		sc.OpenAlerts = []string{}
	}
	counts := make([]rollup.Counts, len(quarters))
	sc.Trend = make([]Figures, len(quarters))
	for i, qq := range quarters {
		r := byStart[qq.Start()]
		counts[i] = r.Counts
		sc.Trend[i] = figuresOf(qq, r, sc.Currency)
	}
	sc.Current = sc.Trend[len(sc.Trend)-1]

	// The year: the 4 quarters ending with qt (and, for a promotion, the 4
	// ending the quarter before).
	first := len(quarters) - yearQuarters
	var yr rollup.Counts
	var money Figures
	var active int64
	for i := first; i < len(quarters); i++ {
		c := counts[i]
		addCounts(&yr, c)
		fi := sc.Trend[i]
		money.RevenueReceivedCents += fi.RevenueReceivedCents
		money.RevenueSentCents += fi.RevenueSentCents
		money.CommissionsEarnedCents += fi.CommissionsEarnedCents
		money.FeesEarnedCents += fi.FeesEarnedCents
		if c.Received+c.Sent > 0 {
			active++
		}
	}
	var wonBefore int64
	for i := first - 1; i < len(quarters)-1; i++ {
		wonBefore += counts[i].WonReceived
	}
	sc.Reciprocity = ReciprocityOf(yr.Received, yr.Sent, money)

	tierIdx, tierName := -1, ""
	for i, t := range tiers {
		if f.tierID != nil && t.ID == *f.tierID {
			tierIdx, tierName = i, t.Name
		}
	}
	expected := VolumeLevels[0] // not in a tier: the lowest tier's level
	if tierIdx >= 0 {
		expected = VolumeLevel(tierIdx, len(tiers))
	}
	sc.Health = ComputeHealth(HealthInputs{
		Won: yr.WonReceived, Lost: yr.LostReceived, Received: yr.Received, Sent: yr.Sent,
		TheirBreaches: yr.SLATheirs, CSATSum: yr.CSATSum, CSATCount: yr.CSATCount,
		ReviewsHeld: f.attendance.Held, ReviewsAttended: f.attendance.PartnerAttended,
		ActiveQuarters: active, Quarters: yearQuarters, ExpectedWon: expected, TierName: tierName,
	})

	// Established: the partner existed (or had figures) when the year began.
	since := time.Date(f.createdAt.Year(), f.createdAt.Month(), f.createdAt.Day(), 0, 0, 0, 0, time.UTC)
	if f.firstMonth != nil && f.firstMonth.Before(since) {
		since = *f.firstMonth
	}
	sc.Recommendation = Recommend(RecommendInputs{Status: f.status, Tiers: tiers, CurrentTierID: f.tierID,
		Health: sc.Health.Score, WonYear: yr.WonReceived, WonYearBefore: wonBefore,
		Established: !since.After(year[0].Start())})
	return sc, nil
}

// figuresOf is a quarter's figures from its rollup row (zero when absent).
func figuresOf(qt period.Quarter, r rollup.Row, currency string) Figures {
	m := r.Money[currency]
	f := Figures{Quarter: qt,
		ReferralsReceived: r.Received, ReferralsSent: r.Sent,
		WonReceived: r.WonReceived, LostReceived: r.LostReceived, WonSent: r.WonSent, LostSent: r.LostSent,
		ConversionBP:     rateBP(r.WonReceived, r.WonReceived+r.LostReceived),
		SentConversionBP: rateBP(r.WonSent, r.WonSent+r.LostSent),

		RevenueReceivedCents: m.RevenueReceived, RevenueSentCents: m.RevenueSent,
		CommissionsEarnedCents: m.CommissionEarned, CommissionsPaidCents: m.CommissionPaid,
		FeesEarnedCents: m.FeeEarned, FeesReceivedCents: m.FeeReceived,

		Responded:        r.Responded,
		ResponseP50Hours: hours(r.ResponseP50Min), ResponseP90Hours: hours(r.ResponseP90Min),
		SLABreachesOurs: r.SLAOurs, SLABreachesTheirs: r.SLATheirs,

		CSATCount: r.CSATCount, FitGood: r.FitGood, FitPoor: r.FitPoor,
		FitRateBP: rateBP(r.FitGood, r.FitGood+r.FitPoor),
	}
	if r.CSATCount > 0 {
		x := roundDiv(r.CSATSum*10, r.CSATCount)
		f.CSATX10 = &x
	}
	return f
}

// rateBP is n ÷ d in basis points, rounded half up; nil when d is 0.
func rateBP(n, d int64) *int64 {
	if d <= 0 {
		return nil
	}
	bp := roundDiv(n*10000, d)
	return &bp
}

// hours is minutes rounded up to whole hours.
func hours(minutes *int64) *int64 {
	if minutes == nil {
		return nil
	}
	h := (*minutes + 59) / 60
	return &h
}

func addCounts(to *rollup.Counts, c rollup.Counts) {
	to.Received += c.Received
	to.Sent += c.Sent
	to.WonReceived += c.WonReceived
	to.LostReceived += c.LostReceived
	to.WonSent += c.WonSent
	to.LostSent += c.LostSent
	to.SLAOurs += c.SLAOurs
	to.SLATheirs += c.SLATheirs
	to.CSATSum += c.CSATSum
	to.CSATCount += c.CSATCount
	to.FitGood += c.FitGood
	to.FitPoor += c.FitPoor
}
