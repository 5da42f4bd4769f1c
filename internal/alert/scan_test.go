package alert_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/apperr"
)

// TestScanUnevenFlowWorkedExample: 12 referrals sent to a partner and 2
// received in the trailing 12 months raise the uneven-flow alert with
// those numbers; it is updated in place as they change, resolved when the
// flow evens out, and raised anew when it tips again.
func TestScanUnevenFlowWorkedExample(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Northwind Advisory", "UTC")
	p := f.partner("Brightline Tax", "active", "2025-01-01")
	f.referrals(12, p, "outbound", "submitted", "2026-09-01")
	f.referrals(2, p, "inbound", "submitted", "2026-10-01")
	// Older than 12 months: not counted.
	f.referrals(10, p, "inbound", "submitted", "2025-06-01")

	r := f.scan(now)
	require.Equal(t, alert.Result{Firms: 1, Open: 1, Raised: 1}, r)
	open := f.open()
	require.Len(t, open, 1, "only uneven flow: %v", open)
	a := open[alert.UnevenFlow][0]
	require.Equal(t, "We've referred 12 opportunities to you this year and received 2", a.Message)
	require.Equal(t, p, *a.PartnerID)
	require.Equal(t, "Brightline Tax", a.PartnerName)
	require.EqualValues(t, 12, a.Details["sent"])
	require.EqualValues(t, 2, a.Details["received"])
	require.Equal(t, now, a.CreatedAt.UTC())

	// The same facts again: nothing changes.
	require.Equal(t, alert.Result{Firms: 1, Open: 1}, f.scan(now.Add(24*time.Hour)))
	require.Equal(t, now, f.open()[alert.UnevenFlow][0].UpdatedAt.UTC())

	// One more received: the same alert, new numbers.
	f.referral(p, "inbound", "submitted", "2026-11-20")
	later := now.Add(48 * time.Hour)
	require.Equal(t, alert.Result{Firms: 1, Open: 1, Updated: 1}, f.scan(later))
	b := f.open()[alert.UnevenFlow][0]
	require.Equal(t, a.ID, b.ID)
	require.Equal(t, "We've referred 12 opportunities to you this year and received 3", b.Message)
	require.Equal(t, later, b.UpdatedAt.UTC())
	require.Equal(t, now, b.CreatedAt.UTC())

	// 12 to 5 is under 3:1: resolved.
	f.referrals(2, p, "inbound", "submitted", "2026-11-21")
	require.Equal(t, alert.Result{Firms: 1, Resolved: 1}, f.scan(later))
	require.Empty(t, f.open())

	// 15 to 5 tips it again: a new alert; the old one stays resolved.
	f.referrals(3, p, "outbound", "submitted", "2026-11-22")
	require.Equal(t, alert.Result{Firms: 1, Open: 1, Raised: 1}, f.scan(later))
	c := f.open()[alert.UnevenFlow][0]
	require.NotEqual(t, a.ID, c.ID)
	require.Equal(t, "We've referred 15 opportunities to you this year and received 5", c.Message)
	var resolved int
	require.NoError(t, w.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM alerts WHERE id = $1 AND resolved_at IS NOT NULL`, a.ID).Scan(&resolved))
	require.Equal(t, 1, resolved)

	// A partner that ends resolves its alerts.
	w.exec(`UPDATE partners SET status = 'ended' WHERE id = $1`, p)
	require.Equal(t, alert.Result{Firms: 1, Resolved: 1}, f.scan(later))
	require.Empty(t, f.open())
}

// TestScanRules runs every rule on hand-made data in the database, one
// partner per condition (and partners just short of one), and checks the
// exact alerts raised.
func TestScanRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Northwind Advisory", "UTC")

	// Conversion: 10 of 20 won in Q2 2025–Q1 2026, 3 of 10 in Q2–Q3
	// 2026; declined ones and this quarter's don't count. Balanced flow.
	conv := f.partner("Conversion Co", "active", "2025-01-01")
	f.referrals(10, conv, "inbound", "won", "2025-05-01")
	f.referrals(10, conv, "inbound", "lost", "2025-08-01")
	f.referrals(3, conv, "inbound", "won", "2026-05-01")
	f.referrals(7, conv, "inbound", "lost", "2026-08-01")
	f.referrals(3, conv, "inbound", "declined", "2026-09-01")
	f.referrals(5, conv, "inbound", "won", "2026-10-05")
	f.referrals(20, conv, "outbound", "submitted", "2026-10-01")

	// SLA: two of our clocks and one of theirs breached in the last 30
	// days; one older breach.
	sla := f.partner("Slow Partners", "active", "2025-01-01")
	r1 := f.referral(sla, "inbound", "submitted", "2026-11-01")
	r2 := f.referral(sla, "outbound", "submitted", "2026-11-02")
	w.exec(`INSERT INTO sla_breaches (tenant_id, referral_id, clock, partner_id, due_at) VALUES
		($1, $2, 'first_response', $4, '2026-11-02T12:00:00Z'), ($1, $2, 'meeting', $4, '2026-11-20T12:00:00Z'),
		($1, $3, 'partner_response', $4, '2026-11-04T12:00:00Z'), ($1, $2, 'first_contact', $4, '2026-10-15T12:00:00Z')`,
		f.id, r1, r2, sla)

	// Silent: the last sign of life is a review held on 15 Aug 2026 (after
	// a referral and a move); the busy one moved a referral on 1 Nov.
	quiet := f.partner("Quiet Firm", "active", "2025-01-01")
	q1 := f.referral(quiet, "inbound", "submitted", "2026-07-01")
	w.exec(`INSERT INTO referral_events (tenant_id, referral_id, partner_id, at, actor_kind, kind, from_status, to_status)
		VALUES ($1, $2, $3, '2026-08-01T10:00:00Z', 'staff', 'status', 'submitted', 'acknowledged')`, f.id, q1, quiet)
	w.exec(`INSERT INTO partner_reviews (tenant_id, partner_id, quarter, scheduled_at, status, held_at)
		VALUES ($1, $2, '2026-Q3', '2026-08-15T15:00:00Z', 'held', '2026-08-15T16:00:00Z')`, f.id, quiet)
	busy := f.partner("Busy Firm", "active", "2025-01-01")
	b1 := f.referral(busy, "inbound", "submitted", "2026-01-05")
	w.exec(`INSERT INTO referral_events (tenant_id, referral_id, partner_id, at, actor_kind, kind, from_status, to_status)
		VALUES ($1, $2, $3, '2026-11-01T10:00:00Z', 'staff', 'status', 'submitted', 'acknowledged')`, f.id, b1, busy)
	never := f.partner("Never Heard", "active", "2026-05-01")
	f.partner("Fresh Partner", "active", "2026-11-01")
	f.partner("Paused Partner", "paused", "2025-01-01")

	// Contacts: the sponsor left unreplaced; everyone left; a sponsor
	// replaced.
	sponsor := f.partner("Sponsorless", "active", "2026-10-01")
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at) VALUES
		($1, $2, 'Dana Lee', 'executive_sponsor', '2026-11-02T09:00:00Z'), ($1, $2, 'Ravi Shah', 'delivery', NULL)`, f.id, sponsor)
	gone := f.partner("Everyone Left", "onboarding", "2026-10-01")
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at) VALUES
		($1, $2, 'Ann Old', 'other', '2026-03-01T09:00:00Z'), ($1, $2, 'Bo New', 'account_manager', '2026-09-12T09:00:00Z')`, f.id, gone)
	fine := f.partner("Well Covered", "active", "2026-10-01")
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at) VALUES
		($1, $2, 'Old Sponsor', 'executive_sponsor', '2026-01-02T09:00:00Z'), ($1, $2, 'New Sponsor', 'executive_sponsor', NULL)`,
		f.id, fine)

	// Agreements: one ending in 18 days, one renewing by itself.
	ending := f.partner("Ending Soon", "active", "2026-10-01")
	w.exec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, effective_to, auto_renew,
			accepted_at, accepted_via) VALUES ($1, $2, 2, 'active', 'referral', '2025-12-16', '2026-12-15', false, now(), 'recorded')`,
		f.id, ending)
	renewing := f.partner("Renews Itself", "active", "2026-10-01")
	w.exec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, effective_to, auto_renew,
			accepted_at, accepted_via) VALUES ($1, $2, 1, 'active', 'referral', '2025-12-16', '2026-12-15', true, now(), 'recorded')`,
		f.id, renewing)

	// An ended partner with lopsided flow: no alert.
	ended := f.partner("Ended Ltd", "ended", "2025-01-01")
	f.referrals(12, ended, "outbound", "submitted", "2026-10-01")

	// Another firm's partner with lopsided flow counts only there.
	other := w.firm("Other Firm", "America/Los_Angeles")
	op := other.partner("Brightline Tax", "active", "2026-10-01")
	other.referrals(6, op, "outbound", "submitted", "2026-10-01")
	// In Los Angeles it is still 26 Nov: an agreement ending that day is
	// still in force (in UTC it would be over).
	ol := other.partner("Last Day", "active", "2026-10-01")
	w.exec(`INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, effective_to, auto_renew,
			accepted_at, accepted_via) VALUES ($1, $2, 1, 'active', 'referral', '2025-11-27', '2026-11-26', false, now(), 'recorded')`,
		other.id, ol)

	r := f.scan(now)
	require.Equal(t, 7, r.Raised)
	got := map[uuid.UUID]map[string]string{}
	for kind, as := range f.open() {
		for _, a := range as {
			if got[*a.PartnerID] == nil {
				got[*a.PartnerID] = map[string]string{}
			}
			got[*a.PartnerID][kind] = a.Message
		}
	}
	require.Equal(t, map[uuid.UUID]map[string]string{
		conv: {alert.ConversionDrop: "Conversion of their referrals fell to 30% (3 won of 10 decided) in Q2–Q3 2026, " +
			"from 50% (10 of 20) in Q2 2025–Q1 2026"},
		sla:     {alert.SLABreach: "3 SLA breaches in the last 30 days (2 on our side, 1 on theirs)"},
		quiet:   {alert.SilentPartner: "No referral either way and no contact since 15 Aug 2026"},
		never:   {alert.SilentPartner: "No referral either way and no contact since it became active on 1 May 2026"},
		sponsor: {alert.RelationshipAtRisk: "The executive sponsor at Sponsorless, Dana Lee, left on 2 Nov 2026 and no one has taken the role"},
		gone:    {alert.RelationshipAtRisk: "All 2 contacts at Everyone Left have left; the last, Bo New, on 12 Sep 2026"},
		ending:  {alert.AgreementExpiring: "Version 2 of the agreement ends on 15 Dec 2026 and does not renew by itself"},
	}, got, "busy %s, fine %s, renewing %s", busy, fine, renewing)

	// The other firm: its own alerts only, in its own zone.
	r = other.scan(now)
	require.Equal(t, 2, r.Raised)
	oa := other.open()
	require.Equal(t, "We've referred 6 opportunities to you this year and received 0", oa[alert.UnevenFlow][0].Message)
	require.Equal(t, op, *oa[alert.UnevenFlow][0].PartnerID)
	require.Equal(t, "Version 1 of the agreement ends on 26 Nov 2026 and does not renew by itself",
		oa[alert.AgreementExpiring][0].Message)
	require.Len(t, f.open()[alert.UnevenFlow], 0)
}

