package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// RetrySchedule is the wait after each failed attempt of a delivery: after
// the first failure 1 minute, then 5 minutes, … A delivery whose
// MaxAttempts-th attempt fails is given up (status failed), about 45 hours
// after its first.
var RetrySchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// MaxAttempts is how many times a delivery is tried before it is given up.
var MaxAttempts = len(RetrySchedule) + 1

// Backoff returns how long to wait after a delivery's failed attempts-th
// attempt (1-based), and false when that was its last attempt.
func Backoff(attempts int) (time.Duration, bool) {
	if attempts < 1 {
		return 0, true
	}
	if attempts > len(RetrySchedule) {
		return 0, false
	}
	return RetrySchedule[attempts-1], true
}

// Automatic disabling: a subscription whose attempts have failed
// DisableAfterFailures times in a row, over at least DisableAfterSpan with
// no success in between, is disabled and the firm's admins are emailed.
// (A single undeliverable event takes ~45 hours to get there.)
const (
	DisableAfterFailures = 8
	DisableAfterSpan     = 24 * time.Hour
)

// DefaultTimeout bounds one delivery attempt: connecting, sending and the
// receiver's answer. Taking longer is a failure.
const DefaultTimeout = 10 * time.Second

// Per run and subscription: stop after this many failures (the receiver is
// probably down; the rest wait for the next run) or deliveries.
const (
	runFailureBudget  = 3
	runDeliveryBudget = 200
	parallelURLs      = 4
)

// Deliverer fans new events out into deliveries and delivers what is due.
// Run is what the job calls; tests call it directly with their clock.
type Deliverer struct {
	DB *db.DB
	// Outbox emails the firm's admins when a subscription is disabled.
	Outbox *notify.Outbox
	Guard  Guard
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout time.Duration
	// BaseURL is how users reach the app, for the link in the email.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Budget stops a run from starting new deliveries after this long
	// (0: no limit), so runs stay shorter than the subscriptions' lease.
	Budget time.Duration

	once   sync.Once
	client *http.Client
}

// Lease is how long a run holds a subscription: longer than a run's
// Budget plus an attempt.
const Lease = 3 * time.Minute

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) httpClient() *http.Client {
	d.once.Do(func() {
		t := d.Timeout
		if t <= 0 {
			t = DefaultTimeout
		}
		d.client = d.Guard.Client(t)
	})
	return d.client
}

// Result counts what a run did.
type Result struct {
	Dispatched int // deliveries created from new events
	Delivered  int
	Failed     int // failed attempts
	Disabled   int // subscriptions disabled automatically
}

func (r *Result) add(o Result) {
	r.Dispatched += o.Dispatched
	r.Delivered += o.Delivered
	r.Failed += o.Failed
	r.Disabled += o.Disabled
}

// Run works every firm with an enabled subscription: new events become
// deliveries, then each subscription's due deliveries are sent in event
// order (a subject's later events wait for its earlier ones). One firm's
// failure does not stop the others.
func (d *Deliverer) Run(ctx context.Context) (Result, error) {
	var firms []uuid.UUID
	err := d.DB.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT firm_id FROM webhook_interest ORDER BY 1`)
		if err != nil {
			return err
		}
		firms, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("webhook: firms: %w", err)
	}
	start := d.now()
	var total Result
	var errs []error
	for _, firm := range firms {
		if ctx.Err() != nil {
			break
		}
		res, err := d.RunFirm(ctx, firm, start)
		total.add(res)
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook: firm %s: %w", firm, err))
		}
	}
	return total, errors.Join(errs...)
}

// RunFirm dispatches and delivers one firm's events (start: when the run
// began, for the budget).
func (d *Deliverer) RunFirm(ctx context.Context, tenantID uuid.UUID, start time.Time) (Result, error) {
	var res Result
	n, err := d.dispatch(ctx, tenantID)
	res.Dispatched = n
	if err != nil {
		return res, err
	}
	var subs []uuid.UUID
	now := d.now()
	err = d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT s.id FROM webhook_subscriptions s
			WHERE s.tenant_id = $1 AND s.enabled AND EXISTS (SELECT 1 FROM webhook_deliveries d
				WHERE d.tenant_id = s.tenant_id AND d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= $2)
			ORDER BY s.created_at, s.id`, tenantID, now)
		if err != nil {
			return err
		}
		subs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallelURLs)
	for _, id := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := d.deliverSubscription(ctx, tenantID, id, start)
			mu.Lock()
			defer mu.Unlock()
			res.add(r)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// dispatch turns the firm's undispatched events into one delivery per
// enabled subscription that wants them, in batches. Concurrent runs skip
// each other's rows.
func (d *Deliverer) dispatch(ctx context.Context, tenantID uuid.UUID) (int, error) {
	total := 0
	for {
		var events, deliveries int
		err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `WITH ev AS (
					UPDATE webhook_events SET dispatched_at = now()
					WHERE tenant_id = $1 AND id IN (SELECT id FROM webhook_events
						WHERE tenant_id = $1 AND dispatched_at IS NULL ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
					RETURNING id, type),
				ins AS (
					INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, next_attempt_at)
					SELECT $1, s.id, ev.id, $2 FROM ev
					JOIN webhook_subscriptions s ON s.tenant_id = $1 AND s.enabled AND ev.type = ANY (s.events)
					ON CONFLICT DO NOTHING
					RETURNING 1)
				SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ins)`, tenantID, d.now()).Scan(&events, &deliveries)
		})
		if err != nil {
			return total, err
		}
		total += deliveries
		if events < 500 {
			return total, nil
		}
	}
}

