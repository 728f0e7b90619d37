package sessionstore

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// newMemoryEnv is newTestEnv with the store keeping its documents in the process
// (SESSION_STORE=memory). That nothing reaches the sessions collection is checked over the wire
// in app/lessons_session_test.go, where the app has both.
func newMemoryEnv(t *testing.T, edit ...func(*Config)) *testEnv {
	t.Helper()
	env := newTestEnv(t)
	cfg := testConfig(env.clock)
	for _, e := range edit {
		e(&cfg)
	}
	store, err := NewMemory(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.store = store
	return env
}

// The memory store is the same Store with another place for its documents: same cookie, same
// touch and expiry rules, same documents.
func TestMemoryStoreFollowsTheSameRules(t *testing.T) {
	env := newMemoryEnv(t)
	if !env.store.InMemory() {
		t.Fatal("InMemory() = false for NewMemory")
	}
	user := bson.NewObjectID()
	cookie := env.login(map[string]any{"isLoggedIn": true, "user": map[string]any{"_id": user}})
	id := env.idOf(cookie)

	raw, ok, err := env.store.Document(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Document: found %v, %v", ok, err)
	}
	if got := raw.Lookup("session", "isLoggedIn").Boolean(); !got {
		t.Errorf("stored document %s lacks session.isLoggedIn", raw)
	}
	if _, ok := raw.Lookup("session", "cookie", "expires").DateTimeOK(); !ok {
		t.Errorf("stored document %s lacks session.cookie.expires", raw)
	}

	// An unchanged session is read back and not rewritten; after TouchAfter its expiry moves.
	_, sess := env.visit(cookie, nil)
	if sess.ID() != id || sess.Get("isLoggedIn") != true {
		t.Fatalf("the cookie does not open the session: %q", sess.ID())
	}
	env.clock.Advance(2 * time.Minute)
	refreshed, _ := env.visit(cookie, nil)
	if refreshed == nil {
		t.Fatal("the touched session's cookie was not re-sent")
	}
	raw, _, _ = env.store.Document(context.Background(), id)
	want := env.clock.Now().UTC().Add(2 * time.Hour).Truncate(time.Millisecond)
	for _, path := range [][]string{{"expires"}, {"session", "cookie", "expires"}} {
		if got := raw.Lookup(path...).Time(); !got.Equal(want) {
			t.Errorf("%v = %v after the touch, want %v", path, got, want)
		}
	}

	// Only the changed key is written, so parallel saves of other keys survive here too.
	first, second := env.get(cookie), env.get(cookie)
	first.Set("a", 1)
	second.Set("b", 2)
	second.Delete("isLoggedIn")
	env.save(first)
	env.save(second)
	raw, _, _ = env.store.Document(context.Background(), id)
	if a, _ := raw.Lookup("session", "a").AsInt64OK(); a != 1 {
		t.Errorf("session.a lost: %s", raw)
	}
	if b, _ := raw.Lookup("session", "b").AsInt64OK(); b != 2 {
		t.Errorf("session.b lost: %s", raw)
	}
	if _, err := raw.LookupErr("session", "isLoggedIn"); err == nil {
		t.Errorf("a deleted key is still stored: %s", raw)
	}
	env.visit(cookie, func(s *Session) { s.Set("isLoggedIn", true) })

	// Another session of the same user, then ending the user's other sessions keeps this one.
	other := env.login(map[string]any{"isLoggedIn": true, "user": map[string]any{"_id": user}})
	if n, err := env.store.DeleteUserSessions(context.Background(), user, id); err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
	if _, ok, _ := env.store.Document(context.Background(), env.idOf(other)); ok {
		t.Error("the user's other session survived DeleteUserSessions")
	}

	// Idle expiry: the sweeper removes it, and the cookie opens nothing.
	env.clock.Advance(3 * time.Hour)
	if n, err := env.store.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if sess := env.get(cookie); sess.ID() != "" {
		t.Error("an expired memory session still opens")
	}
	if ttl, err := env.store.EnsureExpiryIndex(context.Background()); ttl || err != nil {
		t.Errorf("EnsureExpiryIndex = %v, %v; want false (the app runs the sweeper)", ttl, err)
	}
}

// Issue 17, point 6: a flood of sessions cannot grow the process without bound. Storing one
// more than the cap evicts the session that would expire first.
func TestMemoryStoreIsCapped(t *testing.T) {
	if _, err := NewMemory(Config{Secrets: []string{"s"}, IdleTimeout: time.Hour, AbsoluteTimeout: time.Hour, MemoryCap: -1}); err == nil {
		t.Error("NewMemory accepted a negative MemoryCap")
	}
	env := newMemoryEnv(t, func(c *Config) { c.MemoryCap = 5 })
	var cookies []*http.Cookie
	for i := range 8 {
		cookies = append(cookies, env.login(map[string]any{"n": i}))
		env.clock.Advance(time.Second) // each one expires a second after the one before
	}
	if n := len(env.store.docs.(*memory).docs); n != 5 {
		t.Fatalf("%d sessions kept, want 5", n)
	}
	for i, c := range cookies {
		sess := env.get(c)
		if evicted := i < 3; evicted != (sess.ID() == "") {
			t.Errorf("session %d: loaded %q, want evicted=%v", i, sess.ID(), evicted)
		} else if !evicted && sess.Get("n") != i {
			t.Errorf("session %d holds n=%v", i, sess.Get("n"))
		}
	}

	// A session kept alive by use outlives newer ones that were left alone.
	env.clock.Advance(time.Hour - 10*time.Second) // within the idle time of the newest five
	env.visit(cookies[3], func(s *Session) { s.Set("used", true) })
	env.login(map[string]any{"n": 8})
	if sess := env.get(cookies[3]); sess.ID() == "" {
		t.Error("the session in use was evicted")
	}
	if sess := env.get(cookies[4]); sess.ID() != "" {
		t.Error("the session that expires first was kept")
	}
}

// Change saves outside any request (the lab's slow store), and never brings back a session that
// ended meanwhile.
func TestChangeSavesOutsideARequestButNeverRevivesASession(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"a": 1})
	id := env.idOf(cookie)

	ok, err := env.store.Change(context.Background(), id, func(s sessions.Session) error {
		s.Set("lesson", map[string]any{"color": "blue"})
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("Change = %v, %v", ok, err)
	}
	if sess := env.get(cookie); sess.Get("a") != 1 || sess.Get("lesson").(map[string]any)["color"] != "blue" {
		t.Fatalf("after Change the session holds a=%v lesson=%v", sess.Get("a"), sess.Get("lesson"))
	}

	if err := env.store.destroy(env.get(cookie)); err != nil {
		t.Fatal(err)
	}
	ok, err = env.store.Change(context.Background(), id, func(s sessions.Session) error {
		s.Set("lesson", "late")
		return nil
	})
	if err != nil || ok {
		t.Fatalf("Change on a destroyed session = %v, %v; want false, nil", ok, err)
	}
	if n := env.count(); n != 0 {
		t.Fatalf("Change stored %d documents for a destroyed session", n)
	}
}

