package controllers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/views"
)

// The course's first "login" is a raw cookie:
//
//	res.setHeader('Set-Cookie', 'loggedIn=true; HttpOnly');
//	const isLoggedIn = req.get('Cookie').split(';')[1].trim().split('=')[1];
//
// These handlers keep that lesson: they write the Set-Cookie header and read the Cookie header
// by hand, with no cookie helper in between.

const lessonCookieName = "loggedIn"

// csrfCookieName is the signed cookie that keeps an anonymous visitor's CSRF secret
// (middleware.CSRFToken): HttpOnly too, so shortened like the session cookie.
const csrfCookieName = "_csrf"

var lessonValue = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// requestCookie is one name=value pair parsed out of the raw Cookie header.
type requestCookie struct{ Name, Value string }

type cookieLessonData struct {
	views.Page
	RawCookieHeader string
	Cookies         []requestCookie
	LoggedInValue   string // what the loggedIn cookie says, "" if absent
	Believed        bool   // what a server that trusts the cookie concludes
	SentHeader      string // the Set-Cookie line of the last POST
	Form            cookieLessonForm
	Happened        whatHappened // what the last lesson action and this page did to the session
}

type cookieLessonForm struct {
	Value, MaxAge, ExpiresIn, SameSite string
	Secure, HTTPOnly                   bool
}

// GetCookieLesson is GET /lessons/cookie: parse the raw Cookie header by hand and show what it says.
// After a POST the query holds the form as it was sent, so the form keeps the visitor's choices.
func (ctl *Controllers) GetCookieLesson(c *gin.Context) {
	raw := ctl.maskSessionCookie(c.GetHeader("Cookie"))
	data := cookieLessonData{
		Page:            ctl.page(c, "Cookie Lesson", "/lessons/cookie"),
		RawCookieHeader: raw,
		Cookies:         parseCookieHeader(raw),
		Form:            cookieLessonForm{Value: "true", MaxAge: "60", SameSite: "Lax", HTTPOnly: true},
	}
	if q := c.Request.URL.Query(); q.Has("value") {
		data.Form = cookieFormFrom(q.Get)
	}
	data.Scripts = []string{"/js/lessons.js"} // shows what document.cookie sees beside the header
	for _, ck := range data.Cookies {
		if ck.Name == lessonCookieName {
			data.LoggedInValue = ck.Value
		}
	}
	data.Believed = data.LoggedInValue == "true"
	if data.LoggedInValue != "" {
		earn(c, "read-cookie")
	}
	if data.Believed {
		earn(c, "cookie-vs-session")
	}
	// Kept until the next Set-Cookie replaces it, so a reload still shows it.
	data.SentHeader, _ = sessions.Default(c).Get(sessionstore.KeyLessonSetCookie).(string)
	var err error
	if data.Happened, err = ctl.whatHappened(c); err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, http.StatusOK, "lessons/cookie", data)
}

// cookieFormFrom reads the form's fields from the POST body or from the query.
func cookieFormFrom(get func(string) string) cookieLessonForm {
	return cookieLessonForm{
		Value:     strings.TrimSpace(get("value")),
		MaxAge:    strings.TrimSpace(get("maxAge")),
		ExpiresIn: strings.TrimSpace(get("expiresIn")),
		SameSite:  get("sameSite"),
		Secure:    get("secure") == "on",
		HTTPOnly:  get("httpOnly") == "on",
	}
}

// query is the form as GET /lessons/cookie reads it back.
func (f cookieLessonForm) query() string {
	q := url.Values{"value": {f.Value}, "maxAge": {f.MaxAge}, "expiresIn": {f.ExpiresIn}, "sameSite": {f.SameSite}}
	if f.Secure {
		q.Set("secure", "on")
	}
	if f.HTTPOnly {
		q.Set("httpOnly", "on")
	}
	return q.Encode()
}

