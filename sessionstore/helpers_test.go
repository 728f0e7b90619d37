package sessionstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/apptest/testserver"
)

// testURI is the embedded FerretDB every test of the package talks to.
var testURI string

const cookieName = "connect.sid"

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	gin.SetMode(gin.TestMode)

	server, err := testserver.StartTemp()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start FerretDB:", err)
		return 1
	}
	defer server.Stop()
	// One connection per client, as the app uses it.
	testURI = "mongodb://" + server.Addr() + "/?maxPoolSize=1"
	return m.Run()
}

// testClock is an injectable clock for expiry tests.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// commandCounter counts the commands a client sends, by name ("find", "update", ...),
// and keeps the last one of each name.
type commandCounter struct {
	mu     sync.Mutex
	counts map[string]int
	last   map[string]bson.Raw
}

func newCommandCounter() *commandCounter {
	return &commandCounter{counts: map[string]int{}, last: map[string]bson.Raw{}}
}

func (c *commandCounter) started(_ context.Context, e *event.CommandStartedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[e.CommandName]++
	c.last[e.CommandName] = append(bson.Raw(nil), e.Command...)
}

// Last returns the last command of that name sent since the last Reset, or nil.
func (c *commandCounter) Last(name string) bson.Raw {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[name]
}

// Writes counts the commands that change documents.
func (c *commandCounter) Writes() int {
	return c.Count("insert") + c.Count("update") + c.Count("delete")
}

func (c *commandCounter) Count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[name]
}

func (c *commandCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.counts)
	clear(c.last)
}

// testEnv is one test's store, its own database, clock and command counter.
type testEnv struct {
	t     *testing.T
	store *Store
	coll  *mongo.Collection
	clock *testClock
	cmds  *commandCounter
}

func testConfig(clock *testClock) Config {
	return Config{
		Secrets:         []string{"test-secret"},
		IdleTimeout:     2 * time.Hour,
		AbsoluteTimeout: 24 * time.Hour,
		TouchAfter:      time.Minute,
		Now:             clock.Now,
	}
}

// newTestEnv gives the test a store on a database of its own (named after the test),
// dropped when the test ends. edit may change the configuration.
func newTestEnv(t *testing.T, edit ...func(*Config)) *testEnv {
	t.Helper()
	cmds := newCommandCounter()
	client, err := mongo.Connect(options.Client().ApplyURI(testURI).
		SetMonitor(&event.CommandMonitor{Started: cmds.started}))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(dbName(t))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	clock := newTestClock()
	cfg := testConfig(clock)
	for _, e := range edit {
		e(&cfg)
	}
	coll := db.Collection("sessions")
	store, err := New(coll, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, store: store, coll: coll, clock: clock, cmds: cmds}
}

// dbName turns the test name into a valid, unique database name.
func dbName(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 50 {
		h := fnv.New32a()
		h.Write([]byte(name))
		name = fmt.Sprintf("%s_%08x", name[:50], h.Sum32())
	}
	return name
}

// request is a new browser request carrying the given cookies.
func request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		if c != nil {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return r
}

// get loads the session as the Middleware does at the start of a request (store.load), failing
// the test on error. The session's response is a recorder nobody reads; save gives it another.
func (e *testEnv) get(cookie *http.Cookie) *Session {
	e.t.Helper()
	sess, err := e.store.load(request(cookie), httptest.NewRecorder(), nil)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return sess
}

// save saves sess as a handler's sessions.Default(c).Save() does, and returns the session
// cookie the response set, or nil.
func (e *testEnv) save(sess *Session) *http.Cookie {
	e.t.Helper()
	rec := httptest.NewRecorder()
	sess.w = rec
	if err := sess.Save(); err != nil {
		e.t.Fatalf("Save: %v", err)
	}
	return responseCookie(rec)
}

// visit is one request: load the session, let fn change it, save it.
// It returns the cookie set by the response (nil if none) and the session.
func (e *testEnv) visit(cookie *http.Cookie, fn func(*Session)) (*http.Cookie, *Session) {
	e.t.Helper()
	sess := e.get(cookie)
	if fn != nil {
		fn(sess)
	}
	return e.save(sess), sess
}

// login stores a new session holding values and returns its cookie.
func (e *testEnv) login(values map[string]any) *http.Cookie {
	e.t.Helper()
	c, _ := e.visit(nil, func(s *Session) {
		for k, v := range values {
			s.Set(k, v)
		}
	})
	if c == nil {
		e.t.Fatal("saving a session with values set no cookie")
	}
	return c
}

// serve sends one request through a gin engine that loads sessions with the store's
// Middleware, as the app's routes do, and handles it with handle (nil: an empty page).
// A database failure answers 503, as the app's sessionUnavailable does.
func (e *testEnv) serve(method string, cookie *http.Cookie, handle gin.HandlerFunc) *httptest.ResponseRecorder {
	e.t.Helper()
	return serveWith(e.store, func(c *gin.Context, err error) { c.AbortWithStatus(http.StatusServiceUnavailable) },
		method, cookie, handle)
}

// serveWith is serve with any store and unavailable function.
func serveWith(store *Store, unavailable func(*gin.Context, error), method string, cookie *http.Cookie, handle gin.HandlerFunc) *httptest.ResponseRecorder {
	r := gin.New()
	r.Use(store.Middleware(unavailable, nil))
	r.Handle(method, "/", func(c *gin.Context) {
		if handle != nil {
			handle(c)
		}
		if !c.Writer.Written() {
			c.Status(http.StatusOK)
		}
	})
	req := httptest.NewRequest(method, "/", nil)
	if cookie != nil {
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// doc returns the stored document of session id, or nil if there is none.
func (e *testEnv) doc(id string) bson.Raw {
	e.t.Helper()
	raw, err := e.coll.FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

func (e *testEnv) count() int64 {
	e.t.Helper()
	n, err := e.coll.CountDocuments(context.Background(), bson.D{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// idOf returns the session id inside a cookie signed with the test secret.
func (e *testEnv) idOf(c *http.Cookie) string {
	e.t.Helper()
	id, ok := decodeCookieValue(c.Value, e.store.cfg.Secrets)
	if !ok {
		e.t.Fatalf("cookie %q does not verify", c.Value)
	}
	return id
}

// responseCookie returns the session cookie a response set, or nil.
func responseCookie(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range (&http.Response{Header: rec.Header()}).Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	return nil
}

// setBehindTheStoresBack changes a field of a stored session without the store.
func setBehindTheStoresBack(t *testing.T, env *testEnv, id, field string, value any) {
	t.Helper()
	_, err := env.coll.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: value}}}})
	if err != nil {
		t.Fatal(err)
	}
}
