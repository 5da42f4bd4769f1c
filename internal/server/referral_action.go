package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// What staff do on a referral's page: move it, add notes, set people, record guardrails and fit, resolve a conflict, send the introduction, hand it on.

// onReferral runs fn for the {id} referral of the firm (404 before the
// form is looked at when it isn't the firm's). It returns the id.
func (s *Server) onReferral(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error) (uuid.UUID, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return id, err
	}
	return id, s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ref, err := referral.Get(r.Context(), tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		return fn(tx, sc, ref)
	})
}

// actorID is the signed-in person.
func actorID(r *http.Request) uuid.UUID {
	if u := userFrom(r.Context()); u != nil {
		return u.ID
	}
	return uuid.Nil
}

// done flashes msg and goes back to the referral's page (at anchor).
func (s *Server) done(w http.ResponseWriter, r *http.Request, id uuid.UUID, msg, anchor string) {
	s.flash(r, "success", msg)
	redirect(w, r, referralPath(staffFrom(r.Context()), id)+anchor)
}

// referralMove moves the pipeline: one of the forward stages, won (with the
// engagement) or lost/declined (with a reason and a note for the partner).
// An illegal move is 422 with the message naming the allowed moves.
func (s *Server) referralMove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in referral.TransitionInput
	var kept view.ReferralMoveForm
	var moved referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		f := r.PostForm
		in = referral.TransitionInput{To: strings.TrimSpace(f.Get("to")), Reason: f.Get("reason"),
			NoteForPartner: f.Get("note_for_partner"), NoteInternal: f.Get("note_internal"),
			ActorUserID: actorID(r), ActorKind: "staff"}
		kept = view.ReferralMoveForm{Which: f.Get("form"), To: in.To, Reason: in.Reason, NoteForPartner: in.NoteForPartner,
			NoteInternal: in.NoteInternal, EngKind: f.Get("engagement_kind"), EngName: f.Get("engagement_name"),
			EngValue: f.Get("engagement_value"), EngStart: f.Get("engagement_started_on"), EngScope: f.Get("engagement_scope")}
		if in.To == referral.Won {
			in.Engagement = &referral.EngagementInput{Kind: kept.EngKind, Name: kept.EngName, Scope: kept.EngScope,
				Value: kept.EngValue, StartedOn: kept.EngStart}
		}
		var err error
		moved, err = referral.Transition(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, in)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		// Invalid input (422), or a move the referral's state refuses, like
		// won while its attribution is open (409): the form again, kept.
		fe := formErrors(err)
		if kept.Which == "" {
			kept.Which = whichForm(in.To)
		}
		s.renderReferral(w, r, statusFor(code), id, func(d *view.ReferralShowProps) {
			kept.Form = engagementErrors(fe)
			kept.Action, kept.Advance, kept.CanWin, kept.Close = d.Move.Action, d.Move.Advance, d.Move.CanWin, d.Move.Close
			kept.Reasons, kept.Kinds, kept.Guardrail = d.Move.Reasons, d.Move.Kinds, d.Move.Guardrail
			d.Move = kept
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, moved.Ref()+" is now "+referral.StatusLabel(moved.Status)+".", "")
}

// whichForm is the move form a target stage belongs to.
func whichForm(to string) string {
	switch to {
	case referral.Won:
		return "won"
	case referral.Lost, referral.Declined:
		return "close"
	}
	return "advance"
}

// engagementErrors maps the domain's engagement field keys to the form's
// (both "engagement.name" and "name" forms are understood) and keeps a
// message that isn't about a field.
func engagementErrors(f view.Form) view.Form {
	out := view.Form{NonField: f.NonField, Errors: view.FieldErrors{}}
	for k, msg := range f.Errors {
		key := k
		for _, p := range []string{"engagement.", "engagement_"} {
			key = strings.TrimPrefix(key, p)
		}
		switch key {
		case "kind", "name", "scope", "value", "started_on":
			out.Errors["engagement_"+key] = msg
		default:
			out.Errors[k] = msg
		}
	}
	// A field the form doesn't show (e.g. a guardrail) is said at the top.
	for k, msg := range out.Errors {
		switch k {
		case "to", "reason", "note_for_partner", "note_internal", "engagement_kind", "engagement_name",
			"engagement_scope", "engagement_value", "engagement_started_on":
		default:
			out.NonField = append(out.NonField, msg)
		}
	}
	return out
}

// referralNote adds an internal note or a note the partner sees (and is emailed).
func (s *Server) referralNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var body string
	var forPartner bool
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		body, forPartner = r.PostForm.Get("body"), r.PostForm.Get("for_partner") == "1"
		if strings.TrimSpace(body) == "" {
			return apperr.Invalid(map[string]string{"body": "Write the note."})
		}
		return referral.AddNote(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, actorID(r), "staff", body, forPartner)
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			nf := view.ReferralNoteForm{Form: formErrors(err), Body: body}
			if nf.Err("body") != "" {
				nf.NonField = nil
			}
			if forPartner {
				d.NotePartner = nf
			} else {
				d.NoteInternal = nf
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Internal note added."
	if forPartner {
		msg = "Note sent to the partner."
	}
	s.done(w, r, id, msg, "#timeline")
}

