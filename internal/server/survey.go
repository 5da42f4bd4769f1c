package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/survey"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// clientSurveyRoutes is the client satisfaction survey behind the emailed
// link: public (no login), one answer per link.
func (s *Server) clientSurveyRoutes(r chi.Router) {
	r.Get("/s/{tenant}/{token}", s.showClientSurvey)
	r.Post("/s/{tenant}/{token}", s.answerClientSurvey)
}

// partnerSatisfactionRoutes is a partner's Satisfaction tab (under
// /partners/{id}): every staff role reads it; recording a client's score
// needs ManagePartners.
func (s *Server) partnerSatisfactionRoutes(r chi.Router) {
	r.Get("/satisfaction", s.showSatisfaction)
	r.With(s.requireCap(auth.ManagePartners)).Post("/satisfaction", s.recordSatisfaction)
}

// openClientSurvey finds the firm of a link's slug; an unknown firm
// answers like a wrong token.
func (s *Server) openClientSurvey(r *http.Request) (tenant.Tenant, error) {
	ctx := r.Context()
	var t tenant.Tenant
	err := s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
		t, err = tenant.BySlug(ctx, tx, chi.URLParam(r, "tenant"))
		return err
	})
	if apperr.Code(err) == apperr.ENotFound {
		return t, survey.ErrLinkNotFound
	}
	return t, err
}

func clientSurveyTitle(t tenant.Tenant) string { return "Your feedback for " + t.Name }

// renderClientSurvey shows the link's page in its state: the form (with
// the input and errors of a failed answer), the answer taken, or expired.
func (s *Server) renderClientSurvey(w http.ResponseWriter, r *http.Request, t tenant.Tenant, l survey.Link, in survey.Answer, ferr error) {
	now := s.now()
	d := view.ClientSurveyProps{FirmName: t.Name, Engagement: l.EngagementName, Action: r.URL.Path,
		State: view.ClientSurveyOpen, Expires: l.ExpiresAt().Format("2 January 2006"), Comment: in.Comment}
	status := http.StatusOK
	switch {
	case l.Answered():
		d.State = view.ClientSurveyAnswered
		if r.Method == http.MethodPost {
			status = http.StatusConflict
		}
	case l.Expired(now):
		d.State, status = view.ClientSurveyExpired, http.StatusGone
	case ferr != nil:
		d.Form, status = formErrors(ferr), statusFor(apperr.Code(ferr))
	}
	d.Score = view.ClientScale("score", "How satisfied are you so far?", in.Score, d.Form.Err("score"))
	s.render(w, r, status, view.ClientSurveyPage(s.page(r, clientSurveyTitle(t), ""), d))
}

// showClientSurvey opens a survey link. A wrong token, or one of another
// firm, is 404; an expired link 410.
func (s *Server) showClientSurvey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.openClientSurvey(r)
	var l survey.Link
	if err == nil {
		err = s.DB.InTenant(ctx, t.ID, func(tx pgx.Tx) (err error) {
			l, err = survey.OpenLink(ctx, tx, t.ID, chi.URLParam(r, "token"))
			return err
		})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderClientSurvey(w, r, t, l, survey.Answer{}, nil)
}

// answerClientSurvey takes the client's answer, once; then back to the
// link's page, which thanks them.
func (s *Server) answerClientSurvey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.openClientSurvey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := survey.Answer{Score: r.PostForm.Get("score"), Comment: r.PostForm.Get("comment")}
	token := chi.URLParam(r, "token")
	var l survey.Link
	err = s.DB.InTenant(ctx, t.ID, func(tx pgx.Tx) (err error) {
		l, err = survey.AnswerLink(ctx, tx, t.ID, token, in, s.now())
		return err
	})
	switch {
	case err == nil:
		s.flash(r, "success", "Thank you! Your answer has been sent to "+t.Name+".")
		redirect(w, r, r.URL.Path)
	case errors.Is(err, survey.ErrAnswered), errors.Is(err, survey.ErrExpired):
		// The link's page says which; l was loaded before the refusal.
		if errors.Is(err, survey.ErrAnswered) && !l.Answered() {
			now := s.now()
			l.AnsweredAt = &now
		}
		s.renderClientSurvey(w, r, t, l, in, nil)
	case apperr.Code(err) == apperr.EInvalid:
		s.renderClientSurvey(w, r, t, l, in, err)
	default:
		s.fail(w, r, err)
	}
}

// showSatisfaction is the partner's Satisfaction tab.
func (s *Server) showSatisfaction(w http.ResponseWriter, r *http.Request) {
	s.renderSatisfaction(w, r, http.StatusOK, nil)
}

// satisfactionQuarters is how many quarters of client satisfaction the
// tab shows.
const satisfactionQuarters = 8

