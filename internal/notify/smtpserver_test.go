package notify_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// received is one message captured by testSMTPServer.
type received struct {
	From    string
	Rcpt    []string
	Raw     []byte
	Subject string
	To      string
	Text    string
	HTML    string
}

// testSMTPServer is a real SMTP server on 127.0.0.1 that keeps every
// message in memory. With user set it requires AUTH PLAIN (allowed without
// TLS: the test runs on loopback).
type testSMTPServer struct {
	Addr string
	user string
	pass string

	mu   sync.Mutex
	msgs []received
	got  chan struct{}
}

func newTestSMTPServer(t *testing.T, user, pass string) *testSMTPServer {
	t.Helper()
	return newTestSMTPServerOn(t, "127.0.0.1:0", user, pass)
}

func newTestSMTPServerOn(t *testing.T, addr, user, pass string) *testSMTPServer {
	t.Helper()
	s := &testSMTPServer{user: user, pass: pass, got: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *testSMTPServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// Wait returns once n messages have arrived, or fails after timeout.
func (s *testSMTPServer) Wait(t *testing.T, n int, timeout time.Duration) []received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("timed out waiting for %d message(s); have %d", n, len(s.Messages()))
		}
	}
}

type testSession struct {
	srv    *testSMTPServer
	authed bool
	from   string
	rcpt   []string
}

var _ smtp.AuthSession = (*testSession)(nil)

func (s *testSession) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := received{From: s.from, Rcpt: s.rcpt, Raw: raw}
	if err := parseMessage(raw, &msg); err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, msg)
	s.srv.mu.Unlock()
	s.srv.got <- struct{}{}
	return nil
}

func (s *testSession) Reset()        { s.from, s.rcpt = "", nil }
func (s *testSession) Logout() error { return nil }

// parseMessage decodes the headers and the text/plain and text/html bodies.
func parseMessage(raw []byte, out *received) error {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	if out.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return err
	}
	out.To = m.Header.Get("To")
	return parsePart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, out)
}

func parsePart(contentType, cte string, body io.Reader, out *received) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := parsePart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, out); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		out.Text = string(b)
	case "text/html":
		out.HTML = string(b)
	}
	return nil
}
