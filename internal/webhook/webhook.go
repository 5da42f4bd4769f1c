// Package webhook sends a firm's events to the URLs it subscribed: the
// subscriptions (with their signing secrets), the delivery log, manual
// redelivery and the test event; the job that fans events out into
// deliveries and delivers them, signed, with retries and backoff; and the
// guard that keeps deliveries off private networks.
//
// The events themselves are written by triggers in the database
// (migrations/00012_webhooks.sql) in the transaction of the change they
// describe, so no domain package calls this one, and an event exists if and
// only if its change committed. docs/webhooks.md is the receivers' side.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// The event types a subscription may ask for.
const (
	ReferralCreated       = "referral.created"
	ReferralStatusChanged = "referral.status_changed"
	AgreementAccepted     = "agreement.accepted"
	CommissionAccrued     = "commission.accrued"
	PayoutPaid            = "payout.paid"
	PartnerStatusChanged  = "partner.status_changed"
	// TestEvent is what "Send test event" sends; nobody subscribes to it.
	TestEvent = "webhook.test"
)

// EventTypes are the subscribable types, in the order forms list them.
var EventTypes = []string{ReferralCreated, ReferralStatusChanged, AgreementAccepted, CommissionAccrued, PayoutPaid, PartnerStatusChanged}

// EventLabel says what an event type means, for forms and the log.
func EventLabel(t string) string {
	switch t {
	case ReferralCreated:
		return "A referral is submitted or sent"
	case ReferralStatusChanged:
		return "A referral moves to another status"
	case AgreementAccepted:
		return "An agreement becomes active"
	case CommissionAccrued:
		return "A commission accrues from a client payment"
	case PayoutPaid:
		return "A payout is marked paid"
	case PartnerStatusChanged:
		return "A partner's status changes"
	case TestEvent:
		return "Test event"
	}
	return t
}

// Delivery statuses.
const (
	StatusPending   = "pending"   // waiting for its first or next attempt
	StatusDelivered = "delivered" // the receiver answered 2xx
	StatusFailed    = "failed"    // every attempt failed; only Redeliver sends it again
)

// MaxSubscriptions bounds a firm's subscriptions.
const MaxSubscriptions = 20

// Subscription is a URL subscribed to some event types, with the state of
// its deliveries. The secret is never part of it (see Secret).
type Subscription struct {
	ID             uuid.UUID
	URL            string
	Events         []string
	Description    string
	Enabled        bool
	DisabledAt     *time.Time
	DisabledReason string
	// Failed attempts since the last success.
	ConsecutiveFailures int
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// The latest attempt of any of its deliveries (nil: none yet).
	LastAttemptAt  *time.Time
	LastStatus     string // delivered, pending (retrying) or failed
	LastStatusCode *int
	// Deliveries waiting for an attempt.
	Pending int
}

// Input is what a person or API client gives to subscribe.
type Input struct {
	URL         string
	Events      []string
	Description string
}

