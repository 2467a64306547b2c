package notify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Defaults of EmailConfig.
const (
	defaultSMTPTimeout = 30 * time.Second
	defaultSMTPEvery   = 200 * time.Millisecond // 5 messages a second per server: modest for any relay
)

// EmailConfig is how the hub sends e-mail.
type EmailConfig struct {
	Addr     string // the SMTP server, host:port (TOCSIN_SMTP_ADDR)
	User     string // AUTH PLAIN user; "" for no authentication
	Password string // secret
	From     string // the sender, "Tocsin <tocsin@example.com>"
	// NoTLS turns STARTTLS off, for a relay on this host or network that
	// does not offer it (TOCSIN_SMTP_STARTTLS=off). By default STARTTLS is
	// required: a server that does not offer it gets nothing, since the
	// password and the messages would cross the network in clear.
	NoTLS bool
	// TLS, when set, is the base of the STARTTLS configuration (tests give
	// their certificate's root here); ServerName is always the server's host.
	TLS     *tls.Config
	BaseURL string           // for links to incidents
	Now     func() time.Time // the Date header
	Timeout time.Duration    // one whole SMTP session; default 30 s
	Every   time.Duration    // least time between two messages; default 200 ms
}

// EmailSender sends messages by SMTP, each as a multipart/alternative
// message with a plain-text and an HTML part. The Message-ID is derived
// from the message key, so a message sent again is recognisably the same
// one. A 5xx reply from the server refuses the message for good; a 4xx
// reply and network errors are retried.
//
// The recipients of a message are, by its Address: an e-mail address (a
// reporter's, a digest's reader); or the name of an e-mail destination of
// the routes (a broadcast); or, with no Address, the e-mail address of the
// roster person Recipient (a page).
type EmailSender struct {
	cfg    EmailConfig
	from   *mail.Address
	host   string
	routes *Routes
	people People
}

var (
	_ Sender      = (*EmailSender)(nil)
	_ Destination = (*EmailSender)(nil)
)

// NewEmailSender checks cfg and returns a sender through its server.
// routes holds the e-mail destinations and people the roster's addresses;
// either may be nil.
func NewEmailSender(cfg EmailConfig, routes *Routes, people People) (*EmailSender, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	from, _ := mail.ParseAddress(cfg.From)
	host, _, _ := net.SplitHostPort(cfg.Addr)
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultSMTPTimeout
	}
	if cfg.Every <= 0 {
		cfg.Every = defaultSMTPEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &EmailSender{cfg: cfg, from: from, host: host, routes: routes, people: people}, nil
}

