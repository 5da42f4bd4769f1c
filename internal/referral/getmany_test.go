package referral_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

// GetMany returns what Get returns, for many ids at once, in the order
// asked, leaving out ids that are not the firm's.
func TestGetManyMatchesGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline Tax", "active")
	helper := f.partner("Keystone Legal", "active")
	by := f.portalUser(p, "pat@brightline.example", "Pat Partner")
	a := f.mustSubmit(f.input(p, by, "Acme Industries"))
	b := f.mustSubmit(f.input(p, by, "Globex Corporation"))
	require.NoError(t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) error {
		return referral.SetAssists(context.Background(), tx, f.tenant, b.ID, []uuid.UUID{helper}, f.admin)
	}))

	var got []referral.Referral
	require.NoError(t, f.db.InTenant(context.Background(), f.tenant, func(tx pgx.Tx) (err error) {
		got, err = referral.GetMany(context.Background(), tx, f.tenant, []uuid.UUID{b.ID, uuid.New(), a.ID})
		return err
	}))
	require.Equal(t, []referral.Referral{f.get(b.ID), f.get(a.ID)}, got)
	require.Len(t, got[0].Assists, 1)
	require.Equal(t, "Keystone Legal", got[0].Assists[0].PartnerName)
}
