package referral_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/referral"
)

// A real SMTP server on loopback keeping every message (after the helper in
// internal/notify's tests, which is not importable from here).
type received struct {
	Rcpt          []string
	Subject, Text string
}

type smtpServer struct {
	Addr string
	mu   sync.Mutex
	msgs []received
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// waitFor returns the messages to rcpt once n have arrived.
func (s *smtpServer) waitFor(t *testing.T, rcpt string, n int) []received {
	t.Helper()
	var out []received
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		out = out[:0]
		for _, m := range s.msgs {
			if len(m.Rcpt) == 1 && m.Rcpt[0] == rcpt {
				out = append(out, m)
			}
		}
		return len(out) >= n
	}, 30*time.Second, 50*time.Millisecond, "waiting for %d message(s) to %s", n, rcpt)
	return out
}

type smtpSession struct {
	srv  *smtpServer
	rcpt []string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}
func (s *smtpSession) Reset()        { s.rcpt = nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	msg := received{Rcpt: s.rcpt}
	if msg.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		return err
	}
	if msg.Text, err = textPart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body); err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, msg)
	s.srv.mu.Unlock()
	return nil
}

func textPart(contentType, cte string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			if txt, err := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil || txt != "" {
				return txt, err
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

// TestEmailsOverSMTP: the River email worker delivers the acknowledgment and
// every status email of a referral's life to a real SMTP server.
func TestEmailsOverSMTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := newSMTPServer(t)
	mailer, err := notify.NewSMTPMailer("smtp://"+srv.Addr+"?tls=none", "Allyway <noreply@allyway.test>")
	require.NoError(t, err)
	worker, err := jobs.NewClient(jobs.Deps{Pool: f.app, Mailer: mailer, Logger: slog.New(slog.DiscardHandler)}, true)
	require.NoError(t, err)
	require.NoError(t, worker.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, worker.Stop(ctx))
	})

	p := f.partner("Brightline Advisory", "active")
	pu := f.portalUser(p, "partner@brightline.example", "Pat Partner")
	_, err = f.owner.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at, rules)
		VALUES ($1, $2, 1, 'active', 'referral', '2025-01-01', now(), '[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000}]')`, f.tenant, p)
	require.NoError(t, err)
	r := f.mustSubmit(f.input(p, pu, "Acme"))
	const to = "partner@brightline.example"
	ack := srv.waitFor(t, to, 1)[0]
	require.Equal(t, "Received "+r.Ref()+" for Acme: we respond within 24 business hours", ack.Subject)
	require.Contains(t, ack.Text, "Hello Pat,")
	require.Contains(t, ack.Text, "We received it as "+r.Ref()+" and we respond within 24 business hours.")
	require.Contains(t, ack.Text, baseURL+"/p/"+f.slug+"/referrals/"+r.ID.String())
	staff := srv.waitFor(t, "admin@northwind.example", 1)[0]
	require.Equal(t, "New referral "+r.Ref()+" from Brightline Advisory: Acme", staff.Subject)

	steps := []struct {
		in      referral.TransitionInput
		subject string
		body    []string
	}{
		{referral.TransitionInput{To: referral.Acknowledged, NoteForPartner: "Thanks, Pat: Max will call them tomorrow."},
			"Acknowledged", []string{"We have picked up your referral of Acme", "Max will call them tomorrow."}},
		{referral.TransitionInput{To: referral.Contacted}, "Client contacted", []string{"We have been in touch with Acme"}},
		{referral.TransitionInput{To: referral.Meeting, NoteForPartner: "Lovely people."}, "Meeting held", []string{"We have met Acme", "Lovely people."}},
		{referral.TransitionInput{To: referral.Proposal}, "Proposal sent", []string{"We have sent Acme a proposal"}},
		{referral.TransitionInput{To: referral.Won, NoteForPartner: "Signed!", Engagement: won("80,000")}, "Won",
			[]string{"Good news: Acme (" + r.Ref() + ") became a client.", "ERP migration", "Signed!",
				"10% of client payments on the first project (about $8,000.00 on this engagement's $80,000.00)"}},
	}
	for i, s := range steps {
		_, err := f.transition(r.ID, s.in)
		require.NoError(t, err, s.subject)
		got := srv.waitFor(t, to, i+2)[i+1]
		require.Equal(t, r.Ref()+" Acme: "+s.subject, got.Subject)
		for _, b := range s.body {
			require.Contains(t, got.Text, b, s.subject)
		}
	}
	l := f.mustSubmit(f.input(p, pu, "Globex"))
	srv.waitFor(t, to, 7) // jobs run in parallel: wait for the ack before the next email
	_, err = f.transition(l.ID, referral.TransitionInput{To: referral.Declined, Reason: "budget", NoteForPartner: "They have $5k; our minimum is $20k."})
	require.NoError(t, err)
	msgs := srv.waitFor(t, to, 8)
	require.Equal(t, "Received "+l.Ref()+" for Globex: we respond within 24 business hours", msgs[6].Subject)
	require.Equal(t, l.Ref()+" Globex: Declined (not a fit)", msgs[7].Subject)
	require.Contains(t, msgs[7].Text, "Why: Budget. The client's budget didn't stretch")
	require.Contains(t, msgs[7].Text, "They have $5k; our minimum is $20k.")
	require.Eventually(t, func() bool {
		return f.count(`SELECT count(*) FROM email_outbox WHERE sent_at IS NULL`) == 0
	}, 10*time.Second, 50*time.Millisecond, "every queued email is marked sent")
	// The SLA scan is registered and runs (at start) without error.
	require.Eventually(t, func() bool {
		return f.count(`SELECT count(*) FROM river_job WHERE kind = 'referral_sla_scan' AND state = 'completed'`) >= 1
	}, 10*time.Second, 50*time.Millisecond, "the SLA scan ran")
}
