package server

import "github.com/go-chi/chi/v5"

// revenueImportRoutes: STUB (being built): /commissions/import.
func (s *Server) revenueImportRoutes(r chi.Router) {}