// PostCookieLesson is POST /lessons/cookie: build the Set-Cookie line from the chosen attributes
// and write it as a raw header.
func (ctl *Controllers) PostCookieLesson(c *gin.Context) {
	f := cookieFormFrom(func(name string) string { return postForm(c, name) })
	line, msg := buildSetCookie(f, time.Now())
	if msg != "" {
		raw := ctl.maskSessionCookie(c.GetHeader("Cookie"))
		data := cookieLessonData{Page: ctl.page(c, "Cookie Lesson", "/lessons/cookie"), Form: f,
			RawCookieHeader: raw, Cookies: parseCookieHeader(raw)}
		data.ErrorMessage = msg
		data.Scripts = []string{"/js/lessons.js"}
		ctl.render(c, http.StatusUnprocessableEntity, "lessons/cookie", data)
		return
	}
	c.Writer.Header().Add("Set-Cookie", line) // res.setHeader('Set-Cookie', line)
	sessions.Default(c).Set(sessionstore.KeyLessonSetCookie, line)
	if f.MaxAge != "" || f.ExpiresIn != "" || f.Secure || f.HTTPOnly {
		earn(c, "set-cookie")
	}
	nodeLine(c, "res.setHeader('Set-Cookie', 'loggedIn=true; Max-Age=…'); res.redirect('/lessons/cookie')")
	ctl.redirect(c, "/lessons/cookie?"+f.query()+"#sent-set-cookie")
}

// PostCookieLessonDelete is POST /lessons/cookie/delete: a cookie is deleted by sending it again
// already expired.
func (ctl *Controllers) PostCookieLessonDelete(c *gin.Context) {
	line := lessonCookieName + "=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
	c.Writer.Header().Add("Set-Cookie", line)
	sessions.Default(c).Set(sessionstore.KeyLessonSetCookie, line)
	nodeLine(c, "res.setHeader('Set-Cookie', 'loggedIn=; Max-Age=0'); res.redirect('/lessons/cookie')")
	ctl.redirect(c, "/lessons/cookie#sent-set-cookie")
}

// maskSessionCookie shortens the session cookie's value in a raw Cookie header: it is HttpOnly,
// and a page that printed it whole would hand it to any script that can read the page.
func (ctl *Controllers) maskSessionCookie(raw string) string {
	parts := strings.Split(raw, ";")
	for i, part := range parts {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && (name == ctl.Config.SessionName || name == csrfCookieName) {
			parts[i] = strings.Replace(part, value, shortSigned(value)+" (shortened: HttpOnly, see /lessons/session)", 1)
		}
	}
	return strings.Join(parts, ";")
}

// buildSetCookie writes the header value by hand; it returns a message for a bad choice.
func buildSetCookie(f cookieLessonForm, now time.Time) (string, string) {
	if !lessonValue.MatchString(f.Value) {
		return "", "The value must be 1 to 64 letters, digits, '-' or '_'."
	}
	var b strings.Builder
	b.WriteString(lessonCookieName + "=" + f.Value + "; Path=/")
	if f.MaxAge != "" {
		n, err := strconv.Atoi(f.MaxAge)
		if err != nil || n < 0 || n > 31536000 {
			return "", "Max-Age must be a number of seconds between 0 and 31536000."
		}
		fmt.Fprintf(&b, "; Max-Age=%d", n)
	}
	if f.ExpiresIn != "" {
		n, err := strconv.Atoi(f.ExpiresIn)
		if err != nil || n < 0 || n > 525600 {
			return "", "Expires must be a number of minutes between 0 and 525600."
		}
		b.WriteString("; Expires=" + now.Add(time.Duration(n)*time.Minute).UTC().Format(http.TimeFormat))
	}
	switch f.SameSite {
	case "":
	case "Lax", "Strict", "None":
		b.WriteString("; SameSite=" + f.SameSite)
	default:
		return "", "SameSite must be Lax, Strict or None."
	}
	if f.SameSite == "None" && !f.Secure {
		return "", "Browsers drop SameSite=None cookies that are not Secure: tick Secure too."
	}
	if f.Secure {
		b.WriteString("; Secure")
	}
	if f.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	return b.String(), ""
}

// parseCookieHeader splits "a=1; b=2" by hand, as the course's split(';') does.
func parseCookieHeader(raw string) []requestCookie {
	var out []requestCookie
	for _, part := range strings.Split(raw, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && name != "" {
			out = append(out, requestCookie{Name: name, Value: value})
		}
	}
	return out
}
