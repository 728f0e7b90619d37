package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The sandbox's cookie is signed exactly like connect.sid (express-session's setcookie and
// getcookie with the npm package cookie-signature), with the shop's secrets.

// sign is cookie-signature's sign(val, secret): val + "." + base64(HMAC-SHA256) without "=".
func sign(val, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(val))
	return val + "." + base64.RawStdEncoding.EncodeToString(mac.Sum(nil))
}

// CookieID is getcookie(req, name, secrets): the id inside a signed cookie value, or "" when
// the value is not "s:" + a value signed by one of the secrets (then there is no session id).
func CookieID(raw string, secrets []string) string {
	v, err := url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(v, "s:") {
		return ""
	}
	v = v[2:]
	dot := strings.LastIndexByte(v, '.')
	if dot < 0 {
		return ""
	}
	for _, secret := range secrets {
		if hmac.Equal([]byte(sign(v[:dot], secret)), []byte(v)) {
			return v[:dot]
		}
	}
	return ""
}

// cookie is the Set-Cookie express-session sends: 's:' + sign(sessionID, secrets[0]), with
// the session cookie's attributes. Like express-session it sends Expires and no Max-Age.
func (s *Sandbox) cookie(id string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    url.QueryEscape("s:" + sign(id, s.secrets[0])),
		Path:     CookiePath,
		Expires:  expires,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// shownCookie is the Set-Cookie line with the id and the signature shortened.
func shownCookie(c *http.Cookie, id string) string {
	line := c.String()
	v := c.Value
	return strings.Replace(line, v, "s%3A"+shorten(id)+"."+"(signature)", 1)
}
