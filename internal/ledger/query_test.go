package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
)

func TestEntryStatus(t *testing.T) {
	today := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	d := func(s string) *time.Time { v := date(s); return &v }
	for _, c := range []struct {
		kind string
		due  *time.Time
		want string
	}{
		{ledger.KindAccrual, d("2026-12-27"), ledger.EntryAccrued},
		{ledger.KindAccrual, d("2026-11-28"), ledger.EntryAccrued},
		{ledger.KindAccrual, d("2026-11-27"), ledger.EntryDue},
		{ledger.KindReversal, d("2026-10-01"), ledger.EntryDue},
		{ledger.KindAdjustment, nil, ledger.EntryAccrued},
		{ledger.KindPayout, nil, ledger.EntryPaid},
		{ledger.KindPayout, d("2027-01-01"), ledger.EntryPaid},
	} {
		require.Equal(t, c.want, ledger.EntryStatus(c.kind, c.due, today), "%s due %v", c.kind, c.due)
	}
}

// TestQueries: a partner's engagements, payments and traced entries, and
// the firm-wide lists paged by (created_at, id) without gaps or repeats.
func TestQueries(t *testing.T) {
	f := newFixture(t)
	m := f.firm()
	other := f.firm()
	p := m.partner("Brightline Advisory")
	q := m.partner("Quiet Partner")
	m.agreement(p, "2026-01-01", 30, commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 2000})
	ref := m.referral(p, "Acme Dental", "2026-03-02")
	eng := m.engagement(ref, p, "project", 5_000_000, "2026-03-10")
	lost := m.f.id(`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm,
			status, submitted_at, status_changed_at)
		VALUES ($1, 'inbound', $2, (SELECT id FROM referral_prospects WHERE tenant_id = $1 LIMIT 1), 'Open Co', 'open co',
			'submitted', now(), now()) RETURNING id`, m.id, p)
	_ = lost
	op := other.partner("Other firm's partner")
	oref := other.referral(op, "Elsewhere", "2026-03-02")
	other.engagement(oref, op, "project", 100, "2026-03-10")

	m.mustPay(eng, 2_000_000, "2026-04-01")
	m.mustPay(eng, 3_000_000, "2026-05-01")
	m.accrue()

	ctx := context.Background()
	// in runs fn in the firm's transaction; assertions stay outside it.
	in := func(fn func(tx pgx.Tx) error) {
		t.Helper()
		require.NoError(t, f.db.InTenant(ctx, m.id, fn))
	}
	var gs []ledger.Engagement
	var errOther error
	var g ledger.Engagement
	var evs []ledger.RevenueEvent
	var ds []ledger.EntryDetail
	var refDay time.Time
	var byLines, byEntries []ledger.Balance
	in(func(tx pgx.Tx) (err error) {
		if gs, err = ledger.PartnerEngagements(ctx, tx, m.id, p); err != nil {
			return err
		}
		_, errOther = ledger.PartnerEngagement(ctx, tx, m.id, q, eng)
		if g, err = ledger.PartnerEngagement(ctx, tx, m.id, p, eng); err != nil {
			return err
		}
		if evs, err = ledger.PartnerRevenue(ctx, tx, m.id, p); err != nil {
			return err
		}
		if ds, err = ledger.PartnerEntryDetails(ctx, tx, m.id, p); err != nil {
			return err
		}
		if refDay, err = ledger.ReferralDay(ctx, tx, m.id, ref); err != nil {
			return err
		}
		if byLines, err = ledger.Balances(ctx, tx, m.id, p); err != nil {
			return err
		}
		byEntries, err = ledger.EntryBalances(ctx, tx, m.id, p)
		return err
	})
	require.Equal(t, []ledger.Balance{{Currency: "USD", PayableCents: 1_000_000}}, byEntries)
	require.Equal(t, byLines, byEntries)
	require.Len(t, gs, 1, "only won referrals' engagements")
	require.Equal(t, eng, gs[0].ID)
	require.Equal(t, "Acme Dental", gs[0].ClientCompany)
	require.Equal(t, apperr.ENotFound, apperr.Code(errOther), "another partner's engagement is not found")
	require.Equal(t, ref, g.ReferralID)
	require.Len(t, evs, 2)
	require.Equal(t, int64(2_000_000), evs[0].AmountCents)
	require.Len(t, ds, 2)
	require.Equal(t, []int64{400_000, 600_000}, []int64{ds[0].AmountCents, ds[1].AmountCents})
	require.Equal(t, int32(1), *ds[0].AgreementVersion)
	require.Equal(t, "Acme Dental", *ds[0].ClientCompany)
	require.Equal(t, date("2026-04-01"), *ds[0].PaidOn)
	require.Equal(t, date("2026-05-01"), *ds[0].DueOn)
	require.Equal(t, int64(2_000_000), *ds[0].PaymentCents)
	require.Equal(t, date("2026-03-02"), refDay)

	// Paging one at a time visits each entry once, in order.
	var seen []uuid.UUID
	var pos ledger.PagePos
	for range 5 {
		var es []ledger.Entry
		in(func(tx pgx.Tx) (err error) {
			es, err = ledger.ListEntries(ctx, tx, m.id, &p, pos, 1)
			return err
		})
		if len(es) == 0 {
			break
		}
		seen = append(seen, es[0].ID)
		pos = ledger.PagePos{CreatedAt: es[0].CreatedAt, ID: es[0].ID}
	}
	// One accrual run stamps both entries with one created_at: the id
	// breaks the tie.
	require.ElementsMatch(t, []uuid.UUID{ds[0].ID, ds[1].ID}, seen)
	require.Len(t, seen, 2)
	var none []ledger.Entry
	var all, rest []ledger.RevenueEvent
	in(func(tx pgx.Tx) (err error) {
		if none, err = ledger.ListEntries(ctx, tx, m.id, &q, ledger.PagePos{}, 10); err != nil {
			return err
		}
		if all, err = ledger.ListRevenue(ctx, tx, m.id, &eng, ledger.PagePos{}, 10); err != nil {
			return err
		}
		rest, err = ledger.ListRevenue(ctx, tx, m.id, nil, ledger.PagePos{CreatedAt: all[0].CreatedAt, ID: all[0].ID}, 10)
		return err
	})
	require.Empty(t, none)
	require.Len(t, all, 2)
	require.Len(t, rest, 1, "after the first payment: the second; the other firm's payments are never listed")
	require.Equal(t, all[1].ID, rest[0].ID)
}
