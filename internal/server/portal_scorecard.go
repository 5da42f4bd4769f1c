package server

import "github.com/go-chi/chi/v5"

// portalScorecardRoutes: being built (issue 7).
func (s *Server) portalScorecardRoutes(r chi.Router) {}
