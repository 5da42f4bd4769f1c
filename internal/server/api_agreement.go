package server

import "github.com/go-chi/chi/v5"

// apiAgreementRoutes: API /agreements (being built).
func (s *Server) apiAgreementRoutes(r chi.Router) {}
