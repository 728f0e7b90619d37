package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/sessionstore"
)

// The session store's three operations on a request path, against the embedded FerretDB:
//
//	go test -run '^$' -bench 'SessionStore' -benchtime 500x ./bench/
//
// Load is the one read by _id every logged-in request pays; Save is a rewrite after a change
// (one replace by _id); Touch is a load that also extends the expiry (one small update), which
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

func loadSession(b *testing.B, store *sessionstore.Store, cookie *http.Cookie) *http.Request {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookie)
	s, err := store.New(r, "connect.sid")
	if err != nil || s.IsNew {
		b.Fatalf("session not loaded: %v", err)
	}
	return r
}

func BenchmarkSessionStoreLoad(b *testing.B) {
	store := benchStore(b, time.Now)
	cookie := storeOneSession(b, store)
	b.ResetTimer()
	for range b.N {
		loadSession(b, store, cookie)
	}
}

func BenchmarkSessionStoreSave(b *testing.B) {
	store := benchStore(b, time.Now)
	cookie := storeOneSession(b, store)
	r := loadSession(b, store, cookie)
	s, _ := store.Get(r, "connect.sid")
	b.ResetTimer()
	for i := range b.N {
		s.Values["counter"] = i // a change, so Save rewrites the document
		if err := store.Save(r, httptest.NewRecorder(), s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionStoreTouch(b *testing.B) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	store := benchStore(b, func() time.Time { return time.Unix(0, clock.Load()) })
	cookie := storeOneSession(b, store)
	b.ResetTimer()
	for range b.N {
		// Each load comes more than TouchAfter (a minute) after the last extension.
		clock.Add(int64(61 * time.Second))
		loadSession(b, store, cookie)
	}
}
