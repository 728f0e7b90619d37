package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Options are the express-session options the sandbox lets a student change:
//
//	app.use(session({resave, saveUninitialized, rolling, cookie: {maxAge}, store}))
type Options struct {
	Resave            bool
	SaveUninitialized bool
	Rolling           bool
	MaxAge            time.Duration // cookie.maxAge (express-session takes milliseconds)
}

// Request is one request through express-session's middleware: the variables its session()
// closure keeps per request (cookieId, originalId, originalHash, savedHash) and req.session.
type Request struct {
	opts     Options
	store    Store
	cookieID string // cookieId: the id the browser's signed cookie names, "" when it sent none
	ID       string // req.sessionID
	Session  *Session
	Loaded   Loaded

	originalID   string
	originalHash string
	savedHash    string // "" while undefined: hash() is never ""
}

// Loaded says how a request got its session.
type Loaded string

const (
	LoadedNoCookie Loaded = "new: the browser sent no sandbox.sid cookie"
	LoadedNotFound Loaded = "new: the cookie names no stored session (never saved, expired or deleted)"
	LoadedFound    Loaded = "found in the store"
)

// Begin is the first half of session(req, res, next): read the cookie's id, ask the store for
// the session (store.get), and inflate it, or generate a new one.
func Begin(ctx context.Context, store Store, opts Options, cookieID string, now time.Time) (*Request, error) {
	r := &Request{opts: opts, store: store, cookieID: cookieID, ID: cookieID}
	if cookieID == "" {
		r.generate(now) // "no SID sent, generating session"
		r.Loaded = LoadedNoCookie
		return r, nil
	}
	sess, err := store.Get(ctx, cookieID)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		r.generate(now) // "no session found"
		r.Loaded = LoadedNotFound
		return r, nil
	}
	r.inflate(sess)
	r.Loaded = LoadedFound
	return r, nil
}

// generate is store.generate(req): a new id and an empty session with a fresh cookie.
func (r *Request) generate(now time.Time) {
	r.ID = newID()
	r.Session = &Session{Data: map[string]string{}, Cookie: Cookie{
		OriginalMaxAge: r.opts.MaxAge, Expires: now.Add(r.opts.MaxAge),
		HTTPOnly: true, Path: CookiePath, SameSite: "lax",
	}}
	r.originalID = r.ID
	r.originalHash = hash(r.Session)
}

// inflate is inflate(req, sess): the stored session becomes req.session. Only with
// resave: false does express-session remember it as already saved (savedHash).
func (r *Request) inflate(sess *Session) {
	r.Session = sess
	r.originalID = r.ID
	r.originalHash = hash(sess)
	if !r.opts.Resave {
		r.savedHash = r.originalHash
	}
}

// Set is the application's req.session[key] = value.
func (r *Request) Set(key, value string) { r.Session.Data[key] = value }

// isModified: the id changed, or the data (not the cookie) differs from what was loaded.
func (r *Request) isModified() bool {
	return r.originalID != r.ID || r.originalHash != hash(r.Session)
}

// isSaved: the data is what was last saved (or loaded, with resave: false).
func (r *Request) isSaved() bool {
	return r.originalID == r.ID && r.savedHash == hash(r.Session)
}

// shouldSave decides whether res.end() calls req.session.save() (store.set).
func (r *Request) shouldSave() bool {
	if !r.opts.SaveUninitialized && r.savedHash == "" && r.cookieID != r.ID {
		return r.isModified() // a new session is stored only once something was put in it
	}
	return !r.isSaved()
}

// shouldTouch decides whether res.end() calls store.touch(), if the store has one.
func (r *Request) shouldTouch() bool {
	return r.cookieID == r.ID && !r.shouldSave()
}

// shouldSetCookie decides whether the response carries Set-Cookie. Every sandbox cookie has a
// maxAge, so req.session.cookie.expires is never null here.
func (r *Request) shouldSetCookie() bool {
	if r.cookieID != r.ID {
		return r.opts.SaveUninitialized || r.isModified()
	}
	return r.opts.Rolling || r.isModified()
}

// Write is what res.end() asked of the store.
type Write string

