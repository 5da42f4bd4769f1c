package server

import "github.com/go-chi/chi/v5"

// partnerOnboardingRoutes: onboarding checklists (being built).
func (s *Server) partnerOnboardingRoutes(r chi.Router) {}

// onboardingSettingsRoutes: onboarding checklists (being built).
func (s *Server) onboardingSettingsRoutes(r chi.Router) {}
