package commission_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
)

func TestRuleAppliesTo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind      commission.Kind
		direction commission.Direction
		referral  string
		applies   bool
		why       string
	}{
		{commission.PercentFirstProject, commission.WePay, commission.Inbound, true, ""},
		{commission.PercentFirstProject, commission.WePay, commission.Outbound, false, commission.ReasonOnlyInbound},
		{commission.PercentOngoing, commission.WeReceive, commission.Outbound, true, ""},
		{commission.FlatFee, commission.WeReceive, commission.Inbound, false, commission.ReasonOnlyOutbound},
		{commission.TieredVolume, commission.WePay, commission.Outbound, false, commission.ReasonOnlyInbound},
		// A co-delivery split divides joint work whoever brought the client.
		{commission.CoDeliverySplit, commission.WePay, commission.Outbound, true, ""},
		{commission.CoDeliverySplit, commission.WeReceive, commission.Inbound, true, ""},
		{commission.ReciprocityOnly, commission.WePay, commission.Outbound, true, ""},
	} {
		ok, why := commission.Rule{Kind: c.kind, Direction: c.direction}.AppliesTo(c.referral)
		require.Equal(t, c.applies, ok, "%s %s on %s", c.kind, c.direction, c.referral)
		require.Equal(t, c.why, why)
	}
}
