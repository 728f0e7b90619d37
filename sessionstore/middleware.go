package sessionstore

import (
	"errors"
	"fmt"
	"net/http"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
)

// Middleware is app.use(session({secret, resave: false, saveUninitialized: false, store})):
// it loads the visitor's session once, before the handler (one read by _id, nothing at all
// without a cookie), and makes it gin-contrib's sessions.Default(c). When the load extended
// the session's expiry, the cookie is re-sent with the answer. When the database does not
// answer, unavailable is called (the app answers 503) instead of treating the visitor as
// logged out. traced tells which requests record a Trace for the lesson pages.
func (s *Store) Middleware(unavailable func(c *gin.Context, err error), traced func(c *gin.Context) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var trace *Trace
		if traced != nil && traced(c) {
			trace = startTrace(c)
		}
		sess, err := s.load(c.Request, c.Writer, trace)
		if errors.Is(err, ErrUnavailable) {
			unavailable(c, err)
			return
		}
		// Any other error means the stored document could not be decoded: the visitor gets
		// a new session, and the broken document simply expires.
		c.Set(sessions.DefaultKey, sess)
		if sess.refresh {
			s.writeCookie(sess)
		}
		c.Next()
	}
}

// Regenerate gives the session a new identity, like req.session.regenerate(cb) at login (OWASP:
// renew the session id on privilege change): the old document is deleted now, the values are
// cleared, and the next Save stores the session under a new id. A planted or stolen pre-login
// cookie is worthless from here on.
func Regenerate(c *gin.Context) error {
	sess := current(c)
	return sess.store.regenerate(sess)
}

// Destroy ends the session: req.session.destroy(cb) deletes the document, and the cookie is
// expired (the res.clearCookie that express-session leaves to the app). It is the one way a
// session ends: logout, a deleted user, the lab's Destroy button.
func Destroy(c *gin.Context) error {
	sess := current(c)
	return sess.store.destroy(sess)
}

// ClearCookieOnly is res.clearCookie('connect.sid') without req.session.destroy(): the browser
// forgets the id, the document stays, orphaned, until it expires. It is the session lab's
// demonstration of the wrong way to log out, nothing else uses it.
func ClearCookieOnly(c *gin.Context) {
	sess := current(c)
	sess.store.expireCookie(c.Writer)
	sess.trace.decided("not deleted: only the cookie was expired (res.clearCookie); the document stays until it expires")
	sess.reset()
}

func current(c *gin.Context) *Session { return sessions.Default(c).(*Session) }

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
