package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// partnerQualificationRoutes is a partner's qualification tab (under
// /partners/{id}): the weighted scorecard, reference checks, the red-flag
// checklist, the potential assessment and the qualify-or-reject decision.
func (s *Server) partnerQualificationRoutes(r chi.Router) {
	r.Get("/qualification", s.showQualification)
	w := r.With(s.requireCap(auth.ManagePartners))
	w.Post("/scores", s.saveScores)
	w.Post("/references", s.createReference)
	w.Post("/references/{ref}/delete", s.deleteReference)
	w.Post("/red-flags", s.saveRedFlags)
	w.Post("/potential", s.savePotential)
	w.Post("/decision", s.decidePartner)
}

// showQualification is the qualification tab.
func (s *Server) showQualification(w http.ResponseWriter, r *http.Request) {
	s.renderQualification(w, r, http.StatusOK, nil)
}

// renderQualification loads and shows the {id} partner's tab; edit fills in
// a form's input and errors when it is re-shown.
func (s *Server) renderQualification(w http.ResponseWriter, r *http.Request, status int, edit func(*view.QualificationProps)) {
	ctx := r.Context()
	var q partner.Qualification
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		q, err = partner.LoadQualification(ctx, tx, sc.Tenant.ID, p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	props := qualificationProps(staffFrom(ctx), p, q)
	if edit != nil {
		edit(&props)
	}
	s.render(w, r, status, view.QualificationPage(s.page(r, p.Name, "partners"), props))
}

func qualificationProps(sc *staffCtx, p partner.Partner, q partner.Qualification) view.QualificationProps {
	base := "/t/" + sc.Tenant.Slug
	d := view.QualificationProps{
		Header:  partnerHeader(sc, p, "qualification"),
		URL:     base + "/partners/" + p.ID.String(),
		CanEdit: sc.Role.Can(auth.ManagePartners),
	}
	d.Header.Flags = append(d.Header.Flags, partner.HeaderFlags(q.Flags)...)
	if sc.Role.Can(auth.ManageSettings) {
		d.CriteriaURL = base + "/settings/criteria"
	}
	for _, f := range q.Flags {
		d.Flags = append(d.Flags, view.QualFlagRow{Severity: f.Severity, Label: f.Label, Message: f.Message})
	}

	sum := q.Scorecard
	d.Score = view.ScoreSummary{Has: sum.Scored > 0 && sum.Hundredths > 0, Value: partner.FormatScore(sum.Hundredths),
		Complete: sum.Complete, Scored: sum.Scored, Criteria: sum.Criteria, WeightSum: sum.WeightSum}
	for _, c := range q.Criteria {
		row := view.ScoreRow{ID: c.ID.String(), Name: c.Name, Weight: c.Weight}
		if cs, ok := q.Scores[c.ID]; ok {
			row.Score, row.Note = strconv.Itoa(cs.Score), cs.Note
			row.ScoredBy = cs.ScoredAt.Format("2 Jan 2006")
			if cs.ScoredBy != "" {
				row.ScoredBy = cs.ScoredBy + ", " + row.ScoredBy
			}
			if c.Weight > 0 {
				d.Score.Terms = append(d.Score.Terms, fmt.Sprintf("%d × %d", cs.Score, c.Weight))
				d.Score.ScoredWeight += c.Weight
			}
		}
		d.Criteria = append(d.Criteria, row)
	}

	for _, ref := range q.References {
		d.References = append(d.References, view.ReferenceRow{ID: ref.ID.String(), Who: ref.Who, Relationship: ref.Relationship,
			Sentiment: ref.Sentiment, Notes: ref.Notes, Added: ref.CreatedAt.Format("2 Jan 2006")})
	}

	ticked := map[string]string{}
	checked := map[string]bool{}
	for _, f := range q.RedFlags {
		ticked[f.Flag], checked[f.Flag] = f.Note, true
	}
	for _, k := range partner.RedFlagKinds {
		d.RedFlags = append(d.RedFlags, view.RedFlagRow{Key: k, Label: partner.RedFlagLabels[k], Checked: checked[k], Note: ticked[k]})
	}

	a := q.Assessment
	d.Potential = view.PotentialForm{ExpectedIn: intText(a.ExpectedIn), ExpectedOut: intText(a.ExpectedOut),
		Clients: intText(a.ClientsWhoBenefit), Notes: a.Notes}
	for _, f := range q.Flags {
		if f.Kind == "low_potential" {
			d.Potential.Warning = f.Message
		}
	}

	d.Decision = view.DecisionProps{Status: p.Status, CanDecide: partner.CanDecide(p.Status), Decided: a.Decision,
		Reason: a.DecisionReason, DecidedBy: a.DecidedBy}
	if a.DecidedAt != nil {
		d.Decision.DecidedAt = a.DecidedAt.Format("2 Jan 2006")
	}
	return d
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// saveScores saves the scorecard (POST /scores: score.<criterion> 1–5 and
// note.<criterion> for each active criterion) in one transaction.
func (s *Server) saveScores(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in []partner.ScoreInput
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		cs, err := partner.ListCriteria(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		cs = partner.ActiveCriteria(cs)
		for _, c := range cs {
			k := c.ID.String()
			in = append(in, partner.ScoreInput{CriterionID: c.ID, Name: c.Name,
				Score: r.PostForm.Get("score." + k), Note: r.PostForm.Get("note." + k)})
		}
		scores, err := partner.SaveScores(ctx, tx, sc.Tenant.ID, p.ID, in, userFrom(ctx).ID)
		if err != nil {
			return err
		}
		byName := map[string]int{}
		ws, ss := map[uuid.UUID]int{}, map[uuid.UUID]int{}
		for _, c := range cs {
			ws[c.ID] = c.Weight
			if v, ok := scores[c.ID]; ok {
				byName[c.Name], ss[c.ID] = v, v
			}
		}
		value, complete := partner.WeightedScore(ss, ws)
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.scored", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "scores": byName, "weighted": partner.FormatScore(value), "complete": complete})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderQualification(w, r, http.StatusUnprocessableEntity, func(d *view.QualificationProps) {
			d.ScoreForm = formErrors(err)
			typed := map[string]partner.ScoreInput{}
			for _, i := range in {
				typed[i.CriterionID.String()] = i
			}
			for k, c := range d.Criteria {
				if i, ok := typed[c.ID]; ok {
					d.Criteria[k].Score, d.Criteria[k].Note = i.Score, i.Note
				}
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Scores saved.")
	redirect(w, r, qualURL(r, p, "#scorecard"))
}

func qualURL(r *http.Request, p partner.Partner, anchor string) string {
	return "/t/" + staffFrom(r.Context()).Tenant.Slug + "/partners/" + p.ID.String() + "/qualification" + anchor
}

// createReference records a reference check (POST /references).
func (s *Server) createReference(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in partner.ReferenceInput
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = partner.ReferenceInput{Who: r.PostForm.Get("who"), Relationship: r.PostForm.Get("relationship"),
			Sentiment: r.PostForm.Get("sentiment"), Notes: r.PostForm.Get("notes")}
		refID, err := partner.AddReference(ctx, tx, sc.Tenant.ID, p.ID, in, userFrom(ctx).ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.reference_added", "partner_reference", refID.String(),
			map[string]any{"partner": p.Name, "partner_id": p.ID, "who": in.Who, "sentiment": in.Sentiment})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderQualification(w, r, http.StatusUnprocessableEntity, func(d *view.QualificationProps) {
			d.Reference = view.ReferenceForm{Form: formErrors(err), Who: in.Who, Relationship: in.Relationship,
				Sentiment: in.Sentiment, Notes: in.Notes}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Reference from "+in.Who+" added.")
	redirect(w, r, qualURL(r, p, "#references"))
}

// deleteReference removes a reference (POST /references/{ref}/delete).
func (s *Server) deleteReference(w http.ResponseWriter, r *http.Request) {
	refID, err := idParam(r, "ref")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var ref partner.Reference
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if ref, err = partner.GetReference(ctx, tx, sc.Tenant.ID, p.ID, refID); err != nil {
			return err
		}
		if err := partner.DeleteReference(ctx, tx, sc.Tenant.ID, p.ID, ref.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.reference_deleted", "partner_reference", ref.ID.String(),
			map[string]any{"partner": p.Name, "partner_id": p.ID, "who": ref.Who, "sentiment": ref.Sentiment})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Reference from "+ref.Who+" deleted.")
	redirect(w, r, qualURL(r, p, "#references"))
}

// saveRedFlags saves the checklist (POST /red-flags: flag=<key> for each
// ticked item, note.<key>).
func (s *Server) saveRedFlags(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in []partner.RedFlag
	notes := map[string]string{}
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		for _, k := range partner.RedFlagKinds {
			notes[k] = r.PostForm.Get("note." + k)
		}
		seen := map[string]bool{}
		for _, k := range r.PostForm["flag"] {
			if !seen[k] {
				seen[k] = true
				in = append(in, partner.RedFlag{Flag: k, Note: notes[k]})
			}
		}
		if err := partner.SaveRedFlags(ctx, tx, sc.Tenant.ID, p.ID, in, userFrom(ctx).ID); err != nil {
			return err
		}
		keys := []string{}
		for _, f := range in {
			keys = append(keys, f.Flag)
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.red_flags_saved", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "flags": keys})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderQualification(w, r, http.StatusUnprocessableEntity, func(d *view.QualificationProps) {
			d.FlagsForm = formErrors(err)
			ticked := map[string]bool{}
			for _, f := range in {
				ticked[f.Flag] = true
			}
			for k := range d.RedFlags {
				d.RedFlags[k].Checked = ticked[d.RedFlags[k].Key]
				d.RedFlags[k].Note = notes[d.RedFlags[k].Key]
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Red-flag checklist saved.")
	redirect(w, r, qualURL(r, p, "#red-flags"))
}

// savePotential records the potential assessment (POST /potential).
func (s *Server) savePotential(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in partner.PotentialInput
	var a partner.Assessment
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = partner.PotentialInput{ExpectedIn: r.PostForm.Get("expected_in"), ExpectedOut: r.PostForm.Get("expected_out"),
			Clients: r.PostForm.Get("clients"), Notes: r.PostForm.Get("potential_notes")}
		if a, err = partner.SavePotential(ctx, tx, sc.Tenant.ID, p.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.potential_assessed", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "expected_in": a.ExpectedIn, "expected_out": a.ExpectedOut, "clients": a.ClientsWhoBenefit})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderQualification(w, r, http.StatusUnprocessableEntity, func(d *view.QualificationProps) {
			d.Potential = view.PotentialForm{Form: formErrors(err), ExpectedIn: in.ExpectedIn, ExpectedOut: in.ExpectedOut,
				Clients: in.Clients, Notes: in.Notes, Warning: d.Potential.Warning}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Potential saved."
	if a.ExpectedIn != nil && *a.ExpectedIn < partner.MinExpectedReferrals {
		msg = fmt.Sprintf("Potential saved. Fewer than %d referrals a year to us is rarely worth the effort.", partner.MinExpectedReferrals)
	}
	s.flash(r, "success", msg)
	redirect(w, r, qualURL(r, p, "#potential"))
}

// decidePartner qualifies or rejects a prospect (POST /decision: decision,
// reason), recording the decision and moving the lifecycle together. A
// partner past qualification answers 409.
func (s *Server) decidePartner(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in partner.DecisionInput
	var from string
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = partner.DecisionInput{Decision: r.PostForm.Get("decision"), Reason: r.PostForm.Get("reason")}
		if from, err = partner.Decide(ctx, tx, sc.Tenant.ID, p.ID, in, userFrom(ctx).ID); err != nil {
			return err
		}
		to := partner.DecisionTarget(in.Decision)
		if err := audit.Record(ctx, tx, sc.Tenant.ID, "partner.decided", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "decision": in.Decision, "reason": in.Reason}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.status_changed", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "from": from, "to": to, "reason": in.Reason})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderQualification(w, r, http.StatusUnprocessableEntity, func(d *view.QualificationProps) {
			d.Decision.Form = formErrors(err)
			d.Decision.Choice, d.Decision.ReasonInput = in.Decision, in.Reason
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Decision == "qualify" {
		s.flash(r, "success", p.Name+" is qualified and moves to onboarding.")
	} else {
		s.flash(r, "success", p.Name+" is rejected; the partnership is ended.")
	}
	redirect(w, r, qualURL(r, p, "#decision"))
}
