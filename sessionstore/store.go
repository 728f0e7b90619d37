// Package sessionstore keeps gin-contrib/sessions sessions in MongoDB (or, for the lesson's
// first step, in the process's memory).
//
// It is the Go counterpart of the Node course's
//
//	app.use(session({secret, resave: false, saveUninitialized: false,
//	    store: new MongoDBStore({uri, collection: 'sessions'})}))
//
// Cookies are signed like express-session's (cookie-signature), and documents look
// like connect-mongodb-session's: {_id, expires, session: {cookie: {...}, ...values}},
// plus a createdAt used for the absolute timeout. A session is stored only once it has
// values, rewritten only when its values changed, and its expiry is extended ("touched")
// at most once per Config.TouchAfter without rewriting its values.
//
// Where to read what:
//
//	store.go      loading a session (Get, New) and saving it (Save), destroy, Regenerate
//	login.go      Renew: the login step (regenerate, set, save) in one call
//	cookie.go     the Set-Cookie lines: writing, re-sending after a touch, expiring
//	expiry.go     idle and absolute timeouts, the TTL index and the sweeper
//	signature.go  the signed cookie value (cookie-signature) and session ids
//	codec.go      session values <-> the readable BSON fields of the document
//	backend.go    where documents live: the collection; memory.go: a map (SESSION_STORE=memory)
//	lab.go        what the session lab shows: the cookie taken apart, the raw document
package sessionstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-contrib/sessions"
	gsessions "github.com/gorilla/sessions"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrUnavailable wraps every database failure, so the app can answer 503 with errors.Is.
var ErrUnavailable = errors.New("sessionstore: session database unavailable")

// Config configures a Store. Secrets, IdleTimeout and AbsoluteTimeout are required.
type Config struct {
	Secrets         []string         // first signs, all verify (rotation); at least one, non-empty
	IdleTimeout     time.Duration    // session ends after this long without a request (cookie Max-Age too)
	AbsoluteTimeout time.Duration    // session ends this long after it was created (login regenerates it)
	TouchAfter      time.Duration    // min interval between expiry extensions of an unchanged session; 0 → 1 minute
	Secure          bool             // Secure cookie attribute (production)
	OpTimeout       time.Duration    // per database operation, on top of the request context; 0 → 2s
	Now             func() time.Time // nil → time.Now; tests inject a clock
	// Reads is the same collection through the pooled read client (database.DB.Reads), for
	// loading sessions; nil → the collection given to New. Writes always use that one.
	Reads *mongo.Collection
}

// Store is a gin-contrib/sessions Store backed by a MongoDB collection (or, with NewMemory,
// by a map in this process).
type Store struct {
	docs     backend
	cfg      Config
	defaults atomic.Pointer[gsessions.Options] // cookie options; replaced by Options()
}

var _ sessions.Store = (*Store)(nil)

// loadStateKey is the key, in sess.Values, of what the store remembers about the
// stored document. Its type is unexported, so handlers cannot reach it, and the codec
// skips it. gin-contrib's Clear() deletes it, which Save simply treats as "changed".
type loadStateKey struct{}

type loadState struct {
	createdAt time.Time // when the session (id) was created; start of the absolute timeout
	expires   time.Time // the expiry stored in the document right now
	saved     []byte    // canonical encoding of the values as stored, to detect changes
	refresh   bool      // the expiry was extended on load: the cookie must be re-sent
	stored    *stored   // the stored values as loaded, so a rewrite keeps what was not changed
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
		cfg.TouchAfter = time.Minute
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
	s := &Store{docs: docs, cfg: cfg}
	s.Options(sessions.Options{})
	return s, nil
}

// Options sets the store's cookie options (gin-contrib's store.Options). Whatever is
// passed, the session cookie keeps express-session's safe defaults: Path "/" when
// empty, SameSite Lax when unset, always HttpOnly, Secure when Config.Secure.
// MaxAge is ignored: the cookie lives as long as the session (IdleTimeout).
func (s *Store) Options(o sessions.Options) {
	g := o.ToGorillaOptions()
	if g.Path == "" {
		g.Path = "/"
	}
	if g.SameSite == 0 || g.SameSite == http.SameSiteDefaultMode {
		g.SameSite = http.SameSiteLaxMode
	}
	g.HttpOnly = true
	g.Secure = g.Secure || s.cfg.Secure
	g.MaxAge = int(s.cfg.IdleTimeout / time.Second)
	s.defaults.Store(g)
}

