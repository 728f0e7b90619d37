package mail

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw  string
		want SMTPConfig
	}{
		{"smtp://smtp.example.com", SMTPConfig{Host: "smtp.example.com", Port: 587, RequireTLS: true, From: DefaultFrom}},
		{"smtp://apikey:s3cr%40t%3A@smtp.example.com:2525?from=Shop%20%3Cshop@example.com%3E",
			SMTPConfig{Host: "smtp.example.com", Port: 2525, Username: "apikey", Password: "s3cr@t:", RequireTLS: true, From: "Shop <shop@example.com>"}},
		{"smtp://me%40example.com:pw@smtp.example.com", SMTPConfig{Host: "smtp.example.com", Port: 587, Username: "me@example.com", Password: "pw", RequireTLS: true, From: DefaultFrom}},
		{"smtps://u:p@mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", ImplicitTLS: true, From: DefaultFrom}},
		{"smtps://mail.example.com:4650", SMTPConfig{Host: "mail.example.com", Port: 4650, ImplicitTLS: true, From: DefaultFrom}},
		// A mail catcher on this machine usually has no TLS.
		{"smtp://localhost:1025", SMTPConfig{Host: "localhost", Port: 1025, From: DefaultFrom}},
		{"smtp://127.0.0.1:1025", SMTPConfig{Host: "127.0.0.1", Port: 1025, From: DefaultFrom}},
		{"smtp://[::1]:1025", SMTPConfig{Host: "::1", Port: 1025, From: DefaultFrom}},
	}
	for _, tc := range cases {
		got, err := ParseURL(tc.raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.raw, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q) =\n %#v, want\n %#v", tc.raw, got, tc.want)
		}
	}
}

func TestParseURLRejectsBadValues(t *testing.T) {
	for raw, want := range map[string]string{
		"http://smtp.example.com":          "scheme",
		"smtp://":                          "no host",
		"smtp://:25":                       "no host",
		"smtp://smtp.example.com:0":        "port",
		"smtp://smtp.example.com:99999":    "port",
		"smtp://h.example.com?from=nope":   "from",
		"smtp://h.example.com?tls=off":     "unknown parameter",
		"smtp://bad host.example.com:25":   "not a URL",
		"mailto:someone@example.com":       "scheme",
		"smtp://h.example.com:25?from=%zz": "query",
	} {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q) error = %v, want one mentioning %q", raw, err, want)
		}
	}
}

func TestSMTPConfigStringHidesThePassword(t *testing.T) {
	cfg, err := ParseURL("smtp://apikey:hunter2@smtp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.String()
	if strings.Contains(s, "hunter2") || s != "apikey@smtp.example.com:587 (STARTTLS)" {
		t.Errorf("String() = %q", s)
	}
}

func TestSMTPSendsThroughALocalServer(t *testing.T) {
	srv := startSMTPServer(t, nil, false)
	cfg, err := ParseURL("smtp://127.0.0.1:" + strconv.Itoa(srv.port()) + "?from=shop@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "user@example.com", Subject: "Password reset",
		Text: "Click this link:\n\nhttp://localhost:3000/reset/abc\n"})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d mails, want 1", len(got))
	}
	m := got[0]
	if m.from != "<shop@example.com>" || strings.Join(m.to, ",") != "<user@example.com>" {
		t.Errorf("envelope from %q to %q", m.from, m.to)
	}
	for _, want := range []string{"Subject: Password reset", "To: <user@example.com>", "From: <shop@example.com>",
		"Content-Type: text/plain", "http://localhost:3000/reset/abc"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("message lacks %q:\n%s", want, m.data)
		}
	}
	if m.tls || m.auth != "" {
		t.Errorf("plain local server: tls=%v auth=%q", m.tls, m.auth)
	}
}

func TestSMTPUsesSTARTTLSAndAuthenticates(t *testing.T) {
	serverTLS, clientTLS := testCertificates(t)
	srv := startSMTPServer(t, serverTLS, true)
	cfg, err := ParseURL("smtp://apikey:s3cr%40t@127.0.0.1:" + strconv.Itoa(srv.port()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RequireTLS = true // as for any server that is not on this machine
	cfg.tlsConfig = clientTLS
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{To: "user@example.com", Subject: "Signup succeeded!", Text: "Welcome"}); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d mails, want 1", len(got))
	}
	if !got[0].tls {
		t.Error("the mail was sent before STARTTLS")
	}
	if got[0].auth != "\x00apikey\x00s3cr@t" {
		t.Errorf("AUTH PLAIN sent %q", got[0].auth)
	}
}

func TestSMTPRefusesAServerWithoutTLSWhenTLSIsRequired(t *testing.T) {
	srv := startSMTPServer(t, nil, true)
	cfg, err := ParseURL("smtp://apikey:secret@127.0.0.1:" + strconv.Itoa(srv.port()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RequireTLS = true
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "user@example.com", Subject: "x", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send error = %v, want a STARTTLS refusal", err)
	}
	if n := len(srv.received()); n != 0 {
		t.Fatalf("server received %d mails", n)
	}
	if srv.sawAuth() {
		t.Fatal("the password was sent over a plain connection")
	}
}

// smtpServer is just enough of an SMTP server for the tests: EHLO, optional STARTTLS and
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type smtpServer struct {
	ln        net.Listener
	tlsConfig *tls.Config // nil: no STARTTLS
	auth      bool        // offer AUTH PLAIN

	mu       sync.Mutex
	mails    []receivedMail
	authSeen bool
	conns    []net.Conn
	wg       sync.WaitGroup
}

type receivedMail struct {
	from string
	to   []string
	data string
	auth string
	tls  bool
}

func startSMTPServer(t *testing.T, tlsConfig *tls.Config, auth bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, tlsConfig: tlsConfig, auth: auth}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		// A client that gives up may leave its connection open: close it rather than wait.
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mails...)
}

func (s *smtpServer) sawAuth() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authSeen
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(lines ...string) { _, _ = conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")) }
	var (
		cur     receivedMail
		secured bool
	)
	reply("220 test.local ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"250-test.local"}
			if s.tlsConfig != nil && !secured {
				ext = append(ext, "250-STARTTLS")
			}
			if s.auth {
				ext = append(ext, "250-AUTH PLAIN")
			}
			reply(append(ext, "250 8BITMIME")...)
		case "STARTTLS":
			if s.tlsConfig == nil || secured {
				reply("502 not offered")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, s.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, secured = tc, bufio.NewReader(tc), true
		case "AUTH":
			s.mu.Lock()
			s.authSeen = true
			s.mu.Unlock()
			parts := strings.Fields(line)
			if len(parts) != 3 || strings.ToUpper(parts[1]) != "PLAIN" {
				reply("504 only PLAIN with an initial response")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(parts[2])
			if err != nil {
				reply("501 bad base64")
				continue
			}
			cur.auth = string(b)
			reply("235 authenticated")
		case "MAIL":
			cur.from = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(line, ":", 2)[1], " "))
			cur.from = strings.Fields(cur.from)[0]
			reply("250 ok")
		case "RCPT":
			cur.to = append(cur.to, strings.Fields(strings.SplitN(line, ":", 2)[1])[0])
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			cur.data, cur.tls = data.String(), secured
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			cur = receivedMail{auth: cur.auth}
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// testCertificates makes a self-signed certificate for 127.0.0.1 and the client configuration
// that trusts it.
func testCertificates(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}
