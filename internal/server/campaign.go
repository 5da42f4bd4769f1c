package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// Co-marketing campaigns, staff side: the list with each campaign's
// results, creating and editing a campaign, its page (reach, lead rules,
// funnel, leads with filters and CSV export), adding leads by hand and one
// lead's page; turning a lead into a referral is campaign_convert.go, the
// attendee list import campaign_import.go. Viewing: every staff role;
// writing: the manage-partners capability.

func (s *Server) campaignRoutes(r chi.Router) {
	r.Route("/campaigns", func(r chi.Router) {
		r.Get("/", s.campaignList)
		manage := s.requireCap(auth.ManagePartners)
		r.With(manage).Get("/new", s.campaignNew)
		r.With(manage).Post("/", s.campaignCreate)
		r.Route("/{id}", func(r chi.Router) {
			r.Get("/", s.campaignShow)
			r.Get("/leads.csv", s.campaignLeadsCSV)
			r.Get("/leads/{lead}", s.campaignLeadShow)
			r.Group(func(r chi.Router) {
				r.Use(manage)
				r.Get("/edit", s.campaignEdit)
				r.Post("/", s.campaignUpdate)
				r.Post("/leads", s.campaignAddLead)
				r.Post("/leads/{lead}", s.campaignLeadUpdate)
				r.Get("/leads/{lead}/convert", s.campaignConvertForm)
				r.Post("/leads/{lead}/convert", s.campaignConvert)
				s.campaignImportRoutes(r) // campaign_import.go: the attendee list
			})
		})
	})
}

func campaignsPath(slug string) string { return "/t/" + slug + "/campaigns" }

func campaignPath(slug string, id uuid.UUID) string { return campaignsPath(slug) + "/" + id.String() }

func leadPath(slug string, cid, lid uuid.UUID) string {
	return campaignPath(slug, cid) + "/leads/" + lid.String()
}

// inCampaign runs fn in the firm's transaction with the campaign named by
// the {id} path parameter; another firm's (or a malformed) id is not found
// before anything else is read.
func (s *Server) inCampaign(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error) (campaign.Campaign, error) {
	var c campaign.Campaign
	id, err := idParam(r, "id")
	if err != nil {
		return c, err
	}
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if c, err = campaign.Get(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		return fn(tx, sc, c)
	})
	return c, err
}

func canManagePartners(r *http.Request) bool {
	sc := staffFrom(r.Context())
	return sc != nil && sc.Role.Can(auth.ManagePartners)
}

// ---- options and labels ----

func labelOptions(values []string, labels map[string]string) []view.Option {
	out := make([]view.Option, 0, len(values))
	for _, v := range values {
		out = append(out, view.Option{Value: v, Label: labels[v]})
	}
	return out
}

// campaignDates is "10 Mar 2026" or "10 Mar – 12 Mar 2026".
func campaignDates(c campaign.Campaign) string {
	start := c.StartsOn.Format("2 Jan 2006")
	if c.EndsOn == nil || c.EndsOn.Equal(c.StartsOn) {
		return start
	}
	return start + " – " + c.EndsOn.Format("2 Jan 2006")
}

