package controllers

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/sessionstore"
)

// "What just happened": a lesson action's request (and the page its redirect lands on) shows
// the cookies that crossed, how the session was loaded, every command the store sent and why.
// The session middleware traces only lesson requests (routes.isLessonPage); the redirect keeps
// the action's record in the database (models.LessonTraceModel) under a random id that only its
// URL carries, so whichever instance serves the next page can show it.

// nodeLineKey holds, in the gin context, the Node course's line for the action being traced.
const nodeLineKey = "lessons.nodeLine"

// traceParam is the query parameter that names an action's kept record.
const traceParam = "happened"

// endedSessionKey holds, in the gin context, the id of the session a lesson action ended.
const endedSessionKey = "lessons.endedSession"

// nodeLine says which line of the Node course the traced request does.
func nodeLine(c *gin.Context, line string) { c.Set(nodeLineKey, line) }

// requestRecord is what this request did to its session so far, or false when it is not traced.
func (ctl *Controllers) requestRecord(c *gin.Context) (models.LessonRequest, bool) {
	t := sessionstore.RequestTrace(c)
	if t == nil {
		return models.LessonRequest{}, false
	}
	snap := t.Snapshot()
	rec := models.LessonRequest{
		Request: c.Request.Method + " " + c.Request.URL.Path,
		Cookie:  ctl.maskSessionCookie(c.GetHeader("Cookie")),
		Load:    string(snap.Load), LoadWhy: snap.LoadWhy,
		Decisions: snap.Decisions, Node: c.GetString(nodeLineKey), At: time.Now().UTC(),
	}
	for _, line := range c.Writer.Header().Values("Set-Cookie") {
		rec.SetCookies = append(rec.SetCookies, ctl.maskSetCookie(line))
	}
	for _, cmd := range snap.Commands {
		rec.Commands = append(rec.Commands, models.LessonCommand{Store: cmd.Store, Name: cmd.Name, Collection: cmd.Collection, Detail: cmd.Detail})
	}
	if len(rec.Decisions) == 0 {
		if sessionsID(c) == "" {
			rec.Decisions = []string{"not stored: the session is new and holds nothing (saveUninitialized: false)"}
		} else {
			rec.Decisions = []string{"not written: nothing in the session changed (resave: false)"}
		}
	}
	return rec, true
}

// keepForNextPage stores this traced request's record and returns to with the parameter that
// names it; an untraced request gets to back as it is.
func (ctl *Controllers) keepForNextPage(c *gin.Context, to string) (string, error) {
	rec, ok := ctl.requestRecord(c)
	if !ok {
		return to, nil
	}
	kept := models.LessonTrace{Requests: []models.LessonRequest{rec}, SessionID: c.GetString(endedSessionKey)}
	id, err := ctl.Models.LessonTraces.Keep(c.Request.Context(), kept, time.Now())
	if err != nil {
		return "", err
	}
	u, err := url.Parse(to)
	if err != nil {
		return to, nil
	}
	q := u.Query()
	q.Set(traceParam, id)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// whatHappened is the panel's data: the action's request kept by the redirect (if the URL names
// one), then this page's own request, read when the view renders (after the session is saved).
type whatHappened struct {
	ctl      *Controllers
	c        *gin.Context
	previous []models.LessonRequest
	// Ended is the evidence about the session the action ended: its document looked up by its
	// id now (still there after forget-cookie, gone after destroy and login).
	Ended *endedSession
}

// endedSession is the lookup of an ended session's document by its id.
type endedSession struct {
	ID       string // shortened
	Found    bool
	Document string // as the lab shows documents, secrets masked
}

// whatHappened reads the action's record the URL names; a missing or expired one is no error.
func (ctl *Controllers) whatHappened(c *gin.Context) (whatHappened, error) {
	w := whatHappened{ctl: ctl, c: c}
	id := c.Query(traceParam)
	if id == "" || len(id) > 64 {
		return w, nil
	}
	kept, err := ctl.Models.LessonTraces.Find(c.Request.Context(), id, time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return w, nil
	} else if err != nil {
		return w, err
	}
	w.previous = kept.Requests
	if kept.SessionID != "" {
		raw, found, err := ctl.Sessions.Document(c.Request.Context(), kept.SessionID)
		if err != nil {
			return w, err
		}
		w.Ended = &endedSession{ID: shorten(kept.SessionID), Found: found}
		if found {
			if w.Ended.Document, err = labDocumentJSON(raw); err != nil {
				return w, err
			}
		}
	}
	return w, nil
}

// Requests is every request to show, oldest first.
func (w whatHappened) Requests() []models.LessonRequest {
	if w.ctl == nil {
		return nil
	}
	out := append([]models.LessonRequest(nil), w.previous...)
	if rec, ok := w.ctl.requestRecord(w.c); ok {
		out = append(out, rec)
	}
	return out
}

// maskSetCookie shortens the session id and signature in a Set-Cookie line.
func (ctl *Controllers) maskSetCookie(line string) string {
	name, rest, ok := strings.Cut(line, "=")
	if !ok || name != ctl.Config.SessionName {
		return line
	}
	value, attrs, _ := strings.Cut(rest, ";")
	if value == "" {
		return line // an expiring cookie has no value to hide
	}
	return name + "=" + shortSigned(value) + ";" + attrs
}

// shortSigned shortens a signed cookie value, s%3A<id>.<signature>, to its recognisable starts.
func shortSigned(value string) string {
	body, ok := strings.CutPrefix(value, "s%3A")
	if !ok {
		return shorten(value)
	}
	id, sig, _ := strings.Cut(body, ".")
	return "s%3A" + shorten(id) + "." + shorten(sig)
}

func sessionsID(c *gin.Context) string {
	if !hasSession(c) {
		return ""
	}
	return sessions.Default(c).ID()
}
