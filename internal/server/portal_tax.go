package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// portalTaxRoutes is the partner's own tax details in the portal: every
// portal user sees them masked; the partner's admin enters and updates
// them. The transaction is scoped to the partner (RLS) and every query
// names the partner too.
func (s *Server) portalTaxRoutes(r chi.Router) {
	r.Get("/tax", s.showPortalTax)
	r.Post("/tax", s.savePortalTax)
}

func portalTaxPath(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug + "/tax" }

func (s *Server) showPortalTax(w http.ResponseWriter, r *http.Request) {
	s.renderPortalTax(w, r, http.StatusOK, nil)
}

// renderPortalTax shows the page; form, when given, is the submitted form
// re-shown with its errors.
func (s *Server) renderPortalTax(w http.ResponseWriter, r *http.Request, status int, form *view.TaxForm) {
	ctx := r.Context()
	var d *ledger.TaxDetails
	var loc *time.Location
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if loc, err = firmLocation(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		d, err = loadTaxDetails(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	edit := taxEditForm(d)
	if form != nil {
		edit = *form
	}
	props := view.PortalTaxProps{FirmName: pc.Tenant.Name, PartnerName: pc.Member.PartnerName, Details: taxDetailsView(d, loc),
		CanEdit: pc.Member.Role == auth.RolePartnerAdmin, SaveURL: portalTaxPath(pc), Edit: withTaxChoices(edit, d)}
	s.render(w, r, status, view.PortalTaxPage(s.page(r, "Tax details", "commissions"), props))
}

// savePortalTax saves the partner's tax details (its admin only).
func (s *Server) savePortalTax(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pc := portalFrom(ctx)
	if pc.Member.Role != auth.RolePartnerAdmin {
		s.renderError(w, r, http.StatusForbidden, "Only your firm's portal admin can change its tax details.")
		return
	}
	var form view.TaxForm
	var saved ledger.TaxDetails
	read := false
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		var taxID string
		form, taxID = taxFormFrom(r)
		read = true
		var err error
		saved, err = ledger.SaveTaxDetails(ctx, tx, pc.Tenant.ID, taxInput(pc.Member.PartnerID, form, taxID, userFrom(ctx).ID))
		return err
	})
	if code := apperr.Code(err); read && (code == apperr.EInvalid || code == apperr.EConflict) {
		form.Form = formErrors(err)
		s.renderPortalTax(w, r, statusFor(code), &form)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", savedTaxMessage(saved))
	redirect(w, r, portalTaxPath(pc))
}
