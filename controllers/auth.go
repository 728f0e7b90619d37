package controllers

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

// loginFailed is the one message for a wrong email and a wrong password alike, so the form does
// not tell which accounts exist.
const loginFailed = "Invalid email or password."

type loginData struct {
	views.Page
	Email   string // oldInput.email in the course
	Next    string // where to go after logging in (a path of this site)
	Invalid map[string]bool
}

// GetLogin is GET /login (exports.getLogin).
func (ctl *Controllers) GetLogin(c *gin.Context) {
	ctl.render(c, http.StatusOK, "auth/login", loginData{
		Page: ctl.page(c, "Login", "/login"),
		Next: safeNext(c.Query("next")),
	})
}

// PostLogin is POST /login (exports.postLogin): check the password, start a new session, save
// it, and only then redirect.
func (ctl *Controllers) PostLogin(c *gin.Context) {
	email := postForm(c, "email") // as typed: an account the Node app stored with spaces matches exactly
	password := postForm(c, "password")
	next := safeNext(postForm(c, "next"))
	attempt, ok := ctl.countLoginAttempt(c, email, next)
	if !ok {
		return
	}

	user, err := ctl.Models.Users.ByEmail(c.Request.Context(), email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		ctl.fail(c, err)
		return
	}
	// bcrypt reads only the first 72 bytes, so a longer password would match on its prefix;
	// signup refuses such passwords, and login treats them as wrong (compared against the dummy
	// hash, so the answer takes the usual time).
	tooLong := len(password) > maxPasswordBytes
	hash := user.Password
	if err != nil || tooLong {
		hash = "" // compared with the dummy hash: the same time, never a match
	}
	matches, err := ctl.Passwords.Matches(c.Request.Context(), hash, password)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	if !matches || user.ID.IsZero() {
		if err := ctl.Models.LoginAttempts.Failed(c.Request.Context(), attempt, time.Now()); err != nil {
			ctl.fail(c, err)
			return
		}
		data := loginData{Page: ctl.page(c, "Login", "/login"), Email: email, Next: next,
			Invalid: map[string]bool{"email": true, "password": true}}
		data.ErrorMessage = loginFailed
		ctl.render(c, http.StatusUnprocessableEntity, "auth/login", data)
		return
	}
	if err := ctl.Models.LoginAttempts.Reset(c.Request.Context(), email, c.ClientIP()); err != nil {
		ctl.fail(c, err)
		return
	}
	if err := middleware.LogIn(c, ctl.Sessions, ctl.Config.SessionName, user.ID, user.Email); err != nil {
		ctl.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

// PostLogout is POST /logout (exports.postLogout): destroy the session, then redirect.
func (ctl *Controllers) PostLogout(c *gin.Context) {
	if err := middleware.DestroySession(c); err != nil {
		ctl.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// safeNext keeps a "return to" address only if the Location finally sent is a path of this site.
// It decides on the cleaned URL, not the raw string: net/http's Redirect collapses dot segments,
// so "/./\evil.example" would go out as "/\evil.example", which browsers read as
// "//evil.example". Refused: schemes, hosts and user parts, anything with a backslash or a
// control character (raw or %-encoded), and paths that clean to "//" something.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, "/") || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		strings.ContainsFunc(next, unsafeInLocation) || strings.ContainsFunc(u.Path, unsafeInLocation) {
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/" // like http.Redirect, which keeps a trailing slash
	}
	if strings.HasPrefix(clean, "//") {
		return "/"
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

// unsafeInLocation is a character that no "return to" path may hold: browsers read a backslash
// as a slash and drop tabs and newlines, so either can turn a path into another host.
func unsafeInLocation(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }
