package server

import "github.com/go-chi/chi/v5"

// agreementDocumentRoutes: the agreement as PDF (MOU, full) and print page (being built).
func (s *Server) agreementDocumentRoutes(r chi.Router) {}
