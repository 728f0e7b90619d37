package sessionstore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
)

// A Trace is what happened to one request's session, for the lesson pages ("what just
// happened"): how it was loaded, every command the store sent for it, and what the store
// decided. Only requests the Middleware's traced function picks get one; everywhere else the
// trace is nil and every method below returns at once, so other pages pay nothing.
type Trace struct {
	mu        sync.Mutex
	Load      LoadOutcome
	LoadWhy   string
	Decisions []string
	Commands  []Command
	// CookieSent: the store set the session cookie on this answer.
	CookieSent bool
}

// LoadOutcome is how a request's session was loaded.
type LoadOutcome string

const (
	LoadNew     LoadOutcome = "new"     // no cookie: a new, empty session (stored only once something is put in it)
	LoadFound   LoadOutcome = "found"   // the cookie's signature matched and its document is live
	LoadRefused LoadOutcome = "refused" // a cookie came, but a bad signature, an unknown id or an expired session: a new session
)

// Command is one operation the store sent: a MongoDB command as the driver's command
// monitor saw it, or an operation of the memory store.
type Command struct {
	Store      string // "mongodb" or "memory"
	Name       string // find, insert, update, delete (or the memory store's get, set, touch, destroy)
	Collection string
	Detail     string // filter and update, values shortened
}

type traceKey struct{}

// startTrace gives the request a trace: the command monitor finds it in the request's context.
func startTrace(c *gin.Context) *Trace {
	t := &Trace{}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), traceKey{}, t))
	return t
}

// TraceFrom returns the trace of the request ctx belongs to, or nil.
func TraceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// RequestTrace returns the trace of the request's session, or nil when it is not traced.
func RequestTrace(c *gin.Context) *Trace {
	if v, ok := c.Get(sessions.DefaultKey); ok {
		if sess, ok := v.(*Session); ok {
			return sess.trace
		}
	}
	return nil
}

// Record adds a command; the command monitor and the memory store call it.
func (t *Trace) Record(cmd Command) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Commands = append(t.Commands, cmd)
}

// Snapshot is a copy, safe to read while the request goes on.
func (t *Trace) Snapshot() Trace {
	if t == nil {
		return Trace{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return Trace{Load: t.Load, LoadWhy: t.LoadWhy, CookieSent: t.CookieSent,
		Decisions: slices.Clone(t.Decisions), Commands: slices.Clone(t.Commands)}
}

func (t *Trace) loaded(o LoadOutcome, why string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Load, t.LoadWhy = o, why
}

func (t *Trace) decided(what string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Decisions = append(t.Decisions, what)
}

func (t *Trace) sentCookie() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.CookieSent = true
}

// recordMemory notes an operation of the memory store for the request's trace, if any.
func recordMemory(ctx context.Context, op, id string) {
	if t := TraceFrom(ctx); t != nil {
		t.Record(Command{Store: "memory", Name: op, Collection: "(process memory)", Detail: "id " + Shorten(id)})
	}
}

// Shorten cuts a session id or signature after six characters, the way the lab prints them:
// enough to recognise, never enough to use.
func Shorten(s string) string {
	if len(s) <= 6 {
		return s
	}
	return s[:6] + "…"
}

func joinKeys(keys []string) string { return strings.Join(keys, ", ") }
