package controllers

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginshop/ginshop/sessionstore"
)

// The visitor's progress through /lessons: the marks the server has seen this browser earn, kept
// in its own session under one key, as a space-separated list ("set-cookie read-cookie ...") that
// a student can read in their session document.

// Marks that are not a step of their own: step 11 needs both an orphan and a destroy.
const (
	markOrphan    = "left-orphan"
	markDestroyed = "destroyed"
)

// progressParam carries the marks across an action that ends the session (tamper, forget the
// cookie, destroy): the next request starts a new session, and the redirect URL brings the ticks
// along. Anyone can write such a URL, which only ticks their own steps.
const progressParam = "progress"

// progress is the set of marks earned so far.
type progress map[string]bool

// progressOf reads the marks in the request's session; unknown words are ignored.
func progressOf(s sessions.Session) progress {
	raw, _ := s.Get(sessionstore.KeyLessonProgress).(string)
	return parseProgress(raw)
}

func parseProgress(raw string) progress {
	p := progress{}
	for _, m := range strings.Fields(raw) {
		if isMark(m) {
			p[m] = true
		}
	}
	return p
}

func (p progress) String() string {
	marks := make([]string, 0, len(p))
	for m := range p {
		marks = append(marks, m)
	}
	slices.Sort(marks)
	return strings.Join(marks, " ")
}

// done reports whether every mark of the step is earned.
func (p progress) done(st lessonStep) bool {
	for _, m := range st.marks() {
		if !p[m] {
			return false
		}
	}
	return true
}

// earn adds marks to the visitor's progress; the session is written only if something is new,
// and saved by the render or redirect that follows.
func earn(c *gin.Context, marks ...string) {
	s := sessions.Default(c)
	p := progressOf(s)
	n := len(p)
	for _, m := range marks {
		if isMark(m) {
			p[m] = true
		}
	}
	if len(p) != n {
		s.Set(sessionstore.KeyLessonProgress, p.String()) // req.session.lessonProgress = '...'
	}
}

// carryProgress is the query that brings the marks (and more) across a session's end.
func carryProgress(c *gin.Context, more ...string) string {
	p := progressOf(sessions.Default(c))
	for _, m := range more {
		p[m] = true
	}
	if len(p) == 0 {
		return ""
	}
	return url.Values{progressParam: {p.String()}}.Encode()
}

func isMark(m string) bool {
	if m == markOrphan || m == markDestroyed {
		return true
	}
	return slices.ContainsFunc(lessonSteps, func(st lessonStep) bool { return st.ID == m })
}

// PostLessonsRestart is POST /lessons/restart: "start again" forgets every tick.
func (ctl *Controllers) PostLessonsRestart(c *gin.Context) {
	sessions.Default(c).Delete(sessionstore.KeyLessonProgress) // delete req.session.lessonProgress
	ctl.redirect(c, "/lessons")
}

// progressFromURL merges the marks a redirect carried (see progressParam).
func progressFromURL(c *gin.Context) {
	if raw := c.Query(progressParam); raw != "" {
		earn(c, strings.Fields(raw)...)
	}
}
