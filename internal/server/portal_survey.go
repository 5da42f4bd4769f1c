package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/survey"
	"github.com/allyway/allyway/web/view"
)

// portalSurveyRoutes is the partner satisfaction survey in the portal:
// once a year, every portal user of the partner answers it.
func (s *Server) portalSurveyRoutes(r chi.Router) {
	r.Get("/survey", s.showPortalSurvey)
	r.Post("/survey", s.answerPortalSurvey)
}

// portalSurveyPrompt is the portal home's card asking this year's
// question; nil once the user has answered it.
func (s *Server) portalSurveyPrompt(r *http.Request, tx pgx.Tx, pc *portalCtx) (*view.SurveyPrompt, error) {
	year, due, err := survey.PromptDue(r.Context(), tx, pc.Tenant.ID, pc.Member.PartnerID, pc.Member.UserID, s.now())
	if err != nil || !due {
		return nil, err
	}
	return &view.SurveyPrompt{FirmName: pc.Tenant.Name, Year: strconv.Itoa(year), URL: "/p/" + pc.Tenant.Slug + "/survey"}, nil
}

func (s *Server) showPortalSurvey(w http.ResponseWriter, r *http.Request) {
	s.renderPortalSurvey(w, r, http.StatusOK, survey.Answer{}, nil)
}

// renderPortalSurvey shows this year's form (with the input and errors of
// a failed answer) or the answer given; ferr ErrAlreadyAnswered says so on
// top of the answer.
func (s *Server) renderPortalSurvey(w http.ResponseWriter, r *http.Request, status int, in survey.Answer, ferr error) {
	ctx := r.Context()
	var year int
	var ans *survey.PartnerResponse
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if year, err = survey.Year(ctx, tx, pc.Tenant.ID, s.now()); err != nil {
			return err
		}
		ans, err = survey.PartnerAnswer(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, pc.Member.UserID, year)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	base := "/p/" + pc.Tenant.Slug
	d := view.PortalSurveyProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName, Year: strconv.Itoa(year),
		Action: base + "/survey", HomeURL: base, Comment: in.Comment}
	if ferr != nil && !errors.Is(ferr, survey.ErrAlreadyAnswered) {
		d.Form = formErrors(ferr)
	}
	d.Score = view.PartnerScale(in.Score, d.Form.Err("score"))
	if ans != nil {
		d.Answered = &view.PortalSurveyAnswer{Score: strconv.Itoa(ans.Score), Comment: ans.Comment,
			On: ans.AnsweredAt.Format(dayFormat)}
	}
	p := s.page(r, strconv.Itoa(year)+" partnership survey", "home")
	if errors.Is(ferr, survey.ErrAlreadyAnswered) {
		p.Flash = &view.Flash{Kind: "info", Message: apperr.Message(ferr)}
	}
	s.render(w, r, status, view.PortalSurveyPage(p, d))
}

// answerPortalSurvey keeps the user's answer for this year, once; then
// back to the portal home.
func (s *Server) answerPortalSurvey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in := survey.Answer{Score: r.PostForm.Get("score"), Comment: r.PostForm.Get("comment")}
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		_, err := survey.SubmitPartner(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, pc.Member.UserID, in, s.now())
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderPortalSurvey(w, r, statusFor(code), in, err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	s.flash(r, "success", "Thank you! "+pc.Tenant.Name+" has your answer.")
	redirect(w, r, "/p/"+pc.Tenant.Slug)
}
