package middleware

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/sessionstore"
)

// ErrCSRF is why a state-changing request was refused (403).
var ErrCSRF = errors.New("invalid CSRF token")

// multipartMemory is how much of a multipart form is kept in memory; the rest goes to temporary
// files, removed when the request ends.
const multipartMemory = 1 << 20

// csrfCookie keeps the CSRF secret of a visitor whose session holds none (csurf's
// {cookie: true} mode), signed like the session cookie: viewing a form stores nothing on the
// server, however many visitors do it.
const csrfCookie = "_csrf"

// CSRFToken returns a token for this answer's forms: the course's res.locals.csrfToken =
// req.csrfToken(). Like csurf's salted tokens, it is the secret masked with fresh random bytes,
// so it differs on every page and never shows the secret itself. The secret is the session's
// csrfSecret once the visitor has logged in, and until then one kept in a signed cookie.
// A page that carries the token is no-store: a shared cache would hand it to others.
func CSRFToken(c *gin.Context, store *sessionstore.Store) string {
	c.Header("Cache-Control", "no-store")
	secret := csrfSecret(c, store)
	if secret == "" {
		secret = newCSRFSecret()
		http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: store.Sign(secret), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil || store.SecureCookies()})
		c.Set(csrfCookie, secret) // further forms of this answer use the same secret
	}
	return maskCSRF(secret)
}

// NewCSRFSecret is a new secret for a session (login keeps one in the session).
func NewCSRFSecret() string { return newCSRFSecret() }

func newCSRFSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfSecret is the secret this request's tokens are checked against: the session's, or else
// the signed cookie's ("" when there is neither).
func csrfSecret(c *gin.Context, store *sessionstore.Store) string {
	if s, ok := sessions.Default(c).Get(sessionstore.KeyCSRFSecret).(string); ok && s != "" {
		return s
	}
	if s := c.GetString(csrfCookie); s != "" {
		return s
	}
	if ck, err := c.Request.Cookie(csrfCookie); err == nil {
		if s, ok := store.Unsign(ck.Value); ok {
			return s
		}
	}
	return ""
}

// maskCSRF is base64(pad || pad XOR sha256(secret)) with a fresh random pad.
func maskCSRF(secret string) string {
	key := sha256.Sum256([]byte(secret))
	out := make([]byte, 2*len(key))
	_, _ = rand.Read(out[:len(key)])
	subtle.XORBytes(out[len(key):], out[:len(key)], key[:])
	return base64.RawURLEncoding.EncodeToString(out)
}

// validCSRF tells whether token was masked from secret.
func validCSRF(token, secret string) bool {
	if secret == "" {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	key := sha256.Sum256([]byte(secret))
	if err != nil || len(raw) != 2*len(key) {
		return false
	}
	unmasked := make([]byte, len(key))
	subtle.XORBytes(unmasked, raw[:len(key)], raw[len(key):])
	return subtle.ConstantTimeCompare(unmasked, key[:]) == 1
}

// CSRF refuses state-changing requests (everything but GET, HEAD, OPTIONS) that come from another
// site (Sec-Fetch-Site / Origin, checked by Go's http.CrossOriginProtection) or that do not carry
// a token masked from this visitor's secret in the _csrf form field (from the body, never the
// query string) or the X-CSRF-Token header. It also parses the form, so a too-large body is a
// 413 here, not a swallowed error in a handler.
func CSRF(store *sessionstore.Store, abort Abort) gin.HandlerFunc {
	crossOrigin := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		if err := crossOrigin.Check(c.Request); err != nil {
			abort(c, http.StatusForbidden, ErrCSRF)
			return
		}
		if err := parseForm(c.Request); err != nil {
			if IsBodyTooLarge(err) {
				abort(c, http.StatusRequestEntityTooLarge, err)
			} else {
				abort(c, http.StatusBadRequest, err)
			}
			return
		}
		if mf := c.Request.MultipartForm; mf != nil {
			defer mf.RemoveAll()
		}
		sent := c.GetHeader("X-CSRF-Token")
		if sent == "" {
			sent = c.Request.PostForm.Get("_csrf")
		}
		if !validCSRF(sent, csrfSecret(c, store)) {
			abort(c, http.StatusForbidden, ErrCSRF)
			return
		}
		c.Next()
	}
}

// parseForm reads a urlencoded or multipart body into r.PostForm (and r.MultipartForm).
// ParseForm comes first and on its own: ParseMultipartForm swallows ParseForm's error (a body
// over the limit, say) when the body is not multipart, and then the form would look empty.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(multipartMemory)
	}
	return nil
}
