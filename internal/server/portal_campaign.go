package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/web/view"
)

// Joint campaigns in the partner portal: the partner's campaigns with the
// firm, one campaign with who does what, the lead rules and every lead
// (both firms have equal access to them). A partner's users take a lead
// over, update the follow-up of the leads they own and add leads by hand
// (theirs). Row-Level Security shows only the campaigns the partner is in.

func (s *Server) portalCampaignRoutes(r chi.Router) {
	r.Route("/campaigns", func(r chi.Router) {
		r.Get("/", s.portalCampaignList)
		r.Get("/{id}", s.portalCampaignShow)
		r.Post("/{id}/leads", s.portalCampaignAddLead)
		r.Post("/{id}/leads/{lead}", s.portalCampaignLeadUpdate)
	})
}

func portalCampaignPath(slug string, id uuid.UUID) string {
	return "/p/" + slug + "/campaigns/" + id.String()
}

// inPortalCampaign runs fn in the portal's transaction with the campaign
// named by {id}; a campaign the partner isn't in is not found.
func (s *Server) inPortalCampaign(r *http.Request, fn func(tx pgx.Tx, pc *portalCtx, c campaign.Campaign) error) (campaign.Campaign, error) {
	var c campaign.Campaign
	id, err := idParam(r, "id")
	if err != nil {
		return c, err
	}
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if c, err = campaign.Get(r.Context(), tx, pc.Tenant.ID, id); err != nil {
			return err
		}
		return fn(tx, pc, c)
	})
	return c, err
}

// portalCampaignList lists the partner's joint campaigns.
func (s *Server) portalCampaignList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d view.PortalCampaignListProps
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		cs, err := campaign.List(ctx, tx, pc.Tenant.ID, campaign.Filter{})
		if err != nil {
			return err
		}
		for _, c := range cs {
			leads, err := campaign.ListLeads(ctx, tx, pc.Tenant.ID, c.ID, campaign.LeadFilter{})
			if err != nil {
				return err
			}
			mine := 0
			for _, l := range leads {
				if l.OwnerPartnerID != nil && *l.OwnerPartnerID == pc.Member.PartnerID {
					mine++
				}
			}
			d.Rows = append(d.Rows, view.PortalCampaignRow{URL: portalCampaignPath(pc.Tenant.Slug, c.ID), Name: c.Name,
				Kind: campaign.KindLabels[c.Kind], Dates: campaignDates(c), Status: c.Status, StatusL: campaign.StatusLabels[c.Status],
				Leads: campaignItoa(len(leads)), Mine: campaignItoa(mine)})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.PortalCampaignListPage(s.page(r, "Joint campaigns", "campaigns"), d))
}

func campaignItoa(n int) string { return campaign.Thousands(int64(n)) }

func (s *Server) portalCampaignShow(w http.ResponseWriter, r *http.Request) {
	s.renderPortalCampaign(w, r, http.StatusOK, nil)
}

