package app_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"log/slog"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDemoPasswordIsNotLogged: seeding the demo account on a first start logs that it happened
// and the email, at every level, but never the password (the README publishes it; logs are
// collected and kept where the README is not).
func TestDemoPasswordIsNotLogged(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.MongoDB = apptest.DatabaseName(t)
	db, err := database.OpenEmbedded(context.Background(), apptest.Embedded(), cfg.MongoDB)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	shop, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shop.DB.Database.Drop(context.Background())
		_ = shop.Close(context.Background())
	})
	out := logs.String()
	if !strings.Contains(out, "demo data stored") || !strings.Contains(out, models.DemoEmail) {
		t.Fatalf("no seeding line in the log:\n%s", out)
	}
	if strings.Contains(out, models.DemoPassword) {
		t.Errorf("the demo password is in the log:\n%s", out)
	}
}