func TestInspectCookieTakesTheCookieApart(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Secrets = []string{"new-secret", "old-secret"} })
	id := newID()
	current := encodeCookieValue(id, "new-secret")
	sig := sign(id, "new-secret")[len(id)+1:]

	for name, tc := range map[string]struct {
		raw  string
		want CookieParts
	}{
		"current secret":  {current, CookieParts{Signed: true, ID: id, Signature: sig, Verified: true}},
		"rotated secret":  {encodeCookieValue(id, "old-secret"), CookieParts{Signed: true, ID: id, Signature: sign(id, "old-secret")[len(id)+1:], Verified: true, OldSecret: true}},
		"unknown secret":  {encodeCookieValue(id, "other"), CookieParts{Signed: true, ID: id, Signature: sign(id, "other")[len(id)+1:]}},
		"edited id":       {"s%3A" + flip(id[0]) + current[5:], CookieParts{Signed: true, ID: flip(id[0]) + id[1:], Signature: sig}},
		"unsigned":        {id, CookieParts{}},
		"not URL-encoded": {"s:" + id + "." + sig, CookieParts{Signed: true, ID: id, Signature: sig, Verified: true}},
	} {
		if got := env.store.InspectCookie(tc.raw); got != tc.want {
			t.Errorf("%s: InspectCookie(%q) = %+v, want %+v", name, tc.raw, got, tc.want)
		}
	}
}
