// Package sandbox is the options sandbox of /lessons/options: express-session's own decisions
// (save, touch, set the cookie) written out in Go, so a student can pick resave,
// saveUninitialized, rolling and cookie.maxAge, send requests, and see what each option does to
// the cookie and to the store.
//
// The code follows express-session 1.19 (index.js) function by function; the names in the
// comments are its names. The stores behave like connect-mongodb-session 5.0 (MongoDB: set is an
// upsert of the whole session, and there is no touch) and express-session's MemoryStore (which
// has touch). The sandbox has its own cookie (sandbox.sid) and its own collection
// (lessonSandboxSessions), so the shop's session is never touched.
package sandbox

import (
	"encoding/json"
	"maps"
	"time"
)

// Session is req.session: the data the application put in it, and its cookie.
type Session struct {
	Cookie Cookie
	Data   map[string]string // req.session.value = '...' is Data["value"]
}

// Cookie is req.session.cookie (express-session's session/cookie.js), as it is stored.
type Cookie struct {
	OriginalMaxAge time.Duration // originalMaxAge: the maxAge the session was created with
	Expires        time.Time     // expires: now + originalMaxAge, moved by every touch()
	HTTPOnly       bool
	Path           string
	SameSite       string
}

// touch is req.session.touch() (Session.prototype.resetMaxAge): the cookie's expiry restarts
// from now. express-session calls it on every request that has a session, changed or not.
func (s *Session) touch(now time.Time) {
	s.Cookie.Expires = now.Add(s.Cookie.OriginalMaxAge)
}

// hash is express-session's hash(sess): the session serialized without its cookie, so a moved
// expiry is never a "modification". (express-session takes the SHA-1 of this JSON; comparing the
// JSON itself gives the same answers.)
func hash(s *Session) string {
	b, _ := json.Marshal(s.Data) // map keys are sorted: the same data always gives the same text
	return string(b)
}

func (s *Session) clone() *Session {
	c := *s
	c.Data = maps.Clone(s.Data)
	if c.Data == nil {
		c.Data = map[string]string{}
	}
	return &c
}
