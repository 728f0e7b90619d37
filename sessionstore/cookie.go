package sessionstore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The session cookie: what express-session sends as Set-Cookie, written when a session is
// stored or its expiry moves, and expired on logout; its value is signed like express-session's
// (cookie-signature), below.

// writeCookie sends the signed session cookie, valid until the session's expiry.
func (s *Store) writeCookie(sess *Session) {
	c := s.cookie(encodeCookieValue(sess.id, s.cfg.Secrets[0]))
	if !sess.browserSession {
		c.Expires = sess.expires
		// Max-Age in whole seconds, rounded up so a fresh session gets exactly its idle time.
		left := sess.expires.Sub(s.now())
		c.MaxAge = max(1, int((left+time.Second-1)/time.Second))
	}
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

// signedPrefix marks a signed cookie value, as express-session writes it ("s:" + signed id).
const signedPrefix = "s:"

// idBytes is the amount of randomness in a session id: 192 bits, like express-session's uid-safe(24).
const idBytes = 24

// sign appends an HMAC-SHA256 signature to val, exactly like the npm package
// cookie-signature's sign(val, secret): val + "." + base64(hmac) without "=" padding.
func sign(val, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(val))
	return val + "." + strings.TrimRight(base64.StdEncoding.EncodeToString(mac.Sum(nil)), "=")
}

// unsign returns the value inside a signed string if any of the secrets signed it
// (cookie-signature's unsign, tried with every secret so a rotated-out secret still verifies).
func unsign(signed string, secrets []string) (string, bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 {
		return "", false
	}
	val := signed[:dot]
	for _, secret := range secrets {
		// Constant-time comparison so the signature cannot be guessed byte by byte.
		if hmac.Equal([]byte(sign(val, secret)), []byte(signed)) {
			return val, true
		}
	}
	return "", false
}

// encodeCookieValue builds the cookie value express-session sends:
// encodeURIComponent("s:" + sign(id, secret)). QueryEscape matches encodeURIComponent
// here because the signed value never contains a space.
func encodeCookieValue(id, secret string) string {
	return url.QueryEscape(signedPrefix + sign(id, secret))
}

// decodeCookieValue returns the session id inside a cookie value, or false when the
// value is malformed, unsigned or signed with an unknown secret.
func decodeCookieValue(raw string, secrets []string) (string, bool) {
	// PathUnescape, not QueryUnescape: a browser may send a raw '+' of the base64 signature.
	v, err := url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(v, signedPrefix) {
		return "", false
	}
	id, ok := unsign(v[len(signedPrefix):], secrets)
	if !ok || !validID(id) {
		return "", false
	}
	return id, true
}

// newID returns a fresh random session id, URL-safe (like express-session's uid-safe).
func newID() string {
	b := make([]byte, idBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validID accepts the ids this store (or express-session) generates: 1–128 URL-safe characters.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Sign signs value with the current secret, the way the session cookie is signed, for other
// cookies the app must be able to trust (the CSRF secret of a visitor without a session).
func (s *Store) Sign(value string) string { return encodeSignedValue(value, s.cfg.Secrets[0]) }

// Unsign returns the value of a cookie made by Sign, if its signature matches any secret.
func (s *Store) Unsign(raw string) (string, bool) {
	v, err := url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(v, signedPrefix) {
		return "", false
	}
	return unsign(v[len(signedPrefix):], s.cfg.Secrets)
}

func encodeSignedValue(value, secret string) string {
	return url.QueryEscape(signedPrefix + sign(value, secret))
}
