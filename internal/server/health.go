package server

import (
	"context"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/schema"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the app can serve: the database answers and has every
// migration this binary expects.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	current := false
	err := s.DB.Global(ctx, func(tx pgx.Tx) (err error) {
		current, err = schema.Current(ctx, tx)
		return err
	})
	switch {
	case err != nil:
		s.Logger.Warn("readyz: database", "err", err)
		s.writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
	case !current:
		s.writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "migrations": "pending"})
	default:
		s.writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}
