package server

import "github.com/go-chi/chi/v5"

// portalAgreementRoutes: portal: read, accept or decline the agreement (being built).
func (s *Server) portalAgreementRoutes(r chi.Router) {}
