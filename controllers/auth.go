package controllers

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/sessionstore"
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
	if !models.ValidEmail(strings.TrimSpace(email)) {
		// No account can have such an address (models.ValidEmail, the signup rule): the
		// ordinary failed login, without a count or a password check.
		ctl.loginFailed(c, email, next)
		return
	}
	now := time.Now()
	check, err := ctl.checkLogin(c.Request.Context(), email, c.ClientIP(), now)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	if ctl.refuseLogin(c, check, now, email, next) {
		return
	}
	// bcrypt reads only the first 72 bytes, so a longer password would match on its prefix;
	// signup refuses such passwords, and login treats them as wrong (compared against the dummy
	// hash, so the answer takes the usual time). So is an email no account has.
	user := check.user
	hash := user.Password
	if len(password) > maxPasswordBytes {
		hash = ""
	}
	matches, err := ctl.Passwords.Matches(c.Request.Context(), hash, password)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	if !matches || user.ID.IsZero() {
		if err := ctl.Models.LoginAttempts.Failed(c.Request.Context(), check.attempt, now); err != nil {
			ctl.fail(c, err)
			return
		}
		ctl.loginFailed(c, email, next)
		return
	}
	// The pair's failures are forgotten before the answer: the user's next attempt must not
	// meet them.
	if err := ctl.Models.LoginAttempts.Reset(c.Request.Context(), email, c.ClientIP()); err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.logIn(c, user, next)
	ctl.refundAddressLater(c)
}

// logIn starts the user's session the course's way, with a new id:
//
//	req.session.regenerate(() => {
//	  req.session.isLoggedIn = true; req.session.user = user;
//	  req.session.save(() => res.redirect('/'))
//	})
//
// Regenerate deletes the pre-login document, so a planted or stolen pre-login cookie is
// worthless. The session keeps {_id, email} of the user, never a password hash or a cart, and a
// CSRF secret of its own: the pre-login tokens stop working.
func (ctl *Controllers) logIn(c *gin.Context, user models.User, next string) {
	c.Set(endedSessionKey, sessions.Default(c).ID()) // for the lessons: the pre-login id is gone
	if err := sessionstore.Regenerate(c); err != nil {
		ctl.fail(c, err)
		return
	}
	s := sessions.Default(c)
	s.Set(sessionstore.KeyIsLoggedIn, true)
	s.Set(sessionstore.KeyUser, map[string]any{"_id": user.ID, "email": user.Email})
	s.Set(sessionstore.KeyCSRFSecret, middleware.NewCSRFSecret())
	nodeLine(c, "req.session.regenerate(() => { req.session.isLoggedIn = true; req.session.user = user; req.session.save(() => res.redirect('/')) })")
	ctl.redirect(c, next)
}

// loginFailed re-renders the login form with 422 and the one message for every failure.
func (ctl *Controllers) loginFailed(c *gin.Context, email, next string) {
	data := loginData{Page: ctl.page(c, "Login", "/login"), Email: email, Next: next,
		Invalid: map[string]bool{"email": true, "password": true}}
	data.ErrorMessage = loginFailed
	ctl.render(c, http.StatusUnprocessableEntity, "auth/login", data)
}

// PostLogout is POST /logout (exports.postLogout): destroy the session, then redirect.
func (ctl *Controllers) PostLogout(c *gin.Context) {
	// req.session.destroy(() => res.redirect('/'))
	if err := sessionstore.Destroy(c); err != nil {
		ctl.fail(c, err)
		return
	}
	to := "/"
	if next := c.Query("next"); strings.HasPrefix(next, "/lessons") {
		to = safeNext(next) // the session lab's logout button comes back to the lab
		nodeLine(c, "req.session.destroy(() => res.redirect('/'))")
	}
	ctl.redirectWithoutSaving(c, to)
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
