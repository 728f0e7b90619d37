package sessionstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestNewRejectsBadConfig(t *testing.T) {
	env := newTestEnv(t)
	good := testConfig(env.clock)
	cases := map[string]func(*Config){
		"no secret":                  func(c *Config) { c.Secrets = nil },
		"empty secret":               func(c *Config) { c.Secrets = []string{"a", ""} },
		"no idle timeout":            func(c *Config) { c.IdleTimeout = 0 },
		"idle timeout under 1s":      func(c *Config) { c.IdleTimeout = 999 * time.Millisecond },
		"no absolute timeout":        func(c *Config) { c.AbsoluteTimeout = 0 },
		"touch after not below idle": func(c *Config) { c.TouchAfter = c.IdleTimeout },
		"negative touch after":       func(c *Config) { c.TouchAfter = -time.Second },
		"negative operation timeout": func(c *Config) { c.OpTimeout = -time.Second },
	}
	for name, edit := range cases {
		cfg := good
		edit(&cfg)
		if _, err := New(env.coll, cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(nil, good); err == nil {
		t.Error("New accepted a nil collection")
	}
	s, err := New(env.coll, Config{Secrets: []string{"s"}, IdleTimeout: time.Hour, AbsoluteTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.TouchAfter != time.Minute || s.cfg.OpTimeout != 2*time.Second || s.cfg.Now == nil || s.Name() != "connect.sid" {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
}

// Issue 17, point 1: SESSION_IDLE_TIMEOUT=1m is documented as the minimum, so it must start,
// with a touch interval short enough to leave the idle timeout meaningful.
func TestIdleTimeoutOfOneMinuteStarts(t *testing.T) {
	env := newTestEnv(t)
	for _, idle := range []time.Duration{time.Minute, time.Second} {
		s, err := New(env.coll, Config{Secrets: []string{"s"}, IdleTimeout: idle, AbsoluteTimeout: time.Hour})
		if err != nil {
			t.Fatalf("IdleTimeout=%v: %v", idle, err)
		}
		if s.cfg.TouchAfter <= 0 || s.cfg.TouchAfter > idle/10 {
			t.Errorf("IdleTimeout=%v: TouchAfter = %v, want positive and at most a tenth", idle, s.cfg.TouchAfter)
		}
	}

	// And a session of such a store lives a minute unused, no more.
	env = newTestEnv(t, func(c *Config) { c.IdleTimeout, c.TouchAfter = time.Minute, 0 })
	cookie := env.login(map[string]any{"isLoggedIn": true})
	if c := cookie; c.MaxAge != 60 {
		t.Errorf("cookie Max-Age = %d, want 60", c.MaxAge)
	}
	env.clock.Advance(59 * time.Second)
	if sess := env.get(cookie); sess.Get("isLoggedIn") != true {
		t.Fatal("the session ended before its minute")
	}
	env.clock.Advance(time.Minute)
	if sess := env.get(cookie); sess.ID() != "" {
		t.Fatal("the session outlived a minute unused")
	}
}

func TestCookieIsSignedLikeExpressSession(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Secure = secure })
			sess := env.get(nil)
			sess.Set("isLoggedIn", true)
			rec := httptest.NewRecorder()
			sess.w = rec
			if err := sess.Save(); err != nil {
				t.Fatal(err)
			}
			lines := rec.Header().Values("Set-Cookie")
			if len(lines) != 1 {
				t.Fatalf("Set-Cookie lines: %q", lines)
			}
			line := lines[0]
			if !strings.HasPrefix(line, cookieName+"=s%3A") {
				t.Errorf("cookie value is not express-session's s%%3A<id>.<sig>: %s", line)
			}
			for _, attr := range []string{"Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=7200",
				"Expires=" + env.clock.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat)} {
				if !strings.Contains(line, "; "+attr) {
					t.Errorf("cookie lacks %q: %s", attr, line)
				}
			}
			if strings.Contains(line, "; Secure") != secure {
				t.Errorf("Secure=%v, cookie: %s", secure, line)
			}
			c := responseCookie(rec)
			if id := env.idOf(c); id != sess.ID() || len(id) < 22 {
				t.Errorf("cookie names id %q, session has %q", id, sess.ID())
			}
		})
	}
}

