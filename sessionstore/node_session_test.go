package sessionstore

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Documents as the Node course app writes them (express-session + connect-mongodb-session +
// connect-flash + a whole mongoose user in req.session.user), put in the collection directly.
// interop/ runs the real Express app against the real app; these pin the store's rules.

// expressDocument is a session connect-mongodb-session would store: no createdAt, the cookie
// with express-session's nulls, int32 numbers, and session.user the whole user document.
func expressDocument(id string, expires time.Time, extra ...bson.E) bson.D {
	userID := bson.NewObjectID()
	session := bson.D{
		{Key: "cookie", Value: bson.D{
			{Key: "originalMaxAge", Value: int32(3600000)},
			{Key: "partitioned", Value: nil},
			{Key: "priority", Value: nil},
			{Key: "expires", Value: expires},
			{Key: "secure", Value: nil},
			{Key: "httpOnly", Value: true},
			{Key: "domain", Value: nil},
			{Key: "path", Value: "/"},
			{Key: "sameSite", Value: nil},
		}},
		{Key: "csrfSecret", Value: "r4nD0m-csurf-secret"},
		{Key: "flash", Value: bson.D{}},
		{Key: "isLoggedIn", Value: true},
		{Key: "user", Value: bson.D{
			{Key: "_id", Value: userID},
			{Key: "email", Value: "Mixed.Case@Example.test"},
			{Key: "password", Value: "$2a$12$abcdefghijklmnopqrstuuJ0123456789abcdefghijklmnopqrs"},
			{Key: "cart", Value: bson.D{{Key: "items", Value: bson.A{
				bson.D{{Key: "productId", Value: bson.NewObjectID()}, {Key: "quantity", Value: int32(2)}, {Key: "_id", Value: bson.NewObjectID()}},
			}}}},
			{Key: "__v", Value: int32(0)},
		}},
	}
	session = append(session, extra...)
	return bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: expires}, {Key: "session", Value: session}}
}

// insertExpressSession stores doc and returns the cookie express-session would have set.
func (e *testEnv) insertExpressSession(doc bson.D) *http.Cookie {
	e.t.Helper()
	if _, err := e.coll.InsertOne(context.Background(), doc); err != nil {
		e.t.Fatal(err)
	}
	id := doc[0].Value.(string)
	return &http.Cookie{Name: cookieName, Value: encodeCookieValue(id, e.store.cfg.Secrets[0])}
}

// expressID is an id like express-session's uid-safe(24): 32 URL-safe characters.
const expressID = "Xy3_kP9-qLm2Vb7Rt5Nw8Zc1Hd4Jf6Gs"

func TestExpressSessionWithoutCreatedAtIsKeptAndItsStartRecorded(t *testing.T) {
	env := newTestEnv(t)
	// The Node app's cookie maxAge is 48 h, longer than the absolute timeout, so only the
	// absolute timeout can end it. Saved by Express 10 minutes ago.
	expires := env.store.now().Add(48*time.Hour - 10*time.Minute)
	doc := expressDocument(expressID, expires)
	setCookieField(doc, "originalMaxAge", int32(48*time.Hour/time.Millisecond))
	cookie := env.insertExpressSession(doc)

	sess := env.get(cookie)
	if sess.ID() != expressID || sess.Get("isLoggedIn") != true {
		t.Fatalf("the Express session was not loaded: id=%q isLoggedIn=%v", sess.ID(), sess.Get("isLoggedIn"))
	}
	stored := env.doc(expressID)
	if stored == nil {
		t.Fatal("the Express session was deleted")
	}
	// Its start is the last Express save: expires − originalMaxAge.
	created, ok := stored.Lookup("createdAt").TimeOK()
	if want := expires.Add(-48 * time.Hour); !ok || !created.Equal(want) {
		t.Fatalf("createdAt = %v (%v), want %v", created, ok, want)
	}

	// The absolute timeout counts from that start, not from each request.
	env.clock.Advance(23*time.Hour + 49*time.Minute)
	if sess := env.get(cookie); sess.ID() != expressID {
		t.Fatal("session ended before its absolute timeout")
	}
	env.clock.Advance(2 * time.Minute)
	if sess := env.get(cookie); sess.ID() != "" {
		t.Fatal("session outlived its absolute timeout")
	}
}

