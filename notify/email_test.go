package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/notify"
)

const (
	smtpUser = "tocsin@example.com"
	smtpPass = "app-password-123"
)

func emailSender(t *testing.T, srv *smtpServer, edit func(*notify.EmailConfig), routes *notify.Routes) *notify.EmailSender {
	t.Helper()
	cfg := notify.EmailConfig{Addr: srv.addr, User: smtpUser, Password: smtpPass, From: "Tocsin 应急中心 <tocsin@example.com>",
		TLS: &tls.Config{RootCAs: srv.roots}, BaseURL: baseURL, Now: fixedNow, Timeout: 10 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := notify.NewEmailSender(cfg, routes, people)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parsedMail is a received message read back with net/mail and
// mime/multipart.
type parsedMail struct {
	header mail.Header
	plain  string
	html   string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	p := parsedMail{header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part) // quoted-printable, decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		ct := part.Header.Get("Content-Type")
		types = append(types, ct)
		switch ct {
		case "text/plain; charset=utf-8":
			p.plain = string(body)
		case "text/html; charset=utf-8":
			p.html = string(body)
		}
	}
	if !slices.Equal(types, []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}) {
		t.Errorf("parts %v, want plain then HTML", types)
	}
	return p
}

func feedbackMail() notify.Message {
	return notify.Message{Key: "INC-2026-000042/feedback/received", Kind: notify.KindFeedback, Incident: "INC-2026-000042",
		Recipient: "u-reporter", Channel: notify.ChannelEmail, Address: "lina@example.com",
		Subject: "报告已受理：INC-2026-000042 <script>alert(1)</script>",
		Body: "感谢您的报告“<script>alert(1)</script>”。该报告已登记，编号 INC-2026-000042。\n\n" +
			"查看进展：" + baseURL + "/incidents/INC-2026-000042\n" +
			"Not a link here: https://evil.example/login\n"}
}

// TestEmailSend: STARTTLS, then AUTH PLAIN, then one multipart message
// whose headers, plain and HTML parts read back as sent.
func TestEmailSend(t *testing.T) {
	srv := newSMTPServer(t, true, smtpUser, smtpPass)
	s := emailSender(t, srv, nil, nil)
	m := feedbackMail()

	ref, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	mails := srv.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	got := mails[0]
	if !got.tls || got.authUser != smtpUser || got.from != "tocsin@example.com" || !slices.Equal(got.to, []string{"lina@example.com"}) {
		t.Errorf("envelope: tls %v, auth %q, from %q, to %v", got.tls, got.authUser, got.from, got.to)
	}
	cmds := strings.Join(srv.seen(), "\n")
	if i, j := strings.Index(cmds, "STARTTLS"), strings.Index(cmds, "AUTH PLAIN"); i < 0 || j < i {
		t.Errorf("AUTH before STARTTLS:\n%s", cmds)
	}

	p := parseMail(t, got.data)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject %q (%v), want %q", subject, err, m.Subject)
	}
	if raw := p.header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("Subject not RFC 2047-encoded: %q", raw)
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Tocsin 应急中心" || from[0].Address != "tocsin@example.com" {
		t.Errorf("From %v (%v)", from, err)
	}
	if to, err := p.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "lina@example.com" {
		t.Errorf("To %v (%v)", to, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(channelsNow) {
		t.Errorf("Date %v (%v), want %v", d, err, channelsNow)
	}
	if id := p.header.Get("Message-ID"); id != ref || id != notify.MessageID(m.Key, "tocsin@example.com") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q, ref %q", id, ref)
	}
	if p.header.Get("X-Tocsin-Delivery") != m.Key || p.header.Get("MIME-Version") != "1.0" {
		t.Errorf("headers %v", p.header)
	}

	// The plain part is the body as written, with the link.
	if !strings.Contains(p.plain, "感谢您的报告“<script>alert(1)</script>”") || !strings.Contains(p.plain, baseURL+"/incidents/INC-2026-000042") {
		t.Errorf("plain part:\n%s", p.plain)
	}
	// The HTML part escapes people's text and links only to the hub.
	for _, s := range []string{
		"<title>报告已受理：INC-2026-000042 &lt;script&gt;alert(1)&lt;/script&gt;</title>",
		"感谢您的报告“&lt;script&gt;alert(1)&lt;/script&gt;”",
		`查看进展：<a href="` + baseURL + `/incidents/INC-2026-000042">` + baseURL + "/incidents/INC-2026-000042</a>",
		"Not a link here: https://evil.example/login",
		`<a href="` + baseURL + `/incidents/INC-2026-000042">Open in Tocsin 在 Tocsin 中查看</a>`,
	} {
		if !strings.Contains(p.html, s) {
			t.Errorf("HTML lacks %s:\n%s", s, p.html)
		}
	}
	if strings.Contains(p.html, "<script>") || strings.Contains(p.html, `href="https://evil`) {
		t.Errorf("HTML not escaped:\n%s", p.html)
	}

	// Sent again (its outcome was lost), it is recognisably the same message.
	ref2, err := s.Send(context.Background(), m)
	if err != nil || ref2 != ref {
		t.Errorf("resend: %q, %v; want the same Message-ID %q", ref2, err, ref)
	}
	if again := parseMail(t, srv.received()[1].data); again.header.Get("Message-ID") != ref {
		t.Error("the resent mail has another Message-ID")
	}
	if name, every := s.Destination(m); name != "email:"+srv.addr || every <= 0 {
		t.Errorf("Destination = %s, %v", name, every)
	}
}