// renderSatisfaction loads and shows the {id} partner's tab; edit fills
// in the record form's input and errors when it is re-shown.
func (s *Server) renderSatisfaction(w http.ResponseWriter, r *http.Request, status int, edit func(*view.SatisfactionProps)) {
	ctx := r.Context()
	now := s.now()
	var (
		today    time.Time
		csat     []survey.QuarterCSAT
		cc       []survey.ClientComment
		es       []survey.EngagementSurvey
		years    []survey.YearSatisfaction
		comments []survey.PartnerResponse
	)
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if today, err = survey.Today(ctx, tx, sc.Tenant.ID, now); err != nil {
			return err
		}
		qs, err := survey.LastQuarters(ctx, tx, sc.Tenant.ID, now, satisfactionQuarters)
		if err != nil {
			return err
		}
		if csat, err = survey.ClientCSATByQuarter(ctx, tx, sc.Tenant.ID, p.ID, qs); err != nil {
			return err
		}
		if cc, err = survey.ClientComments(ctx, tx, sc.Tenant.ID, p.ID, 10); err != nil {
			return err
		}
		if es, err = survey.PartnerEngagements(ctx, tx, sc.Tenant.ID, p.ID, 100); err != nil {
			return err
		}
		if years, err = survey.PartnerYears(ctx, tx, sc.Tenant.ID, p.ID, 5); err != nil {
			return err
		}
		comments, err = survey.PartnerComments(ctx, tx, sc.Tenant.ID, p.ID, 10)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	d := view.SatisfactionProps{Header: partnerHeader(sc, p, "satisfaction"), CanRecord: sc.Role.Can(auth.ManagePartners)}
	var sum, n int64
	for _, c := range csat {
		row := view.CSATRow{Quarter: c.Quarter.Label(), Count: int(c.Count), Avg: "–"}
		if c.Count > 0 {
			row.AvgX10 = c.AvgX10()
			row.Avg = survey.FormatAvg(row.AvgX10)
		}
		sum, n = sum+c.Sum, n+c.Count
		d.CSAT = append(d.CSAT, row)
	}
	if n > 0 {
		d.CSATTotal = "Over these 8 quarters: " + survey.FormatAvg(survey.QuarterCSAT{Sum: sum, Count: n}.AvgX10()) +
			" from " + satAnswers(int(n)) + "."
	}
	for _, c := range cc {
		who := ""
		if c.Source == "staff" {
			who = "recorded by " + orWord(c.RecordedBy, "staff")
		}
		d.ClientComments = append(d.ClientComments, view.SatComment{Date: c.AnsweredAt.Format(dayFormat),
			Score: strconv.Itoa(c.Score) + "/5", About: c.EngagementName + " (" + c.ClientCompany + ")", Who: who, Comment: c.Comment})
	}
	pick := r.URL.Query().Get("engagement")
	d.Record = view.RecordScoreForm{Action: base + "/satisfaction", Engagement: pick,
		Score: view.ClientScale("score", "How satisfied is the client?", "", "")}
	for _, e := range es {
		st := e.State(today, now)
		row := view.SatEngagement{ID: e.EngagementID.String(), Name: e.Name, Client: e.ClientCompany,
			Referral: referralRef(e.ReferralNumber), Started: e.StartedOn.Format(dayFormat), Note: e.Why(today, now)}
		switch st {
		case survey.StateAnswered:
			row.Status, row.Tone = strconv.Itoa(e.Score)+"/5", "success"
			if e.Source == "staff" {
				row.Note = "Recorded by staff on " + e.AnsweredAt.Format(dayFormat) + "."
			} else {
				row.Note = "Answered on " + e.AnsweredAt.Format(dayFormat) + "."
			}
		case survey.StateSent:
			row.Status, row.Tone = "Waiting for the answer", "info"
			row.Note = "Emailed on " + e.SentAt.Format(dayFormat) + "."
		case survey.StateExpired:
			row.Status, row.Tone = "Not answered", "warning"
			row.Note = "Emailed on " + e.SentAt.Format(dayFormat) + "; the link has expired."
		case survey.StateScheduled:
			row.Status, row.Tone = "Scheduled", "neutral"
			row.Note = "Emailed on " + e.SendsOn(today).Format(dayFormat) + "."
		default:
			row.Status, row.Tone = "Not asked", "neutral"
		}
		d.Engagements = append(d.Engagements, row)
		if st != survey.StateAnswered {
			d.Record.Engagements = append(d.Record.Engagements, view.Option{Value: row.ID,
				Label: e.Name + " (" + row.Referral + ", started " + row.Started + ")"})
		}
	}
	for _, y := range years {
		nps := strconv.Itoa(y.NPS())
		if y.NPS() > 0 {
			nps = "+" + nps
		}
		d.Years = append(d.Years, view.SatYear{Year: strconv.Itoa(y.Year), N: y.N, Avg: survey.FormatAvg(y.AvgX10()),
			Detractors: y.Detractors, Passives: y.Passives, Promoters: y.Promoters, NPS: nps})
	}
	for _, c := range comments {
		d.PartnerComments = append(d.PartnerComments, view.SatComment{Date: c.AnsweredAt.Format(dayFormat),
			Score: strconv.Itoa(c.Score) + "/10", About: strconv.Itoa(c.Year) + " survey", Who: c.UserName, Comment: c.Comment})
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.PartnerSatisfactionPage(s.page(r, p.Name, "partners"), d))
}

// recordSatisfaction records a client's score heard by staff.
func (s *Server) recordSatisfaction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in := survey.RecordInput{EngagementID: r.PostForm.Get("engagement_id"),
		Answer: survey.Answer{Score: r.PostForm.Get("score"), Comment: r.PostForm.Get("comment")}}
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		var by uuid.UUID
		if u := userFrom(ctx); u != nil {
			by = u.ID
		}
		_, err := survey.Record(ctx, tx, sc.Tenant.ID, p.ID, in, by, s.now())
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderSatisfaction(w, r, statusFor(code), func(d *view.SatisfactionProps) {
			f := formErrors(err)
			d.Record.Form, d.Record.Engagement, d.Record.Comment = f, in.EngagementID, in.Comment
			d.Record.Score = view.ClientScale("score", "How satisfied is the client?", in.Score, f.Err("score"))
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The client's score is recorded.")
	redirect(w, r, "/t/"+staffFrom(ctx).Tenant.Slug+"/partners/"+p.ID.String()+"/satisfaction")
}

func satAnswers(n int) string {
	if n == 1 {
		return "1 answer"
	}
	return strconv.Itoa(n) + " answers"
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
