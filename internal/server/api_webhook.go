package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/webhook"
)

// apiWebhookRoutes: /webhooks — subscriptions of URLs to events. Reads:
// any role (the secret is never read back); writes: ManageSettings.
func (s *Server) apiWebhookRoutes(r chi.Router) {
	r.Route("/webhooks", func(r chi.Router) {
		r.Get("/", s.apiListWebhooks)
		r.With(s.apiRequire(auth.ManageSettings)).Post("/", s.apiCreateWebhook)
		r.Get("/{id}", s.apiGetWebhook)
		r.With(s.apiRequire(auth.ManageSettings)).Delete("/{id}", s.apiDeleteWebhook)
	})
}

// apiWebhook is a subscription in the API (the Webhook schema).
type apiWebhook struct {
	ID             uuid.UUID          `json:"id"`
	URL            string             `json:"url"`
	Events         []string           `json:"events"`
	Description    string             `json:"description"`
	Enabled        bool               `json:"enabled"`
	DisabledAt     *time.Time         `json:"disabled_at"`
	DisabledReason *string            `json:"disabled_reason"`
	LastDelivery   *apiWebhookAttempt `json:"last_delivery"`
	PendingCount   int                `json:"pending_deliveries"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	// Secret is answered once, by the POST that creates the webhook.
	Secret string `json:"secret,omitempty"`
}

// apiWebhookAttempt is a webhook's latest delivery attempt.
type apiWebhookAttempt struct {
	At         time.Time `json:"at"`
	Status     string    `json:"status"`
	StatusCode *int      `json:"status_code"`
}

func apiWebhookFrom(w webhook.Subscription) apiWebhook {
	out := apiWebhook{ID: w.ID, URL: w.URL, Events: w.Events, Description: w.Description, Enabled: w.Enabled,
		DisabledAt: w.DisabledAt, PendingCount: w.Pending, CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
	if out.Events == nil {
		out.Events = []string{}
	}
	if w.DisabledReason != "" {
		out.DisabledReason = &w.DisabledReason
	}
	if w.LastAttemptAt != nil {
		out.LastDelivery = &apiWebhookAttempt{At: w.LastAttemptAt.UTC(), Status: w.LastStatus, StatusCode: w.LastStatusCode}
	}
	return out
}

// apiListWebhooks: GET /api/v1/webhooks, by creation, with a cursor.
func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var subs []webhook.Subscription
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		subs, err = webhook.List(r.Context(), tx, ac.Tenant.ID, after.CreatedAt, after.ID, limit+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, newPage(subs, limit,
		func(x webhook.Subscription) pagePos { return pagePos{CreatedAt: x.CreatedAt, ID: x.ID} }, apiWebhookFrom))
}

// apiWebhookCreate is the body of POST /api/v1/webhooks.
type apiWebhookCreate struct {
	URL         *string  `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// apiCreateWebhook: POST /api/v1/webhooks (201) answers the webhook with
// its signing secret, the only time the secret is shown. 422 for a URL that
// is not http(s) or points to a private address, or unknown events;
// Idempotency-Key as every create.
func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request) {
	var body apiWebhookCreate
	raw, ok := s.readJSON(w, r, &body)
	if !ok {
		return
	}
	s.apiCreate(w, r, raw, func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error) {
		in := webhook.Input{Events: body.Events, Description: body.Description}
		if body.URL != nil {
			in.URL = *body.URL
		}
		sub, secret, err := webhook.Create(ctx, tx, ac.Tenant.ID, s.webhookGuard(), in, uuid.Nil)
		if err != nil {
			return 0, nil, err
		}
		if err := audit.Record(ctx, tx, ac.Tenant.ID, "webhook.created", "webhook", sub.ID.String(),
			map[string]any{"url": sub.URL, "events": sub.Events, "via": "api"}); err != nil {
			return 0, nil, err
		}
		out := apiWebhookFrom(sub)
		out.Secret = secret
		return http.StatusCreated, out, nil
	})
}

// apiGetWebhook: GET /api/v1/webhooks/{id}; another firm's id is 404.
func (s *Server) apiGetWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Webhook")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sub webhook.Subscription
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
		sub, err = webhook.Get(r.Context(), tx, ac.Tenant.ID, id)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiWebhookFrom(sub))
}

// apiDeleteWebhook: DELETE /api/v1/webhooks/{id} (204) removes the webhook
// and its delivery log; another firm's id is 404.
func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := apiID(r, "id", "Webhook")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
		sub, err := webhook.Delete(r.Context(), tx, ac.Tenant.ID, id)
		if err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, ac.Tenant.ID, "webhook.deleted", "webhook", sub.ID.String(),
			map[string]any{"url": sub.URL, "events": sub.Events, "via": "api"})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
