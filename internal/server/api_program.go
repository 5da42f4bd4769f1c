package server

import "github.com/go-chi/chi/v5"

// apiProgramRoutes: being built (issue 7).
func (s *Server) apiProgramRoutes(r chi.Router) {}
