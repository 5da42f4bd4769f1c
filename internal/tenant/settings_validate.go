package tenant

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/allyway/allyway/internal/apperr"
)

// Positionings, client sizes and stages a firm (and a partner) can have.
var (
	Positionings = []string{"premium", "mid_market", "value"}
	ClientSizes  = []string{"solo", "small", "mid_market", "enterprise"}
	Stages       = []string{"idea", "seed", "series_a", "series_b", "growth", "mature"}
)

// Limits of the free-text lists (industries, regions).
const (
	maxListItems = 20
	maxItemLen   = 60
	maxGoal      = 1000
)

// NormalizeList splits a comma-separated list, trims and lower-cases each
// item, drops empty ones and duplicates, keeping the first order.
func NormalizeList(s string) []string {
	out := []string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.Join(strings.Fields(item), " "))
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// Validate normalises the settings' lists and checks every field; EInvalid
// with per-field messages (positioning, icp_industries, icp_client_sizes,
// icp_stages, icp_regions, recruit_goal_min, recruit_goal_max).
func (s *Settings) Validate() error {
	errs := map[string]string{}
	s.Positioning = strings.TrimSpace(s.Positioning)
	if s.Positioning != "" && !slices.Contains(Positionings, s.Positioning) {
		errs["positioning"] = "Choose premium, mid-market or value."
	}
	free := func(field string, v []string) []string {
		v = NormalizeList(strings.Join(v, ","))
		if len(v) > maxListItems {
			errs[field] = "List at most " + strconv.Itoa(maxListItems) + " items."
		}
		for _, item := range v {
			if utf8.RuneCountInString(item) > maxItemLen {
				errs[field] = "Keep each item to " + strconv.Itoa(maxItemLen) + " characters: " + string([]rune(item)[:20]) + "…"
				break
			}
		}
		return v
	}
	s.ICPIndustries = free("icp_industries", s.ICPIndustries)
	s.ICPRegions = free("icp_regions", s.ICPRegions)
	choice := func(field string, v, allowed []string) []string {
		out := []string{}
		for _, item := range v {
			if !slices.Contains(allowed, item) {
				errs[field] = "Choose from the options shown."
				continue
			}
			if !slices.Contains(out, item) {
				out = append(out, item)
			}
		}
		// Keep the options' order.
		slices.SortFunc(out, func(a, b string) int { return slices.Index(allowed, a) - slices.Index(allowed, b) })
		return out
	}
	s.ICPClientSizes = choice("icp_client_sizes", s.ICPClientSizes, ClientSizes)
	s.ICPStages = choice("icp_stages", s.ICPStages, Stages)
	if s.RecruitGoalMin < 0 || s.RecruitGoalMin > maxGoal {
		errs["recruit_goal_min"] = "Use a whole number from 0 to 1000."
	}
	if s.RecruitGoalMax < 0 || s.RecruitGoalMax > maxGoal {
		errs["recruit_goal_max"] = "Use a whole number from 0 to 1000."
	} else if _, bad := errs["recruit_goal_min"]; !bad && s.RecruitGoalMax < s.RecruitGoalMin {
		errs["recruit_goal_max"] = "The most can't be fewer than the fewest."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}
