package sessionstore

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Session is one visitor's session during one request: express-session's req.session.
// Handlers reach it as gin-contrib's sessions.Default(c) and use only that interface:
//
//	s.Get(sessionstore.KeyUser)          // req.session.user
//	s.Set(sessionstore.KeyIsLoggedIn, v) // req.session.isLoggedIn = v
//	s.AddFlash(msg, "error")             // req.flash('error', msg)
//	s.Save()                             // req.session.save(cb)
//
// The two things gin-contrib's interface has no word for are Regenerate(c) and Destroy(c)
// (middleware.go). The session remembers which keys the request set or deleted, so Save
// writes only those: parallel requests that change different keys both keep their change.
type Session struct {
	store *Store
	ctx   context.Context     // the request's
	w     http.ResponseWriter // where Save sets the cookie; nil outside a request (Change)

	id     string         // "" until the session is stored
	values map[string]any // the session's values, by key
	dirty  map[string]bool
	// loaded is each stored key's value as the load saw it, encoded: a Set of an equal value
	// is no change, and a Delete of a key that was never stored writes nothing.
	loaded    map[string][]byte
	createdAt time.Time     // start of the absolute timeout
	expires   time.Time     // the document's expiry right now
	idle      time.Duration // how long this session lives unused (the Node app's own maxAge for its sessions)
	// browserSession: the Node app made this session with no cookie maxAge, so its cookie has
	// no Expires or Max-Age and lasts until the browser closes; Gin Shop keeps it that way.
	browserSession bool
	refresh        bool   // the load extended the expiry: the cookie must be re-sent
	trace          *Trace // what happened, for the lesson pages; nil elsewhere
}

var _ sessions.Session = (*Session)(nil)

func (s *Store) newSession(ctx context.Context, w http.ResponseWriter) *Session {
	return &Session{store: s, ctx: ctx, w: w, values: map[string]any{}, dirty: map[string]bool{},
		loaded: map[string][]byte{}, idle: s.cfg.IdleTimeout}
}

// ID is the session's id, "" while nothing is stored.
func (sess *Session) ID() string { return sess.id }

// Get returns the value of key (a string), or nil.
func (sess *Session) Get(key any) any {
	k, _ := key.(string)
	return sess.values[k]
}

// Set sets key (a string) to val: req.session[key] = val. Save refuses values it cannot store
// as readable BSON (see codec.go).
func (sess *Session) Set(key any, val any) {
	k, _ := key.(string)
	sess.values[k] = val
	sess.dirty[k] = true
}

// Delete removes key: delete req.session[key]. Save writes it as $unset.
func (sess *Session) Delete(key any) {
	k, _ := key.(string)
	delete(sess.values, k)
	sess.dirty[k] = true
}

// Clear removes every value; the session (and its id) stays.
func (sess *Session) Clear() {
	for k := range sess.values {
		sess.Delete(k)
	}
}

// AddFlash adds a one-time message: req.flash(type, msg), type "info" when none is given.
// Flashes are stored as connect-flash stores them, flash: {type: [messages]}.
func (sess *Session) AddFlash(value any, vars ...string) {
	t := flashTypeOf(vars)
	flash := sess.flashes()
	list, _ := flash[t].([]any)
	flash[t] = append(list, value)
	sess.Set(KeyFlash, flash)
}

// Flashes returns the messages of a type and removes them: req.flash(type).
func (sess *Session) Flashes(vars ...string) []any {
	t := flashTypeOf(vars)
	flash := sess.flashes()
	list, _ := flash[t].([]any)
	if len(list) == 0 {
		return nil
	}
	delete(flash, t)
	sess.Set(KeyFlash, flash) // connect-flash leaves flash: {} behind too
	return list
}

// flashes is a copy of the flash map, so a change always goes through Set.
func (sess *Session) flashes() map[string]any {
	m := map[string]any{}
	if stored, ok := sess.values[KeyFlash].(map[string]any); ok {
		for t, v := range stored {
			m[t] = v
		}
	}
	return m
}

func flashTypeOf(vars []string) string {
	if len(vars) > 0 && vars[0] != "" {
		return vars[0]
	}
	return defaultFlashType
}

// Options is part of gin-contrib's interface, but the cookie's options are the store's alone
// (Path=/, HttpOnly, SameSite=Lax, Secure in production, Max-Age from the idle timeout), like
// express-session's cookie options, which are set once in app.use(session({cookie})). To end
// a session, use Destroy(c).
func (sess *Session) Options(sessions.Options) {}

// Save stores what the request changed and sets the cookie: req.session.save(cb).
func (sess *Session) Save() error { return sess.store.save(sess) }

// hasValues tells whether the session holds anything worth storing (saveUninitialized: false):
// an emptied flash map left behind by reading the last message is nothing.
func (sess *Session) hasValues() bool {
	for k, v := range sess.values {
		if m, ok := v.(map[string]any); ok && k == KeyFlash && len(m) == 0 {
			continue
		}
		return true
	}
	return false
}

// reset makes sess a new, empty, unstored session (after Destroy or Regenerate, or when its
// document has gone).
func (sess *Session) reset() {
	sess.id = ""
	clear(sess.values)
	clear(sess.dirty)
	clear(sess.loaded)
	sess.createdAt, sess.expires, sess.refresh = time.Time{}, time.Time{}, false
	sess.idle, sess.browserSession = sess.store.cfg.IdleTimeout, false
}

// storedFields is a snapshot of the values for the lab: key -> value as BSON would hold it.
func (sess *Session) storedFields() (bson.D, error) { return encodeFields(sess.values) }
