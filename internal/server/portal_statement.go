package server

import "github.com/go-chi/chi/v5"

// portalStatementRoutes: STUB (being built): /p/{tenant}/statements.
func (s *Server) portalStatementRoutes(r chi.Router) {}
