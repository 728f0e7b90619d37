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
// Reading the session path (docs/COURSE.md walks through it):
//
//	middleware.go  Middleware: load once per request; Regenerate (login), Destroy (logout)
//	session.go     Session: what sessions.Default(c) returns (Get, Set, AddFlash, Save)
//	store.go       load a document by _id, and save what changed
//	cookie.go      the signed cookie: reading it (cookie-signature), session ids, Set-Cookie
//	keys.go        every key the app keeps in a session
//
// And beside it: codec.go (values <-> readable BSON), expiry.go (timeouts, TTL index,
// sweeping), backend.go (the collection; memory.go: a map for SESSION_STORE=memory),
// trace.go (what the lesson pages show happened), lab.go (what the session lab reads).
package sessionstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
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

// load returns the session the request's cookie names, or a new empty one when there is no
// valid cookie or no live document for it. On a database failure it returns a new session and
// an error wrapping ErrUnavailable; any other error means the stored document could not be
// decoded (the new session is still usable).
func (s *Store) load(r *http.Request, w http.ResponseWriter, trace *Trace) (*Session, error) {
	sess := s.newSession(r.Context(), w)
	sess.trace = trace
	c, err := r.Cookie(s.cfg.Name)
	if err != nil {
		trace.loaded(LoadNew, "the browser sent no "+s.cfg.Name+" cookie")
		return sess, nil
	}
	// Like express-session: a cookie that is unsigned, tampered with or signed with an
	// unknown secret is simply ignored, and the request gets a new session.
	id, ok := decodeCookieValue(c.Value, s.cfg.Secrets)
	if !ok {
		trace.loaded(LoadRefused, "the cookie's signature does not match the secret: someone changed it")
		return sess, nil
	}
	return sess, s.loadDocument(sess, id)
}

// loadDocument fills sess from the document id, touching its expiry when due. On any failure
// sess stays new and empty, so the request is anonymous.
func (s *Store) loadDocument(sess *Session, id string) error {
	ctx, cancel := s.opContext(sess.ctx)
	defer cancel()

	raw, err := s.docs.find(ctx, id)
	if errors.Is(err, errNoDocument) {
		sess.trace.loaded(LoadRefused, "no session document has this id (destroyed, regenerated, or never stored)")
		return nil
	} else if err != nil {
		return unavailable("load session", err)
	}
	var doc storedSession
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("sessionstore: malformed session document: %w", err)
	}

	now := s.now()
	createdAt, known := s.startOf(doc, now)
	if s.expired(createdAt, doc.Expires, now) {
		// Delete it now (the server may have no TTL index). A failure is harmless: the
		// document stays unusable and the sweeper retries.
		sess.trace.loaded(LoadRefused, "the session has expired: its document is deleted")
		_ = s.docs.delete(ctx, id)
		return nil
	}
	values, loaded, err := decodeValues(doc.Session)
	if err != nil {
		return err
	}
	if !known {
		// Written by express-session (connect-mongodb-session stores no createdAt): remember
		// the start once, so the absolute timeout counts from it and not from every request.
		if err := s.docs.recordStart(ctx, id, createdAt); err != nil {
			return unavailable("record session start", err)
		}
	}
	sess.id, sess.values, sess.loaded = id, values, loaded
	sess.createdAt, sess.expires = createdAt, doc.Expires
	sess.idle = s.idleOf(doc)
	maxAge := doc.Session.Lookup(cookieKey, "originalMaxAge").Type
	sess.browserSession = maxAge == bson.TypeNull || maxAge == bson.TypeUndefined
	sess.trace.loaded(LoadFound, "the signature matched and the document was found by its _id")

	// Touch (connect-mongo's touchAfter): extend the expiry only if the last extension is
	// older than TouchAfter, with one small update instead of rewriting the values.
	if doc.Expires.Before(now.Add(sess.idle - s.cfg.TouchAfter)) {
		if next := s.expiry(sess, now); next.After(doc.Expires) {
			matched, err := s.docs.touch(ctx, id, next, !sess.browserSession)
			if err != nil {
				return unavailable("touch session", err)
			}
			if !matched {
				sess.reset() // deleted since the read (logout elsewhere)
				return nil
			}
			sess.trace.decided("only expires touched: the session was used, its expiry moves on (at most once per " + s.cfg.TouchAfter.String() + ")")
			sess.expires = next
			sess.refresh = true
		}
	}
	return nil
}

