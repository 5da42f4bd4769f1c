package server

import "github.com/go-chi/chi/v5"

func (s *Server) partnerQualificationRoutes(r chi.Router) {}
