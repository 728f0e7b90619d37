package sessionstore

import (
	"net/http"
	"strings"
	"time"
)

// The session cookie: what express-session sends as Set-Cookie, written when a session is
// stored or its expiry moves, and expired on logout.

// writeCookie sends the signed session cookie, valid until the session's expiry.
func (s *Store) writeCookie(sess *Session) {
	c := s.cookie(encodeCookieValue(sess.id, s.cfg.Secrets[0]))
	c.Expires = sess.expires
	// Max-Age in whole seconds, rounded up so a fresh session gets exactly its idle time.
	left := sess.expires.Sub(s.now())
	c.MaxAge = max(1, int((left+time.Second-1)/time.Second))
	setCookie(sess.w, c)
	sess.refresh = false
	sess.trace.sentCookie()
}

// expireCookie tells the browser to drop the session cookie (res.clearCookie('connect.sid')).
func (s *Store) expireCookie(w http.ResponseWriter) {
	c := s.cookie("")
	c.MaxAge = -1               // written as Max-Age=0
	c.Expires = time.Unix(1, 0) // and an Expires in the past for old browsers
	setCookie(w, c)
}

// cookie has express-session's default attributes: Path=/, HttpOnly, SameSite=Lax, and Secure
// in production.
func (s *Store) cookie(value string) *http.Cookie {
	return &http.Cookie{Name: s.cfg.Name, Value: value, Path: "/", HttpOnly: true,
		Secure: s.cfg.Secure, SameSite: http.SameSiteLaxMode}
}

// setCookie adds the Set-Cookie header, replacing one already set for the same cookie in this
// response, so the browser gets one per session like express-session sends.
func setCookie(w http.ResponseWriter, c *http.Cookie) {
	line := c.String()
	if w == nil || line == "" {
		// no response to set it on (Change), or an invalid cookie name (http.SetCookie would drop it too)
		return
	}
	h := w.Header()
	prefix := c.Name + "="
	kept := make([]string, 0, len(h["Set-Cookie"])+1)
	for _, l := range h["Set-Cookie"] {
		if !strings.HasPrefix(l, prefix) {
			kept = append(kept, l)
		}
	}
	h["Set-Cookie"] = append(kept, line)
}

// SecureCookies tells whether the app's cookies carry Secure (production).
func (s *Store) SecureCookies() bool { return s.cfg.Secure }
