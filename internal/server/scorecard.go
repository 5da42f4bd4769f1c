package server

import "github.com/go-chi/chi/v5"

// partnerScorecardRoutes: being built (issue 7).
func (s *Server) partnerScorecardRoutes(r chi.Router) {}
