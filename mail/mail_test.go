package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest/testserver"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

var embedded *testserver.Server

// TestMain starts one embedded FerretDB for the outbox tests (the apptest package cannot be
// used here: it imports the app, which imports this package; testserver can).
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	embedded, err = testserver.StartTemp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start embedded FerretDB:", err)
		return 1
	}
	defer embedded.Stop()
	return m.Run()
}

var dbSeq atomic.Int64

func openMails(t *testing.T) *models.MailModel {
	t.Helper()
	ctx := context.Background()
	db, err := database.OpenEmbedded(ctx, embedded.Server, fmt.Sprintf("mailtest%d", dbSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Database.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	return models.New(db.Database, db.Reads, db.AtomicUpdatesAcrossConnections()).Mails
}

func TestNewWithoutSMTPURLUsesTheOutbox(t *testing.T) {
	mails := openMails(t)
	m, err := New("", mails, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*Outbox); !ok {
		t.Fatalf("New(\"\") = %T, want *Outbox", m)
	}
	ctx := context.Background()
	for _, subject := range []string{"first", "second"} {
		if err := m.Send(ctx, Message{To: "a@example.com", Subject: subject, Text: "Hello\nhttp://localhost/x\n"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := mails.Recent(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Subject != "second" || got[1].Subject != "first" {
		t.Fatalf("outbox = %+v, want the two mails newest first", got)
	}
	if got[0].To != "a@example.com" || got[0].Text != "Hello\nhttp://localhost/x\n" || time.Since(got[0].CreatedAt) > time.Minute {
		t.Errorf("stored mail = %+v", got[0])
	}
	if one, _ := mails.Recent(ctx, 1); len(one) != 1 || one[0].Subject != "second" {
		t.Errorf("Recent(1) = %+v", one)
	}
}

func TestNewWithSMTPURLSendsInTheBackground(t *testing.T) {
	m, err := New("smtps://user:secret@smtp.example.com", nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := m.(*Background)
	if !ok {
		t.Fatalf("New(smtps://...) = %T, want *Background", m)
	}
	if s, ok := b.next.(*SMTP); !ok || s.cfg.Host != "smtp.example.com" || s.cfg.Port != 465 || !s.cfg.ImplicitTLS {
		t.Fatalf("background mailer wraps %#v", b.next)
	}
	if _, err := New("smtp://", nil, slog.Default()); err == nil || !strings.Contains(err.Error(), "SMTP_URL") {
		t.Errorf("bad SMTP_URL: err = %v, want one naming SMTP_URL", err)
	}
}

// fakeMailer records messages; it blocks until release is closed, and fails if fail is set.
type fakeMailer struct {
	release chan struct{}
	fail    error
	sent    atomic.Int32
	ctxErr  atomic.Value
}

func (f *fakeMailer) Send(ctx context.Context, msg Message) error {
	<-f.release
	f.ctxErr.Store(fmt.Sprint(ctx.Err()))
	f.sent.Add(1)
	return f.fail
}

func TestBackgroundReturnsAtOnceAndCloseWaits(t *testing.T) {
	var logs bytes.Buffer
	fake := &fakeMailer{release: make(chan struct{}), fail: errors.New("server said no")}
	b := InBackground(fake, slog.New(slog.NewTextHandler(&logs, nil)))

	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Send(ctx, Message{To: "a@example.com", Subject: "Password reset"}); err != nil {
		t.Fatal(err)
	}
	cancel() // the request ends before the mail is sent
	if n := fake.sent.Load(); n != 0 {
		t.Fatalf("Send waited for the mailer (%d sent)", n)
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a mail was still being sent")
	case <-time.After(50 * time.Millisecond):
	}
	close(fake.release)
	<-closed
	if n := fake.sent.Load(); n != 1 {
		t.Fatalf("sent %d mails, want 1", n)
	}
	if e := fake.ctxErr.Load(); e != "<nil>" {
		t.Errorf("the mailer's context was %v: the request's cancellation must not stop the mail", e)
	}
	if !strings.Contains(logs.String(), "server said no") || !strings.Contains(logs.String(), "Password reset") {
		t.Errorf("failure not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), "a@example.com") {
		t.Errorf("log names the recipient: %q", logs.String())
	}
}