// setCookieField sets session.cookie.<key> in an expressDocument.
func setCookieField(doc bson.D, key string, value any) {
	cookie := doc[2].Value.(bson.D)[0].Value.(bson.D)
	for i := range cookie {
		if cookie[i].Key == key {
			cookie[i].Value = value
		}
	}
}

func TestExpressSessionWithoutMaxAgeStartsWhenFirstSeen(t *testing.T) {
	env := newTestEnv(t)
	// The course sets no cookie maxAge: originalMaxAge null, expires two weeks ahead.
	doc := expressDocument(expressID, env.store.now().Add(14*24*time.Hour))
	setCookieField(doc, "originalMaxAge", nil)
	cookie := env.insertExpressSession(doc)
	if sess := env.get(cookie); sess.ID() != expressID {
		t.Fatal("the Express session was not loaded")
	}
	if created, ok := env.doc(expressID).Lookup("createdAt").TimeOK(); !ok || !created.Equal(env.store.now()) {
		t.Fatalf("createdAt = %v (%v), want now", created, ok)
	}
}

func TestExpiredExpressSessionIsStillDeleted(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.insertExpressSession(expressDocument(expressID, env.store.now().Add(-time.Second)))
	if sess := env.get(cookie); sess.ID() != "" {
		t.Fatal("an expired Express session was loaded")
	}
	if env.doc(expressID) != nil {
		t.Fatal("the expired session is still stored")
	}
}

func TestExpressSessionFieldsSurviveRewritesByteForByte(t *testing.T) {
	env := newTestEnv(t)
	extra := []bson.E{
		{Key: "avatar", Value: bson.Binary{Subtype: 0, Data: []byte{0, 1, 2, 0xff}}},
		{Key: "pattern", Value: bson.Regex{Pattern: "^a.*z$", Options: "i"}},
		{Key: "seen", Value: bson.Timestamp{T: 1700000000, I: 3}},
		{Key: "nested", Value: bson.D{{Key: "id", Value: bson.Binary{Subtype: 4, Data: bytes.Repeat([]byte{7}, 16)}}, {Key: "n", Value: int32(5)}}},
	}
	// (No decimal128: FerretDB v1 refuses to store it; the codec treats it like these.)
	doc := expressDocument(expressID, env.store.now().Add(50*time.Minute), extra...)
	doc = append(doc, bson.E{Key: "migratedBy", Value: "node"}) // a top-level field of another app
	cookie := env.insertExpressSession(doc)
	before := env.doc(expressID)
	if before == nil {
		t.Fatal("insert failed")
	}

	// Several Gin Shop requests: one changes a value, later ones read and touch it.
	for i := range 5 {
		_, sess := env.visit(cookie, func(s *Session) {
			if s.ID() == "" {
				t.Fatalf("request %d: an unknown BSON type logged the visitor out", i)
			}
			if i == 0 {
				s.Set("lesson", "set by Gin Shop")
			}
		})
		if sess.ID() != expressID {
			t.Fatalf("request %d: session id changed to %q", i, sess.ID())
		}
		env.clock.Advance(2 * time.Minute)
	}

	after := env.doc(expressID)
	if got, _ := after.Lookup("session", "lesson").StringValueOK(); got != "set by Gin Shop" {
		t.Fatalf("Gin Shop's own value is missing: %s", after)
	}
	if got, _ := after.Lookup("migratedBy").StringValueOK(); got != "node" {
		t.Fatalf("a top-level field of the other app was lost: %s", after)
	}
	elems, err := before.Lookup("session").Document().Elements()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range elems {
		if e.Key() != "cookie" {
			continue
		}
		// express-session's cookie keeps its int32 maxAge and its nulls: a save or a touch
		// moves its expires and nothing else.
		cookieElems, err := e.Value().Document().Elements()
		if err != nil {
			t.Fatal(err)
		}
		for _, ce := range cookieElems {
			got, err := after.LookupErr("session", "cookie", ce.Key())
			if ce.Key() == "expires" {
				continue
			}
			if err != nil || got.Type != ce.Value().Type || !bytes.Equal(got.Value, ce.Value().Value) {
				t.Errorf("session.cookie.%s changed: %s → %s (%v)", ce.Key(), ce.Value(), got, err)
			}
		}
	}
	for _, e := range elems {
		if e.Key() == "cookie" {
			continue // compared field by field below: only expires moves
		}
		got, err := after.LookupErr("session", e.Key())
		if err != nil {
			t.Errorf("session.%s was dropped", e.Key())
			continue
		}
		if got.Type != e.Value().Type || !bytes.Equal(got.Value, e.Value().Value) {
			t.Errorf("session.%s changed: %s (%s) → %s (%s)", e.Key(), e.Value(), e.Value().Type, got, got.Type)
		}
	}
}