func TestDocumentLooksLikeConnectMongodbSession(t *testing.T) {
	env := newTestEnv(t)
	userID := bson.NewObjectID()
	cookie := env.login(map[string]any{
		"isLoggedIn": true,
		"user":       map[string]any{"_id": userID, "email": "test@test.com"},
	})
	now := env.clock.Now()
	doc := env.doc(env.idOf(cookie))

	expires := now.Add(2 * time.Hour)
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"_id"}, env.idOf(cookie)},
		{[]string{"expires"}, expires},
		{[]string{"createdAt"}, now},
		{[]string{"session", "cookie", "originalMaxAge"}, int64(7200000)},
		{[]string{"session", "cookie", "expires"}, expires},
		{[]string{"session", "cookie", "httpOnly"}, true},
		{[]string{"session", "cookie", "path"}, "/"},
		{[]string{"session", "cookie", "sameSite"}, "lax"},
		{[]string{"session", "cookie", "secure"}, false},
		{[]string{"session", "isLoggedIn"}, true},
		{[]string{"session", "user", "_id"}, userID},
		{[]string{"session", "user", "email"}, "test@test.com"},
	}
	for _, c := range checks {
		rv, err := doc.LookupErr(c.path...)
		if err != nil {
			t.Errorf("%s missing in %s", strings.Join(c.path, "."), doc)
			continue
		}
		var got any
		switch c.want.(type) {
		case time.Time:
			got = rv.Time().UTC()
		case int64:
			got, _ = rv.Int64OK()
		case bson.ObjectID:
			got = rv.ObjectID()
		case bool:
			got = rv.Boolean()
		default:
			got = rv.StringValue()
		}
		if got != c.want {
			t.Errorf("%s = %v (%s), want %v", strings.Join(c.path, "."), got, rv.Type, c.want)
		}
	}
}

func TestNewSessionIsNotStoredUntilUsed(t *testing.T) {
	env := newTestEnv(t)
	if c, sess := env.visit(nil, nil); c != nil || sess.ID() != "" {
		t.Fatal("an unused session set a cookie")
	}

	// Through the Middleware: every page of the shop reads the flashes and saves
	// (connect-flash's req.flash('error')), which must store nothing for a visitor without any.
	rec := env.serve(http.MethodGet, nil, func(c *gin.Context) {
		s := sessions.Default(c)
		_ = s.Flashes("error")
		if err := s.Save(); err != nil {
			t.Error(err)
		}
	})
	if rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("anonymous page set a cookie: %s", rec.Header().Get("Set-Cookie"))
	}

	// A flash added and read in the same request leaves only an empty flash: {}: still nothing.
	if c, _ := env.visit(nil, func(s *Session) {
		s.AddFlash("gone at once")
		_ = s.Flashes()
	}); c != nil {
		t.Error("a session holding only an emptied flash set a cookie")
	}
	if n := env.count(); n != 0 {
		t.Fatalf("%d sessions stored for anonymous browsing", n)
	}
}

func TestFlashesAreStoredAsFlashAndConsumedOnce(t *testing.T) {
	env := newTestEnv(t)
	cookie, sess := env.visit(nil, func(s *Session) { s.AddFlash("Invalid email or password.") })
	doc := env.doc(sess.ID())
	// connect-flash's shape, req.session.flash = {info: [...]}, so the Node app reads it too.
	if got, _ := doc.Lookup("session", "flash", "info", "0").StringValueOK(); got != "Invalid email or password." {
		t.Fatalf("session.flash.info[0] = %q in %s", got, doc)
	}

	_, sess = env.visit(cookie, func(s *Session) {
		if f := s.Flashes(); len(f) != 1 || f[0] != "Invalid email or password." {
			t.Errorf("first read: flashes = %v", f)
		}
	})
	// Like connect-flash after req.flash('info'): an empty flash: {} stays behind.
	if flash, err := env.doc(sess.ID()).LookupErr("session", "flash"); err != nil || flash.Type != bson.TypeEmbeddedDocument || len(flash.Document()) != 5 {
		t.Fatalf("consumed flash: session.flash = %v (%v), want {}", flash, err)
	}
	env.visit(cookie, func(s *Session) {
		if f := s.Flashes(); len(f) != 0 {
			t.Errorf("second read: flashes = %v", f)
		}
	})
}

