package referral_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

func (f *fixture) scan(now time.Time) referral.ScanResult {
	f.t.Helper()
	f.setNow(now)
	res, err := referral.ScanSLA(context.Background(), f.db, f.notifier(), f.tenant)
	require.NoError(f.t, err)
	return res
}

func (f *fixture) list(flt referral.Filter, now time.Time) []uuid.UUID {
	f.t.Helper()
	var ids []uuid.UUID
	require.NoError(f.t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) error {
		rs, total, err := referral.List(context.Background(), tx, f.tenant, flt, now)
		require.Len(f.t, rs, total)
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return err
	}))
	return ids
}

// TestSLAScan: one reminder before the breach, one breach (row, event,
// email), at-risk and breached filters, a met clock never breaches.
func TestSLAScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline", "active")
	f.portalUser(p, "p@brightline.example", "Pat")
	owner := f.staffUser(f.tenant, "owner@northwind.example", "Olga Owner", "manager")
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.setNow(mon)
	in := f.input(p, f.admin, "Acme")
	in.OwnerUserID = &owner
	r := f.mustSubmit(in) // first response due Tue 09:00
	quick := f.mustSubmit(f.input(p, f.admin, "Globex"))
	f.setNow(mon.Add(time.Hour))
	_, err := f.transition(quick.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.NoError(t, err)

	require.Equal(t, referral.ScanResult{}, f.scan(mon.Add(2*time.Hour)))
	require.Empty(t, f.list(referral.Filter{AtRisk: true}, mon.Add(2*time.Hour)))

	// 3 h before the due time: reminded once.
	at := mon.Add(21 * time.Hour)
	require.Equal(t, referral.ScanResult{Reminders: 1}, f.scan(at))
	require.Equal(t, referral.ScanResult{}, f.scan(at.Add(time.Minute)))
	rem := f.emails("Due soon: " + r.Ref())
	require.Len(t, rem, 1)
	require.Contains(t, rem[0].To, "owner@northwind.example")
	require.Contains(t, rem[0].Text, "First response is due Tue 24 Nov 09:00 UTC (in 3 h)")
	require.Equal(t, []uuid.UUID{r.ID}, f.list(referral.Filter{AtRisk: true}, at))

	// Past due: one breach, recorded once, with the reminder time.
	late := mon.Add(24*time.Hour + time.Minute)
	require.Equal(t, referral.ScanResult{Breaches: 1}, f.scan(late))
	require.Equal(t, referral.ScanResult{}, f.scan(late.Add(time.Minute)))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1 AND clock = 'first_response'
		AND partner_id = $2 AND reminded_at IS NOT NULL`, r.ID, p))
	require.Len(t, f.emails("SLA missed: "+r.Ref()), 1)
	// The scan brought the partner's rollups up to date itself.
	require.Equal(t, 0, f.count(`SELECT count(*) FROM rollup_dirty WHERE tenant_id = $1`, f.tenant))
	require.Equal(t, 1, f.count(`SELECT coalesce(sum(sla_ours), 0) FROM partner_months WHERE tenant_id = $1 AND partner_id = $2`,
		f.tenant, p))
	require.Equal(t, []uuid.UUID{r.ID}, f.list(referral.Filter{Breached: true}, late))
	require.Equal(t, []uuid.UUID{r.ID}, f.list(referral.Filter{AtRisk: true}, late))
	require.True(t, f.get(r.ID).Breached(late))
	es := f.timeline(r.ID)
	require.Equal(t, []string{"submitted", "sla_reminder", "sla_breach"}, kinds(es))
	for _, e := range es[1:] {
		require.False(t, e.VisibleToPartner)
	}

	// Responding late doesn't add a second breach; the later clocks run on.
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.NoError(t, err)
	require.Equal(t, referral.ScanResult{}, f.scan(late.Add(time.Hour)))
	// Contact due Thu 09:00 (72 h): reminded and breached for r and quick.
	res := f.scan(mon.Add(72*time.Hour + time.Minute))
	require.Equal(t, 2, res.Breaches)
	require.Equal(t, 2, f.count(`SELECT count(*) FROM sla_breaches WHERE clock = 'first_contact'`))
	require.Equal(t, 0, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1 AND clock = 'first_response'`, quick.ID))
}

