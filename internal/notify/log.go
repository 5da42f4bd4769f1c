package notify

import (
	"context"
	"log/slog"
)

// LogMailer "sends" a message by logging it at info level: recipient,
// subject and text body (never the HTML). It is meant for development
// without an SMTP server; the text body may hold secrets such as reset links,
// so do not use it in production.
type LogMailer struct {
	Logger *slog.Logger // nil means slog.Default()
}

var _ Mailer = LogMailer{}

// Send logs m.
func (l LogMailer) Send(ctx context.Context, m Email) error {
	if err := m.Validate(); err != nil {
		return err
	}
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "email (log mailer)",
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text),
		slog.Bool("has_html", m.HTML != ""),
	)
	return nil
}

// Name returns "log".
func (LogMailer) Name() string { return "log" }
