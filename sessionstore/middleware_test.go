package sessionstore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The Middleware as the app's routes use it: sessions.Default(c) in the handler.

func TestReadingWithoutACookieStoresNothingAndAsksNothing(t *testing.T) {
	env := newTestEnv(t)
	env.cmds.Reset()
	rec := env.serve(http.MethodGet, nil, func(c *gin.Context) {
		s := sessions.Default(c)
		if s.Get(KeyIsLoggedIn) != nil || s.ID() != "" || len(s.Flashes("error")) != 0 {
			t.Error("a visitor without a cookie has a session")
		}
		if err := s.Save(); err != nil {
			t.Error(err)
		}
	})
	if rec.Code != http.StatusOK || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("status %d, Set-Cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	if n := env.count(); n != 0 {
		t.Fatalf("%d documents stored for a reader", n)
	}
	if find, writes := env.cmds.Count("find"), env.cmds.Writes(); find != 0 || writes != 0 {
		t.Fatalf("%d reads and %d writes for a request without a cookie", find, writes)
	}
}

func TestSetAndSaveStoresTheSessionAndSetsConnectSid(t *testing.T) {
	env := newTestEnv(t)
	var id string
	rec := env.serve(http.MethodPost, nil, func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set(KeyIsLoggedIn, true)
		if err := s.Save(); err != nil {
			t.Error(err)
		}
		id = s.ID()
	})
	c := responseCookie(rec)
	if c == nil || c.Name != "connect.sid" || env.idOf(c) != id || id == "" {
		t.Fatalf("cookie %+v for session %q", c, id)
	}
	if doc := env.doc(id); doc == nil || !doc.Lookup("session", KeyIsLoggedIn).Boolean() {
		t.Fatalf("stored %s", doc)
	}

	// The next request with that cookie gets the session.
	env.serve(http.MethodGet, c, func(c *gin.Context) {
		if s := sessions.Default(c); s.ID() != id || s.Get(KeyIsLoggedIn) != true {
			t.Errorf("the cookie opens %q", s.ID())
		}
	})
}

func TestDestroyDeletesTheDocumentAndExpiresTheCookieOnPathRoot(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{KeyIsLoggedIn: true})
	id := env.idOf(cookie)

	rec := env.serve(http.MethodPost, cookie, func(c *gin.Context) {
		if err := Destroy(c); err != nil {
			t.Error(err)
		}
		s := sessions.Default(c)
		if s.ID() != "" || s.Get(KeyIsLoggedIn) != nil {
			t.Error("the rest of the request still sees the destroyed session")
		}
		if err := s.Save(); err != nil { // a handler that saves after logout stores nothing
			t.Error(err)
		}
	})
	assertCookieExpired(t, rec)
	if n := len(rec.Header().Values("Set-Cookie")); n != 1 {
		t.Errorf("%d Set-Cookie lines, want the expired one only", n)
	}
	if env.doc(id) != nil || env.count() != 0 {
		t.Fatal("document survived logout")
	}
}

func TestClearCookieOnlyKeepsTheDocument(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{KeyIsLoggedIn: true})
	rec := env.serve(http.MethodPost, cookie, func(c *gin.Context) { ClearCookieOnly(c) })
	assertCookieExpired(t, rec)
	if env.doc(env.idOf(cookie)) == nil {
		t.Fatal("res.clearCookie without destroy deleted the document")
	}
	// The lesson's point: the old cookie, replayed, still opens the session.
	env.serve(http.MethodGet, cookie, func(c *gin.Context) {
		if sessions.Default(c).Get(KeyIsLoggedIn) != true {
			t.Error("the replayed cookie does not open the orphaned session")
		}
	})
}

