package server

import "github.com/go-chi/chi/v5"

// portalTaxRoutes: STUB (being built): /p/{tenant}/tax.
func (s *Server) portalTaxRoutes(r chi.Router) {}
