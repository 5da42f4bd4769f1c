package server

import "github.com/go-chi/chi/v5"

// portalResourceRoutes: portal Resources and onboarding progress (being built).
func (s *Server) portalResourceRoutes(r chi.Router) {}
