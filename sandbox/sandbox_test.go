package sandbox

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest/testserver"
	"github.com/ginshop/ginshop/database"
)

// The expected outcomes below are written from express-session 1.19's README (the sections
// resave, saveUninitialized, rolling, store.touch) and its index.js (shouldSave, shouldTouch,
// shouldSetCookie), not from this package's output:
//
//   - saveUninitialized: a new session is stored only if it was modified, unless
//     saveUninitialized is true, which stores (and sends the cookie of) an empty new session;
//     rolling does not change that ("the cookie will not be set on a response with an
//     uninitialized session").
//   - resave: true saves a loaded session back "even if it was never modified during the
//     request"; resave: false saves it only when modified, and otherwise touches it if the
//     store implements touch (MemoryStore does; connect-mongodb-session does not, so nothing
//     is written).
//   - rolling: true sets the cookie "on every response" of a loaded session; false sets it
//     only when the session was modified.
//   - the race: with resave: true the reader's write-back overwrites the setter's change
//     ("changes made to the session in one request may get overwritten when the other
//     request ends, even if it made no changes"); with resave: false it survives.
//
// write is what the request asked of the store: "set", "touch" (store.touch where the store
// has it, else nothing) or "-". cookie is whether its answer carried Set-Cookie. For the race
// both are "request A / request B". stored is session.value in the store afterwards: "none"
// (no session stored), "empty" (a session without a value), "before" (the value the session
// had before the action) or "new" (the value the action set).
var expected = []struct {
	action                             Action
	returning                          bool // the browser's cookie names a stored session with a value
	resave, saveUninitialized, rolling bool
	write, cookie, stored              string
}{
	// a request that changes nothing, first visit (no cookie)
	{ActionNothing, false, F, F, F, "-", "no", "none"},
	{ActionNothing, false, F, F, T, "-", "no", "none"},
	{ActionNothing, false, F, T, F, "set", "yes", "empty"},
	{ActionNothing, false, F, T, T, "set", "yes", "empty"},
	{ActionNothing, false, T, F, F, "-", "no", "none"},
	{ActionNothing, false, T, F, T, "-", "no", "none"},
	{ActionNothing, false, T, T, F, "set", "yes", "empty"},
	{ActionNothing, false, T, T, T, "set", "yes", "empty"},
	// a request that changes nothing, with a stored session
	{ActionNothing, true, F, F, F, "touch", "no", "before"},
	{ActionNothing, true, F, F, T, "touch", "yes", "before"},
	{ActionNothing, true, F, T, F, "touch", "no", "before"},
	{ActionNothing, true, F, T, T, "touch", "yes", "before"},
	{ActionNothing, true, T, F, F, "set", "no", "before"},
	{ActionNothing, true, T, F, T, "set", "yes", "before"},
	{ActionNothing, true, T, T, F, "set", "no", "before"},
	{ActionNothing, true, T, T, T, "set", "yes", "before"},
	// a request that sets a value, first visit
	{ActionSet, false, F, F, F, "set", "yes", "new"},
	{ActionSet, false, F, F, T, "set", "yes", "new"},
	{ActionSet, false, F, T, F, "set", "yes", "new"},
	{ActionSet, false, F, T, T, "set", "yes", "new"},
	{ActionSet, false, T, F, F, "set", "yes", "new"},
	{ActionSet, false, T, F, T, "set", "yes", "new"},
	{ActionSet, false, T, T, F, "set", "yes", "new"},
	{ActionSet, false, T, T, T, "set", "yes", "new"},
	// a request that sets a value, with a stored session
	{ActionSet, true, F, F, F, "set", "yes", "new"},
	{ActionSet, true, F, F, T, "set", "yes", "new"},
	{ActionSet, true, F, T, F, "set", "yes", "new"},
	{ActionSet, true, F, T, T, "set", "yes", "new"},
	{ActionSet, true, T, F, F, "set", "yes", "new"},
	{ActionSet, true, T, F, T, "set", "yes", "new"},
	{ActionSet, true, T, T, F, "set", "yes", "new"},
	{ActionSet, true, T, T, T, "set", "yes", "new"},
	// two requests at once on a stored session: A sets a value and ends first, B only reads
	{ActionRace, true, F, F, F, "set / touch", "yes / no", "new"},
	{ActionRace, true, F, F, T, "set / touch", "yes / yes", "new"},
	{ActionRace, true, F, T, F, "set / touch", "yes / no", "new"},
	{ActionRace, true, F, T, T, "set / touch", "yes / yes", "new"},
	{ActionRace, true, T, F, F, "set / set", "yes / no", "before"},
	{ActionRace, true, T, F, T, "set / set", "yes / yes", "before"},
	{ActionRace, true, T, T, F, "set / set", "yes / no", "before"},
	{ActionRace, true, T, T, T, "set / set", "yes / yes", "before"},
}

