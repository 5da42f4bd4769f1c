package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPTimeout bounds connecting to the SMTP server and each command on the
// connection.
const SMTPTimeout = 10 * time.Second

// smtpMailer sends through an SMTP server with github.com/wneessen/go-mail.
// A fresh go-mail client is built for every message (go-mail clients keep
// connection and auth-negotiation state and are not meant to be shared by
// concurrent senders); the options are computed once.
type smtpMailer struct {
	host string
	from string
	opts []mail.Option
}

// NewSMTPMailer returns a Mailer that delivers through the server in smtpURL,
// with from (e.g. "Allyway <no-reply@allyway.local>") as the sender.
//
// URL forms:
//
//	smtp://user:pass@host:port           STARTTLS when the server offers it (opportunistic)
//	smtp://host:port?tls=starttls        STARTTLS required
//	smtps://user:pass@host:port          implicit TLS
//	smtp://host:port?tls=none            plaintext, never TLS (Mailpit, tests)
//
// The port defaults to 587 for smtp and 465 for smtps. User and password
// are optional; with them the client authenticates with the best mechanism
// the server offers (SCRAM, CRAM-MD5, then PLAIN or LOGIN); PLAIN and LOGIN
// are refused over an unencrypted connection unless the server is localhost.
// Connecting and each SMTP command time out after SMTPTimeout.
func NewSMTPMailer(smtpURL, from string) (Mailer, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		// Do not echo the URL: it may carry a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("notify: invalid SMTP URL: %v", err)
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("notify: invalid from address %q: %w", from, err)
	}
	if strings.ContainsAny(from, "\r\n") {
		return nil, fmt.Errorf("notify: from address contains a line break")
	}

	host := u.Hostname()
	if host == "" {
		return nil, errors.New("notify: SMTP URL has no host")
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return nil, fmt.Errorf("notify: unknown SMTP URL parameter %q", k)
		}
	}
	tlsMode := strings.ToLower(q.Get("tls"))

	opts := []mail.Option{mail.WithTimeout(SMTPTimeout)}
	var port int
	switch strings.ToLower(u.Scheme) {
	case "smtps":
		if tlsMode != "" && tlsMode != "implicit" {
			return nil, fmt.Errorf("notify: tls=%s is not valid with smtps://", tlsMode)
		}
		port = 465
		opts = append(opts, mail.WithSSL())
	case "smtp":
		port = 587
		switch tlsMode {
		case "", "opportunistic":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
		case "starttls", "required":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		case "none":
			opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		default:
			return nil, fmt.Errorf("notify: unknown tls=%q (want none, opportunistic or starttls)", tlsMode)
		}
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("notify: invalid SMTP port %q", p)
		}
	}
	opts = append(opts, mail.WithPort(port))

	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts,
			mail.WithUsername(u.User.Username()),
			mail.WithPassword(pass),
			mail.WithOpportunisticSMTPAuth(
				mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1, mail.SMTPAuthCramMD5,
				mail.SMTPAuthPlain, mail.SMTPAuthLogin,
			),
		)
	}

	// Build one client now so that option errors surface at start-up.
	if _, err := mail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("notify: SMTP client: %w", err)
	}
	return &smtpMailer{host: host, from: from, opts: opts}, nil
}

// NewMailer returns an SMTP mailer for smtpURL, or a LogMailer on logger
// when smtpURL is empty (development without a mail server).
func NewMailer(smtpURL, from string, logger *slog.Logger) (Mailer, error) {
	if smtpURL == "" {
		return LogMailer{Logger: logger}, nil
	}
	return NewSMTPMailer(smtpURL, from)
}

// Name returns "smtp".
func (s *smtpMailer) Name() string { return "smtp" }

// Send delivers m, as multipart/alternative when m.HTML is set.
func (s *smtpMailer) Send(ctx context.Context, m Email) error {
	if err := m.Validate(); err != nil {
		return err
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("notify: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("notify: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}

	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("notify: SMTP client: %w", err)
	}
	// go-mail applies its timeout per connection step; bound the whole
	// exchange too so a trickling server cannot hold a worker forever.
	ctx, cancel := context.WithTimeout(ctx, 3*SMTPTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: smtp send: %w", err)
	}
	return nil
}
