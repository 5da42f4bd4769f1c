package scorecard_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/scorecard"
	"github.com/allyway/allyway/internal/testdb"
)

// The tests arrange raw rows as the schema owner, roll them up as the app
// does, and build scorecards as the application role.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// today is in Q4 2026; the scorecards are of Q3 2026 unless said.
var (
	today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	q3    = period.Quarter{Year: 2026, Q: 3}
)

type world struct {
	t        *testing.T
	owner    *pgxpool.Pool
	db       *db.DB
	firm     uuid.UUID
	tiers    [3]uuid.UUID // by rank
	refCount int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	w := &world{t: t, owner: owner, db: db.New(app)}
	w.firm = w.newFirm("fixed")
	return w
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.t, err, sql)
}

// newFirm adds a firm with the three default tiers (remembered for the
// first firm).
func (w *world) newFirm(slug string) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	w.exec(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, id, slug)
	w.exec(`INSERT INTO tenant_settings (tenant_id) VALUES ($1)`, id)
	for i, name := range []string{"Tier 1 – Strategic", "Tier 2 – Active", "Tier 3 – Referral network"} {
		tid := uuid.New()
		w.exec(`INSERT INTO tiers (tenant_id, id, name, rank, checkin_cadence_days, default_rate_bp) VALUES ($1, $2, $3, $4, 90, 1000)`,
			id, tid, name, i+1)
		if w.firm == uuid.Nil {
			w.tiers[i] = tid
		}
	}
	return id
}

// partner adds an active partner to the firm, in the tier (nil: none),
// added on 1 Jan 2024.
func (w *world) partner(firm uuid.UUID, name string, tier *uuid.UUID) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	w.exec(`INSERT INTO partners (tenant_id, id, name, type, status, tier_id, created_at)
		VALUES ($1, $2, $3, 'referral', 'active', $4, '2024-01-01T00:00:00Z')`, firm, id, name, tier)
	w.exec(`INSERT INTO referral_prospects (tenant_id, id, partner_id, contact_name) VALUES ($1, $2, $2, 'Pat')`, firm, id)
	return id
}

// ref adds a referral; closed and responded are RFC 3339 times or "".
func (w *world) ref(firm, partner uuid.UUID, dir, status, submitted, closed, responded, fit string) uuid.UUID {
	w.t.Helper()
	id := uuid.New()
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	w.refCount++
	w.exec(`INSERT INTO referrals (tenant_id, id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, closed_at, first_responded_at, fit, close_reason)
		VALUES ($1, $2, $3, $4, $4, $5, lower($5), $6, $7, $8, $9, $10,
			CASE WHEN $6 IN ('lost', 'declined') THEN 'budget' END)`,
		firm, id, dir, partner, fmt.Sprintf("Client %d", w.refCount), status, submitted, opt(closed), opt(responded), opt(fit))
	return id
}

// refs adds n referrals of one kind, a day apart from the day.
func (w *world) refs(firm, partner uuid.UUID, n int, dir, status, from string, closedDays int) {
	w.t.Helper()
	start, err := time.Parse(time.RFC3339, from)
	require.NoError(w.t, err)
	for i := range n {
		sub := start.AddDate(0, 0, i)
		closed := ""
		if closedDays > 0 {
			closed = sub.AddDate(0, 0, closedDays).Format(time.RFC3339)
		}
		w.ref(firm, partner, dir, status, sub.Format(time.RFC3339), closed, "", "")
	}
}

func (w *world) refresh(firm uuid.UUID) {
	w.t.Helper()
	require.NoError(w.t, w.db.InTenant(context.Background(), firm, func(tx pgx.Tx) error {
		return rollup.Fresh(context.Background(), tx, firm)
	}))
}

func (w *world) build(firm, partner uuid.UUID, qt period.Quarter) (scorecard.Scorecard, error) {
	w.t.Helper()
	var sc scorecard.Scorecard
	err := w.db.InTenant(context.Background(), firm, func(tx pgx.Tx) (err error) {
		sc, err = scorecard.Build(context.Background(), tx, firm, partner, qt, today)
		return err
	})
	return sc, err
}

