package server

import "github.com/go-chi/chi/v5"

// commissionAreaRoutes: STUB (being built): /commissions review, payouts, owed to us.
func (s *Server) commissionAreaRoutes(r chi.Router) {}

// commissionSettingsRoutes: STUB (being built): /settings/commissions.
func (s *Server) commissionSettingsRoutes(r chi.Router) {}
