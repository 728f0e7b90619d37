package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/sessionstore"
)

// The session store's three operations on a request path, against the embedded FerretDB:
//
//	go test -run '^$' -bench 'SessionStore' -benchtime 500x ./bench/
//
// Load is the one read by _id every logged-in request pays; Save is a rewrite after a change
// (one $set of the changed key by _id); Touch is a load that also extends the expiry (one small update), which
// happens at most once a minute per session.

// benchStore opens a fresh database and a store on it whose clock the benchmark moves.
func benchStore(b *testing.B, now func() time.Time) *sessionstore.Store {
	b.Helper()
	ctx := context.Background()
	db, err := database.OpenEmbedded(ctx, apptest.Embedded(), apptest.DatabaseName(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Database.Drop(ctx); _ = db.Close(ctx) })
	fill(b, db.Database.Collection(database.Sessions), 1000)
	store, err := sessionstore.New(db.Database.Collection(database.Sessions), sessionstore.Config{
		Secrets: []string{"bench-secret"}, IdleTimeout: 2 * time.Hour, AbsoluteTimeout: 100 * 365 * 24 * time.Hour,
		Reads: db.Reads.Collection(database.Sessions), Now: now,
	})
	if err != nil {
		b.Fatal(err)
	}
	return store
}

// sessionEngine serves the store's middleware: GET / loads the session and reports whether it
// was found, GET /set?n= sets a value and saves, GET /login stores a new session.
func sessionEngine(store *sessionstore.Store) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(store.Middleware(func(c *gin.Context, err error) { c.String(http.StatusServiceUnavailable, err.Error()); c.Abort() }, nil))
	r.GET("/", func(c *gin.Context) {
		if sessions.Default(c).ID() == "" {
			c.Status(http.StatusNotFound)
			return
		}
		c.Status(http.StatusOK)
	})
	r.GET("/set", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("counter", c.Query("n"))
		if err := s.Save(); err != nil {
			c.Status(http.StatusServiceUnavailable)
		}
	})
	r.GET("/login", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("isLoggedIn", true)
		if err := s.Save(); err != nil {
			c.Status(http.StatusServiceUnavailable)
		}
	})
	return r
}

// serve runs one request with the cookie and checks its status.
func serve(b *testing.B, h http.Handler, path string, cookie *http.Cookie, want int) *httptest.ResponseRecorder {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("GET %s: %d, want %d", path, w.Code, want)
	}
	return w
}

func loadSession(b *testing.B, h http.Handler, cookie *http.Cookie) {
	b.Helper()
	serve(b, h, "/", cookie, http.StatusOK)
}

func BenchmarkSessionStoreLoad(b *testing.B) {
	h := sessionEngine(benchStore(b, time.Now))
	cookie := storeOneSession(b, h)
	b.ResetTimer()
	for range b.N {
		loadSession(b, h, cookie)
	}
}

// BenchmarkSessionStoreSave is a load plus a save of one changed key ($set by _id).
func BenchmarkSessionStoreSave(b *testing.B) {
	h := sessionEngine(benchStore(b, time.Now))
	cookie := storeOneSession(b, h)
	b.ResetTimer()
	for i := range b.N {
		serve(b, h, "/set?n="+strconv.Itoa(i), cookie, http.StatusOK)
	}
}

func BenchmarkSessionStoreTouch(b *testing.B) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	h := sessionEngine(benchStore(b, func() time.Time { return time.Unix(0, clock.Load()) }))
	cookie := storeOneSession(b, h)
	b.ResetTimer()
	for range b.N {
		// Each load comes more than TouchAfter (a minute) after the last extension.
		clock.Add(int64(61 * time.Second))
		loadSession(b, h, cookie)
	}
}
