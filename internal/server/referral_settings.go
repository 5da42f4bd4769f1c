package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// referralSettingsRoutes are the firm's referral settings under
// /t/{tenant}/settings (already limited to ManageSettings): the SLA clocks,
// the attribution rule and claim window, whether a won scope is shared, and
// the qualification checklist partners answer before they submit.
func (s *Server) referralSettingsRoutes(r chi.Router) {
	r.Route("/referrals", func(r chi.Router) {
		r.Get("/", s.showReferralSettings)
		r.Post("/", s.saveReferralSettings)
		r.Post("/questions", s.createReferralQuestion)
		r.Post("/questions/defaults", s.addDefaultReferralQuestions)
		r.Route("/questions/{question}", func(r chi.Router) {
			r.Post("/", s.updateReferralQuestion)
			r.Post("/up", s.moveReferralQuestionUp)
			r.Post("/down", s.moveReferralQuestionDown)
			r.Post("/deactivate", s.deactivateReferralQuestion)
			r.Post("/activate", s.activateReferralQuestion)
			r.Post("/delete", s.deleteReferralQuestion)
		})
	})
}

const referralSettingsTitle = "Referrals & SLA"

func referralSettingsPath(sc *staffCtx) string {
	return "/t/" + sc.Tenant.Slug + "/settings/referrals"
}

// refSettingsTimeZones are the zones offered for the firm's clock: the
// common ones of the regions professional-services firms work in.
var refSettingsTimeZones = []string{
	"UTC",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "America/Halifax",
	"America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
	"Europe/Berlin", "Europe/Zurich", "Europe/Vienna", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm",
	"Europe/Copenhagen", "Europe/Oslo", "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Helsinki",
	"Europe/Istanbul", "Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
	"Asia/Singapore", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth",
	"Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
}

// refSettingsZoneOptions lists the offered zones, plus the firm's current
// one when it was set to another.
func refSettingsZoneOptions(current string) []view.Option {
	zones := refSettingsTimeZones
	if current != "" && !slices.Contains(zones, current) {
		zones = append([]string{current}, zones...)
	}
	out := make([]view.Option, 0, len(zones))
	for _, z := range zones {
		out = append(out, view.Option{Value: z, Label: strings.ReplaceAll(z, "_", " ")})
	}
	return out
}

// refSettingsForm is the form of stored settings.
func refSettingsForm(st referral.Settings) view.ReferralSettingsForm {
	return view.ReferralSettingsForm{TimeZone: st.TimeZone, SLAClock: st.SLAClock,
		FirstResponseHours: strconv.Itoa(st.FirstResponseHours), FirstContactHours: strconv.Itoa(st.FirstContactHours),
		MeetingDays: strconv.Itoa(st.MeetingDays), PartnerResponseHours: strconv.Itoa(st.PartnerResponseHours),
		ReminderHours: strconv.Itoa(st.ReminderHours), AttributionRule: st.AttributionRule,
		ClaimWindowDays: strconv.Itoa(st.ClaimWindowDays), ShareWonScope: st.ShareWonScope}
}

// refSettingsFormFrom reads the settings form as typed.
func refSettingsFormFrom(r *http.Request) view.ReferralSettingsForm {
	f := r.PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return view.ReferralSettingsForm{TimeZone: get("time_zone"), SLAClock: get("sla_clock"),
		FirstResponseHours: get("first_response_hours"), FirstContactHours: get("first_contact_hours"),
		MeetingDays: get("meeting_days"), PartnerResponseHours: get("partner_response_hours"),
		ReminderHours: get("reminder_hours"), AttributionRule: get("attribution_rule"),
		ClaimWindowDays: get("claim_window_days"), ShareWonScope: f.Get("share_won_scope") != ""}
}

// refSettingsLimits are the bounds of each number (the schema's CHECKs),
// checked here so every field gets its message in one go.
var refSettingsLimits = map[string][2]int{
	"first_response_hours":   {1, 720},
	"first_contact_hours":    {1, 720},
	"meeting_days":           {1, 90},
	"partner_response_hours": {1, 720},
	"reminder_hours":         {0, 168},
	"claim_window_days":      {1, 730},
}

