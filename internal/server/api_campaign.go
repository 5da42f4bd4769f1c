package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/campaign"
)

// apiCampaignRoutes: /campaigns and /campaigns/{id}/leads — co-marketing
// campaigns with partners and their leads. Reads: any role; writes:
// ManagePartners. Creates take an Idempotency-Key.
func (s *Server) apiCampaignRoutes(r chi.Router) {
	r.Route("/campaigns", func(r chi.Router) {
		manage := s.apiRequire(auth.ManagePartners)
		r.Get("/", s.apiListCampaigns)
		r.With(manage).Post("/", s.apiCreateCampaign)
		r.Get("/{id}", s.apiGetCampaign)
		r.With(manage).Patch("/{id}", s.apiUpdateCampaign)
		r.Get("/{id}/leads", s.apiListLeads)
		r.With(manage).Post("/{id}/leads", s.apiCreateLead)
		r.With(manage).Patch("/{id}/leads/{lead_id}", s.apiUpdateLead)
	})
}

// ---- JSON shapes (the Campaign*, Lead* schemas) ----

type apiCampaignPartner struct {
	PartnerID uuid.UUID `json:"partner_id"`
	Name      string    `json:"name"`
	Audience  int64     `json:"audience"`
}

type apiResponsibility struct {
	Task      string     `json:"task"`
	OwnerSide string     `json:"owner_side"`
	PartnerID *uuid.UUID `json:"partner_id"`
	Note      string     `json:"note"`
}

