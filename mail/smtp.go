package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultFrom is the sender when SMTP_URL names none (?from=...).
const DefaultFrom = "Gin Shop <shop@localhost>"

// smtpTimeout bounds connecting and each command.
const smtpTimeout = 15 * time.Second

// SMTPConfig is what SMTP_URL says.
type SMTPConfig struct {
	Host        string
	Port        int
	Username    string
	Password    string
	ImplicitTLS bool // smtps://: TLS from the first byte
	// RequireTLS refuses a smtp:// server that does not offer STARTTLS, so a password never
	// crosses the network in clear. Off only for a mail catcher on this machine.
	RequireTLS bool
	From       string

	tlsConfig *tls.Config // tests trust their own certificate through it
}

// ParseURL reads an SMTP_URL:
//
//	smtp://user:password@smtp.example.com:587   STARTTLS (required), default port 587
//	smtps://user:password@smtp.example.com      TLS from the start, default port 465
//	smtp://localhost:1025                       a local mail catcher: STARTTLS only if offered
//	...?from=Shop%20%3Cshop@example.com%3E      the sender (default DefaultFrom)
//
// User and password are percent-decoded (write @ as %40).
func ParseURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, errors.New("not a URL")
	}
	cfg := SMTPConfig{Host: u.Hostname(), From: DefaultFrom}
	switch u.Scheme {
	case "smtp":
		cfg.Port = 587
		cfg.RequireTLS = !isLoopback(cfg.Host)
	case "smtps":
		cfg.Port = 465
		cfg.ImplicitTLS = true
	default:
		return SMTPConfig{}, fmt.Errorf("scheme %q is not smtp or smtps", u.Scheme)
	}
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("port %q is not a port number", p)
		}
		cfg.Port = n
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, errors.New("bad query string")
	}
	if from := q.Get("from"); from != "" {
		if _, err := mail.ParseAddress(from); err != nil {
			return SMTPConfig{}, fmt.Errorf("from %q is not a mail address", from)
		}
		cfg.From = from
	}
	for k := range q {
		if k != "from" {
			return SMTPConfig{}, fmt.Errorf("unknown parameter %q (only from=)", k)
		}
	}
	return cfg, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMTP sends mail through an SMTP server, one connection per message (go-mail's client is safe
// for concurrent use that way).
type SMTP struct {
	cfg    SMTPConfig
	client *gomail.Client
}

// NewSMTP prepares the client; it connects only when a message is sent.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	tlsConfig := cfg.tlsConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(smtpTimeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch {
	case cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.RequireTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	return &SMTP{cfg: cfg, client: client}, nil
}

// Send delivers msg, waiting for the server to accept it.
func (s *SMTP) Send(ctx context.Context, msg Message) error {
	m := gomail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := m.To(msg.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	m.Subject(msg.Subject)
	m.SetDate()
	m.SetMessageID()
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	return s.client.DialAndSendWithContext(ctx, m)
}

// String describes the server without the password, for the start-up log.
func (c SMTPConfig) String() string {
	mode := "STARTTLS"
	switch {
	case c.ImplicitTLS:
		mode = "TLS"
	case !c.RequireTLS:
		mode = "STARTTLS if offered"
	}
	user := ""
	if c.Username != "" {
		user = c.Username + "@"
	}
	return fmt.Sprintf("%s%s (%s)", user, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), mode)
}