// TestRunScansAndIsolation: the job scans every firm; a firm's alerts are
// invisible to another firm and to the partner portal.
func TestRunScansAndIsolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.firm("Alpha", "UTC")
	b := w.firm("Beta", "Europe/Berlin")
	pa := a.partner("Brightline Tax", "active", "2026-10-01")
	a.referrals(5, pa, "inbound", "submitted", "2026-10-01")
	pb := b.partner("Harbor Legal", "active", "2026-10-01")
	b.referrals(7, pb, "outbound", "submitted", "2026-10-01")

	res, err := alert.RunScans(context.Background(), w.db, now)
	require.NoError(t, err)
	require.Equal(t, alert.Result{Firms: 2, Open: 2, Raised: 2}, res)
	require.Equal(t, "You've referred 5 opportunities to us this year and we've sent you 0",
		a.open()[alert.UnevenFlow][0].Message)

	ctx := context.Background()
	// Alpha's transaction asking for Beta's alerts sees none.
	require.NoError(t, w.db.InTenant(ctx, a.id, func(tx pgx.Tx) error {
		as, err := alert.List(ctx, tx, b.id, alert.Filter{}, alert.PagePos{}, 100)
		require.Empty(t, as)
		return err
	}))
	// A partner's portal transaction sees no alerts, not even its own.
	require.NoError(t, w.db.InPortal(ctx, a.id, pa, func(tx pgx.Tx) error {
		as, err := alert.OpenForPartner(ctx, tx, a.id, pa)
		require.Empty(t, as)
		return err
	}))
	require.NoError(t, w.db.InTenant(ctx, a.id, func(tx pgx.Tx) error {
		as, err := alert.OpenForPartner(ctx, tx, a.id, pa)
		require.Len(t, as, 1)
		return err
	}))
}

