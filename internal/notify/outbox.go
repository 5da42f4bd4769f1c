package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
)

// Querier is what the outbox queries need; pgx.Tx, *pgx.Conn and
// *pgxpool.Pool all satisfy it.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Outbox queues email in the caller's transaction.
type Outbox struct {
	jobs *river.Client[pgx.Tx]
}

// NewOutbox returns an Outbox that enqueues its jobs through jobs, which may
// be an insert-only client.
func NewOutbox(jobs *river.Client[pgx.Tx]) *Outbox {
	return &Outbox{jobs: jobs}
}

// Send validates m, writes it to email_outbox and enqueues a send_email job,
// both in tx: the message goes out only if tx commits. It returns the
// outbox row's id.
func (o *Outbox) Send(ctx context.Context, tx pgx.Tx, m Email) (uuid.UUID, error) {
	if err := m.Validate(); err != nil {
		return uuid.Nil, err
	}
	if o == nil || o.jobs == nil {
		return uuid.Nil, errors.New("notify: outbox has no job client")
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
		INSERT INTO email_outbox (to_addr, subject, text_body, html_body)
		VALUES ($1, $2, $3, $4)
		RETURNING id`,
		m.To, m.Subject, m.Text, m.HTML,
	).Scan(&id)
	if err != nil {
		return uuid.Nil, fmt.Errorf("notify: insert email_outbox: %w", err)
	}
	if _, err := o.jobs.InsertTx(ctx, tx, SendEmailArgs{OutboxID: id}, nil); err != nil {
		return uuid.Nil, fmt.Errorf("notify: enqueue send_email: %w", err)
	}
	return id, nil
}

// SendMany is Send for several messages: one insert for the outbox rows and
// one batch of send_email jobs, so a change that tells five people costs two
// round trips, not ten. Nothing is queued unless every message is valid.
func (o *Outbox) SendMany(ctx context.Context, tx pgx.Tx, ms []Email) ([]uuid.UUID, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if o == nil || o.jobs == nil {
		return nil, errors.New("notify: outbox has no job client")
	}
	to, subj, text, html := make([]string, len(ms)), make([]string, len(ms)), make([]string, len(ms)), make([]string, len(ms))
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return nil, err
		}
		to[i], subj[i], text[i], html[i] = m.To, m.Subject, m.Text, m.HTML
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO email_outbox (to_addr, subject, text_body, html_body)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
		RETURNING id`, to, subj, text, html)
	if err != nil {
		return nil, fmt.Errorf("notify: insert email_outbox: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("notify: insert email_outbox: %w", err)
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: SendEmailArgs{OutboxID: id}}
	}
	if _, err := o.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return nil, fmt.Errorf("notify: enqueue send_email: %w", err)
	}
	return ids, nil
}

// Enqueue inserts a background job in tx, so it runs only if tx commits
// (e.g. an SLA check scheduled for a due time with opts.ScheduledAt).
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if o == nil || o.jobs == nil {
		return errors.New("notify: outbox has no job client")
	}
	if _, err := o.jobs.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("notify: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// OutboxMessage is one email_outbox row.
type OutboxMessage struct {
	ID        uuid.UUID
	To        string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
	SentAt    *time.Time // nil until delivered
	Transport string     // Mailer.Name() that delivered it; "" until then
	Attempts  int
	LastError string // most recent delivery error; kept after a later success
}

const outboxColumns = `id, to_addr, subject, text_body, html_body, created_at,
	sent_at, coalesce(transport, ''), attempts, coalesce(last_error, '')`

func scanOutbox(row pgx.Row) (OutboxMessage, error) {
	var m OutboxMessage
	err := row.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.CreatedAt,
		&m.SentAt, &m.Transport, &m.Attempts, &m.LastError)
	return m, err
}

// ListOutbox returns up to limit messages, newest first. A limit below 1
// means 50.
func ListOutbox(ctx context.Context, q Querier, limit int) ([]OutboxMessage, error) {
	if limit < 1 {
		limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+outboxColumns+`
		FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: list outbox: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxMessage, error) {
		return scanOutbox(r)
	})
	if err != nil {
		return nil, fmt.Errorf("notify: list outbox: %w", err)
	}
	return msgs, nil
}

// GetOutbox returns one message. A missing id is an error that wraps
// pgx.ErrNoRows.
func GetOutbox(ctx context.Context, q Querier, id uuid.UUID) (OutboxMessage, error) {
	m, err := scanOutbox(q.QueryRow(ctx, `SELECT `+outboxColumns+`
		FROM email_outbox WHERE id = $1`, id))
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("notify: get outbox %s: %w", id, err)
	}
	return m, nil
}