// Validate checks in, resolving the URL's host through g. EInvalid with
// messages for url, events and description.
func (g Guard) Validate(ctx context.Context, in Input) error {
	errs := map[string]string{}
	if strings.TrimSpace(in.URL) == "" {
		errs["url"] = "Enter the URL that should receive the events."
	} else if m := g.CheckURL(ctx, in.URL); m != "" {
		errs["url"] = m
	}
	if len(in.Events) == 0 {
		errs["events"] = "Choose at least one event."
	}
	for _, e := range in.Events {
		if !slices.Contains(EventTypes, e) {
			errs["events"] = "Choose among " + strings.Join(EventTypes, ", ") + "."
			break
		}
	}
	if len([]rune(in.Description)) > 200 {
		errs["description"] = "Use up to 200 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// NewSecret returns a fresh signing secret: "whsec_" and 32 random bytes,
// base64url.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Create subscribes a URL after validating in (g resolves its host). It
// returns the subscription and its secret, which is shown this once.
// EInvalid for bad input, EConflict past MaxSubscriptions.
func Create(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, g Guard, in Input, createdBy uuid.UUID) (Subscription, string, error) {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	events := []string{}
	for _, e := range EventTypes { // canonical order, no duplicates
		if slices.Contains(in.Events, e) {
			events = append(events, e)
		}
	}
	if err := g.Validate(ctx, in); err != nil {
		return Subscription{}, "", err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		return Subscription{}, "", apperr.Internal(err)
	}
	if n >= MaxSubscriptions {
		return Subscription{}, "", apperr.Errorf(apperr.EConflict, "A firm can have up to %d webhooks; delete one you no longer use first.", MaxSubscriptions)
	}
	secret := NewSecret()
	var id uuid.UUID
	err := tx.QueryRow(ctx, `INSERT INTO webhook_subscriptions (tenant_id, url, events, description, secret, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		tenantID, in.URL, events, in.Description, secret, nullID(createdBy)).Scan(&id)
	if err != nil {
		return Subscription{}, "", apperr.Internal(err)
	}
	s, err := Get(ctx, tx, tenantID, id)
	return s, secret, err
}

const subscriptionColumns = `s.id, s.url, s.events, s.description, s.enabled, s.disabled_at, coalesce(s.disabled_reason, ''),
	s.consecutive_failures, s.created_at, s.updated_at, l.last_attempt_at, coalesce(l.status, ''), l.last_status_code,
	(SELECT count(*) FROM webhook_deliveries p WHERE p.tenant_id = s.tenant_id AND p.subscription_id = s.id AND p.status = 'pending')`

const subscriptionFrom = `FROM webhook_subscriptions s
	LEFT JOIN LATERAL (SELECT d.last_attempt_at, d.status, d.last_status_code FROM webhook_deliveries d
		WHERE d.tenant_id = s.tenant_id AND d.subscription_id = s.id AND d.last_attempt_at IS NOT NULL
		ORDER BY d.last_attempt_at DESC LIMIT 1) l ON true`

func scanSubscription(row pgx.Row) (Subscription, error) {
	var s Subscription
	var pending int64
	err := row.Scan(&s.ID, &s.URL, &s.Events, &s.Description, &s.Enabled, &s.DisabledAt, &s.DisabledReason,
		&s.ConsecutiveFailures, &s.CreatedAt, &s.UpdatedAt, &s.LastAttemptAt, &s.LastStatus, &s.LastStatusCode, &pending)
	s.Pending = int(pending)
	return s, err
}

// List returns up to limit of the firm's subscriptions after the position
// (createdAfter, idAfter) in (created_at, id) order; zero values start at
// the beginning.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, createdAfter time.Time, idAfter uuid.UUID, limit int) ([]Subscription, error) {
	rows, err := q.Query(ctx, `SELECT `+subscriptionColumns+` `+subscriptionFrom+`
		WHERE s.tenant_id = $1 AND (s.created_at, s.id) > ($2, $3)
		ORDER BY s.created_at, s.id LIMIT $4`, tenantID, createdAfter, idAfter, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subscription, error) { return scanSubscription(r) })
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// Get returns one subscription; another firm's is not found.
func Get(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Subscription, error) {
	s, err := scanSubscription(q.QueryRow(ctx, `SELECT `+subscriptionColumns+` `+subscriptionFrom+`
		WHERE s.tenant_id = $1 AND s.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return Subscription{}, apperr.NotFound("Webhook")
	}
	if err != nil {
		return Subscription{}, apperr.Internal(err)
	}
	return s, nil
}

// Delete removes a subscription and its delivery log. ENotFound for
// another firm's.
func Delete(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Subscription, error) {
	s, err := Get(ctx, q, tenantID, id)
	if err != nil {
		return s, err
	}
	if _, err := q.Exec(ctx, `DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return s, apperr.Internal(err)
	}
	return s, nil
}

// SetEnabled turns a subscription on (its failure streak forgotten; waiting
// deliveries go out again) or off with a reason. Events that happen while
// it is off are not sent to it.
func SetEnabled(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, enabled bool, reason string) (Subscription, error) {
	var err error
	if enabled {
		_, err = q.Exec(ctx, `UPDATE webhook_subscriptions SET enabled = true, disabled_at = NULL, disabled_reason = NULL,
			consecutive_failures = 0, failing_since = NULL, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND NOT enabled`, tenantID, id)
	} else {
		_, err = q.Exec(ctx, `UPDATE webhook_subscriptions SET enabled = false, disabled_at = now(), disabled_reason = $3, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND enabled`, tenantID, id, reason)
	}
	if err != nil {
		return Subscription{}, apperr.Internal(err)
	}
	return Get(ctx, q, tenantID, id)
}

// Secret returns a subscription's signing secret (for the delivery job).
func Secret(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (string, error) {
	var s string
	err := q.QueryRow(ctx, `SELECT secret FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&s)
	if db.IsNoRows(err) {
		return "", apperr.NotFound("Webhook")
	}
	if err != nil {
		return "", apperr.Internal(err)
	}
	return s, nil
}

// Delivery is one event for one subscription, as the delivery log shows it.
type Delivery struct {
	ID             uuid.UUID
	EventID        uuid.UUID // the event's public id (Allyway-Webhook-Id)
	EventType      string
	Subject        string
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time // nil unless pending
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastError      string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	Data           json.RawMessage
}

const deliveryColumns = `d.id, e.public_id, e.type, e.subject, d.status, d.attempts,
	CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, d.last_attempt_at, d.last_status_code, d.last_error,
	d.delivered_at, d.created_at, e.data`

func scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.Subject, &d.Status, &d.Attempts, &d.NextAttemptAt, &d.LastAttemptAt,
		&d.LastStatusCode, &d.LastError, &d.DeliveredAt, &d.CreatedAt, &d.Data)
	return d, err
}