func campaignPartnerNames(c campaign.Campaign) string {
	var names []string
	for _, p := range c.Partners {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// funnelCells writes a campaign's results.
func funnelCells(f campaign.Funnel) view.CampaignFunnelCells {
	out := view.CampaignFunnelCells{Leads: campaign.Thousands(f.Leads), Qualified: campaign.Thousands(f.Qualified),
		Referrals: campaign.Thousands(f.Referrals), Won: campaign.Thousands(f.Won), Revenue: "—"}
	var parts []string
	for _, m := range f.Revenue {
		parts = append(parts, moneyText(m.Cents, m.Currency))
	}
	if len(parts) > 0 {
		out.Revenue = strings.Join(parts, " + ")
	}
	return out
}

// funnelChart is the campaign's funnel: leads → qualified → referrals → won.
func funnelChart(f campaign.Funnel) chart.Chart {
	c := chart.Chart{ID: "campaign-funnel", Title: "From leads to won referrals", LabelHeader: "Stage", Unit: chart.Count,
		Labels: []string{"Leads", "Qualified conversations", "Referrals", "Won"},
		Series: []chart.Series{{Name: "People", Values: []int64{f.Leads, f.Qualified, f.Referrals, f.Won}}},
		Empty:  "No leads yet."}
	if f.Leads == 0 && f.Referrals == 0 {
		c.Series[0].Values = nil
	}
	return c
}

func leadOwnerLabel(l campaign.Lead, firm string) string {
	switch {
	case l.OwnerPartnerID == nil:
		return firm
	case l.OwnerName != "":
		return l.OwnerName
	default:
		return "Another partner"
	}
}

func ownerOptions(c campaign.Campaign, firm string) []view.Option {
	out := []view.Option{{Value: "us", Label: firm + " (us)"}}
	for _, p := range c.Partners {
		out = append(out, view.Option{Value: p.PartnerID.String(), Label: p.Name})
	}
	return out
}

var consentOptions = []view.Option{{Value: "", Label: "Not known"}, {Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}

func consentText(c *bool) string {
	switch {
	case c == nil:
		return "Not known"
	case *c:
		return "Yes"
	default:
		return "No"
	}
}

func consentValue(c *bool) string {
	switch {
	case c == nil:
		return ""
	case *c:
		return "yes"
	default:
		return "no"
	}
}

// ---- list ----

// campaignList is the firm's campaigns with their funnels, filtered by
// status and partner.
func (s *Server) campaignList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	sc := staffFrom(ctx)
	d := view.CampaignListProps{Base: "/t/" + sc.Tenant.Slug, Status: q.Get("status"), Partner: q.Get("partner"),
		Statuses: labelOptions(campaign.Statuses, campaign.StatusLabels), CanManage: canManagePartners(r)}
	f := campaign.Filter{}
	if _, ok := campaign.StatusLabels[d.Status]; ok {
		f.Status = d.Status
	} else {
		d.Status = ""
	}
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ps, err := partner.List(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.Partners = partnerOptions(ps, false)
		if id, err := uuid.Parse(d.Partner); err == nil && containsOption(d.Partners, d.Partner) {
			f.PartnerID = &id
		} else {
			d.Partner = ""
		}
		d.Filtered = f.Status != "" || f.PartnerID != nil
		cs, err := campaign.List(ctx, tx, sc.Tenant.ID, f)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		fs, err := campaign.Funnels(ctx, tx, sc.Tenant.ID, ids)
		if err != nil {
			return err
		}
		for _, c := range cs {
			d.Rows = append(d.Rows, view.CampaignRow{URL: campaignPath(sc.Tenant.Slug, c.ID), Name: c.Name,
				Kind: campaign.KindLabels[c.Kind], Partners: campaignPartnerNames(c), Dates: campaignDates(c),
				Status: c.Status, StatusL: campaign.StatusLabels[c.Status], Funnel: funnelCells(fs[c.ID])})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.CampaignListPage(s.page(r, "Campaigns", "campaigns"), d))
}

func containsOption(opts []view.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// ---- create and edit ----

// campaignFormOf is the form's props for an input.
func campaignFormOf(in campaign.Input) view.CampaignFormProps {
	d := view.CampaignFormProps{Name: in.Name, Kind: in.Kind, Status: in.Status, StartsOn: in.StartsOn, EndsOn: in.EndsOn,
		Description: in.Description, OurAudience: in.OurAudience, Overlap: in.OverlapPct, LeadRule: in.LeadRule,
		LeadRulesNote: in.LeadRulesNote}
	for _, p := range in.Partners {
		d.PartnerRows = append(d.PartnerRows, view.CampaignPartnerRow{PartnerID: p.PartnerID, Audience: p.Audience})
	}
	for _, rr := range in.Responsibilities {
		d.RespRows = append(d.RespRows, view.CampaignRespRow{Task: rr.Task, Owner: rr.Owner, Note: rr.Note})
	}
	return d
}

// campaignInputFrom reads the form.
func campaignInputFrom(f url.Values) campaign.Input {
	in := campaign.Input{Name: f.Get("name"), Kind: f.Get("kind"), Status: f.Get("status"), StartsOn: f.Get("starts_on"),
		EndsOn: f.Get("ends_on"), Description: f.Get("description"), OurAudience: f.Get("our_audience"),
		OverlapPct: f.Get("overlap"), LeadRule: f.Get("lead_rule"), LeadRulesNote: f.Get("lead_rules_note")}
	ids, auds := f["partner_id"], f["partner_audience"]
	for i := range min(len(ids), 20) {
		a := ""
		if i < len(auds) {
			a = auds[i]
		}
		in.Partners = append(in.Partners, campaign.PartnerInput{PartnerID: ids[i], Audience: a})
	}
	tasks, owners, notes := f["resp_task"], f["resp_owner"], f["resp_note"]
	for i := range min(len(tasks), 30) {
		rr := campaign.ResponsibilityInput{Task: tasks[i]}
		if i < len(owners) {
			rr.Owner = owners[i]
		}
		if i < len(notes) {
			rr.Note = notes[i]
		}
		in.Responsibilities = append(in.Responsibilities, rr)
	}
	return in
}

// renderCampaignForm fills the choices and shows the form with blank rows
// to add partners and tasks.
func (s *Server) renderCampaignForm(w http.ResponseWriter, r *http.Request, status int, title string, d view.CampaignFormProps) {
	ctx := r.Context()
	sc := staffFrom(ctx)
	d.Base = "/t/" + sc.Tenant.Slug
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ps, err := partner.List(ctx, tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		d.PartnerOpts = partnerOptions(ps, false)
		d.OwnerOpts = []view.Option{{Value: "us", Label: sc.Tenant.Name + " (us)"}}
		for _, p := range ps {
			d.OwnerOpts = append(d.OwnerOpts, view.Option{Value: "partner:" + p.ID.String(), Label: p.Name})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Kinds = labelOptions(campaign.Kinds, campaign.KindLabels)
	d.Statuses = labelOptions(campaign.Statuses, campaign.StatusLabels)
	d.Tasks = labelOptions(campaign.Tasks, campaign.TaskLabels)
	d.LeadRules = labelOptions(campaign.LeadRules, campaign.LeadRuleLabels)
	for _, k := range campaign.LeadRules {
		d.LeadRuleHelp = append(d.LeadRuleHelp, view.Option{Value: campaign.LeadRuleLabels[k], Label: campaign.LeadRuleHelp[k]})
	}
	for len(d.PartnerRows) < 2 || d.PartnerRows[len(d.PartnerRows)-1].PartnerID != "" {
		d.PartnerRows = append(d.PartnerRows, view.CampaignPartnerRow{})
	}
	for len(d.RespRows) < 3 || d.RespRows[len(d.RespRows)-1].Task != "" {
		d.RespRows = append(d.RespRows, view.CampaignRespRow{Owner: "us"})
	}
	s.render(w, r, status, view.CampaignFormPage(s.page(r, title, "campaigns"), d))
}

// campaignNew is the new campaign form (?partner= preselects one).
func (s *Server) campaignNew(w http.ResponseWriter, r *http.Request) {
	sc := staffFrom(r.Context())
	d := view.CampaignFormProps{Status: "planned", LeadRule: "existing_clients_keep", Submit: "Create the campaign",
		Action: campaignsPath(sc.Tenant.Slug), CancelURL: campaignsPath(sc.Tenant.Slug)}
	if p := r.URL.Query().Get("partner"); p != "" {
		d.PartnerRows = []view.CampaignPartnerRow{{PartnerID: p}}
	}
	s.renderCampaignForm(w, r, http.StatusOK, "New campaign", d)
}

// campaignCreate records a campaign; bad input re-shows the form with the
// user's input.
func (s *Server) campaignCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := campaignInputFrom(r.PostForm)
	var c campaign.Campaign
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		c, err = campaign.Create(ctx, tx, sc.Tenant.ID, in, actorID(r))
		return err
	})
	sc := staffFrom(ctx)
	if apperr.Code(err) == apperr.EInvalid {
		d := campaignFormOf(in)
		d.Form = formErrors(err)
		d.Submit, d.Action, d.CancelURL = "Create the campaign", campaignsPath(sc.Tenant.Slug), campaignsPath(sc.Tenant.Slug)
		s.renderCampaignForm(w, r, http.StatusUnprocessableEntity, "New campaign", d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The campaign “"+c.Name+"” is created. Add its leads below, or import the attendee list.")
	redirect(w, r, campaignPath(sc.Tenant.Slug, c.ID))
}

// campaignEdit is the edit form.
func (s *Server) campaignEdit(w http.ResponseWriter, r *http.Request) {
	c, err := s.inCampaign(r, func(pgx.Tx, *staffCtx, campaign.Campaign) error { return nil })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	d := campaignFormOf(campaign.InputOf(c))
	d.Submit, d.Action, d.CancelURL = "Save the campaign", campaignPath(sc.Tenant.Slug, c.ID), campaignPath(sc.Tenant.Slug, c.ID)
	s.renderCampaignForm(w, r, http.StatusOK, "Edit "+c.Name, d)
}

// campaignUpdate saves the edit form.
func (s *Server) campaignUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in campaign.Input
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = campaignInputFrom(r.PostForm)
		_, err := campaign.Update(ctx, tx, sc.Tenant.ID, c.ID, in)
		return err
	})
	sc := staffFrom(ctx)
	if apperr.Code(err) == apperr.EInvalid {
		d := campaignFormOf(in)
		d.Form = formErrors(err)
		d.Submit, d.Action, d.CancelURL = "Save the campaign", campaignPath(sc.Tenant.Slug, c.ID), campaignPath(sc.Tenant.Slug, c.ID)
		s.renderCampaignForm(w, r, http.StatusUnprocessableEntity, "Edit "+c.Name, d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The campaign is saved.")
	redirect(w, r, campaignPath(sc.Tenant.Slug, c.ID))
}

// ---- the campaign page ----

// leadFilterFrom reads the leads filter of the page (owner, lead_status).
func leadFilterFrom(r *http.Request, c campaign.Campaign) campaign.LeadFilter {
	q := r.URL.Query()
	f := campaign.LeadFilter{Owner: q.Get("owner"), Status: q.Get("lead_status")}
	if f.Owner != "" && f.Owner != "us" {
		if id, ok := campaign.ParseOwner(f.Owner); !ok || id == nil || !c.HasPartner(*id) {
			f.Owner = ""
		}
	}
	if _, ok := campaign.LeadStatusLabels[f.Status]; !ok {
		f.Status = ""
	}
	return f
}

func (s *Server) campaignShow(w http.ResponseWriter, r *http.Request) {
	s.renderCampaignShow(w, r, http.StatusOK, nil)
}

// renderCampaignShow shows the campaign page; add is the add-lead form as
// re-shown after bad input (nil: a blank one).
func (s *Server) renderCampaignShow(w http.ResponseWriter, r *http.Request, status int, add *view.CampaignLeadFormProps) {
	ctx := r.Context()
	var d view.CampaignShowProps
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		slug, firm := sc.Tenant.Slug, sc.Tenant.Name
		f := leadFilterFrom(r, c)
		fn, err := campaign.FunnelOf(ctx, tx, sc.Tenant.ID, c.ID)
		if err != nil {
			return err
		}
		leads, err := campaign.ListLeads(ctx, tx, sc.Tenant.ID, c.ID, f)
		if err != nil {
			return err
		}
		reach := c.Reach()
		d = view.CampaignShowProps{Base: "/t/" + slug, URL: campaignPath(slug, c.ID), Name: c.Name,
			Kind: campaign.KindLabels[c.Kind], Status: c.Status, StatusL: campaign.StatusLabels[c.Status], Dates: campaignDates(c),
			Description: c.Description, ReachNet: campaign.Thousands(reach.Net()), ReachFormula: reach.Formula(),
			Overlap: campaign.PercentText(c.OverlapBP) + "%", LeadRule: campaign.LeadRuleLabels[c.LeadRule],
			LeadRuleHelp: campaign.LeadRuleHelp[c.LeadRule], LeadRulesNote: c.LeadRulesNote, Funnel: funnelCells(fn),
			FunnelChart: funnelChart(fn), Owner: f.Owner, LeadStatus: f.Status, Filtered: f.Owner != "" || f.Status != "",
			OwnerOpts: ownerOptions(c, firm), StatusOpts: labelOptions(campaign.LeadStatuses, campaign.LeadStatusLabels),
			CanManage: canManagePartners(r), EditURL: campaignPath(slug, c.ID) + "/edit", ImportURL: campaignPath(slug, c.ID) + "/import"}
		d.Audiences = append(d.Audiences, view.Option{Label: firm + " (us)", Value: campaign.Thousands(c.OurAudience)})
		for _, p := range c.Partners {
			d.Partners = append(d.Partners, p.Name)
			d.Audiences = append(d.Audiences, view.Option{Label: p.Name, Value: campaign.Thousands(p.Audience)})
		}
		for _, rr := range c.Responsibilities {
			owner := firm
			if rr.PartnerID != nil {
				owner = c.PartnerName(*rr.PartnerID)
			}
			d.Resps = append(d.Resps, view.CampaignResp{Task: campaign.TaskLabels[rr.Task], Owner: owner, Note: rr.Note})
		}
		d.LeadTotal = int(fn.Leads)
		for _, l := range leads {
			row := view.CampaignLeadRow{URL: leadPath(slug, c.ID, l.ID), Name: l.Name, Company: l.Company, Title: l.Title,
				Email: l.Email, Owner: leadOwnerLabel(l, firm), Status: l.Status, StatusL: campaign.LeadStatusLabels[l.Status]}
			if l.ReferralID != nil {
				row.ReferralURL, row.ReferralRef = "/t/"+slug+"/referrals/"+l.ReferralID.String(), fmt.Sprintf("R-%d", l.ReferralNumber)
			}
			d.Leads = append(d.Leads, row)
		}
		v := url.Values{}
		if f.Owner != "" {
			v.Set("owner", f.Owner)
		}
		if f.Status != "" {
			v.Set("lead_status", f.Status)
		}
		d.CSVURL = campaignPath(slug, c.ID) + "/leads.csv"
		if len(v) > 0 {
			d.CSVURL += "?" + v.Encode()
		}
		if add != nil {
			d.AddLead = *add
		} else {
			d.AddLead = view.CampaignLeadFormProps{Owner: "us", Status: "new"}
		}
		d.AddLead.Action = campaignPath(slug, c.ID) + "/leads"
		d.AddLead.OwnerOpts, d.AddLead.ShowOwner = ownerOptions(c, firm), true
		d.AddLead.StatusOpts = labelOptions(campaign.FollowUpStatuses, campaign.LeadStatusLabels)
		d.AddLead.ConsentOpts = consentOptions
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, view.CampaignShowPage(s.page(r, c.Name, "campaigns"), d))
}

// campaignLeadsCSV downloads the leads the page shows (same filters).
func (s *Server) campaignLeadsCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var leads []campaign.Lead
	var firm string
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) (err error) {
		firm = sc.Tenant.Name
		leads, err = campaign.ListLeads(ctx, tx, sc.Tenant.ID, c.ID, leadFilterFrom(r, c))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	csvout.Attach(w, csvout.Filename("campaign-leads", s.now()))
	cw, err := csvout.NewWriter(w, "name", "email", "company", "title", "consent", "notes", "owner", "status", "referral",
		"source", "added", "campaign")
	if err != nil {
		return
	}
	for _, l := range leads {
		ref := ""
		if l.ReferralID != nil {
			ref = fmt.Sprintf("R-%d", l.ReferralNumber)
		}
		if err := cw.Write(l.Name, l.Email, l.Company, l.Title, consentValue(l.Consent), l.Notes, leadOwnerLabel(l, firm),
			l.Status, ref, l.Source, l.CreatedAt.UTC().Format(time.DateOnly), c.Name); err != nil {
			return
		}
	}
	_ = cw.Flush()
}

// ---- leads ----

func leadInputFrom(f url.Values) campaign.LeadInput {
	return campaign.LeadInput{Name: f.Get("name"), Email: f.Get("email"), Company: f.Get("company"), Title: f.Get("title"),
		Consent: f.Get("consent"), Notes: f.Get("notes"), Owner: f.Get("owner"), Status: f.Get("status")}
}

func leadFormOf(in campaign.LeadInput) view.CampaignLeadFormProps {
	return view.CampaignLeadFormProps{Name: in.Name, Email: in.Email, Company: in.Company, Title: in.Title, Consent: in.Consent,
		Notes: in.Notes, Owner: in.Owner, Status: in.Status}
}

// campaignAddLead adds a lead by hand.
func (s *Server) campaignAddLead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in campaign.LeadInput
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = leadInputFrom(r.PostForm)
		in.Source = campaign.SourceStaff
		_, err := campaign.AddLead(ctx, tx, sc.Tenant.ID, c, in, campaign.Actor{UserID: actorID(r)})
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		d := leadFormOf(in)
		d.Form = formErrors(err)
		s.renderCampaignShow(w, r, http.StatusUnprocessableEntity, &d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", strings.TrimSpace(in.Name)+" is added to the leads.")
	redirect(w, r, campaignPath(staffFrom(ctx).Tenant.Slug, c.ID)+"#leads")
}

// inLead loads the campaign and the lead named by {lead}.
func (s *Server) inLead(r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign, l campaign.Lead) error) (campaign.Campaign, campaign.Lead, error) {
	var l campaign.Lead
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		lid, err := idParam(r, "lead")
		if err != nil {
			return err
		}
		if l, err = campaign.GetLead(r.Context(), tx, sc.Tenant.ID, c.ID, lid); err != nil {
			return err
		}
		return fn(tx, sc, c, l)
	})
	return c, l, err
}