func TestUnchangedSessionIsNotRewritten(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)

	// Two requests load the session before someone else changes the document.
	unchanged := env.get(cookie)
	changed := env.get(cookie)
	setBehindTheStoresBack(t, env, id, "session.marker", "written elsewhere")

	// Reading no flashes and setting a value to what it already is change nothing.
	_ = unchanged.Flashes()
	unchanged.Set("isLoggedIn", true)
	env.cmds.Reset()
	if c := env.save(unchanged); c != nil {
		t.Error("unchanged session re-sent its cookie")
	}
	if w := env.cmds.Writes(); w != 0 {
		t.Fatalf("unchanged session caused %d writes", w)
	}

	// The check is not vacuous: a changed session is written, but only its changed key, so
	// what the other writer added stays.
	changed.Set("isLoggedIn", false)
	if c := env.save(changed); c == nil {
		t.Error("changed session set no cookie")
	}
	doc := env.doc(id)
	if doc.Lookup("session", "isLoggedIn").Boolean() {
		t.Fatalf("changed session was not written: %s", doc)
	}
	if got, _ := doc.Lookup("session", "marker").StringValueOK(); got != "written elsewhere" {
		t.Fatalf("saving one key lost a key written meanwhile: %s", doc)
	}
}

func TestSessionIsLoadedOncePerRequestWithOneRead(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	env.clock.Advance(10 * time.Second)

	env.cmds.Reset()
	rec := env.serve(http.MethodGet, cookie, func(c *gin.Context) {
		first, second := sessions.Default(c), sessions.Default(c)
		if first != second || first.Get("isLoggedIn") != true {
			t.Errorf("sessions.Default twice: %p, %p", first, second)
		}
		if err := first.Save(); err != nil {
			t.Error(err)
		}
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if f, w := env.cmds.Count("find"), env.cmds.Writes(); f != 1 || w != 0 {
		t.Fatalf("an unchanged request cost %d reads and %d writes, want 1 and 0", f, w)
	}
}

func TestTouchExtendsExpiryAtMostOncePerTouchAfter(t *testing.T) {
	env := newTestEnv(t)
	start := env.clock.Now()
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)
	saveUnchanged := func(c *gin.Context) {
		if err := sessions.Default(c).Save(); err != nil {
			t.Error(err)
		}
	}

	// 30 s later: too soon to extend. One read, no write, no cookie.
	env.clock.Advance(30 * time.Second)
	env.cmds.Reset()
	rec := env.serve(http.MethodGet, cookie, saveUnchanged)
	if w := env.cmds.Writes(); w != 0 {
		t.Fatalf("touched after 30s (%d writes)", w)
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Fatal("a cookie was sent without a touch")
	}
	if got := env.doc(id).Lookup("expires").Time(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Fatalf("expires moved to %v", got)
	}

	// 61 s after the last extension: one small $set of the two expiry fields, and the cookie
	// re-sent once, even though the handler saves (unchanged) after the Middleware sent it.
	env.clock.Advance(31 * time.Second)
	env.cmds.Reset()
	rec = env.serve(http.MethodGet, cookie, saveUnchanged)
	if u, w := env.cmds.Count("update"), env.cmds.Writes(); u != 1 || w != 1 {
		t.Fatalf("touch: %d updates, %d writes; want 1, 1", u, w)
	}
	upd := env.cmds.Last("update").Lookup("updates", "0", "u")
	set, err := upd.Document().LookupErr("$set")
	if err != nil {
		t.Fatalf("touch was not a $set: %s", upd)
	}
	if elems, _ := set.Document().Elements(); len(elems) != 2 {
		t.Fatalf("touch set more than the expiry: %s", set)
	}
	want := env.clock.Now().Add(2 * time.Hour)
	doc := env.doc(id)
	if !doc.Lookup("expires").Time().Equal(want) || !doc.Lookup("session", "cookie", "expires").Time().Equal(want) {
		t.Fatalf("after touch: %s, want expires %v", doc, want)
	}
	if n := len(rec.Header().Values("Set-Cookie")); n != 1 {
		t.Fatalf("%d Set-Cookie lines after a touch, want 1", n)
	}
	c := responseCookie(rec)
	if c == nil || c.MaxAge != 7200 || !c.Expires.Equal(want.Truncate(time.Second)) || env.idOf(c) != id {
		t.Fatalf("refreshed cookie = %+v", c)
	}

	// 30 s after that touch: nothing again.
	env.clock.Advance(30 * time.Second)
	env.cmds.Reset()
	rec = env.serve(http.MethodGet, cookie, saveUnchanged)
	if env.cmds.Writes() != 0 || rec.Header().Get("Set-Cookie") != "" {
		t.Fatal("touched twice within TouchAfter")
	}

	// A touch and a change in the same response send one Set-Cookie, not two.
	env.clock.Advance(2 * time.Minute)
	rec = env.serve(http.MethodGet, cookie, func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("visits", 1)
		if err := s.Save(); err != nil {
			t.Error(err)
		}
	})
	if n := len(rec.Header().Values("Set-Cookie")); n != 1 {
		t.Fatalf("%d Set-Cookie lines for one session", n)
	}
}

