package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// partnerList shows the firm's partner firms.
func (s *Server) partnerList(w http.ResponseWriter, r *http.Request) {
	var ps []partner.Partner
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		ps, err = partner.List(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props := view.PartnerListProps{Base: "/t/" + sc.Tenant.Slug, CanCreate: sc.Role.Can(auth.ManagePartners)}
	for _, p := range ps {
		props.Partners = append(props.Partners, partnerRow(p))
	}
	s.render(w, r, http.StatusOK, view.PartnerListPage(s.page(r, "Partners", "partners"), props))
}

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

// partnerNew shows the add-a-partner form.
func (s *Server) partnerNew(w http.ResponseWriter, r *http.Request) {
	sc := staffFrom(r.Context())
	s.render(w, r, http.StatusOK, view.PartnerNewPage(s.page(r, "Add a partner", "partners"),
		view.PartnerFormProps{Base: "/t/" + sc.Tenant.Slug, Type: "referral", Types: typeOptions()}))
}

// partnerCreate adds a partner (status prospect) and records it.
func (s *Server) partnerCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	sc := staffFrom(ctx)
	in := partner.Input{Name: r.PostForm.Get("name"), Domain: r.PostForm.Get("domain"), Type: r.PostForm.Get("type")}
	var p partner.Partner
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if p, err = partner.Create(ctx, tx, sc.Tenant.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.created", "partner", p.ID.String(), map[string]any{"name": p.Name})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.render(w, r, http.StatusUnprocessableEntity, view.PartnerNewPage(s.page(r, "Add a partner", "partners"),
			view.PartnerFormProps{Form: formErrors(err), Base: "/t/" + sc.Tenant.Slug, Name: in.Name, Domain: in.Domain,
				Type: in.Type, Types: typeOptions()}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", p.Name+" was added as a prospect.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String())
}

// partnerShow is a partner's page; other firms' ids are not found.
func (s *Server) partnerShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p partner.Partner
	var users []tenant.PortalMember
	var invites []tenant.Invitation
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if p, err = partner.Get(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		if users, err = tenant.ListPortal(r.Context(), tx, sc.Tenant.ID, p.ID); err != nil {
			return err
		}
		invites, err = tenant.ListInvitations(r.Context(), tx, sc.Tenant.ID, "portal", p.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props := view.PartnerShowProps{Header: partnerHeader(sc, p, "overview"), Base: "/t/" + sc.Tenant.Slug, Partner: partnerRow(p),
		CanInvite: sc.Role.Can(auth.ManageTeam)}
	for _, u := range users {
		props.PortalUsers = append(props.PortalUsers, view.PersonRow{ID: u.UserID.String(), Name: u.Name, Email: u.Email, Role: string(u.Role)})
	}
	for _, i := range invites {
		props.Invitations = append(props.Invitations, view.PersonRow{ID: i.ID.String(), Email: i.Email, Role: string(i.Role),
			Note: "Invited " + i.CreatedAt.Format("2 Jan 2006")})
	}
	s.render(w, r, http.StatusOK, view.PartnerShowPage(s.page(r, p.Name, "partners"), props))
}

// partnerHeader fills the top of a partner's page for the given tab.
func partnerHeader(sc *staffCtx, p partner.Partner, active string) view.PartnerHeaderProps {
	return view.PartnerHeaderProps{Base: "/t/" + sc.Tenant.Slug, ID: p.ID.String(), Name: p.Name, Status: p.Status,
		Type: partner.TypeLabels[p.Type], Tier: p.TierName, Domain: p.Domain, Active: active}
}