// optionalUser reads a staff select: "" is nobody; anything else must be on
// the firm's staff.
func optionalUser(staff []tenant.Member, raw, field string, errs map[string]string) *uuid.UUID {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	id, err := uuid.Parse(raw)
	if err == nil {
		for _, m := range staff {
			if m.UserID == id && !m.Disabled {
				return &id
			}
		}
	}
	errs[field] = "Choose someone on your firm's staff."
	return nil
}

// referralOwner records who owns and who originated the referral.
func (s *Server) referralOwner(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var form view.ReferralOwnerForm
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		form.Owner, form.Originator = r.PostForm.Get("owner"), r.PostForm.Get("originator")
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		errs := map[string]string{}
		owner := optionalUser(staff, form.Owner, "owner", errs)
		originator := optionalUser(staff, form.Originator, "originator", errs)
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		return referral.SetOwner(ctx, tx, sc.Tenant.ID, ref.ID, owner, originator, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			form.Form, form.Staff = formErrors(err), d.OwnerForm.Staff
			for from, to := range map[string]string{"owner_user_id": "owner", "originator_user_id": "originator"} {
				if msg, ok := form.Errors[from]; ok {
					form.Errors[to] = msg
					delete(form.Errors, from)
				}
			}
			d.OwnerForm = form
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Owner and originator saved.", "#people")
}

// referralAssists names the partners who assisted (only the firm's partners).
func (s *Server) referralAssists(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var chosen []string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		chosen = r.PostForm["assist"]
		var ids []uuid.UUID
		for _, raw := range chosen {
			pid, err := uuid.Parse(raw)
			if err != nil {
				return apperr.Invalid(map[string]string{"assist": "Choose partners from the list."})
			}
			if _, err := partner.Get(ctx, tx, sc.Tenant.ID, pid); err != nil {
				if apperr.Code(err) == apperr.ENotFound {
					return apperr.Invalid(map[string]string{"assist": "Choose partners from the list."})
				}
				return err
			}
			if !slices.Contains(ids, pid) {
				ids = append(ids, pid)
			}
		}
		return referral.SetAssists(ctx, tx, sc.Tenant.ID, ref.ID, ids, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			// The choices are checkboxes: any message goes on top.
			d.AssistForm.Form = view.Form{NonField: []string{apperr.Message(err)}}
			if fe := apperr.FieldErrors(err); len(fe) > 0 {
				d.AssistForm.NonField = nil
				for _, msg := range fe {
					d.AssistForm.NonField = append(d.AssistForm.NonField, msg)
				}
			}
			d.AssistForm.Selected = map[string]bool{}
			for _, c := range chosen {
				d.AssistForm.Selected[c] = true
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Assisting partners saved.", "#people")
}

var guardrailDone = map[string]string{
	"fee_disclosed":     "The client's fee disclosure is recorded.",
	"conflicts_cleared": "Conflicts cleared is recorded.",
	"attest_client":     "The attest-client mark is changed.",
}

// referralGuardrail records a profession guardrail (or toggles attest).
func (s *Server) referralGuardrail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var which string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		which = r.PostForm.Get("which")
		if _, ok := guardrailDone[which]; !ok {
			return apperr.Invalid(map[string]string{"which": "Choose a guardrail to record."})
		}
		return referral.RecordGuardrail(ctx, tx, sc.Tenant.ID, ref.ID, which, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			d.Guardrails.Form = view.Form{NonField: []string{apperr.Message(err)}}
			for _, msg := range apperr.FieldErrors(err) {
				d.Guardrails.Form.NonField = []string{msg}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, guardrailDone[which], "#guardrails")
}

// referralFit records whether a closed referral was a good fit.
func (s *Server) referralFit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var fit, note string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		fit, note = r.PostForm.Get("fit"), r.PostForm.Get("note")
		if fit != "good" && fit != "poor" {
			return apperr.Invalid(map[string]string{"fit": "Say whether it was a good fit."})
		}
		return referral.SetFit(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, fit, note, actorID(r))
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EConflict {
		s.renderReferral(w, r, statusFor(code), id, func(d *view.ReferralShowProps) {
			d.Fit.Form, d.Fit.Fit, d.Fit.Note = formErrors(err), fit, note
			if msg, ok := d.Fit.Errors["fit_note"]; ok {
				d.Fit.Errors["note"] = msg
				delete(d.Fit.Errors, "fit_note")
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Fit feedback saved; the partner can see it.", "#fit")
}

// referralResolve decides an attribution conflict: the credited partner and
// a note (the other partner is told kindly). From the queue it goes back there.
func (s *Server) referralResolve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var credited, note, back string
	var ref referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, got referral.Referral) error {
		ref = got
		credited, note, back = r.PostForm.Get("credited_partner_id"), r.PostForm.Get("note"), r.PostForm.Get("back")
		if ref.ConflictStatus != "open" {
			return apperr.Invalid(map[string]string{"credited_partner_id": "This referral has no open conflict."})
		}
		pid, err := uuid.Parse(credited)
		if err != nil {
			return apperr.Invalid(map[string]string{"credited_partner_id": "Choose the partner to credit."})
		}
		return referral.ResolveConflict(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, pid, note, actorID(r))
	})
	if apperr.Code(err) == apperr.EInvalid {
		fe := formErrors(err)
		if back == "conflicts" {
			s.renderConflictsWith(w, r, id, credited, note, fe)
			return
		}
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			if d.Resolve == nil {
				d.Resolve = &view.ReferralConflictForm{Action: d.URL + "/conflict", Key: id.String()}
			}
			d.Resolve.Form, d.Resolve.Credited, d.Resolve.Note = fe, credited, note
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Conflict on "+ref.Ref()+" resolved.")
	sc := staffFrom(ctx)
	if back == "conflicts" {
		redirect(w, r, referralsPath(sc)+"/conflicts")
		return
	}
	redirect(w, r, referralPath(sc, id)+"#attribution")
}

// renderConflictsWith re-shows the queue with one resolve form's input and
// errors (422).
func (s *Server) renderConflictsWith(w http.ResponseWriter, r *http.Request, id uuid.UUID, credited, note string, fe view.Form) {
	ctx := r.Context()
	var d view.ReferralConflictsProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		set, err := referral.GetSettings(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		rows, err := referral.Conflicts(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		for _, ref := range rows {
			item, err := conflictItem(ctx, tx, sc, set, ref, set.Location())
			if err != nil {
				return err
			}
			item.Resolve.Back = "conflicts"
			if ref.ID == id {
				item.Resolve.Form, item.Resolve.Credited, item.Resolve.Note = fe, credited, note
			}
			d.Items = append(d.Items, item)
		}
		d.RuleLabel = orText(attributionLabels[set.AttributionRule], set.AttributionRule)
		d.CanManage = sc.Role.Can(auth.ManagePartners)
		d.Nav, err = s.referralNav(ctx, tx, sc, "conflicts")
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, view.ReferralConflictsPage(s.page(r, "Attribution conflicts", "referrals"), d))
}

// referralIntro sends an outbound referral's introduction email to the
// partner's contact (queued in the same transaction) and records it on the
// timeline.
func (s *Server) referralIntro(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var to string
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		switch {
		case ref.Direction != "outbound" || !ref.Open():
			return apperr.Invalid(map[string]string{"intro": "Only an open outbound referral has an introduction to send."})
		case ref.PartnerDeclinedAt != nil:
			return apperr.Invalid(map[string]string{"intro": ref.PartnerName + " declined this referral: hand it to the next partner instead."})
		}
		intro, err := s.introFor(ctx, tx, sc, ref)
		if err != nil {
			return err
		}
		if intro.To == "" {
			return apperr.Invalid(map[string]string{"intro": "The partner has no contact with an email. Add one on the partner's page first."})
		}
		to = intro.To
		if _, err := s.Outbox.Send(ctx, tx, notify.Email{To: intro.To, Subject: intro.Subject, Text: intro.Body}); err != nil {
			return err
		}
		if err := referral.AddNote(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, actorID(r), "staff", introNotePrefix+intro.To+".", false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "referral.intro_sent", "referral", ref.ID.String(),
			map[string]any{"number": ref.Number, "to": intro.To})
	})
	if apperr.Code(err) == apperr.EInvalid {
		msg := apperr.Message(err)
		for _, m := range apperr.FieldErrors(err) {
			msg = m
		}
		s.flash(r, "error", msg)
		redirect(w, r, referralPath(staffFrom(ctx), id)+"#intro")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, id, "Introduction email sent to "+to+".", "#intro")
}

// referralReassign hands an outbound referral the partner declined or let
// lapse to another partner.
func (s *Server) referralReassign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var chosen string
	var next referral.Referral
	id, err := s.onReferral(r, func(tx pgx.Tx, sc *staffCtx, ref referral.Referral) error {
		chosen = r.PostForm.Get("partner_id")
		if !ref.NeedsHandOn(s.now()) {
			return apperr.Invalid(map[string]string{"partner_id": "Only an outbound referral the partner declined or didn't answer in time can be handed on."})
		}
		pid, err := uuid.Parse(chosen)
		if err != nil {
			return apperr.Invalid(map[string]string{"partner_id": "Choose the next partner."})
		}
		next, err = referral.Reassign(ctx, tx, s.notifier(), sc.Tenant.ID, ref.ID, pid, actorID(r))
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderReferral(w, r, http.StatusUnprocessableEntity, id, func(d *view.ReferralShowProps) {
			if d.Handoff == nil {
				d.Handoff = &view.ReferralHandoff{}
			}
			d.Handoff.Form = formErrors(err)
			d.Handoff.Chosen = chosen
			for i := range d.Handoff.Suggestions {
				d.Handoff.Suggestions[i].Selected = d.Handoff.Suggestions[i].PartnerID == chosen && !d.Handoff.Suggestions[i].Paused
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", next.Ref()+" is now with "+next.PartnerName+"; they have been told.")
	redirect(w, r, referralPath(staffFrom(ctx), next.ID))
}
