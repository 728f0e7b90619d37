package controllers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/views"
)

// The session lab (/lessons/session) shows the visitor their own session cookie and document,
// and lets them do to it what the course's code does: req.session.x = y, req.session.save(cb),
// req.session.destroy(cb), and (as a contrast) only clearing the cookie.

const (
	// sessionKeyLesson holds the lab's values: session.lesson.<key> in the document, so a
	// lesson key can never overwrite isLoggedIn, user or csrfSecret.
	sessionKeyLesson = "lesson"
	maxLessonKeys    = 10
	maxLessonValue   = 200 // characters
	// slowStoreDelay is the lab's deliberately slow store for mode=redirect-first: the save
	// lands this long after the redirect has gone out.
	slowStoreDelay = time.Second
	modeSave       = "save"
	modeRedirect   = "redirect-first"
)

var lessonKey = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// reservedLessonKeys are refused although they are safe under session.lesson: the shop's own
// session keys (a student would take lesson.user for the logged-in user), and the names that
// are special to the JavaScript objects the Node app builds from the same document.
var reservedLessonKeys = []string{"cookie", "isLoggedIn", "user", "csrfSecret", "flash", "_flash",
	"lesson", sessionKeyLessonHeader, sessionKeyLessonProgress, "__proto__", "constructor", "prototype"}

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
	Mongosh string
}

type labCookie struct {
	Signed, Verified, OldSecret bool
	ID, Signature               string // shortened: the page never prints the full cookie
}

type labValue struct{ Key, Value string }

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
	}
	ctl.earnFromLab(c, data)
	ctl.render(c, http.StatusOK, "lessons/session", data)
}

// earnFromLab ticks the steps that merely looking at the lab shows.
func (ctl *Controllers) earnFromLab(c *gin.Context, data sessionLabData) {
	if data.Cookie == nil || !data.Cookie.Verified {
		// No session cookie came with this request: this page starts a session (it saves the
		// ticks), and its answer carries the connect.sid cookie nobody asked for.
		earn(c, "cookie-generated")
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
	data.Document, err = labDocumentJSON(raw)
	return data, err
}

// PostSessionValue is POST /lessons/session/value: req.session.lesson[key] = value, then
// either save and redirect (mode=save) or redirect at once and save later (redirect-first).
func (ctl *Controllers) PostSessionValue(c *gin.Context) {
	f := labForm{Key: postForm(c, "key"), Value: postForm(c, "value"), Mode: postForm(c, "mode")}
	if f.Mode == "" {
		f.Mode = modeSave
	}
	s := sessions.Default(c)
	if msg := checkLessonValue(f, lessonValues(s)); msg != "" {
		data, err := ctl.sessionLab(c, f)
		if err != nil {
			ctl.fail(c, err)
			return
		}
		data.ErrorMessage = msg
		ctl.render(c, http.StatusUnprocessableEntity, "lessons/session", data)
		return
	}

	if f.Mode == modeRedirect && s.ID() != "" {
		// res.redirect() without waiting for req.session.save(cb): the browser is already
		// asking for the next page while the (slow) store is still writing.
		ctl.saveLater(s.ID(), f.Key, f.Value)
		c.Redirect(http.StatusSeeOther, "/lessons/session?pending="+f.Key+"#panel-document")
		return
	}
	lesson := lessonValues(s)
	lesson[f.Key] = f.Value
	s.Set(sessionKeyLesson, toAny(lesson)) // req.session.lesson[key] = value
	earn(c, "session-set")
	ctl.redirect(c, "/lessons/session#panel-document") // req.session.save(() => res.redirect(...))
}

// saveLater stores the value slowStoreDelay from now, through the same store, with the app's
// context: the request (and its context) is over by then. A session that ended meanwhile stays
// ended (Store.Change never revives one).
func (ctl *Controllers) saveLater(id, key, value string) {
	go func() {
		select {
		case <-time.After(slowStoreDelay):
		case <-ctl.Background.Done():
			return
		}
		ctx, cancel := context.WithTimeout(ctl.Background, 5*time.Second)
		defer cancel()
		_, err := ctl.Sessions.Change(ctx, id, func(values map[any]any) error {
			lesson := map[string]string{}
			if m, ok := values[sessionKeyLesson].(map[string]any); ok {
				for k, v := range m {
					lesson[k], _ = v.(string)
				}
			}
			if _, ok := lesson[key]; !ok && len(lesson) >= maxLessonKeys {
				return errLessonFull // filled up by other saves since the check
			}
			lesson[key] = value
			values[sessionKeyLesson] = toAny(lesson)
			return nil
		})
		if err != nil && ctl.Background.Err() == nil {
			ctl.Logger.Warn("session lab: delayed save failed", "err", err)
		}
	}()
}

var errLessonFull = errors.New("the session already has the maximum number of lesson keys")

// PostSessionForgetCookie is POST /lessons/session/forget-cookie: res.clearCookie('connect.sid')
// without req.session.destroy(). The browser forgets the id; the document stays behind until it
// expires or the sweeper removes it.
func (ctl *Controllers) PostSessionForgetCookie(c *gin.Context) {
	to := "/lessons/session"
	if id := sessions.Default(c).ID(); id != "" {
		raw, found, err := ctl.Sessions.Document(c.Request.Context(), id)
		if err != nil {
			ctl.fail(c, err)
			return
		}
		if found {
			until, _ := raw.Lookup("expires").TimeOK()
			to += "?" + url.Values{"orphan": {shortPrefix(id)}, "until": {strconv.FormatInt(until.Unix(), 10)}}.Encode() +
				"&" + carryProgress(c, markOrphan)
		}
	}
	ctl.Sessions.ExpireCookie(c.Writer, ctl.Config.SessionName)
	c.Redirect(http.StatusSeeOther, to+"#panel-destroy") // no save: the session itself is left exactly as it is
}

// PostSessionDestroy is POST /lessons/session/destroy: req.session.destroy(() => res.redirect(...)).
func (ctl *Controllers) PostSessionDestroy(c *gin.Context) {
	id := sessions.Default(c).ID()
	carried := carryProgress(c, markDestroyed) // read before the session's values are gone
	if err := middleware.DestroySession(c); err != nil {
		ctl.fail(c, err)
		return
	}
	to := "/lessons/session"
	if id != "" {
		to += "?destroyed=" + shortPrefix(id) + "&" + carried
	}
	c.Redirect(http.StatusSeeOther, to+"#panel-destroy")
}

// PostSessionTamper is POST /lessons/session/tamper: the visitor's own session cookie comes back
// with one character of its signature changed, as an attacker editing it would send it. The next
// request carries it, and the store refuses it and starts a new session.
func (ctl *Controllers) PostSessionTamper(c *gin.Context) {
	name := ctl.Config.SessionName
	ck, err := c.Request.Cookie(name)
	if err != nil { // the CSRF check needs a session, so this is a browser that dropped it since
		c.Redirect(http.StatusSeeOther, "/lessons/session#panel-cookie")
		return
	}
	parts := ctl.Sessions.InspectCookie(ck.Value)
	bad := tamperSignature(ck.Value)
	// The same name and path, so the browser replaces its cookie; no save of the session, which
	// would send the good cookie again.
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: bad, Path: "/", HttpOnly: true,
		Secure: ctl.Config.IsProduction(), SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, "/lessons/session?tampered="+shortPrefix(parts.ID)+"&"+carryProgress(c)+"#panel-cookie")
}

