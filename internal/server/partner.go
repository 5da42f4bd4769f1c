package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

func partnerRow(p partner.Partner) view.PartnerRow {
	return view.PartnerRow{ID: p.ID.String(), Name: p.Name, Domain: p.Domain, Type: partner.TypeLabels[p.Type],
		Status: p.Status, Created: p.CreatedAt.Format("2 Jan 2006")}
}

func typeOptions() []view.Option {
	out := make([]view.Option, 0, len(partner.Types))
	for _, t := range partner.Types {
		out = append(out, view.Option{Value: t, Label: partner.TypeLabels[t]})
	}
	return out
}

// duplicateDomainError stops a save when another partner already has the
// domain and the person did not tick "save anyway"; the form shows a
// warning with a link to that partner.
type duplicateDomainError struct{ Existing partner.Partner }

func (e *duplicateDomainError) Error() string { return "partner: duplicate domain" }

// checkDuplicateDomain returns a duplicateDomainError when another of the
// firm's partners (not except) has domain, unless saveAnyway.
func checkDuplicateDomain(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, domain string, except uuid.UUID, saveAnyway bool) error {
	if saveAnyway {
		return nil
	}
	dup, err := partner.DuplicateDomain(ctx, tx, tenantID, domain, except)
	if err != nil || dup == nil {
		return err
	}
	return &duplicateDomainError{Existing: *dup}
}

// duplicateView turns a duplicateDomainError into the form's warning and
// errors (nil, zero when err is something else).
func duplicateView(base string, err error) (*view.DuplicatePartner, view.Form) {
	var dup *duplicateDomainError
	if !errors.As(err, &dup) {
		return nil, view.Form{}
	}
	return &view.DuplicatePartner{Name: dup.Existing.Name, URL: base + "/partners/" + dup.Existing.ID.String()},
		view.Form{Errors: view.FieldErrors{"domain": dup.Existing.Name + " already has this domain."}}
}

// partnerNew shows the add-a-partner form.
func (s *Server) partnerNew(w http.ResponseWriter, r *http.Request) {
	sc := staffFrom(r.Context())
	s.render(w, r, http.StatusOK, view.PartnerNewPage(s.page(r, "Add a partner", "partners"),
		view.PartnerFormProps{Base: "/t/" + sc.Tenant.Slug, Type: "referral", Types: typeOptions()}))
}

// partnerCreate adds a partner (status prospect) and records it. A domain
// another partner already has is warned about, with a link to that
// partner; ticking "save anyway" adds it all the same.
func (s *Server) partnerCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	in := partner.Input{Name: r.PostForm.Get("name"), Domain: r.PostForm.Get("domain"), Type: r.PostForm.Get("type")}
	saveAnyway := r.PostForm.Get("save_anyway") != ""
	var p partner.Partner
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if err := in.Validate(); err != nil {
			return err
		}
		if err := checkDuplicateDomain(ctx, tx, sc.Tenant.ID, in.Domain, uuid.Nil, saveAnyway); err != nil {
			return err
		}
		if p, err = partner.Create(ctx, tx, sc.Tenant.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.created", "partner", p.ID.String(), map[string]any{"name": p.Name})
	})
	if dup, form := duplicateView(base, err); dup != nil || apperr.Code(err) == apperr.EInvalid {
		if dup == nil {
			form = formErrors(err)
		}
		s.render(w, r, http.StatusUnprocessableEntity, view.PartnerNewPage(s.page(r, "Add a partner", "partners"),
			view.PartnerFormProps{Form: form, Base: base, Name: in.Name, Domain: in.Domain,
				Type: in.Type, Types: typeOptions(), Duplicate: dup}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", p.Name+" was added as a prospect.")
	redirect(w, r, base+"/partners/"+p.ID.String())
}

// overviewForms are the overview's forms as re-shown after bad input.
type overviewForms struct {
	Lifecycle *view.LifecycleProps   // the status form: errors and input
	Contact   *view.ContactFormProps // the add-a-contact form
}

// partnerShow is a partner's overview tab; other firms' ids are not found.
func (s *Server) partnerShow(w http.ResponseWriter, r *http.Request) {
	s.renderOverview(w, r, http.StatusOK, overviewForms{})
}

// renderOverview shows the {id} partner's overview tab with status, re-showing
// forms as given.
func (s *Server) renderOverview(w http.ResponseWriter, r *http.Request, status int, forms overviewForms) {
	ctx := r.Context()
	var users []tenant.PortalMember
	var invites []tenant.Invitation
	var history []partner.StatusChange
	var contacts []partner.Contact
	var tiers []partner.Tier
	var expired bool
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if tiers, err = partner.ListTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if expired, err = agreement.HasExpired(ctx, tx, sc.Tenant.ID, p.ID, s.now()); err != nil {
			return err
		}
		if history, err = partner.History(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		if contacts, err = partner.ListContacts(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		if users, err = tenant.ListPortal(ctx, tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		invites, err = tenant.ListInvitations(ctx, tx, sc.Tenant.ID, "portal", p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	risk := partner.RelationshipRisk(contacts)
	header := partnerHeader(sc, p, "overview")
	if len(risk) > 0 {
		header.Flags = append(header.Flags, partner.AtRiskFlag)
	}
	if expired {
		header.Flags = append(header.Flags, "Agreement expired")
	}
	props := view.PartnerShowProps{Header: header, Base: base, Partner: partnerRow(p),
		Facts:     partnerFacts(p),
		Lifecycle: lifecycleProps(p, history, forms.Lifecycle),
		Contacts:  contactsPanel(base+"/partners/"+p.ID.String(), contacts, risk, forms.Contact),
		CanInvite: sc.Role.Can(auth.ManageTeam), CanManage: sc.Role.Can(auth.ManagePartners)}
	for _, t := range tiers {
		props.Tiers = append(props.Tiers, view.Option{Value: t.ID.String(), Label: t.Name})
	}
	if p.TierID != nil {
		props.TierID = p.TierID.String()
	}
	for _, u := range users {
		props.PortalUsers = append(props.PortalUsers, view.PersonRow{ID: u.UserID.String(), Name: u.Name, Email: u.Email, Role: string(u.Role)})
	}
	for _, i := range invites {
		props.Invitations = append(props.Invitations, view.PersonRow{ID: i.ID.String(), Email: i.Email, Role: string(i.Role),
			Note: "Invited " + i.CreatedAt.Format("2 Jan 2006")})
	}
	s.render(w, r, status, view.PartnerShowPage(s.page(r, p.Name, "partners"), props))
}

// partnerHeader fills the top of a partner's page for the given tab.
func partnerHeader(sc *staffCtx, p partner.Partner, active string) view.PartnerHeaderProps {
	return view.PartnerHeaderProps{Base: "/t/" + sc.Tenant.Slug, ID: p.ID.String(), Name: p.Name, Status: p.Status,
		Type: partner.TypeLabels[p.Type], Tier: p.TierName, Domain: p.Domain, Active: active}
}
