package referral_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var svc, strategic, network uuid.UUID
	require.NoError(t, f.owner.QueryRow(ctx, `INSERT INTO services (tenant_id, name, phase) VALUES ($1, 'Tax advice', 'after') RETURNING id`, f.tenant).Scan(&svc))
	require.NoError(t, f.owner.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Strategic', 1, 30) RETURNING id`, f.tenant).Scan(&strategic))
	require.NoError(t, f.owner.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Network', 3, 90) RETURNING id`, f.tenant).Scan(&network))
	mk := func(name, status string, tier *uuid.UUID) uuid.UUID {
		id := f.partner(name, status)
		_, err := f.owner.Exec(ctx, `UPDATE partners SET tier_id = $2 WHERE id = $1`, id, tier)
		require.NoError(t, err)
		_, err = f.owner.Exec(ctx, `INSERT INTO partner_services (tenant_id, partner_id, service_id) VALUES ($1, $2, $3)`, f.tenant, id, svc)
		require.NoError(t, err)
		return id
	}
	top := mk("Top Tier", "active", &strategic)
	giver := mk("Generous", "active", &network)
	paused := mk("Paused Co", "paused", &strategic)
	mk("Ended Co", "ended", &strategic)
	excluded := mk("Excluded", "active", &strategic)
	f.partner("No Service", "active")
	_, err := f.owner.Exec(ctx, `INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, reason)
		VALUES ($1, $2, 'active', 'paused', 'Quality problems')`, f.tenant, paused)
	require.NoError(t, err)
	// Generous sent us 6 referrals and got none.
	for range 6 {
		in := f.input(giver, f.admin, "Client "+uuid.NewString()[:8])
		in.Source = "staff"
		f.mustSubmit(in)
	}
	var got []referral.Suggestion
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) (err error) {
		got, err = referral.Suggest(ctx, tx, f.tenant, svc, []uuid.UUID{excluded})
		return err
	}))
	names := []string{}
	for _, s := range got {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"Generous", "Top Tier", "Paused Co"}, names)
	require.Equal(t, []int{1, 2, 3}, []int{got[0].Rank, got[1].Rank, got[2].Rank})
	require.Equal(t, 6, got[0].Sent)
	require.Contains(t, strings.Join(got[0].Reasons, "; "), "Sent us 6, received 0: our turn to give back")
	require.Equal(t, top, got[1].PartnerID)
	require.True(t, got[2].Paused)
	require.Equal(t, "Quality problems", got[2].PauseReason)
	require.Contains(t, got[2].Reasons[0], "Paused")

	subject, body := referral.IntroEmail(referral.Referral{ClientCompany: "Acme", PartnerName: "Top Tier",
		Contact: referral.Contact{Name: "Jane Doe"}, Challenge: "Their ERP migration is stuck. Lots more."},
		"Tom Tier", "Ada Admin", "Northwind Advisory")
	require.Equal(t, "Introduction: Jane Doe (Acme) and Top Tier", subject)
	require.Contains(t, body, "Hi Tom,")
	require.Contains(t, body, "I was talking to Jane Doe at Acme and thought you might help with their ERP migration is stuck.")
	require.Contains(t, body, "Jane, meet Tom Tier at Top Tier")
	require.Contains(t, body, "Ada Admin\nNorthwind Advisory")
}

func TestPartnerDeclines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat Partner")
	in := f.input(p, f.admin, "Acme")
	in.Direction, in.Source = "outbound", "staff"
	ob := f.mustSubmit(in)
	respond := func(reason string) (referral.Referral, error) {
		var r referral.Referral
		err := f.db.InPortal(ctx, f.tenant, p, func(tx pgx.Tx) (err error) {
			r, err = referral.PartnerRespond(ctx, tx, f.notifier(), f.tenant, p, ob.ID, false, reason, pu)
			return err
		})
		return r, err
	}
	_, err := respond("")
	require.Error(t, err)
	r, err := respond("We're fully booked until March.")
	require.NoError(t, err)
	require.Equal(t, referral.Submitted, r.Status, "declining hands it back to us, still open")
	require.Equal(t, "We're fully booked until March.", r.PartnerDeclineReason)
	require.True(t, r.NeedsHandOn(*r.PartnerDeclinedAt))
	require.Len(t, f.emails(ob.Ref()+" Acme: Brightline declined; hand it on"), 1)
}
