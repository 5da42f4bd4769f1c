package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// benchRoutes mounts the bench-only pages under /t/{tenant} when the
// server runs with Config.BenchRoutes (ALLYWAY_BENCH_ROUTES=1, which
// `make bench` sets); otherwise they don't exist (404).
func (s *Server) benchRoutes(r chi.Router) {
	if s.Config.BenchRoutes {
		r.Get("/bench/ceiling", s.benchCeiling)
	}
}

// benchCeiling is the ceiling page: the least an authenticated firm page
// can do. The staff chain loads the session, the person and their role in
// the firm; then one firm transaction runs one raw aggregate (the firm's
// referrals submitted in the last 90 days, by status) and a tiny templ
// table is rendered. make bench reports every page's throughput as a
// ratio of this one's, measured in the same run on the same machine.
func (s *Server) benchCeiling(w http.ResponseWriter, r *http.Request) {
	since := s.now().AddDate(0, 0, -90)
	counts := map[string]int{}
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		rows, err := tx.Query(r.Context(), `SELECT status, count(*) FROM referrals
			WHERE tenant_id = $1 AND submitted_at >= $2 GROUP BY status`, sc.Tenant.ID, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			counts[st] = n
		}
		return rows.Err()
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	props := view.BenchCeilingProps{Firm: staffFrom(r.Context()).Tenant.Name, Since: since.Format("2 January 2006")}
	for _, st := range referral.Statuses {
		props.Counts = append(props.Counts, view.Count{Key: st, Label: referral.StatusLabel(st), N: counts[st]})
		props.Total += counts[st]
	}
	s.render(w, r, http.StatusOK, view.BenchCeilingPage(props))
}