// tamperSignature changes the first character of the signature (after the last '.'): the first,
// because the last base64 character also holds padding bits that a decoder may ignore.
func tamperSignature(value string) string {
	dot := strings.LastIndexByte(value, '.')
	if dot < 0 || dot == len(value)-1 {
		return value + "x"
	}
	b := []byte(value)
	if b[dot+1] == 'A' {
		b[dot+1] = 'B'
	} else {
		b[dot+1] = 'A'
	}
	return string(b)
}

// checkLessonValue returns the message for a bad form, or "".
func checkLessonValue(f labForm, current map[string]string) string {
	switch {
	case !lessonKey.MatchString(f.Key):
		return "The key must be 1 to 32 letters, digits or '_' (no '$', '.', spaces or other characters)."
	case slices.ContainsFunc(reservedLessonKeys, func(r string) bool { return strings.EqualFold(r, f.Key) }):
		return "The key " + f.Key + " is reserved: pick another name."
	case !utf8.ValidString(f.Value):
		return "The value must be text (UTF-8)."
	case utf8.RuneCountInString(f.Value) > maxLessonValue:
		return "The value must be at most " + strconv.Itoa(maxLessonValue) + " characters."
	case f.Mode != modeSave && f.Mode != modeRedirect:
		return "The mode must be save or redirect-first."
	}
	if _, ok := current[f.Key]; !ok && len(current) >= maxLessonKeys {
		return "A session holds at most " + strconv.Itoa(maxLessonKeys) + " lesson keys: destroy the session to start again."
	}
	return ""
}

// lessonValues copies req.session.lesson out of the session (string values only).
func lessonValues(s sessions.Session) map[string]string {
	out := map[string]string{}
	if m, ok := s.Get(sessionKeyLesson).(map[string]any); ok {
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
