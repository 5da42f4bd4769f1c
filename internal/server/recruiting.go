package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// recruitingRoutes are the recruiting board under /t/{tenant} (any staff)
// and the tier assignment a partner manager makes from it — or from any
// page that embeds view.TierSelectForm.
func (s *Server) recruitingRoutes(r chi.Router) {
	r.Get("/recruiting", s.showRecruiting)
	r.Get("/recruiting/export.csv", s.recruitingExport)
	r.With(s.requireCap(auth.ManagePartners)).Post("/recruiting/tier", s.assignTier)
}

var recruitingStages = map[string]struct{ label, empty string }{
	"prospect":   {"Prospects", "No prospects. Add firms you might partner with; the gap report shows which services to look for."},
	"qualifying": {"Qualifying", "Nobody is being qualified right now."},
	"onboarding": {"Onboarding", "Nobody is being onboarded right now."},
}

// showRecruiting is the board of prospects by stage and the year's goal.
func (s *Server) showRecruiting(w http.ResponseWriter, r *http.Request) {
	s.renderRecruiting(w, r, http.StatusOK, "")
}

func (s *Server) renderRecruiting(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	now := s.now().UTC()
	from, to := partner.YearBounds(now)
	var (
		pipeline, newActive []partner.Partner
		tiers               []partner.Tier
		st                  tenant.Settings
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if pipeline, err = partner.Pipeline(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if newActive, err = partner.NewActive(ctx, tx, sc.Tenant.ID, from, to); err != nil {
			return err
		}
		if st, err = tenant.GetSettings(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if sc.Role.Can(auth.ManagePartners) {
			tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID)
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	d := view.RecruitingProps{Base: base, Year: now.Year(), GoalMin: st.RecruitGoalMin, GoalMax: st.RecruitGoalMax,
		Actual: len(newActive), GoalStatus: partner.GoalStatus(len(newActive), st.RecruitGoalMin, st.RecruitGoalMax),
		CanManage: sc.Role.Can(auth.ManagePartners), CanAdmin: sc.Role.Can(auth.ManageSettings),
		ExportURL: base + "/recruiting/export.csv"}
	for _, t := range tiers {
		d.Tiers = append(d.Tiers, view.Option{Value: t.ID.String(), Label: t.Name})
	}
	card := func(p partner.Partner) view.RecruitingCard {
		c := view.RecruitingCard{ID: p.ID.String(), Name: p.Name, Model: partner.TypeLabels[p.Type], Owner: p.OwnerName,
			Status: p.Status, Days: partner.DaysInStage(now, p.StatusChangedAt)}
		if p.TierID != nil {
			c.TierID = p.TierID.String()
		}
		if d.CanManage && p.Status != "prospect" && p.Status != "qualifying" {
			c.TierAction = view.TierAssignAction(base, c.ID, base+"/recruiting")
		}
		return c
	}
	for _, status := range partner.PipelineStatuses {
		col := view.RecruitingColumn{Status: status, Label: recruitingStages[status].label, Empty: recruitingStages[status].empty}
		for _, p := range pipeline {
			if p.Status == status {
				col.Cards = append(col.Cards, card(p))
			}
		}
		d.Columns = append(d.Columns, col)
	}
	for _, p := range newActive {
		c := card(p)
		if p.Status == "inactive" || p.Status == "ended" {
			c.TierAction = ""
		}
		d.NewActive = append(d.NewActive, c)
	}
	page := s.page(r, "Recruiting", "recruiting")
	if errMsg != "" {
		page.Flash = &view.Flash{Kind: "error", Message: errMsg}
	}
	s.render(w, r, status, view.RecruitingPage(page, d))
}

// assignTier puts a partner in a tier (tier_id empty: in none). The
// partner is found in the firm first: another firm's partner is 404.
func (s *Server) assignTier(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	partnerID, err := uuid.Parse(r.Form.Get("partner_id"))
	if err != nil {
		s.fail(w, r, apperr.NotFound("Partner"))
		return
	}
	raw := r.PostForm.Get("tier_id")
	var p partner.Partner
	var tierName string
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if p, err = partner.Get(ctx, tx, sc.Tenant.ID, partnerID); err != nil {
			return err
		}
		var tierID *uuid.UUID
		if raw != "" {
			id, perr := uuid.Parse(raw)
			if perr != nil {
				return apperr.Invalid(map[string]string{"tier_id": "Choose one of the tiers."})
			}
			tierID = &id
		}
		if err = partner.SetTier(ctx, tx, sc.Tenant.ID, p.ID, tierID); err != nil {
			return err
		}
		detail := map[string]any{"from": idOrNil(p.TierID), "to": idOrNil(tierID)}
		if tierID != nil {
			t, err := partner.GetTier(ctx, tx, sc.Tenant.ID, *tierID)
			if err != nil {
				return err
			}
			tierName = t.Name
			detail["tier"] = t.Name
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.tier_set", "partner", p.ID.String(), detail)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderRecruiting(w, r, http.StatusUnprocessableEntity, "Choose one of the tiers for "+p.Name+".")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tierName == "" {
		s.flash(r, "success", p.Name+" is in no tier now.")
	} else {
		s.flash(r, "success", p.Name+" is in "+tierName+" now.")
	}
	to := safeNext(r.Form.Get("next"))
	if to == "" {
		to = "/t/" + sc.Tenant.Slug + "/recruiting"
	}
	redirect(w, r, to)
}

func idOrNil(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return id.String()
}

// recruitingExportHeader are the columns of the recruiting export.
var recruitingExportHeader = []string{"partner", "stage", "model", "owner", "tier", "in stage since", "days in stage"}

// recruitingExport downloads the board, one row per candidate with its
// stage (prospect, qualifying, onboarding, then this year's new partners
// as "active"), as CSV; ?stage= keeps one column.
func (s *Server) recruitingExport(w http.ResponseWriter, r *http.Request) {
	stage := r.URL.Query().Get("stage")
	now := s.now().UTC()
	from, to := partner.YearBounds(now)
	s.exportCSV(w, r, "recruiting", recruitingExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		row := func(p partner.Partner, stage string) error {
			return write(p.Name, stage, partner.TypeLabels[p.Type], p.OwnerName, p.TierName,
				p.StatusChangedAt.UTC().Format(time.DateOnly), strconv.Itoa(partner.DaysInStage(now, p.StatusChangedAt)))
		}
		pipeline, err := partner.Pipeline(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		for _, status := range partner.PipelineStatuses {
			if stage != "" && stage != status {
				continue
			}
			for _, p := range pipeline {
				if p.Status == status {
					if err := row(p, status); err != nil {
						return err
					}
				}
			}
		}
		if stage != "" && stage != "active" {
			return nil
		}
		newActive, err := partner.NewActive(ctx, tx, sc.Tenant.ID, from, to)
		if err != nil {
			return err
		}
		for _, p := range newActive {
			if err := row(p, "active"); err != nil {
				return err
			}
		}
		return nil
	})
}
