package server

import "github.com/go-chi/chi/v5"

// portalReferralRoutes: portal referrals: submit, follow, answer outbound referrals (being built).
func (s *Server) portalReferralRoutes(r chi.Router) {}