func TestIdleSessionExpires(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)

	// Activity within the idle timeout keeps the session alive...
	env.clock.Advance(2*time.Hour - time.Second)
	if sess := env.get(cookie); sess.ID() != id {
		t.Fatal("session ended before its idle timeout")
	}
	// ...and two idle hours after the last request it is gone.
	env.clock.Advance(2 * time.Hour)
	sess := env.get(cookie)
	if sess.ID() != "" || sess.Get("isLoggedIn") != nil {
		t.Fatal("idle session still loads")
	}
	if env.doc(id) != nil {
		t.Fatal("expired document was not deleted")
	}
}

func TestAbsoluteTimeoutEndsActiveSession(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)
	created := env.clock.Now()

	for range 23 { // a request every hour: never idle
		env.clock.Advance(time.Hour)
		if sess := env.get(cookie); sess.ID() != id {
			t.Fatalf("session ended after %v", env.clock.Now().Sub(created))
		}
	}
	// At 23 h the touch is capped at the absolute deadline, and so is the cookie.
	doc := env.doc(id)
	if got := doc.Lookup("expires").Time(); !got.Equal(created.Add(24 * time.Hour)) {
		t.Fatalf("expires = %v, want the absolute deadline", got)
	}
	env.clock.Advance(30 * time.Minute)
	if c, _ := env.visit(cookie, func(s *Session) { s.Set("cart", "changed") }); c == nil || c.MaxAge != 1800 {
		t.Fatalf("cookie near the absolute deadline: %+v", c)
	}

	env.clock.Advance(30 * time.Minute)
	if sess := env.get(cookie); sess.ID() != "" {
		t.Fatal("session outlived its absolute timeout")
	}
	if env.doc(id) != nil {
		t.Fatal("expired document was not deleted")
	}
}

func TestRegenerateGivesNewIDAndOldCookieIsWorthless(t *testing.T) {
	env := newTestEnv(t)
	old := env.login(map[string]any{"cartHint": "anonymous"})
	oldID := env.idOf(old)

	// POST /login: req.session.regenerate(), then set the user and save.
	sess := env.get(old)
	if err := env.store.regenerate(sess); err != nil {
		t.Fatal(err)
	}
	if sess.ID() != "" || sess.Get("cartHint") != nil {
		t.Fatalf("after regenerate: ID=%q cartHint=%v", sess.ID(), sess.Get("cartHint"))
	}
	if env.doc(oldID) != nil {
		t.Fatal("old document still there")
	}
	sess.Set("isLoggedIn", true)
	fresh := env.save(sess)
	if fresh == nil {
		t.Fatal("no cookie after login")
	}
	newID := env.idOf(fresh)
	if newID == oldID || env.doc(newID) == nil {
		t.Fatalf("new id %q (old %q) not stored", newID, oldID)
	}
	if _, err := env.doc(newID).LookupErr("session", "cartHint"); err == nil {
		t.Fatal("a pre-login value was carried into the new session")
	}

	// The old cookie is worthless, and using it never revives the old id.
	c, sess := env.visit(old, func(s *Session) {
		if s.ID() != "" || s.Get("isLoggedIn") != nil {
			t.Errorf("old cookie still opens a session: %s", s.ID())
		}
		s.Set("x", 1)
	})
	if sess.ID() == oldID || env.idOf(c) == oldID {
		t.Fatal("the old id was reused")
	}
	if n := env.count(); n != 2 {
		t.Fatalf("%d documents, want 2 (the logged-in one and the new anonymous one)", n)
	}
}