func (s *Server) campaignLeadShow(w http.ResponseWriter, r *http.Request) {
	c, l, err := s.inLead(r, func(pgx.Tx, *staffCtx, campaign.Campaign, campaign.Lead) error { return nil })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.leadProps(r, c, l)
	d.Name, d.Email, d.Company, d.Title, d.Notes = l.Name, l.Email, l.Company, l.Title, l.Notes
	d.Owner, d.Status = ownerFormValue(l.OwnerPartnerID), l.Status
	s.render(w, r, http.StatusOK, view.CampaignLeadPage(s.page(r, l.Name, "campaigns"), d))
}

func ownerFormValue(id *uuid.UUID) string {
	if id == nil {
		return "us"
	}
	return id.String()
}

// leadProps fills what the lead page shows of the lead as stored.
func (s *Server) leadProps(r *http.Request, c campaign.Campaign, l campaign.Lead) view.CampaignLeadProps {
	sc := staffFrom(r.Context())
	slug := sc.Tenant.Slug
	d := view.CampaignLeadProps{CampaignName: c.Name, CampaignURL: campaignPath(slug, c.ID), Action: leadPath(slug, c.ID, l.ID),
		Consent: consentText(l.Consent), Source: l.Source, Added: l.CreatedAt.UTC().Format("2 Jan 2006"),
		OwnerL: leadOwnerLabel(l, sc.Tenant.Name), StatusL: campaign.LeadStatusLabels[l.Status],
		OwnerOpts: ownerOptions(c, sc.Tenant.Name), StatusOpts: labelOptions(campaign.FollowUpStatuses, campaign.LeadStatusLabels),
		Converted: l.ReferralID != nil, ConvertURL: leadPath(slug, c.ID, l.ID) + "/convert", CanManage: canManagePartners(r)}
	if l.ReferralID != nil {
		d.ReferralURL, d.ReferralRef = "/t/"+slug+"/referrals/"+l.ReferralID.String(), fmt.Sprintf("R-%d", l.ReferralNumber)
	}
	if d.Status == "" {
		d.Status = l.Status
	}
	return d
}

