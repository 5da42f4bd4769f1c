package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/notify"
)

const testFrom = "Allyway <no-reply@allyway.local>"

func TestSMTPMailerPlaintext(t *testing.T) {
	t.Parallel()
	srv := newTestSMTPServer(t, "", "")
	m, err := notify.NewSMTPMailer("smtp://"+srv.Addr+"?tls=none", testFrom)
	require.NoError(t, err)
	require.Equal(t, "smtp", m.Name())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = m.Send(ctx, notify.Email{
		To:      "Ada Lovelace <ada@example.com>",
		Subject: "Welcome to Allyway — café",
		Text:    "Hello Ada,\nyour account is ready.",
		HTML:    "<p>Hello Ada,<br>your account is <b>ready</b>.</p>",
	})
	require.NoError(t, err)

	msgs := srv.Wait(t, 1, 5*time.Second)
	require.Len(t, msgs, 1)
	got := msgs[0]
	require.Equal(t, "no-reply@allyway.local", got.From)
	require.Equal(t, []string{"ada@example.com"}, got.Rcpt)
	require.Contains(t, got.To, "ada@example.com")
	require.Equal(t, "Welcome to Allyway — café", got.Subject)
	require.Equal(t, "Hello Ada,\nyour account is ready.", strings.ReplaceAll(got.Text, "\r\n", "\n"))
	require.Contains(t, got.HTML, "<b>ready</b>")
	require.Contains(t, string(got.Raw), "multipart/alternative")
}

func TestSMTPMailerTextOnlyWithAuth(t *testing.T) {
	t.Parallel()
	srv := newTestSMTPServer(t, "mailer", "s3cret/pw")
	// Default (opportunistic) TLS policy: the server offers no STARTTLS, so
	// the message goes in plaintext; PLAIN auth is allowed because the
	// server is on loopback.
	m, err := notify.NewSMTPMailer("smtp://mailer:s3cret%2Fpw@"+srv.Addr, testFrom)
	require.NoError(t, err)

	err = m.Send(context.Background(), notify.Email{To: "bob@example.com", Subject: "Hi", Text: "plain only"})
	require.NoError(t, err)
	got := srv.Wait(t, 1, 5*time.Second)[0]
	require.Equal(t, "Hi", got.Subject)
	require.Equal(t, "plain only", strings.TrimRight(got.Text, "\r\n"))
	require.Empty(t, got.HTML)
	require.NotContains(t, string(got.Raw), "multipart/")

	bad, err := notify.NewSMTPMailer("smtp://mailer:wrong@"+srv.Addr, testFrom)
	require.NoError(t, err)
	err = bad.Send(context.Background(), notify.Email{To: "bob@example.com", Subject: "Hi", Text: "x"})
	require.ErrorContains(t, err, "AUTH")
	require.Len(t, srv.Messages(), 1)
}

// Credentials are never sent in the clear to a host that is not localhost:
// 127.0.0.2 is loopback to the kernel but not "localhost" to the client.
func TestSMTPMailerNoCleartextPasswordToRemoteHost(t *testing.T) {
	t.Parallel()
	srv := newTestSMTPServerOn(t, "127.0.0.2:0", "mailer", "pw")
	m, err := notify.NewSMTPMailer("smtp://mailer:pw@"+srv.Addr, testFrom)
	require.NoError(t, err)
	err = m.Send(context.Background(), notify.Email{To: "bob@example.com", Subject: "Hi", Text: "x"})
	require.ErrorContains(t, err, "unencrypted")
	require.Empty(t, srv.Messages())
}

func TestSMTPMailerRequiredTLSRefusesPlaintextServer(t *testing.T) {
	t.Parallel()
	srv := newTestSMTPServer(t, "", "")
	m, err := notify.NewSMTPMailer("smtp://"+srv.Addr+"?tls=starttls", testFrom)
	require.NoError(t, err)
	err = m.Send(context.Background(), notify.Email{To: "bob@example.com", Subject: "Hi", Text: "x"})
	require.ErrorContains(t, err, "STARTTLS")
	require.Empty(t, srv.Messages())
}

func TestNewSMTPMailerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, from string }{
		{"http://host:25", testFrom},
		{"smtp://:25", testFrom},
		{"smtp://host:0", testFrom},
		{"smtp://host:25?tls=maybe", testFrom},
		{"smtp://host:25?tsl=none", testFrom},
		{"smtps://host:465?tls=none", testFrom},
		{"smtp://host:25", "not an address"},
		{"smtp://host:25", "a@b.example\r\nBcc: x@evil.example"},
	} {
		_, err := notify.NewSMTPMailer(tc.url, tc.from)
		require.Error(t, err, "%s %q", tc.url, tc.from)
	}
	_, err := notify.NewSMTPMailer("smtps://u:p@mail.example.com", testFrom)
	require.NoError(t, err)

	// A malformed URL's error must not echo the password.
	_, err = notify.NewSMTPMailer("smtp://user:hunter2@host:notaport\x7f", testFrom)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

func TestEmailValidateRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	ok := notify.Email{To: "a@example.com", Subject: "Hello", Text: "body"}
	require.NoError(t, ok.Validate())
	for name, m := range map[string]notify.Email{
		"subject CRLF":  {To: "a@example.com", Subject: "Hello\r\nBcc: victim@example.com", Text: "x"},
		"subject LF":    {To: "a@example.com", Subject: "Hello\nBcc: victim@example.com", Text: "x"},
		"to CRLF":       {To: "a@example.com\r\nBcc: victim@example.com", Subject: "s", Text: "x"},
		"to unparsable": {To: "not an address", Subject: "s", Text: "x"},
		"to list":       {To: "a@example.com, b@example.com", Subject: "s", Text: "x"},
		"to empty":      {To: "", Subject: "s", Text: "x"},
		"text empty":    {To: "a@example.com", Subject: "s", Text: "  "},
	} {
		require.ErrorIs(t, m.Validate(), notify.ErrInvalidEmail, name)
	}

	// The outbox validates before it touches the transaction or the job
	// client, so a nil tx and client are never reached.
	var o notify.Outbox
	_, err := o.Send(context.Background(), nil, notify.Email{To: "a@example.com", Subject: "Hi\r\nBcc: victim@example.com", Text: "x"})
	require.ErrorIs(t, err, notify.ErrInvalidEmail)

	// The SMTP mailer refuses too (defence in depth) without connecting.
	srv := newTestSMTPServer(t, "", "")
	m, err := notify.NewSMTPMailer("smtp://"+srv.Addr+"?tls=none", testFrom)
	require.NoError(t, err)
	err = m.Send(context.Background(), notify.Email{To: "a@example.com", Subject: "Hi\r\nBcc: victim@example.com", Text: "x"})
	require.ErrorIs(t, err, notify.ErrInvalidEmail)
	require.Empty(t, srv.Messages())
}

func TestLogMailer(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := notify.LogMailer{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	require.Equal(t, "log", m.Name())
	require.NoError(t, m.Send(context.Background(), notify.Email{
		To: "a@example.com", Subject: "Reset your password", Text: "https://x.example/reset/abc", HTML: "<p>secret-html</p>",
	}))
	out := buf.String()
	require.Contains(t, out, "level=INFO")
	require.Contains(t, out, "a@example.com")
	require.Contains(t, out, "Reset your password")
	require.Contains(t, out, "https://x.example/reset/abc")
	require.NotContains(t, out, "secret-html")

	mm, err := notify.NewMailer("", testFrom, nil)
	require.NoError(t, err)
	require.Equal(t, "log", mm.Name())
}
