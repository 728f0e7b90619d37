package database

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database/embedded"
)

// TestOpenWithoutAStarterNeedsMongoDBURI: a program that cannot start the embedded database (no
// EmbeddedServer, as in a -tags noembedded build) refuses an empty MONGODB_URI in one line, and
// leaves DATA_DIR untouched.
func TestOpenWithoutAStarterNeedsMongoDBURI(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	_, err = Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, embedded.ErrNotBuiltIn) {
		t.Fatalf("Open = %v, want embedded.ErrNotBuiltIn", err)
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DATA_DIR was created (%v)", err)
	}
}
