package controllers

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/views"
)

// page builds the part of the view data every page needs: title, active link, login state, the
// one-time flash messages and a lazy CSRF token.
func (ctl *Controllers) page(c *gin.Context, title, path string) views.Page {
	p := views.NewPage(title, path, func() string { return middleware.CSRFToken(c, ctl.Sessions) })
	if u, ok := middleware.UserFrom(c); ok {
		p.IsAuthenticated = true
		p.UserEmail = u.Email
	}
	if hasSession(c) {
		s := sessions.Default(c)
		// Reading flashes removes them, like req.flash('info'); the session is saved by render.
		// The Node course app's req.flash('error', ...) (and 'success'), when it shares the
		// session (see interop/), are shown here too, like its pages show them.
		for _, f := range slices.Concat(s.Flashes(), s.Flashes("error"), s.Flashes("success")) {
			if msg, ok := f.(string); ok {
				p.Flashes = append(p.Flashes, msg)
			}
		}
		if len(p.Flashes) > 0 {
			c.Header("Cache-Control", "no-store") // a message for this visitor only, shown once
		}
	}
	return p
}

// render saves the session (consumed flashes, a lab value), executes the view into a buffer,
// and only then writes the status and the page. A save that fails because the database does not
// answer is the 503 page, like any other query (see fail).
func (ctl *Controllers) render(c *gin.Context, status int, name string, data any) {
	if err := saveSession(c); err != nil {
		ctl.fail(c, err)
		return
	}
	err := ctl.Views.Render(name, data, func(body []byte) error {
		c.Data(status, "text/html; charset=utf-8", body)
		return nil
	})
	if err != nil {
		ctl.fail(c, err)
	}
}

// redirect saves the session first and then redirects: req.session.save(() => res.redirect(to)).
// 303 makes the browser follow a POST with a GET.
func (ctl *Controllers) redirect(c *gin.Context, to string) {
	if err := saveSession(c); err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.redirectWithoutSaving(c, to)
}

// redirectWithoutSaving redirects at once, res.redirect(to) with no save before it: after
// Destroy (nothing left to save), or the session lab's deliberate race. A lesson action's
// redirect also keeps what the request did for the next page (see lessons_trace.go).
func (ctl *Controllers) redirectWithoutSaving(c *gin.Context, to string) {
	to, err := ctl.keepForNextPage(c, to)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}

// flash stores a one-time message for the next page, like req.flash('info', msg).
func flash(c *gin.Context, msg string) {
	sessions.Default(c).AddFlash(msg)
}

// hasSession tells whether the route loads the session (static files' 404 page does not).
func hasSession(c *gin.Context) bool {
	_, ok := c.Get(sessions.DefaultKey)
	return ok
}

// saveSession is req.session.save(): it writes what the request changed, if anything.
func saveSession(c *gin.Context) error {
	if !hasSession(c) {
		return nil
	}
	return sessions.Default(c).Save()
}

// pageNumber reads ?page=N; anything that is not a positive number is page 1.
func pageNumber(c *gin.Context) int { return parsePage(c.Query("page")) }

// parsePage is pageNumber's rule on the raw value (fuzzed in render_fuzz_test.go).
func parsePage(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// postForm returns the parsed body fields; the CSRF middleware has parsed them already and
// answered any parse error (413, 400), so handlers never see a half-read form.
func postForm(c *gin.Context, name string) string {
	return c.Request.PostForm.Get(name)
}
