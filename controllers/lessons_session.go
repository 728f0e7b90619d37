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
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/views"
)

// The session lab (/lessons/session) shows the visitor their own session cookie and document,
// and lets them do to it what the course's code does: req.session.x = y, req.session.save(cb),
// req.session.destroy(cb), and (as a contrast) only clearing the cookie.

const (
	// The lab's values live under sessionstore.KeyLesson (session.lesson.<key> in the
	// document), so a lesson key can never overwrite isLoggedIn, user or csrfSecret.
	maxLessonKeys  = 10
	maxLessonValue = 200 // characters
	// slowStoreDelay is the lab's deliberately slow store for mode=redirect-first: the save
	// lands this long after the redirect has gone out.
	slowStoreDelay = time.Second
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
	Orphan     *labOrphan // what forget-cookie left behind
	Destroyed  string     // the shortened id destroy deleted
	Form       labForm
	MaxKeys    int
	MaxValue   int
	Happened   whatHappened // what the last lesson action and this page did to the session
}

type labCookie struct {
	Signed, Verified, OldSecret bool
	ID, Signature               string // shortened: the page never prints the full cookie
}

type labValue struct{ Key, Value string }

type labOrphan struct {
	ID    string
	Until time.Time
}

type labForm struct{ Key, Value, Mode string }

// GetSessionLab is GET /lessons/session.
func (ctl *Controllers) GetSessionLab(c *gin.Context) {
	data, err := ctl.sessionLab(c, labForm{Mode: modeSave})
	if err != nil {
		ctl.fail(c, err)
		return
	}
	q := c.Request.URL.Query()
	if k := q.Get("pending"); lessonKey.MatchString(k) {
		data.Pending = k
	}
	if id := q.Get("orphan"); isShortID(id) {
		if until, err := strconv.ParseInt(q.Get("until"), 10, 64); err == nil {
			data.Orphan = &labOrphan{ID: id + "…", Until: time.Unix(until, 0).UTC()}
		}
	}
	if id := q.Get("destroyed"); isShortID(id) {
		data.Destroyed = id + "…"
	}
	ctl.render(c, http.StatusOK, "lessons/session", data)
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
	}
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

	if f.Mode == modeRedirect {
		if s.ID() == "" {
			// The slow save needs a stored session to write into: store it now, still
			// without the value (an empty req.session.lesson).
			s.Set(sessionstore.KeyLesson, map[string]any{})
			if err := s.Save(); err != nil {
				ctl.fail(c, err)
				return
			}
		}
		// res.redirect() without waiting for req.session.save(cb): the browser is already
		// asking for the next page while the (slow) store is still writing.
		ctl.saveLater(s.ID(), f.Key, f.Value)
		nodeLine(c, "req.session.lesson[key] = value; res.redirect('/lessons/session') // no save(cb): the store writes later")
		ctl.redirectWithoutSaving(c, "/lessons/session?pending="+f.Key)
		return
	}
	lesson := lessonValues(s)
	lesson[f.Key] = f.Value
	s.Set(sessionstore.KeyLesson, toAny(lesson)) // req.session.lesson[key] = value
	nodeLine(c, "req.session.lesson[key] = value; req.session.save(() => res.redirect('/lessons/session'))")
	ctl.redirect(c, "/lessons/session") // req.session.save(() => res.redirect('/lessons/session'))
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
		_, err := ctl.Sessions.Change(ctx, id, func(s sessions.Session) error {
			lesson := lessonValues(s)
			if _, ok := lesson[key]; !ok && len(lesson) >= maxLessonKeys {
				return errLessonFull // filled up by other saves since the check
			}
			lesson[key] = value
			s.Set(sessionstore.KeyLesson, toAny(lesson))
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
			to += "?" + url.Values{"orphan": {shortPrefix(id)}, "until": {strconv.FormatInt(until.Unix(), 10)}}.Encode()
		}
	}
	c.Set(endedSessionKey, sessions.Default(c).ID())
	sessionstore.ClearCookieOnly(c)
	nodeLine(c, "res.clearCookie('connect.sid'); res.redirect('/lessons/session') // no req.session.destroy()")
	ctl.redirectWithoutSaving(c, to) // no save: the document is left exactly as it is
}

// PostSessionDestroy is POST /lessons/session/destroy: req.session.destroy(() => res.redirect(...)).
func (ctl *Controllers) PostSessionDestroy(c *gin.Context) {
	id := sessions.Default(c).ID()
	c.Set(endedSessionKey, id)
	if err := sessionstore.Destroy(c); err != nil {
		ctl.fail(c, err)
		return
	}
	to := "/lessons/session"
	if id != "" {
		to += "?destroyed=" + shortPrefix(id)
	}
	nodeLine(c, "req.session.destroy(() => res.redirect('/lessons/session'))")
	ctl.redirectWithoutSaving(c, to)
}

// checkLessonValue returns the message for a bad form, or "".
func checkLessonValue(f labForm, current map[string]string) string {
	switch {
	case !lessonKey.MatchString(f.Key):
		return "The key must be 1 to 32 letters, digits or '_' (no '$', '.', spaces or other characters)."
	// Reserved names are safe under session.lesson, but a student would take lesson.user for
	// the logged-in user, and __proto__ & co. are special to the Node app's JavaScript objects.
	case slices.ContainsFunc(sessionstore.ReservedKeys, func(r string) bool { return strings.EqualFold(r, f.Key) }):
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

// labDocumentJSON renders a stored session as pretty Extended JSON, with what a page must never
// print masked: the session id and CSRF secret shortened, and the password hash and reset token
// that a session written by the Node app (req.session.user = user) carries dropped.
func labDocumentJSON(raw bson.Raw) (string, error) {
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	maskField(doc, shortenAny, "_id")
	maskField(doc, shortenAny, "session", "csrfSecret")
	maskField(doc, hidden, "session", "user", "password")
	maskField(doc, hidden, "session", "user", "resetToken")
	b, err := bson.MarshalExtJSONIndent(doc, false, false, "", "  ")
	return string(b), err
}

// maskField replaces the value at path, if it is there, with mask(value).
func maskField(doc bson.D, mask func(any) any, path ...string) {
	for i := range doc {
		if doc[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = mask(doc[i].Value)
		} else if sub, ok := doc[i].Value.(bson.D); ok {
			maskField(sub, mask, path[1:]...)
		}
		return
	}
}

func shortenAny(v any) any {
	if s, ok := v.(string); ok {
		return shorten(s)
	}
	return v
}

func hidden(any) any { return "(hidden: never shown, and never stored by Gin Shop)" }

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
