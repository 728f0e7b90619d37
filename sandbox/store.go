package sandbox

import (
	"context"
	"time"
)

// Store is express-session's store interface, the part the sandbox uses.
type Store interface {
	Get(ctx context.Context, id string) (*Session, error)    // store.get(sid, cb): nil when there is none
	Set(ctx context.Context, id string, sess *Session) error // store.set(sid, session, cb)
	// Document is the stored session as the store holds it, for the page ("" when none).
	Document(ctx context.Context, id string) (string, error)
}

// Toucher is a store with the optional touch method. express-session checks
// typeof store.touch === 'function' once (storeImplementsTouch); Go asks the same with a type
// assertion. MemoryStore has it; connect-mongodb-session has not.
type Toucher interface {
	Touch(ctx context.Context, id string, sess *Session) error // store.touch(sid, session, cb)
}

// Bounds that keep any visitor from growing the sandbox's stores without end.
const (
	// MaxAgeLimit is the largest cookie.maxAge the sandbox accepts: its sessions expire within
	// a quarter of an hour.
	MaxAgeLimit = 15 * time.Minute
	// MaxSessions is how many sandbox sessions a store keeps; a new one beyond it first evicts
	// the expired, then those closest to expiry.
	MaxSessions = 200
	// CookieName and CookiePath are the sandbox's cookie: sent only to /lessons/options, never
	// mistaken for the shop's connect.sid.
	CookieName = "sandbox.sid"
	CookiePath = "/lessons/options"
)