type apiMoney struct {
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

type apiCampaignFunnel struct {
	Leads     int64      `json:"leads"`
	Qualified int64      `json:"qualified"`
	Referrals int64      `json:"referrals"`
	Won       int64      `json:"won"`
	Revenue   []apiMoney `json:"revenue"`
}

type apiCampaign struct {
	ID               uuid.UUID            `json:"id"`
	Name             string               `json:"name"`
	Kind             string               `json:"kind"`
	Status           string               `json:"status"`
	StartsOn         string               `json:"starts_on"`
	EndsOn           *string              `json:"ends_on"`
	Description      string               `json:"description"`
	Partners         []apiCampaignPartner `json:"partners"`
	OurAudience      int64                `json:"our_audience"`
	OverlapBP        int64                `json:"overlap_bp"`
	CombinedReach    int64                `json:"combined_reach"`
	ReachFormula     string               `json:"reach_formula"`
	Responsibilities []apiResponsibility  `json:"responsibilities"`
	LeadRule         string               `json:"lead_rule"`
	LeadRulesNote    string               `json:"lead_rules_note"`
	Funnel           apiCampaignFunnel    `json:"funnel"`
	CreatedAt        time.Time            `json:"created_at"`
	UpdatedAt        time.Time            `json:"updated_at"`
}

func apiCampaignFrom(c campaign.Campaign, f campaign.Funnel) apiCampaign {
	reach := c.Reach()
	out := apiCampaign{ID: c.ID, Name: c.Name, Kind: c.Kind, Status: c.Status, StartsOn: c.StartsOn.Format(time.DateOnly),
		Description: c.Description, Partners: []apiCampaignPartner{}, OurAudience: c.OurAudience, OverlapBP: c.OverlapBP,
		CombinedReach: reach.Net(), ReachFormula: reach.Formula(), Responsibilities: []apiResponsibility{},
		LeadRule: c.LeadRule, LeadRulesNote: c.LeadRulesNote, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		Funnel: apiCampaignFunnel{Leads: f.Leads, Qualified: f.Qualified, Referrals: f.Referrals, Won: f.Won, Revenue: []apiMoney{}}}
	if c.EndsOn != nil {
		e := c.EndsOn.Format(time.DateOnly)
		out.EndsOn = &e
	}
	for _, p := range c.Partners {
		out.Partners = append(out.Partners, apiCampaignPartner{PartnerID: p.PartnerID, Name: p.Name, Audience: p.Audience})
	}
	for _, r := range c.Responsibilities {
		side := "us"
		if r.PartnerID != nil {
			side = "partner"
		}
		out.Responsibilities = append(out.Responsibilities, apiResponsibility{Task: r.Task, OwnerSide: side, PartnerID: r.PartnerID, Note: r.Note})
	}
	for _, m := range f.Revenue {
		out.Funnel.Revenue = append(out.Funnel.Revenue, apiMoney{AmountCents: m.Cents, Currency: m.Currency})
	}
	return out
}

type apiLead struct {
	ID             uuid.UUID  `json:"id"`
	CampaignID     uuid.UUID  `json:"campaign_id"`
	Name           string     `json:"name"`
	Email          *string    `json:"email"`
	Company        string     `json:"company"`
	Title          string     `json:"title"`
	Consent        *bool      `json:"consent"`
	Notes          string     `json:"notes"`
	OwnerSide      string     `json:"owner_side"`
	OwnerPartnerID *uuid.UUID `json:"owner_partner_id"`
	Status         string     `json:"status"`
	ReferralID     *uuid.UUID `json:"referral_id"`
	Source         string     `json:"source"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func apiLeadFrom(l campaign.Lead) apiLead {
	side := "us"
	if l.OwnerPartnerID != nil {
		side = "partner"
	}
	return apiLead{ID: l.ID, CampaignID: l.CampaignID, Name: l.Name, Email: nullStr(l.Email), Company: l.Company, Title: l.Title,
		Consent: l.Consent, Notes: l.Notes, OwnerSide: side, OwnerPartnerID: l.OwnerPartnerID, Status: l.Status,
		ReferralID: l.ReferralID, Source: l.Source, CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC()}
}

// ---- campaigns ----

func (s *Server) apiListCampaigns(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	errs := map[string]string{}
	f := campaign.Filter{Status: q.Get("status"), Kind: q.Get("kind"), PartnerID: apiOptID(r, "partner_id", errs)}
	if f.Status != "" && !slices.Contains(campaign.Statuses, f.Status) {
		errs["status"] = "Use planned, active, completed or cancelled."
	}
	if f.Kind != "" && !slices.Contains(campaign.Kinds, f.Kind) {
		errs["kind"] = "Use " + strings.Join(campaign.Kinds, ", ") + "."
	}
	if len(errs) > 0 {
		s.fail(w, r, apperr.Invalid(errs))
		return
	}
	var cs []campaign.Campaign
	var fs map[uuid.UUID]campaign.Funnel
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		if cs, err = campaign.ListPage(r.Context(), tx, ac.Tenant.ID, f, campaign.PagePos(after), limit+1); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		fs, err = campaign.Funnels(r.Context(), tx, ac.Tenant.ID, ids)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(cs, limit,
		func(c campaign.Campaign) pagePos { return pagePos{CreatedAt: c.CreatedAt, ID: c.ID} },
		func(c campaign.Campaign) apiCampaign { return apiCampaignFrom(c, fs[c.ID]) }))
}

// apiLoadCampaign reads the {id} campaign with its funnel.
func (s *Server) apiLoadCampaign(r *http.Request) (apiCampaign, error) {
	id, err := apiID(r, "id", "Campaign")
	if err != nil {
		return apiCampaign{}, err
	}
	var out apiCampaign
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		c, err := campaign.Get(r.Context(), tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		f, err := campaign.FunnelOf(r.Context(), tx, ac.Tenant.ID, id)
		out = apiCampaignFrom(c, f)
		return err
	})
	return out, err
}

func (s *Server) apiGetCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.apiLoadCampaign(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, c)
}

// apiCampaignWrite is the body of POST and PATCH /campaigns (PATCH: what
// is present changes).
type apiCampaignWrite struct {
	Name          *string `json:"name"`
	Kind          *string `json:"kind"`
	Status        *string `json:"status"`
	StartsOn      *string `json:"starts_on"`
	EndsOn        *string `json:"ends_on"`
	Description   *string `json:"description"`
	OurAudience   *int64  `json:"our_audience"`
	OverlapBP     *int64  `json:"overlap_bp"`
	LeadRule      *string `json:"lead_rule"`
	LeadRulesNote *string `json:"lead_rules_note"`
	Partners      *[]struct {
		PartnerID string `json:"partner_id"`
		Audience  int64  `json:"audience"`
	} `json:"partners"`
	Responsibilities *[]struct {
		Task      string `json:"task"`
		OwnerSide string `json:"owner_side"`
		PartnerID string `json:"partner_id"`
		Note      string `json:"note"`
	} `json:"responsibilities"`
}

// apply puts the body's fields over in; errs gets the API's own checks.
func (b apiCampaignWrite) apply(in *campaign.Input, raw []byte, errs map[string]string) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Name, b.Name)
	set(&in.Kind, b.Kind)
	set(&in.Status, b.Status)
	set(&in.StartsOn, b.StartsOn)
	set(&in.Description, b.Description)
	set(&in.LeadRule, b.LeadRule)
	set(&in.LeadRulesNote, b.LeadRulesNote)
	var present map[string]json.RawMessage
	_ = json.Unmarshal(raw, &present)
	if _, ok := present["ends_on"]; ok {
		in.EndsOn = ""
		set(&in.EndsOn, b.EndsOn)
	}
	if b.OurAudience != nil {
		in.OurAudience = strconv.FormatInt(*b.OurAudience, 10)
	}
	if b.OverlapBP != nil {
		if *b.OverlapBP < 0 || *b.OverlapBP > 10000 {
			errs["overlap_bp"] = "Use basis points from 0 to 10000 (2500 is 25%)."
		} else {
			in.OverlapPct = campaign.PercentText(*b.OverlapBP)
		}
	}
	if b.Partners != nil {
		in.Partners = nil
		for i, p := range *b.Partners {
			if strings.TrimSpace(p.PartnerID) == "" {
				errs["partners["+strconv.Itoa(i)+"].partner_id"] = "Name the partner (its id)."
				continue
			}
			in.Partners = append(in.Partners, campaign.PartnerInput{PartnerID: p.PartnerID, Audience: strconv.FormatInt(p.Audience, 10)})
		}
	}
	if b.Responsibilities != nil {
		in.Responsibilities = nil
		for i, rr := range *b.Responsibilities {
			owner := "us"
			switch rr.OwnerSide {
			case "", "us":
			case "partner":
				owner = "partner:" + rr.PartnerID
			default:
				errs["responsibilities["+strconv.Itoa(i)+"].owner_side"] = "Use us or partner."
			}
			in.Responsibilities = append(in.Responsibilities, campaign.ResponsibilityInput{Task: rr.Task, Owner: owner, Note: rr.Note})
		}
	}
}

// apiCampaignField names a domain field error like the API field.
func apiCampaignField(k string) string {
	for prefix, name := range map[string]string{"partner_": "partners[%s].partner_id", "audience_": "partners[%s].audience",
		"resp_task_": "responsibilities[%s].task", "resp_owner_": "responsibilities[%s].partner_id",
		"resp_note_": "responsibilities[%s].note"} {
		if i, ok := strings.CutPrefix(k, prefix); ok {
			if _, err := strconv.Atoi(i); err == nil {
				return strings.Replace(name, "%s", i, 1)
			}
		}
	}
	if k == "overlap" {
		return "overlap_bp"
	}
	return k
}

func apiCampaignErr(err error, errs map[string]string) error {
	fe := map[string]string{}
	for k, v := range apperr.FieldErrors(err) {
		fe[apiCampaignField(k)] = v
	}
	for k, v := range errs {
		fe[k] = v
	}
	if len(fe) > 0 && (err == nil || apperr.Code(err) == apperr.EInvalid) {
		return apperr.Invalid(fe)
	}
	return err
}

// apiCreateCampaign: POST /campaigns (201), Idempotency-Key honoured.
func (s *Server) apiCreateCampaign(w http.ResponseWriter, r *http.Request) {
	var b apiCampaignWrite
	raw, ok := s.readJSON(w, r, &b)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		errs := map[string]string{}
		in := campaign.Input{}
		b.apply(&in, raw, errs)
		c, err := campaign.Create(ctx, tx, ac.Tenant.ID, in, uuid.Nil)
		if err != nil || len(errs) > 0 {
			return 0, nil, apiCampaignErr(err, errs)
		}
		return http.StatusCreated, apiCampaignFrom(c, campaign.Funnel{}), nil
	})
}

// apiUpdateCampaign: PATCH /campaigns/{id}: the fields present change;
// partners and responsibilities, when present, are replaced whole.
func (s *Server) apiUpdateCampaign(w http.ResponseWriter, r *http.Request) {
	if _, err := s.apiLoadCampaign(r); err != nil {
		s.fail(w, r, err)
		return
	}
	var b apiCampaignWrite
	raw, ok := s.readJSON(w, r, &b)
	if !ok {
		return
	}
	id, _ := apiID(r, "id", "Campaign")
	var out apiCampaign
	err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		ctx := r.Context()
		c, err := campaign.Get(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		in := campaign.InputOf(c)
		errs := map[string]string{}
		b.apply(&in, raw, errs)
		if len(errs) > 0 {
			return apperr.Invalid(errs)
		}
		if c, err = campaign.Update(ctx, tx, ac.Tenant.ID, id, in); err != nil {
			return apiCampaignErr(err, nil)
		}
		f, err := campaign.FunnelOf(ctx, tx, ac.Tenant.ID, id)
		out = apiCampaignFrom(c, f)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

// ---- leads ----

// apiInCampaign runs fn with the {id} campaign of the token's firm (404
// before any body is read).
func (s *Server) apiInCampaign(r *http.Request, fn func(tx pgx.Tx, ac *apiCtx, c campaign.Campaign) error) error {
	id, err := apiID(r, "id", "Campaign")
	if err != nil {
		return err
	}
	return s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		c, err := campaign.Get(r.Context(), tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		return fn(tx, ac, c)
	})
}

func (s *Server) apiListLeads(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := campaign.LeadFilter{Owner: q.Get("owner"), Status: q.Get("status")}
	var leads []campaign.Lead
	err = s.apiInCampaign(r, func(tx pgx.Tx, ac *apiCtx, c campaign.Campaign) (err error) {
		if fe := f.Check(); len(fe) > 0 {
			return apperr.Invalid(fe)
		}
		leads, err = campaign.ListLeadsPage(r.Context(), tx, ac.Tenant.ID, c.ID, f, campaign.PagePos(after), limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(leads, limit,
		func(l campaign.Lead) pagePos { return pagePos{CreatedAt: l.CreatedAt, ID: l.ID} }, apiLeadFrom))
}

// apiLeadWrite is the body of POST and PATCH /campaigns/{id}/leads.
type apiLeadWrite struct {
	Name           *string `json:"name"`
	Email          *string `json:"email"`
	Company        *string `json:"company"`
	Title          *string `json:"title"`
	Consent        *bool   `json:"consent"`
	Notes          *string `json:"notes"`
	OwnerPartnerID *string `json:"owner_partner_id"`
	Status         *string `json:"status"`
}

func apiLeadErr(err error) error {
	fe := apperr.FieldErrors(err)
	if len(fe) == 0 {
		return err
	}
	out := map[string]string{}
	for k, v := range fe {
		if k == "owner" {
			k = "owner_partner_id"
		}
		out[k] = v
	}
	return apperr.Invalid(out)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// apiCreateLead: POST /campaigns/{id}/leads (201), Idempotency-Key honoured.
func (s *Server) apiCreateLead(w http.ResponseWriter, r *http.Request) {
	if err := s.apiInCampaign(r, func(pgx.Tx, *apiCtx, campaign.Campaign) error { return nil }); err != nil {
		s.fail(w, r, err)
		return
	}
	var b apiLeadWrite
	raw, ok := s.readJSON(w, r, &b)
	if !ok {
		return
	}
	id, _ := apiID(r, "id", "Campaign")
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		c, err := campaign.Get(ctx, tx, ac.Tenant.ID, id)
		if err != nil {
			return 0, nil, err
		}
		in := campaign.LeadInput{Name: deref(b.Name), Email: deref(b.Email), Company: deref(b.Company), Title: deref(b.Title),
			Notes: deref(b.Notes), Owner: deref(b.OwnerPartnerID), Status: deref(b.Status), Source: campaign.SourceAPI}
		if b.Consent != nil {
			in.Consent = strconv.FormatBool(*b.Consent)
		}
		l, err := campaign.AddLead(ctx, tx, ac.Tenant.ID, c, in, campaign.Actor{})
		if err != nil {
			return 0, nil, apiLeadErr(err)
		}
		return http.StatusCreated, apiLeadFrom(l), nil
	})
}

// apiUpdateLead: PATCH /campaigns/{id}/leads/{lead_id}: owner
// (owner_partner_id, null for us), follow-up status, notes, contact details.
func (s *Server) apiUpdateLead(w http.ResponseWriter, r *http.Request) {
	lid, err := apiID(r, "lead_id", "Lead")
	if err == nil {
		err = s.apiInCampaign(r, func(tx pgx.Tx, ac *apiCtx, c campaign.Campaign) error {
			_, err := campaign.GetLead(r.Context(), tx, ac.Tenant.ID, c.ID, lid)
			return err
		})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b apiLeadWrite
	raw, ok := s.readJSON(w, r, &b)
	if !ok {
		return
	}
	var present map[string]json.RawMessage
	_ = json.Unmarshal(raw, &present)
	u := campaign.LeadUpdate{Name: b.Name, Email: b.Email, Company: b.Company, Title: b.Title, Notes: b.Notes, Status: b.Status}
	if _, ok := present["owner_partner_id"]; ok {
		owner := "us"
		if b.OwnerPartnerID != nil {
			owner = *b.OwnerPartnerID
		}
		u.Owner = &owner
	}
	var out apiLead
	err = s.apiInCampaign(r, func(tx pgx.Tx, ac *apiCtx, c campaign.Campaign) error {
		l, err := campaign.UpdateLead(r.Context(), tx, ac.Tenant.ID, c, lid, u, campaign.Actor{})
		out = apiLeadFrom(l)
		return apiLeadErr(err)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}
