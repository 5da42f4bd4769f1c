package server

import "github.com/go-chi/chi/v5"

// referralRoutes: staff referrals: board, list, referral page, outbound, conflicts, at risk (being built).
func (s *Server) referralRoutes(r chi.Router) {}

// partnerReferralRoutes: staff referrals: board, list, referral page, outbound, conflicts, at risk (being built).
func (s *Server) partnerReferralRoutes(r chi.Router) {}
