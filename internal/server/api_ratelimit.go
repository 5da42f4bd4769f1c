package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// apiRateWindow is the length of a token's rate-limit window. A window
// starts at the token's first request after the previous one ended (not on
// the clock's minute), so tokens don't all reset at once.
const apiRateWindow = time.Minute

// apiRateLimit counts every authenticated API request against its token's
// limit (Config.APIRateLimit requests per apiRateWindow; 0: no limit) and
// refuses the ones over it with 429 and Retry-After. The count lives in
// PostgreSQL (api_rate_limits, migrations/00014), so every app process
// behind a load balancer shares it; counting is one UPSERT. Every response
// says where the token stands: RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (seconds until the window ends).
func (s *Server) apiRateLimit(next http.Handler) http.Handler {
	limit := s.Config.APIRateLimit
	if limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ac := apiFrom(r.Context())
		used, reset, err := s.countAPIRequest(r.Context(), ac.Tenant.ID, ac.Token.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
		h.Set("RateLimit-Reset", strconv.Itoa(reset))
		h.Set("RateLimit-Policy", fmt.Sprintf("%d;w=%d", limit, int(apiRateWindow/time.Second)))
		if used > limit {
			h.Set("Retry-After", strconv.Itoa(reset))
			s.problem(w, r, http.StatusTooManyRequests, http.StatusText(http.StatusTooManyRequests),
				fmt.Sprintf("This API token made more than %d requests in a minute. Retry after %d seconds.", limit, reset), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// countAPIRequest counts one request of a token in its current window and
// returns the window's count so far (this one included) and the whole
// seconds until the window ends (at least 1). The database's clock decides,
// so app processes with skewed clocks still agree.
func (s *Server) countAPIRequest(ctx context.Context, tenantID, tokenID uuid.UUID) (used, reset int, err error) {
	var left float64
	err = s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO api_rate_limits AS l (tenant_id, token_id, window_start, requests)
			VALUES ($1, $2, now(), 1)
			ON CONFLICT (tenant_id, token_id) DO UPDATE SET
				window_start = CASE WHEN l.window_start > now() - $3::interval THEN l.window_start ELSE now() END,
				requests = CASE WHEN l.window_start > now() - $3::interval THEN least(l.requests, 2147483646) + 1 ELSE 1 END
			RETURNING requests, extract(epoch FROM l.window_start + $3::interval - now())::float8`,
			tenantID, tokenID, apiRateWindow).Scan(&used, &left)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("api rate limit: %w", err)
	}
	return used, max(1, int(math.Ceil(left))), nil
}