func TestDestroyDeletesTheDocumentAndExpiresTheCookie(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)

	sess := env.get(cookie)
	rec := httptest.NewRecorder()
	sess.w = rec
	if err := env.store.destroy(sess); err != nil {
		t.Fatal(err)
	}
	assertCookieExpired(t, rec)
	if env.doc(id) != nil {
		t.Fatal("document survived logout")
	}
	if sess.ID() != "" || sess.Get("isLoggedIn") != nil {
		t.Fatal("the destroyed session still holds its values for the rest of the request")
	}
	if sess := env.get(cookie); sess.ID() != "" {
		t.Fatal("the cookie still opens a session after logout")
	}
}

func assertCookieExpired(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	line := rec.Header().Get("Set-Cookie")
	for _, attr := range []string{cookieName + "=;", "; Path=/;", "; Max-Age=0", "; Expires=Thu, 01 Jan 1970", "; HttpOnly"} {
		if !strings.Contains(line, attr) {
			t.Errorf("logout cookie lacks %q: %s", attr, line)
		}
	}
}

func TestSessionEndedElsewhereIsNotRecreated(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)

	sess := env.get(cookie) // a slow request is in flight...
	if _, err := env.coll.DeleteOne(context.Background(), bson.D{{Key: "_id", Value: id}}); err != nil {
		t.Fatal(err) // ...while another tab logs out
	}
	sess.Set("cart", "changed")
	rec := httptest.NewRecorder()
	sess.w = rec
	if err := sess.Save(); err != nil {
		t.Fatal(err)
	}
	if n := env.count(); n != 0 {
		t.Fatalf("the ended session came back (%d documents)", n)
	}
	if c := responseCookie(rec); c == nil || c.MaxAge >= 0 {
		t.Fatalf("cookie of the ended session not expired: %+v", c)
	}
}

func TestClearedSessionKeepsItsCreationTime(t *testing.T) {
	env := newTestEnv(t)
	created := env.clock.Now()
	cookie := env.login(map[string]any{"isLoggedIn": true})
	id := env.idOf(cookie)

	for range 23 { // active, never idle
		env.clock.Advance(time.Hour)
		env.visit(cookie, nil)
	}
	_, sess := env.visit(cookie, func(s *Session) {
		s.Clear()
		s.Set("visits", 1)
	})
	if sess.ID() != id {
		t.Fatalf("Clear changed the id to %q", sess.ID())
	}
	doc := env.doc(id)
	if _, err := doc.LookupErr("session", "isLoggedIn"); err == nil {
		t.Fatalf("a cleared value is still stored: %s", doc)
	}
	if !doc.Lookup("createdAt").Time().Equal(created) {
		t.Fatalf("createdAt moved: %s", doc)
	}
	if !doc.Lookup("expires").Time().Equal(created.Add(24 * time.Hour)) {
		t.Fatalf("expires went past the absolute deadline: %s", doc)
	}
}

func TestDeleteUserSessionsEndsOtherSessions(t *testing.T) {
	env := newTestEnv(t)
	alice, bob := bson.NewObjectID(), bson.NewObjectID()
	user := func(id bson.ObjectID) map[string]any {
		return map[string]any{"isLoggedIn": true, "user": map[string]any{"_id": id, "email": "x@y.z"}}
	}
	here := env.idOf(env.login(user(alice)))
	phone := env.idOf(env.login(user(alice)))
	other := env.idOf(env.login(user(bob)))
	anon := env.idOf(env.login(map[string]any{"cart": "x"}))

	n, err := env.store.DeleteUserSessions(context.Background(), alice, here)
	if err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
	if env.doc(phone) != nil {
		t.Error("alice's other session survived")
	}
	for name, id := range map[string]string{"current": here, "bob": other, "anonymous": anon} {
		if env.doc(id) == nil {
			t.Errorf("%s session was deleted", name)
		}
	}
	if n, err := env.store.DeleteUserSessions(context.Background(), alice, ""); err != nil || n != 1 {
		t.Fatalf("without exception: %d, %v", n, err)
	}
}

