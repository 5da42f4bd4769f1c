package server

import "github.com/go-chi/chi/v5"

// partnerAgreementRoutes: staff agreements: a partner's Agreements tab (builder, versions, diff) and the firm-wide agreements list (being built).
func (s *Server) partnerAgreementRoutes(r chi.Router) {}

// agreementRoutes: staff agreements: a partner's Agreements tab (builder, versions, diff) and the firm-wide agreements list (being built).
func (s *Server) agreementRoutes(r chi.Router) {}
