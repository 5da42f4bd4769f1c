// Package notify sends email.
//
// Email is never sent from a request: the code that causes a message calls
// Outbox.Send inside its own transaction, which writes an email_outbox row
// and enqueues a River job (SendEmailArgs) in that same transaction. The
// job's worker (SendEmailWorker) hands the message to a Mailer once the
// transaction has committed, so a rolled-back change sends nothing.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Email is one message to one recipient. Text is required; when HTML is set
// the message is sent as multipart/alternative with both bodies.
type Email struct {
	To      string // "a@b.example" or "Name <a@b.example>"
	Subject string
	Text    string
	HTML    string
}

// Mailer delivers a message. Implementations must be safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, m Email) error
	// Name identifies the transport; it is recorded in email_outbox.transport.
	Name() string
}

// ErrInvalidEmail is wrapped by every validation error from Validate.
var ErrInvalidEmail = errors.New("notify: invalid email")

// Validate checks that m is safe to hand to a mail transport: To is a single
// address that net/mail parses, To and Subject contain no line breaks (header
// injection), and Text is not empty.
func (m Email) Validate() error {
	if strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: recipient contains a line break", ErrInvalidEmail)
	}
	if strings.TrimSpace(m.To) == "" {
		return fmt.Errorf("%w: recipient is empty", ErrInvalidEmail)
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("%w: recipient %q: %v", ErrInvalidEmail, m.To, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject contains a line break", ErrInvalidEmail)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: text body is empty", ErrInvalidEmail)
	}
	return nil
}