// Deliveries returns a subscription's latest deliveries, newest first.
func Deliveries(ctx context.Context, q db.Querier, tenantID, subscriptionID uuid.UUID, limit int) ([]Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		JOIN webhook_events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
		WHERE d.tenant_id = $1 AND d.subscription_id = $2
		ORDER BY d.event_id DESC LIMIT $3`, tenantID, subscriptionID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

func getDelivery(ctx context.Context, q db.Querier, tenantID, subscriptionID, id uuid.UUID) (Delivery, error) {
	d, err := scanDelivery(q.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		JOIN webhook_events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
		WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND d.id = $3`, tenantID, subscriptionID, id))
	if db.IsNoRows(err) {
		return Delivery{}, apperr.NotFound("Delivery")
	}
	if err != nil {
		return Delivery{}, apperr.Internal(err)
	}
	return d, nil
}

// Redeliver sends a delivery again at the next run, whatever its status
// (same event id, so receivers can tell it is a repeat). It still waits for
// earlier deliveries of its subject. EConflict while the subscription is
// disabled.
func Redeliver(ctx context.Context, q db.Querier, tenantID, subscriptionID, id uuid.UUID) (Delivery, error) {
	s, err := Get(ctx, q, tenantID, subscriptionID)
	if err != nil {
		return Delivery{}, err
	}
	if _, err := getDelivery(ctx, q, tenantID, subscriptionID, id); err != nil {
		return Delivery{}, err
	}
	if !s.Enabled {
		return Delivery{}, apperr.Errorf(apperr.EConflict, "This webhook is disabled: enable it first.")
	}
	if _, err := q.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), delivered_at = NULL
		WHERE tenant_id = $1 AND subscription_id = $2 AND id = $3`, tenantID, subscriptionID, id); err != nil {
		return Delivery{}, apperr.Internal(err)
	}
	return getDelivery(ctx, q, tenantID, subscriptionID, id)
}

// SendTest queues a webhook.test event for one subscription only.
// EConflict while the subscription is disabled.
func SendTest(ctx context.Context, q db.Querier, tenantID, subscriptionID uuid.UUID) (Delivery, error) {
	s, err := Get(ctx, q, tenantID, subscriptionID)
	if err != nil {
		return Delivery{}, err
	}
	if !s.Enabled {
		return Delivery{}, apperr.Errorf(apperr.EConflict, "This webhook is disabled: enable it first.")
	}
	var id uuid.UUID
	err = q.QueryRow(ctx, `WITH e AS (
			INSERT INTO webhook_events (tenant_id, type, subject, data, dispatched_at)
			VALUES ($1, 'webhook.test', 'test:' || gen_random_uuid(),
				jsonb_build_object('webhook_id', $2::uuid, 'message', 'This is a test event from Allyway.'), now())
			RETURNING id)
		INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id) SELECT $1, $2, e.id FROM e RETURNING id`,
		tenantID, subscriptionID).Scan(&id)
	if err != nil {
		return Delivery{}, apperr.Internal(err)
	}
	return getDelivery(ctx, q, tenantID, subscriptionID, id)
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
