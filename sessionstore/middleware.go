package sessionstore

import (
	"errors"

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
