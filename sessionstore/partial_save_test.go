package sessionstore

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A save is one update: $set of the changed keys and the two expiry fields, nothing else. A
// document the Node app wrote keeps everything else byte for byte (its int32s, its fields Gin
// Shop knows nothing of), so the Node app reads it as it wrote it.
func TestSavingWritesOnlyTheChangedKeys(t *testing.T) {
	env := newTestEnv(t)
	doc := expressDocument(expressID, env.store.now().Add(50*time.Minute),
		bson.E{Key: "nodeOnly", Value: bson.D{{Key: "count", Value: int32(7)}, {Key: "note", Value: "from Express"}}},
		bson.E{Key: KeyLesson, Value: bson.D{{Key: "color", Value: "red"}, {Key: "size", Value: int32(3)}}},
	)
	doc = append(doc, bson.E{Key: "migratedBy", Value: "node"})
	cookie := env.insertExpressSession(doc)
	env.get(cookie) // the first load records createdAt and touches the expiry: not a save

	updateOf := func(change func(s *Session)) (set, unset []string) {
		t.Helper()
		env.cmds.Reset()
		env.visit(cookie, change)
		if n := env.cmds.Count("update"); n != 1 {
			t.Fatalf("%d updates for one save, want 1", n)
		}
		u := env.cmds.Last("update").Lookup("updates", "0", "u").Document()
		for _, op := range fieldNames(t, u) {
			if op != "$set" && op != "$unset" {
				t.Errorf("the save used %s: %s", op, u)
			}
		}
		set = fieldNames(t, u.Lookup("$set").Document())
		if v, err := u.LookupErr("$unset"); err == nil {
			unset = fieldNames(t, v.Document())
		}
		slices.Sort(set)
		return set, unset
	}

	before := env.doc(expressID)
	set, unset := updateOf(func(s *Session) { s.Set(KeyLessonSetCookie, "connect.sid=…") })
	if want := []string{"expires", "session.cookie.expires", "session." + KeyLessonSetCookie}; !slices.Equal(set, want) || unset != nil {
		t.Fatalf("$set %v $unset %v; want $set %v alone", set, unset, want)
	}
	after := env.doc(expressID)
	assertSameExcept(t, before, after, "expires", "session")
	assertSameExcept(t, before.Lookup("session").Document(), after.Lookup("session").Document(), "cookie", KeyLessonSetCookie)
	assertSameExcept(t, before.Lookup("session", "cookie").Document(), after.Lookup("session", "cookie").Document(), "expires")

	// Inside a document value, only the sub-keys that changed: the lab sets req.session.lesson.size.
	before = after
	set, unset = updateOf(func(s *Session) {
		lesson := s.Get(KeyLesson).(map[string]any)
		lesson["size"] = 4
		s.Set(KeyLesson, lesson)
	})
	if want := []string{"expires", "session.cookie.expires", "session.lesson.size"}; !slices.Equal(set, want) || unset != nil {
		t.Fatalf("$set %v $unset %v; want $set %v alone", set, unset, want)
	}
	after = env.doc(expressID)
	assertSameExcept(t, before.Lookup("session").Document(), after.Lookup("session").Document(), "cookie", KeyLesson)
	if got := after.Lookup("session", KeyLesson, "color").StringValue(); got != "red" {
		t.Errorf("session.lesson.color = %q", got)
	}
}

// assertSameExcept checks that every field of before is in after, byte for byte, except the
// named ones, and that after has no field before lacked except those.
func assertSameExcept(t *testing.T, before, after bson.Raw, except ...string) {
	t.Helper()
	elems, err := before.Elements()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range elems {
		if slices.Contains(except, e.Key()) {
			continue
		}
		got, err := after.LookupErr(e.Key())
		if err != nil || got.Type != e.Value().Type || !bytes.Equal(got.Value, e.Value().Value) {
			t.Errorf("%s changed: %s (%s) → %s (%v)", e.Key(), e.Value(), e.Value().Type, got, err)
		}
	}
	for _, k := range fieldNames(t, after) {
		if _, err := before.LookupErr(k); err != nil && !slices.Contains(except, k) {
			t.Errorf("%s appeared", k)
		}
	}
}

