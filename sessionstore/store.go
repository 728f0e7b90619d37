// Package sessionstore is Gin Shop's session: gin-contrib/sessions' interface, kept in MongoDB
// (or, for the lesson's first step, in the process's memory).
//
// It is the Go counterpart of the Node course's
//
//	app.use(session({secret, resave: false, saveUninitialized: false,
//	    store: new MongoDBStore({uri, collection: 'sessions'})}))
//
// Cookies are signed like express-session's (cookie-signature), and documents look like
// connect-mongodb-session's: {_id, expires, session: {cookie: {...}, ...values}}, plus a
// createdAt used for the absolute timeout. A session is stored only once it has values,
// a save writes only the keys the request changed, and an unchanged session's expiry is
// extended ("touched") at most once per Config.TouchAfter without rewriting its values.
//
// Reading the session path (the README's "Reading the session path" walks through it):
//
//	middleware.go  Middleware: load once per request (one find by _id); Regenerate (login), Destroy (logout)
//	session.go     Session: what sessions.Default(c) returns (Get, Set, AddFlash, Save)
//	save.go        Save: insert a new session, or $set / $unset only what changed; destroy, regenerate
//	cookie.go      the signed cookie: reading it (cookie-signature), session ids, Set-Cookie
//	keys.go        every key the app keeps in a session
//	store.go       the Store and its Config: new MongoDBStore({uri, collection})
//
// And beside it: codec.go (values <-> readable BSON), expiry.go (timeouts, TTL index,
// sweeping), backend.go (the collection; memory.go: a map for SESSION_STORE=memory),
// trace.go (what the lesson pages show happened), lab.go (what the session lab reads).
package sessionstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrUnavailable wraps every database failure, so the app can answer 503 with errors.Is.
var ErrUnavailable = errors.New("sessionstore: session database unavailable")

// Config configures a Store. Name, Secrets, IdleTimeout and AbsoluteTimeout are required.
type Config struct {
	Name            string           // the cookie's name: connect.sid
	Secrets         []string         // first signs, all verify (rotation); at least one, non-empty
	IdleTimeout     time.Duration    // session ends after this long without a request (cookie Max-Age too)
	AbsoluteTimeout time.Duration    // session ends this long after it was created (login regenerates it)
	TouchAfter      time.Duration    // min interval between expiry extensions of an unchanged session; 0 → a minute (less for short idle timeouts)
	Secure          bool             // Secure cookie attribute (production)
	OpTimeout       time.Duration    // per database operation, on top of the request context; 0 → 2s
	SweepTimeout    time.Duration    // one sweep of expired sessions (a whole-collection read on FerretDB); 0 → 2 minutes
	Now             func() time.Time // nil → time.Now; tests inject a clock
	MemoryCap       int              // NewMemory only: most sessions kept; 0 → 10,000
	// Reads is the same collection through the pooled read client (database.DB.Reads), for
	// loading sessions; nil → the collection given to New. Writes always use that one.
	Reads *mongo.Collection
}

// Store loads and saves sessions: connect-mongodb-session's MongoDBStore, or (NewMemory)
// express-session's MemoryStore.
type Store struct {
	docs backend
	cfg  Config
}

// New returns a Store writing to coll (the app passes the "sessions" collection):
// new MongoDBStore({uri, collection: 'sessions'}).
func New(coll *mongo.Collection, cfg Config) (*Store, error) {
	if coll == nil {
		return nil, errors.New("sessionstore: nil collection")
	}
	reads := cfg.Reads
	if reads == nil {
		reads = coll
	}
	return newStore(collection{coll: coll, reads: reads}, cfg)
}

func newStore(docs backend, cfg Config) (*Store, error) {
	if cfg.Name == "" {
		cfg.Name = "connect.sid"
	}
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("sessionstore: at least one secret is required")
	}
	for i, s := range cfg.Secrets {
		if s == "" {
			return nil, fmt.Errorf("sessionstore: secret %d is empty", i)
		}
	}
	cfg.Secrets = append([]string(nil), cfg.Secrets...)
	if cfg.IdleTimeout < time.Second {
		return nil, errors.New("sessionstore: IdleTimeout must be at least 1s")
	}
	if cfg.AbsoluteTimeout <= 0 {
		return nil, errors.New("sessionstore: AbsoluteTimeout must be positive")
	}
	if cfg.TouchAfter == 0 {
		// A minute, like connect-mongo's touchAfter, but never more than a tenth of a short
		// idle timeout: SESSION_IDLE_TIMEOUT=1m must work too.
		cfg.TouchAfter = min(time.Minute, cfg.IdleTimeout/10)
	}
	if cfg.TouchAfter < 0 || cfg.TouchAfter >= cfg.IdleTimeout {
		return nil, errors.New("sessionstore: TouchAfter must be positive and shorter than IdleTimeout")
	}
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = 2 * time.Second
	}
	if cfg.SweepTimeout == 0 {
		cfg.SweepTimeout = 2 * time.Minute // reading 100,000 sessions takes seconds on the embedded server
	}
	if cfg.OpTimeout < 0 {
		return nil, errors.New("sessionstore: OpTimeout must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{docs: docs, cfg: cfg}, nil
}

// Name is the session cookie's name.
func (s *Store) Name() string { return s.cfg.Name }

// storedSession is the part of a document the store reads back.
type storedSession struct {
	Expires   time.Time `bson:"expires"`
	CreatedAt time.Time `bson:"createdAt"`
	Session   bson.Raw  `bson:"session"`
}

// DeleteUserSessions ends every session of the user except exceptID (e.g. after a
// password reset).
func (s *Store) DeleteUserSessions(ctx context.Context, userID bson.ObjectID, exceptID string) (int64, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	n, err := s.docs.deleteUser(ctx, userID, exceptID)
	if err != nil {
		return 0, unavailable("delete user sessions", err)
	}
	return n, nil
}

// document builds a new stored document, shaped like connect-mongodb-session's.
func (s *Store) document(id string, createdAt, expires time.Time, values bson.D) bson.D {
	cookie := bson.D{ // express-session's req.session.cookie, serialised
		{Key: "originalMaxAge", Value: s.cfg.IdleTimeout.Milliseconds()},
		{Key: "expires", Value: expires},
		{Key: "httpOnly", Value: true},
		{Key: "path", Value: "/"},
		{Key: "sameSite", Value: "lax"},
		{Key: "secure", Value: s.cfg.Secure},
	}
	session := append(bson.D{{Key: cookieKey, Value: cookie}}, values...)
	return bson.D{
		{Key: "_id", Value: id},
		{Key: "expires", Value: expires},
		{Key: "createdAt", Value: createdAt},
		{Key: "session", Value: session},
	}
}

// opContext bounds one database operation, on top of the request's own deadline.
func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.OpTimeout)
}

func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
