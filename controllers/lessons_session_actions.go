package controllers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginshop/ginshop/sessionstore"
)

// What the session lab's buttons do: set a value (saved before or after the redirect), forget
// the cookie, destroy the session, tamper with the cookie. Each redirects to the panel that
// shows the result.

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

	if s.ID() == "" {
		earn(c, "cookie-generated") // the first value stores the session: its cookie comes with this answer
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
		ctl.redirectWithoutSaving(c, "/lessons/session?pending="+f.Key+"#panel-document")
		return
	}
	lesson := lessonValues(s)
	lesson[f.Key] = f.Value
	s.Set(sessionstore.KeyLesson, toAny(lesson)) // req.session.lesson[key] = value
	earn(c, "session-set")
	nodeLine(c, "req.session.lesson[key] = value; req.session.save(() => res.redirect('/lessons/session'))")
	ctl.redirect(c, "/lessons/session#panel-document") // req.session.save(() => res.redirect(...))
}

// saveLater is the lab's deliberately slow store for mode=redirect-first: it stores the value
// Config.SlowStoreDelay (a second) after the redirect has gone out, through the same store,
// with the app's context: the request (and its context) is over by then. A session that ended
// meanwhile stays ended (Store.Change never revives one).
func (ctl *Controllers) saveLater(id, key, value string) {
	go func() {
		select {
		case <-time.After(ctl.Config.SlowStoreDelay):
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
			to += "?" + url.Values{"orphan": {shortPrefix(id)}, "until": {strconv.FormatInt(until.Unix(), 10)}}.Encode() +
				"&" + carryProgress(c, markOrphan)
		}
	}
	c.Set(endedSessionKey, sessions.Default(c).ID())
	sessionstore.ClearCookieOnly(c)
	nodeLine(c, "res.clearCookie('connect.sid'); res.redirect('/lessons/session') // no req.session.destroy()")
	ctl.redirectWithoutSaving(c, to+"#panel-destroy") // no save: the document is left exactly as it is
}

// PostSessionDestroy is POST /lessons/session/destroy: req.session.destroy(() => res.redirect(...)).
func (ctl *Controllers) PostSessionDestroy(c *gin.Context) {
	id := sessions.Default(c).ID()
	carried := carryProgress(c, markDestroyed) // read before the session's values are gone
	c.Set(endedSessionKey, id)
	if err := sessionstore.Destroy(c); err != nil {
		ctl.fail(c, err)
		return
	}
	to := "/lessons/session"
	if id != "" {
		to += "?destroyed=" + shortPrefix(id) + "&" + carried
	}
	nodeLine(c, "req.session.destroy(() => res.redirect('/lessons/session'))")
	ctl.redirectWithoutSaving(c, to+"#panel-destroy")
}

// PostSessionTamper is POST /lessons/session/tamper: the visitor's own session cookie comes back
// with one character of its signature changed, as an attacker editing it would send it. The next
// request carries it, and the store refuses it and starts a new session.
func (ctl *Controllers) PostSessionTamper(c *gin.Context) {
	name := ctl.Config.SessionName
	ck, err := c.Request.Cookie(name)
	if err != nil { // no session cookie to tamper with: there is nothing to show
		ctl.redirectWithoutSaving(c, "/lessons/session#panel-cookie")
		return
	}
	parts := ctl.Sessions.InspectCookie(ck.Value)
	bad := tamperSignature(ck.Value)
	// The same name and path, so the browser replaces its cookie; no save of the session, which
	// would send the good cookie again.
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: bad, Path: "/", HttpOnly: true,
		Secure: ctl.Config.IsProduction(), SameSite: http.SameSiteLaxMode})
	nodeLine(c, "// an attacker edits the cookie: express-session's unsigncookie(val, secrets) then refuses it")
	ctl.redirectWithoutSaving(c, "/lessons/session?tampered="+shortPrefix(parts.ID)+"&"+carryProgress(c)+"#panel-cookie")
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
