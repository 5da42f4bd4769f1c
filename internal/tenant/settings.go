package tenant

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Settings are a firm's program-wide choices: its ideal client profile and
// positioning (what partners are measured against) and the recruiting goal.
type Settings struct {
	TenantID       uuid.UUID
	Positioning    string // premium, mid_market, value or ""
	ICPIndustries  []string
	ICPClientSizes []string
	ICPStages      []string
	ICPRegions     []string
	RecruitGoalMin int
	RecruitGoalMax int
	UpdatedAt      time.Time
}

// DefaultSettings are what a firm has before it says otherwise (the field
// guide's goal: 5–10 new partners a year).
func DefaultSettings(tenantID uuid.UUID) Settings {
	return Settings{TenantID: tenantID, ICPIndustries: []string{}, ICPClientSizes: []string{}, ICPStages: []string{},
		ICPRegions: []string{}, RecruitGoalMin: 5, RecruitGoalMax: 10}
}

// GetSettings returns the firm's settings, the defaults when none were saved.
func GetSettings(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Settings, error) {
	s := Settings{TenantID: tenantID}
	var pos *string
	err := q.QueryRow(ctx, `SELECT positioning, icp_industries, icp_client_sizes, icp_stages, icp_regions,
			recruit_goal_min, recruit_goal_max, updated_at
		FROM tenant_settings WHERE tenant_id = $1`, tenantID).
		Scan(&pos, &s.ICPIndustries, &s.ICPClientSizes, &s.ICPStages, &s.ICPRegions, &s.RecruitGoalMin, &s.RecruitGoalMax, &s.UpdatedAt)
	if db.IsNoRows(err) {
		return DefaultSettings(tenantID), nil
	}
	if pos != nil {
		s.Positioning = *pos
	}
	return s, err
}

// SaveSettings stores the firm's settings (validate them first).
func SaveSettings(ctx context.Context, q db.Querier, s Settings) error {
	var pos *string
	if s.Positioning != "" {
		pos = &s.Positioning
	}
	nz := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	_, err := q.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, positioning, icp_industries, icp_client_sizes,
			icp_stages, icp_regions, recruit_goal_min, recruit_goal_max)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id) DO UPDATE SET positioning = EXCLUDED.positioning, icp_industries = EXCLUDED.icp_industries,
			icp_client_sizes = EXCLUDED.icp_client_sizes, icp_stages = EXCLUDED.icp_stages, icp_regions = EXCLUDED.icp_regions,
			recruit_goal_min = EXCLUDED.recruit_goal_min, recruit_goal_max = EXCLUDED.recruit_goal_max, updated_at = now()`,
		s.TenantID, pos, nz(s.ICPIndustries), nz(s.ICPClientSizes), nz(s.ICPStages), nz(s.ICPRegions), s.RecruitGoalMin, s.RecruitGoalMax)
	return err
}