// renderPortalCampaign shows one campaign; add is the add-lead form as
// re-shown after bad input.
func (s *Server) renderPortalCampaign(w http.ResponseWriter, r *http.Request, status int, add *view.CampaignLeadFormProps) {
	ctx := r.Context()
	var d view.PortalCampaignProps
	c, err := s.inPortalCampaign(r, func(tx pgx.Tx, pc *portalCtx, c campaign.Campaign) error {
		slug, firm, me := pc.Tenant.Slug, pc.Tenant.Name, pc.Member.PartnerID
		d = view.PortalCampaignProps{Name: c.Name, Kind: campaign.KindLabels[c.Kind], StatusL: campaign.StatusLabels[c.Status],
			Dates: campaignDates(c), Description: c.Description, FirmName: firm, LeadRule: campaign.LeadRuleLabels[c.LeadRule],
			LeadRuleHelp: campaign.LeadRuleHelp[c.LeadRule], LeadRulesNote: c.LeadRulesNote, ListURL: "/p/" + slug + "/campaigns"}
		for _, rr := range c.Responsibilities {
			owner := firm
			switch {
			case rr.PartnerID == nil:
			case *rr.PartnerID == me:
				owner = pc.Member.PartnerName + " (you)"
			default:
				owner = "Another partner"
			}
			d.Resps = append(d.Resps, view.CampaignResp{Task: campaign.TaskLabels[rr.Task], Owner: owner, Note: rr.Note})
		}
		leads, err := campaign.ListLeads(ctx, tx, pc.Tenant.ID, c.ID, campaign.LeadFilter{})
		if err != nil {
			return err
		}
		fn, err := campaign.FunnelOf(ctx, tx, pc.Tenant.ID, c.ID)
		if err != nil {
			return err
		}
		d.Funnel = funnelCells(fn)
		statusOpts := labelOptions(campaign.FollowUpStatuses, campaign.LeadStatusLabels)
		for _, l := range leads {
			mine := l.OwnerPartnerID != nil && *l.OwnerPartnerID == me
			owner := leadOwnerLabel(l, firm)
			if mine {
				owner = "you"
			}
			d.Leads = append(d.Leads, view.PortalLeadRow{ID: l.ID.String(), Name: l.Name, Company: l.Company, Title: l.Title,
				Email: l.Email, Owner: owner, Status: l.Status, StatusL: campaign.LeadStatusLabels[l.Status], Mine: mine,
				Converted: l.ReferralID != nil, Action: portalCampaignPath(slug, c.ID) + "/leads/" + l.ID.String(), StatusOpts: statusOpts})
		}
		if add != nil {
			d.AddLead = *add
		} else {
			d.AddLead = view.CampaignLeadFormProps{Status: "new"}
		}
		d.AddLead.Action = portalCampaignPath(slug, c.ID) + "/leads"
		d.AddLead.StatusOpts, d.AddLead.ConsentOpts = statusOpts, consentOptions
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.PortalCampaignPage(s.page(r, c.Name, "campaigns"), d))
}

// portalCampaignAddLead adds a lead the partner follows up.
func (s *Server) portalCampaignAddLead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in campaign.LeadInput
	c, err := s.inPortalCampaign(r, func(tx pgx.Tx, pc *portalCtx, c campaign.Campaign) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = leadInputFrom(r.PostForm)
		_, err := campaign.AddLead(ctx, tx, pc.Tenant.ID, c, in, campaign.Actor{UserID: actorID(r), PartnerID: pc.Member.PartnerID})
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		d := leadFormOf(in)
		d.Form = formErrors(err)
		s.renderPortalCampaign(w, r, http.StatusUnprocessableEntity, &d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", strings.TrimSpace(in.Name)+" is added to the leads, with you following up.")
	redirect(w, r, portalCampaignPath(portalFrom(ctx).Tenant.Slug, c.ID)+"#leads")
}

// portalCampaignLeadUpdate takes a lead over (take_over=1) or updates the
// follow-up status of one the partner owns.
func (s *Server) portalCampaignLeadUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f url.Values
	var l campaign.Lead
	c, err := s.inPortalCampaign(r, func(tx pgx.Tx, pc *portalCtx, c campaign.Campaign) error {
		lid, err := idParam(r, "lead")
		if err != nil {
			return err
		}
		if l, err = campaign.GetLead(ctx, tx, pc.Tenant.ID, c.ID, lid); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		f = r.PostForm
		u := campaign.LeadUpdate{}
		if f.Get("take_over") != "" {
			me := pc.Member.PartnerID.String()
			u.Owner = &me
		}
		if st := f.Get("status"); st != "" {
			u.Status = &st
		}
		nl, err := campaign.UpdateLead(ctx, tx, pc.Tenant.ID, c, l.ID, u, campaign.Actor{UserID: actorID(r), PartnerID: pc.Member.PartnerID})
		if err == nil {
			l = nl
		}
		return err
	})
	switch code := apperr.Code(err); {
	case code == apperr.EInvalid || code == apperr.EForbidden || code == apperr.EConflict:
		msg := apperr.Message(err)
		if fe := apperr.FieldErrors(err); len(fe) > 0 {
			msg = strings.Join(mapValues(fe), " ")
		}
		s.flash(r, "error", msg)
		redirect(w, r, portalCampaignPath(portalFrom(ctx).Tenant.Slug, c.ID)+"#lead-"+l.ID.String())
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	msg := l.Name + "'s follow-up is saved."
	if f.Get("take_over") != "" {
		msg = "You follow up " + l.Name + " now."
	}
	s.flash(r, "success", msg)
	redirect(w, r, portalCampaignPath(portalFrom(ctx).Tenant.Slug, c.ID)+"#lead-"+l.ID.String())
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
