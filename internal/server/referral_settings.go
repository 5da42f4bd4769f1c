package server

import "github.com/go-chi/chi/v5"

// referralSettingsRoutes: settings: SLA, attribution, referral checklist questions (being built).
func (s *Server) referralSettingsRoutes(r chi.Router) {}
