package apptest

import (
	"os"
	"strings"
	"testing"
	"time"
)

// EventuallyLimit bounds Eventually: a bound for a loaded machine (both cores busy, -race), not a
// promise the shop makes. A condition that holds costs only the time it takes to hold.
const EventuallyLimit = 30 * time.Second

// Eventually checks cond every 50 ms until it is true, and fails the test (naming what it waited
// for) if it is still false after EventuallyLimit. Tests wait for conditions this way, never
// with a sleep followed by an assertion. cond runs on the test's goroutine, so it may call
// t.Fatal itself.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, EventuallyLimit, what, cond)
}

// EventuallyWithin is Eventually with its own limit, for a condition whose wait grows with the
// machine's load by design (the catalog is read again after 30 × its last read time).
func EventuallyWithin(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// InCI follows the CI variable that CI services (and .ci/run) set: with it, a test that lacks
// something it needs (Chromium, node, the npm fixtures) fails instead of being skipped.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}