// TestScanSkipsWhileAnotherRuns: two scans of a firm at once never
// double-raise; the second does nothing.
func TestScanSkipsWhileAnotherRuns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Alpha", "UTC")
	p := f.partner("Brightline Tax", "active", "2026-10-01")
	f.referrals(5, p, "inbound", "submitted", "2026-10-01")
	ctx := context.Background()
	require.NoError(t, w.db.InTenant(ctx, f.id, func(tx pgx.Tx) error {
		r, err := alert.Scan(ctx, tx, f.id, now)
		require.Equal(t, 1, r.Raised)
		// Meanwhile, another transaction.
		require.Equal(t, alert.Result{Firms: 1, Skipped: 1}, f.scan(now))
		return err
	}))
	require.Len(t, f.open()[alert.UnevenFlow], 1)
}

func TestQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.firm("Alpha", "UTC")
	p1 := f.partner("Brightline Tax", "active", "2026-10-01")
	f.referrals(5, p1, "inbound", "submitted", "2026-10-01")
	p2 := f.partner("Harbor Legal", "active", "2026-10-01")
	f.referrals(6, p2, "outbound", "submitted", "2026-10-01")
	w.exec(`INSERT INTO partner_contacts (tenant_id, partner_id, name, level, departed_at)
		VALUES ($1, $2, 'Dana Lee', 'executive_sponsor', '2026-11-02T09:00:00Z')`, f.id, p2)
	f.scan(now)
	// An old resolved alert.
	w.exec(`INSERT INTO alerts (tenant_id, kind, partner_id, key, message, created_at, resolved_at)
		VALUES ($1, 'silent_partner', $2, 'old', 'No referral either way and no contact since 1 Jan 2026', '2026-04-01', '2026-05-01')`,
		f.id, p1)
	ctx := context.Background()
	require.NoError(t, w.db.InTenant(ctx, f.id, func(tx pgx.Tx) error {
		top, total, err := alert.Top(ctx, tx, f.id, 2)
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Len(t, top, 2)
		require.Equal(t, alert.RelationshipAtRisk, top[0].Kind, "the most pressing first")

		yes, no := true, false
		as, n, err := alert.Page(ctx, tx, f.id, alert.Filter{Resolved: &yes}, 0, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, "old", as[0].Key)
		as, n, err = alert.Page(ctx, tx, f.id, alert.Filter{Kind: alert.UnevenFlow, PartnerID: &p2, Resolved: &no}, 0, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, "We've referred 6 opportunities to you this year and received 0", as[0].Message)

		counts, err := alert.CountOpen(ctx, tx, f.id)
		require.NoError(t, err)
		require.Equal(t, map[string]int{alert.UnevenFlow: 2, alert.RelationshipAtRisk: 1}, counts)

		// Paging in (created_at, id) order.
		first, err := alert.List(ctx, tx, f.id, alert.Filter{}, alert.PagePos{}, 2)
		require.NoError(t, err)
		require.Len(t, first, 2)
		require.Equal(t, "old", first[0].Key)
		rest, err := alert.List(ctx, tx, f.id, alert.Filter{}, alert.PagePos{CreatedAt: first[1].CreatedAt, ID: first[1].ID}, 10)
		require.NoError(t, err)
		require.Len(t, rest, 2)
		for _, a := range rest {
			require.NotEqual(t, first[1].ID, a.ID)
		}

		_, err = alert.List(ctx, tx, f.id, alert.Filter{Kind: "nope"}, alert.PagePos{}, 10)
		require.Contains(t, apperr.FieldErrors(err), "kind")
		return nil
	}))
}