const (
	T = true
	F = false
)

var testDB *database.DB

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

// runTests starts an embedded FerretDB for the MongoDB store's rows.
func runTests(m *testing.M) int {
	emb, err := testserver.StartTemp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer emb.Stop()
	testDB, err = database.OpenEmbedded(context.Background(), emb.Server, "sandbox")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testDB.Close(context.Background())
	return m.Run()
}

func newTestSandbox(t *testing.T) *Sandbox {
	t.Helper()
	db, err := testDB.Monitored(Monitor())
	if err != nil {
		t.Fatal(err)
	}
	coll := db.Collection(database.SandboxSessions)
	if err := coll.Drop(context.Background()); err != nil {
		t.Fatal(err)
	}
	return New(NewMongoStore(coll), []string{"sandbox-test-secret"}, false)
}

// TestEveryOptionCombinationBehavesLikeExpressSession runs every row of expected on both stores.
func TestEveryOptionCombinationBehavesLikeExpressSession(t *testing.T) {
	sb := newTestSandbox(t)
	ctx := context.Background()
	for _, storeName := range []string{StoreMemory, StoreMongoDB} {
		for _, row := range expected {
			name := fmt.Sprintf("%s/%s/returning=%v/resave=%v/saveUninitialized=%v/rolling=%v",
				storeName, row.action, row.returning, row.resave, row.saveUninitialized, row.rolling)
			t.Run(name, func(t *testing.T) {
				opts := Options{Resave: row.resave, SaveUninitialized: row.saveUninitialized, Rolling: row.rolling, MaxAge: time.Minute}
				cookie, before := "", ""
				if row.returning {
					first, err := sb.Run(ctx, storeName, opts, ActionSet, "")
					if err != nil {
						t.Fatal(err)
					}
					cookie, before = first.Cookie.Value, first.Set
					sb.now = func() time.Time { return time.Now().Add(time.Millisecond) } // the next value differs
					t.Cleanup(func() { sb.now = time.Now })
				}
				started := time.Now()
				res, err := sb.Run(ctx, storeName, opts, row.action, cookie)
				if err != nil {
					t.Fatal(err)
				}
				var writes, cookies []string
				for _, o := range res.Requests {
					writes = append(writes, observedWrite(t, storeName, o))
					cookies = append(cookies, map[bool]string{true: "yes", false: "no"}[o.SetCookie])
					if o.SetCookie {
						if d := o.CookieExpires.Sub(started); d < time.Minute-time.Second || d > time.Minute+5*time.Second {
							t.Errorf("%s: the cookie expires in %v, want maxAge (1m) from now", o.Label, d)
						}
					}
				}
				if got := strings.Join(writes, " / "); got != storeWrite(row.write, storeName) {
					t.Errorf("store writes %q, want %q (from %q)", got, storeWrite(row.write, storeName), row.write)
				}
				if got := strings.Join(cookies, " / "); got != row.cookie {
					t.Errorf("Set-Cookie %q, want %q", got, row.cookie)
				}
				stored := "none"
				switch {
				case res.Document == "":
				case res.Stored == "":
					stored = "empty"
				case res.Stored == before:
					stored = "before"
				case res.Stored == res.Set:
					stored = "new"
				}
				if stored != row.stored {
					t.Errorf("stored value is %q (%q; before %q, set %q), want %s", stored, res.Stored, before, res.Set, row.stored)
				}
			})
		}
	}
}

// storeWrite is the expected write on this store: connect-mongodb-session has no touch.
func storeWrite(want, storeName string) string {
	if storeName == StoreMongoDB {
		return strings.ReplaceAll(want, "touch", "-")
	}
	return want
}

// observedWrite reads the write off the commands the store really sent, and checks that the
// decision the Outcome names agrees with them.
func observedWrite(t *testing.T, storeName string, o Outcome) string {
	t.Helper()
	got := "-"
	for _, c := range o.Commands {
		switch {
		case c.Name == "MemoryStore.set", c.Name == "update" && strings.Contains(c.Detail, `"$set"`) && strings.Contains(c.Detail, "upsert: true"):
			got = "set"
		case c.Name == "MemoryStore.touch":
			got = "touch"
		case c.Name == "update", c.Name == "insert", c.Name == "delete":
			t.Errorf("%s: unexpected write %+v", o.Label, c)
		}
		if storeName == StoreMongoDB && c.Collection != "lessonSandboxSessions" {
			t.Errorf("%s: command %s on %q, not the sandbox's collection", o.Label, c.Name, c.Collection)
		}
	}
	want := map[Write]string{WriteSet: "set", WriteTouch: "touch", WriteNone: "-"}[o.Write]
	if got != want {
		t.Errorf("%s: the outcome says %s but the commands were %+v", o.Label, o.Write, o.Commands)
	}
	return got
}