// TestSLAScanOutboundAndClaims: an outbound referral not answered in time
// prompts a hand-on; a stale claim lapses once.
func TestSLAScanOutboundAndClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	f.portalUser(p, "p@brightline.example", "Pat Partner")
	q := f.partner("Next Best", "active")
	wed := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.setNow(wed)
	in := f.input(p, f.admin, "Acme")
	in.Direction, in.Source, in.EstimatedValue = "outbound", "staff", "12,500.50"
	ob := f.mustSubmit(in) // answer due Fri 09:00

	require.Equal(t, 1, f.scan(wed.Add(45*time.Hour)).Reminders)
	require.Len(t, f.emails("Please accept or decline "+ob.Ref()), 1, "the partner is reminded too")
	res := f.scan(wed.Add(48*time.Hour + time.Minute))
	require.Equal(t, 1, res.Breaches)
	prompt := f.emails("No answer on " + ob.Ref())
	require.Len(t, prompt, 1)
	require.Contains(t, prompt[0].Text, "hand the referral to the next suggested partner")
	require.Equal(t, []uuid.UUID{ob.ID}, f.list(referral.Filter{AtRisk: true}, wed.Add(49*time.Hour)))
	require.True(t, f.get(ob.ID).NeedsHandOn(wed.Add(49*time.Hour)))

	// Hand it on: a new referral for the next partner; the old one closes.
	var nr referral.Referral
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) (err error) {
		nr, err = referral.Reassign(ctx, tx, f.notifier(), f.tenant, ob.ID, q, f.admin)
		return err
	}))
	require.NotEqual(t, ob.ID, nr.ID)
	require.Equal(t, q, nr.PartnerID)
	require.Equal(t, "outbound", nr.Direction)
	require.Equal(t, int64(1_250_050), *nr.EstimatedValueCents)
	require.Equal(t, ob.Contact.Email, nr.Contact.Email)
	old := f.get(ob.ID)
	require.Equal(t, referral.Declined, old.Status)
	require.Equal(t, "no_response", old.CloseReason)
	require.Contains(t, kinds(f.timeline(ob.ID)), "reassigned")
	require.Contains(t, kinds(f.timeline(nr.ID)), "reassigned")
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		_, err := referral.Reassign(ctx, tx, f.notifier(), f.tenant, ob.ID, q, f.admin)
		require.Error(t, err, "a closed referral is not handed on twice")
		return nil
	}))

	// Claims lapse once after the window without movement.
	ib := f.mustSubmit(f.input(p, f.admin, "Initech"))
	after := wed.Add(93 * 24 * time.Hour) // submitted at wed+48h, claim of 90 days
	res = f.scan(after)
	require.Equal(t, 1, res.Lapsed)
	require.Equal(t, 0, f.scan(after.Add(time.Hour)).Lapsed)
	require.Contains(t, kinds(f.timeline(ib.ID)), "claim_lapsed")
}

// TestSLAScanLooksOnlySinceLastScan: after a firm's first scan, a scan
// reads only referrals written since the last one (less an hour) or with a
// due time or claim expiry after it, so it costs what changed, not the
// firm's history; what changes in between is still caught.
func TestSLAScanLooksOnlySinceLastScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.setNow(mon)
	old := f.mustSubmit(f.input(p, f.admin, "Acme"))    // first response due Tue 09:00
	late := f.mustSubmit(f.input(p, f.admin, "Globex")) // answered late, after a scan
	require.Equal(t, referral.ScanResult{}, f.scan(mon.Add(time.Hour)))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM sla_scan_marks WHERE tenant_id = $1 AND scanned_at = $2`,
		f.tenant, mon.Add(time.Hour)))

	// A referral last written and due long before the mark, with no breach
	// recorded (as if from before the SLA feature): not looked at again.
	_, err := f.owner.Exec(ctx, `UPDATE referrals SET first_response_due_at = $2, first_contact_due_at = NULL,
		meeting_due_at = NULL, claim_expires_at = NULL, updated_at = $2 WHERE id = $1`, old.ID, mon.Add(-30*24*time.Hour))
	require.NoError(t, err)
	// Globex's answer comes in time for the scan to see it late: its
	// update is after the mark. A third referral arrives with a due time
	// already past (an import of an old introduction).
	f.setNow(mon.Add(24*time.Hour + 30*time.Minute))
	_, err = f.transition(late.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.NoError(t, err)
	f.setNow(mon.Add(2 * time.Hour))
	imported := f.mustSubmit(f.input(p, f.admin, "Initech"))
	_, err = f.owner.Exec(ctx, `UPDATE referrals SET first_response_due_at = $2 WHERE id = $1`, imported.ID, mon.Add(-48*time.Hour))
	require.NoError(t, err)

	res := f.scan(mon.Add(25 * time.Hour))
	require.Equal(t, 2, res.Breaches, "Globex answered late and Initech's past due time; not Acme's old one")
	require.Equal(t, 0, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1`, old.ID))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1 AND clock = 'first_response'`, late.ID))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1 AND clock = 'first_response'`, imported.ID))

	// Without a mark (a firm's first scan) everything open is looked at.
	_, err = f.owner.Exec(ctx, `DELETE FROM sla_scan_marks WHERE tenant_id = $1`, f.tenant)
	require.NoError(t, err)
	require.Equal(t, 1, f.scan(mon.Add(25*time.Hour+time.Minute)).Breaches)
	require.Equal(t, 1, f.count(`SELECT count(*) FROM sla_breaches WHERE referral_id = $1`, old.ID))
}