// campaignLeadUpdate saves the lead form: owner, follow-up, notes and the
// contact details.
func (s *Server) campaignLeadUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f url.Values
	c, l, err := s.inLead(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign, l campaign.Lead) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		f = r.PostForm
		u := campaign.LeadUpdate{}
		for dst, k := range map[**string]string{&u.Name: "name", &u.Email: "email", &u.Company: "company", &u.Title: "title",
			&u.Notes: "notes", &u.Owner: "owner", &u.Status: "status"} {
			if vs, ok := f[k]; ok && len(vs) > 0 {
				v := vs[0]
				*dst = &v
			}
		}
		_, err := campaign.UpdateLead(ctx, tx, sc.Tenant.ID, c, l.ID, u, campaign.Actor{UserID: actorID(r)})
		return err
	})
	if apperr.Code(err) == apperr.EInvalid {
		d := s.leadProps(r, c, l)
		d.Form = formErrors(err)
		d.Name, d.Email, d.Company, d.Title, d.Notes = f.Get("name"), f.Get("email"), f.Get("company"), f.Get("title"), f.Get("notes")
		d.Owner, d.Status = f.Get("owner"), f.Get("status")
		s.render(w, r, http.StatusUnprocessableEntity, view.CampaignLeadPage(s.page(r, l.Name, "campaigns"), d))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "The lead is saved.")
	redirect(w, r, leadPath(staffFrom(ctx).Tenant.Slug, c.ID, l.ID))
}