// The cookie's options are the store's alone, like express-session's: gin-contrib's
// Options() can neither loosen the cookie nor end the session (that is Destroy).
func TestSessionOptionsCannotLoosenTheCookie(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{"isLoggedIn": true})
	sess := env.get(cookie)
	sess.Options(sessions.Options{Path: "/admin", Domain: "evil.example", MaxAge: -1, HttpOnly: false})
	sess.Set("x", 1)
	rec := httptest.NewRecorder()
	sess.w = rec
	if err := sess.Save(); err != nil {
		t.Fatal(err)
	}
	line := rec.Header().Get("Set-Cookie")
	for _, attr := range []string{"; Path=/;", "; HttpOnly", "; SameSite=Lax", "; Max-Age=7200"} {
		if !strings.Contains(line, attr) {
			t.Errorf("cookie lacks %q: %s", attr, line)
		}
	}
	if strings.Contains(line, "Domain") {
		t.Errorf("cookie took a Domain: %s", line)
	}
	if n, ok := env.doc(env.idOf(cookie)).Lookup("session", "x").AsInt64OK(); !ok || n != 1 {
		t.Fatal("Options(MaxAge: -1) ended the session")
	}
}

func TestDeadDatabaseIsUnavailable(t *testing.T) {
	signed := &http.Cookie{Name: cookieName, Value: encodeCookieValue(newID(), "test-secret")}
	clock := newTestClock()

	check := func(t *testing.T, coll *mongo.Collection) {
		cfg := testConfig(clock)
		cfg.OpTimeout = 300 * time.Millisecond
		cfg.SweepTimeout = cfg.OpTimeout
		store, err := New(coll, cfg)
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		sess, err := store.load(request(signed), httptest.NewRecorder(), nil)
		if !errors.Is(err, ErrUnavailable) || sess == nil || sess.ID() != "" {
			t.Fatalf("load: sess=%v err=%v; want a fresh session and ErrUnavailable", sess, err)
		}
		sess.Set("x", 1)
		if err := sess.Save(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Save of a new session: %v", err)
		}
		sess.id = "some-id"
		if err := sess.Save(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Save of a loaded session: %v", err)
		}
		if err := store.regenerate(sess); !errors.Is(err, ErrUnavailable) {
			t.Errorf("regenerate: %v", err)
		}
		sess.id = "some-id"
		rec := httptest.NewRecorder()
		sess.w = rec
		if err := store.destroy(sess); !errors.Is(err, ErrUnavailable) {
			t.Errorf("destroy: %v", err)
		}
		assertCookieExpired(t, rec) // the browser forgets the id even so
		if _, err := store.Change(context.Background(), "some-id", func(sessions.Session) error { return nil }); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Change: %v", err)
		}
		if _, err := store.Sweep(context.Background()); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Sweep: %v", err)
		}
		if _, err := store.DeleteUserSessions(context.Background(), bson.NewObjectID(), ""); !errors.Is(err, ErrUnavailable) {
			t.Errorf("DeleteUserSessions: %v", err)
		}
		if ttl, err := store.EnsureExpiryIndex(context.Background()); ttl || !errors.Is(err, ErrUnavailable) {
			t.Errorf("EnsureExpiryIndex: %v, %v", ttl, err)
		}
		// Nine operations, each bounded by OpTimeout.
		if d := time.Since(began); d > 9*time.Second {
			t.Errorf("failing took %v", d)
		}
		// The first answer is what decides the 503: it is bounded by OpTimeout, not by the
		// driver's 30 s server selection. The bound is loose (a loaded machine stretches 300 ms),
		// but far below 30 s.
		began = time.Now()
		if _, err := store.load(request(signed), httptest.NewRecorder(), nil); !errors.Is(err, ErrUnavailable) {
			t.Errorf("load: %v", err)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("load took %v with OpTimeout 300ms", d)
		}
	}

	t.Run("disconnected client", func(t *testing.T) {
		check(t, disconnectedCollection(t))
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		client, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + addr + "/?maxPoolSize=1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
		check(t, client.Database(dbName(t)).Collection("sessions"))
	})
}

// disconnectedCollection is a sessions collection whose client has been disconnected: every
// operation fails at once.
func disconnectedCollection(t *testing.T) *mongo.Collection {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(testURI))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return client.Database(dbName(t)).Collection("sessions")
}
