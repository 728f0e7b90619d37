package controllers

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/views"
)

// The session lab (/lessons/session) shows the visitor their own session cookie and document,
// and lets them do to it what the course's code does: req.session.x = y, req.session.save(cb),
// req.session.destroy(cb), and (as a contrast) only clearing the cookie.

const (
	// The lab's values live under sessionstore.KeyLesson: session.lesson.<key> in the document, so a
	// lesson key can never overwrite isLoggedIn, user or csrfSecret.
	maxLessonKeys  = 10
	maxLessonValue = 200 // characters
	modeSave       = "save"
	modeRedirect   = "redirect-first"
)

var lessonKey = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

type sessionLabData struct {
	views.Page
	CookieName string
	Cookie     *labCookie // nil when the browser sent no session cookie
	InMemory   bool       // SESSION_STORE=memory: there is no document to show
	DocumentID string     // shortened
	Document   string     // the stored document as pretty Extended JSON, secrets masked
	NoDocument string     // why there is no document to show
	Lesson     []labValue // req.session.lesson as this request loaded it
	Pending    string     // the key a redirect-first save is still writing
	Arrived    string     // the key a redirect-first save was writing, now stored
	Orphan     *labOrphan // what forget-cookie left behind
	Destroyed  string     // the shortened id destroy deleted
	Tampered   string     // the shortened id whose cookie was tampered with
	Form       labForm
	MaxKeys    int
	MaxValue   int
	// Mongosh is the command that opens this shop's database (the address it really has).
	Mongosh  string
	Ends     *labEnds     // when the stored session ends, nil without one
	Happened whatHappened // what the last lesson action and this page did to the session
}

type labCookie struct {
	Signed, Verified, OldSecret bool
	ID, Signature               string // shortened: the page never prints the full cookie
}

type labValue struct{ Key, Value string }

// labEnds is when the visitor's session ends: idle (its expires) and absolute (createdAt +
// SESSION_ABSOLUTE_TIMEOUT), whichever comes first.
type labEnds struct {
	Idle, Absolute     time.Time
	IdleIn, AbsoluteIn string
}

type labOrphan struct {
	ID    string
	Until time.Time
	In    string // how long from now, in words
}

type labForm struct{ Key, Value, Mode string }

// GetSessionLab is GET /lessons/session. The query says what the action before it did (the
// action's own answer could not show it: it redirected), and carries the visitor's ticks across
// an action that ended the session.
func (ctl *Controllers) GetSessionLab(c *gin.Context) {
	data, err := ctl.sessionLab(c, labForm{Mode: modeSave})
	if err != nil {
		ctl.fail(c, err)
		return
	}
	q := c.Request.URL.Query()
	if k := q.Get("pending"); lessonKey.MatchString(k) {
		if slices.ContainsFunc(data.Lesson, func(v labValue) bool { return v.Key == k }) {
			data.Arrived = k // a reload after the slow save: say so instead of "still on its way"
		} else {
			data.Pending = k
			earn(c, "save-before-redirect") // this page was read before the value it waited for
		}
	}
	if id := q.Get("orphan"); isShortID(id) {
		if until, err := strconv.ParseInt(q.Get("until"), 10, 64); err == nil {
			t := time.Unix(until, 0).UTC()
			data.Orphan = &labOrphan{ID: id + "…", Until: t, In: inWords(time.Until(t))}
		}
	}
	if id := q.Get("destroyed"); isShortID(id) {
		data.Destroyed = id + "…"
	}
	if id := q.Get("tampered"); isShortID(id) {
		data.Tampered = id + "…"
		if data.Cookie != nil && !data.Cookie.Verified {
			earn(c, "signed") // the store refused the tampered cookie: this is a new session
		}
	}
	if data.Orphan != nil || data.Destroyed != "" || data.Tampered != "" {
		progressFromURL(c)
		// The ticks brought across start a new session on this page: the store saves it, and
		// its connect.sid cookie comes with this answer without being asked for.
		if s := sessions.Default(c); s.ID() == "" && len(progressOf(s)) > 0 {
			earn(c, "cookie-generated")
		}
	}
	ctl.earnFromLab(c, data)
	ctl.render(c, http.StatusOK, "lessons/session", data)
}

