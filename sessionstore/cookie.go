package sessionstore

import (
	"net/http"
	"strings"
	"time"

	gsessions "github.com/gorilla/sessions"
)

// The session cookie: what express-session sends as Set-Cookie (res.cookie under the hood),
// written, re-sent when the expiry moves, and expired on logout.

// forget expires the cookie and empties the session, which has no document any more.
func (s *Store) forget(w http.ResponseWriter, sess *gsessions.Session, opts gsessions.Options) {
	setCookie(w, expiredCookie(s.cookie(sess.Name(), "", opts)))
	clear(sess.Values)
	sess.ID = ""
	sess.IsNew = true
}

// ExpireCookie tells the browser to drop the session cookie and leaves the document stored:
// res.clearCookie('connect.sid') without req.session.destroy(). The session lab shows the
// orphan this leaves behind; logging out must use a negative MaxAge (destroy) instead.
func (s *Store) ExpireCookie(w http.ResponseWriter, name string) {
	setCookie(w, expiredCookie(s.cookie(name, "", *s.defaults.Load())))
}

func expiredCookie(c *http.Cookie) *http.Cookie {
	c.MaxAge = -1               // written as Max-Age=0
	c.Expires = time.Unix(1, 0) // and an Expires in the past for old browsers
	return c
}

// RefreshCookie re-sends the cookie with the new expiry if loading this session
// extended (touched) it; otherwise it does nothing. Call it right after loading, before
// the handler writes the response, so the browser's cookie lives as long as the session.
func (s *Store) RefreshCookie(w http.ResponseWriter, sess *gsessions.Session) {
	state, _ := sess.Values[loadStateKey{}].(*loadState)
	if state == nil || !state.refresh || sess.ID == "" {
		return
	}
	opts := s.sessionOptions(sess)
	if opts.MaxAge < 0 {
		return
	}
	s.writeCookie(w, sess, opts, state.expires)
	state.refresh = false
}

func sameSiteName(m http.SameSite) string {
	switch m {
	case http.SameSiteStrictMode:
		return "strict"
	case http.SameSiteNoneMode:
		return "none"
	default:
		return "lax"
	}
}

// writeCookie sends the signed session cookie, valid until expires.
func (s *Store) writeCookie(w http.ResponseWriter, sess *gsessions.Session, opts gsessions.Options, expires time.Time) {
	c := s.cookie(sess.Name(), encodeCookieValue(sess.ID, s.cfg.Secrets[0]), opts)
	c.Expires = expires
	// Max-Age in whole seconds, rounded up so a fresh session gets exactly IdleTimeout.
	left := expires.Sub(s.now())
	c.MaxAge = max(1, int((left+time.Second-1)/time.Second))
	setCookie(w, c)
}

func (s *Store) cookie(name, value string, o gsessions.Options) *http.Cookie {
	return &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        o.Path,
		Domain:      o.Domain,
		Secure:      o.Secure,
		HttpOnly:    o.HttpOnly,
		SameSite:    o.SameSite,
		Partitioned: o.Partitioned,
	}
}

// setCookie adds the Set-Cookie header, replacing one already set for the same cookie
// in this response (e.g. RefreshCookie then Save), so the browser gets one per session
// like express-session sends.
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
