package middleware

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
)

// sessionKeyCSRF holds the synchronizer token, like csurf's req.session.csrfSecret.
const sessionKeyCSRF = "csrfSecret"

// ErrCSRF is why a state-changing request was refused (403).
var ErrCSRF = errors.New("invalid CSRF token")

// multipartMemory is how much of a multipart form is kept in memory; the rest goes to temporary
// files, removed when the request ends.
const multipartMemory = 1 << 20

// CSRFToken returns this session's token, creating it (and so the session) on first use: the
// course's res.locals.csrfToken = req.csrfToken(). Only pages that render a form call it, so
// anonymous product browsing stores no session.
// A page that carries the token is no-store: a shared cache would hand it (and its session) to others.
func CSRFToken(c *gin.Context) string {
	c.Header("Cache-Control", "no-store")
	s := sessions.Default(c)
	if t, ok := s.Get(sessionKeyCSRF).(string); ok && t != "" {
		return t
	}
	t := newCSRFToken()
	s.Set(sessionKeyCSRF, t)
	return t
}

func newCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// CSRF refuses state-changing requests (everything but GET, HEAD, OPTIONS) that come from another
// site (Sec-Fetch-Site / Origin, checked by Go's http.CrossOriginProtection) or that do not carry
// this session's token in the _csrf form field (from the body, never the query string) or the
// X-CSRF-Token header. It also parses the form, so a too-large body is a 413 here, not a
// swallowed error in a handler.
func CSRF(abort Abort) gin.HandlerFunc {
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
		want, _ := sessions.Default(c).Get(sessionKeyCSRF).(string)
		if want == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
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