// parseRefSettings turns the typed form into settings; EInvalid with a
// message per field (named like the form's fields).
func parseRefSettings(f view.ReferralSettingsForm) (referral.Settings, error) {
	errs := map[string]string{}
	num := func(name, typed string) int {
		lim := refSettingsLimits[name]
		n, err := strconv.Atoi(typed)
		if err != nil || n < lim[0] || n > lim[1] {
			errs[name] = "Use a whole number from " + strconv.Itoa(lim[0]) + " to " + strconv.Itoa(lim[1]) + "."
		}
		return n
	}
	st := referral.Settings{TimeZone: f.TimeZone, SLAClock: f.SLAClock, AttributionRule: f.AttributionRule,
		ShareWonScope:        f.ShareWonScope,
		FirstResponseHours:   num("first_response_hours", f.FirstResponseHours),
		FirstContactHours:    num("first_contact_hours", f.FirstContactHours),
		MeetingDays:          num("meeting_days", f.MeetingDays),
		PartnerResponseHours: num("partner_response_hours", f.PartnerResponseHours),
		ReminderHours:        num("reminder_hours", f.ReminderHours),
		ClaimWindowDays:      num("claim_window_days", f.ClaimWindowDays)}
	if st.TimeZone == "" {
		errs["time_zone"] = "Choose the firm's time zone."
	}
	if st.SLAClock != "business" && st.SLAClock != "calendar" {
		errs["sla_clock"] = "Choose business hours or calendar hours."
	}
	if st.AttributionRule != "first_introduction" && st.AttributionRule != "staff_decides" {
		errs["attribution_rule"] = "Choose who gets the credit."
	}
	// The domain's own checks (the time zone must be a real one, …) add to
	// ours; its fields are named like the form's.
	for k, v := range apperr.FieldErrors(st.Validate()) {
		if errs[k] == "" {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		return st, apperr.Invalid(errs)
	}
	return st, nil
}

// refSettingsDetail is what the audit log keeps of the settings.
func refSettingsDetail(st referral.Settings) map[string]any {
	return map[string]any{"time_zone": st.TimeZone, "sla_clock": st.SLAClock,
		"first_response_hours": st.FirstResponseHours, "first_contact_hours": st.FirstContactHours,
		"meeting_days": st.MeetingDays, "partner_response_hours": st.PartnerResponseHours,
		"reminder_hours": st.ReminderHours, "attribution_rule": st.AttributionRule,
		"claim_window_days": st.ClaimWindowDays, "share_won_scope": st.ShareWonScope}
}

func (s *Server) showReferralSettings(w http.ResponseWriter, r *http.Request) {
	s.renderReferralSettings(w, r, http.StatusOK, nil)
}

// renderReferralSettings loads and shows the page; edit fills in a form's
// input and errors when it is re-shown.
func (s *Server) renderReferralSettings(w http.ResponseWriter, r *http.Request, status int, edit func(*view.ReferralSettingsProps)) {
	ctx := r.Context()
	var st referral.Settings
	var qs []referral.Question
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if st, err = referral.GetSettings(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		qs, err = referral.Questions(ctx, tx, sc.Tenant.ID, false)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	d := view.ReferralSettingsProps{URL: referralSettingsPath(sc), Settings: refSettingsForm(st),
		New: view.ReferralSettingsNewQuestion{Required: true}}
	active, inactive := splitRefQuestions(qs)
	for i, q := range active {
		d.Questions = append(d.Questions, view.ReferralSettingsQuestion{ID: q.ID.String(), Number: i + 1, Question: q.Question,
			Help: q.Help, Required: q.Required, First: i == 0, Last: i == len(active)-1})
	}
	for _, q := range inactive {
		d.Inactive = append(d.Inactive, view.ReferralSettingsQuestion{ID: q.ID.String(), Question: q.Question, Help: q.Help, Required: q.Required})
	}
	if edit != nil {
		edit(&d)
	}
	d.TimeZones = refSettingsZoneOptions(d.Settings.TimeZone)
	s.render(w, r, status, view.ReferralSettingsPage(s.page(r, referralSettingsTitle, "referral-settings"), d))
}

// splitRefQuestions returns the asked questions in checklist order and the
// others.
func splitRefQuestions(qs []referral.Question) (active, inactive []referral.Question) {
	for _, q := range qs {
		if q.Active {
			active = append(active, q)
		} else {
			inactive = append(inactive, q)
		}
	}
	slices.SortStableFunc(active, func(a, b referral.Question) int { return a.Position - b.Position })
	return active, inactive
}

// saveReferralSettings stores the SLA, attribution and closing-the-loop
// settings, all together or not at all.
func (s *Server) saveReferralSettings(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	form := refSettingsFormFrom(r)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		before, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		st, err := parseRefSettings(form)
		if err != nil {
			return err
		}
		if err := referral.SaveSettings(ctx, tx, sc.Tenant.ID, st); err != nil {
			return err
		}
		b, a := refSettingsDetail(before), refSettingsDetail(st)
		changed := map[string]any{}
		for k, v := range a {
			if b[k] != v {
				changed[k] = map[string]any{"from": b[k], "to": v}
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_settings.updated", "tenant", sc.Tenant.ID.String(), changed)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferralSettings(w, r, http.StatusUnprocessableEntity, func(d *view.ReferralSettingsProps) {
			form.Form = formErrors(err)
			d.Settings = form
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Referral settings saved.")
	redirect(w, r, referralSettingsPath(staffFrom(ctx)))
}

// refQuestionFrom reads a question's form.
func refQuestionFrom(r *http.Request) view.ReferralSettingsNewQuestion {
	return view.ReferralSettingsNewQuestion{Question: strings.TrimSpace(r.PostForm.Get("question")),
		Help: strings.TrimSpace(r.PostForm.Get("help")), Required: r.PostForm.Get("required") != ""}
}

// checkRefQuestion checks a question as typed (the table's limits), before
// the domain's own checks.
func checkRefQuestion(f view.ReferralSettingsNewQuestion) error {
	errs := map[string]string{}
	switch n := len([]rune(f.Question)); {
	case n == 0:
		errs["question"] = "Write the question."
	case n > 300:
		errs["question"] = "Keep the question to 300 characters."
	}
	if len([]rune(f.Help)) > 1000 {
		errs["help"] = "Keep the help to 1000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

func refQuestionDetail(q referral.Question) map[string]any {
	return map[string]any{"question": q.Question, "help": q.Help, "required": q.Required,
		"position": q.Position, "active": q.Active}
}

// createReferralQuestion adds a question at the end of the checklist.
func (s *Server) createReferralQuestion(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	form := refQuestionFrom(r)
	var q referral.Question
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		if err := checkRefQuestion(form); err != nil {
			return err
		}
		qs, err := referral.Questions(ctx, tx, sc.Tenant.ID, false)
		if err != nil {
			return err
		}
		q, err = referral.SaveQuestion(ctx, tx, sc.Tenant.ID, referral.Question{Question: form.Question, Help: form.Help,
			Required: form.Required, Position: nextRefQuestionPosition(qs), Active: true})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_question.created", "referral_question", q.ID.String(), refQuestionDetail(q))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferralSettings(w, r, http.StatusUnprocessableEntity, func(d *view.ReferralSettingsProps) {
			form.Form = formErrors(err)
			d.New = form
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Question added to the checklist.")
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#checklist")
}

// nextRefQuestionPosition is one past the last position in use.
func nextRefQuestionPosition(qs []referral.Question) int {
	pos := 0
	for _, q := range qs {
		pos = max(pos, q.Position)
	}
	return pos + 1
}

// addDefaultReferralQuestions gives a firm without questions the suggested
// checklist.
func (s *Server) addDefaultReferralQuestions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	added := 0
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		before, err := referral.Questions(ctx, tx, sc.Tenant.ID, false)
		if err != nil {
			return err
		}
		if len(before) > 0 {
			return nil // the firm has its own checklist: leave it
		}
		if err := referral.SetUpFirm(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		after, err := referral.Questions(ctx, tx, sc.Tenant.ID, false)
		if err != nil {
			return err
		}
		added = len(after)
		if added == 0 {
			return nil
		}
		texts := make([]string, 0, len(after))
		for _, q := range after {
			texts = append(texts, q.Question)
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_questions.defaults_added", "tenant", sc.Tenant.ID.String(),
			map[string]any{"questions": texts})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if added > 0 {
		s.flash(r, "success", "The suggested questions were added; edit them to suit your firm.")
	} else {
		s.flash(r, "info", "Your checklist already has questions; nothing was added.")
	}
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#checklist")
}

// inRefQuestion runs fn in the firm's transaction with the checklist and
// the question named by the {question} path parameter; another firm's or
// a malformed id is not found, before any form is read.
func (s *Server) inRefQuestion(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, q referral.Question, all []referral.Question) error) (referral.Question, error) {
	var q referral.Question
	id, err := idParam(r, "question")
	if err != nil {
		return q, err
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		all, err := referral.Questions(r.Context(), tx, sc.Tenant.ID, false)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(q referral.Question) bool { return q.ID == id })
		if i < 0 {
			return apperr.NotFound("Question")
		}
		q = all[i]
		return fn(tx, sc, q, all)
	})
	return q, err
}

// updateReferralQuestion saves a question's text, help and whether it must
// be answered yes.
func (s *Server) updateReferralQuestion(w http.ResponseWriter, r *http.Request) {
	var form view.ReferralSettingsNewQuestion
	ctx := r.Context()
	q, err := s.inRefQuestion(r, func(tx pgx.Tx, sc *staffCtx, q referral.Question, _ []referral.Question) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		form = refQuestionFrom(r)
		if err := checkRefQuestion(form); err != nil {
			return err
		}
		after := q
		after.Question, after.Help, after.Required = form.Question, form.Help, form.Required
		saved, err := referral.SaveQuestion(ctx, tx, sc.Tenant.ID, after)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_question.updated", "referral_question", q.ID.String(),
			map[string]any{"before": refQuestionDetail(q), "after": refQuestionDetail(saved)})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferralSettings(w, r, http.StatusUnprocessableEntity, func(d *view.ReferralSettingsProps) {
			for i, row := range d.Questions {
				if row.ID == q.ID.String() {
					d.Questions[i].Form = formErrors(err)
					d.Questions[i].Question, d.Questions[i].Help, d.Questions[i].Required = form.Question, form.Help, form.Required
				}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Question saved.")
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#q-"+q.ID.String())
}

func (s *Server) moveReferralQuestionUp(w http.ResponseWriter, r *http.Request) {
	s.moveReferralQuestion(w, r, -1)
}

func (s *Server) moveReferralQuestionDown(w http.ResponseWriter, r *http.Request) {
	s.moveReferralQuestion(w, r, +1)
}

// moveReferralQuestion swaps an asked question with its neighbour and
// numbers the asked questions 1, 2, 3… again. The first can't go up nor
// the last down (nothing changes).
func (s *Server) moveReferralQuestion(w http.ResponseWriter, r *http.Request, by int) {
	ctx := r.Context()
	moved := false
	q, err := s.inRefQuestion(r, func(tx pgx.Tx, sc *staffCtx, q referral.Question, all []referral.Question) error {
		active, _ := splitRefQuestions(all)
		i := slices.IndexFunc(active, func(a referral.Question) bool { return a.ID == q.ID })
		j := i + by
		if i < 0 || j < 0 || j >= len(active) {
			return nil
		}
		active[i], active[j] = active[j], active[i]
		if err := renumberRefQuestions(ctx, tx, sc, active); err != nil {
			return err
		}
		moved = true
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_question.moved", "referral_question", q.ID.String(),
			map[string]any{"question": q.Question, "from": i + 1, "to": j + 1})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if moved {
		s.flash(r, "success", "Question moved.")
	}
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#q-"+q.ID.String())
}

// renumberRefQuestions gives the questions positions 1, 2, 3… in their
// order, saving only those that change.
func renumberRefQuestions(ctx context.Context, tx pgx.Tx, sc *staffCtx, qs []referral.Question) error {
	for i, q := range qs {
		if q.Position == i+1 {
			continue
		}
		q.Position = i + 1
		if _, err := referral.SaveQuestion(ctx, tx, sc.Tenant.ID, q); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) deactivateReferralQuestion(w http.ResponseWriter, r *http.Request) {
	s.setReferralQuestionActive(w, r, false)
}

func (s *Server) activateReferralQuestion(w http.ResponseWriter, r *http.Request) {
	s.setReferralQuestionActive(w, r, true)
}

// setReferralQuestionActive stops asking a question (it is kept, and past
// answers stay on their referrals) or asks it again, last.
func (s *Server) setReferralQuestionActive(w http.ResponseWriter, r *http.Request, active bool) {
	ctx := r.Context()
	q, err := s.inRefQuestion(r, func(tx pgx.Tx, sc *staffCtx, q referral.Question, all []referral.Question) error {
		if q.Active == active {
			return nil
		}
		after := q
		after.Active = active
		if active {
			after.Position = nextRefQuestionPosition(all)
		}
		if _, err := referral.SaveQuestion(ctx, tx, sc.Tenant.ID, after); err != nil {
			return err
		}
		action := "referral_question.deactivated"
		if active {
			action = "referral_question.activated"
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, action, "referral_question", q.ID.String(), map[string]any{"question": q.Question})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if active {
		s.flash(r, "success", "“"+q.Question+"” is asked again, last in the checklist.")
	} else {
		s.flash(r, "success", "“"+q.Question+"” is no longer asked; referrals keep the answers they were given.")
	}
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#checklist")
}

// deleteReferralQuestion removes a question for good; referrals keep the
// answers they were given (the checklist is recorded on each referral).
func (s *Server) deleteReferralQuestion(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := s.inRefQuestion(r, func(tx pgx.Tx, sc *staffCtx, q referral.Question, all []referral.Question) error {
		if err := referral.DeleteQuestion(ctx, tx, sc.Tenant.ID, q.ID); err != nil {
			return err
		}
		if q.Active {
			active, _ := splitRefQuestions(all)
			active = slices.DeleteFunc(active, func(a referral.Question) bool { return a.ID == q.ID })
			if err := renumberRefQuestions(ctx, tx, sc, active); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral_question.deleted", "referral_question", q.ID.String(), refQuestionDetail(q))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "“"+q.Question+"” was deleted; referrals keep the answers they were given.")
	redirect(w, r, referralSettingsPath(staffFrom(ctx))+"#checklist")
}
