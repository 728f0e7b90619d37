package sessionstore

import (
	"context"
	"testing"
	"time"
)

func TestEnsureExpiryIndexFallsBackOnFerretDB(t *testing.T) {
	env := newTestEnv(t)
	env.login(map[string]any{"x": 1}) // the collection exists, as it does in the app
	ttl, err := env.store.EnsureExpiryIndex(context.Background())
	if err != nil {
		t.Fatalf("EnsureExpiryIndex: %v", err)
	}
	if ttl {
		t.Fatal("FerretDB v1 has no TTL indexes, yet EnsureExpiryIndex reported one")
	}
	// Calling it again (every start-up does) is just as harmless.
	if ttl, err := env.store.EnsureExpiryIndex(context.Background()); ttl || err != nil {
		t.Fatalf("second call: %v, %v", ttl, err)
	}
}

func TestSweepDeletesOnlyExpiredSessions(t *testing.T) {
	env := newTestEnv(t)
	idle := env.idOf(env.login(map[string]any{"n": 1}))
	env.clock.Advance(90 * time.Minute)
	recent := env.idOf(env.login(map[string]any{"n": 2}))
	env.clock.Advance(31 * time.Minute) // idle: 2h01m old; recent: 31 min old

	n, err := env.store.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if env.doc(idle) != nil {
		t.Error("expired session survived the sweep")
	}
	if env.doc(recent) == nil {
		t.Error("live session was swept")
	}
}

func TestSweepHonoursAShortenedAbsoluteTimeout(t *testing.T) {
	env := newTestEnv(t)
	id := env.idOf(env.login(map[string]any{"n": 1}))
	env.clock.Advance(time.Hour)

	// Restarted with a shorter absolute timeout than the stored expires assumed.
	cfg := env.store.cfg
	cfg.AbsoluteTimeout = 30 * time.Minute
	shorter, err := New(env.coll, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := shorter.Sweep(context.Background()); err != nil || n != 1 || env.doc(id) != nil {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
}
