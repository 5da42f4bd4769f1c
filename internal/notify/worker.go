package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// SendEmailArgs is the send_email job: deliver one email_outbox row.
type SendEmailArgs struct {
	OutboxID uuid.UUID `json:"outbox_id"`
}

// Kind returns "send_email".
func (SendEmailArgs) Kind() string { return "send_email" }

// InsertOpts retries a failed delivery up to 10 times with River's
// exponential backoff (hours in total).
func (SendEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// SendEmailWorker delivers email_outbox rows through Mailer.
//
// Delivery is at-least-once: a row already marked sent is skipped, but a
// crash (or a failed UPDATE) between the SMTP hand-off and marking the row
// sent means the retry sends the message again.
type SendEmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	Pool   *pgxpool.Pool
	Mailer Mailer
}

// NewSendEmailWorker returns a worker that reads email_outbox through pool
// and delivers with mailer.
func NewSendEmailWorker(pool *pgxpool.Pool, mailer Mailer) *SendEmailWorker {
	return &SendEmailWorker{Pool: pool, Mailer: mailer}
}

// lastErrorMax caps how much of a delivery error is kept in the row.
const lastErrorMax = 2000

// Work sends the message unless it has been sent already. On failure it
// records the attempt and error in the row and returns the error, so River
// retries.
func (w *SendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	if w.Pool == nil || w.Mailer == nil {
		return errors.New("notify: SendEmailWorker needs Pool and Mailer")
	}
	id := job.Args.OutboxID
	m, err := GetOutbox(ctx, w.Pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nothing to send and nothing a retry would fix.
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if m.SentAt != nil {
		return nil
	}

	sendErr := w.Mailer.Send(ctx, Email{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})

	// Book-keeping must happen even when ctx has just expired (the send may
	// have been what timed out).
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if sendErr != nil {
		msg := sendErr.Error()
		if len(msg) > lastErrorMax {
			msg = strings.ToValidUTF8(msg[:lastErrorMax], "")
		}
		if _, err := w.Pool.Exec(bctx, `
			UPDATE email_outbox SET attempts = attempts + 1, last_error = $2
			WHERE id = $1`, id, msg); err != nil {
			return errors.Join(sendErr, fmt.Errorf("notify: record failed attempt: %w", err))
		}
		return sendErr
	}
	if _, err := w.Pool.Exec(bctx, `
		UPDATE email_outbox
		SET sent_at = now(), transport = $2, attempts = attempts + 1
		WHERE id = $1 AND sent_at IS NULL`, id, w.Mailer.Name()); err != nil {
		return fmt.Errorf("notify: mark sent: %w", err)
	}
	return nil
}
