package server

import "github.com/go-chi/chi/v5"

// enablementRoutes: enablement library and hot opportunity profiles (being built).
func (s *Server) enablementRoutes(r chi.Router) {}