// earnFromLab ticks the steps that merely looking at the lab shows.
func (ctl *Controllers) earnFromLab(c *gin.Context, data sessionLabData) {
	if data.Cookie == nil || !data.Cookie.Verified {
		// No session: looking stores nothing (saveUninitialized: false). But a page that does
		// start one, with the ticks carried across a tamper or a destroy, sends a connect.sid
		// cookie nobody asked for.
		if sessions.Default(c).Get(sessionstore.KeyLessonProgress) != nil {
			earn(c, "cookie-generated")
		}
		return
	}
	earn(c, "session-middleware")
	if data.Document != "" || data.InMemory {
		earn(c, "session-on-server")
	}
	if len(data.Lesson) > 0 {
		earn(c, "session-get")
		if data.Document != "" {
			earn(c, "mongodb-store")
		}
	}
}

// inWords says how far away d is, roughly ("in 1 h 59 min", "in 40 s").
func inWords(d time.Duration) string {
	switch {
	case d <= 0:
		return "already passed"
	case d < time.Minute:
		return "in " + strconv.Itoa(int(d.Seconds())) + " s"
	case d < time.Hour:
		return "in " + strconv.Itoa(int(d.Minutes())) + " min"
	}
	h := int(d.Hours())
	return "in " + strconv.Itoa(h) + " h " + strconv.Itoa(int(d.Minutes())-60*h) + " min"
}

// sessionLab reads what the lab shows: the cookie as the browser sent it, the document as the
// store holds it right now, and the lesson values as this request loaded them.
func (ctl *Controllers) sessionLab(c *gin.Context, form labForm) (sessionLabData, error) {
	name := ctl.Config.SessionName
	data := sessionLabData{
		Page:       ctl.page(c, "Session Lab", "/lessons/session"),
		CookieName: name,
		InMemory:   ctl.Sessions.InMemory(),
		Form:       form,
		MaxKeys:    maxLessonKeys,
		MaxValue:   maxLessonValue,
		Mongosh:    "npx mongosh " + ctl.DatabaseURI,
	}
	data.Scripts = []string{"/js/lessons.js"} // times in the visitor's own zone
	var err error
	if data.Happened, err = ctl.whatHappened(c); err != nil {
		return data, err
	}
	for k, v := range lessonValues(sessions.Default(c)) {
		data.Lesson = append(data.Lesson, labValue{Key: k, Value: v})
	}
	slices.SortFunc(data.Lesson, func(a, b labValue) int { return strings.Compare(a.Key, b.Key) })

	ck, err := c.Request.Cookie(name)
	if err != nil {
		data.NoDocument = "Your browser sent no " + name + " cookie, so there is no session to look up."
		return data, nil
	}
	parts := ctl.Sessions.InspectCookie(ck.Value)
	data.Cookie = &labCookie{Signed: parts.Signed, Verified: parts.Verified, OldSecret: parts.OldSecret,
		ID: shorten(parts.ID), Signature: shorten(parts.Signature)}
	switch {
	case !parts.Verified:
		data.NoDocument = "The cookie's signature does not verify, so the store ignores it: no document is looked up."
		return data, nil
	case data.InMemory:
		return data, nil // the page explains the memory store instead
	}
	raw, found, err := ctl.Sessions.Document(c.Request.Context(), parts.ID)
	if err != nil {
		return data, err
	}
	if !found {
		data.NoDocument = "No document has this id: it was destroyed, it expired, or login gave the session a new id."
		return data, nil
	}
	data.DocumentID = shorten(parts.ID)
	if idle, ok := raw.Lookup("expires").TimeOK(); ok {
		if start, ok := raw.Lookup("createdAt").TimeOK(); ok {
			abs := start.Add(ctl.Config.SessionAbsoluteTimeout).UTC()
			data.Ends = &labEnds{Idle: idle.UTC(), Absolute: abs, IdleIn: inWords(time.Until(idle)), AbsoluteIn: inWords(time.Until(abs))}
		}
	}
	data.Document, err = labDocumentJSON(raw)
	return data, err
}

// lessonValues copies req.session.lesson out of the session (string values only).
func lessonValues(s sessions.Session) map[string]string {
	out := map[string]string{}
	if m, ok := s.Get(sessionstore.KeyLesson).(map[string]any); ok {
		for k, v := range m {
			if str, ok := v.(string); ok {
				out[k] = str
			}
		}
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// shorten keeps the first 6 characters of a secret-ish value (fewer of a short one) and marks
// the cut, so the page can name a cookie or id without printing it.
func shorten(s string) string {
	if s == "" {
		return ""
	}
	return shortPrefix(s) + "…"
}

func shortPrefix(s string) string {
	n := 6
	if len(s) < 2*n {
		n = len(s) / 2
	}
	return s[:n]
}

var shortID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,6}$`)

func isShortID(s string) bool { return shortID.MatchString(s) }
