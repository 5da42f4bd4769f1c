package server

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/webhook"
	"github.com/allyway/allyway/web/view"
)

// webhookSettingsRoutes are the firm's webhooks under /t/{tenant}/settings
// (which needs ManageSettings): list and add, one webhook's page with its
// delivery log, test event, disable/enable, delete, redeliver.
func (s *Server) webhookSettingsRoutes(r chi.Router) {
	r.Get("/webhooks", s.webhookList)
	r.Post("/webhooks", s.webhookCreate)
	r.Get("/webhooks/{id}", s.webhookShow)
	r.Post("/webhooks/{id}/test", s.webhookTest)
	r.Post("/webhooks/{id}/disable", s.webhookDisable)
	r.Post("/webhooks/{id}/enable", s.webhookEnable)
	r.Post("/webhooks/{id}/delete", s.webhookDelete)
	r.Post("/webhooks/{id}/deliveries/{delivery}/redeliver", s.webhookRedeliver)
}

// newWebhookSecretKey is the session key holding a just-created webhook's
// secret for the one page that shows it.
const newWebhookSecretKey = "new_webhook_secret"

// webhookGuard checks webhook URLs with the server's setting.
func (s *Server) webhookGuard() webhook.Guard {
	return webhook.Guard{AllowPrivate: s.Config.WebhookPrivateAllowed()}
}

func (s *Server) webhookBase(r *http.Request) string {
	return "/t/" + staffFrom(r.Context()).Tenant.Slug + "/settings/webhooks"
}

func (s *Server) webhookList(w http.ResponseWriter, r *http.Request) {
	props := view.WebhookListProps{NewSecret: s.sessions.PopString(r.Context(), newWebhookSecretKey)}
	s.renderWebhooks(w, r, http.StatusOK, props, nil)
}

// renderWebhooks draws the list with the create form (checked: the events
// ticked, kept on a re-shown form).
func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, props view.WebhookListProps, checked []string) {
	var subs []webhook.Subscription
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		subs, err = webhook.List(r.Context(), tx, sc.Tenant.ID, time.Time{}, uuid.Nil, webhook.MaxSubscriptions)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	props.Base = s.webhookBase(r)
	props.DocsHint = "How receivers check the signature: docs/webhooks.md in Allyway's documentation."
	for _, e := range webhook.EventTypes {
		props.Events = append(props.Events, view.WebhookEventOption{Value: e, Label: webhook.EventLabel(e), Checked: slices.Contains(checked, e)})
	}
	for _, sub := range subs {
		props.Webhooks = append(props.Webhooks, s.webhookRow(sub))
	}
	s.render(w, r, status, view.WebhookListPage(s.page(r, "Webhooks", "webhooks"), props))
}

func (s *Server) webhookRow(sub webhook.Subscription) view.WebhookRow {
	row := view.WebhookRow{ID: sub.ID.String(), URL: sub.URL, Description: sub.Description, Enabled: sub.Enabled,
		DisabledReason: sub.DisabledReason, LastStatus: sub.LastStatus, Pending: sub.Pending}
	row.Events = append(row.Events, sub.Events...)
	if sub.LastAttemptAt != nil {
		row.LastAt = ago(s.now(), *sub.LastAttemptAt)
	}
	if sub.LastStatusCode != nil {
		row.LastCode = "HTTP " + strconv.Itoa(*sub.LastStatusCode)
	}
	return row
}

// webhookCreate subscribes a URL and shows its secret once, on the next page.
func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := webhook.Input{URL: r.PostForm.Get("url"), Events: r.PostForm["events"], Description: r.PostForm.Get("description")}
	var sub webhook.Subscription
	var secret string
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if sub, secret, err = webhook.Create(ctx, tx, sc.Tenant.ID, s.webhookGuard(), in, userFrom(ctx).ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "webhook.created", "webhook", sub.ID.String(),
			map[string]any{"url": sub.URL, "events": sub.Events})
	})
	if c := apperr.Code(err); c == apperr.EInvalid || c == apperr.EConflict {
		s.renderWebhooks(w, r, http.StatusUnprocessableEntity,
			view.WebhookListProps{Form: formErrors(err), URL: in.URL, Description: in.Description}, in.Events)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(ctx, newWebhookSecretKey, secret)
	s.flash(r, "success", "The webhook to "+sub.URL+" was added.")
	redirect(w, r, s.webhookBase(r))
}

