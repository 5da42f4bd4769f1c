package server

import "github.com/go-chi/chi/v5"

// taxRoutes: STUB (being built): /commissions/tax.
func (s *Server) taxRoutes(r chi.Router) {}

// partnerTaxRoutes: STUB (being built): /partners/{id}/tax.
func (s *Server) partnerTaxRoutes(r chi.Router) {}