func TestUntouchedExpressSessionIsNotRewritten(t *testing.T) {
	env := newTestEnv(t)
	cookie := env.insertExpressSession(expressDocument(expressID, env.store.now().Add(50*time.Minute)))
	env.get(cookie) // first sight records createdAt
	env.cmds.Reset()
	_, sess := env.visit(cookie, nil)
	if sess.ID() != expressID {
		t.Fatal("session not loaded")
	}
	if n := env.cmds.Writes(); n != 0 {
		t.Fatalf("%d writes for a request that changed nothing (int32s, flash: {} and the whole user must read back as stored)", n)
	}
}

func TestConnectFlashMessagesAreReadAndWrittenByType(t *testing.T) {
	env := newTestEnv(t)
	flash := bson.E{Key: "flash", Value: bson.D{
		{Key: "error", Value: bson.A{"Invalid email or password."}},
		{Key: "info", Value: bson.A{"Welcome back."}},
		{Key: "custom", Value: bson.A{"kept for Node"}},
	}}
	doc := expressDocument(expressID, env.store.now().Add(50*time.Minute))
	session := doc[2].Value.(bson.D)
	for i := range session {
		if session[i].Key == "flash" {
			session[i] = flash
		}
	}
	cookie := env.insertExpressSession(doc)

	env.visit(cookie, func(s *Session) {
		if f := s.Flashes("error"); len(f) != 1 || f[0] != "Invalid email or password." {
			t.Errorf("error flashes = %v", f)
		}
		if f := s.Flashes(); len(f) != 1 || f[0] != "Welcome back." {
			t.Errorf("info flashes (connect-flash's default type) = %v", f)
		}
		s.AddFlash("Product added.", "success") // req.flash('success', ...)
	})
	stored := env.doc(expressID).Lookup("session", "flash").Document()
	for _, read := range []string{"error", "info"} {
		if _, err := stored.LookupErr(read); err == nil {
			t.Errorf("a read flash type (%s) is still stored: %s", read, stored)
		}
	}
	if got, _ := stored.Lookup("success", "0").StringValueOK(); got != "Product added." {
		t.Errorf("flash.success = %s", stored)
	}
	if got, _ := stored.Lookup("custom", "0").StringValueOK(); got != "kept for Node" {
		t.Errorf("an unread flash type was lost: %s", stored)
	}
}

func TestTypesWithoutAGoValueComeBackAsStored(t *testing.T) {
	// Decoded and encoded without a server, because FerretDB v1 cannot store decimal128.
	price, err := bson.ParseDecimal128("19.99")
	if err != nil {
		t.Fatal(err)
	}
	session, err := bson.Marshal(bson.D{
		{Key: "cookie", Value: bson.D{{Key: "path", Value: "/"}}},
		{Key: "price", Value: price},
		{Key: "code", Value: bson.JavaScript("function(){}")},
		{Key: "user", Value: bson.D{{Key: "email", Value: "a@b.c"}, {Key: "avatar", Value: bson.Binary{Data: []byte{1}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	values, _, err := decodeValues(session)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if _, ok := values["price"].(bson.RawValue); !ok {
		t.Fatalf("price decoded as %T", values["price"])
	}
	values["user"].(map[string]any)["email"] = "changed@b.c" // a changed map keeps its unknown values
	doc, err := encodeFields(values)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := bson.Raw(session)
	for _, key := range []string{"price", "code"} {
		if got := bson.Raw(raw).Lookup(key); !bytes.Equal(got.Value, want.Lookup(key).Value) || got.Type != want.Lookup(key).Type {
			t.Errorf("%s: %s, want %s", key, got, want.Lookup(key))
		}
	}
	if got := bson.Raw(raw).Lookup("user", "avatar"); got.Type != bson.TypeBinary || !bytes.Equal(got.Value, want.Lookup("user", "avatar").Value) {
		t.Errorf("user.avatar: %s", got)
	}
}
