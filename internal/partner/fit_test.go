package partner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/tenant"
)

func TestFit(t *testing.T) {
	l := func(v ...string) []string { return v }
	tests := []struct {
		name     string
		icp      tenant.Settings
		p        Partner
		hasICP   bool
		score    int
		overlaps map[string]int // key → overlap %, -1 = skipped
		reasons  []string
		warning  bool
	}{
		{
			name:     "no ideal client profile yet",
			icp:      tenant.Settings{},
			p:        Partner{Industries: l("fintech")},
			overlaps: map[string]int{"industries": -1, "client_sizes": -1, "stages": -1, "regions": -1},
		},
		{
			name: "every dimension matches, in any case",
			icp: tenant.Settings{ICPIndustries: l("Fintech", "Healthcare"), ICPClientSizes: l("mid-market"),
				ICPStages: l("Series A", "Series B"), ICPRegions: l("UK")},
			p: Partner{Industries: l("healthcare", "FINTECH", "retail"), ClientSizes: l("Mid-Market"),
				Stages: l("series b", "series a"), Regions: l("uk", "us")},
			hasICP: true, score: 100,
			overlaps: map[string]int{"industries": 100, "client_sizes": 100, "stages": 100, "regions": 100},
			reasons: []string{"Shared industries: Fintech, Healthcare", "Shared client sizes: mid-market",
				"Shared stages: Series A, Series B", "Shared regions: UK"},
		},
		{
			// (2/3 + 0 + 1/2) / 3 = 7/18 = 38.9 → 39; stages skipped, its 25 redistributed.
			name: "partial overlap with a skipped dimension",
			icp: tenant.Settings{ICPIndustries: l("fintech", "healthcare", "retail"), ICPClientSizes: l("mid-market"),
				ICPRegions: l("uk", "eu")},
			p:      Partner{Industries: l("FinTech", "healthcare"), ClientSizes: l("enterprise"), Stages: l("seed"), Regions: l("EU")},
			hasICP: true, score: 39,
			overlaps: map[string]int{"industries": 67, "client_sizes": 0, "stages": -1, "regions": 50},
			reasons:  []string{"Shared industries: fintech, healthcare", "No shared client sizes", "Shared regions: eu"},
		},
		{
			// (1/3 + 2/3) / 2 = 50 exactly, though the parts round to 33 and 67.
			name:   "exact arithmetic, not a mean of rounded parts",
			icp:    tenant.Settings{ICPIndustries: l("a", "b", "c"), ICPStages: l("x", "y", "z")},
			p:      Partner{Industries: l("a"), Stages: l("x", "y")},
			hasICP: true, score: 50,
			overlaps: map[string]int{"industries": 33, "client_sizes": -1, "stages": 67, "regions": -1},
			reasons:  []string{"Shared industries: a", "Shared stages: x, y"},
		},
		{
			name:   "partner named nothing where we did",
			icp:    tenant.Settings{ICPRegions: l("uk")},
			p:      Partner{},
			hasICP: true, score: 0,
			overlaps: map[string]int{"industries": -1, "client_sizes": -1, "stages": -1, "regions": 0},
			reasons:  []string{"No shared regions (they named none)"},
		},
		{
			// Ours dedupes to [Fintech, SaaS]: 1/2 = 50; blanks ignored.
			name:   "duplicates and blanks in our profile count once",
			icp:    tenant.Settings{ICPIndustries: l("Fintech", "fintech", " ", "SaaS")},
			p:      Partner{Industries: l(" fintech ")},
			hasICP: true, score: 50,
			overlaps: map[string]int{"industries": 50, "client_sizes": -1, "stages": -1, "regions": -1},
			reasons:  []string{"Shared industries: Fintech"},
		},
		{
			// (1 + 1/4) / 2 = 62.5 → 63 (half rounds up).
			name:   "half rounds up",
			icp:    tenant.Settings{ICPIndustries: l("a"), ICPRegions: l("r1", "r2", "r3", "r4")},
			p:      Partner{Industries: l("a"), Regions: l("r3")},
			hasICP: true, score: 63,
			overlaps: map[string]int{"industries": 100, "client_sizes": -1, "stages": -1, "regions": 25},
			reasons:  []string{"Shared industries: a", "Shared regions: r3"},
		},
		{
			name:   "premium with value warns",
			icp:    tenant.Settings{Positioning: "premium", ICPIndustries: l("a")},
			p:      Partner{Positioning: "value", Industries: l("a")},
			hasICP: true, score: 100, warning: true,
			overlaps: map[string]int{"industries": 100, "client_sizes": -1, "stages": -1, "regions": -1},
			reasons:  []string{"Shared industries: a"},
		},
		{
			name:     "value with premium warns, even without a profile",
			icp:      tenant.Settings{Positioning: "value"},
			p:        Partner{Positioning: "premium"},
			warning:  true,
			overlaps: map[string]int{"industries": -1, "client_sizes": -1, "stages": -1, "regions": -1},
		},
		{
			name:     "premium with mid-market does not warn",
			icp:      tenant.Settings{Positioning: "premium"},
			p:        Partner{Positioning: "mid_market"},
			overlaps: map[string]int{"industries": -1, "client_sizes": -1, "stages": -1, "regions": -1},
		},
		{
			name:     "premium with unknown does not warn",
			icp:      tenant.Settings{Positioning: "premium"},
			p:        Partner{},
			overlaps: map[string]int{"industries": -1, "client_sizes": -1, "stages": -1, "regions": -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.icp, tt.p)
			require.Equal(t, tt.hasICP, got.HasICP)
			require.Equal(t, tt.score, got.Score)
			require.Equal(t, tt.reasons, got.Reasons)
			require.Len(t, got.Dimensions, 4)
			for _, d := range got.Dimensions {
				want, ok := tt.overlaps[d.Key]
				require.True(t, ok, d.Key)
				if want < 0 {
					require.True(t, d.Skipped, d.Key)
				} else {
					require.False(t, d.Skipped, d.Key)
					require.Equal(t, want, d.Overlap, d.Key)
				}
			}
			if tt.warning {
				require.Equal(t, PositioningMismatchWarning, got.PositioningWarning)
			} else {
				require.Empty(t, got.PositioningWarning)
			}
		})
	}
}
