package server

import "github.com/go-chi/chi/v5"

// statementRoutes: STUB (being built): /commissions/statements.
func (s *Server) statementRoutes(r chi.Router) {}

// partnerStatementRoutes: STUB (being built): /partners/{id}/statements.
func (s *Server) partnerStatementRoutes(r chi.Router) {}
