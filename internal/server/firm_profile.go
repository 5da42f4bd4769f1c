package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// firmProfileRoutes are the firm's profile settings under
// /t/{tenant}/settings (already limited to ManageSettings): positioning,
// ideal client profile and the recruiting goal.
func (s *Server) firmProfileRoutes(r chi.Router) {
	r.Get("/firm", s.showFirmProfile)
	r.Post("/firm", s.saveFirmProfile)
}

// Labels of the firm profile's choices.
var (
	positioningLabels = map[string]string{"premium": "Premium", "mid_market": "Mid-market", "value": "Value"}
	clientSizeLabels  = map[string]string{"solo": "Solo / freelancers", "small": "Small businesses",
		"mid_market": "Mid-market", "enterprise": "Enterprise"}
	stageLabels = map[string]string{"idea": "Idea", "seed": "Seed", "series_a": "Series A", "series_b": "Series B",
		"growth": "Growth", "mature": "Mature"}
)

// firmProfileForm is the firm profile form as typed.
type firmProfileForm struct {
	positioning, industries, regions string
	sizes, stages                    []string
	goalMin, goalMax                 string
}

func firmProfileFormOf(st tenant.Settings) firmProfileForm {
	return firmProfileForm{positioning: st.Positioning, industries: strings.Join(st.ICPIndustries, ", "),
		regions: strings.Join(st.ICPRegions, ", "), sizes: st.ICPClientSizes, stages: st.ICPStages,
		goalMin: strconv.Itoa(st.RecruitGoalMin), goalMax: strconv.Itoa(st.RecruitGoalMax)}
}

func checkOptions(values []string, labels map[string]string, checked []string) []view.CheckOption {
	out := make([]view.CheckOption, 0, len(values))
	for _, v := range values {
		out = append(out, view.CheckOption{Value: v, Label: labels[v], Checked: slices.Contains(checked, v)})
	}
	return out
}

func (s *Server) renderFirmProfile(w http.ResponseWriter, r *http.Request, status int, f firmProfileForm, errs view.Form) {
	sc := staffFrom(r.Context())
	d := view.FirmProfileProps{Form: errs, Base: "/t/" + sc.Tenant.Slug, Positioning: f.positioning,
		Industries: f.industries, Regions: f.regions, GoalMin: f.goalMin, GoalMax: f.goalMax,
		ClientSizes: checkOptions(tenant.ClientSizes, clientSizeLabels, f.sizes),
		Stages:      checkOptions(tenant.Stages, stageLabels, f.stages)}
	for _, p := range tenant.Positionings {
		d.Positionings = append(d.Positionings, view.Option{Value: p, Label: positioningLabels[p]})
	}
	s.render(w, r, status, view.FirmProfilePage(s.page(r, "Firm profile", "firm"), d))
}

// showFirmProfile shows the firm's settings (the defaults until saved).
func (s *Server) showFirmProfile(w http.ResponseWriter, r *http.Request) {
	var st tenant.Settings
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		st, err = tenant.GetSettings(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderFirmProfile(w, r, http.StatusOK, firmProfileFormOf(st), view.Form{})
}

// saveFirmProfile validates and stores the firm's settings.
func (s *Server) saveFirmProfile(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	pf := r.PostForm
	f := firmProfileForm{positioning: pf.Get("positioning"), industries: pf.Get("icp_industries"), regions: pf.Get("icp_regions"),
		sizes: pf["icp_client_sizes"], stages: pf["icp_stages"], goalMin: pf.Get("recruit_goal_min"), goalMax: pf.Get("recruit_goal_max")}
	st := tenant.Settings{TenantID: sc.Tenant.ID, Positioning: f.positioning,
		ICPIndustries: tenant.NormalizeList(f.industries), ICPRegions: tenant.NormalizeList(f.regions),
		ICPClientSizes: f.sizes, ICPStages: f.stages}
	errs := map[string]string{}
	var err error
	if st.RecruitGoalMin, err = strconv.Atoi(strings.TrimSpace(f.goalMin)); err != nil {
		errs["recruit_goal_min"] = "Use a whole number from 0 to 1000."
	}
	if st.RecruitGoalMax, err = strconv.Atoi(strings.TrimSpace(f.goalMax)); err != nil {
		errs["recruit_goal_max"] = "Use a whole number from 0 to 1000."
	}
	if verr := st.Validate(); verr != nil {
		for k, v := range apperr.FieldErrors(verr) {
			if _, seen := errs[k]; !seen {
				errs[k] = v
			}
		}
	}
	if len(errs) == 0 {
		err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
			if err := tenant.SaveSettings(ctx, tx, st); err != nil {
				return err
			}
			return audit.Record(ctx, tx, sc.Tenant.ID, "settings.updated", "tenant", sc.Tenant.ID.String(), map[string]any{
				"positioning": st.Positioning, "icp_industries": st.ICPIndustries, "icp_client_sizes": st.ICPClientSizes,
				"icp_stages": st.ICPStages, "icp_regions": st.ICPRegions,
				"recruit_goal_min": st.RecruitGoalMin, "recruit_goal_max": st.RecruitGoalMax})
		})
	} else {
		err = apperr.Invalid(errs)
	}
	if apperr.Code(err) == apperr.EInvalid {
		s.renderFirmProfile(w, r, http.StatusUnprocessableEntity, f, formErrors(err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The firm profile was saved.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/settings/firm")
}
