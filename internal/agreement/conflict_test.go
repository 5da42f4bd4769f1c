package agreement

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
)

func TestFindConflicts(t *testing.T) {
	me, acme, bolt := uuid.New(), uuid.New(), uuid.New()
	others := []Agreement{
		{PartnerID: acme, PartnerName: "Acme", Version: 2, Status: StatusActive, Exclusivity: "service_category",
			ExclusivityScope: []string{"Tax Advisory"}, Territories: []string{"Northeast", "Canada"}},
		{PartnerID: bolt, PartnerName: "Bolt", Version: 1, Status: StatusActive, Exclusivity: "geography",
			ExclusivityScope: []string{"Texas"}},
		{PartnerID: me, PartnerName: "Me", Version: 1, Status: StatusActive, Exclusivity: "service_category",
			ExclusivityScope: []string{"tax advisory"}, Territories: []string{"Northeast"}},
		{PartnerID: uuid.New(), PartnerName: "Old", Version: 1, Status: StatusExpired, Territories: []string{"Northeast"}},
	}
	msgs := func(a Agreement) []string {
		var out []string
		for _, c := range FindConflicts(a, others) {
			out = append(out, c.Message())
		}
		return out
	}
	assert.Empty(t, msgs(Agreement{PartnerID: me, Exclusivity: "none", Territories: []string{"West"}}))

	assert.Equal(t, []string{
		"Exclusivity overlaps Acme's active agreement (version 2), which is exclusive for the same: TAX advisory.",
		"Territories overlap Acme's active agreement (version 2): northeast.",
		"Bolt's active agreement (version 1) is exclusive in these territories: texas.",
	}, msgs(Agreement{PartnerID: me, Exclusivity: "service_category", ExclusivityScope: []string{"TAX advisory", "Audit"},
		Territories: []string{"northeast", "texas"}}), "case-insensitive; own partner and ended agreements skipped")

	assert.Equal(t, []string{"This agreement's exclusive geography covers territories of Acme's active agreement (version 2): Canada."},
		msgs(Agreement{PartnerID: me, Exclusivity: "geography", ExclusivityScope: []string{"Canada"}}))

	industry := FindConflicts(Agreement{PartnerID: me, Exclusivity: "industry", ExclusivityScope: []string{"Tax Advisory"}}, others)
	assert.Empty(t, industry, "different kinds of exclusivity don't collide")
}