// express-session's default cookie lasts 14 days (the course sets maxAge nowhere else): a
// session the Node app made keeps that idle time when Gin Shop serves it, and a save through
// Gin Shop never brings its expiry nearer.
func TestNodeSessionKeepsItsOwnMaxAge(t *testing.T) {
	const fortnight = 14 * 24 * time.Hour
	nodeSession := func(env *testEnv) *http.Cookie {
		doc := expressDocument(expressID, env.store.now().Add(fortnight))
		setCookieField(doc, "originalMaxAge", int32(fortnight/time.Millisecond))
		return env.insertExpressSession(doc)
	}
	expiresOf := func(env *testEnv) (time.Time, time.Time) {
		doc := env.doc(expressID)
		return doc.Lookup("expires").Time(), doc.Lookup("session", "cookie", "expires").Time()
	}
	change := func(t *testing.T, key string, value any) gin.HandlerFunc {
		return func(c *gin.Context) {
			s := sessions.Default(c)
			if s.ID() != expressID {
				t.Errorf("the Node session was not loaded: %q", s.ID())
			}
			s.Set(key, value)
			if err := s.Save(); err != nil {
				t.Error(err)
			}
		}
	}

	t.Run("saving never shortens it", func(t *testing.T) {
		env := newTestEnv(t) // IdleTimeout 2h, AbsoluteTimeout 24h
		cookie := nodeSession(env)
		was, _ := expiresOf(env)
		for i := range 3 {
			env.clock.Advance(time.Hour)
			rec := env.serve(http.MethodPost, cookie, change(t, "visits", i))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			expires, cookieExpires := expiresOf(env)
			if expires.Before(was) || cookieExpires.Before(was) {
				t.Fatalf("a save moved expires from %v to %v (cookie.expires %v)", was, expires, cookieExpires)
			}
			if c := responseCookie(rec); c == nil || c.Expires.Before(was.Truncate(time.Second)) {
				t.Fatalf("the cookie sent ends earlier than the session: %+v", c)
			}
		}
	})

	t.Run("touching uses its 14 days", func(t *testing.T) {
		env := newTestEnv(t, func(c *Config) { c.AbsoluteTimeout = 30 * 24 * time.Hour })
		cookie := nodeSession(env)
		env.clock.Advance(time.Hour)
		rec := env.serve(http.MethodGet, cookie, nil)
		want := env.store.now().Add(fortnight)
		if expires, cookieExpires := expiresOf(env); !expires.Equal(want) || !cookieExpires.Equal(want) {
			t.Fatalf("touched to %v (cookie.expires %v), want %v", expires, cookieExpires, want)
		}
		if c := responseCookie(rec); c == nil || c.MaxAge != int(fortnight/time.Second) {
			t.Fatalf("touched cookie %+v, want Max-Age %d", c, int(fortnight/time.Second))
		}

		// A change a day later: 14 days from then, and the Node app's maxAge stays as it wrote it.
		env.clock.Advance(24 * time.Hour)
		env.serve(http.MethodPost, cookie, change(t, "changed", true))
		want = env.store.now().Add(fortnight)
		if expires, _ := expiresOf(env); !expires.Equal(want) {
			t.Fatalf("saved with expires %v, want %v", expires, want)
		}
		if got := env.doc(expressID).Lookup("session", "cookie", "originalMaxAge"); got.Type != bson.TypeInt32 || got.Int32() != int32(fortnight/time.Millisecond) {
			t.Fatalf("cookie.originalMaxAge became %s (%s)", got, got.Type)
		}

		// And it still ends after 14 idle days, not Gin Shop's two hours.
		env.clock.Advance(fortnight - time.Minute)
		if sess := env.get(cookie); sess.ID() != expressID {
			t.Fatal("the Node session ended before its 14 idle days")
		}
		env.clock.Advance(fortnight + time.Minute)
		if sess := env.get(cookie); sess.ID() != "" {
			t.Fatal("the Node session outlived 14 idle days")
		}
	})
}
