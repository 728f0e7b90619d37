package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Store names the student can pick.
const (
	StoreMongoDB = "mongodb" // new MongoDBStore({uri, collection: 'lessonSandboxSessions'})
	StoreMemory  = "memory"  // no store option: express-session's MemoryStore
)

// Action is a button of the sandbox.
type Action string

const (
	ActionNothing Action = "nothing" // a request that changes nothing
	ActionSet     Action = "set"     // a request that sets req.session.value
	ActionRace    Action = "race"    // two requests at once: one sets a value, the other only reads
)

// ErrNoSession is the race's answer when the browser's cookie names no stored session: two
// requests without a session would each start their own, and there would be nothing to lose.
var ErrNoSession = errors.New("sandbox: the race needs a stored session")

// Sandbox runs the student's requests against one of its two stores.
type Sandbox struct {
	Mongo   *MongoStore
	Memory  *MemoryStore
	secrets []string // the shop's: the first signs, all verify
	secure  bool     // Secure cookies (production)
	now     func() time.Time
}

// New builds the sandbox on its MongoDB store and a fresh memory store.
func New(mongo *MongoStore, secrets []string, secure bool) *Sandbox {
	return &Sandbox{Mongo: mongo, Memory: NewMemoryStore(), secrets: secrets, secure: secure, now: time.Now}
}

// bounded is a sandbox store: a Store that can make room for one more session.
type bounded interface {
	Store
	makeRoom(ctx context.Context) error
}

func (s *Sandbox) store(name string) bounded {
	if name == StoreMemory {
		return s.Memory
	}
	return s.Mongo
}

// Result is what the page shows after an action.
type Result struct {
	Requests []Outcome    // in the order they ended: the race's setter first, then the reader
	Cookie   *http.Cookie // what the answer sets in the browser (the last Set-Cookie), nil for none
	ID       string       // the session the browser holds afterwards
	Document string       // the stored session afterwards, "" when nothing is stored
	Set      string       // the value the setting request put in req.session.value
	Before   string       // the race: req.session.value as both requests loaded it
	Stored   string       // session.value in the store afterwards
}

// ShortID is the id the browser holds afterwards, shortened for the page.
func (r Result) ShortID() string { return shorten(r.ID) }

// Lost reports, for the race, whether the value the setter saved was overwritten.
func (r Result) Lost() bool { return r.Set != "" && r.Stored != r.Set }

// Run performs action with opts on the named store, for a browser that sent rawCookie (the
// sandbox.sid cookie's value, "" for none).
func (s *Sandbox) Run(ctx context.Context, storeName string, opts Options, action Action, rawCookie string) (Result, error) {
	store := s.store(storeName)
	cookieID := CookieID(rawCookie, s.secrets)
	var res Result
	var err error
	if action == ActionRace {
		err = s.race(ctx, store, opts, cookieID, &res)
	} else {
		err = s.single(ctx, store, opts, cookieID, action, &res)
	}
	if err != nil {
		return res, err
	}
	// The browser keeps the cookie it sent unless an answer set another one; the last wins.
	res.ID = cookieID
	for i, o := range res.Requests {
		if o.SetCookie {
			res.Cookie = s.cookie(o.ID, o.CookieExpires)
			res.Requests[i].SetCookieLine = shownCookie(res.Cookie, o.ID)
			res.ID = o.ID
		}
	}
	if res.ID == "" {
		return res, nil
	}
	if res.Document, err = store.Document(ctx, res.ID); err != nil {
		return res, err
	}
	if sess, err := store.Get(ctx, res.ID); err != nil {
		return res, err
	} else if sess != nil {
		res.Stored = sess.Data["value"]
	}
	return res, nil
}

// single is one request: load, maybe set req.session.value, end.
func (s *Sandbox) single(ctx context.Context, store bounded, opts Options, cookieID string, action Action, res *Result) error {
	rec := &recorder{}
	rctx := withRecorder(ctx, rec)
	r, err := Begin(rctx, store, opts, cookieID, s.now())
	if err != nil {
		return err
	}
	if r.Loaded != LoadedFound {
		if err := store.makeRoom(ctx); err != nil { // this request may store a new session
			return err
		}
	}
	label := "the request (changes nothing)"
	if action == ActionSet {
		label = "the request (sets req.session.value)"
		res.Set = s.value()
		r.Set("value", res.Set)
	}
	o, err := r.End(rctx, s.now())
	if err != nil {
		return err
	}
	o.Label, o.Commands = label, rec.commands()
	res.Requests = []Outcome{o}
	return nil
}

// race is two requests of the same browser at the same moment, in the order that shows the
// lost update the express-session README warns about: both load the session before either
// ends; the setter ends first (and saves its value); the reader, slower, ends last.
func (s *Sandbox) race(ctx context.Context, store bounded, opts Options, cookieID string, res *Result) error {
	recSetter, recReader := &recorder{}, &recorder{}
	setterCtx, readerCtx := withRecorder(ctx, recSetter), withRecorder(ctx, recReader)
	reader, err := Begin(readerCtx, store, opts, cookieID, s.now())
	if err != nil {
		return err
	}
	if reader.Loaded != LoadedFound {
		return ErrNoSession
	}
	setter, err := Begin(setterCtx, store, opts, cookieID, s.now())
	if err != nil {
		return err
	}
	res.Before = reader.Session.Data["value"]
	res.Set = s.value()
	setter.Set("value", res.Set)

	a, err := setter.End(setterCtx, s.now())
	if err != nil {
		return err
	}
	b, err := reader.End(readerCtx, s.now())
	if err != nil {
		return err
	}
	a.Label, a.Commands = "request A (sets req.session.value, answers first)", recSetter.commands()
	b.Label, b.Commands = "request B (only reads, answers last)", recReader.commands()
	res.Requests = []Outcome{a, b}
	return nil
}

// value is what a setting request puts in req.session.value: the time of day, so each set
// differs from the last.
func (s *Sandbox) value() string { return s.now().UTC().Format("15:04:05.000") }

// RestartMemory empties the memory store, as restarting the server would.
func (s *Sandbox) RestartMemory() { s.Memory.Clear() }
