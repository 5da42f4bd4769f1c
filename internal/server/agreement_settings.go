package server

import "github.com/go-chi/chi/v5"

// agreementSettingsRoutes: settings: agreement templates and the profession policy pack (being built).
func (s *Server) agreementSettingsRoutes(r chi.Router) {}