// Get returns the request's session, loading it at most once per request
// (gorilla's registry caches the session and the error).
func (s *Store) Get(r *http.Request, name string) (*gsessions.Session, error) {
	return gsessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or returns a fresh empty
// one (IsNew) when there is no valid cookie or no live document for it. It never
// returns a nil session. On a database failure it returns a fresh session and an
// error wrapping ErrUnavailable; any other error means the stored document could not
// be decoded (the returned fresh session is still usable).
func (s *Store) New(r *http.Request, name string) (*gsessions.Session, error) {
	sess := s.fresh(name)
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	// Like express-session: a cookie that is unsigned, tampered with or signed with an
	// unknown secret is simply ignored, and the request gets a fresh session.
	id, ok := decodeCookieValue(c.Value, s.cfg.Secrets)
	if !ok {
		return sess, nil
	}
	return s.load(r.Context(), sess, id)
}

// fresh is a new, empty session with the store's cookie options.
func (s *Store) fresh(name string) *gsessions.Session {
	sess := gsessions.NewSession(s, name)
	opts := *s.defaults.Load()
	sess.Options = &opts
	sess.IsNew = true
	return sess
}

// storedSession is the part of a document the store reads back.
type storedSession struct {
	Expires   time.Time `bson:"expires"`
	CreatedAt time.Time `bson:"createdAt"`
	Session   bson.Raw  `bson:"session"`
}

// load fills the fresh session sess from the document id, touching its expiry when due.
// On any failure sess is returned untouched, so the request is anonymous.
func (s *Store) load(ctx context.Context, sess *gsessions.Session, id string) (*gsessions.Session, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()

	raw, err := s.docs.find(ctx, id)
	if errors.Is(err, errNoDocument) {
		return sess, nil // unknown, deleted or regenerated id: no session
	} else if err != nil {
		return sess, unavailable("load session", err)
	}
	var doc storedSession
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return sess, fmt.Errorf("sessionstore: malformed session document: %w", err)
	}

	now := s.now()
	createdAt, known := s.startOf(doc, now)
	if s.expired(createdAt, doc.Expires, now) {
		// Delete it now (the server may have no TTL index). A failure is harmless: the
		// document stays unusable and the sweeper retries.
		_ = s.docs.delete(ctx, id)
		return sess, nil
	}

	values, fields, err := decodeValues(doc.Session)
	if err != nil {
		return sess, err
	}
	if !known {
		// Written by express-session (connect-mongodb-session stores no createdAt): remember
		// the start once, so the absolute timeout counts from it and not from every request.
		if err := s.docs.recordStart(ctx, id, createdAt); err != nil {
			return sess, unavailable("record session start", err)
		}
	}
	state := &loadState{createdAt: createdAt, expires: doc.Expires, stored: fields}
	values[loadStateKey{}] = state
	encoded, err := encodeValues(values)
	if err != nil {
		return sess, err
	}
	if state.saved, err = canonical(encoded); err != nil {
		return sess, err
	}

	// Touch (connect-mongo's touchAfter): extend the expiry only if the last extension
	// is older than TouchAfter, with one small update instead of rewriting the values.
	if doc.Expires.Before(now.Add(s.cfg.IdleTimeout - s.cfg.TouchAfter)) {
		if next := s.expiry(createdAt, now); next.After(doc.Expires) {
			matched, err := s.docs.touch(ctx, id, next)
			if err != nil {
				return sess, unavailable("touch session", err)
			}
			if !matched {
				return sess, nil // deleted since the read (logout elsewhere)
			}
			state.expires = next
			state.refresh = true
		}
	}

	sess.ID = id
	sess.IsNew = false
	for k, v := range values {
		sess.Values[k] = v
	}
	return sess, nil
}

// Save stores the session if it changed and sets the cookie (req.session.save()).
//   - Options.MaxAge < 0: the session is destroyed (req.session.destroy()).
//   - a new session without values is not stored (saveUninitialized: false).
//   - a loaded session whose values did not change is not rewritten (resave: false).
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *gsessions.Session) error {
	return s.save(r.Context(), w, sess)
}