// TestEmailRecipients: a destination's list (a broadcast), a roster
// person's address (a page).
func TestEmailRecipients(t *testing.T) {
	srv := newSMTPServer(t, true, "", "")
	routes, err := notify.ParseRoutes("routes.yaml", []byte("destinations:\n  - {name: soc-mail, kind: email, to: [soc@example.com, \"CISO <ciso@example.com>\"]}\n"), env())
	if err != nil {
		t.Fatal(err)
	}
	s := emailSender(t, srv, func(c *notify.EmailConfig) { c.User, c.Password = "", "" }, routes)
	ctx := context.Background()

	b := broadcastMessage()
	b.Channel, b.Address = notify.ChannelEmail, "soc-mail"
	if _, err := s.Send(ctx, b); err != nil {
		t.Fatal(err)
	}
	page := pageTo(notify.ChannelEmail, "nochat")
	if _, err := s.Send(ctx, page); err != nil {
		t.Fatal(err)
	}
	mails := srv.received()
	if len(mails) != 2 || !slices.Equal(mails[0].to, []string{"soc@example.com", "ciso@example.com"}) || !slices.Equal(mails[1].to, []string{"nochat@example.com"}) {
		t.Fatalf("mails %+v", mails)
	}
	if mails[0].authUser != "" || !mails[0].tls {
		t.Errorf("no user: no AUTH, but still STARTTLS: %+v", mails[0])
	}
	to, _ := parseMail(t, mails[0].data).header.AddressList("To")
	if len(to) != 2 || to[1].Name != "CISO" {
		t.Errorf("To %v", to)
	}

	for name, m := range map[string]notify.Message{
		"unknown destination":   func() notify.Message { m := b; m.Address = "nosuch"; return m }(),
		"person without e-mail": pageTo(notify.ChannelEmail, "lina"),
		"bad address":           func() notify.Message { m := b; m.Address = "not an@address@"; return m }(),
	} {
		if _, err := s.Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	if n := len(srv.received()); n != 2 {
		t.Errorf("%d mails after refusals, want 2", n)
	}
}

// TestEmailErrors: 5xx replies are permanent, 4xx are retried; STARTTLS is
// required, and without it nothing is sent, the password least of all.
func TestEmailErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("rcpt 550", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		srv.set("550 5.1.1 no such user", "")
		if _, err := emailSender(t, srv, nil, nil).Send(ctx, feedbackMail()); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("err %v, want permanent", err)
		}
	})
	t.Run("rcpt 451", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		srv.set("451 4.3.0 try again later", "")
		_, err := emailSender(t, srv, nil, nil).Send(ctx, feedbackMail())
		if err == nil || errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "451") {
			t.Errorf("err %v, want a transient 451", err)
		}
	})
	t.Run("data 554", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		srv.set("", "554 5.7.1 rejected as spam")
		if _, err := emailSender(t, srv, nil, nil).Send(ctx, feedbackMail()); !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("err %v, want permanent", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		s := emailSender(t, srv, func(c *notify.EmailConfig) { c.Password = "wrong" }, nil)
		_, err := s.Send(ctx, feedbackMail())
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "wrong") {
			t.Errorf("err %v, want a permanent 535 without the password", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		s := emailSender(t, srv, func(c *notify.EmailConfig) { c.TLS = nil }, nil)
		if _, err := s.Send(ctx, feedbackMail()); err == nil {
			t.Error("sent over a certificate nobody trusts")
		}
		if slices.ContainsFunc(srv.seen(), func(c string) bool { return strings.HasPrefix(c, "AUTH") }) {
			t.Error("the password was offered")
		}
	})
	t.Run("no STARTTLS offered", func(t *testing.T) {
		srv := newSMTPServer(t, false, smtpUser, smtpPass)
		_, err := emailSender(t, srv, nil, nil).Send(ctx, feedbackMail())
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("err %v", err)
		}
		for _, c := range srv.seen() {
			if strings.HasPrefix(c, "AUTH") || strings.HasPrefix(c, "MAIL") {
				t.Errorf("sent %q in clear", c)
			}
		}
	})
	t.Run("STARTTLS off for a local relay", func(t *testing.T) {
		srv := newSMTPServer(t, false, smtpUser, smtpPass)
		s := emailSender(t, srv, func(c *notify.EmailConfig) { c.NoTLS = true }, nil) // 127.0.0.1: PLAIN is allowed
		if _, err := s.Send(ctx, feedbackMail()); err != nil {
			t.Fatal(err)
		}
		if m := srv.received(); len(m) != 1 || m[0].tls || m[0].authUser != smtpUser {
			t.Errorf("mails %+v", m)
		}
	})
	t.Run("server gone", func(t *testing.T) {
		srv := newSMTPServer(t, true, smtpUser, smtpPass)
		s := emailSender(t, srv, nil, nil)
		_ = srv.ln.Close()
		if _, err := s.Send(ctx, feedbackMail()); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Errorf("err %v, want transient", err)
		}
	})
}

func TestEmailConfigCheck(t *testing.T) {
	good := notify.EmailConfig{Addr: "smtp.example.com:587", User: "u", Password: "p", From: "tocsin@example.com"}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		edit func(*notify.EmailConfig)
		want string
	}{
		"no port":              {func(c *notify.EmailConfig) { c.Addr = "smtp.example.com" }, "TOCSIN_SMTP_ADDR"},
		"bad from":             {func(c *notify.EmailConfig) { c.From = "tocsin" }, "TOCSIN_SMTP_FROM"},
		"user without a pass":  {func(c *notify.EmailConfig) { c.Password = "" }, "TOCSIN_SMTP_PASSWORD"},
		"plain over a network": {func(c *notify.EmailConfig) { c.NoTLS = true }, "TOCSIN_SMTP_STARTTLS=off with TOCSIN_SMTP_USER"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", name, err, tc.want)
		}
	}
	local := good
	local.Addr, local.NoTLS = "127.0.0.1:25", true
	if err := local.Check(); err != nil {
		t.Errorf("a local relay without TLS: %v", err)
	}
}
