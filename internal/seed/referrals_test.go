package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/seed"
	"github.com/allyway/allyway/internal/testdb"
)

// seededDemo seeds the demo into a fresh database and returns the owner
// pool (for inspecting) and how long seeding took.
func seededDemo(t *testing.T) (*pgxpool.Pool, time.Duration) {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	start := time.Now()
	_, err = seed.Demo(ctx, db.New(app), auth.NewHasher(1), "http://x")
	require.NoError(t, err)
	return owner, time.Since(start)
}

// TestDemoReferrals checks Northwind's two years of referrals: both ways,
// every stage, a consistent timeline and SLA record, engagements, conflicts,
// breaches, feedback and assists — and that the same history comes out of
// two seedings.
func TestDemoReferrals(t *testing.T) {
	ctx := context.Background()
	owner, took := seededDemo(t)
	t.Logf("demo seeded in %s", took)
	nw := `(SELECT id FROM tenants WHERE slug = 'northwind')`
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, owner.QueryRow(ctx, sql, args...).Scan(&n), sql)
		return n
	}
	where := ` FROM referrals r WHERE r.tenant_id = ` + nw

	total := count(`SELECT count(*)` + where)
	t.Logf("%d referrals", total)
	require.GreaterOrEqual(t, total, 300)
	require.LessOrEqual(t, total, 800)
	for _, st := range []string{"submitted", "acknowledged", "contacted", "meeting", "proposal", "won", "lost", "declined"} {
		for _, dir := range []string{"inbound", "outbound"} {
			if st == "submitted" || dir == "inbound" || st == "won" || st == "lost" {
				require.Positive(t, count(`SELECT count(*)`+where+` AND status = $1 AND direction = $2`, st, dir), "%s %s", dir, st)
			}
		}
	}
	// Two years, December 2024 to November 2026, and open ones look live.
	require.Zero(t, count(`SELECT count(*)`+where+` AND (submitted_at < '2024-12-01' OR submitted_at > now())`))
	require.Positive(t, count(`SELECT count(*)`+where+` AND submitted_at < '2025-01-01'`))
	require.Positive(t, count(`SELECT count(*)`+where+` AND status = 'submitted' AND direction = 'inbound' AND first_response_due_at > now()`),
		"an open referral whose first response is still due")
	require.Zero(t, count(`SELECT count(*) FROM referral_events e JOIN referrals r ON r.tenant_id = e.tenant_id AND r.id = e.referral_id
		WHERE r.tenant_id = `+nw+` AND (e.at > now() OR e.at < r.submitted_at)`), "events happen between submission and now")

	// Flow per partner: Brightline is the busiest; Northstar is uneven.
	var busiest string
	require.NoError(t, owner.QueryRow(ctx, `SELECT p.name FROM referrals r JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id
		WHERE r.tenant_id = `+nw+` GROUP BY p.name ORDER BY count(*) DESC LIMIT 1`).Scan(&busiest))
	require.Equal(t, "Brightline Tax", busiest)
	var nsIn, nsOut int
	require.NoError(t, owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE direction = 'inbound'), count(*) FILTER (WHERE direction = 'outbound')
		FROM referrals r JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id
		WHERE r.tenant_id = `+nw+` AND p.name = 'Northstar Talent'`).Scan(&nsIn, &nsOut))
	require.Equal(t, [2]int{2, 12}, [2]int{nsIn, nsOut}, "we referred 12, received 2")
	require.Positive(t, count(`SELECT count(DISTINCT partner_id)`+where), "several partners")
	require.GreaterOrEqual(t, count(`SELECT count(DISTINCT partner_id)`+where), 10)
	require.Zero(t, count(`SELECT count(*)`+where+` AND r.direction = 'outbound' AND r.submitted_at > now() - interval '30 days'
		AND EXISTS (SELECT 1 FROM partners p WHERE p.tenant_id = r.tenant_id AND p.id = r.partner_id AND p.status IN ('paused', 'ended', 'inactive'))`),
		"no recent outbound referrals to paused or ended partners")

	// The timeline agrees with the referral: it starts with "submitted",
	// its last status move is the referral's status, at status_changed_at.
	require.Zero(t, count(`SELECT count(*)`+where+` AND NOT EXISTS (SELECT 1 FROM referral_events e
		WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id AND e.kind = 'submitted' AND e.at = r.submitted_at)`))
	moves := ` AND e.kind IN ('status', 'partner_accepted', 'reassigned')`
	require.Zero(t, count(`SELECT count(*)`+where+` AND status <> 'submitted' AND (SELECT e.to_status FROM referral_events e
		WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id`+moves+` ORDER BY e.at DESC, e.id DESC LIMIT 1)
		IS DISTINCT FROM r.status`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND status <> 'submitted' AND (SELECT max(e.at) FROM referral_events e
		WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id`+moves+`) IS DISTINCT FROM r.status_changed_at`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND status IN ('lost', 'declined') AND NOT EXISTS (SELECT 1 FROM referral_events e
		WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id`+moves+` AND e.to_status = r.status
		AND e.reason = r.close_reason AND e.body <> '' AND e.visible_to_partner)`), "lost and declined tell the partner why")
	require.Positive(t, count(`SELECT count(*) FROM referral_events WHERE tenant_id = `+nw+` AND kind = 'note' AND NOT visible_to_partner`))
	require.Positive(t, count(`SELECT count(*) FROM referral_events WHERE tenant_id = `+nw+` AND kind = 'partner_note' AND visible_to_partner`))

	// SLA stamps: an inbound referral that moved was first answered then.
	require.Zero(t, count(`SELECT count(*)`+where+` AND direction = 'inbound' AND status <> 'submitted' AND first_responded_at IS NULL`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND direction = 'inbound' AND status IN ('meeting', 'proposal') AND (contacted_at IS NULL OR meeting_at IS NULL)`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND direction = 'outbound' AND partner_response_due_at IS NULL`))
	breaches := count(`SELECT count(*) FROM sla_breaches WHERE tenant_id = ` + nw)
	require.Positive(t, breaches)
	require.Less(t, breaches, total/2, "breaches are the exception")
	for _, clock := range []string{"first_response", "partner_response"} {
		require.Positive(t, count(`SELECT count(*) FROM sla_breaches WHERE tenant_id = `+nw+` AND clock = $1`, clock), clock)
	}
	require.Zero(t, count(`SELECT count(*) FROM sla_breaches b JOIN referrals r ON r.tenant_id = b.tenant_id AND r.id = b.referral_id
		WHERE b.tenant_id = `+nw+` AND (b.partner_id <> r.partner_id OR b.breached_at < b.due_at)`))
	require.Equal(t, breaches, count(`SELECT count(*) FROM referral_events WHERE tenant_id = `+nw+` AND kind = 'sla_breach'`))

	// Won referrals became engagements ($5k–$250k, projects and retainers)
	// for a client of the firm.
	won := count(`SELECT count(*)` + where + ` AND status = 'won'`)
	require.Equal(t, won, count(`SELECT count(*) FROM engagements WHERE tenant_id = `+nw))
	require.Zero(t, count(`SELECT count(*)`+where+` AND status = 'won' AND NOT EXISTS (SELECT 1 FROM engagements e
		WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id AND e.client_id IS NOT DISTINCT FROM r.client_id AND e.partner_id = r.partner_id)`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND status = 'won' AND (client_id IS NULL) = (direction = 'inbound')`),
		"an inbound referral won is the firm's client; an outbound one the partner's")
	require.Zero(t, count(`SELECT count(*) FROM engagements WHERE tenant_id = `+nw+` AND (value_cents < 500000 OR value_cents > 25000000)`))
	require.Equal(t, 2, count(`SELECT count(DISTINCT kind) FROM engagements WHERE tenant_id = `+nw))
	require.Equal(t, count(`SELECT count(*)`+where+` AND status = 'won' AND direction = 'inbound'`), count(`SELECT count(*) FROM clients WHERE tenant_id = `+nw))
	conv := float64(won) / float64(count(`SELECT count(*)`+where+` AND status IN ('won', 'lost', 'declined')`))
	require.InDelta(t, 0.38, conv, 0.12, "conversion of closed referrals")

	// Conflicts: three open, some resolved with the first introduction credited.
	require.Equal(t, 3, count(`SELECT count(*)`+where+` AND conflict_status = 'open' AND status = 'submitted' AND conflict_with_id IS NOT NULL`))
	require.Equal(t, 4, count(`SELECT count(*)`+where+` AND conflict_status = 'resolved'`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND conflict_status = 'resolved' AND credited_partner_id <> (SELECT f.partner_id
		FROM referrals f WHERE f.tenant_id = r.tenant_id AND f.id = r.conflict_with_id)`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND conflict_with_id IS NOT NULL AND client_name_norm <> (SELECT f.client_name_norm
		FROM referrals f WHERE f.tenant_id = r.tenant_id AND f.id = r.conflict_with_id)`), "duplicates match after normalisation")
	require.Zero(t, count(`SELECT count(*)`+where+` AND conflict_status <> 'open' AND credited_partner_id IS NULL`))

	// Feedback, assists, people inside the firm, the checklist.
	require.Positive(t, count(`SELECT count(*)`+where+` AND fit = 'good'`))
	require.Positive(t, count(`SELECT count(*)`+where+` AND fit = 'poor' AND fit_note <> ''`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND fit IS NOT NULL AND status NOT IN ('won', 'lost', 'declined')`))
	require.Greater(t, count(`SELECT count(*) FROM referral_assists WHERE tenant_id = `+nw), 5)
	require.Zero(t, count(`SELECT count(*) FROM referral_assists a JOIN referrals r ON r.tenant_id = a.tenant_id AND r.id = a.referral_id
		WHERE a.tenant_id = `+nw+` AND a.partner_id = r.partner_id`))
	require.Zero(t, count(`SELECT count(*)`+where+` AND (owner_user_id IS NULL OR originator_user_id IS NULL)`))
	require.Equal(t, 2, count(`SELECT count(DISTINCT owner_user_id)`+where))
	require.Zero(t, count(`SELECT count(*)`+where+` AND direction = 'inbound' AND (jsonb_array_length(checklist) = 0
		OR EXISTS (SELECT 1 FROM jsonb_array_elements(checklist) a WHERE (a->>'required')::boolean AND NOT (a->>'answer')::boolean))`),
		"every inbound referral answered the checklist, required questions yes")
	require.Positive(t, count(`SELECT count(*)`+where+` AND source = 'portal' AND submitted_by IS NOT NULL`))
	require.Positive(t, count(`SELECT count(*)`+where+` AND source = 'import'`))
	require.Zero(t, count(`SELECT count(*) FROM referral_prospects p WHERE p.tenant_id = `+nw+` AND NOT EXISTS (SELECT 1 FROM referrals r
		WHERE r.tenant_id = p.tenant_id AND r.prospect_id = p.id AND r.partner_id = p.partner_id)`))

	// The portal demo: Brightline has an outbound referral waiting for its
	// answer and one it accepted and is working.
	bl := ` AND partner_id = (SELECT id FROM partners WHERE tenant_id = ` + nw + ` AND name = 'Brightline Tax')`
	require.Positive(t, count(`SELECT count(*)`+where+bl+` AND direction = 'outbound' AND status = 'submitted'
		AND partner_accepted_at IS NULL AND partner_declined_at IS NULL AND partner_response_due_at > now()`))
	require.Positive(t, count(`SELECT count(*)`+where+bl+` AND direction = 'outbound' AND status IN ('acknowledged', 'contacted', 'meeting', 'proposal')
		AND partner_accepted_at IS NOT NULL`))

	// The same history comes out again (numbers, companies, stages,
	// values, events), except that open referrals follow the clock.
	fingerprint := func(p *pgxpool.Pool) string {
		var s string
		require.NoError(t, p.QueryRow(ctx, `SELECT md5(string_agg(concat_ws('|', r.number, r.direction, r.client_company, r.status,
				r.estimated_value_cents, r.close_reason, r.fit, CASE WHEN r.closed_at IS NOT NULL THEN r.closed_at::text END,
				(SELECT count(*) FROM referral_events e WHERE e.tenant_id = r.tenant_id AND e.referral_id = r.id)), ',' ORDER BY r.number))
			FROM referrals r WHERE r.tenant_id = (SELECT id FROM tenants WHERE slug = 'northwind')`).Scan(&s))
		return s
	}
	again, _ := seededDemo(t)
	require.Equal(t, fingerprint(owner), fingerprint(again), "the seed is deterministic")
}
