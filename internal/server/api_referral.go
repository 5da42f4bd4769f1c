package server

import "github.com/go-chi/chi/v5"

// apiReferralRoutes: API /referrals and /engagements (being built).
func (s *Server) apiReferralRoutes(r chi.Router) {}

// apiEngagementRoutes: API /referrals and /engagements (being built).
func (s *Server) apiEngagementRoutes(r chi.Router) {}
