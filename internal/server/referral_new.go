package server

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// Logging a referral on a partner's behalf and sending one to a partner.

var urgencyOptions = []view.Option{{Value: "low", Label: "Low"}, {Value: "normal", Label: "Normal"},
	{Value: "high", Label: "High"}, {Value: "urgent", Label: "Urgent"}}

var urgencyLabels = map[string]string{"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}

// referralNew is the new referral form: ?direction=inbound (default) logs
// one on a partner's behalf (?partner= preselects); ?direction=outbound
// refers a client to a partner (?service= lists the suggestions).
func (s *Server) referralNew(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	d := view.ReferralNewProps{Direction: v.Get("direction"), PartnerID: v.Get("partner"), ServiceID: v.Get("service"),
		Urgency: "normal", Token: uuid.NewString()}
	if u := userFrom(r.Context()); u != nil {
		d.Originator = u.ID.String() // who logs it received it; the owner defaults to the partner's owner
	}
	s.renderReferralNew(w, r, http.StatusOK, d)
}

// renderReferralNew fills the form's choices around what d holds.
func (s *Server) renderReferralNew(w http.ResponseWriter, r *http.Request, status int, d view.ReferralNewProps) {
	ctx := r.Context()
	if d.Direction != "outbound" {
		d.Direction = "inbound"
	}
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		d.Base = "/t/" + sc.Tenant.Slug
		partners, err := partner.List(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.Partners = partnerOptions(partners, true)
		services, err := partner.ListServices(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		known := false
		for _, sv := range services {
			d.Services = append(d.Services, view.Option{Value: sv.ID.String(), Label: sv.Name + " (" + partner.PhaseLabels[sv.Phase] + ")"})
			known = known || sv.ID.String() == d.ServiceID
		}
		if !known {
			d.ServiceID = ""
		}
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.Staff = staffOptions(staff)
		d.Urgencies = urgencyOptions
		if d.Direction == "outbound" {
			if d.ServiceID != "" {
				sugg, err := referral.Suggest(ctx, tx, sc.Tenant.ID, uuid.MustParse(d.ServiceID), nil)
				if err != nil {
					return err
				}
				d.Suggestions = suggestionRows(sugg, d.PartnerID)
			}
			return nil
		}
		qs, err := referral.Questions(ctx, tx, sc.Tenant.ID, true)
		if err != nil {
			return err
		}
		checked := map[string]bool{}
		for _, q := range d.Questions {
			checked[q.ID] = q.Checked
		}
		d.Questions = nil
		for _, q := range qs {
			d.Questions = append(d.Questions, view.ReferralQuestionRow{ID: q.ID.String(), Question: q.Question, Help: q.Help,
				Required: q.Required, Checked: checked[q.ID.String()]})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "Log a referral from a partner"
	if d.Direction == "outbound" {
		title = "Refer a client to a partner"
	}
	s.render(w, r, status, view.ReferralNewPage(s.page(r, title, "referrals"), d))
}

// referralCreate records a referral logged by staff: inbound on a
// partner's behalf (the partner is acknowledged as from the portal) or
// outbound to a chosen partner (who is told; a paused partner is refused
// with the reason). The form's one-time token makes a resubmission return
// the same referral.
func (s *Server) referralCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	f := r.PostForm
	d := view.ReferralNewProps{Direction: f.Get("direction"), Token: f.Get("token"), PartnerID: f.Get("partner_id"),
		ServiceID: f.Get("service_id"), ClientCompany: f.Get("client_company"), ClientDomain: f.Get("client_domain"),
		ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email"), ContactPhone: f.Get("contact_phone"),
		Challenge: f.Get("challenge"), Context: f.Get("context"), Promises: f.Get("promises_made"),
		Urgency: f.Get("urgency"), Value: f.Get("estimated_value"), Owner: f.Get("owner"), Originator: f.Get("originator")}
	if d.Direction != "outbound" {
		d.Direction = "inbound"
	}
	if d.Token == "" || len(d.Token) > 100 {
		d.Token = uuid.NewString()
	}
	var ref referral.Referral
	var created bool
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		errs := map[string]string{}
		in := referral.SubmitInput{Direction: d.Direction, ClientCompany: d.ClientCompany, ClientDomain: d.ClientDomain,
			ContactName: d.ContactName, ContactEmail: d.ContactEmail, ContactPhone: d.ContactPhone, Challenge: d.Challenge,
			Context: d.Context, PromisesMade: d.Promises, Urgency: d.Urgency, EstimatedValue: d.Value,
			IdempotencyKey: "staff:" + d.Token, Source: "staff", SubmittedBy: actorID(r), Answers: map[uuid.UUID]bool{}}
		// The partner and the service must be the firm's (404-proof: a
		// form value, not a path id, so a bad one is a field error).
		if pid, err := uuid.Parse(d.PartnerID); err == nil {
			if _, err := partner.Get(ctx, tx, sc.Tenant.ID, pid); err == nil {
				in.PartnerID = pid
			} else if apperr.Code(err) != apperr.ENotFound {
				return err
			}
		}
		if in.PartnerID == uuid.Nil {
			errs["partner_id"] = "Choose the partner."
			if d.Direction == "outbound" {
				errs["partner_id"] = "Choose one of the suggested partners."
			}
		}
		if d.ServiceID != "" {
			sid, err := uuid.Parse(d.ServiceID)
			if err == nil {
				if _, err = partner.GetService(ctx, tx, sc.Tenant.ID, sid); err == nil {
					in.ServiceID = &sid
				} else if apperr.Code(err) != apperr.ENotFound {
					return err
				}
			}
			if in.ServiceID == nil {
				errs["service_id"] = "Choose a service from your service map."
			}
		} else if d.Direction == "outbound" {
			errs["service_id"] = "Choose the service the client needs."
		}
		staff, err := tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		in.OwnerUserID = optionalUser(staff, d.Owner, "owner", errs)
		in.OriginatorUserID = optionalUser(staff, d.Originator, "originator", errs)
		if d.Direction == "inbound" {
			qs, err := referral.Questions(ctx, tx, sc.Tenant.ID, true)
			if err != nil {
				return err
			}
			for _, q := range qs {
				yes := f.Get("q_"+q.ID.String()) == "yes"
				in.Answers[q.ID] = yes
				d.Questions = append(d.Questions, view.ReferralQuestionRow{ID: q.ID.String(), Checked: yes})
			}
		}
		if len(errs) > 0 {
			// Check the rest too, so every field's problem shows at once
			// (in this transaction, which the error then rolls back).
			if in.PartnerID == uuid.Nil {
				return apperr.Invalid(errs)
			}
			_, _, serr := referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in)
			for k, msg := range apperr.FieldErrors(serr) {
				if _, ok := errs[k]; !ok {
					errs[k] = msg
				}
			}
			return apperr.Invalid(errs)
		}
		ref, created, err = referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in)
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		d.Form = formErrors(err)
		for from, to := range map[string]string{"owner_user_id": "owner", "originator_user_id": "originator"} {
			if msg, ok := d.Errors[from]; ok {
				d.Errors[to] = msg
				delete(d.Errors, from)
			}
		}
		s.renderReferralNew(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	switch {
	case !created:
		s.flash(r, "info", ref.Ref()+" was already logged from this form.")
	case ref.ConflictStatus == "open":
		s.flash(r, "info", ref.Ref()+" is logged. It matches an open referral or an existing client: resolve the attribution below.")
	case ref.Direction == "outbound":
		s.flash(r, "success", ref.Ref()+" is sent to "+ref.PartnerName+". Send or copy the introduction below.")
	default:
		s.flash(r, "success", ref.Ref()+" is logged and "+ref.PartnerName+" is acknowledged.")
	}
	redirect(w, r, referralPath(sc, ref.ID))
}
