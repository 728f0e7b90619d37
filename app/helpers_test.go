package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// countCards counts product cards in a page.
func countCards(body string) int { return strings.Count(body, `class="card product-item"`) }

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page does not contain %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
