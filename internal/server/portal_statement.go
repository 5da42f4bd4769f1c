package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/web/view"
)

// portalStatementRoutes are the partner's quarterly statements in the
// portal: the list of its quarters and each statement as a page, PDF or
// CSV. The request's transaction is scoped to the partner (RLS), and the
// partner is always the member's own: there is no partner in the URL.
func (s *Server) portalStatementRoutes(r chi.Router) {
	r.Get("/statements", s.portalStatements)
	r.Get("/statements/{quarter}", s.portalStatement)
}

func (s *Server) portalStatements(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var qs []ledger.QuarterInfo
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		qs, err = ledger.PartnerQuarters(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, s.now())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	d := view.PortalStatementListProps{FirmName: pc.Tenant.Name,
		Quarters: quarterRows(qs, "/p/"+pc.Tenant.Slug+"/statements/")}
	s.render(w, r, http.StatusOK, view.PortalStatementListPage(s.page(r, "Statements", "commissions"), d))
}

func (s *Server) portalStatement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, format, err := statementQuarter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var st ledger.Statement
	err = s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		st, err = ledger.PartnerStatement(ctx, tx, pc.Tenant.ID, pc.Member.PartnerID, q, s.now())
		return err
	})
	if err != nil {
		s.failStatement(w, r, err)
		return
	}
	if s.writeStatementFile(w, r, st, format) {
		return
	}
	pc := portalFrom(ctx)
	d := statementView(st, "/p/"+pc.Tenant.Slug+"/statements", false)
	s.render(w, r, http.StatusOK, view.PortalStatementPage(s.page(r, "Statement "+q.Label(), "commissions"), d))
}
