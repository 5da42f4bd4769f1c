package server

import "github.com/go-chi/chi/v5"

// programRoutes: being built (issue 7).
func (s *Server) programRoutes(r chi.Router) {}
