package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// Turning a campaign lead into a referral: a referral form prefilled from
// the lead. A lead a partner owns becomes an inbound referral from that
// partner (it refers the person to us); a lead we own becomes an outbound
// referral to one of the campaign's partners. The referral is made by the
// referral area (referral.Submit, as the staff form does) and the lead is
// marked converted and linked in the same transaction, so either both
// happen or neither.

// convertDirection is the referral's direction for a lead.
func convertDirection(l campaign.Lead) string {
	if l.OwnerPartnerID != nil {
		return "inbound"
	}
	return "outbound"
}

// convertProps prefills the form from the lead.
func convertProps(sc *staffCtx, c campaign.Campaign, l campaign.Lead) view.CampaignConvertProps {
	slug := sc.Tenant.Slug
	d := view.CampaignConvertProps{CampaignName: c.Name, CampaignURL: campaignPath(slug, c.ID), LeadURL: leadPath(slug, c.ID, l.ID),
		Action: leadPath(slug, c.ID, l.ID) + "/convert", Direction: convertDirection(l), Token: uuid.NewString(),
		ClientCompany: l.Company, ContactName: l.Name, ContactEmail: l.Email, Challenge: l.Notes,
		Context: "Met through our " + strings.ToLower(campaign.KindLabels[c.Kind]) + " “" + c.Name + "” (" + campaignDates(c) + ")."}
	if at := strings.LastIndexByte(l.Email, '@'); at > 0 {
		d.ClientDomain = l.Email[at+1:]
	}
	if l.Title != "" {
		d.Context += " " + l.Name + " is " + l.Title + "."
	}
	return d
}

// fillConvertChoices sets the partner choice and the services.
func (s *Server) fillConvertChoices(r *http.Request, tx pgx.Tx, sc *staffCtx, c campaign.Campaign, l campaign.Lead, d *view.CampaignConvertProps) error {
	if d.Direction == "inbound" {
		d.PartnerID = l.OwnerPartnerID.String()
		d.PartnerFixed = l.OwnerName
		d.DirectionText = l.OwnerName + " follows up this lead, so it becomes a referral from " + l.OwnerName + " to " + sc.Tenant.Name + "."
	} else {
		for _, p := range c.Partners {
			d.PartnerOpts = append(d.PartnerOpts, view.Option{Value: p.PartnerID.String(), Label: p.Name})
		}
		if len(c.Partners) == 1 {
			d.PartnerID, d.PartnerFixed = c.Partners[0].PartnerID.String(), c.Partners[0].Name
		}
		d.DirectionText = sc.Tenant.Name + " owns this lead, so it becomes a referral from us to a partner of the campaign."
	}
	services, err := partner.ListServices(r.Context(), tx, sc.Tenant.ID)
	if err != nil {
		return err
	}
	for _, sv := range services {
		d.Services = append(d.Services, view.Option{Value: sv.ID.String(), Label: sv.Name})
	}
	return nil
}

// campaignConvertForm is the prefilled referral.
func (s *Server) campaignConvertForm(w http.ResponseWriter, r *http.Request) {
	var d view.CampaignConvertProps
	c, l, err := s.inLead(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign, l campaign.Lead) error {
		d = convertProps(sc, c, l)
		return s.fillConvertChoices(r, tx, sc, c, l, &d)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.ReferralID != nil {
		s.flash(r, "info", l.Name+"'s lead is already a referral.")
		redirect(w, r, leadPath(staffFrom(r.Context()).Tenant.Slug, c.ID, l.ID))
		return
	}
	s.render(w, r, http.StatusOK, view.CampaignConvertPage(s.page(r, "Turn "+l.Name+" into a referral", "campaigns"), d))
}

// campaignConvert creates the referral and marks the lead converted, in
// one transaction.
func (s *Server) campaignConvert(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f url.Values
	var ref referral.Referral
	var already bool
	var d view.CampaignConvertProps
	c, l, err := s.inLead(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign, l campaign.Lead) error {
		if l.ReferralID != nil {
			already = true
			return nil
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		f = r.PostForm
		d = convertProps(sc, c, l)
		d.Token, d.ClientCompany, d.ClientDomain = f.Get("token"), f.Get("client_company"), f.Get("client_domain")
		d.ContactName, d.ContactEmail, d.Phone = f.Get("contact_name"), f.Get("contact_email"), f.Get("contact_phone")
		d.Challenge, d.Context, d.Value, d.ServiceID = f.Get("challenge"), f.Get("context"), f.Get("estimated_value"), f.Get("service_id")
		if err := s.fillConvertChoices(r, tx, sc, c, l, &d); err != nil {
			return err
		}
		if d.PartnerFixed == "" {
			d.PartnerID = f.Get("partner_id")
		}
		errs := map[string]string{}
		in := referral.SubmitInput{Direction: d.Direction, ClientCompany: d.ClientCompany, ClientDomain: d.ClientDomain,
			ContactName: d.ContactName, ContactEmail: d.ContactEmail, ContactPhone: d.Phone, Challenge: d.Challenge,
			Context: d.Context, Urgency: "normal", EstimatedValue: d.Value, IdempotencyKey: "campaign-lead:" + l.ID.String(),
			Source: "staff", SubmittedBy: actorID(r), Answers: map[uuid.UUID]bool{}}
		if pid, err := uuid.Parse(d.PartnerID); err == nil && c.HasPartner(pid) {
			in.PartnerID = pid
		} else {
			errs["partner_id"] = "Choose one of the campaign's partners."
		}
		if d.ServiceID != "" {
			if sid, err := uuid.Parse(d.ServiceID); err == nil && containsOption(d.Services, d.ServiceID) {
				in.ServiceID = &sid
			} else {
				errs["service_id"] = "Choose a service from your service map."
			}
		}
		if len(errs) > 0 {
			if in.PartnerID != uuid.Nil {
				_, _, serr := referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in)
				for k, msg := range apperr.FieldErrors(serr) {
					if _, ok := errs[k]; !ok {
						errs[k] = msg
					}
				}
			}
			return apperr.Invalid(errs)
		}
		var err error
		if ref, _, err = referral.Submit(ctx, tx, s.notifier(), sc.Tenant.ID, in); err != nil {
			return err
		}
		return campaign.MarkConverted(ctx, tx, sc.Tenant.ID, c.ID, l.ID, ref.ID)
	})
	sc := staffFrom(ctx)
	switch {
	case apperr.Code(err) == apperr.EInvalid:
		d.Form = formErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, view.CampaignConvertPage(s.page(r, "Turn "+l.Name+" into a referral", "campaigns"), d))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case already:
		s.flash(r, "info", l.Name+"'s lead is already a referral.")
		redirect(w, r, leadPath(sc.Tenant.Slug, c.ID, l.ID))
		return
	}
	msg := ref.Ref() + " is created from " + l.Name + "'s lead and counts for this campaign."
	if ref.ConflictStatus == "open" {
		msg += " It matches an open referral or an existing client: resolve the attribution on the referral."
	}
	s.flash(r, "success", msg)
	redirect(w, r, campaignPath(sc.Tenant.Slug, c.ID)+"#leads")
}