// due is a delivery to attempt now.
type due struct {
	id        uuid.UUID
	attempts  int
	publicID  uuid.UUID
	eventType string
	data      json.RawMessage
	createdAt time.Time
}

// deliverSubscription takes the subscription's lease and sends its due
// deliveries, the head of each subject first, in event order.
func (d *Deliverer) deliverSubscription(ctx context.Context, tenantID, id uuid.UUID, start time.Time) (Result, error) {
	var res Result
	var target, secret string
	now := d.now()
	err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE webhook_subscriptions SET delivering_until = $3
			WHERE tenant_id = $1 AND id = $2 AND enabled AND (delivering_until IS NULL OR delivering_until < $4)
			RETURNING url, secret`, tenantID, id, now.Add(Lease), now).Scan(&target, &secret)
		if db.IsNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil || target == "" {
		return res, err
	}
	defer func() {
		_ = d.DB.InTenant(context.WithoutCancel(ctx), tenantID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE webhook_subscriptions SET delivering_until = NULL WHERE tenant_id = $1 AND id = $2`, tenantID, id)
			return err
		})
	}()
	for {
		if ctx.Err() != nil || (d.Budget > 0 && d.now().Sub(start) > d.Budget) {
			return res, nil
		}
		var heads []due
		err := d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT h.id, h.attempts, e.public_id, e.type, e.data, e.created_at FROM (
					SELECT DISTINCT ON (e.subject) d.id, d.event_id, d.attempts, d.next_attempt_at
					FROM webhook_deliveries d JOIN webhook_events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
					WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND d.status = 'pending'
					ORDER BY e.subject, d.event_id) h
				JOIN webhook_events e ON e.tenant_id = $1 AND e.id = h.event_id
				WHERE h.next_attempt_at <= $3
				ORDER BY h.event_id LIMIT 20`, tenantID, id, d.now())
			if err != nil {
				return err
			}
			heads, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
				var x due
				return x, r.Scan(&x.id, &x.attempts, &x.publicID, &x.eventType, &x.data, &x.createdAt)
			})
			return err
		})
		if err != nil || len(heads) == 0 {
			return res, err
		}
		for _, h := range heads {
			code, attemptErr := d.attempt(ctx, target, secret, h)
			if ctx.Err() != nil {
				return res, nil // shutting down: not the receiver's failure
			}
			disabled, err := d.record(ctx, tenantID, id, target, h, code, attemptErr)
			if err != nil {
				return res, err
			}
			if attemptErr == nil {
				res.Delivered++
			} else {
				res.Failed++
			}
			if disabled {
				res.Disabled++
				return res, nil
			}
			if res.Failed >= runFailureBudget || res.Delivered >= runDeliveryBudget {
				return res, nil
			}
		}
	}
}

// Envelope is the JSON body of every delivery.
type Envelope struct {
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// attempt POSTs one delivery and returns the receiver's status code (0 when
// there was no answer) and nil for a 2xx, else what went wrong.
func (d *Deliverer) attempt(ctx context.Context, target, secret string, h due) (int, error) {
	body, err := json.Marshal(Envelope{ID: h.publicID, Type: h.eventType, CreatedAt: h.createdAt.UTC(), Data: h.data})
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(d.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Allyway-Webhooks/1")
	req.Header.Set(HeaderID, h.publicID.String())
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := d.httpClient().Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := "The receiver answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode) + "."
		if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "")); s != "" {
			msg += " " + truncate(s, 300)
		}
		return resp.StatusCode, failure(msg)
	}
	return resp.StatusCode, nil
}

// describe turns a transport error into a sentence for the log.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return failure("No answer within the time limit (timed out).")
	}
	if errors.Is(err, ErrForbiddenAddress) {
		return failure("Refused: the URL's host now resolves to a private, loopback or link-local address.")
	}
	if ue != nil {
		err = ue.Err
	}
	return failure("Could not connect: " + truncate(err.Error(), 300))
}

// failure is an attempt's outcome as the delivery log says it: a sentence
// for people, not a Go error string.
type failure string

func (f failure) Error() string { return string(f) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// record writes an attempt's outcome: the delivery, the subscription's
// failure streak and, when the streak is long enough, the automatic
// disabling with its audit entry and the admins' email — one transaction.
func (d *Deliverer) record(ctx context.Context, tenantID, subID uuid.UUID, target string, h due, code int, attemptErr error) (disabled bool, err error) {
	now := d.now()
	var codeArg *int
	if code != 0 {
		codeArg = &code
	}
	err = d.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if attemptErr == nil {
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
				last_attempt_at = $3, last_status_code = $4, last_error = '', delivered_at = $3
				WHERE tenant_id = $1 AND id = $2`, tenantID, h.id, now, codeArg); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL
				WHERE tenant_id = $1 AND id = $2 AND consecutive_failures > 0`, tenantID, subID)
			return err
		}
		attempts := h.attempts + 1
		wait, more := Backoff(attempts)
		status := StatusPending
		if !more {
			status = StatusFailed
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5,
			last_attempt_at = $6, last_status_code = $7, last_error = $8
			WHERE tenant_id = $1 AND id = $2`, tenantID, h.id, status, attempts, now.Add(wait), now, codeArg,
			truncate(attemptErr.Error(), 1000)); err != nil {
			return err
		}
		var failures int
		var since time.Time
		if err := tx.QueryRow(ctx, `UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,
				failing_since = coalesce(failing_since, $3)
			WHERE tenant_id = $1 AND id = $2 RETURNING consecutive_failures, failing_since`, tenantID, subID, now).Scan(&failures, &since); err != nil {
			return err
		}
		if failures < DisableAfterFailures || now.Sub(since) < DisableAfterSpan {
			return nil
		}
		reason := fmt.Sprintf("Disabled automatically after %d failed deliveries in a row since %s. Last error: %s",
			failures, since.UTC().Format("2 Jan 2006 15:04 MST"), truncate(attemptErr.Error(), 300))
		tag, err := tx.Exec(ctx, `UPDATE webhook_subscriptions SET enabled = false, disabled_at = $3, disabled_reason = $4, updated_at = $3
			WHERE tenant_id = $1 AND id = $2 AND enabled`, tenantID, subID, now, reason)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		disabled = true
		if err := audit.Record(ctx, tx, tenantID, "webhook.auto_disabled", "webhook", subID.String(),
			map[string]any{"url": target, "failures": failures, "failing_since": since.UTC(), "last_error": truncate(attemptErr.Error(), 300)}); err != nil {
			return err
		}
		return d.emailAdmins(ctx, tx, tenantID, subID, target, failures, since, attemptErr)
	})
	if err != nil {
		return false, fmt.Errorf("webhook: record delivery %s: %w", h.id, err)
	}
	return disabled, nil
}