// save stores what the request changed and sets the cookie (req.session.save()):
//   - a new session without values is not stored (saveUninitialized: false);
//   - a stored session is written only when a key changed (resave: false), and then only the
//     changed keys: $set session.<key> for a new value, $unset session.<key> for a deleted one.
func (s *Store) save(sess *Session) error {
	ctx, cancel := s.opContext(sess.ctx)
	defer cancel()
	now := s.now()

	if sess.id == "" {
		if !sess.hasValues() {
			if len(sess.dirty) > 0 || sess.trace != nil {
				sess.trace.decided("not stored: the session is new and holds nothing (saveUninitialized: false)")
			}
			return nil
		}
		values, err := encodeFields(sess.values)
		if err != nil {
			return err
		}
		// A new id every time a session is first stored: a presented (maybe stale or forged)
		// id is never reused. InsertOne cannot overwrite another session.
		id := newID()
		sess.createdAt = now
		expires := s.expiry(sess, now)
		if err := s.docs.insert(ctx, id, s.document(id, now, expires, values)); err != nil {
			return unavailable("insert session", err)
		}
		sess.trace.decided("inserted: something was put in a new session, so it is stored (and the cookie sent)")
		sess.id, sess.expires = id, expires
		if err := s.remember(sess, values); err != nil {
			return err
		}
		s.writeCookie(sess)
		return nil
	}

	set, unset, changed, err := s.changes(sess)
	if err != nil {
		return err
	}
	if len(set) == 0 && len(unset) == 0 {
		if sess.refresh {
			s.writeCookie(sess) // touched on load and not yet re-sent
		}
		return nil
	}
	expires := s.expiry(sess, now)
	if expires.Before(sess.expires) {
		expires = sess.expires // never shorten a session another app gave longer
	}
	set = append(set, bson.E{Key: "expires", Value: expires})
	if !sess.browserSession { // a browser-session cookie's description keeps expires: null
		set = append(set, bson.E{Key: "session.cookie.expires", Value: expires})
	}
	// No upsert: if the document was deleted meanwhile (logout in another tab, password
	// reset ending all sessions), the session must stay dead.
	matched, err := s.docs.update(ctx, sess.id, set, unset)
	if err != nil {
		return unavailable("save session", err)
	}
	if !matched {
		sess.trace.decided("not written: the document is gone (destroyed elsewhere); the cookie is expired")
		s.expireCookie(sess.w)
		sess.reset()
		return nil
	}
	sess.trace.decided("updated: the request changed " + joinKeys(changed) + ", so only that is written")
	sess.expires = expires
	clear(sess.dirty)
	s.writeCookie(sess)
	return nil
}