// Check reports what is wrong with cfg, naming the settings.
func (cfg EmailConfig) Check() error {
	var problems []string
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		problems = append(problems, "TOCSIN_SMTP_ADDR: want host:port, e.g. smtp.example.com:587")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		problems = append(problems, "TOCSIN_SMTP_FROM: want an address, e.g. \"Tocsin <tocsin@example.com>\"")
	}
	if cfg.User != "" && cfg.Password == "" {
		problems = append(problems, "TOCSIN_SMTP_PASSWORD: required with TOCSIN_SMTP_USER")
	}
	if cfg.NoTLS && cfg.User != "" && !loopback(host) {
		problems = append(problems, "TOCSIN_SMTP_STARTTLS=off with TOCSIN_SMTP_USER: the password would cross the network in clear; "+
			"turn STARTTLS off only for an unauthenticated relay, or one on this host")
	}
	if len(problems) > 0 {
		return fmt.Errorf("e-mail settings: %s", strings.Join(problems, "; "))
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Destination is the SMTP server: messages to it are paced.
func (s *EmailSender) Destination(Message) (string, time.Duration) {
	return "email:" + s.cfg.Addr, s.cfg.Every
}

// Send delivers m and returns its Message-ID.
func (s *EmailSender) Send(ctx context.Context, m Message) (string, error) {
	to, err := s.recipients(ctx, m)
	if err != nil {
		return "", err
	}
	link := ""
	if m.Incident != "" {
		link = IncidentURL(s.cfg.BaseURL, m.Incident)
	}
	id := MessageID(m.Key, s.from.Address)
	data, err := composeEmail(s.from, to, id, m, link, s.cfg.BaseURL, s.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("compose e-mail %s: %w", m.Key, err)
	}
	rcpt := make([]string, len(to))
	for i, a := range to {
		rcpt[i] = a.Address
	}
	if err := s.transmit(ctx, rcpt, data); err != nil {
		return "", err
	}
	return id, nil
}

// recipients finds where m goes (see EmailSender).
func (s *EmailSender) recipients(ctx context.Context, m Message) ([]*mail.Address, error) {
	switch {
	case strings.Contains(m.Address, "@"):
		a, err := mail.ParseAddress(m.Address)
		if err != nil {
			return nil, fmt.Errorf("e-mail to %q: not an address: %w", m.Address, ErrPermanent)
		}
		return []*mail.Address{a}, nil
	case m.Address != "":
		e, ok := s.routes.Endpoint(m.Address)
		if !ok || e.Kind != ChannelEmail {
			return nil, fmt.Errorf("e-mail destination %q is not configured: %w", m.Address, ErrPermanent)
		}
		return e.To, nil
	case m.Recipient != "" && s.people != nil:
		addr, err := s.people.Address(ctx, m.Recipient, ChannelEmail)
		if errors.Is(err, ErrNoAddress) {
			return nil, fmt.Errorf("e-mail to %s: %w: %w", m.Recipient, err, ErrPermanent)
		}
		if err != nil {
			return nil, fmt.Errorf("e-mail to %s: %w", m.Recipient, err)
		}
		a, err := mail.ParseAddress(addr)
		if err != nil {
			return nil, fmt.Errorf("e-mail to %s: %q is not an address: %w", m.Recipient, addr, ErrPermanent)
		}
		return []*mail.Address{a}, nil
	}
	return nil, fmt.Errorf("e-mail %s has no recipient: %w", m.Key, ErrPermanent)
}

// MessageID is the Message-ID of the e-mail of the message with key, sent
// from address from: the same key gives the same id.
func MessageID(key, from string) string {
	domain := "tocsin.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + ".tocsin@" + domain + ">"
}

// transmit runs one SMTP session: STARTTLS (unless off), AUTH PLAIN (with
// a user), MAIL, RCPT, DATA.
func (s *EmailSender) transmit(ctx context.Context, to []string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return s.smtpError("greeting", err)
	}
	defer c.Close()
	if !s.cfg.NoTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s does not offer STARTTLS, which is required (TOCSIN_SMTP_STARTTLS)", s.cfg.Addr)
		}
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.cfg.TLS != nil {
			tc = s.cfg.TLS.Clone()
		}
		tc.ServerName = s.host
		if err := c.StartTLS(tc); err != nil {
			return s.smtpError("STARTTLS", err)
		}
	}
	if s.cfg.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp %s does not offer AUTH, and TOCSIN_SMTP_USER is set: %w", s.cfg.Addr, ErrPermanent)
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Password, s.host)); err != nil {
			return s.smtpError("AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.smtpError("MAIL FROM", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return s.smtpError("RCPT TO "+a, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.smtpError("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return s.smtpError("DATA", err)
	}
	if err := w.Close(); err != nil { // reads the server's verdict on the message
		return s.smtpError("DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failing goodbye changes nothing
	return nil
}

// smtpError classifies a failed SMTP step: a 5xx reply is permanent, the
// rest (4xx, network) is retried.
func (s *EmailSender) smtpError(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return fmt.Errorf("smtp %s %s: %w: %w", s.cfg.Addr, step, err, ErrPermanent)
	}
	return fmt.Errorf("smtp %s %s: %w", s.cfg.Addr, step, err)
}