// Login, on both stores: the old document goes, the new session holds only what was set after
// Regenerate, and it is stored, with its cookie, before the handler redirects.
func TestRegenerateSetSaveGivesANewIDAndTheOldDocumentIsGone(t *testing.T) {
	for name, newEnv := range map[string]func(*testing.T) *testEnv{
		"mongodb": func(t *testing.T) *testEnv { return newTestEnv(t) },
		"memory":  func(t *testing.T) *testEnv { return newMemoryEnv(t) },
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			old := env.login(map[string]any{"before": "login"})
			oldID := env.idOf(old)

			var during string
			rec := env.serve(http.MethodPost, old, func(c *gin.Context) {
				if err := Regenerate(c); err != nil {
					t.Error(err)
				}
				s := sessions.Default(c)
				s.Set(KeyIsLoggedIn, true)
				if err := s.Save(); err != nil {
					t.Error(err)
				}
				during = s.ID()
			})
			fresh := responseCookie(rec)
			if fresh == nil {
				t.Fatal("no cookie after login")
			}
			newID := env.idOf(fresh)
			if newID == oldID || newID != during {
				t.Fatalf("new id %q, old %q, the handler's %q", newID, oldID, during)
			}
			if _, ok, _ := env.store.Document(context.Background(), oldID); ok {
				t.Error("the pre-login document is still stored")
			}
			doc, ok, err := env.store.Document(context.Background(), newID)
			if err != nil || !ok {
				t.Fatalf("the new session is not stored: %v", err)
			}
			if _, err := doc.LookupErr("session", "before"); err == nil || !doc.Lookup("session", KeyIsLoggedIn).Boolean() {
				t.Fatalf("new session %s", doc)
			}
		})
	}
}

func TestDatabaseFailureCallsUnavailable(t *testing.T) {
	cfg := testConfig(newTestClock())
	cfg.OpTimeout = 300 * time.Millisecond
	store, err := New(disconnectedCollection(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got error
	ran := false
	unavailable := func(c *gin.Context, err error) {
		got = err
		c.AbortWithStatus(http.StatusServiceUnavailable)
	}
	handle := func(c *gin.Context) { ran = true }

	signed := &http.Cookie{Name: cookieName, Value: encodeCookieValue(newID(), "test-secret")}
	rec := serveWith(store, unavailable, http.MethodGet, signed, handle)
	if rec.Code != http.StatusServiceUnavailable || !errors.Is(got, ErrUnavailable) || ran {
		t.Fatalf("status %d, unavailable got %v, handler ran: %v", rec.Code, got, ran)
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Error("a failed load touched the cookie: the visitor must not be logged out by an outage")
	}

	// Without a cookie there is nothing to read: the page is served.
	got, ran = nil, false
	if rec := serveWith(store, unavailable, http.MethodGet, nil, handle); rec.Code != http.StatusOK || got != nil || !ran {
		t.Fatalf("without a cookie: status %d, unavailable got %v", rec.Code, got)
	}
}

// A document the store cannot read (hand-edited, another app's bug) is not an outage: the
// visitor gets a new session and the page.
func TestUnreadableDocumentGivesANewSession(t *testing.T) {
	env := newTestEnv(t)
	id := newID()
	if _, err := env.coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: id},
		{Key: "expires", Value: env.store.now().Add(time.Hour)}, {Key: "session", Value: "not a document"}}); err != nil {
		t.Fatal(err)
	}
	cookie := &http.Cookie{Name: cookieName, Value: encodeCookieValue(id, "test-secret")}
	rec := env.serve(http.MethodGet, cookie, func(c *gin.Context) {
		if s := sessions.Default(c); s.ID() != "" {
			t.Errorf("the unreadable document opened as %q", s.ID())
		}
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
}

// The lesson pages show what happened to the request's session.
func TestTracedRequestRecordsWhatTheStoreDid(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.login(map[string]any{KeyIsLoggedIn: true})
	var trace *Trace
	r := gin.New()
	r.Use(env.store.Middleware(func(c *gin.Context, err error) { c.AbortWithStatus(http.StatusServiceUnavailable) },
		func(*gin.Context) bool { return true }))
	r.GET("/", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("visits", 1)
		if err := s.Save(); err != nil {
			t.Error(err)
		}
		trace = RequestTrace(c)
	})
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(cookie)
	r.ServeHTTP(httptest.NewRecorder(), req)
	snap := trace.Snapshot()
	if snap.Load != LoadFound || !snap.CookieSent {
		t.Fatalf("trace: load %q, cookie sent %v", snap.Load, snap.CookieSent)
	}
	if len(snap.Decisions) != 1 || !strings.Contains(snap.Decisions[0], "visits") {
		t.Fatalf("decisions: %q", snap.Decisions)
	}
}