// save is Save with the context given; w may be nil when there is no response to set the
// cookie on (Change).
func (s *Store) save(ctx context.Context, w http.ResponseWriter, sess *gsessions.Session) error {
	opts := s.sessionOptions(sess)
	if opts.MaxAge < 0 {
		return s.destroy(ctx, w, sess, opts)
	}

	values, err := encodeValues(sess.Values)
	if err != nil {
		return err
	}
	encoded, err := canonical(values)
	if err != nil {
		return fmt.Errorf("sessionstore: encode session: %w", err)
	}
	state, _ := sess.Values[loadStateKey{}].(*loadState)

	ctx, cancel := s.opContext(ctx)
	defer cancel()
	now := s.now()

	if sess.ID == "" {
		if len(values) == 0 {
			return nil
		}
		// A new id every time a session is first stored: a presented (maybe stale or
		// forged) id is never reused. InsertOne cannot overwrite another session.
		id := newID()
		expires := s.expiry(now, now)
		if err := s.docs.insert(ctx, id, s.document(id, now, expires, values, opts)); err != nil {
			return unavailable("insert session", err)
		}
		sess.ID = id
		sess.Values[loadStateKey{}] = &loadState{createdAt: now, expires: expires, saved: encoded}
		s.writeCookie(w, sess, opts, expires)
		return nil
	}

	if state != nil && bytes.Equal(state.saved, encoded) {
		if state.refresh {
			s.writeCookie(w, sess, opts, state.expires) // touched on load and not yet re-sent
			state.refresh = false
		}
		return nil
	}

	createdAt := time.Time{}
	if state != nil {
		createdAt = state.createdAt
	} else {
		// The load state was removed (gin-contrib's Clear()): read createdAt back so the
		// absolute timeout still counts from the session's creation.
		var found bool
		if createdAt, found, err = s.storedCreatedAt(ctx, sess.ID, now); err != nil {
			return err
		} else if !found {
			s.forget(w, sess, opts)
			return nil
		}
	}
	expires := s.expiry(createdAt, now)
	// No upsert: if the document was deleted meanwhile (logout in another tab, password
	// reset ending all sessions), the session must stay dead. $set rather than a replacement,
	// like connect-mongodb-session: fields another app added to the document stay.
	set := s.document(sess.ID, createdAt, expires, values, opts)[1:] // all but _id
	matched, err := s.docs.set(ctx, sess.ID, set)
	if err != nil {
		return unavailable("save session", err)
	}
	if !matched {
		s.forget(w, sess, opts)
		return nil
	}
	var fields *stored
	if state != nil {
		fields = state.stored // what was loaded still decides which fields are unchanged
	}
	sess.Values[loadStateKey{}] = &loadState{createdAt: createdAt, expires: expires, saved: encoded, stored: fields}
	s.writeCookie(w, sess, opts, expires)
	return nil
}

// storedCreatedAt reads the creation time of a live session document.
func (s *Store) storedCreatedAt(ctx context.Context, id string, now time.Time) (time.Time, bool, error) {
	var doc storedSession
	raw, err := s.docs.findInStep(ctx, id) // read, then written: in step with the writes
	if err == nil {
		err = bson.Unmarshal(raw, &doc)
	}
	createdAt, _ := s.startOf(doc, now)
	switch {
	case errors.Is(err, errNoDocument):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, unavailable("load session", err)
	case s.expired(createdAt, doc.Expires, now):
		return time.Time{}, false, nil
	}
	return createdAt, true, nil
}

// destroy deletes the document and expires the cookie (req.session.destroy + res.clearCookie).
func (s *Store) destroy(ctx context.Context, w http.ResponseWriter, sess *gsessions.Session, opts gsessions.Options) error {
	var err error
	if sess.ID != "" {
		ctx, cancel := s.opContext(ctx)
		defer cancel()
		if derr := s.docs.delete(ctx, sess.ID); derr != nil {
			err = unavailable("delete session", derr)
		}
	}
	// Expire the cookie even if the delete failed: the browser forgets the id either way.
	s.forget(w, sess, opts)
	return err
}

// Regenerate gives the session a new identity, like req.session.regenerate() on login
// (OWASP: renew the session id on privilege change): the old document is deleted now,
// all values are cleared, and the next Save stores the session under a new id.
func (s *Store) Regenerate(r *http.Request, sess *gsessions.Session) error {
	var err error
	if sess.ID != "" {
		ctx, cancel := s.opContext(r.Context())
		defer cancel()
		if derr := s.docs.delete(ctx, sess.ID); derr != nil {
			err = unavailable("delete old session", derr)
		}
	}
	clear(sess.Values)
	sess.ID = ""
	sess.IsNew = true
	return err
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

// sessionOptions merges a session's options over the store's. gin-contrib's
// session.Options() replaces the whole struct (Options{MaxAge: -1} has an empty Path),
// so empty fields fall back to the store's, and HttpOnly/Secure cannot be switched off.
func (s *Store) sessionOptions(sess *gsessions.Session) gsessions.Options {
	o := *s.defaults.Load()
	if p := sess.Options; p != nil {
		if p.Path != "" {
			o.Path = p.Path
		}
		if p.Domain != "" {
			o.Domain = p.Domain
		}
		if p.SameSite != 0 && p.SameSite != http.SameSiteDefaultMode {
			o.SameSite = p.SameSite
		}
		o.Secure = o.Secure || p.Secure
		o.Partitioned = p.Partitioned
		o.MaxAge = p.MaxAge // only its sign matters: < 0 destroys the session
	}
	o.HttpOnly = true
	return o
}

// document builds the stored document, shaped like connect-mongodb-session's.
func (s *Store) document(id string, createdAt, expires time.Time, values bson.D, o gsessions.Options) bson.D {
	cookie := bson.D{ // express-session's req.session.cookie, serialised
		{Key: "originalMaxAge", Value: s.cfg.IdleTimeout.Milliseconds()},
		{Key: "expires", Value: expires},
		{Key: "httpOnly", Value: true},
		{Key: "path", Value: o.Path},
		{Key: "sameSite", Value: sameSiteName(o.SameSite)},
		{Key: "secure", Value: o.Secure},
	}
	if o.Domain != "" {
		cookie = append(cookie, bson.E{Key: "domain", Value: o.Domain})
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