// emailAdmins tells the firm's owners and admins that a webhook was
// disabled, in tx.
func (d *Deliverer) emailAdmins(ctx context.Context, tx pgx.Tx, tenantID, subID uuid.UUID, target string, failures int, since time.Time, lastErr error) error {
	var firm, slug string
	if err := tx.QueryRow(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tenantID).Scan(&firm, &slug); err != nil {
		return apperr.Internal(err)
	}
	rows, err := tx.Query(ctx, `SELECT u.name, u.email FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role IN ('owner', 'admin') AND u.disabled_at IS NULL ORDER BY u.email`, tenantID)
	if err != nil {
		return apperr.Internal(err)
	}
	type person struct{ name, email string }
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (person, error) {
		var p person
		return p, r.Scan(&p.name, &p.email)
	})
	if err != nil {
		return apperr.Internal(err)
	}
	if len(people) == 0 {
		return nil
	}
	link := "/t/" + slug + "/settings/webhooks/" + subID.String()
	if d.BaseURL != "" {
		link = strings.TrimRight(d.BaseURL, "/") + link
	}
	subject := "Webhook disabled: " + truncate(target, 80)
	paras := []string{
		"Allyway stopped sending events to " + target + " for " + firm + ": its last " + strconv.Itoa(failures) +
			" deliveries failed, since " + since.UTC().Format("2 January 2006 15:04 MST") + ".",
		"Last error: " + truncate(lastErr.Error(), 300),
		"Events that happen while the webhook is disabled are not sent to it. The deliveries that were waiting are kept: fix the receiver, then enable the webhook again and they go out in order.",
	}
	ms := make([]notify.Email, 0, len(people))
	for _, p := range people {
		text := "Hello " + p.name + ",\n\n" + strings.Join(paras, "\n\n") + "\n\nThe webhook and its delivery log:\n" + link + "\n"
		var b strings.Builder
		b.WriteString("<p>Hello " + html.EscapeString(p.name) + ",</p>")
		for _, para := range paras {
			b.WriteString("<p>" + html.EscapeString(para) + "</p>")
		}
		b.WriteString(`<p><a href="` + html.EscapeString(link) + `">See the webhook and its delivery log</a></p>`)
		ms = append(ms, notify.Email{To: p.email, Subject: subject, Text: text, HTML: b.String()})
	}
	if d.Outbox == nil {
		return errors.New("webhook: no outbox to email the admins")
	}
	_, err = d.Outbox.SendMany(ctx, tx, ms)
	return err
}

// PruneAfter is how long delivered events are kept for the log.
const PruneAfter = 30 * 24 * time.Hour

// Prune deletes one firm's events (and their deliveries) older than
// PruneAfter that nothing waits to deliver.
func Prune(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM webhook_events e WHERE e.tenant_id = $1 AND e.created_at < $2
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id AND d.status = 'pending')`,
		tenantID, now.Add(-PruneAfter))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return tag.RowsAffected(), nil
}
