// Package mail sends the shop's mail: the signup welcome and the password-reset link. With
// SMTP_URL set it goes through that server; without it (development) it goes to the outbox, a
// collection the developer reads at /dev/mailbox. The course's counterpart is
//
//	const transporter = nodemailer.createTransport(sendgridTransport({auth: {api_key: ...}}));
//	transporter.sendMail({to, from, subject, html});
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ginshop/ginshop/models"
)

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends a message.
type Mailer interface {
	Send(ctx context.Context, msg Message) error
}

// New returns the shop's mailer: SMTP in the background when smtpURL is set, else the outbox.
func New(smtpURL string, mails *models.MailModel, logger *slog.Logger) (Mailer, error) {
	if smtpURL == "" {
		return &Outbox{Mails: mails}, nil
	}
	cfg, err := ParseURL(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return InBackground(s, logger), nil
}

// Outbox is the development mailer: every message is stored in the mails collection.
type Outbox struct {
	Mails *models.MailModel
}

// Send stores msg in the outbox.
func (o *Outbox) Send(ctx context.Context, msg Message) error {
	return o.Mails.Add(ctx, models.Mail{To: msg.To, Subject: msg.Subject, Text: msg.Text, CreatedAt: time.Now()})
}

// backgroundTimeout bounds one background send, connection included.
const backgroundTimeout = 30 * time.Second

// Background sends through another mailer without making the request wait: a slow mail server
// does not slow the page, and "reset link sent" takes as long whether or not the account exists
// (nodemailer's sendMail is not awaited in the course either). Failures are logged.
type Background struct {
	next    Mailer
	logger  *slog.Logger
	timeout time.Duration
	wg      sync.WaitGroup
}

// InBackground wraps next.
func InBackground(next Mailer, logger *slog.Logger) *Background {
	return &Background{next: next, logger: logger, timeout: backgroundTimeout}
}

// Send starts sending msg and returns at once. The request's cancellation does not stop it.
func (b *Background) Send(ctx context.Context, msg Message) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	b.wg.Go(func() {
		defer cancel()
		if err := b.next.Send(ctx, msg); err != nil {
			b.logger.Error("send mail", "subject", msg.Subject, "err", err)
		}
	})
	return nil
}

// Close waits for the mail still being sent; the app calls it on shutdown.
func (b *Background) Close() {
	b.wg.Wait()
}
