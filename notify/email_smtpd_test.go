package notify_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is an SMTP server for tests: enough of RFC 5321 for net/smtp
// (EHLO, STARTTLS with a test certificate, AUTH PLAIN, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT), recording every command and every message accepted.
type smtpServer struct {
	ln       net.Listener
	addr     string
	tls      *tls.Config // the server's certificate
	roots    *x509.CertPool
	offerTLS bool   // announce STARTTLS
	user     string // AUTH PLAIN credentials; "" offers no AUTH
	pass     string

	mu        sync.Mutex
	rcptReply string // answer to RCPT instead of 250
	dataReply string // answer to the end of DATA instead of 250
	commands  []string
	mails     []smtpMail
	wg        sync.WaitGroup
}

// smtpMail is one message the server accepted.
type smtpMail struct {
	from     string
	to       []string
	data     []byte
	tls      bool   // the session was encrypted when the message came
	authUser string // who authenticated, "" for nobody
}

func newSMTPServer(t *testing.T, offerTLS bool, user, pass string) *smtpServer {
	t.Helper()
	cert, roots := testCertificate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, addr: ln.Addr().String(), tls: &tls.Config{Certificates: []tls.Certificate{cert}},
		roots: roots, offerTLS: offerTLS, user: user, pass: pass}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
		}()
	}
}

// set changes a scripted answer.
func (s *smtpServer) set(rcpt, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptReply, s.dataReply = rcpt, data
}

func (s *smtpServer) log(cmd string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = append(s.commands, cmd)
}

func (s *smtpServer) received() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

func (s *smtpServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(lines ...string) {
		for _, l := range lines {
			_, _ = w.WriteString(l + "\r\n")
		}
		_ = w.Flush()
	}
	say("220 smtp.test ESMTP ready")
	var (
		encrypted bool
		authUser  string
		cur       *smtpMail
	)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		if verb == "AUTH" {
			s.log("AUTH " + strings.SplitN(line+" ", " ", 3)[1]) // never the credentials
		} else {
			s.log(line)
		}
		switch verb {
		case "EHLO", "HELO":
			lines := []string{"250-smtp.test"}
			if s.offerTLS && !encrypted {
				lines = append(lines, "250-STARTTLS")
			}
			if s.user != "" {
				lines = append(lines, "250-AUTH PLAIN")
			}
			say(append(lines, "250 8BITMIME")...)
		case "STARTTLS":
			if !s.offerTLS || encrypted {
				say("502 5.5.1 not now")
				continue
			}
			say("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, encrypted = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
		case "AUTH":
			f := strings.Fields(line)
			if len(f) != 3 || strings.ToUpper(f[1]) != "PLAIN" {
				say("504 5.5.4 only PLAIN with an initial response")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(f[2])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				say("535 5.7.8 authentication credentials invalid")
				continue
			}
			authUser = parts[1]
			say("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && authUser == "" {
				say("530 5.7.0 authentication required")
				continue
			}
			cur = &smtpMail{from: addrOf(line), tls: encrypted, authUser: authUser}
			say("250 2.1.0 ok")
		case "RCPT":
			s.mu.Lock()
			reply := s.rcptReply
			s.mu.Unlock()
			if cur == nil {
				say("503 5.5.1 MAIL first")
				continue
			}
			if reply != "" {
				say(reply)
				continue
			}
			cur.to = append(cur.to, addrOf(line))
			say("250 2.1.5 ok")
		case "DATA":
			if cur == nil || len(cur.to) == 0 {
				say("503 5.5.1 RCPT first")
				continue
			}
			say("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			cur.data = data.Bytes()
			s.mu.Lock()
			reply := s.dataReply
			if reply == "" {
				s.mails = append(s.mails, *cur)
			}
			s.mu.Unlock()
			cur = nil
			if reply != "" {
				say(reply)
				continue
			}
			say("250 2.0.0 queued")
		case "RSET":
			cur = nil
			say("250 2.0.0 ok")
		case "NOOP":
			say("250 2.0.0 ok")
		case "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 command not recognized")
		}
	}
}

// addrOf is the address in "MAIL FROM:<a@b>" or "RCPT TO:<a@b>".
func addrOf(line string) string {
	i, j := strings.Index(line, "<"), strings.LastIndex(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// testCertificate is a self-signed certificate for 127.0.0.1 and the pool
// that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtp.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
