package tenant

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
)

func TestNormalizeList(t *testing.T) {
	assert.Equal(t, []string{"fintech", "health care", "saas"}, NormalizeList(" FinTech, health   care,,SaaS , fintech "))
	assert.Equal(t, []string{}, NormalizeList(" , ,"))
}

func TestSettingsValidate(t *testing.T) {
	good := func() Settings {
		s := DefaultSettings(uuid.New())
		s.Positioning = "premium"
		s.ICPIndustries = []string{"FinTech", "fintech", " SaaS"}
		s.ICPClientSizes = []string{"enterprise", "small", "small"}
		s.ICPStages = []string{"series_b", "series_a"}
		return s
	}
	s := good()
	require.NoError(t, s.Validate())
	assert.Equal(t, []string{"fintech", "saas"}, s.ICPIndustries)
	assert.Equal(t, []string{"small", "enterprise"}, s.ICPClientSizes, "deduplicated, in the options' order")
	assert.Equal(t, []string{"series_a", "series_b"}, s.ICPStages)

	many := make([]string, 21)
	for i := range many {
		many[i] = "industry " + string(rune('a'+i))
	}
	cases := map[string]struct {
		edit  func(*Settings)
		field string
	}{
		"positioning":    {func(s *Settings) { s.Positioning = "luxury" }, "positioning"},
		"size":           {func(s *Settings) { s.ICPClientSizes = []string{"huge"} }, "icp_client_sizes"},
		"stage":          {func(s *Settings) { s.ICPStages = []string{"series_z"} }, "icp_stages"},
		"21 industries":  {func(s *Settings) { s.ICPIndustries = many }, "icp_industries"},
		"long region":    {func(s *Settings) { s.ICPRegions = []string{strings.Repeat("é", 61)} }, "icp_regions"},
		"goal max < min": {func(s *Settings) { s.RecruitGoalMin, s.RecruitGoalMax = 8, 3 }, "recruit_goal_max"},
		"negative goal":  {func(s *Settings) { s.RecruitGoalMin = -1 }, "recruit_goal_min"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := good()
			c.edit(&s)
			err := s.Validate()
			require.Equal(t, apperr.EInvalid, apperr.Code(err))
			assert.Contains(t, apperr.FieldErrors(err), c.field)
		})
	}
}