// changes is the $set and $unset a save needs: the dirty keys whose value differs from the
// loaded one.
func (s *Store) changes(sess *Session) (set bson.D, unset []string, changed []string, err error) {
	for k := range sess.dirty {
		v, present := sess.values[k]
		if !present {
			if _, stored := sess.loaded[k]; stored {
				unset = append(unset, "session."+k)
				changed = append(changed, k)
				delete(sess.loaded, k)
			}
			continue
		}
		ev, err := encodeField(k, v)
		if err != nil {
			return nil, nil, nil, err
		}
		b, err := fieldBytes(k, ev)
		if err != nil {
			return nil, nil, nil, err
		}
		if string(b) == string(sess.loaded[k]) {
			continue
		}
		if subSet, subUnset, ok := subChanges(k, sess.loaded[k], ev); ok {
			// Both the stored and the new value are documents (session.lesson, flash): write
			// only the sub-keys that changed, so parallel requests that each add a lesson
			// value or a flash of another type keep both.
			set, unset = append(set, subSet...), append(unset, subUnset...)
		} else {
			set = append(set, bson.E{Key: "session." + k, Value: ev})
		}
		changed = append(changed, k)
		sess.loaded[k] = b
	}
	slices.Sort(changed)
	slices.Sort(unset)
	slices.SortFunc(set, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return set, unset, changed, nil
}

// subChanges compares a document value with the one loaded (loaded holds {k: value} as BSON,
// nil when k was not stored), sub-key by sub-key: $set for new or changed sub-keys, $unset for
// removed ones. Parallel requests that each add a lesson value or a flash of another type keep
// both, even when the document did not exist yet (MongoDB creates the parent). ok is false when
// a whole-value $set is needed: the value is not a document, the stored one was not a
// document, or the value is an empty document where none was stored.
func subChanges(k string, loaded []byte, ev any) (set bson.D, unset []string, ok bool) {
	newDoc, isDoc := ev.(bson.D)
	if !isDoc {
		return nil, nil, false
	}
	oldBytes := map[string][]byte{}
	if loaded != nil {
		old, isOld := bson.Raw(loaded).Lookup(k).DocumentOK()
		if !isOld {
			return nil, nil, false
		}
		elems, err := old.Elements()
		if err != nil {
			return nil, nil, false
		}
		for _, e := range elems {
			b, err := fieldBytes(e.Key(), e.Value())
			if err != nil {
				return nil, nil, false
			}
			oldBytes[e.Key()] = b
		}
	}
	if len(newDoc) == 0 && len(oldBytes) == 0 {
		return nil, nil, false
	}
	prefix := "session." + k + "."
	for _, e := range newDoc {
		b, err := fieldBytes(e.Key, e.Value)
		if err != nil {
			return nil, nil, false
		}
		if string(b) != string(oldBytes[e.Key]) {
			set = append(set, bson.E{Key: prefix + e.Key, Value: e.Value})
		}
		delete(oldBytes, e.Key)
	}
	for sub := range oldBytes {
		unset = append(unset, prefix+sub)
	}
	return set, unset, true
}

// remember records the stored values as loaded, after an insert.
func (s *Store) remember(sess *Session, values bson.D) error {
	clear(sess.dirty)
	clear(sess.loaded)
	for _, e := range values {
		b, err := fieldBytes(e.Key, e.Value)
		if err != nil {
			return err
		}
		sess.loaded[e.Key] = b
	}
	return nil
}

// destroy deletes the session's document and expires its cookie: req.session.destroy() and
// res.clearCookie().
func (s *Store) destroy(sess *Session) error {
	var err error
	if sess.id != "" {
		ctx, cancel := s.opContext(sess.ctx)
		defer cancel()
		if derr := s.docs.delete(ctx, sess.id); derr != nil {
			err = unavailable("delete session", derr)
		} else {
			sess.trace.decided("deleted by destroy: the document is gone and the cookie expired")
		}
	}
	// Expire the cookie even if the delete failed: the browser forgets the id either way.
	s.expireCookie(sess.w)
	sess.reset()
	return err
}

// regenerate deletes the session's document and empties it; the next save stores it under a
// new id (req.session.regenerate()).
func (s *Store) regenerate(sess *Session) error {
	if sess.id != "" {
		ctx, cancel := s.opContext(sess.ctx)
		defer cancel()
		if err := s.docs.delete(ctx, sess.id); err != nil {
			return unavailable("delete old session", err)
		}
		sess.trace.decided("regenerated: the old document is deleted; the values go under a new id")
	}
	sess.reset()
	return nil
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
