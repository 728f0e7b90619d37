// Package bench measures the performance targets of bench/README.md with go test -bench:
//
//	go test -run '^$' -bench . -benchtime 200x ./bench/
//
// BenchmarkSessionLoad shows that loading a session by its cookie costs the same with 100 or
// 10,000 stored sessions in the embedded FerretDB, thanks to the SQLite expression index on
// _id that embedded.Server.IndexIDs (database/embedded) adds, and how it grows without that index.
package bench

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/sessionstore"
)

func TestMain(m *testing.M) { apptest.Main(m) }

func BenchmarkSessionLoad(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		for _, n := range []int{100, 10_000} {
			b.Run(fmt.Sprintf("indexed=%v/sessions=%d", indexed, n), func(b *testing.B) {
				benchmarkSessionLoad(b, n, indexed)
			})
		}
	}
}

func benchmarkSessionLoad(b *testing.B, n int, indexed bool) {
	ctx := context.Background()
	db, err := database.OpenEmbedded(ctx, apptest.Embedded(), apptest.DatabaseName(b))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Database.Drop(ctx); _ = db.Close(ctx) }()
	coll := db.Database.Collection(database.Sessions)
	if !indexed {
		// A collection created after start-up has only FerretDB's own _id index, which its
		// queries never use.
		coll = db.Database.Collection("sessions_without_expression_index")
		if err := db.Database.CreateCollection(ctx, coll.Name()); err != nil {
			b.Fatal(err)
		}
	}
	fill(b, coll, n)
	store, err := sessionstore.New(coll, sessionstore.Config{
		Secrets: []string{"bench-secret"}, IdleTimeout: 2 * time.Hour, AbsoluteTimeout: 24 * time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	h := sessionEngine(store)
	cookie := storeOneSession(b, h)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loadSession(b, h, cookie)
	}
}

// fill stores n sessions shaped like the app's.
func fill(b *testing.B, coll *mongo.Collection, n int) {
	b.Helper()
	exp := time.Now().Add(time.Hour)
	batch := make([]any, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, bson.D{
			{Key: "_id", Value: fmt.Sprintf("filler-session-%08d", i)},
			{Key: "expires", Value: exp},
			{Key: "createdAt", Value: time.Now()},
			{Key: "session", Value: bson.D{
				{Key: "isLoggedIn", Value: true},
				{Key: "user", Value: bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "email", Value: fmt.Sprintf("user%d@example.com", i)}}},
			}},
		})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := coll.InsertMany(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// storeOneSession stores a session through the store's middleware and returns its cookie.
func storeOneSession(b *testing.B, h http.Handler) *http.Cookie {
	b.Helper()
	cookies := serve(b, h, "/login", nil, http.StatusOK).Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("the save set %d cookies", len(cookies))
	}
	return cookies[0]
}