func (w *world) mustBuild(partner uuid.UUID) scorecard.Scorecard {
	w.t.Helper()
	w.refresh(w.firm)
	sc, err := w.build(w.firm, partner, q3)
	require.NoError(w.t, err)
	return sc
}

func component(h scorecard.Health, key string) scorecard.Component {
	for _, c := range h.Components {
		if c.Key == key {
			return c
		}
	}
	panic("no component " + key)
}

// fixedPartner arranges a partner in Tier 2 whose figures are worked out
// by hand in TestScorecardOnAFixedDataSet.
func (w *world) fixedPartner() uuid.UUID {
	w.t.Helper()
	f := w.firm
	p := w.partner(f, "Brightline Tax", &w.tiers[1])

	// Q3 2026, inbound: answered after 30, 61 and 600 minutes; two won,
	// one lost, one still open.
	r1 := w.ref(f, p, "inbound", "won", "2026-07-01T10:00:00Z", "2026-08-01T10:00:00Z", "2026-07-01T10:30:00Z", "good")
	r2 := w.ref(f, p, "inbound", "lost", "2026-07-10T10:00:00Z", "2026-08-15T10:00:00Z", "2026-07-10T11:01:00Z", "poor")
	w.ref(f, p, "inbound", "won", "2026-08-01T10:00:00Z", "2026-09-01T10:00:00Z", "2026-08-01T20:00:00Z", "good")
	w.ref(f, p, "inbound", "submitted", "2026-09-01T10:00:00Z", "", "", "")
	// Q3 2026, outbound: one won, one declined, one open.
	w.ref(f, p, "outbound", "won", "2026-07-05T10:00:00Z", "2026-09-10T10:00:00Z", "", "")
	s2 := w.ref(f, p, "outbound", "declined", "2026-07-06T10:00:00Z", "2026-07-20T10:00:00Z", "", "")
	w.ref(f, p, "outbound", "proposal", "2026-08-06T10:00:00Z", "", "", "")
	// Q2 2026: two inbound won. Q4 2025: one outbound, open.
	w.ref(f, p, "inbound", "won", "2026-04-02T10:00:00Z", "2026-05-02T10:00:00Z", "2026-04-02T12:00:00Z", "")
	w.ref(f, p, "inbound", "won", "2026-04-03T10:00:00Z", "2026-06-02T10:00:00Z", "2026-04-03T12:00:00Z", "")
	w.ref(f, p, "outbound", "contacted", "2025-11-03T10:00:00Z", "", "", "")

	// SLA: one breach of ours, one of theirs.
	w.exec(`INSERT INTO sla_breaches (tenant_id, referral_id, clock, partner_id, due_at, breached_at)
		VALUES ($1, $2, 'first_response', $3, '2026-07-11T10:00:00Z', '2026-07-11T10:00:00Z'),
			($1, $4, 'partner_response', $3, '2026-07-08T10:00:00Z', '2026-07-08T10:00:00Z')`, f, r2, p, s2)

	// Money: $10,000 paid on r1 in USD and €500 in EUR (left out), and a
	// $50 commission adjustment in August.
	eng := uuid.New()
	w.exec(`INSERT INTO engagements (tenant_id, id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, $4, 'project', 'Work', 5000000, '2026-08-02')`, f, eng, r1, p)
	w.exec(`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
		VALUES ($1, $2, $3, $4, 1000000, 'USD', '2026-08-20', 'staff'), ($1, $2, $3, $4, 50000, 'EUR', '2026-08-21', 'staff')`,
		f, eng, r1, p)
	w.exec(`WITH e AS (
			INSERT INTO journal_entries (tenant_id, kind, partner_id, direction, amount_cents, currency, reason, created_at)
			VALUES ($1, 'adjustment', $2, 'we_pay', 5000, 'USD', 'Goodwill', '2026-08-05T12:00:00Z') RETURNING tenant_id, id, partner_id)
		INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		SELECT tenant_id, id, 1, 'commission_expense', NULL, 5000, 'USD' FROM e
		UNION ALL SELECT tenant_id, id, 2, 'partner_payable', partner_id, -5000, 'USD' FROM e`, f, p)
	// The referred client rated the work 4 of 5.
	w.exec(`INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, score, answered_at, source)
		VALUES ($1, $2, $3, $4, 4, '2026-09-02T10:00:00Z', 'staff')`, f, eng, r1, p)

	// Reviews of the year: Q1 missed, Q2 held with the partner, Q3 held
	// without it and one cancelled; Q4's is still to come.
	review := func(quarter, status, at string, partnerAttended *bool) uuid.UUID {
		id := uuid.New()
		var held *string
		if status == "held" {
			held = &at
		}
		w.exec(`INSERT INTO partner_reviews (tenant_id, id, partner_id, quarter, scheduled_at, status, held_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, f, id, p, quarter, at, status, held)
		w.exec(`INSERT INTO review_attendees (tenant_id, review_id, partner_id, side, name, attended)
			VALUES ($1, $2, $3, 'firm', 'Ann', true), ($1, $2, $3, 'partner', 'Jo', $4)`, f, id, p, partnerAttended)
		return id
	}
	yes, no := true, false
	review("2026-Q1", "scheduled", "2026-03-15T10:00:00Z", nil)
	q2 := review("2026-Q2", "held", "2026-06-15T10:00:00Z", &yes)
	review("2026-Q3", "held", "2026-09-15T10:00:00Z", &no)
	review("2026-Q3", "cancelled", "2026-08-15T10:00:00Z", nil)
	review("2026-Q4", "scheduled", "2026-12-15T10:00:00Z", nil)
	review("2025-Q3", "held", "2025-09-15T10:00:00Z", &yes) // before the year
	w.exec(`INSERT INTO review_actions (tenant_id, review_id, partner_id, title, owner_name, done_at)
		VALUES ($1, $2, $3, 'Send the case study', 'Ann', NULL), ($1, $2, $3, 'Intro call', 'Jo', now())`, f, q2, p)

	// Alerts: one open, one resolved.
	w.exec(`INSERT INTO alerts (tenant_id, kind, partner_id, key, message, resolved_at)
		VALUES ($1, 'sla_breach', $2, 'a', 'Their answer to a referral was late', NULL),
			($1, 'silent_partner', $2, 'b', 'No referral for 90 days', now())`, f, p)

	// Partner satisfaction: 8 and 9 in 2025, 7 in 2026, 2027 not yet.
	for i, s := range []struct{ year, score int }{{2025, 8}, {2025, 9}, {2026, 7}, {2027, 10}} {
		u := uuid.New()
		w.exec(`INSERT INTO users (id, email, name) VALUES ($1, $2, 'Partner user')`, u, fmt.Sprintf("u%d-%s@example.com", i, u.String()[:8]))
		w.exec(`INSERT INTO partner_surveys (tenant_id, partner_id, user_id, year, score) VALUES ($1, $2, $3, $4, $5)`, f, p, u, s.year, s.score)
	}
	return p
}

// TestScorecardOnAFixedDataSet checks each metric against numbers worked
// out by hand.
func TestScorecardOnAFixedDataSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.fixedPartner()
	sc := w.mustBuild(p)

	require.Equal(t, "Brightline Tax", sc.PartnerName)
	require.Equal(t, "active", sc.Status)
	require.Equal(t, q3, sc.Quarter)
	require.Equal(t, "USD", sc.Currency, "the currency with the most revenue")

	c := sc.Current
	require.Equal(t, q3, c.Quarter)
	require.EqualValues(t, 4, c.ReferralsReceived)
	require.EqualValues(t, 3, c.ReferralsSent)
	require.EqualValues(t, 2, c.WonReceived)
	require.EqualValues(t, 1, c.LostReceived)
	require.EqualValues(t, 6667, *c.ConversionBP, "2 of 3")
	require.EqualValues(t, 1, c.WonSent)
	require.EqualValues(t, 1, c.LostSent, "declined counts as lost")
	require.EqualValues(t, 5000, *c.SentConversionBP)
	require.EqualValues(t, 1000000, c.RevenueReceivedCents, "USD only")
	require.EqualValues(t, 0, c.RevenueSentCents)
	require.EqualValues(t, 5000, c.CommissionsEarnedCents)
	require.EqualValues(t, 0, c.CommissionsPaidCents)
	require.EqualValues(t, 3, c.Responded)
	require.EqualValues(t, 2, *c.ResponseP50Hours, "61 minutes round up to 2 hours")
	require.EqualValues(t, 10, *c.ResponseP90Hours, "600 minutes")
	require.EqualValues(t, 1, c.SLABreachesOurs)
	require.EqualValues(t, 1, c.SLABreachesTheirs)
	require.EqualValues(t, 1, c.CSATCount)
	require.EqualValues(t, 40, *c.CSATX10)
	require.EqualValues(t, 2, c.FitGood)
	require.EqualValues(t, 1, c.FitPoor)
	require.EqualValues(t, 6667, *c.FitRateBP)

	// The trend: 8 quarters, Q4 2024 to Q3 2026, zero-filled.
	require.Len(t, sc.Trend, scorecard.TrendQuarters)
	require.Equal(t, period.Quarter{Year: 2024, Q: 4}, sc.Trend[0].Quarter)
	require.Equal(t, c, sc.Trend[7])
	for i, f := range sc.Trend {
		require.Equal(t, q3.Last(8)[i], f.Quarter)
	}
	require.Equal(t, scorecard.Figures{Quarter: period.Quarter{Year: 2025, Q: 1}}, sc.Trend[1], "an empty quarter is zero")
	require.Nil(t, sc.Trend[1].ConversionBP)
	require.EqualValues(t, 1, sc.Trend[4].ReferralsSent, "Q4 2025")
	require.EqualValues(t, 2, sc.Trend[6].WonReceived, "Q2 2026")
	require.EqualValues(t, 10000, *sc.Trend[6].ConversionBP)
	require.EqualValues(t, 2, *sc.Trend[6].ResponseP50Hours)

	// The year (Q4 2025 – Q3 2026): 6 received, 4 sent.
	r := sc.Reciprocity
	require.EqualValues(t, 6, r.Received)
	require.EqualValues(t, 4, r.Sent)
	require.EqualValues(t, 15, *r.RatioX10)
	require.Equal(t, "them", r.Leaning)
	require.Equal(t, "You've referred 6 opportunities to us this year and we've sent you 4.", r.Sentence)
	require.EqualValues(t, 1000000, r.RevenueReceivedCents)
	require.EqualValues(t, 5000, r.CommissionsPaidToThemCents)

	require.Equal(t, scorecard.Attendance{Scheduled: 4, Held: 2, Cancelled: 1, PartnerAttended: 1}, sc.Attendance)
	require.Equal(t, []scorecard.YearScore{{Year: 2025, Answers: 2, AvgX10: 85}, {Year: 2026, Answers: 1, AvgX10: 70}}, sc.Satisfaction)
	require.Equal(t, []string{"Their answer to a referral was late"}, sc.OpenAlerts)
	require.EqualValues(t, 1, sc.OpenActions)

	// Health, as in TestHealthComponents: won 4 of 5 decided, Tier 2's 4
	// a year, 3 of 4 answered in time, CSAT 4, more received than sent,
	// attended 1 of 2 held reviews, referrals in 3 of 4 quarters.
	require.Equal(t, 85, sc.Health.Score)
	for k, v := range map[string]int{"conversion": 26, "volume": 20, "responsiveness": 11, "satisfaction": 11, "reciprocity": 10, "engagement": 7} {
		require.Equal(t, v, component(sc.Health, k).Points, k)
	}

	// Healthy, but 4 won is short of Tier 1's 11: keep.
	rec := sc.Recommendation
	require.Equal(t, "keep", rec.Action)
	require.Equal(t, w.tiers[1], rec.CurrentTier.ID)
	require.Equal(t, w.tiers[0], rec.NextTier.ID)
	require.Equal(t, []string{"11 won referrals over 4 quarters, two quarters running (now 4, and 2 a quarter ago)."}, rec.NextNeeds)
	require.Equal(t, []string{"Health 85 is at least 75.", "4 won referrals in the last 4 quarters; Tier 2 – Active expects 4."}, rec.Reasons)
}

// TestScorecardWorkedExamples: the guide's two examples through the
// database — reciprocity's sentence and quality over volume.
func TestScorecardWorkedExamples(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm
	// 12 sent and 2 received in the trailing 12 months.
	uneven := w.partner(f, "Uneven", &w.tiers[2])
	w.refs(f, uneven, 12, "outbound", "submitted", "2026-01-10T10:00:00Z", 0)
	w.refs(f, uneven, 2, "inbound", "submitted", "2026-08-10T10:00:00Z", 0)
	w.refs(f, uneven, 3, "outbound", "submitted", "2025-08-10T10:00:00Z", 0) // before the year

	// Ten referrals closing at 50%, fifty at 2%; the rest equal.
	ten := w.partner(f, "Ten at half", &w.tiers[1])
	w.refs(f, ten, 5, "inbound", "won", "2026-07-01T10:00:00Z", 20)
	w.refs(f, ten, 5, "inbound", "lost", "2026-07-06T10:00:00Z", 20)
	fifty := w.partner(f, "Fifty at two", &w.tiers[1])
	w.refs(f, fifty, 1, "inbound", "won", "2026-07-01T10:00:00Z", 20)
	w.refs(f, fifty, 49, "inbound", "lost", "2026-07-02T10:00:00Z", 20)

	sc := w.mustBuild(uneven)
	require.Equal(t, "We've referred 12 opportunities to you this year and received 2.", sc.Reciprocity.Sentence)
	require.EqualValues(t, 60, *sc.Reciprocity.RatioX10)
	require.Equal(t, "us", sc.Reciprocity.Leaning)
	require.Equal(t, 2, component(sc.Health, "reciprocity").Points, "2 back for 12: 10 × 2 ÷ 12")

	a, b := w.mustBuild(ten), w.mustBuild(fifty)
	require.EqualValues(t, 5000, *a.Current.ConversionBP)
	require.EqualValues(t, 200, *b.Current.ConversionBP)
	ca, cb := component(a.Health, "conversion"), component(b.Health, "conversion")
	require.Greater(t, ca.Points, cb.Points)
	require.Equal(t, 23, ca.Points)
	require.Equal(t, 4, cb.Points)
	for _, k := range []string{"responsiveness", "satisfaction", "reciprocity", "engagement"} {
		require.Equal(t, component(a.Health, k).Points, component(b.Health, k).Points, "%s is equal", k)
	}
	require.Greater(t, a.Health.Score, b.Health.Score)
}

// TestScorecardTierMoves: promote, keep and demote from real figures.
func TestScorecardTierMoves(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm
	// Tier 3 → Tier 2: 4 won in each of Q2 and Q3 (8 a year, Tier 2's
	// level is 4, reached at the end of Q2 and of Q3), each answered fast,
	// a satisfied client, more sent to us than we sent.
	star := w.partner(f, "Star", &w.tiers[2])
	for _, from := range []string{"2026-04-01T10:00:00Z", "2026-07-01T10:00:00Z"} {
		start, _ := time.Parse(time.RFC3339, from)
		for i := range 4 {
			sub := start.AddDate(0, 0, i)
			w.ref(f, star, "inbound", "won", sub.Format(time.RFC3339), sub.AddDate(0, 0, 10).Format(time.RFC3339),
				sub.Add(time.Hour).Format(time.RFC3339), "good")
		}
	}
	w.refs(f, star, 1, "outbound", "won", "2026-05-01T10:00:00Z", 10)
	// A Tier 2 partner with nothing won for a year.
	idle := w.partner(f, "Idle", &w.tiers[1])
	w.refs(f, idle, 3, "inbound", "lost", "2026-02-01T10:00:00Z", 10)
	w.refs(f, idle, 2, "inbound", "won", "2025-03-01T10:00:00Z", 10)
	// The same, but added in August: no demotion yet.
	fresh := w.partner(f, "Fresh", &w.tiers[1])
	w.exec(`UPDATE partners SET created_at = '2026-08-01' WHERE tenant_id = $1 AND id = $2`, f, fresh)
	w.refs(f, fresh, 3, "inbound", "lost", "2026-08-02T10:00:00Z", 10)

	sc := w.mustBuild(star)
	require.GreaterOrEqual(t, sc.Health.Score, scorecard.PromoteMinHealth, "%+v", sc.Health.Components)
	require.Equal(t, "promote", sc.Recommendation.Action, sc.Recommendation.Reasons)
	require.Equal(t, w.tiers[1], sc.Recommendation.TargetTier.ID)
	require.Contains(t, sc.Recommendation.Reasons[1], "8 won referrals in the last 4 quarters and 4 in the 4 before this quarter")

	sc = w.mustBuild(idle)
	require.Equal(t, "demote", sc.Recommendation.Action)
	require.Equal(t, w.tiers[2], sc.Recommendation.TargetTier.ID)
	require.Contains(t, sc.Recommendation.Reasons, "No won referral in the last 4 quarters.")

	sc = w.mustBuild(fresh)
	require.Equal(t, "keep", sc.Recommendation.Action)
	require.Contains(t, strings.Join(sc.Recommendation.Reasons, " "), "less than 4 quarters of history")
}

// TestScorecardNotFoundAndFuture: another firm's partner is not found (by
// RLS and by the query alike); a quarter that hasn't started is invalid;
// the current one, to date, is fine; a partner without money is in USD.
func TestScorecardNotFoundAndFuture(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.partner(w.firm, "Ours", nil)
	other := w.newFirm("other")
	theirs := w.partner(other, "Theirs", nil)
	w.refresh(w.firm)

	_, err := w.build(w.firm, theirs, q3)
	require.Equal(t, apperr.ENotFound, apperr.Code(err), "%v", err)
	_, err = w.build(w.firm, uuid.New(), q3)
	require.Equal(t, apperr.ENotFound, apperr.Code(err))
	// Asking in the other firm's name from ours finds nothing either.
	err = w.db.InTenant(context.Background(), w.firm, func(tx pgx.Tx) error {
		_, err := scorecard.Build(context.Background(), tx, other, theirs, q3, today)
		return err
	})
	require.Equal(t, apperr.ENotFound, apperr.Code(err))

	_, err = w.build(w.firm, p, period.Quarter{Year: 2027, Q: 1})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["quarter"], "Q1 2027 hasn't started yet")

	sc, err := w.build(w.firm, p, period.Quarter{Year: 2026, Q: 4})
	require.NoError(t, err)
	require.Equal(t, "USD", sc.Currency)
	require.Len(t, sc.Trend, 8)
	require.Empty(t, sc.OpenAlerts)
	require.Equal(t, "keep", sc.Recommendation.Action)
	require.Equal(t, []string{"Not in a tier yet."}, sc.Recommendation.Reasons)
	require.Equal(t, w.tiers[2], sc.Recommendation.NextTier.ID, "the lowest tier is the next")
}

// TestScorecardCurrency: the partner's main currency is the one with the
// most revenue.
func TestScorecardCurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm
	p := w.partner(f, "Euro", nil)
	r := w.ref(f, p, "inbound", "won", "2026-07-01T10:00:00Z", "2026-07-10T10:00:00Z", "", "")
	eng := uuid.New()
	w.exec(`INSERT INTO engagements (tenant_id, id, referral_id, partner_id, kind, name, value_cents, started_on)
		VALUES ($1, $2, $3, $4, 'project', 'Work', 5000000, '2026-07-11')`, f, eng, r, p)
	w.exec(`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source)
		VALUES ($1, $2, $3, $4, 100000, 'USD', '2026-07-20', 'staff'), ($1, $2, $3, $4, 700000, 'EUR', '2026-07-21', 'staff')`,
		f, eng, r, p)
	sc := w.mustBuild(p)
	require.Equal(t, "EUR", sc.Currency)
	require.EqualValues(t, 700000, sc.Current.RevenueReceivedCents)
}

// TestListAndAgenda: the firm's list pages by when partners were added;
// the agenda section shows only the parts the firm shares.
func TestListAndAgenda(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.fixedPartner()
	second := w.partner(w.firm, "Second", nil)
	w.exec(`UPDATE partners SET created_at = '2025-01-01' WHERE tenant_id = $1 AND id = $2`, w.firm, second)
	w.partner(w.newFirm("other"), "Theirs", nil)
	w.refresh(w.firm)
	ctx := context.Background()

	var page []scorecard.Listed
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
		page, err = scorecard.List(ctx, tx, w.firm, q3, today, scorecard.PagePos{}, 1)
		return err
	}))
	require.Len(t, page, 1)
	require.Equal(t, p, page[0].PartnerID, "added first (2024)")
	require.Equal(t, 85, page[0].Health.Score)
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
		page, err = scorecard.List(ctx, tx, w.firm, q3, today, scorecard.PagePos{CreatedAt: page[0].CreatedAt, ID: p}, 10)
		return err
	}))
	require.Len(t, page, 1, "the other firm's partner is not listed")
	require.Equal(t, second, page[0].PartnerID)

	agenda := func() (string, string, bool) {
		var title, body string
		var ok bool
		require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) (err error) {
			title, body, ok, err = scorecard.AgendaSection(ctx, tx, w.firm, p, q3, today)
			return err
		}))
		return title, body, ok
	}
	title, body, ok := agenda()
	require.True(t, ok)
	require.Equal(t, "Scorecard (Q3 2026)", title)
	require.Equal(t, `- Referrals from Brightline Tax: 4 this quarter, 6 over the last 4 quarters; to Brightline Tax: 3 this quarter, 4 over the last 4 quarters.
- Conversion of referrals from Brightline Tax: 66.67% (2 won of 3 decided).
- Our first response to referrals: median 2 hours, 90th percentile 10 hours (3 answered).
- SLA breaches: 1 on our side, 1 on Brightline Tax's.
- You've referred 6 opportunities to us this year and we've sent you 4.
- Tier: Tier 2 – Active.
- To reach Tier 1 – Strategic: 11 won referrals over 4 quarters, two quarters running (now 4, and 2 a quarter ago).
`, body)
	require.NotContains(t, body, "Health", "the health score is not shared by default")

	w.exec(`UPDATE tenant_settings SET scorecard_shared = '{health,revenue,commissions,satisfaction}' WHERE tenant_id = $1`, w.firm)
	_, body, ok = agenda()
	require.True(t, ok)
	require.Equal(t, `- Revenue from referrals received: $10,000.00 USD; from referrals sent: $0.00 USD.
- Commissions earned by Brightline Tax: $50.00 USD (paid this quarter: $0.00 USD).
- Client satisfaction: 4 of 5 (1 answer).
- Partner satisfaction 2026: 7 of 10 (1 answer).
- Health score: 85 of 100.
`, body)

	w.exec(`UPDATE tenant_settings SET scorecard_shared = '{}' WHERE tenant_id = $1`, w.firm)
	_, _, ok = agenda()
	require.False(t, ok, "nothing shared: no section")

	// A review of a quarter that hasn't started gets no section.
	require.NoError(t, w.db.InTenant(ctx, w.firm, func(tx pgx.Tx) error {
		_, _, ok, err := scorecard.AgendaSection(ctx, tx, w.firm, p, period.Quarter{Year: 2027, Q: 1}, today)
		require.False(t, ok)
		return err
	}))
}