const (
	WriteSet   Write = "store.set"
	WriteTouch Write = "store.touch"
	WriteNone  Write = "nothing"
)

// Outcome is what one request did: the decisions, in words, and what the store was asked.
type Outcome struct {
	Label         string
	ID            string // the session's id (the page shortens it)
	Loaded        Loaded
	Modified      bool   // isModified()
	Write         Write  // what the store was asked to do
	WriteWhy      string // shouldSave / shouldTouch, in words
	SetCookie     bool   // shouldSetCookie()
	CookieWhy     string
	CookieExpires time.Time // the expiry the Set-Cookie carried
	SetCookieLine string    // the Set-Cookie line, id and signature shortened
	Commands      []Command
}

// End is res.end(): touch the session's cookie, then save it, or touch it in the store, or
// leave the store alone; and decide whether the answer sets the cookie (the onHeaders listener).
func (r *Request) End(ctx context.Context, now time.Time) (Outcome, error) {
	r.Session.touch(now) // req.session.touch(): cookie.expires = now + originalMaxAge
	o := Outcome{ID: r.ID, Loaded: r.Loaded, Modified: r.isModified(), Write: WriteNone}
	toucher, storeImplementsTouch := r.store.(Toucher)
	switch {
	case r.shouldSave():
		o.Write, o.WriteWhy = WriteSet, r.saveReason()
		if err := r.store.Set(ctx, r.ID, r.Session); err != nil { // req.session.save()
			return o, err
		}
		r.savedHash = hash(r.Session)
	case storeImplementsTouch && r.shouldTouch():
		o.Write = WriteTouch
		o.WriteWhy = "shouldSave() is false (resave: false and isModified() is false), and shouldTouch() is true: " +
			"this store has touch(), so only the expiry is refreshed."
		if err := toucher.Touch(ctx, r.ID, r.Session); err != nil {
			return o, err
		}
	case r.shouldTouch():
		o.WriteWhy = "shouldSave() is false (resave: false and isModified() is false). shouldTouch() is true, but " +
			"connect-mongodb-session has no touch(): nothing is written, so the stored expires does not move."
	default:
		o.WriteWhy = "shouldSave() is false: a new session that isModified() says is empty, with saveUninitialized: false. Nothing is stored."
	}
	o.SetCookie = r.shouldSetCookie()
	o.CookieWhy = r.cookieReason()
	if o.SetCookie {
		o.CookieExpires = r.Session.Cookie.Expires
	}
	return o, nil
}

// ShortID is the session's id, shortened for the page.
func (o Outcome) ShortID() string { return shorten(o.ID) }

func (r *Request) saveReason() string {
	switch {
	case r.cookieID != r.ID && !r.opts.SaveUninitialized:
		return "shouldSave() is true: a new session, and isModified() is true (something was put in it)."
	case r.cookieID != r.ID:
		return "shouldSave() is true: a new session with saveUninitialized: true is stored even when empty."
	case r.isModified():
		return "shouldSave() is true: isModified() is true (req.session.value changed), so isSaved() is false."
	default:
		return "shouldSave() is true although nothing changed: with resave: true the loaded session never counts as saved " +
			"(isSaved() is false), so the whole session, as this request loaded it, is written back."
	}
}

func (r *Request) cookieReason() string {
	switch {
	case r.cookieID != r.ID && r.opts.SaveUninitialized:
		return "shouldSetCookie(): a new session with saveUninitialized: true always gets its cookie."
	case r.cookieID != r.ID && r.isModified():
		return "shouldSetCookie(): a new session that isModified() gets its cookie."
	case r.cookieID != r.ID:
		return "shouldSetCookie(): a new, unmodified session with saveUninitialized: false gets no cookie."
	case r.opts.Rolling:
		return "shouldSetCookie(): rolling: true re-sends the cookie, with a new expiry, on every response."
	case r.isModified():
		return "shouldSetCookie(): rolling: false, but the session isModified(), so the cookie is re-sent."
	default:
		return "shouldSetCookie(): rolling: false and the session is unmodified: no Set-Cookie, the browser keeps its cookie and its old expiry."
	}
}

// newID is express-session's generateSessionId: uid(24), 24 random bytes, URL-safe base64.
func newID() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
