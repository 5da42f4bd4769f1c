package server

import "github.com/go-chi/chi/v5"

// apiScorecardRoutes: being built (issue 7).
func (s *Server) apiScorecardRoutes(r chi.Router) {}
