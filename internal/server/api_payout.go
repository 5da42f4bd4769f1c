package server

import "github.com/go-chi/chi/v5"

// apiPayoutRoutes: STUB (being built): /payouts.
func (s *Server) apiPayoutRoutes(r chi.Router) {}