// TestAnExpiredSessionIsDeletedWhenRead: connect-mongodb-session's get deletes an expired
// document (FerretDB has no TTL index to do it), and MemoryStore's get drops it; the request
// then starts a new session.
func TestAnExpiredSessionIsDeletedWhenRead(t *testing.T) {
	sb := newTestSandbox(t)
	ctx := context.Background()
	opts := Options{MaxAge: time.Minute}
	for _, storeName := range []string{StoreMemory, StoreMongoDB} {
		first, err := sb.Run(ctx, storeName, opts, ActionSet, "")
		if err != nil {
			t.Fatal(err)
		}
		later := func() time.Time { return time.Now().Add(2 * time.Minute) }
		sb.Mongo.now, sb.Memory.now = later, later
		res, err := sb.Run(ctx, storeName, opts, ActionNothing, first.Cookie.Value)
		sb.Mongo.now, sb.Memory.now = time.Now, time.Now
		if err != nil {
			t.Fatal(err)
		}
		o := res.Requests[0]
		if o.Loaded != LoadedNotFound {
			t.Errorf("%s: loaded %q, want a new session", storeName, o.Loaded)
		}
		var got []string
		for _, c := range o.Commands {
			got = append(got, c.Name+" → "+c.Result)
		}
		want := map[string]string{StoreMongoDB: "find → 1 document, delete → deleted 1", StoreMemory: "MemoryStore.get → expired: deleted"}[storeName]
		if strings.Join(got, ", ") != want {
			t.Errorf("%s: commands %q, want %q", storeName, got, want)
		}
		if doc, _ := sb.store(storeName).Document(ctx, first.ID); doc != "" {
			t.Errorf("%s: the expired session is still stored: %s", storeName, doc)
		}
	}
}

// TestStoresKeepAtMostMaxSessions: a full store first drops its expired sessions; if none has
// expired, the one closest to expiry makes room. Nobody can grow the sandbox without bound.
func TestStoresKeepAtMostMaxSessions(t *testing.T) {
	sb := newTestSandbox(t)
	ctx := context.Background()
	now := time.Now()
	fill := func(expired int) {
		sb.Memory.Clear()
		if err := sb.Mongo.coll.Drop(ctx); err != nil {
			t.Fatal(err)
		}
		docs := make([]any, MaxSessions)
		for i := range MaxSessions {
			exp := now.Add(10*time.Minute + time.Duration(i)*time.Second) // none expires during the test
			if i < expired {
				exp = now.Add(-time.Minute)
			}
			s := &Session{Data: map[string]string{}, Cookie: Cookie{OriginalMaxAge: time.Minute, Expires: exp}}
			id := fmt.Sprintf("filler-%03d", i)
			docs[i] = bson.D{{Key: "_id", Value: id}, {Key: "session", Value: storedSession(s)}, {Key: "expires", Value: exp}}
			sb.Memory.sessions[id] = sessionJSON(s)
		}
		if _, err := sb.Mongo.coll.InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	count := func(storeName string) int {
		if storeName == StoreMemory {
			return sb.Memory.Len()
		}
		n, err := sb.Mongo.coll.CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	for _, storeName := range []string{StoreMemory, StoreMongoDB} {
		fill(10)
		if _, err := sb.Run(ctx, storeName, Options{MaxAge: time.Minute}, ActionSet, ""); err != nil {
			t.Fatal(err)
		}
		if n := count(storeName); n != MaxSessions-10+1 {
			t.Errorf("%s with 10 expired: %d sessions after a new one, want %d", storeName, n, MaxSessions-10+1)
		}

		fill(0)
		if _, err := sb.Run(ctx, storeName, Options{MaxAge: time.Minute}, ActionSet, ""); err != nil {
			t.Fatal(err)
		}
		if n := count(storeName); n != MaxSessions {
			t.Errorf("%s when full: %d sessions after a new one, want %d", storeName, n, MaxSessions)
		}
		if doc, _ := sb.store(storeName).Document(ctx, "filler-000"); doc != "" {
			t.Errorf("%s when full: the session closest to expiry was kept", storeName)
		}
		if doc, _ := sb.store(storeName).Document(ctx, "filler-001"); doc == "" {
			t.Errorf("%s when full: more than one session was evicted", storeName)
		}
	}
}