// webhookShow is one webhook's page with its delivery log.
func (s *Server) webhookShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sub webhook.Subscription
	var ds []webhook.Delivery
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if sub, err = webhook.Get(r.Context(), tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		ds, err = webhook.Deliveries(r.Context(), tx, sc.Tenant.ID, id, 100)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	props := view.WebhookShowProps{Base: s.webhookBase(r), Hook: s.webhookRow(sub), Created: sub.CreatedAt.Format("2 Jan 2006")}
	for _, d := range ds {
		row := view.WebhookDeliveryRow{ID: d.ID.String(), Event: d.EventType, EventLabel: webhook.EventLabel(d.EventType),
			EventID: d.EventID.String(), Status: d.Status, Attempts: d.Attempts, Error: d.LastError}
		if d.Status == webhook.StatusPending && d.Attempts == 0 {
			row.Status = "waiting"
		}
		if d.LastStatusCode != nil {
			row.Code = "HTTP " + strconv.Itoa(*d.LastStatusCode)
		}
		if d.LastAttemptAt != nil {
			row.Last = d.LastAttemptAt.UTC().Format("2 Jan 2006 15:04:05 UTC")
		}
		if d.NextAttemptAt != nil {
			row.Next = d.NextAttemptAt.UTC().Format("2 Jan 2006 15:04 UTC")
			if !d.NextAttemptAt.After(s.now()) {
				row.Next = "Within seconds"
			}
		}
		props.Deliveries = append(props.Deliveries, row)
	}
	s.render(w, r, http.StatusOK, view.WebhookShowPage(s.page(r, "Webhook", "webhooks"), props))
}

// webhookAction runs one write on the webhook of the {id} parameter with
// its audit entry, then goes back to its page with a flash; a conflict
// (e.g. testing a disabled webhook) is flashed as an error.
func (s *Server) webhookAction(w http.ResponseWriter, r *http.Request, fn func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error), back string) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var msg string
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		sub, err := webhook.Get(r.Context(), tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		msg, err = fn(tx, sc, sub)
		return err
	})
	if apperr.Code(err) == apperr.EConflict {
		s.flash(r, "error", apperr.Message(err))
		redirect(w, r, s.webhookBase(r)+"/"+id.String())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", msg)
	if back == "" {
		back = s.webhookBase(r) + "/" + id.String()
	}
	redirect(w, r, back)
}

// webhookTest queues a webhook.test event for this webhook and a run.
func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request) {
	s.webhookAction(w, r, func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error) {
		ctx := r.Context()
		d, err := webhook.SendTest(ctx, tx, sc.Tenant.ID, sub.ID)
		if err != nil {
			return "", err
		}
		if err := s.Outbox.Enqueue(ctx, tx, webhook.DeliverArgs{}, nil); err != nil {
			return "", err
		}
		return "A test event is on its way; its delivery is at the top of the log.",
			audit.Record(ctx, tx, sc.Tenant.ID, "webhook.test_sent", "webhook", sub.ID.String(), map[string]any{"delivery": d.ID})
	}, "")
}

func (s *Server) webhookDisable(w http.ResponseWriter, r *http.Request) {
	s.webhookAction(w, r, func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error) {
		ctx := r.Context()
		u := userFrom(ctx)
		if _, err := webhook.SetEnabled(ctx, tx, sc.Tenant.ID, sub.ID, false, "Disabled by "+u.Name+" on "+s.now().UTC().Format("2 Jan 2006")+"."); err != nil {
			return "", err
		}
		return "The webhook is disabled: events are no longer sent to it.",
			audit.Record(ctx, tx, sc.Tenant.ID, "webhook.disabled", "webhook", sub.ID.String(), map[string]any{"url": sub.URL})
	}, "")
}

func (s *Server) webhookEnable(w http.ResponseWriter, r *http.Request) {
	s.webhookAction(w, r, func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error) {
		ctx := r.Context()
		if _, err := webhook.SetEnabled(ctx, tx, sc.Tenant.ID, sub.ID, true, ""); err != nil {
			return "", err
		}
		if err := s.Outbox.Enqueue(ctx, tx, webhook.DeliverArgs{}, nil); err != nil {
			return "", err
		}
		return "The webhook is enabled; deliveries that were waiting go out now.",
			audit.Record(ctx, tx, sc.Tenant.ID, "webhook.enabled", "webhook", sub.ID.String(), map[string]any{"url": sub.URL})
	}, "")
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request) {
	s.webhookAction(w, r, func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error) {
		ctx := r.Context()
		if _, err := webhook.Delete(ctx, tx, sc.Tenant.ID, sub.ID); err != nil {
			return "", err
		}
		return "The webhook to " + sub.URL + " was deleted.",
			audit.Record(ctx, tx, sc.Tenant.ID, "webhook.deleted", "webhook", sub.ID.String(), map[string]any{"url": sub.URL, "events": sub.Events})
	}, s.webhookBase(r))
}

// webhookRedeliver sends one delivery again (same event id).
func (s *Server) webhookRedeliver(w http.ResponseWriter, r *http.Request) {
	did, err := idParam(r, "delivery")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.webhookAction(w, r, func(tx pgx.Tx, sc *staffCtx, sub webhook.Subscription) (string, error) {
		ctx := r.Context()
		d, err := webhook.Redeliver(ctx, tx, sc.Tenant.ID, sub.ID, did)
		if err != nil {
			return "", err
		}
		if err := s.Outbox.Enqueue(ctx, tx, webhook.DeliverArgs{}, nil); err != nil {
			return "", err
		}
		return "The " + d.EventType + " event will be delivered again.",
			audit.Record(ctx, tx, sc.Tenant.ID, "webhook.redelivered", "webhook", sub.ID.String(),
				map[string]any{"delivery": d.ID, "event_id": d.EventID, "type": d.EventType})
	}, "")
}
