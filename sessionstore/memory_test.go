package sessionstore

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/tester"
	gsessions "github.com/gorilla/sessions"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// newMemoryEnv is newTestEnv with the store keeping its documents in the process
// (SESSION_STORE=memory). That nothing reaches the sessions collection is checked over the wire
// in app/lessons_session_test.go, where the app has both.
func newMemoryEnv(t *testing.T) *testEnv {
	t.Helper()
	env := newTestEnv(t)
	store, err := NewMemory(testConfig(env.clock))
	if err != nil {
		t.Fatal(err)
	}
	env.store = store
	return env
}

func newMemoryTesterStore(t *testing.T) sessions.Store { return newMemoryEnv(t).store }

func TestGinContribSuiteOnMemoryStoreGetSet(t *testing.T) {
	tester.GetSet(t, newMemoryTesterStore)
}
func TestGinContribSuiteOnMemoryStoreFlashes(t *testing.T) {
	tester.Flashes(t, newMemoryTesterStore)
}
func TestGinContribSuiteOnMemoryStoreClear(t *testing.T) {
	tester.Clear(t, newMemoryTesterStore)
}
func TestGinContribSuiteOnMemoryStoreMany(t *testing.T) {
	tester.Many(t, newMemoryTesterStore)
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
	if sess.IsNew || sess.Values["isLoggedIn"] != true {
		t.Fatalf("the cookie does not open the session: %v", sess.Values)
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
	if _, sess := env.get(cookie); !sess.IsNew {
		t.Error("an expired memory session still opens")
	}
	if ttl, err := env.store.EnsureExpiryIndex(context.Background()); ttl || err != nil {
		t.Errorf("EnsureExpiryIndex = %v, %v; want false (the app runs the sweeper)", ttl, err)
	}
}

// Renew is the login step: the old document goes, the new session holds only the given values
// and is stored, with its cookie, before the handler redirects.
func TestRenewRegeneratesSetsAndSaves(t *testing.T) {
	for name, newEnv := range map[string]func(*testing.T) *testEnv{
		"mongodb": func(t *testing.T) *testEnv { return newTestEnv(t) },
		"memory":  newMemoryEnv,
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			old := env.login(map[string]any{"csrfSecret": "pre-login"})
			oldID := env.idOf(old)

			r := request(old)
			rec := httptest.NewRecorder()
			if err := env.store.Renew(rec, r, cookieName, map[string]any{"isLoggedIn": true}); err != nil {
				t.Fatal(err)
			}
			fresh := responseCookie(rec)
			if fresh == nil {
				t.Fatal("Renew set no cookie")
			}
			newID := env.idOf(fresh)
			if newID == oldID {
				t.Fatal("Renew kept the old id")
			}
			if _, ok, _ := env.store.Document(context.Background(), oldID); ok {
				t.Error("the pre-login document is still stored")
			}
			// The request's session (what sessions.Default(c) wraps) is the renewed one.
			sess, err := env.store.Get(r, cookieName)
			if err != nil || sess.ID != newID || sess.Values["csrfSecret"] != nil || sess.Values["isLoggedIn"] != true {
				t.Errorf("the request's session after Renew: id %q, values %v, err %v", sess.ID, sess.Values, err)
			}
			if _, sess := env.get(fresh); sess.Values["isLoggedIn"] != true {
				t.Errorf("the new cookie opens %v", sess.Values)
			}
		})
	}
}

// Change saves outside any request (the lab's slow store), and never brings back a session that
// ended meanwhile.
func TestChangeSavesOutsideARequestButNeverRevivesASession(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"a": 1})
	id := env.idOf(cookie)

	ok, err := env.store.Change(context.Background(), id, func(v map[any]any) error {
		v["lesson"] = map[string]any{"color": "blue"}
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("Change = %v, %v", ok, err)
	}
	if _, sess := env.get(cookie); sess.Values["a"] != 1 || sess.Values["lesson"].(map[string]any)["color"] != "blue" {
		t.Fatalf("after Change the session holds %v", sess.Values)
	}

	env.visit(cookie, func(s *gsessions.Session) { s.Options.MaxAge = -1 }) // destroyed
	ok, err = env.store.Change(context.Background(), id, func(v map[any]any) error {
		v["lesson"] = "late"
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
		"edited id":       {"s%3AX" + current[5:], CookieParts{Signed: true, ID: "X" + id[1:], Signature: sig}},
		"unsigned":        {id, CookieParts{}},
		"not URL-encoded": {"s:" + id + "." + sig, CookieParts{Signed: true, ID: id, Signature: sig, Verified: true}},
	} {
		if got := env.store.InspectCookie(tc.raw); got != tc.want {
			t.Errorf("%s: InspectCookie(%q) = %+v, want %+v", name, tc.raw, got, tc.want)
		}
	}
}
